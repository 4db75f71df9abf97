"""Requesting release approval (the request form submitted): the request, pinned to the answers as they are, and its
copies for the approvals channel and each approver, in one unit of work.

The approvers' AI pre-read is a model call, so it comes after that unit has committed (and after the form is
acknowledged, which must be within Slack's 3 seconds), on the slow workers with the copies' delivery: the copies still
waiting in the outbox are rewritten to show it before they are delivered, and any copy already in Slack is updated to
show it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.app.request_copies import post_copy, review_link, update_copies
from bot.domain import approvals
from bot.domain.approvals import RequestView, WaiverInput
from bot.services import Services
from bot.slack import ai_flow, delivery, home_flow, slow_work
from bot.slack.approver_groups import approvers
from bot.slack.blocks.approvals import build_request_message
from storage import outbox
from storage.models import Initiative, ReleaseRequest


@dataclass(frozen=True)
class Requested:
    """A request stored with its copies: what `send` delivers once the form is acknowledged."""

    view: RequestView
    copies: list[int]  # the copies' outbox ids: the approvals channel's first, then each approver's DM
    permalink: str | None  # the review thread's, shown in every copy


def request(client: WebClient, services: Services, *, initiative_id: int, user_id: str,
            waivers: list[WaiverInput]) -> Requested:
    """Store the request and write its copies; RequestErrors (nothing stored) when the form does not do. Slack is
    asked who is in the approver groups, and the review's link, before the unit begins."""
    found = approvers(client, services)
    link = review_link(client, services, initiative_id)
    with services.session(deliver=False) as session:
        initiative = session.get(Initiative, initiative_id)
        stored = approvals.request_release(
            initiative, session=session, framework=services.framework, policy=services.policy,
            requested_by=user_id, waivers=waivers, now=services.clock.now(),
            approvals_channel=services.approvals_channel or initiative.channel_id, is_member=found.is_member)
        view = approvals.load_view(stored.id, session=session, framework=services.framework, policy=services.policy)
        text, blocks = build_request_message(view, services.framework, permalink=link)
        copies = [post_copy(session, view, target, text, blocks).id
                  for target in [view.request.approvals_channel, *found.people_for(view)]]
        if ai_flow.enabled(services, initiative.workspace_id, session=session):
            outbox.reserve(copies, session=session)  # for their pre-read: no other delivery sends them before it
    return Requested(view, copies, link)


def send(client: WebClient, services: Services, requested: Requested) -> list[str]:
    """The copies delivered: a sentence for each Slack refused. With AI assist on they are delivered with the pre-read,
    on the slow workers, and those sentences told to the requester from there (or without it, here and now, when the
    workers are busy)."""
    if not ai_flow.enabled(services, requested.view.initiative.workspace_id):
        return _deliver(client, services, requested, preread=False)
    slow_work.hand_off(partial(_deliver_and_tell, client, services, requested, preread=True),
                       refused=partial(_deliver_and_tell, client, services, requested, preread=False))
    return []


def _deliver_and_tell(client: WebClient, services: Services, requested: Requested, *, preread: bool) -> None:
    problems = _deliver(client, services, requested, preread=preread)
    if problems:
        delivery.tell(client, user=requested.view.request.requested_by, channel=requested.view.initiative.channel_id,
                      text=" ".join(problems))


def _deliver(client: WebClient, services: Services, requested: Requested, *, preread: bool) -> list[str]:
    """The pre-read (when asked for) shown in the copies, then the copies delivered and App Home republished."""
    view = requested.view
    questions = ai_flow.preread(services, view) if preread else None  # the model: with no transaction open
    mine = list(requested.copies)
    with services.session(deliver=False) as session:
        if questions:
            view.request.preread = questions
            session.get(ReleaseRequest, view.request.id).preread = questions
            _show_everywhere(session, services, requested)
            mine += outbox.queued(session)
        else:
            outbox.release(requested.copies, session=session)  # as written
    refused = services.outbox.deliver(mine)
    home_flow.refresh(client, services, view.initiative.id, view.request.requested_by)
    return [f"I could not DM <@{to}>." if to.startswith(("U", "W")) else why for to, why in refused]


def _show_everywhere(session: Session, services: Services, requested: Requested) -> None:
    """Every copy shows the request as it is now: rewritten while it waits in the outbox (reserved for this), else
    updated in Slack once it is there (its lease ran out first)."""
    text, blocks = build_request_message(requested.view, services.framework, permalink=requested.permalink)
    outbox.release(requested.copies, session=session, text=text, blocks=blocks)
    update_copies(session, services, requested.view, permalink=requested.permalink)
