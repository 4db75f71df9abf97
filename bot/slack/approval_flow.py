"""Release approval in Slack: posting requests, DMing approvers, updating every copy, staleness, reminders."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot.domain import approvals
from bot.domain.approvals import DecisionResult, IsMember, RequestView, StaleResult
from bot.services import Services
from bot.slack import ai_flow, home_flow
from bot.slack.blocks.approvals import build_changes_notice, build_declined_notice, build_request_message
from bot.slack.installations import Workspaces
from bot.text import from_plain
from storage import outbox
from storage.models import ReleaseRequest, RequestMessage, RequestStatus

logger = logging.getLogger(__name__)


class Membership:
    """Who belongs to an approver group: members named in the policy, or a Slack user group's members."""

    def __init__(self, client: WebClient, services: Services) -> None:
        self.client = client
        self.policy = services.policy
        self._usergroups: dict[str, set[str]] = {}

    def members(self, role: str) -> set[str]:
        group = self.policy.groups[role]
        members = set(group.member_ids())
        usergroup = group.usergroup_id()
        if usergroup:
            if usergroup not in self._usergroups:
                try:
                    users = self.client.usergroups_users_list(usergroup=usergroup)["users"]
                except SlackApiError as error:
                    logger.warning("Could not list user group %s: %s", usergroup, error.response.get("error"))
                    users = []
                self._usergroups[usergroup] = set(users)
            members |= self._usergroups[usergroup]
        return members

    def is_member(self, role: str, user_id: str) -> bool:
        return user_id in self.members(role)

    def of(self, user_id: str) -> IsMember:
        """is_member for this one person, with every group asked of Slack now: for use inside a transaction, which
        must not wait on Slack."""
        groups = {role for role in self.policy.groups if self.is_member(role, user_id)}
        return lambda role, user: user == user_id and role in groups

    def people_for(self, view: RequestView, roles=None) -> list[str]:
        """Everyone who may decide for the given roles (default: the roles still pending)."""
        people: list[str] = []
        for role in roles if roles is not None else view.pending_roles():
            source = role.policy_role
            found = role.people if source in approvals.OWNER_ROLES else sorted(self.members(source))
            if role.role == approvals.WAIVERS_ROLE:  # a second person: never the requester
                found = [p for p in found if p != view.request.requested_by]
            people += [p for p in found if p not in people]
        return people


def load(services: Services, request_id: int) -> RequestView:
    with services.reading() as session:
        return approvals.load_view(request_id, session=session, framework=services.framework, policy=services.policy)


def _permalink(client: WebClient, view: RequestView, services: Services) -> str | None:
    with services.reading() as session:
        review = approvals.latest_review(view.initiative, session=session)
    if not review.thread_ts:
        return None
    try:
        return client.chat_getPermalink(channel=review.channel_id, message_ts=review.thread_ts)["permalink"]
    except SlackApiError:
        return None


def publish(client: WebClient, services: Services, request_id: int) -> list[str]:
    """Post the request to the approvals channel and DM each approver (through the outbox: each copy is recorded
    with its ts once Slack took it, to be updated in place); a sentence per copy Slack refused."""
    view = load(services, request_id)
    questions = ai_flow.preread(services, view)
    if questions:
        view.request.preread = questions
    text, blocks = build_request_message(view, services.framework, permalink=_permalink(client, view, services))
    targets = [view.request.approvals_channel, *Membership(client, services).people_for(view)]
    with services.session(deliver=False) as session:
        if questions:
            session.get(ReleaseRequest, request_id).preread = questions
        for target in targets:
            _copy(session, view, target, text, blocks)
        queued = outbox.queued(session)
    refused = services.outbox.deliver(queued)
    home_flow.refresh(client, services, view.initiative.id, view.request.requested_by)
    return [f"I could not DM <@{to}>." if to.startswith(("U", "W")) else why for to, why in refused]


def _copy(session: Session, view: RequestView, target: str, text: str, blocks: list[dict]) -> None:
    """A copy of the request for a channel or a person (a DM), recorded as one to update once posted."""
    outbox.post(session, conversation=target, text=text, blocks=blocks, workspace_id=view.initiative.workspace_id,
                then={"request_copy": view.request.id}, tell=view.request.requested_by, hint="")


