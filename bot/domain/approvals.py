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
from bot.domain.changes import stale_why
from bot.domain.initiatives import find_anywhere, latest_review
from bot.domain.progress import ReviewState
from bot.domain.summary import Condition, Summary, Verdict, summarize
from bot.errors import FieldErrors, NotFoundError
from bot.framework import Framework, Owner
from storage.models import (
    ChangeRequest,
    Decision,
    Initiative,
    Outcome,
    ReleaseRequest,
    RequestStatus,
    Waiver,
    WaiverDecision,
    as_utc,
)

OWNER_ROLES = {Owner.BUSINESS.value, Owner.TECHNICAL.value}  # roles of named owners; the rest are groups
WAIVERS_ROLE = "waivers"  # the second person who accepts the waivers when the requester is the only approver
IsMember = Callable[[str, str], bool]  # (group role, user id) -> whether the user belongs to the group
# the approve and request-changes forms' fields, named here so the errors below can name them
RATIONALE = "rationale"
CHANGES = "changes"


def accept_field(number: int) -> str:
    """The approve form's accept-or-decline choice for one waiver."""
    return f"waiver_accept:{number}"


def decline_field(number: int) -> str:
    """The approve form's reason for declining one waiver."""
    return f"waiver_decline:{number}"


class RequestErrors(FieldErrors):
    """Why a release request cannot be sent, keyed by form field (blank key: the form as a whole)."""


class DecisionErrors(FieldErrors):
    """Why an approver's form cannot be taken as it is, keyed by form field; nothing was recorded."""


@dataclass(frozen=True)
class WaiverInput:
    """One waiver as filled in: the blocking conditions it covers, why, who will meet them and by when."""

    key: str  # names its form fields (see waiver_field)
    question_ids: tuple[str, ...]
    reason: str
    owner_id: str
    due_date: date | None


@dataclass(frozen=True)
class WaiverChoice:
    """An approver's answer on one waiver: accepted, declined (with why), or None when not chosen."""

    accepted: bool | None
    reason: str = ""


@dataclass(frozen=True)
class WaiverGroup:
    """One waiver of a request as the requester wrote it: the blockers it covers and its shared terms."""

    number: int
    question_ids: tuple[str, ...]
    reason: str
    owner_id: str
    due_date: date


def waiver_groups(waivers: list[Waiver]) -> list[WaiverGroup]:
    """A request's waivers (a row per blocker) as the requester grouped them, by number."""
    rows: dict[int, list[Waiver]] = {}
    for waiver in waivers:
        rows.setdefault(waiver.number, []).append(waiver)
    return [WaiverGroup(number, tuple(w.question_id for w in mine), mine[0].reason, mine[0].owner_id, mine[0].due_date)
            for number, mine in sorted(rows.items())]


@dataclass(frozen=True)
class RoleStatus:
    """One required approver role of a request, and its current decision if any."""

    role: str
    label: str
    people: tuple[str, ...]  # named users; empty for a group decided by Slack user group membership
    decision: Decision | None
    drawn_from: str = ""  # the policy role its people come from, when that is not `role` (the waivers' second person)

    @property
    def policy_role(self) -> str:
        return self.drawn_from or self.role


@dataclass
class RequestView:
    """A release request with everything shown about it."""

    request: ReleaseRequest
    initiative: Initiative
    summary: Summary
    waivers: list[Waiver]
    roles: list[RoleStatus]
    evidence: dict[str, str] = field(default_factory=dict)  # the latest evidence text per question (Slack mrkdwn)
    waiver_decisions: list[WaiverDecision] = field(default_factory=list)  # the roles' current ones
    changes: list[ChangeRequest] = field(default_factory=list)  # what approvers asked to change, oldest first

    @property
    def decided(self) -> bool:
        return self.request.status != RequestStatus.PENDING

    def pending_roles(self) -> list[RoleStatus]:
        return [r for r in self.roles if r.decision is None]

    @property
    def groups(self) -> list[WaiverGroup]:
        return waiver_groups(self.waivers)

    @property
    def needs_rationale(self) -> bool:
        """Approving needs a written rationale: with waivers, or at a "Not ready" verdict."""
        return bool(self.waivers) or self.request.verdict == Verdict.NOT_READY.value

    def declined(self) -> list[WaiverDecision]:
        """The waivers a role declines now: each blocks the approval until that role decides otherwise."""
        return [d for d in self.waiver_decisions if not d.accepted]


