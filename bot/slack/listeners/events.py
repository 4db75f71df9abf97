"""Replies in a review thread (evidence, written answers), and their edits and deletions; messages to the bot in a DM
that holds a person's questions."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot.app import answer, change_answer
from bot.services import Services
from bot.domain.access import Attempt
from bot.slack.authorization import authorize, authorize_thread_reply
from bot.slack.conversation import Where
from bot.slack.failures import reports_errors

HUMAN_SUBTYPES = {None, "file_share", "thread_broadcast"}


def is_human(event: dict) -> bool:
    """A person's new message: never the bot's own or any other bot's message, never an edit."""
    return (event.get("subtype") in HUMAN_SUBTYPES and not event.get("bot_id") and not event.get("bot_profile")
            and bool(event.get("user")))


def is_human_thread_reply(event: dict) -> bool:
    """A person's reply in a thread."""
    return is_human(event) and bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")


def _said(message: dict) -> str:
    """A message's text, with a link to each file shared in it (a shared file is evidence like a link)."""
    files = [f"<{f['permalink']}|{f.get('name') or 'file'}>" for f in message.get("files") or [] if f.get("permalink")]
    return " ".join([message.get("text") or "", *files]).strip()


def _new(client, services: Services, review_id: int, message: dict, where: Where | None) -> None:
    answer.reply(client, services, review_id=review_id, user_id=message["user"], text=_said(message), ts=message["ts"],
                 where=where)


def _edited(client, services: Services, review_id: int, message: dict, where: Where | None) -> None:
    change_answer.edited_reply(client, services, review_id=review_id, user_id=message["user"], ts=message["ts"],
                               text=message.get("text") or "", where=where)


def _deleted(client, services: Services, review_id: int, message: dict, where: Where | None) -> None:
    change_answer.deleted_reply(client, services, review_id=review_id, user_id=message["user"], ts=message["ts"],
                                where=where)


REVISIONS = {"message_changed": ("message", _edited), "message_deleted": ("previous_message", _deleted)}


def parse(event: dict) -> tuple[dict, Callable[..., None]] | None:
    """The person's message the event is about (as it reads now; as it read, when deleted), with what to do: a reply
    in a thread, or any message of theirs in a DM with the bot."""
    wanted = is_human if event.get("channel_type") == "im" else is_human_thread_reply
    if wanted(event):
        return event, _new
    where, act = REVISIONS.get(event.get("subtype"), (None, None))
    message = {**(event.get(where) or {}), "channel": event.get("channel")} if where else {}
    unchanged = where == "message" and message.get("text") == (event.get("previous_message") or {}).get("text")
    return (message, act) if wanted(message) and not unchanged else None  # unchanged: an unfurl


def handle_message(event: dict, client, context) -> None:
    """A reply in a review's thread, or an edit or deletion of one, or a message in a DM with the bot; a retried event
    never gets here twice (the inbox keeps its event_id)."""
    parsed = parse(event)
    if parsed is None:
        return
    message, act = parsed
    services: Services = context["services"]
    if event.get("channel_type") == "im":  # for the newest review that sent them their questions there
        review_id = answer.review_in_dm(services, channel_id=message["channel"], user_id=message["user"])
        if review_id is not None:
            authorize(context, Attempt.ANSWER, review_id=review_id)
            act(client, services, review_id, message, (message["channel"], message.get("thread_ts")))
        return
    review_id = answer.review_in_thread(services, channel_id=message["channel"], thread_ts=message["thread_ts"])
    if review_id is None:
        return
    authorize_thread_reply(context, message, review_id=review_id)
    act(client, services, review_id, message, None)


def register(app: App) -> None:
    app.event("message")(reports_errors(handle_message))
