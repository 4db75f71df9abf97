"""What arrives on POST /slack/events: verified against the app's clock first, then read just enough to hand Bolt."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.clock import Clock

STORED_AS = "inbox_key"  # context: the inbox key of a request stored for its listener to act on
RESUMED = "resumed_inbox_key"  # request context: a stored request handed to the app again by the inbox sweep
WINDOW_SECONDS = 5 * 60  # how far a request's timestamp may be from now (SignatureVerifier's own limit)
TIMESTAMP = re.compile(r"[0-9]{1,15}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
EVENT_ID = re.compile(r"[A-Za-z0-9]{1,100}")
NEEDS: dict[str, dict[str, type]] = {  # what each kind Slack sends carries, by path; strings are never empty
    "command": {"command": str, "team_id": str, "user_id": str, "trigger_id": str},
    "block_actions": {"team.id": str, "user.id": str, "actions.0.action_id": str},
    "view_submission": {"team.id": str, "user.id": str, "view.id": str, "view.type": str, "view.callback_id": str,
                        "view.state.values": dict},
    "view_closed": {"team.id": str, "user.id": str, "view.id": str, "view.type": str, "view.callback_id": str},
    "shortcut": {"team.id": str, "user.id": str},
    "message_action": {"team.id": str, "user.id": str},
    "block_suggestion": {"team.id": str, "user.id": str},
    "event_callback": {"team_id": str, "event_id": str, "event.type": str},
    "url_verification": {"challenge": str},
    "ssl_check": {},
}


class Unverified(Exception):
    """Not signed with the app's secret within five minutes of the app's clock: refused with 401."""


class Malformed(Exception):
    """Signed, but not a request Slack sends: refused with 400."""


class _EpochSeconds:
    """The app's clock read the way SignatureVerifier reads one: seconds since the epoch."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.now().timestamp()


def verifier(secret: str, clock: Clock) -> SignatureVerifier:
    """Slack's signature check, reading the app's one clock."""
    return SignatureVerifier(secret, clock=_EpochSeconds(clock))


def read(body: bytes, headers: Mapping[str, str], check: SignatureVerifier) -> BoltRequest:
    """The request for Bolt, from a body and headers (names in lower case); Unverified or Malformed if it is none."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (TIMESTAMP.fullmatch(timestamp) and SIGNATURE.fullmatch(signature)):
        raise Unverified("a missing or malformed timestamp or signature header")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Unverified("a body that is not UTF-8") from None
    if not check.is_valid(text, timestamp, signature):
        stale = abs(check.clock.now() - int(timestamp)) > WINDOW_SECONDS
        raise Unverified("a stale timestamp" if stale else "a wrong signature")
    try:
        request = BoltRequest(body=text, headers=dict(headers))
    except Exception as error:  # whatever Bolt cannot read (not JSON, not an object, odd types) Slack did not send
        raise Malformed(f"unreadable body ({type(error).__name__})") from None
    kind = kind_of(request.body)
    if kind not in NEEDS:
        raise Malformed("a kind of request the app does not take")
    missing = [path for path, wanted in NEEDS[kind].items() if not _has(request.body, path, wanted)]
    if kind == "event_callback" and not missing and not EVENT_ID.fullmatch(request.body["event_id"]):
        missing.append("event_id")
    if missing:
        raise Malformed(f"{kind} without {', '.join(missing)}")
    return request


def kind_of(body: dict) -> str:
    """command, ssl_check, or the payload's type (block_actions, view_submission, event_callback, ...)."""
    if "command" in body:
        return "command"
    if body.get("ssl_check") == "1":
        return "ssl_check"
    kind = body.get("type")
    return kind if isinstance(kind, str) else ""


def sender(body: dict) -> str | None:
    """Who sent the request, as "team:user" (for an edited or deleted message, whose it was); None for an event no
    person sent."""
    if kind_of(body) == "command":
        team, user = body.get("team_id"), body.get("user_id")
    elif kind_of(body) == "event_callback":
        event = body.get("event") or {}
        message = event.get("message") or event.get("previous_message") or {}
        team, user = body.get("team_id"), event.get("user") or message.get("user")
    else:
        team, user = (body.get("team") or {}).get("id"), (body.get("user") or {}).get("id")
    return f"{team}:{user}" if isinstance(user, str) and user else None


def _has(body: dict, path: str, wanted: type) -> bool:
    value: Any = body
    for step in path.split("."):
        if isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        elif isinstance(value, dict):
            value = value.get(step)
        else:
            return False
    return isinstance(value, wanted) and value != ""