@dataclass
class DecisionResult:
    view: RequestView
    recorded: list[Decision] = field(default_factory=list)
    refused: str | None = None  # why this person may not decide
    completed: bool = False  # the request was decided by this click
    declined: list[WaiverDecision] = field(default_factory=list)  # waivers this person declined, so nothing counts
    change: ChangeRequest | None = None  # what this person asked to change

    @property
    def changed_anything(self) -> bool:
        return bool(self.recorded or self.declined or self.change)


@dataclass
class StaleResult:
    view: RequestView
    changed: list[str]  # question ids whose answers changed
    asked_again: list[RoleStatus]


@dataclass(frozen=True)
class Approvers:
    """Every approver group's members as they were found before the unit of work began (named in the policy, or a
    Slack user group's): what a use case needs to route a request, asking nothing more of anyone."""

    groups: dict[str, frozenset[str]]

    def members(self, role: str) -> frozenset[str]:
        return self.groups.get(role, frozenset())

    def is_member(self, role: str, user_id: str) -> bool:
        return user_id in self.members(role)

    def people_for(self, view: RequestView, roles: list[RoleStatus] | None = None) -> list[str]:
        """Everyone who may decide for the given roles (default: the roles still pending)."""
        people: list[str] = []
        for role in roles if roles is not None else view.pending_roles():
            source = role.policy_role
            found = role.people if source in OWNER_ROLES else sorted(self.members(source))
            if role.role == WAIVERS_ROLE:  # a second person: never the requester
                found = [p for p in found if p != view.request.requested_by]
            people += [p for p in found if p not in people]
        return people


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
    is_member: IsMember | None = None,
) -> ReleaseRequest:
    """Open a release request; RequestErrors if a blocker lacks a complete waiver or nobody can approve.

    Where the requester could approve it alone, its waivers need a second person (the policy's waivers_need).
    """
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
    waivers_by = None
    if blockers and _approves_alone(initiative, requested_by, policy, is_member or _nobody):
        waivers_by = tier_policy.waivers_need
        if problem := _no_second_person(initiative, requested_by, policy, waivers_by):
            errors[""] = problem
    if _open_request(initiative, session=session) is not None:
        errors[""] = "A release request for this system is already waiting for approval."
    if errors:
        raise RequestErrors(errors)
    request = ReleaseRequest(
        initiative_id=initiative.id, review_id=state.review.id, requested_by=requested_by,
        tier=initiative.risk_tier, verdict=summary.verdict.value, approvals_channel=approvals_channel,
        pinned=_pinned(state), expires_at=now + timedelta(hours=tier_policy.open_for_hours), waivers_by=waivers_by,
    )
    session.add(request)
    session.flush()
    audit.record(session=session, kind="release_requested", actor=requested_by, initiative_id=initiative.id,
                 request_id=request.id, tier=request.tier, verdict=request.verdict)
    waiver_of = {qid: w for w in waivers for qid in w.question_ids}
    used = {waiver_of[c.question.id].key for c in blockers}
    number = {w.key: n for n, w in enumerate((w for w in waivers if w.key in used), 1)}
    for condition in blockers:
        qid, w = condition.question.id, waiver_of[condition.question.id]
        session.add(Waiver(request_id=request.id, question_id=qid, number=number[w.key], reason=w.reason.strip(),
                           owner_id=w.owner_id, due_date=w.due_date, created_by=requested_by))
        audit.record(session=session, kind="waiver_granted", actor=requested_by, initiative_id=initiative.id,
                     request_id=request.id, question_id=qid, owner=w.owner_id,
                     due_date=w.due_date.isoformat(), reason=w.reason.strip())
    session.flush()
    return request


def _nobody(_role: str, _user_id: str) -> bool:
    return False


def _approves_alone(initiative: Initiative, user_id: str, policy: ApprovalPolicy, is_member: IsMember) -> bool:
    """Whether this person, having asked, could fill every approver role of the initiative's tier by themselves."""
    tier_policy = policy.for_tier(initiative.risk_tier)
    if not tier_policy.requester_may_approve:
        return False
    return all(user_id in named_people(role, initiative, policy)
               or (role not in OWNER_ROLES and is_member(role, user_id)) for role in tier_policy.approvers)


