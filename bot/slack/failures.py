"""Turning failures into words a person can act on; unexpected ones get a reference for the log."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable

from slack_bolt import BoltContext

from bot.errors import MrkdwnError, UserFacingError
from bot.slack import delivery
from bot.text import from_plain

logger = logging.getLogger(__name__)
NOT_SAVED = "I could not save that; please try again in a minute."  # only where nothing was stored


def message_for(error: Exception) -> str:
    if isinstance(error, MrkdwnError):
        return str(error)  # written by us in mrkdwn, names already escaped
    if isinstance(error, UserFacingError):
        return from_plain(str(error))
    ref = uuid.uuid4().hex[:8]
    logger.error("Unexpected error (ref %s)", ref, exc_info=error)
    return f"Sorry, something went wrong on my side (ref `{ref}`); please try again."


def report(error: Exception, context: BoltContext, body: dict | None = None) -> None:
    """Tell the person who acted what went wrong."""
    tell(message_for(error), context, body)


def tell(text: str, context: BoltContext, body: dict | None = None) -> None:
    """Tell the person who acted: an ephemeral reply where Slack gave a response_url, else ephemeral or DM."""
    if context.response_url:
        context.respond(text=text, response_type="ephemeral", replace_original=False)
        return
    if context.user_id:
        event = (body or {}).get("event") or {}
        delivery.tell(context.client, user=context.user_id, channel=context.channel_id, text=text,
                      thread_ts=event.get("thread_ts"))


def handle_error(error: Exception, body: dict, context: BoltContext) -> None:
    """Bolt's global error handler: failures before a listener ran (middleware, matching)."""
    report(error, context, body)


def reports_errors(listener: Callable) -> Callable:
    """Wrap a listener so a failure after its ack is reported by it, not by Bolt.

    When a listener raises soon after ack(), Bolt's thread runner resets the ack it already sent,
    holds the HTTP response for the 3-second ack timeout and then runs the next matching listener.
    """

    @functools.wraps(listener)
    def run(**kwargs):
        context: BoltContext = kwargs["context"]
        try:
            return listener(**kwargs)
        except Exception as error:
            if context.ack.response is None:
                context.ack()
            report(error, context, kwargs.get("body"))
            return None

    return run
