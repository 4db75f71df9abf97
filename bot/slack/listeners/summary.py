"""The summary's buttons: the preview's Post to channel (/readiness summary shows the preview), and Full list, which
opens every condition in a modal."""

from __future__ import annotations

from collections.abc import Sequence

from slack_bolt import App

from bot.app import summary as summary_use_case
from bot.domain import go_decisions
from bot.domain.access import Attempt
from bot.domain.progress import ReviewState
from bot.domain.summary import Summary, summarize
from bot.errors import NotFoundError
from bot.services import Services
from bot.slack.authorization import authorize
from bot.slack.blocks import summary as blocks
from bot.slack.failures import reports_errors
from bot.slack.ids import Action
from storage.models import GoDecision

STALE_BUTTON = "That button no longer matches a review. Try `/readiness summary <name>`."


def read_summary(services: Services, review_id: int) -> tuple[Summary, Sequence[GoDecision], str]:
    """The review's summary, its go / no-go decisions (newest first) and its team channel, as stored now."""
    with services.reading() as session:
        state = ReviewState.load(review_id, session=session, framework=services.framework)
        decisions = go_decisions.history(state.initiative.id, session=session)
    return summarize(state), decisions, state.review.channel_id


def preview(services: Services, review_id: int) -> tuple[str, list[dict]]:
    """The summary as only the person sees it, with Post to channel."""
    summary, decisions, _ = read_summary(services, review_id)
    return blocks.build_summary_preview(summary, services.framework, decisions=decisions)


def _review_id(action: dict) -> int:
    value = action.get("value") or ""
    if not value.isdigit():
        raise NotFoundError(STALE_BUTTON)
    return int(value)


def handle_post(ack, body: dict, action: dict, client, respond, context) -> None:
    """Post the summary to the team channel (or update the posted one in place); the preview becomes one line."""
    ack()
    services: Services = context["services"]
    review_id = _review_id(action)
    authorize(context, Attempt.SUMMARY, review_id=review_id)
    summary_use_case.post(client, services, review_id=review_id, also=(body["user"]["id"],))
    summary, _, channel_id = read_summary(services, review_id)
    respond(text=blocks.build_posted_notice(summary, channel_id), replace_original=True)


def handle_full_list(ack, body: dict, action: dict, client, context) -> None:
    ack()
    services: Services = context["services"]
    review_id = _review_id(action)
    authorize(context, Attempt.SUMMARY, review_id=review_id)
    summary, _, _ = read_summary(services, review_id)
    client.views_open(trigger_id=body["trigger_id"], view=blocks.build_full_list(summary, services.framework))


def register(app: App) -> None:
    app.action(Action.POST_SUMMARY)(reports_errors(handle_post))
    app.action(Action.SUMMARY_FULL_LIST)(reports_errors(handle_full_list))
