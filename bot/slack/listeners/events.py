"""Replies in a review thread (evidence, written answers, notes), and their edits and deletions."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App
from sqlmodel import select

from bot.domain import reply_edits
from bot.domain.answering import Step, reply
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


def _new(review_id: int, message: dict, **kwargs) -> Step | None:
    return reply(review_id, message.get("text") or "", message_ts=message["ts"], **kwargs)


def _edited(review_id: int, message: dict, **kwargs) -> Step | None:
    return reply_edits.edit(review_id, message["ts"], message.get("text") or "", **kwargs)


def _deleted(review_id: int, message: dict, **kwargs) -> Step | None:
    return reply_edits.delete(review_id, message["ts"], **kwargs)


REVISIONS = {"message_changed": ("message", _edited), "message_deleted": ("previous_message", _deleted)}


def parse(event: dict) -> tuple[dict, Callable[..., Step | None]] | None:
    """The person's thread reply the event is about (as it reads now; as it read, when deleted), with what to do."""
    if is_human_thread_reply(event):
        return event, _new
    where, act = REVISIONS.get(event.get("subtype"), (None, None))
    message = {**(event.get(where) or {}), "channel": event.get("channel")} if where else {}
    unchanged = where == "message" and message.get("text") == (event.get("previous_message") or {}).get("text")
    return (message, act) if is_human_thread_reply(message) and not unchanged else None  # unchanged: an unfurl


def handle_message(event: dict, client, context) -> None:
    """A reply in a review's thread, or an edit or deletion of one; a retried event never gets here twice (the
    inbox keeps its event_id)."""
    parsed = parse(event)
    if parsed is None:
        return
    message, act = parsed
    services: Services = context["services"]
    with services.reading() as session:
        review_id = session.exec(
            select(Review.id).where(Review.channel_id == message["channel"], Review.thread_ts == message["thread_ts"])
        ).first()
    if review_id is None:
        return
    authorize_thread_reply(context, message, review_id=review_id)
    with services.session() as session:
        step = act(review_id, message, user_id=message["user"], session=session, framework=services.framework)
        if step is not None:
            conversation.write_step(session, step, services, user_id=message["user"])
    if step is not None:
        conversation.after_step(client, step, services, user_id=message["user"])


def register(app: App) -> None:
    app.event("message")(reports_errors(handle_message))