def _no_second_person(initiative: Initiative, requester: str, policy: ApprovalPolicy, role: str | None) -> str | None:
    """Why nobody but the requester could accept their waivers, or None when someone else can."""
    if role is None:  # the policy asks for no one (it lets this tier waive nothing)
        return "Only you would approve this request, so its waivers need a second person, and the approval policy " \
               "names nobody for that at this risk tier."
    label = policy.role_label(role).lower()
    others = [p for p in named_people(role, initiative, policy) if p != requester]
    if others or (role not in OWNER_ROLES and policy.groups[role].usergroup_id()):
        return None
    if role in OWNER_ROLES:
        return (f"Only you would approve this request, so its waivers need a second person's acceptance, and the "
                f"approval policy names the {label}, who is also you. Meet the blocking conditions first.")
    group = policy.groups[role]
    return (f"Only you would approve this request, so its waivers need someone else from {group.label}, and no one "
            f"else is named yet: set {group.members_env or 'members'} or {group.usergroup_env or 'usergroup'} in "
            "the bot's settings.")


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
        raise NotFoundError("This release request no longer exists. Ask again with `/readiness release <name>`.")
    initiative = session.get(Initiative, request.initiative_id)
    state = ReviewState.load(request.review_id, session=session, framework=framework)
    waivers = session.exec(select(Waiver).where(Waiver.request_id == request_id).order_by(Waiver.id)).all()
    active = {
        d.role: d for d in session.exec(
            select(Decision).where(Decision.request_id == request_id, Decision.superseded_at.is_(None))
        ).all()
    }
    roles = role_statuses(request, initiative, policy, active)
    waiver_decisions = session.exec(
        select(WaiverDecision).where(WaiverDecision.request_id == request_id, WaiverDecision.superseded_at.is_(None))
        .order_by(WaiverDecision.id)
    ).all()
    changes = session.exec(
        select(ChangeRequest).where(ChangeRequest.request_id == request_id).order_by(ChangeRequest.id)
    ).all()
    evidence = {e.question_id: e.text for e in state.evidence}  # oldest first, so the latest wins
    return RequestView(request, initiative, summarize(state), list(waivers), roles, evidence,
                       list(waiver_decisions), list(changes))


def role_statuses(request: ReleaseRequest, initiative: Initiative, policy: ApprovalPolicy,
                  active: dict[str, Decision]) -> list[RoleStatus]:
    """The request's required roles, each with its current decision (`active`, by role) if any."""
    roles = [
        RoleStatus(role, policy.role_label(role), named_people(role, initiative, policy), active.get(role))
        for role in policy.for_tier(request.tier).approvers
    ]
    if by := request.waivers_by:
        people = tuple(p for p in named_people(by, initiative, policy) if p != request.requested_by)
        roles.append(RoleStatus(WAIVERS_ROLE, f"{policy.role_label(by)}, for the waivers", people,
                                active.get(WAIVERS_ROLE), drawn_from=by))
    return roles


def named_people(role: str, initiative: Initiative, policy: ApprovalPolicy) -> tuple[str, ...]:
    """The people named for an approver role: the owner, or the group's listed members."""
    if role == Owner.BUSINESS:
        return (initiative.business_owner_id,)
    if role == Owner.TECHNICAL:
        return (initiative.technical_owner_id,)
    return tuple(sorted(policy.groups[role].member_ids()))


def _may_fill(role: RoleStatus, user_id: str, is_member: IsMember) -> bool:
    if role.policy_role in OWNER_ROLES:
        return user_id in role.people
    return user_id in role.people or is_member(role.policy_role, user_id)


