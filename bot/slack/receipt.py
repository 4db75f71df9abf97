"""Every request is stored in the inbox before it is acknowledged: replays are answered once, what was acknowledged
is acted on even after a crash, and when the database cannot take it the person is told so (and Slack resends
events later)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from bot.slack import failures, interactions
from bot.slack.incoming import RESUMED, STORED_AS, kind_of
from bot.slack.lifecycle import ListenerPool
from storage import inbox
from storage.db import writing_promptly

logger = logging.getLogger(__name__)
ANSWERED_IN_ACK = {"block_suggestion", "view_closed"}  # nothing to act on after the acknowledgement
ACKED_ONCE_STORED = {"event_callback", "block_actions", "command"}  # their acknowledgement never carries anything
BOLTS_OWN_EVENTS = {"app_uninstalled", "tokens_revoked"}  # acted on by Bolt's listeners, which keep no inbox


def _inbox_key(body: dict, request: BoltRequest) -> str | None:
    """An event's id (Slack's retries of it carry new headers), else the request's signature, which a replay
    repeats; in Socket Mode (no signature) the interaction's trigger_id."""
    if kind_of(body) == "event_callback":
        return body.get("event_id")
    return request.headers.get("x-slack-signature", [None])[0] or body.get("trigger_id")


def record_first(services: Services, executor: ListenerPool, app: App,
                 wake_worker: Callable[[], None] | None = None) -> Callable:
    """Bolt middleware: store the request before it is acknowledged (with the others arriving at once), and tell its
    listener under which key; a key stored already is a replay. A request the inbox sweep hands back is stored
    already.

    An event, a click or a command is acknowledged as soon as it is stored, so its acknowledgement waits for no
    listener thread and no other work (the bot answers a command through its response_url). It is then acted on in
    the order they arrived, each person's one after another: with `wake_worker`, by the inbox worker, another
    process, which that call wakes (bot/slack/inbox_worker.py); without, handed to the app again by the executor's
    dispatch thread (as the sweep hands a request on). A form's acknowledgement can carry its errors, so a form goes
    on to its listener here."""

    recorder = inbox.Recorder(partial(writing_promptly, services.engine), services.clock)

    def record(body: dict, request: BoltRequest, context: BoltContext, next):  # noqa: A002 (Bolt's name)
        if context.get(RESUMED):
            context[STORED_AS] = context[RESUMED]
            interactions.arrived(context, body, context[RESUMED])
            return next()
        key = _inbox_key(body, request)
        interactions.arrived(context, body, key)
        if key is None:
            return next()
        kind = kind_of(body)
        # as Slack sent it (a Socket Mode request has no raw body)
        payload = None if _answered_at_once(kind, body) else (request.raw_body or json.dumps(body))
        try:
            first = recorder.record(key=key, kind=kind, body=payload,
                                    claimed=not (wake_worker and kind in ACKED_ONCE_STORED))
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().partition("\n")[0]
            logger.error("Could not record a request (%s), so it was not acted on: %s", kind, reason)
            interactions.log(context, interactions.Outcome.ERROR)
            return _not_saved(kind, body, context, executor)
        if not first:
            interactions.log(context, interactions.Outcome.REPLAY)  # a replay, or a retry of an event received
            return BoltResponse(status=200, body="")
        if payload is None:
            return next()
        if kind in ACKED_ONCE_STORED and wake_worker:
            wake_worker()
            return BoltResponse(status=200, body="")
        if kind in ACKED_ONCE_STORED:
            executor.dispatch.submit(executor.act_in_order, app, BoltRequest(body=payload, context={RESUMED: key}))
            return BoltResponse(status=200, body="")
        context[STORED_AS] = key
        return next()

    return record


def _answered_at_once(kind: str, body: dict) -> bool:
    return kind in ANSWERED_IN_ACK or (body.get("event") or {}).get("type") in BOLTS_OWN_EVENTS


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
