"""Planning the weekly run: which nudge goes where, decided from the database a page of initiatives at a time, in
a fixed number of queries per page, so memory depends on the page's size and not on how many initiatives there are.

Each initiative's week turns at its workspace's check-in day and hour, in its business owner's own
timezone. At that moment: the check-in to the business owner, and the nudges for what has gone stale
(overdue waivers, unmet conditions not waived, a review idle for a week, a release request waiting on approvers,
a pilot past its go/no-go date with no go or no-go recorded for that date). A day after the check-in
went out: one reminder if the week was not reported, and the digest. An initiative is first asked about
the week in which it was created, and only once that week has ended. Every nudge has a key (kind,
initiative, week, recipient) that the ledger records once, when the nudge is queued with its messages in the outbox;
the relay then marks it sent, or failed if Slack refused it for good.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import groupby
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Row, func
from sqlmodel import Session, select

from bot.approval_policy import ApprovalPolicy
from bot.clock import zone
from bot.domain import audit
from bot.domain.approvals import WAIVERS_ROLE, named_people
from bot.domain.go_decisions import decided_dates
from bot.domain.progress import falls_to
from bot.domain.summary import SATISFIED
from bot.errors import InitiativeGone, UserFacingError
from bot.framework import Framework, Question
from storage.models import (
    Answer,
    Decision,
    Initiative,
    NudgeLog,
    ReleaseRequest,
    RequestStatus,
    Review,
    ReviewStatus,
    Scorecard,
    UserProfile,
    Waiver,
    Workspace,
    as_utc,
)

IDLE_AFTER = timedelta(days=7)
REMIND_AFTER = timedelta(days=1)
PAGE = 1_000  # initiatives planned at a time
STREAM_ROWS = 1_000  # answers fetched at a time while planning
_INITIATIVE_COLUMNS = (Initiative.id, Initiative.business_owner_id, Initiative.technical_owner_id,
                       Initiative.channel_id, Initiative.risk_tier, Initiative.created_at, Initiative.snoozed_until,
                       Initiative.go_live_date)  # what planning reads of an initiative


class Kind(StrEnum):
    CHECKIN = "checkin"
    REMINDER = "reminder"
    DIGEST = "digest"
    WAIVER_OVERDUE = "waiver_overdue"
    UNMET_CONDITIONS = "unmet_conditions"
    IDLE_REVIEW = "idle_review"
    PENDING_APPROVAL = "pending_approval"
    PAST_GO_LIVE = "past_go_live"


@dataclass(frozen=True)
class Nudge:
    kind: Kind
    initiative_id: int
    week_start: date  # the week the nudge is about; a new week, a new nudge
    recipient: str  # a user (sent by DM), a channel, or a Slack user group (each member by DM)
    detail: tuple = ()  # question ids, waiver ids or a request id, as the kind needs

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.initiative_id}:{self.week_start.isoformat()}:{self.recipient}"


@dataclass(frozen=True)
class Cycle:
    """One initiative's week as of `now`: when it turned (local), and the week being reported."""

    turned_at: datetime
    local_now: datetime

    @property
    def week_start(self) -> date:
        return self.turned_at.date() - timedelta(days=7)

    def reminder_due(self, checkin_sent_at: datetime | None) -> bool:
        """A day after the check-in went out (late when the scheduler was down), or after the week turned."""
        since = max(self.turned_at, checkin_sent_at) if checkin_sent_at else self.turned_at
        return self.local_now >= since + REMIND_AFTER

    def covers(self, created_at: datetime) -> bool:
        """Whether an initiative created then existed in the week being reported (its creation day on)."""
        return created_at.astimezone(self.turned_at.tzinfo).date() < self.turned_at.date()


def cycle(now: datetime, *, tz: str | None, weekday: int, hour: int) -> Cycle:
    """The most recent check-in moment at or before now, in the owner's timezone."""
    local = now.astimezone(zone(tz))
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    turned = datetime(day.year, day.month, day.day, hour, tzinfo=local.tzinfo)
    if turned > local:
        turned -= timedelta(days=7)
    return Cycle(turned, local)