def decide(
    request_id: int, outcome: Outcome, *, user_id: str, reason: str | None, session: Session,
    framework: Framework, policy: ApprovalPolicy, is_member: IsMember, now: datetime,
    rationale: str | None = None, waivers: dict[int, WaiverChoice] | None = None,
) -> DecisionResult:
    """Record an approver's decision; refuse anyone else; the request row is locked while deciding.

    Approving takes a rationale where the view needs one, and an accept or decline for each waiver
    (DecisionErrors, nothing recorded, when one is missing). A declined waiver is recorded, but the approval
    is not: the role stays pending until it decides again, and the request cannot be approved meanwhile.
    """
    result, mine = _deciding(request_id, user_id, outcome.value, session=session, framework=framework, policy=policy,
                             is_member=is_member)
    if not mine:
        return result
    view, request = result.view, result.view.request
    choices = waivers or {}
    if outcome is Outcome.APPROVED:
        if errors := _approval_problems(view, rationale, choices):
            raise DecisionErrors(errors)
        declined = [g for g in view.groups if not choices[g.number].accepted]
        if declined:
            result.declined = _record_waiver_decisions(view, mine, choices, user_id=user_id, session=session,
                                                       now=now)
            result.view = load_view(request_id, session=session, framework=framework, policy=policy)
            return result
    if outcome is Outcome.REJECTED:
        mine = mine[:1]
    for role in mine:
        decision = Decision(request_id=request_id, role=role.role, approver_id=user_id, outcome=outcome,
                            reason=(reason or "").strip() or None, rationale=(rationale or "").strip() or None,
                            decided_at=now)
        try:
            with session.begin_nested():
                session.add(decision)
        except IntegrityError:
            continue  # someone filled this role a moment ago
        result.recorded.append(decision)
        audit.record(session=session, kind=f"release_{outcome.value}", actor=user_id,
                     initiative_id=view.initiative.id, request_id=request_id, role=role.role, reason=decision.reason,
                     rationale=decision.rationale)
        if outcome is Outcome.APPROVED:
            _record_waiver_decisions(view, [role], choices, user_id=user_id, session=session, now=now)
    if not result.recorded:
        return result
    result.view = view = load_view(request_id, session=session, framework=framework, policy=policy)
    if outcome is Outcome.REJECTED:
        _finish(view, RequestStatus.REJECTED, now=now, reason=reason, session=session)
        result.completed = True
    elif not view.pending_roles() and not view.declined():
        state = ReviewState.load(request.review_id, session=session, framework=framework)
        request.pinned = _pinned(state)  # the approval is pinned to the answers as they are now
        request.stale_since = None
        _finish(view, RequestStatus.APPROVED, now=now, session=session)
        result.completed = True
    return result


def _approval_problems(view: RequestView, rationale: str | None, choices: dict[int, WaiverChoice]) -> dict[str, str]:
    """What an approval still lacks: a rationale where one is needed, an answer on each waiver."""
    problems = {}
    for group in view.groups:
        choice = choices.get(group.number)
        if choice is None or choice.accepted is None:
            problems[accept_field(group.number)] = "Accept or decline this waiver."
        elif not choice.accepted and not choice.reason.strip():
            problems[decline_field(group.number)] = "Say why you decline it, so the requester knows what to change."
    if view.needs_rationale and not (rationale or "").strip():
        why = "with these waivers" if view.waivers else "at a “Not ready” verdict"
        problems[RATIONALE] = f"Say why releasing {why} is acceptable; the team and auditors will read it."
    return problems


def _record_waiver_decisions(view: RequestView, roles: list[RoleStatus], choices: dict[int, WaiverChoice], *,
                             user_id: str, session: Session, now: datetime) -> list[WaiverDecision]:
    """The roles' answer on each waiver, replacing what they answered before; return the declined ones."""
    if not view.groups:
        return []
    names = [r.role for r in roles]
    session.execute(
        update(WaiverDecision)
        .where(WaiverDecision.request_id == view.request.id, WaiverDecision.role.in_(names),
               WaiverDecision.superseded_at.is_(None))
        .values(superseded_at=now)
    )
    declined = []
    for role in names:
        for group in view.groups:
            choice = choices[group.number]
            row = WaiverDecision(request_id=view.request.id, number=group.number, role=role, decided_by=user_id,
                                 accepted=bool(choice.accepted), decided_at=now,
                                 reason=None if choice.accepted else choice.reason.strip())
            session.add(row)
            if not choice.accepted:
                declined.append(row)
                audit.record(session=session, kind="waiver_declined", actor=user_id,
                             initiative_id=view.initiative.id, request_id=view.request.id, role=role,
                             waiver=group.number, questions=list(group.question_ids), reason=row.reason)
    session.flush()
    return declined