def review_link(client: WebClient, services: Services, request_id: int) -> str | None:
    """The link to the review thread a request's message points to (asked of Slack: before any unit of work)."""
    return _permalink(client, load(services, request_id), services)


def refresh(client: WebClient, services: Services, request_id: int) -> None:
    """Update every copy of the request in place, from the database."""
    view = load(services, request_id)
    link = _permalink(client, view, services)
    with services.session() as session:
        update_copies(session, services, view, permalink=link)
    home_flow.refresh(client, services, view.initiative.id, view.request.requested_by)


def update_copies(session: Session, services: Services, view: RequestView, *, permalink: str | None) -> None:
    """Every copy of the request, updated in place to show it as it is now."""
    text, blocks = build_request_message(view, services.framework, permalink=permalink)
    copies = session.exec(select(RequestMessage).where(RequestMessage.request_id == view.request.id)).all()
    for copy in copies:
        outbox.update(session, channel=copy.channel_id, ts=copy.ts, text=text, blocks=blocks,
                      workspace_id=view.initiative.workspace_id)


def _outcome(view: RequestView) -> str | None:
    """What the team channel is told of how the request was decided, once it is."""
    request, name = view.request, from_plain(view.initiative.name)
    if request.status == RequestStatus.APPROVED:
        return f"✅ The release of *{name}* is approved by every required approver."
    if request.status == RequestStatus.REJECTED:
        return f"❌ The release of *{name}* was rejected: {from_plain(request.reject_reason or '')}"
    return None


def write_decision(session: Session, services: Services, result: DecisionResult, user_id: str, *,
                   permalink: str | None) -> None:
    """The messages a decision causes, in its unit of work: every copy shows it; the requester hears of a declined
    waiver or asked-for changes; the team channel hears of changes asked for and of the outcome."""
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


def after_answer(client: WebClient, services: Services, initiative_id: int) -> StaleResult | None:
    """An answer changed: if a release request was pinned to the old answer, say so and re-ask whom it concerns."""
    with services.session() as session:
        stale = approvals.check_stale(initiative_id, session=session, framework=services.framework,
                                      policy=services.policy, now=services.clock.now())
    if stale is None:
        return None
    view = stale.view
    questions = "; ".join(f"“{services.framework.question(q).text}”" for q in stale.changed)
    people = Membership(client, services).people_for(view, stale.asked_again)
    asked = ", ".join(f"<@{p}>" for p in people) or "the approvers"
    refresh(client, services, view.request.id)
    text, blocks = build_request_message(view, services.framework, permalink=None)
    with services.session() as session:
        outbox.post(session, conversation=view.initiative.channel_id, workspace_id=view.initiative.workspace_id,
                    text=f"⚠️ The release approval for *{from_plain(view.initiative.name)}* is stale: "
                         f"{questions} changed. Asking {asked} again.")
        for person in people:
            _copy(session, view, person, text, blocks)
    return stale


def run_sweep(client: WebClient, services: Services) -> list[str]:
    """Remind pending approvers once before expiry, expire what is past (as of the clock), say what was done; each
    request's people are told with the token of its workspace."""
    with services.session() as session:
        items = approvals.sweep(session=session, policy=services.policy, now=services.clock.now())
    done = []
    workspaces, memberships = Workspaces(client, services), {}
    for item in items:
        view = load(services, item.request_id)
        name = from_plain(view.initiative.name)
        workspace_client = workspaces.client(view.initiative.workspace_id)
        if workspace_client is None:  # the app is not installed there (any more): nobody can be told
            done.append(f"{item.action}: release request {item.request_id} ({view.initiative.name}), nobody told: "
                        "not installed in its workspace")
            continue
        if item.action == "reminded":
            text = f"⏰ *{name}*: {from_plain(services.policy.texts.reminder)}"
            membership = memberships.setdefault(view.initiative.workspace_id, Membership(workspace_client, services))
            people = membership.people_for(view)
        else:
            refresh(workspace_client, services, item.request_id)
            text, people = f"⌛ *{name}*: {from_plain(services.policy.texts.expired)}", [view.request.requested_by]
        with services.session() as session:
            for person in people:
                outbox.post(session, conversation=person, text=text, workspace_id=view.initiative.workspace_id)
        done.append(f"{item.action}: release request {item.request_id} ({view.initiative.name})")
    return done
