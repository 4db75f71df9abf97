"""Release approval: requests routed by risk tier, waivers, decisions, staleness, the deploy gate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.approval_policy import ApprovalPolicy
from bot.domain import audit
from bot.domain.initiatives import find_anywhere, latest_review
from bot.domain.progress import ReviewState
from bot.domain.summary import Condition, Summary, summarize
from bot.errors import FieldErrors, NotFoundError
from bot.framework import Framework, Owner
from storage.models import (
    Decision,
    Initiative,
    Outcome,
    ReleaseRequest,
    RequestStatus,
    Waiver,
    as_utc,
)

OWNER_ROLES = {o.value for o in Owner}
IsMember = Callable[[str, str], bool]  # (group role, user id) -> whether the user belongs to the group


class RequestErrors(FieldErrors):
    """Why a release request cannot be sent, keyed by form field (blank key: the form as a whole)."""


@dataclass(frozen=True)
class WaiverInput:
    """One waiver as filled in: the blocking conditions it covers, why, who will meet them and by when."""

    key: str  # names its form fields (see waiver_field)
    question_ids: tuple[str, ...]
    reason: str
    owner_id: str
    due_date: date | None


@dataclass(frozen=True)
class RoleStatus:
    """One required approver role of a request, and its current decision if any."""

    role: str
    label: str
    people: tuple[str, ...]  # named users; empty for a group decided by Slack user group membership
    decision: Decision | None


@dataclass
class RequestView:
    """A release request with everything shown about it."""

    request: ReleaseRequest
    initiative: Initiative
    summary: Summary
    waivers: list[Waiver]
    roles: list[RoleStatus]

    @property
    def decided(self) -> bool:
        return self.request.status != RequestStatus.PENDING

    def pending_roles(self) -> list[RoleStatus]:
        return [r for r in self.roles if r.decision is None]


@dataclass
class DecisionResult:
    view: RequestView
    recorded: list[Decision] = field(default_factory=list)
    refused: str | None = None  # why this person may not decide
    completed: bool = False  # the request was decided by this click


@dataclass
class StaleResult:
    view: RequestView
    changed: list[str]  # question ids whose answers changed
    asked_again: list[RoleStatus]


def _pinned(state: ReviewState) -> dict[str, int | None]:
    """The answer each question has now, by the id of its newest history row."""
    return {q.id: (a.id if (a := state.latest(q.id)) else None) for q in state.questions}


def _state_for(initiative: Initiative, *, session: Session, framework: Framework) -> ReviewState:
    review = latest_review(initiative, session=session)
    return ReviewState.load(review.id, session=session, framework=framework)


def group_is_configured(policy: ApprovalPolicy, role: str) -> bool:
    group = policy.groups[role]
    return bool(group.member_ids() or group.usergroup_id())


def request_release(
    initiative: Initiative, *, session: Session, framework: Framework, policy: ApprovalPolicy,
    requested_by: str, waivers: list[WaiverInput], approvals_channel: str, now: datetime,
) -> ReleaseRequest:
    """Open a release request; RequestErrors if a blocker lacks a complete waiver or nobody can approve."""
    state = _state_for(initiative, session=session, framework=framework)
    summary = summarize(state)
    tier_policy = policy.for_tier(initiative.risk_tier)
    errors: dict[str, str] = {}
    for role in tier_policy.approvers:
        if role not in OWNER_ROLES and not group_is_configured(policy, role):
            group = policy.groups[role]
            errors[""] = (
                f"No one can approve for {group.label} yet: set {group.members_env or 'members'} "
                f"(Slack user ids) or {group.usergroup_env or 'usergroup'} in the bot's settings."
            )
    blockers = summary.blockers
    errors.update(_waiver_problems(blockers, waivers, today=now.date()))
    if not tier_policy.may_waive(len(blockers)):
        errors[""] = too_many_blockers(len(blockers), tier_policy.max_waivers)
    if _open_request(initiative, session=session) is not None:
        errors[""] = "A release request for this system is already waiting for approval."
    if errors:
        raise RequestErrors(errors)
    request = ReleaseRequest(
        initiative_id=initiative.id, review_id=state.review.id, requested_by=requested_by,
        tier=initiative.risk_tier, verdict=summary.verdict.value, approvals_channel=approvals_channel,
        pinned=_pinned(state), expires_at=now + timedelta(hours=tier_policy.open_for_hours),
    )
    session.add(request)
    session.flush()
    audit.record(session=session, kind="release_requested", actor=requested_by, initiative_id=initiative.id,
                 request_id=request.id, tier=request.tier, verdict=request.verdict)
    waiver_of = {qid: w for w in waivers for qid in w.question_ids}
    for condition in blockers:
        qid, w = condition.question.id, waiver_of[condition.question.id]
        session.add(Waiver(request_id=request.id, question_id=qid, reason=w.reason.strip(),
                           owner_id=w.owner_id, due_date=w.due_date, created_by=requested_by))
        audit.record(session=session, kind="waiver_granted", actor=requested_by, initiative_id=initiative.id,
                     request_id=request.id, question_id=qid, owner=w.owner_id,
                     due_date=w.due_date.isoformat(), reason=w.reason.strip())
    session.flush()
    return request


def waiver_field(key: str, part: str) -> str:
    """The form field naming one part (conditions, reason, owner, due) of one waiver."""
    return f"waiver_{part}:{key}"


def too_many_blockers(count: int, limit: int | str) -> str:
    return (f"{count} conditions block release at this risk tier, and the approval policy lets one request "
            f"waive at most {limit}. Meet some of them first.")


def _waiver_problems(blockers: list[Condition], waivers: list[WaiverInput], *, today: date) -> dict[str, str]:
    """Each blocker in exactly one complete waiver; blockers are named by their number in the form's list."""
    number = {c.question.id: n for n, c in enumerate(blockers, 1)}
    problems: dict[str, str] = {}
    covered: set[str] = set()
    for waiver in waivers:
        chosen = [qid for qid in waiver.question_ids if qid in number]
        if not chosen:
            if waiver.reason.strip():
                problems[waiver_field(waiver.key, "conditions")] = "Pick the conditions this reason covers."
            continue
        if twice := [number[qid] for qid in chosen if qid in covered]:
            problems[waiver_field(waiver.key, "conditions")] = f"Already in a waiver above: {_numbers(twice)}."
        covered.update(chosen)
        if not waiver.reason.strip():
            problems[waiver_field(waiver.key, "reason")] = "Say why releasing before these are met is acceptable."
        if not waiver.owner_id:
            problems[waiver_field(waiver.key, "owner")] = "Name who will meet them."
        if waiver.due_date is None:
            problems[waiver_field(waiver.key, "due")] = "Give a date by which they will be met."
        elif waiver.due_date < today:
            problems[waiver_field(waiver.key, "due")] = "The due date is in the past."
    if missing := [n for qid, n in number.items() if qid not in covered]:
        empty = [w for w in waivers if not set(w.question_ids) & number.keys()]
        field = waiver_field((empty or waivers)[0].key, "conditions") if waivers else ""
        problems[field] = f"Not waived yet: {_numbers(missing)}. Add each to a waiver, or meet it first."
    return problems


