"""Release requests running out of time: the pending approvers reminded once before expiry, then the request expired
(as of the clock). Each request is one unit of work: its reminder or expiry stored with the messages it causes, Slack
asked what it must be asked (who is in the approver groups, the review's link) before that unit begins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.app.request_copies import review_link, update_copies
from bot.domain import approvals
from bot.domain.approvals import Approvers, RequestView, SweepItem
from bot.services import Services
from bot.slack import home_flow
from bot.slack.approver_groups import approvers
from bot.slack.installations import Workspaces
from bot.text import from_plain
from storage import outbox


def run(client: WebClient, services: Services) -> list[str]:
    """Remind or expire what is due, each request's people told with the token of its workspace; what was done."""
    now = services.clock.now()
    with services.reading() as session:
        items = approvals.due(session=session, policy=services.policy, now=now)
    workspaces, groups, done = Workspaces(client, services), {}, []
    for item in items:
        workspace_client = workspaces.client(item.workspace_id)
        if workspace_client is None:  # the app is not installed there (any more): nobody can be told
            if view := _sweep(services, item, now=now, told=None):
                done.append(f"{item.action}: release request {item.request_id} ({view.initiative.name}), nobody "
                            "told: not installed in its workspace")
            continue
        if item.action == "reminded":
            if item.workspace_id not in groups:
                groups[item.workspace_id] = approvers(workspace_client, services)
            told = _Told(approvers=groups[item.workspace_id])
        else:
            told = _Told(permalink=review_link(workspace_client, services, item.initiative_id))
        if view := _sweep(services, item, now=now, told=told):
            done.append(f"{item.action}: release request {item.request_id} ({view.initiative.name})")
            if item.action == "expired":
                home_flow.refresh(workspace_client, services, view.initiative.id, view.request.requested_by)
    return done


@dataclass(frozen=True)
class _Told:
    """What Slack said before the unit began: the approver groups (for a reminder) or the review's link (expiry)."""

    approvers: Approvers | None = None
    permalink: str | None = None


def _sweep(services: Services, item: SweepItem, *, now: datetime, told: _Told | None) -> RequestView | None:
    """Remind or expire one request with its messages (none when `told` is None: nobody can be told); the request
    as it is now if this process did it, None if another did first."""
    with services.session() as session:
        if approvals.sweep(item, session=session, now=now) is None:
            return None
        view = approvals.load_view(item.request_id, session=session, framework=services.framework,
                                   policy=services.policy)
        if told is None:
            return view
        name, where = from_plain(view.initiative.name), dict(workspace_id=view.initiative.workspace_id)
        if item.action == "reminded":
            text, people = f"⏰ *{name}*: {from_plain(services.policy.texts.reminder)}", told.approvers.people_for(view)
        else:
            update_copies(session, services, view, permalink=told.permalink)
            text, people = f"⌛ *{name}*: {from_plain(services.policy.texts.expired)}", [view.request.requested_by]
        for person in people:
            outbox.post(session, conversation=person, text=text, **where)
    return view
