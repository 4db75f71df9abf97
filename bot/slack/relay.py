"""The outbox relay: delivers the messages units of work wrote (storage/outbox.py) once they have committed.

Each message is claimed in a short transaction, sent with no transaction open, then recorded with the ts Slack gave.
A post carries its outbox id in the message's metadata: a delivery cut short after Slack took the post (a crash, a
lost answer) is found in the conversation's history when the message is claimed again, instead of posted twice.
Rate limits wait for Retry-After (the client's retry handler); 5xx and lost connections are retried after a pause,
by the next delivery or sweep; a refusal for good (no such channel, not in it) is given up on and the person who
caused it is told. New messages to one conversation go out at most one per `interval` (Slack allows about one a
second per channel).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection
from datetime import timedelta
from weakref import WeakKeyDictionary

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.services import Services
from bot.slack import delivery
from bot.slack.installations import Workspaces
from storage import outbox
from storage.models import OutboxMessage

logger = logging.getLogger(__name__)
METADATA_TYPE = "readiness_outbox"
BATCH = 20
HISTORY_PAGE = 200  # how far back a cut-short post is looked for
RATE_LIMIT_RETRIES = 3
POST_INTERVAL = 1.0  # seconds between new messages to one conversation (Slack: about one a second per channel)
PACED = {"post", "ephemeral", "upload"}  # the kinds that are new messages (an update is not)


class Passing(Exception):
    """Slack could not take the message now (5xx, 429 after its retries, no connection): try again later."""


class Pacer:
    """When each conversation may next get a new message, so that they reach it at least `interval` apart."""

    def __init__(self) -> None:
        self._next: dict[tuple[int | None, str], float] = {}
        self._lock = threading.Lock()

    def wait(self, workspace_id: int | None, conversation: str, interval: float) -> None:
        """Wait for the conversation's turn, and book the next one `interval` later (the wait itself holds no
        lock: other conversations go on)."""
        key = (workspace_id, conversation)
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next.get(key, now))
            self._next[key] = turn + interval
        if turn > now:
            time.sleep(turn - now)


_PACERS: WeakKeyDictionary[WebClient, Pacer] = WeakKeyDictionary()  # one per app client: its process's pace
_POSTERS: WeakKeyDictionary[WebClient, WebClient] = WeakKeyDictionary()  # each client's _without_blind_retries


def deliver(client: WebClient, services: Services, *, mine: Collection[int] = (), most: int = 500,
            interval: float = POST_INTERVAL, lease: timedelta = outbox.LEASE) -> list[tuple[str, str]]:
    """Deliver what is waiting in the outbox (about `most` messages at most), new messages to one conversation at
    least `interval` seconds apart; a message another relay claimed is left to it for `lease`. For the messages
    `mine` (the caller's) that Slack refused for good: where each was going and what to tell the caller's person;
    the other messages' people are told here.

    Each round claims a batch in one transaction, sends it with none open, and records what became of it in one."""
    workspaces, done, refusals = Workspaces(client, services), 0, []
    pacer = _PACERS.setdefault(client, Pacer())

    def client_for(workspace_id: int | None) -> WebClient | None:
        return workspaces.client(workspace_id) if workspace_id else client

    while done < most:
        with services.reading() as session:
            if not outbox.any_claimable(session=session, lease=lease):
                break
        with services.session(deliver=False) as session:
            claimed = outbox.claim(limit=BATCH, session=session, lease=lease)
            roots = {m.id: outbox.thread_of(m, session=session) for m in claimed}
        sent = []
        for message in claimed:
            if message.kind in PACED:
                pacer.wait(message.workspace_id, message.conversation, interval)
            sent.append((message, _send_one(client_for(message.workspace_id), message, roots[message.id])))
        with services.session(deliver=False) as session:  # a refused upload's update waits for the next round
            for message, outcome in sent:
                _record(message, outcome, session, lease)
        for message, outcome in sent:
            explained = _refusal(client_for(message.workspace_id), message, outcome, tell=message.id not in mine)
            if explained and message.id in mine:
                refusals.append((message.conversation, explained))
        done += len(claimed) or most
    return refusals


def _send_one(client: WebClient | None, message: OutboxMessage, root: OutboxMessage | None):
    """Send one message: (channel, ts) once Slack took it, else the Passing or _Refused that stopped it."""
    try:
        if client is None:
            raise _Refused("not_installed")
        if root is not None and root.ts is None:
            raise _Refused("thread_not_posted")
        if message.kind == "update" and message.target_ts is None:  # of an outbox post, where it was delivered
            return _send(client, message, thread_ts=None, target=(root.channel, root.ts))
        return _send(client, message, thread_ts=message.thread_ts or (root.ts if root else None))
    except (Passing, _Refused) as stopped:
        return stopped


def _record(message: OutboxMessage, outcome, session, lease: timedelta) -> None:
    if isinstance(outcome, Passing):
        logger.warning("Slack could not take outbox message %s now (%s); trying again shortly", message.id, outcome)
        outbox.retry_later(message.id, session=session, lease=lease)
    elif isinstance(outcome, _Refused):
        logger.warning("Outbox message %s to %s given up: %s", message.id, message.conversation, outcome.code)
        outbox.give_up(message.id, outcome.code, session=session)
    else:
        channel, ts = outcome
        outbox.delivered(message.id, channel=channel, ts=ts, session=session)


class _Refused(Exception):
    """Slack refuses the message for good."""

    def __init__(self, code: str, error: SlackApiError | None = None) -> None:
        super().__init__(code)
        self.code, self.error = code, error


def _send(client: WebClient, message: OutboxMessage, *, thread_ts: str | None,
          target: tuple[str, str] | None = None) -> tuple[str, str | None]:
    """Send it (an update to `target`, a channel and ts, when given); where it went and its ts. Raises Passing or
    _Refused."""
    try:
        if message.kind == "update":
            channel, ts = target or (message.conversation, message.target_ts)
            client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
            return channel, ts
        if message.kind == "upload":
            _without_blind_retries(client).files_upload_v2(channel=message.conversation, file=message.file,
                                                           filename=message.filename, title=message.title)
            return message.conversation, None
        if message.kind == "ephemeral":
            delivery.tell(client, user=message.user_id, channel=message.conversation, text=message.text,
                          thread_ts=thread_ts)
            return message.conversation, None
        channel = _channel(client, message.conversation)
        found = _posted_already(client, message, channel=channel, thread_ts=thread_ts) if message.attempts > 1 else None
        if found:
            return channel, found
        posted = _without_blind_retries(client).chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts,
            unfurl_links=False, unfurl_media=False,
            metadata={"event_type": METADATA_TYPE, "event_payload": {"outbox_id": message.id}})
        return channel, posted["ts"]
    except SlackApiError as error:
        status = getattr(error.response, "status_code", 200)
        code = error.response.get("error", "unknown_error") if status < 500 else f"http_{status}"
        if status >= 500 or code in {"ratelimited", "internal_error", "fatal_error", "request_timeout",
                                     "service_unavailable"}:
            raise Passing(code) from error
        raise _Refused(code, error) from error
    except OSError as error:  # no connection, a timeout
        raise Passing(type(error).__name__) from error


def _without_blind_retries(client: WebClient) -> WebClient:
    """The client for posting (made once per client): it waits out a 429 (Slack took nothing), but a 5xx or a lost
    connection is not retried blindly, as Slack may have posted it: the next attempt looks for it first."""
    poster = _POSTERS.get(client)
    if poster is None:
        poster = _POSTERS.setdefault(client, WebClient(
            token=client.token, base_url=client.base_url, timeout=client.timeout, logger=client.logger,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]))
    return poster


def _channel(client: WebClient, conversation: str) -> str:
    """A channel's id as it is; a person's DM with the bot, opened."""
    if conversation.startswith(("U", "W")):
        return client.conversations_open(users=conversation)["channel"]["id"]
    return conversation


def _posted_already(client: WebClient, message: OutboxMessage, *, channel: str, thread_ts: str | None) -> str | None:
    """The ts of this message if an earlier delivery posted it (found by the outbox id in its metadata)."""
    try:
        if thread_ts:
            page = client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True,
                                                limit=HISTORY_PAGE)
        else:
            page = client.conversations_history(channel=channel, include_all_metadata=True, limit=HISTORY_PAGE)
    except SlackApiError as error:
        logger.info("Could not look for outbox message %s in %s (%s); posting it", message.id, channel,
                    error.response.get("error"))
        return None
    for found in page.get("messages") or []:
        metadata = found.get("metadata") or {}
        if (metadata.get("event_type") == METADATA_TYPE
                and (metadata.get("event_payload") or {}).get("outbox_id") == message.id):
            return found["ts"]
    return None


def _refusal(client: WebClient | None, message: OutboxMessage, outcome, *, tell: bool) -> str | None:
    """What to tell the person who caused a message Slack refused for good (told here when `tell`)."""
    if not isinstance(outcome, _Refused) or outcome.error is None or message.tell is None:
        return None
    hint = delivery.NOTHING_LOST if message.hint is None else message.hint
    explained = delivery.explain(outcome.error, message.conversation, hint).strip()
    if tell and client is not None:
        delivery.tell(client, user=message.tell, channel=None, text=explained)
    return explained