def _numbers(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


def _open_request(initiative: Initiative, *, session: Session) -> ReleaseRequest | None:
    return session.exec(
        select(ReleaseRequest).where(ReleaseRequest.initiative_id == initiative.id,
                                     ReleaseRequest.status == RequestStatus.PENDING)
    ).first()


def newest_request(initiative: Initiative, *, session: Session) -> ReleaseRequest | None:
    return session.exec(
        select(ReleaseRequest).where(ReleaseRequest.initiative_id == initiative.id)
        .order_by(ReleaseRequest.id.desc())
    ).first()


def load_view(request_id: int, *, session: Session, framework: Framework, policy: ApprovalPolicy,
              lock: bool = False) -> RequestView:
    query = select(ReleaseRequest).where(ReleaseRequest.id == request_id)
    request = session.exec(query.with_for_update() if lock else query).first()
    if request is None:
        raise NotFoundError("This release request no longer exists.")
    initiative = session.get(Initiative, request.initiative_id)
    state = ReviewState.load(request.review_id, session=session, framework=framework)
    waivers = session.exec(select(Waiver).where(Waiver.request_id == request_id).order_by(Waiver.id)).all()
    active = {
        d.role: d for d in session.exec(
            select(Decision).where(Decision.request_id == request_id, Decision.superseded_at.is_(None))
        ).all()
    }
    roles = [
        RoleStatus(role, policy.role_label(role), named_people(role, initiative, policy), active.get(role))
        for role in policy.for_tier(request.tier).approvers
    ]
    return RequestView(request, initiative, summarize(state), list(waivers), roles)


def named_people(role: str, initiative: Initiative, policy: ApprovalPolicy) -> tuple[str, ...]:
    """The people named for an approver role: the owner, or the group's listed members."""
    if role == Owner.BUSINESS:
        return (initiative.business_owner_id,)
    if role == Owner.TECHNICAL:
        return (initiative.technical_owner_id,)
    return tuple(sorted(policy.groups[role].member_ids()))


def _may_fill(role: RoleStatus, user_id: str, is_member: IsMember) -> bool:
    if role.role in OWNER_ROLES:
        return user_id in role.people
    return user_id in role.people or is_member(role.role, user_id)


def decide(
    request_id: int, outcome: Outcome, *, user_id: str, reason: str | None, session: Session,
    framework: Framework, policy: ApprovalPolicy, is_member: IsMember, now: datetime,
) -> DecisionResult:
    """Record an approver's decision; refuse anyone else; the request row is locked while deciding."""
    view = load_view(request_id, session=session, framework=framework, policy=policy, lock=True)
    result = DecisionResult(view)
    request = view.request
    if view.decided:
        return result
    mine, refused = _roles_for(view, user_id, policy, is_member)
    if refused:
        result.refused = refused
        audit.record(session=session, kind="approval_refused", actor=user_id, initiative_id=view.initiative.id,
                     request_id=request_id, outcome=outcome.value)
    if not mine:
        return result
    if outcome is Outcome.REJECTED:
        mine = mine[:1]
    for role in mine:
        decision = Decision(request_id=request_id, role=role.role, approver_id=user_id, outcome=outcome,
                            reason=(reason or "").strip() or None, decided_at=now)
        try:
            with session.begin_nested():
                session.add(decision)
        except IntegrityError:
            continue  # someone filled this role a moment ago
        result.recorded.append(decision)
        audit.record(session=session, kind=f"release_{outcome.value}", actor=user_id,
                     initiative_id=view.initiative.id, request_id=request_id, role=role.role, reason=decision.reason)
    if not result.recorded:
        return result
    result.view = view = load_view(request_id, session=session, framework=framework, policy=policy)
    if outcome is Outcome.REJECTED:
        _finish(view, RequestStatus.REJECTED, now=now, reason=reason, session=session)
        result.completed = True
    elif not view.pending_roles():
        state = ReviewState.load(request.review_id, session=session, framework=framework)
        request.pinned = _pinned(state)  # the approval is pinned to the answers as they are now
        request.stale_since = None
        _finish(view, RequestStatus.APPROVED, now=now, session=session)
        result.completed = True
    return result


def _roles_for(view: RequestView, user_id: str, policy: ApprovalPolicy,
               is_member: IsMember) -> tuple[list[RoleStatus], str | None]:
    """The pending roles this person may fill, and why they are refused if none (None: nothing to say)."""
    barred = view.request.requested_by == user_id and not policy.for_tier(view.request.tier).requester_may_approve
    mine = [] if barred else [r for r in view.pending_roles() if _may_fill(r, user_id, is_member)]
    if mine or any(r.decision and r.decision.approver_id == user_id for r in view.roles):
        return mine, None  # an approver who already decided: a second click changes nothing
    return [], _only_who(view, requester_barred=barred)


def may_decide(request_id: int, *, user_id: str, session: Session, framework: Framework,
               policy: ApprovalPolicy, is_member: IsMember) -> str | None:
    """Why this person may not decide the request (written to the audit log), or None if they may."""
    view = load_view(request_id, session=session, framework=framework, policy=policy)
    if view.decided:
        return f"This request is already {view.request.status}."
    _, refused = _roles_for(view, user_id, policy, is_member)
    if refused:
        audit.record(session=session, kind="approval_refused", actor=user_id, initiative_id=view.initiative.id,
                     request_id=request_id, outcome="rejected")
    return refused


def _finish(view: RequestView, status: RequestStatus, *, now: datetime, session: Session,
            reason: str | None = None) -> None:
    request = view.request
    request.status = status
    request.decided_at = now
    if reason:
        request.reject_reason = reason.strip()
    session.add(request)
    session.flush()


def _only_who(view: RequestView, *, requester_barred: bool) -> str:
    names = []
    for role in view.pending_roles():
        if role.people:
            names.append(" or ".join(f"<@{p}>" for p in role.people) + f" ({role.label.lower()})")
        else:
            names.append(f"a member of {role.label}")
    who = ", ".join(names) if names else "the named approvers"
    prefix = "You asked for this release, so you can't approve it yourself. " if requester_barred else ""
    return f"{prefix}Only {who} can decide this request."


def check_stale(initiative_id: int, *, session: Session, framework: Framework, policy: ApprovalPolicy,
                now: datetime) -> StaleResult | None:
    """After an answer changed: turn the newest open or approved request stale and re-ask whom it concerns."""
    initiative = session.get(Initiative, initiative_id)
    request = newest_request(initiative, session=session)
    if request is None or request.status not in (RequestStatus.PENDING, RequestStatus.APPROVED):
        return None
    locked = session.exec(select(ReleaseRequest).where(ReleaseRequest.id == request.id).with_for_update()).one()
    state = ReviewState.load(locked.review_id, session=session, framework=framework)
    current = _pinned(state)
    changed = [qid for qid, answer_id in current.items() if locked.pinned.get(qid) != answer_id]
    if not changed:
        return None
    required = policy.for_tier(locked.tier).approvers
    concerned = {framework.question(qid).owner.value for qid in changed} & set(required) or set(required)
    session.execute(
        update(Decision)
        .where(Decision.request_id == locked.id, Decision.role.in_(concerned), Decision.superseded_at.is_(None))
        .values(superseded_at=now)
    )
    if locked.status == RequestStatus.APPROVED:
        locked.expires_at = now + timedelta(hours=policy.for_tier(locked.tier).open_for_hours)
        locked.reminded_at = None
    locked.status = RequestStatus.PENDING
    locked.decided_at = None
    locked.stale_since = locked.stale_since or now
    locked.pinned = current
    session.add(locked)
    session.flush()
    audit.record(session=session, kind="approval_stale", actor="system", initiative_id=initiative_id,
                 request_id=locked.id, changed=changed, asked_again=sorted(concerned))
    view = load_view(locked.id, session=session, framework=framework, policy=policy)
    return StaleResult(view, changed, [r for r in view.roles if r.role in concerned])


@dataclass(frozen=True)
class GateResult:
    initiative: str
    allowed: bool
    status: str
    reason: str


def gate(name: str, *, team_id: str | None, session: Session, framework: Framework) -> GateResult:
    """May this initiative be deployed? Only when its newest request is approved and its answers unchanged."""
    initiative = find_anywhere(name, team_id=team_id, session=session)
    request = newest_request(initiative, session=session)
    if request is None:
        return GateResult(initiative.name, False, "none", f"{initiative.name} has no release request.")
    if request.status != RequestStatus.APPROVED:
        why = {
            RequestStatus.PENDING: "is waiting for approval" + (" again: answers changed after approval"
                                                              if request.stale_since else ""),
            RequestStatus.REJECTED: f"was rejected: {request.reject_reason or 'no reason given'}",
            RequestStatus.EXPIRED: "expired before every approver decided",
        }[RequestStatus(request.status)]
        return GateResult(initiative.name, False, request.status, f"The newest release request for {initiative.name} {why}.")
    state = ReviewState.load(request.review_id, session=session, framework=framework)
    changed = [qid for qid, answer_id in _pinned(state).items() if request.pinned.get(qid) != answer_id]
    if changed:
        return GateResult(initiative.name, False, "stale", f"{initiative.name} was approved, but answers changed since: "
                          + ", ".join(changed) + ".")
    return GateResult(initiative.name, True, "approved", f"{initiative.name} is approved for release.")


@dataclass(frozen=True)
class SweepItem:
    request_id: int
    action: str  # "reminded" or "expired"


def sweep(*, session: Session, policy: ApprovalPolicy, now: datetime) -> list[SweepItem]:
    """Remind pending requests once before they expire, then expire them; safe to run in several processes."""
    items = []
    pending = session.exec(select(ReleaseRequest).where(ReleaseRequest.status == RequestStatus.PENDING)).all()
    for request in pending:
        expires_at = as_utc(request.expires_at)
        if expires_at <= now:
            done = session.execute(
                update(ReleaseRequest)
                .where(ReleaseRequest.id == request.id, ReleaseRequest.status == RequestStatus.PENDING)
                .values(status=RequestStatus.EXPIRED, decided_at=now)
            ).rowcount
            if done:
                audit.record(session=session, kind="release_expired", actor="system",
                             initiative_id=request.initiative_id, request_id=request.id)
                items.append(SweepItem(request.id, "expired"))
        elif request.reminded_at is None and expires_at - now <= timedelta(
                hours=policy.for_tier(request.tier).remind_hours_before):
            done = session.execute(
                update(ReleaseRequest)
                .where(ReleaseRequest.id == request.id, ReleaseRequest.reminded_at.is_(None))
                .values(reminded_at=now)
            ).rowcount
            if done:
                audit.record(session=session, kind="release_reminded", actor="system",
                             initiative_id=request.initiative_id, request_id=request.id)
                items.append(SweepItem(request.id, "reminded"))
    return items