def next_page(*, session: Session, after: int = 0, size: int = PAGE) -> range | None:
    """The ids of the next `size` initiatives not retired with an id above `after` (keyset paging), as the range from
    the first to the last of them; None when none is left."""
    page = (select(Initiative.id).where(Initiative.retired_at.is_(None), Initiative.id > after)
            .order_by(Initiative.id).limit(size).subquery())
    first, last = session.exec(select(func.min(page.c.id), func.max(page.c.id))).one()
    return None if first is None else range(first, last + 1)


def plan_pages(*, session: Session, now: datetime, framework: Framework, policy: ApprovalPolicy,
               size: int = PAGE) -> Iterator[list[Nudge]]:
    """Every nudge due now and not yet in the ledger, a page of `size` initiatives at a time."""
    ids = next_page(session=session, size=size)
    while ids is not None:
        yield plan(session=session, now=now, framework=framework, policy=policy, ids=ids)
        ids = next_page(session=session, after=ids.stop - 1, size=size)


def plan(*, session: Session, now: datetime, framework: Framework, policy: ApprovalPolicy, ids: range) -> list[Nudge]:
    """The nudges due now and not yet in the ledger for the initiatives whose ids are in `ids` (a page), in order of
    creation: every query reads only that page's rows, and there is no query per initiative."""
    rows = session.exec(
        select(*_INITIATIVE_COLUMNS, Workspace.nudge_weekday, Workspace.nudge_hour, UserProfile.tz)
        .select_from(Initiative).join(Workspace, Workspace.id == Initiative.workspace_id)
        .join(UserProfile, UserProfile.user_id == Initiative.business_owner_id, isouter=True)
        .where(Initiative.retired_at.is_(None), _of(Initiative.id, ids)).order_by(Initiative.id)
    ).all()
    if not rows:
        return []
    since = (now - timedelta(days=16)).date()
    sent = {key: as_utc(at) for key, at in session.exec(
        select(NudgeLog.key, NudgeLog.sent_at).where(_of(NudgeLog.initiative_id, ids), NudgeLog.week_start >= since))}
    reported = set(session.exec(select(Scorecard.initiative_id, Scorecard.week_start)
                                .where(_of(Scorecard.initiative_id, ids), Scorecard.week_start >= since)).all())
    ever_reported = set(session.exec(select(Scorecard.initiative_id).where(_of(Scorecard.initiative_id, ids))
                                     .distinct()).all())
    reviews = _latest_reviews(session, ids)
    unmet = _unmet_by_review(session, framework, reviews, rows)
    overdue = _overdue_waivers(session, now, ids)
    requests = _newest_requests(session, ids)
    waived = _waived(session, requests)
    go_decided = decided_dates(session=session, ids=ids)
    decided_roles = _decided_roles(session, [r.id for r in requests.values() if r.status == RequestStatus.PENDING])

    nudges: list[Nudge] = []
    for initiative in rows:
        c = cycle(now, tz=initiative.tz, weekday=initiative.nudge_weekday, hour=initiative.nudge_hour)
        if not c.covers(as_utc(initiative.created_at)) or (
                initiative.snoozed_until and initiative.snoozed_until >= c.local_now.date()):
            continue
        week, iid = c.week_start, initiative.id
        checkin = Nudge(Kind.CHECKIN, iid, week, initiative.business_owner_id)
        due = [checkin]
        if c.reminder_due(sent.get(checkin.key)):
            if checkin.key in sent and (iid, week) not in reported:
                due.append(Nudge(Kind.REMINDER, iid, week, initiative.business_owner_id))
            if iid in ever_reported:
                due.append(Nudge(Kind.DIGEST, iid, week, initiative.channel_id))
        review = reviews.get(iid)
        if review is not None and review.status == ReviewStatus.COMPLETE:
            by_owner = defaultdict(list)
            for question in unmet.get(review.id, []):
                if (iid, question.id) not in waived:
                    by_owner[falls_to(question, initiative, review)].append(question.id)
            due += [Nudge(Kind.UNMET_CONDITIONS, iid, week, owner, tuple(q)) for owner, q in by_owner.items()]
        elif review is not None and as_utc(review.updated_at) < now - IDLE_AFTER:
            due.append(Nudge(Kind.IDLE_REVIEW, iid, week, initiative.channel_id, (review.id,)))
        for owner, waiver_ids in overdue.get(iid, {}).items():
            due.append(Nudge(Kind.WAIVER_OVERDUE, iid, week, owner, tuple(waiver_ids)))
        request = requests.get(iid)
        if request is not None and request.status == RequestStatus.PENDING:
            for person in _pending_approvers(request, initiative, policy, decided_roles.get(request.id, set())):
                due.append(Nudge(Kind.PENDING_APPROVAL, iid, week, person, (request.id,)))
        if initiative.go_live_date and initiative.go_live_date < c.local_now.date() and (
                request is None or request.status != RequestStatus.APPROVED) and (
                (iid, initiative.go_live_date) not in go_decided):
            due.append(Nudge(Kind.PAST_GO_LIVE, iid, week, initiative.channel_id))
        nudges += [n for n in due if n.key not in sent]
    return nudges