def request_changes(
    request_id: int, *, user_id: str, what: str, session: Session, framework: Framework, policy: ApprovalPolicy,
    is_member: IsMember,
) -> DecisionResult:
    """An approver says what must change before they decide; the request stays open for them and the others."""
    result, mine = _deciding(request_id, user_id, "changes_requested", session=session, framework=framework,
                             policy=policy, is_member=is_member)
    if not mine:
        return result
    view = result.view
    if not what.strip():
        raise DecisionErrors({CHANGES: "Say what must change, so the team knows what to do."})
    result.change = ChangeRequest(request_id=request_id, approver_id=user_id, what=what.strip())
    session.add(result.change)
    session.flush()
    audit.record(session=session, kind="release_changes_requested", actor=user_id, initiative_id=view.initiative.id,
                 request_id=request_id, roles=[r.role for r in mine], what=result.change.what)
    result.view = load_view(request_id, session=session, framework=framework, policy=policy)
    return result


def _deciding(request_id: int, user_id: str, outcome: str, *, session: Session, framework: Framework,
              policy: ApprovalPolicy, is_member: IsMember) -> tuple[DecisionResult, list[RoleStatus]]:
    """The locked request and the pending roles this person may fill; a refusal is audited (none once decided)."""
    view = load_view(request_id, session=session, framework=framework, policy=policy, lock=True)
    result = DecisionResult(view)
    if view.decided:
        return result, []
    mine, refused = _roles_for(view, user_id, policy, is_member)
    if refused:
        result.refused = refused
        audit.record(session=session, kind="approval_refused", actor=user_id, initiative_id=view.initiative.id,
                     request_id=request_id, outcome=outcome)
    return result, mine


def _roles_for(view: RequestView, user_id: str, policy: ApprovalPolicy,
               is_member: IsMember) -> tuple[list[RoleStatus], str | None]:
    """The pending roles this person may fill, and why they are refused if none (None: nothing to say)."""
    mine = fillable(view.request, view.roles, user_id, policy, is_member)
    if mine or any(r.decision and r.decision.approver_id == user_id for r in view.roles):
        return mine, None  # an approver who already decided: a second click changes nothing
    return [], _only_who(view, requester_barred=_barred(view.request, user_id, policy))


def _barred(request: ReleaseRequest, user_id: str, policy: ApprovalPolicy) -> bool:
    """Whether this person asked for the release at a tier where the requester may not approve it."""
    return request.requested_by == user_id and not policy.for_tier(request.tier).requester_may_approve


def fillable(request: ReleaseRequest, roles: list[RoleStatus], user_id: str, policy: ApprovalPolicy,
             is_member: IsMember) -> list[RoleStatus]:
    """The roles still pending that this person may decide for now (none for a requester barred from approving)."""
    if _barred(request, user_id, policy):
        return []
    requester = request.requested_by == user_id
    return [r for r in roles if r.decision is None and _may_fill(r, user_id, is_member)
            and not (requester and r.role == WAIVERS_ROLE)]  # a second person, never the requester


def may_decide(request_id: int, *, user_id: str, session: Session, framework: Framework,
               policy: ApprovalPolicy, is_member: IsMember, outcome: str = Outcome.REJECTED.value) -> str | None:
    """Why this person may not decide the request (written to the audit log), or None if they may."""
    view = load_view(request_id, session=session, framework=framework, policy=policy)
    if view.decided:
        return f"This request is already {view.request.status}."
    mine, refused = _roles_for(view, user_id, policy, is_member)
    if refused:
        audit.record(session=session, kind="approval_refused", actor=user_id, initiative_id=view.initiative.id,
                     request_id=request_id, outcome=outcome)
    elif not mine:
        return "You have already decided this request."
    return refused


