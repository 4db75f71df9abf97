"""Signed HTTP requests in Slack's real payload shapes (slash commands, events, interactivity)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from bot.clock import Clock, SystemClock

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T111"
CHANNEL = "C111"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def signed_headers(body: bytes, content_type: str, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """The headers Slack sends with a body: its type, the timestamp, and Slack's signature of both."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature}


@dataclass
class Response:
    status: int
    body: str
    elapsed: float

    def json(self) -> dict:
        return json.loads(self.body) if self.body else {}


class SlackSender:
    """Sends requests to the bot's /slack/events the way Slack does, signed with the app's secret at the time on
    the bot's clock (the real time for a bot in another process)."""

    def __init__(self, base_url: str, secret: str = SIGNING_SECRET, *, clock: Clock | None = None) -> None:
        self.base_url = base_url
        self.secret = secret
        self.clock = clock or SystemClock()
        self._ids = itertools.count(1)
        self._last: tuple[bytes, dict] | None = None

    # --- transport ----------------------------------------------------------------------------
    def now(self) -> int:
        """The request timestamp Slack would send now, by the bot's clock."""
        return int(self.clock.now().timestamp())

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, signature: str | None = None,
             headers: dict | None = None) -> Response:
        signed = signed_headers(body.encode(), content_type, self.now() if timestamp is None else timestamp,
                                self.secret)
        if signature:
            signed["X-Slack-Signature"] = signature
        return self.send(body.encode(), {**signed, **(headers or {})})

    def replay(self) -> Response:
        """The last request again, byte for byte: same body, timestamp and signature."""
        assert self._last, "nothing sent yet"
        return self.send(*self._last)

    def send(self, body: bytes, headers: dict) -> Response:
        """POST exactly this body with exactly these headers."""
        self._last = (body, headers)
        request = urllib.request.Request(self.base_url + "/slack/events", data=body, method="POST", headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, response.read().decode(), time.perf_counter() - started)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode(), time.perf_counter() - started)

    def form(self, fields: dict, **kwargs) -> Response:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    def interactive(self, payload: dict, **kwargs) -> Response:
        return self.form({"payload": json.dumps(payload)}, **kwargs)

    # --- payloads -----------------------------------------------------------------------------
    def command(self, text: str, *, user: str = "U100", channel: str = CHANNEL, **kwargs) -> Response:
        """A /readiness slash command, from Slack's real form body with our values."""
        fields = dict(parse_qsl((FIXTURES / "command_body.txt").read_text().strip(), keep_blank_values=True))
        fields.update(command="/readiness", text=text, user_id=user, channel_id=channel, team_id=TEAM,
                      trigger_id=f"{next(self._ids)}.222.xxx",
                      response_url=f"{self.response_url_base}/commands/{TEAM}/1/x")
        return self.form(fields, **kwargs)

    response_url_base = "http://127.0.0.1:9/hooks"  # replaced by tests with the fake's address

    def click(self, action_id: str, value: str, *, user: str = "U100", channel: str = CHANNEL,
              message_ts: str = "1700000000.000001", ephemeral: bool = False, selected: bool = False) -> Response:
        """A block_actions payload for a button (or a static_select choice) in a bot message."""
        payload = copy.deepcopy(fixture("block_actions_button.json"))
        payload["user"].update(id=user, team_id=TEAM)
        payload["team"]["id"] = TEAM
        payload["channel"]["id"] = channel
        payload["container"].update(channel_id=channel, message_ts=message_ts, is_ephemeral=ephemeral)
        payload["message"]["ts"] = message_ts
        payload["trigger_id"] = f"{next(self._ids)}.222.xxx"
        payload["response_url"] = f"{self.response_url_base}/actions/{TEAM}/1/x"
        action = payload["actions"][0]
        action.update(action_id=action_id, block_id="answer")
        if selected:
            action.pop("value", None)
            action.update(type="static_select", selected_option={"text": {"type": "plain_text", "text": "x"},
                                                                  "value": value})
        else:
            action["value"] = value
        return self.interactive(payload)

    def click_in_home(self, action_id: str, value: str, *, view: dict, user: str = "U100") -> Response:
        """A block_actions payload for a button in the person's Home tab (`view`, as published): its container is the
        view, and Slack sends no channel, no message and no response_url (derived from block_actions_button.json)."""
        payload = copy.deepcopy(fixture("block_actions_button.json"))
        for key in ("channel", "message", "response_url"):
            del payload[key]
        payload["user"].update(id=user, team_id=TEAM)
        payload["team"]["id"] = TEAM
        view = {**view, "id": view.get("id", "VHOME0001"), "team_id": TEAM, "hash": "1700000000.abcdef01"}
        payload.update(container={"type": "view", "view_id": view["id"]}, view=view,
                       trigger_id=f"{next(self._ids)}.222.xxx")
        block = next(b["block_id"] for b in view["blocks"] if b["type"] == "actions" and any(
            e.get("action_id") == action_id and e.get("value", "") == value for e in b["elements"]))
        payload["actions"][0].update(action_id=action_id, block_id=block, value=value)
        return self.interactive(payload)

    def submit_view(self, view: dict, values: dict, *, user: str = "U100") -> Response:
        """A view_submission for a modal the bot opened, with the given {block_id: element state}."""
        payload = copy.deepcopy(fixture("view_submission.json"))
        payload["team"]["id"] = TEAM
        payload["user"].update(id=user, team_id=TEAM)
        payload["trigger_id"] = f"{next(self._ids)}.222.xxx"
        payload["view"].update(
            id=view.get("id", "V1"), team_id=TEAM, callback_id=view["callback_id"], blocks=view["blocks"],
            private_metadata=view.get("private_metadata", ""),
            state={"values": {block: {block: state} for block, state in values.items()}},
        )
        return self.interactive(payload)

    def event(self, event: dict, *, event_id: str | None = None, retry_num: int | None = None) -> Response:
        """An event_callback envelope around `event`, as Slack delivers it."""
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else None
        return self.post(json.dumps(self.envelope(event, event_id=event_id)), "application/json", headers=headers)

    @staticmethod
    def envelope(event: dict, *, event_id: str | None = None) -> dict:
        """The event_callback body Slack sends with `event` in it."""
        envelope = copy.deepcopy(fixture("events_message_channel_thread_reply.json"))
        envelope["team_id"] = TEAM
        envelope["event"] = event
        envelope["event_id"] = event_id or f"Ev{uuid.uuid4().hex[:12].upper()}"
        return envelope

    def home_opened(self, *, user: str = "U100", tab: str = "home") -> Response:
        """app_home_opened: the person opened the app's Home tab (with the view published before) or Messages tab."""
        name = "events_app_home_opened.json" if tab == "home" else "events_app_home_opened_messages_tab_org.json"
        event = {**fixture(name)["event"], "user": user, "channel": "D" + user[1:]}
        return self.event(event)

    def thread_reply(self, text: str, *, thread_ts: str, user: str = "U100", channel: str = CHANNEL,
                     event_id: str | None = None, retry_num: int | None = None, ts: str | None = None) -> Response:
        """A person's reply in a thread (its ts is `ts`, or a new one)."""
        event = self.thread_reply_event(text, thread_ts=thread_ts, user=user, channel=channel, ts=ts)
        return self.event(event, event_id=event_id, retry_num=retry_num)

    def thread_reply_event(self, text: str, *, thread_ts: str, user: str = "U100", channel: str = CHANNEL,
                           ts: str | None = None) -> dict:
        ts = ts or self.new_ts()
        return {**self._reply(text, ts=ts, thread_ts=thread_ts, user=user), "channel": channel, "event_ts": ts,
                "channel_type": "channel"}

    def direct_message(self, text: str, *, user: str = "U100", channel: str | None = None,
                       files: list[dict] | None = None, ts: str | None = None) -> Response:
        """A person's message `ts` in their DM with the bot (message.im, from events_message_im.json)."""
        ts = ts or self.new_ts()
        event = {**fixture("events_message_im.json")["event"], "user": user, "text": text, "ts": ts, "event_ts": ts,
                 "channel": channel or "D" + user.lstrip("UW")}
        if files:
            event.update(subtype="file_share", files=files)
        return self.event(event)

    def edit_reply(self, text: str, *, ts: str, before: str, thread_ts: str | None, user: str = "U100",
                   channel: str = CHANNEL, channel_type: str = "channel") -> Response:
        """message_changed: the reply `ts` (a DM's message: channel_type im, no thread), which read `before`, now
        reads `text` (Slack's hidden event, the new message in `message`, the old in `previous_message`)."""
        now = self.new_ts()
        reply = self._reply(text, ts=ts, thread_ts=thread_ts, user=user)
        return self.event({
            "type": "message", "subtype": "message_changed", "hidden": True, "channel": channel, "ts": now,
            "event_ts": now, "channel_type": channel_type, "message": {**reply, "edited": {"user": user, "ts": now}},
            "previous_message": self._reply(before, ts=ts, thread_ts=thread_ts, user=user),
        })

    def delete_reply(self, *, ts: str, before: str, thread_ts: str | None, user: str = "U100",
                     channel: str = CHANNEL, channel_type: str = "channel") -> Response:
        """message_deleted: the reply `ts` (a DM's message: channel_type im, no thread), which read `before`, was
        deleted (Slack's hidden event)."""
        now = self.new_ts()
        return self.event({
            "type": "message", "subtype": "message_deleted", "hidden": True, "channel": channel, "ts": now,
            "event_ts": now, "channel_type": channel_type, "deleted_ts": ts,
            "previous_message": self._reply(before, ts=ts, thread_ts=thread_ts, user=user),
        })

    def new_ts(self) -> str:
        return f"1700000500.{next(self._ids):06d}"

    @staticmethod
    def _reply(text: str, *, ts: str, thread_ts: str | None, user: str) -> dict:
        """A thread reply as Slack nests it in an event: the fixture's message without its channel and event_ts."""
        base = fixture("events_message_channel_thread_reply.json")["event"]
        message = {key: value for key, value in base.items() if key not in ("channel", "event_ts", "channel_type")}
        return {**message, "user": user, "text": text, "thread_ts": thread_ts, "ts": ts, "team": TEAM,
                "user_team": TEAM, "source_team": TEAM, "parent_user_id": "UBOT0001"}


class Signer(SlackSender):
    """Builds and signs a request as SlackSender does, and keeps it instead of sending it: the same bytes can then
    reach several processes."""

    def send(self, body: bytes, headers: dict) -> Response:
        self.signed = (body, headers)
        return Response(0, "", 0.0)