def _of(column, ids: range):
    """The condition that an initiative id column is in the page `ids`."""
    return column.between(ids.start, ids.stop - 1)


def _latest_reviews(session: Session, ids: range) -> dict[int, Row]:
    """Each initiative's newest review: the columns planning reads, not whole rows (read oldest first, so the newest
    stays: a scan of the page's rows, whatever plan the database would choose for a "newest per group" query)."""
    columns = select(Review.id, Review.initiative_id, Review.status, Review.updated_at, Review.routed)
    return {r.initiative_id: r for r in session.exec(columns.where(_of(Review.initiative_id, ids)).order_by(Review.id))}


def _unmet_by_review(session, framework: Framework, reviews: dict[int, Row], rows) -> dict[int, tuple[Question, ...]]:
    """For complete reviews: the questions whose current answer is not Met or N/A.

    Three columns of their answers are read, streamed in order of review and oldest first (the newest answer to a
    question counts), so memory does not grow with the number of answers; each tier's questions are worked out once."""
    tiers = {initiative.id: initiative.risk_tier for initiative in rows}
    complete = {r.id: tiers[r.initiative_id] for r in reviews.values()
                if r.status == ReviewStatus.COMPLETE and tiers.get(r.initiative_id)}
    asked = {tier: tuple(framework.questions_for(tier)) for tier in set(complete.values())}
    unmet = {review_id: asked[tier] for review_id, tier in complete.items()}
    if not unmet:
        return {}
    answers = session.exec(
        select(Answer.review_id, Answer.question_id, Answer.status).where(Answer.review_id.in_(list(unmet)))
        .order_by(Answer.review_id, Answer.id).execution_options(yield_per=STREAM_ROWS))
    for review_id, history in groupby(answers, key=lambda answer: answer.review_id):
        current = {answer.question_id: answer.status for answer in history}
        unmet[review_id] = tuple(q for q in unmet[review_id] if current.get(q.id) not in SATISFIED)
    return unmet


def _overdue_waivers(session: Session, now: datetime, ids: range) -> dict[int, dict[str, list[int]]]:
    """Waivers of open or approved requests whose due date has passed, by initiative and owner."""
    rows = session.exec(
        select(Waiver.id, Waiver.owner_id, ReleaseRequest.initiative_id)
        .join(ReleaseRequest, ReleaseRequest.id == Waiver.request_id)
        .where(_of(ReleaseRequest.initiative_id, ids), Waiver.due_date < now.date(),
               ReleaseRequest.status.in_([RequestStatus.PENDING, RequestStatus.APPROVED]))
        .order_by(Waiver.id)
    ).all()
    found: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for waiver_id, owner_id, initiative_id in rows:
        found[initiative_id][owner_id].append(waiver_id)
    return found


