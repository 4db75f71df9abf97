"""Replies in a review thread: evidence, written answers, notes."""

from __future__ import annotations

from slack_bolt import App
from sqlmodel import select

from bot.domain.answering import reply
from bot.services import Services
from bot.slack import conversation
from bot.slack.authorization import authorize_thread_reply
from bot.slack.failures import reports_errors
from storage.models import Review

HUMAN_SUBTYPES = {None, "file_share", "thread_broadcast"}


def is_human_thread_reply(event: dict) -> bool:
    """A person's reply in a thread: never the bot's own or any other bot's message, never an edit."""
    return (
        event.get("subtype") in HUMAN_SUBTYPES
        and not event.get("bot_id")
        and not event.get("bot_profile")
        and bool(event.get("user"))
        and bool(event.get("thread_ts"))
        and event.get("thread_ts") != event.get("ts")
    )


def handle_message(event: dict, client, context) -> None:
    """A reply in a review's thread; a retried event never gets here twice (the inbox keeps its event_id)."""
    if not is_human_thread_reply(event):
        return
    services: Services = context["services"]
    with services.session() as session:
        review_id = session.exec(
            select(Review.id).where(Review.channel_id == event["channel"], Review.thread_ts == event["thread_ts"])
        ).first()
    if review_id is None:
        return
    authorize_thread_reply(context, event, review_id=review_id)
    with services.session() as session:
        step = reply(review_id, event.get("text") or "", user_id=event["user"], session=session,
                     framework=services.framework)
    if step is not None:
        conversation.show_step(client, step, services, user_id=event["user"])


def register(app: App) -> None:
    app.event("message")(reports_errors(handle_message))
