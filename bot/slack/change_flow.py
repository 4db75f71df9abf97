"""In Slack, after a change of risk tier or go/no-go date, or a go / no-go decision: tell the team channel, take the
buttons off a request that went stale, and carry the review on with the questions the new tier asks."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.domain import approvals
from bot.domain.changes import Change
from bot.domain.go_decisions import Recorded
from bot.domain.progress import ReviewState
from bot.services import Services
from bot.slack import approval_flow, conversation, home_flow
from bot.slack.blocks.decisions import build_change_announcement, build_decision_announcement
from storage import outbox
from storage.models import Initiative, RequestStatus


def announce_change(client: WebClient, services: Services, change: Change) -> None:
    _to_channel(services, change.initiative, build_change_announcement(change, services.framework, services.policy))
    _carry_on(client, services, change)
    home_flow.refresh(client, services, change.initiative.id)


def _to_channel(services: Services, initiative: Initiative, text: str) -> None:
    with services.session() as session:
        outbox.post(session, conversation=initiative.channel_id, text=text, workspace_id=initiative.workspace_id)


def announce_decision(client: WebClient, services: Services, recorded: Recorded) -> None:
    with services.reading() as session:
        newest = approvals.newest_request(recorded.initiative, session=session)
    approved = newest is not None and newest.status == RequestStatus.APPROVED
    _to_channel(services, recorded.initiative,
                build_decision_announcement(recorded, services.framework, services.policy, release_approved=approved))
    if recorded.change is not None:
        _carry_on(client, services, recorded.change)
    home_flow.refresh(client, services, recorded.initiative.id, recorded.decision.recorded_by)


def _carry_on(client: WebClient, services: Services, change: Change) -> None:
    """Update every copy of a request that went stale; ask the question the review now waits on, or post the
    summary when the change left nothing to ask."""
    if change.stale is not None:
        approval_flow.refresh(client, services, change.stale.id)
    if change.ask is None and not change.completed:
        return
    with services.reading() as session:
        state = ReviewState.load(change.review_id, session=session, framework=services.framework)
    if change.completed:
        conversation.post_summary(client, state, services)
        return
    with services.session() as session:
        if state.review.thread_ts and change.back:
            tier = services.framework.tier_info(change.new_tier).label
            count = len(change.back)
            conversation.in_thread(session, state, f"🔁 The risk tier is now {tier}: {count} question"
                                   f"{'s' if count != 1 else ''} it asks and nobody answered yet follow here, one at "
                                   "a time.")
        conversation.ask_current(session, state, services.framework)