def _newest_requests(session: Session, ids: range) -> dict[int, Row]:
    """Each initiative's newest release request: the columns planning reads (oldest first, so the newest stays)."""
    columns = select(ReleaseRequest.id, ReleaseRequest.initiative_id, ReleaseRequest.status, ReleaseRequest.tier,
                     ReleaseRequest.waivers_by, ReleaseRequest.requested_by)
    return {r.initiative_id: r for r in session.exec(
        columns.where(_of(ReleaseRequest.initiative_id, ids)).order_by(ReleaseRequest.id))}


def _waived(session: Session, requests: dict[int, Row]) -> set[tuple[int, str]]:
    """(initiative, question) a waiver covers in the newest request of its initiative, while waiting or approved."""
    live = {r.id: iid for iid, r in requests.items() if r.status in (RequestStatus.PENDING, RequestStatus.APPROVED)}
    if not live:
        return set()
    return {(live[request_id], question_id) for request_id, question_id in session.exec(
        select(Waiver.request_id, Waiver.question_id).where(Waiver.request_id.in_(live))).all()}


def _decided_roles(session: Session, request_ids: list[int]) -> dict[int, set[str]]:
    if not request_ids:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    for request_id, role in session.exec(
            select(Decision.request_id, Decision.role)
            .where(Decision.request_id.in_(request_ids), Decision.superseded_at.is_(None))).all():
        found[request_id].add(role)
    return found


def _pending_approvers(request: Row, initiative: Row, policy: ApprovalPolicy,
                       decided: set[str]) -> list[str]:
    people: list[str] = []
    roles = [(role, role) for role in policy.for_tier(request.tier).approvers]
    if request.waivers_by:  # the second person who accepts the waivers: never the requester
        roles.append((WAIVERS_ROLE, request.waivers_by))
    for role, source in roles:
        if role in decided:
            continue
        found = [p for p in named_people(source, initiative, policy)
                 if role != WAIVERS_ROLE or p != request.requested_by]
        if source in policy.groups and policy.groups[source].usergroup_id():
            found.append(policy.groups[source].usergroup_id())  # the sender DMs each of its members
        people += [p for p in found if p not in people]
    return people


def owner_cycle(initiative: Initiative, *, session: Session, now: datetime) -> Cycle:
    """The initiative's week as of now, in its business owner's timezone."""
    workspace = session.get(Workspace, initiative.workspace_id)
    profile = session.get(UserProfile, initiative.business_owner_id)
    return cycle(now, tz=profile.tz if profile else None, weekday=workspace.nudge_weekday,
                 hour=workspace.nudge_hour)


def reporting_week(initiative: Initiative, *, session: Session, now: datetime) -> date:
    """The week an owner reports on right now (the one the latest check-in asked about)."""
    return owner_cycle(initiative, session=session, now=now).week_start


def snooze_week(initiative_id: int, week_start: date, *, user_id: str, session: Session, now: datetime) -> Initiative:
    """A week off from the check-in answered (about the week of `week_start`): every nudge until and including
    the next check-in's day, in the business owner's calendar. An old check-in counts from the latest one."""
    initiative = _initiative(initiative_id, session=session)
    week = max(week_start, reporting_week(initiative, session=session, now=now))
    return _snooze(initiative, week + timedelta(days=14), user_id=user_id, session=session)


def snooze_until(initiative_id: int, until: date, *, user_id: str, session: Session, now: datetime) -> Initiative:
    """Pause an initiative's nudges until (and including) a date of its business owner's calendar."""
    initiative = _initiative(initiative_id, session=session)
    if until <= owner_cycle(initiative, session=session, now=now).local_now.date():
        raise UserFacingError("Choose a date after today to snooze until.")
    return _snooze(initiative, until, user_id=user_id, session=session)


def _initiative(initiative_id: int, *, session: Session) -> Initiative:
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        raise InitiativeGone()
    return initiative


def _snooze(initiative: Initiative, until: date, *, user_id: str, session: Session) -> Initiative:
    initiative.snoozed_until = until
    session.add(initiative)
    audit.record(session=session, kind="nudges_snoozed", actor=user_id, initiative_id=initiative.id,
                 until=until.isoformat())
    return initiative
