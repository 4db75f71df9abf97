"""App Home, free of Slack: the initiatives one person sees, a page at a time, each with where it stands and what is
due from that person. A page takes the same few queries however many initiatives there are, or are on it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from bot.approval_policy import ApprovalPolicy
from bot.domain import access, adoption, approvals
from bot.domain.access import Actor
from bot.domain.approvals import IsMember
from bot.domain.nudges import Cycle, cycle
from bot.domain.stages import Stage, standings
from bot.domain.summary import Condition
from bot.framework import Framework
from storage.models import (
    Decision,
    Initiative,
    ReleaseRequest,
    RequestStatus,
    Review,
    ReviewStatus,
    Scorecard,
    UserProfile,
    Workspace,
    as_utc,
)

PAGE_SIZE = 20  # initiatives a page: each takes at most three blocks of the Home tab's 100


@dataclass(frozen=True)
class Card:
    """One initiative as the person looking sees it."""

    initiative: Initiative
    stage: Stage
    met: int  # conditions met (or not applicable) of those its tier asks
    asked: int
    gaps: list[Condition]  # conditions that block release, answered and not met
    week: date | None  # the reporting week; None when retired, or before its first week is over
    scorecard: Scorecard | None  # that week's numbers, if reported
    deciding: ReleaseRequest | None  # a release request waiting for this person's decision
    report_due: bool  # this person's check-in for the week is not answered yet
    yours: int  # conditions this person owns that are not met yet
    review_open: bool  # questions are still being asked

    @property
    def requestable(self) -> bool:
        """The review is done and no release request waits, or was approved, since."""
        return not self.review_open and self.stage in (Stage.IN_REVIEW, Stage.READY)


@dataclass(frozen=True)
class Home:
    """A page of what one person sees."""

    cards: list[Card]
    page: int  # from 0
    pages: int
    total: int  # initiatives on every page
    channels_known: bool  # False: Slack would not say which channels the person is in

    @property
    def first(self) -> int:
        """The number of the page's first initiative, counting from 1."""
        return self.page * PAGE_SIZE + 1


def page(user_id: str, *, team_id: str | None, channels: Collection[str] | None, number: int, session: Session,
         framework: Framework, policy: ApprovalPolicy, in_group: IsMember, now: datetime) -> Home:
    """Page `number` (from 0, kept within the pages there are) of what this person sees (`channels`: those they are
    in; None when unknown), retired initiatives last, otherwise by name."""
    seen = access.seen_by(Actor(user_id, team_id), channels=channels or (), policy=policy, in_group=in_group)
    total = session.exec(select(func.count()).select_from(Initiative).join(Workspace).where(seen)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(number, 0), pages - 1)
    rows = session.exec(
        select(Initiative, Workspace.nudge_weekday, Workspace.nudge_hour, UserProfile.tz)
        .join(Workspace, Workspace.id == Initiative.workspace_id)
        .join(UserProfile, UserProfile.user_id == Initiative.business_owner_id, isouter=True)
        .where(seen)
        .order_by(case((Initiative.retired_at.is_(None), 0), else_=1), Initiative.name_key, Initiative.id)
        .offset(number * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    initiatives = [initiative for initiative, *_ in rows]
    found = standings(initiatives, session=session, framework=framework)
    reviews = dict(session.exec(select(Review.initiative_id, Review.status).where(
        Review.initiative_id.in_([i.id for i in initiatives])).order_by(Review.id)).all())  # the newest wins
    turns = {initiative.id: turn for initiative, weekday, hour, tz in rows
             if (turn := _reporting(initiative, cycle(now, tz=tz, weekday=weekday, hour=hour)))}
    cards = adoption.currents({iid: turn.week_start for iid, turn in turns.items()}, session=session)
    waiting = _waiting(initiatives, user_id, session=session, policy=policy, in_group=in_group)
    return Home([
        _card(initiative, found[initiative.id].stage, found[initiative.id].summary.conditions, user_id,
              asked=found[initiative.id].summary.total, turn=turns.get(initiative.id),
              scorecard=cards.get(initiative.id), deciding=waiting.get(initiative.id),
              review_open=reviews.get(initiative.id) == ReviewStatus.IN_PROGRESS)
        for initiative in initiatives
    ], number, pages, total, channels is not None)


def _reporting(initiative: Initiative, turn: Cycle) -> Cycle | None:
    """Its business owner's week as the check-in asks about it (as nudges.reporting_week), or None while it is
    retired or the first week it existed in is not over."""
    return turn if initiative.retired_at is None and turn.covers(as_utc(initiative.created_at)) else None


def _waiting(initiatives: list[Initiative], user_id: str, *, session: Session, policy: ApprovalPolicy,
             in_group: IsMember) -> dict[int, ReleaseRequest]:
    """The open release requests, by initiative, in which this person may decide a role still pending."""
    by_id = {initiative.id: initiative for initiative in initiatives}
    requests = session.exec(select(ReleaseRequest).where(
        ReleaseRequest.initiative_id.in_(list(by_id)), ReleaseRequest.status == RequestStatus.PENDING)).all()
    active: dict[int, dict[str, Decision]] = defaultdict(dict)
    for decision in session.exec(select(Decision).where(
            Decision.request_id.in_([r.id for r in requests]), Decision.superseded_at.is_(None))).all():
        active[decision.request_id][decision.role] = decision
    return {request.initiative_id: request for request in requests if approvals.fillable(
        request, approvals.role_statuses(request, by_id[request.initiative_id], policy, active[request.id]),
        user_id, policy, in_group)}


def _card(initiative: Initiative, stage: Stage, conditions: list[Condition], user_id: str, *, asked: int,
          turn: Cycle | None, scorecard: Scorecard | None, deciding: ReleaseRequest | None, review_open: bool) -> Card:
    """The check-in is due from the business owner until the week is reported, unless its nudges are snoozed."""
    snoozed = turn is not None and initiative.snoozed_until is not None \
        and initiative.snoozed_until >= turn.local_now.date()
    return Card(
        initiative, stage, met=asked - len(conditions), asked=asked,
        gaps=[c for c in conditions if c.blocking and c.status is not None],
        week=turn.week_start if turn else None, scorecard=scorecard, deciding=deciding,
        report_due=turn is not None and scorecard is None and not snoozed and user_id == initiative.business_owner_id,
        yours=0 if stage is Stage.RETIRED else sum(1 for c in conditions if c.owner_id == user_id),
        review_open=review_open and stage is not Stage.RETIRED,
    )
