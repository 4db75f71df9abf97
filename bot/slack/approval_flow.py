"""Release approval in Slack: posting requests, DMing approvers, updating every copy, staleness, reminders."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.domain import approvals
from bot.domain.approvals import DecisionResult, IsMember, RequestView, StaleResult
from bot.errors import SlackDeliveryError
from bot.services import Services
from bot.slack import ai_flow, delivery, home_flow
from bot.slack.blocks.approvals import build_changes_notice, build_declined_notice, build_request_message
from bot.slack.installations import Workspaces
from bot.text import from_plain
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
    """Post the request to the approvals channel and DM each approver; return a sentence per failed delivery."""
    view = load(services, request_id)
    questions = ai_flow.preread(services, view)
    if questions:
        with services.session() as session:
            session.get(ReleaseRequest, request_id).preread = questions
        view.request.preread = questions
    text, blocks = build_request_message(view, services.framework, permalink=_permalink(client, view, services))
    targets = [view.request.approvals_channel, *Membership(client, services).people_for(view)]
    problems, posted = [], []
    for target in targets:
        try:
            channel = _dm_channel(client, target) if target.startswith(("U", "W")) else target
            ts = delivery.post(client, channel=channel, text=text, blocks=blocks, retry_hint="")
            posted.append(RequestMessage(request_id=request_id, channel_id=channel, ts=ts))
        except (SlackDeliveryError, SlackApiError) as error:
            problems.append(f"I could not DM <@{target}>." if target.startswith(("U", "W")) else str(error).strip())
    with services.session() as session:
        session.add_all(posted)
    home_flow.refresh(client, services, view.initiative.id, view.request.requested_by)
    return problems


def _dm_channel(client: WebClient, user_id: str) -> str:
    return client.conversations_open(users=user_id)["channel"]["id"]


def refresh(client: WebClient, services: Services, request_id: int) -> None:
    """Update every copy of the request in place, from the database (a failed update is put right next time)."""
    view = load(services, request_id)
    text, blocks = build_request_message(view, services.framework, permalink=_permalink(client, view, services))
    with services.reading() as session:
        copies = session.exec(select(RequestMessage).where(RequestMessage.request_id == request_id)).all()
    for copy in copies:
        delivery.update(client, channel=copy.channel_id, ts=copy.ts, text=text, blocks=blocks)
    home_flow.refresh(client, services, view.initiative.id, view.request.requested_by)


def announce_outcome(client: WebClient, view: RequestView) -> None:
    """Tell the team channel how the request was decided."""
    request, name = view.request, from_plain(view.initiative.name)
    if request.status == RequestStatus.APPROVED:
        text = f"✅ The release of *{name}* is approved by every required approver."
    elif request.status == RequestStatus.REJECTED:
        text = f"❌ The release of *{name}* was rejected: {from_plain(request.reject_reason or '')}"
    else:
        return
    delivery.post(client, channel=view.initiative.channel_id, text=text)


def after_decision(client: WebClient, services: Services, result: DecisionResult, user_id: str) -> None:
    """After someone decided: every copy shows it; the requester hears of a declined waiver or asked-for changes;
    the team channel hears of changes asked for and of the outcome."""
    if not result.changed_anything:
        return  # a second click by the same approver, or a request already decided
    view = result.view
    refresh(client, services, view.request.id)
    if result.declined:
        delivery.tell(client, user=view.request.requested_by, channel=None,
                      text=build_declined_notice(view, result.declined, user_id))
    if result.change:
        text = build_changes_notice(view, result.change)
        delivery.tell(client, user=view.request.requested_by, channel=None, text=text)
        delivery.post(client, channel=view.initiative.channel_id, text=text)
    if result.completed:
        announce_outcome(client, view)


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
    delivery.post(client, channel=view.initiative.channel_id,
                  text=f"⚠️ The release approval for *{from_plain(view.initiative.name)}* is stale: "
                       f"{questions} changed. Asking {asked} again.")
    refresh(client, services, view.request.id)
    text, blocks = build_request_message(view, services.framework, permalink=None)
    for person in people:
        _dm(client, services, view, person, text, blocks)
    return stale


def _dm(client: WebClient, services: Services, view: RequestView, user: str, text: str, blocks: list[dict]) -> None:
    try:
        channel = _dm_channel(client, user)
        ts = delivery.post(client, channel=channel, text=text, blocks=blocks)
    except (SlackDeliveryError, SlackApiError) as error:
        logger.warning("Could not DM %s about request %s: %s", user, view.request.id, error)
        return
    with services.session() as session:
        session.add(RequestMessage(request_id=view.request.id, channel_id=channel, ts=ts))


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
            for person in membership.people_for(view):
                delivery.tell(workspace_client, user=person, channel=None, text=text)
        else:
            refresh(workspace_client, services, item.request_id)
            delivery.tell(workspace_client, user=view.request.requested_by, channel=None,
                          text=f"⌛ *{name}*: {from_plain(services.policy.texts.expired)}")
        done.append(f"{item.action}: release request {item.request_id} ({view.initiative.name})")
    return done