def roles_of(view: RequestView, user_id: str, *, policy: ApprovalPolicy, is_member: IsMember) -> list[RoleStatus]:
    """The pending roles this person may decide for (what their approve form asks of them)."""
    return _roles_for(view, user_id, policy, is_member)[0]


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
    if locked.waivers_by and session.exec(select(Waiver.id).where(Waiver.request_id == locked.id,
                                                                  Waiver.question_id.in_(changed))).first():
        concerned.add(WAIVERS_ROLE)  # a waived condition changed: its second person is asked again too
    session.execute(
        update(Decision)
        .where(Decision.request_id == locked.id, Decision.role.in_(concerned), Decision.superseded_at.is_(None))
        .values(superseded_at=now)
    )
    session.execute(
        update(WaiverDecision)
        .where(WaiverDecision.request_id == locked.id, WaiverDecision.role.in_(concerned),
               WaiverDecision.superseded_at.is_(None))
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


def _declined_waivers(request_id: int, *, session: Session) -> str:
    """"; waiver 2 is declined" for the waivers some role declines now, else ""."""
    numbers = sorted(set(session.exec(select(WaiverDecision.number).where(
        WaiverDecision.request_id == request_id, WaiverDecision.superseded_at.is_(None),
        WaiverDecision.accepted.is_(False))).all()))
    if not numbers:
        return ""
    return f"; waiver {_numbers(numbers)} {'is' if len(numbers) == 1 else 'are'} declined"


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
    declined = _declined_waivers(request.id, session=session)
    if request.status != RequestStatus.APPROVED:
        why = {
            RequestStatus.PENDING: "is waiting for approval" + (" again: answers changed after approval"
                                                              if request.stale_since else "") + declined,
            RequestStatus.REJECTED: f"was rejected: {request.reject_reason or 'no reason given'}",
            RequestStatus.EXPIRED: "expired before every approver decided",
            RequestStatus.STALE: stale_why(request, initiative),
        }[RequestStatus(request.status)]
        return GateResult(initiative.name, False, request.status, f"The newest release request for {initiative.name} {why}.")
    state = ReviewState.load(request.review_id, session=session, framework=framework)
    changed = [qid for qid, answer_id in _pinned(state).items() if request.pinned.get(qid) != answer_id]
    if changed:
        return GateResult(initiative.name, False, "stale", f"{initiative.name} was approved, but answers changed since: "
                          + ", ".join(changed) + ".")
    if declined:  # never so when decided by decide(); the gate checks it all the same
        return GateResult(initiative.name, False, "declined", f"{initiative.name} was approved, but"
                          + declined.removeprefix(";") + ".")
    return GateResult(initiative.name, True, "approved", f"{initiative.name} is approved for release.")


@dataclass(frozen=True)
class SweepItem:
    request_id: int
    action: str  # "reminded" or "expired"
    initiative_id: int
    workspace_id: int  # the initiative's: where its people are told


def due(*, session: Session, policy: ApprovalPolicy, now: datetime) -> list[SweepItem]:
    """The pending requests to expire now (past their expiry) or to remind once (within the tier's reminder window):
    a read, so a sweep with nothing to do takes no write lock."""
    items = []
    pending = session.exec(select(ReleaseRequest, Initiative.workspace_id).join(Initiative)
                           .where(ReleaseRequest.status == RequestStatus.PENDING).order_by(ReleaseRequest.id)).all()
    for request, workspace_id in pending:
        expires_at = as_utc(request.expires_at)
        if expires_at <= now:
            items.append(SweepItem(request.id, "expired", request.initiative_id, workspace_id))
        elif request.reminded_at is None and expires_at - now <= timedelta(
                hours=policy.for_tier(request.tier).remind_hours_before):
            items.append(SweepItem(request.id, "reminded", request.initiative_id, workspace_id))
    return items


def sweep(item: SweepItem, *, session: Session, now: datetime) -> ReleaseRequest | None:
    """Expire or remind the request, unless another process did it first: the request if this one did (audited)."""
    request = session.exec(select(ReleaseRequest).where(ReleaseRequest.id == item.request_id).with_for_update()).one()
    if item.action == "expired" and request.status == RequestStatus.PENDING:
        request.status, request.decided_at, kind = RequestStatus.EXPIRED, now, "release_expired"
    elif item.action == "reminded" and request.status == RequestStatus.PENDING and request.reminded_at is None:
        request.reminded_at, kind = now, "release_reminded"
    else:
        return None
    session.add(request)
    audit.record(session=session, kind=kind, actor="system", initiative_id=request.initiative_id,
                 request_id=request.id)
    return request
