"""Deciding a release request: approve (with the approve form's rationale and each waiver's accept or decline where
the request needs them), request changes, reject. The decision and the messages it causes are one unit of work;
Slack is asked what it must be asked (the person's approver groups, the review's link) before it begins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from sqlmodel import Session

from bot.app.request_copies import review_link, update_copies
from bot.domain import approvals
from bot.domain.approvals import DecisionResult, IsMember, RequestView, RoleStatus, WaiverChoice
from bot.services import Services
from bot.slack import home_flow
from bot.slack.approver_groups import approvers
from bot.slack.blocks.approvals import build_changes_notice, build_declined_notice
from bot.text import from_plain
from storage import outbox
from storage.models import Outcome, ReleaseRequest, RequestStatus


@dataclass(frozen=True)
class Decided:
    """A decision stored with its messages: what `deliver` sends once the click or form is acknowledged."""

    result: DecisionResult
    queued: list[int]


def approve(client: WebClient, services: Services, *, request_id: int, user_id: str, rationale: str | None = None,
            waivers: dict[int, WaiverChoice] | None = None) -> Decided:
    """DecisionErrors (nothing stored) when a rationale or a waiver's answer the request needs is missing."""
    return _decide(client, services, request_id, user_id, lambda session, is_member: approvals.decide(
        request_id, Outcome.APPROVED, user_id=user_id, reason=None, rationale=rationale, waivers=waivers,
        session=session, framework=services.framework, policy=services.policy, is_member=is_member,
        now=services.clock.now()))


def reject(client: WebClient, services: Services, *, request_id: int, user_id: str, reason: str) -> Decided:
    return _decide(client, services, request_id, user_id, lambda session, is_member: approvals.decide(
        request_id, Outcome.REJECTED, user_id=user_id, reason=reason, session=session, framework=services.framework,
        policy=services.policy, is_member=is_member, now=services.clock.now()))


def request_changes(client: WebClient, services: Services, *, request_id: int, user_id: str, what: str) -> Decided:
    """DecisionErrors (nothing stored) when it does not say what must change."""
    return _decide(client, services, request_id, user_id, lambda session, is_member: approvals.request_changes(
        request_id, user_id=user_id, what=what, session=session, framework=services.framework,
        policy=services.policy, is_member=is_member))


def request_view(services: Services, request_id: int) -> RequestView:
    """The request as it is now (for the forms that decide it)."""
    with services.reading() as session:
        return approvals.load_view(request_id, session=session, framework=services.framework, policy=services.policy)


def roles_of(client: WebClient, services: Services, view: RequestView, user_id: str) -> list[RoleStatus]:
    """The pending roles this person may decide for (what their approve form asks of them)."""
    return approvals.roles_of(view, user_id, policy=services.policy, is_member=approvers(client, services).is_member)


def refusal(client: WebClient, services: Services, *, request_id: int, user_id: str, outcome: str) -> str | None:
    """Why this person may not decide the request (the attempt audited), or None if they may: asked before a form
    opens, so nobody fills one in for nothing."""
    is_member = approvers(client, services).is_member
    with services.session() as session:
        return approvals.may_decide(request_id, user_id=user_id, session=session, framework=services.framework,
                                    policy=services.policy, is_member=is_member, outcome=outcome)


def deliver(client: WebClient, services: Services, decided: Decided) -> None:
    """After the acknowledgement: the decision's messages delivered, then App Home republished for the people
    concerned, then SlackDeliveryError for the first message Slack refused."""
    try:
        services.deliver(decided.queued)
    finally:
        view = decided.result.view
        home_flow.refresh(client, services, view.initiative.id, view.request.requested_by)


def _decide(client: WebClient, services: Services, request_id: int, user_id: str,
            act: Callable[[Session, IsMember], DecisionResult]) -> Decided:
    is_member = approvers(client, services).is_member
    with services.reading() as session:
        request = session.get(ReleaseRequest, request_id)
    link = review_link(client, services, request.initiative_id) if request else None  # none: the domain says so
    with services.session(deliver=False) as session:
        result = act(session, is_member)
        _write(session, services, result, user_id, permalink=link)
        return Decided(result, outbox.queued(session))


def _write(session: Session, services: Services, result: DecisionResult, user_id: str, *,
           permalink: str | None) -> None:
    """The messages a decision causes: every copy shows it; the requester hears of a declined waiver or asked-for
    changes; the team channel hears of changes asked for and of the outcome."""
    if not result.changed_anything:
        return  # a second click by the same approver, or a request already decided
    view = result.view
    update_copies(session, services, view, permalink=permalink)
    where = dict(workspace_id=view.initiative.workspace_id)
    if result.declined:
        outbox.post(session, conversation=view.request.requested_by,
                    text=build_declined_notice(view, result.declined, user_id), **where)
    if result.change:
        text = build_changes_notice(view, result.change)
        outbox.post(session, conversation=view.request.requested_by, text=text, **where)
        outbox.post(session, conversation=view.initiative.channel_id, text=text, tell=user_id, **where)
    outcome = _outcome(view) if result.completed else None
    if outcome:
        outbox.post(session, conversation=view.initiative.channel_id, text=outcome, tell=user_id, **where)


def _outcome(view: RequestView) -> str | None:
    """What the team channel is told of how the request was decided, once it is."""
    request, name = view.request, from_plain(view.initiative.name)
    if request.status == RequestStatus.APPROVED:
        return f"✅ The release of *{name}* is approved by every required approver."
    if request.status == RequestStatus.REJECTED:
        return f"❌ The release of *{name}* was rejected: {from_plain(request.reject_reason or '')}"
    return None
