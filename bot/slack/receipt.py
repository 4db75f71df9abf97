"""Every request is recorded in the inbox before anything acts on it: replays are answered once, and when the
database cannot take the record the person is told so (and Slack resends events later)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from bot.slack import failures
from bot.slack.incoming import kind_of
from storage import inbox

logger = logging.getLogger(__name__)


def _inbox_key(body: dict, request: BoltRequest) -> str | None:
    """An event's id (Slack's retries of it carry new headers), else the request's signature, which a replay
    repeats; None in Socket Mode, where only events are resent."""
    if kind_of(body) == "event_callback":
        return body.get("event_id")
    return request.headers.get("x-slack-signature", [None])[0]


def record_first(services: Services, executor: Executor) -> Callable:
    """Bolt middleware: store the request's key before it is acknowledged; a key stored already is a replay."""

    def record(body: dict, request: BoltRequest, context: BoltContext, next):  # noqa: A002 (Bolt's name)
        key = _inbox_key(body, request)
        if key is None:
            return next()
        kind = kind_of(body)
        try:
            with services.session() as session:
                first = inbox.record(key=key, kind=kind, session=session)
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().partition("\n")[0]
            logger.error("Could not record a request (%s), so it was not acted on: %s", kind, reason)
            return _not_saved(kind, body, context, executor)
        if not first:
            logger.info("A request (%s) arrived again and was answered once", kind)
            return BoltResponse(status=200, body="")
        return next()

    return record


def _not_saved(kind: str, body: dict, context: BoltContext, executor: Executor) -> BoltResponse:
    """The answer when nothing could be stored: Slack resends events; a person is told, and a form keeps its input."""
    if kind == "event_callback":
        return BoltResponse(status=503, body="")  # Slack resends it; the inbox then counts it once
    if kind == "command":
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": failures.NOT_SAVED})
    block_id = _first_input_block(body) if kind == "view_submission" else None
    if block_id:
        return BoltResponse(status=200, body={"response_action": "errors", "errors": {block_id: failures.NOT_SAVED}})
    if kind != "view_closed":  # a closed form had nothing to save
        executor.submit(failures.tell, failures.NOT_SAVED, context, body)
    return BoltResponse(status=200, body="")


def _first_input_block(body: dict) -> str | None:
    blocks = (body.get("view") or {}).get("blocks") or []
    return next((b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("type") == "input"), None)
