"""Turning failures into words a person can act on; unexpected ones get a reference for the log."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable

from slack_bolt import BoltContext
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import MrkdwnError, UserFacingError
from bot.slack import delivery, interactions
from bot.slack.interactions import Outcome
from bot.slack.incoming import STORED_AS
from bot.text import from_plain
from storage import inbox

logger = logging.getLogger(__name__)
NOT_SAVED = "I could not save that; please try again in a minute."  # only where nothing was stored
KEPT = ("The database did not answer, so that is not done yet. I kept what you sent and will finish it once the "
        "database is back; there is no need to send it again.")
FORM_EXPIRED = "Slack waited too long for me to open that form. Please click or run the command again."


def message_for(error: Exception) -> str:
    if isinstance(error, MrkdwnError):
        return str(error)  # written by us in mrkdwn, names already escaped
    if isinstance(error, UserFacingError):
        return from_plain(str(error))
    if isinstance(error, SQLAlchemyError):
        reason = str(getattr(error, "orig", None) or error).strip().partition("\n")[0]
        logger.error("The database failed while acting on a stored request: %s", reason)
        return KEPT
    if isinstance(error, SlackApiError) and error.response.get("error") == "expired_trigger_id":
        return FORM_EXPIRED
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
    interactions.log(context, Outcome.ERROR)


def reports_errors(listener: Callable) -> Callable:
    """Wrap a listener: it acts on its stored request once, and a failure after its ack is reported by it, not Bolt.

    The request is marked processed by the listener's first change, in that change's transaction (storage/inbox.py),
    or after the listener when it changed nothing; when the database failed it stays stored, for the inbox sweep.
    Each run logs one line with the request's outcome (bot/slack/interactions.py).
    When a listener raises soon after ack(), Bolt's thread runner resets the ack it already sent, holds the HTTP
    response for the 3-second ack timeout and then runs the next matching listener: so nothing is raised to Bolt.
    """

    @functools.wraps(listener)
    def run(**kwargs):
        context: BoltContext = kwargs["context"]
        key = context.get(STORED_AS)
        with inbox.processing(key) as current:
            outcome = _act(listener, kwargs, context)
        if current is not None and not current.settled and outcome is not Outcome.KEPT and not _settle(context, key):
            outcome = Outcome.KEPT
        interactions.log(context, outcome)

    return run


def _act(listener: Callable, kwargs: dict, context: BoltContext) -> Outcome:
    """Run the listener; KEPT when the database failed it, so its stored request is acted on again later."""
    try:
        listener(**kwargs)
        return Outcome.OK
    except inbox.AlreadyProcessed:  # before a restart, or by another process: left as it was
        outcome, error = Outcome.ALREADY_PROCESSED, None
    except Exception as failure:
        outcome, error = _outcome_of(failure), failure
    if context.ack.response is None:
        context.ack()
    if error is not None:
        report(error, context, kwargs.get("body"))
    return outcome


def _outcome_of(error: Exception) -> Outcome:
    if isinstance(error, SQLAlchemyError):
        return Outcome.KEPT
    return Outcome.REFUSED if isinstance(error, UserFacingError) else Outcome.ERROR


def _settle(context: BoltContext, key: str) -> bool:
    """Mark a request that changed nothing as processed; False when the database failed (the sweep acts on it again)."""
    try:
        with context["services"].session() as session:
            inbox.settle(key, session=session)
        return True
    except SQLAlchemyError:
        logger.warning("Could not mark a request processed; it will be acted on again by the inbox sweep")
        return False
