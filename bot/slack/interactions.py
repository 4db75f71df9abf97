"""One log line per interaction: a request from Slack acted on by a listener, or answered at once as a replay.

The line says which request (a short hash of its inbox key, never the key: a signature), its kind, what it was
(a subcommand, action, form or event type, never words a person typed), the team and user, the outcome and how
long it took from its arrival. Plain `key=value` text, and the same fields as JSON with LOG_FORMAT=json.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from slack_bolt import BoltContext

from bot.slack.incoming import kind_of

logger = logging.getLogger("bot.interactions")
ARRIVAL = "interaction"  # context: the Arrival of the request being acted on


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"  # the person was told why not (not allowed, not found, not valid)
    ERROR = "error"
    REPLAY = "replay"
    ALREADY_PROCESSED = "already-processed"  # by another process, or before a restart
    KEPT = "kept-for-retry"  # the database failed: the stored request is acted on again by the inbox sweep


@dataclass
class Arrival:
    request_id: str
    kind: str = ""
    what: str = ""
    started: float = field(default_factory=time.perf_counter)


def arrived(context: BoltContext, body: dict, key: str | None) -> None:
    """Note a request as it arrives, under the id its inbox key gives it (a random one when it has none)."""
    request_id = hashlib.sha256(key.encode()).hexdigest()[:12] if key else uuid.uuid4().hex[:12]
    context[ARRIVAL] = Arrival(request_id, kind_of(body), _what(body))


def described_as(context: BoltContext, what: str) -> None:
    """What the request was, as its listener understood it (e.g. a command's subcommand, from the text typed)."""
    if arrival := context.get(ARRIVAL):
        arrival.what = what


def log(context: BoltContext, outcome: Outcome) -> None:
    arrival = context.get(ARRIVAL) or Arrival(uuid.uuid4().hex[:12])
    fields = {"request_id": arrival.request_id, "kind": arrival.kind, "what": arrival.what,
              "team": context.team_id or "", "user": context.user_id or "", "outcome": str(outcome),
              "duration_ms": round((time.perf_counter() - arrival.started) * 1000)}
    logger.info("interaction " + " ".join(f"{name}={_plain(value)}" for name, value in fields.items()), extra=fields)


def _what(body: dict) -> str:
    """The ids Slack or the app chose: a command's name (its text is typed), action, form or event type."""
    kind = kind_of(body)
    if kind == "command":
        return str(body.get("command", ""))
    if kind == "block_actions":
        return str(((body.get("actions") or [{}])[0]).get("action_id", ""))
    if kind in ("view_submission", "view_closed"):
        return str((body.get("view") or {}).get("callback_id", ""))
    if kind == "event_callback":
        event = body.get("event") or {}
        return "/".join(str(part) for part in (event.get("type"), event.get("subtype")) if part)
    return str(body.get("action_id") or body.get("callback_id") or "")  # block_suggestion, shortcuts


def _plain(value: object) -> str:
    text = str(value)
    return f'"{text}"' if not text or " " in text else text
