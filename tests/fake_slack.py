"""A small fake of Slack's Web API over real HTTP: records every call and can inject faults."""

from __future__ import annotations

import base64
import itertools
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

from tests.slack_requests import CHANNEL

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
POLL = 0.02  # seconds between a fake server's shutdown checks (http.server waits 0.5 s, which adds up over the suite)
BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_MEMBERS = ("U100", "U200", "U300", "U400", "U500", "U555", "U777", "U900", BOT_USER_ID)  # not U999


@dataclass
class Call:
    method: str
    params: dict
    headers: dict
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Fault:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)
    times: int = 1


class FakeSlack:
    """Answers /api/<method> like Slack does; faults are consumed in order, per method."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.latency = 0.0  # seconds each Web API call takes, to play a slow Slack
        self.usergroups: dict[str, list[str]] = {}
        self.channel_members: dict[str, list[str]] = {CHANNEL: list(TEAM_MEMBERS)}  # else channel_not_found
        self.members_page = 100  # conversations.members returns at most this many a page, however many are asked
        self.timezones: dict[str, str] = {}  # users.info answers with these (else the fixture's)
        self.uploads: list[bytes] = []  # file contents sent to upload URLs (files_upload_v2)
        self.installs: dict[str, dict] = {}  # oauth.v2.access answers, by the code Slack gave the installer
        self.hanging = False
        self.watched: str | None = None  # a SQLite file: each call first tries its write lock (watch_write_lock)
        self.while_locked: list[str] = []  # the methods called while someone else held that lock
        self.held = 0  # calls waiting on hold(), so far
        self._hang_after: dict[str, int] = {}
        self._holding: set[str] = set()
        self._lost: dict[str, int] = {}
        self._released = threading.Event()
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL}, daemon=True)

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.root + "/api/"

    @staticmethod
    def dm(user: str) -> str:
        """The id of a person's DM with the app, as conversations.open gives it."""
        return "D" + user.lstrip("UW")

    def ephemerals(self) -> list[str]:
        """The texts of ephemeral messages the bot posted (chat.postEphemeral)."""
        return [c.params["text"] for c in self.calls_to("chat.postEphemeral")]

    def responses(self) -> list[dict]:
        """What the bot sent to response_urls (ephemeral replies to commands and clicks)."""
        return [c.params for c in self.calls_to("response_url")]

    def watch_write_lock(self, database: str) -> None:
        """On each call from now on, try the SQLite database's write lock without waiting, and record in
        `while_locked` the methods called while someone else held it (a write transaction was open)."""
        self.watched = database

    def _note_if_locked(self, method: str) -> None:
        if self.watched is None:
            return
        probe = sqlite3.connect(self.watched, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:  # database is locked
            with self._lock:
                self.while_locked.append(method)
        finally:
            probe.close()

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def allow_install(self, code: str, *, team_id: str, team_name: str, token: str, scope: str,
                      installer: str = "U100") -> None:
        """Someone approved the install in team_id on Slack's page: oauth.v2.access trades `code` for `token`, once,
        answering as Slack does for an app with bot scopes only."""
        self.installs[code] = {
            "ok": True, "app_id": "A0READINESS", "authed_user": {"id": installer}, "scope": scope,
            "token_type": "bot", "access_token": token, "bot_user_id": BOT_USER_ID,
            "team": {"id": team_id, "name": team_name}, "enterprise": None, "is_enterprise_install": False,
        }

    # --- faults -------------------------------------------------------------------------------
    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        self._add(method, Fault(200, {"ok": False, "error": error}, times=times))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        body = json.loads((FIXTURES / "api_ratelimited_429.json").read_text())["body"]
        self._add(method, Fault(429, body, {"Retry-After": str(retry_after)}, times=times))

    def server_error(self, method: str, *, status: int = 503, times: int = 1) -> None:
        self._add(method, Fault(status, {"ok": False, "error": "service_unavailable"}, times=times))

    def lose_answer(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls to `method` take effect (a post is posted) but are answered 500, as when Slack's
        answer is lost on the way back."""
        with self._lock:
            self._lost[method] = self._lost.get(method, 0) + times

    def _answer_lost(self, method: str) -> bool:
        with self._lock:
            if not self._lost.get(method):
                return False
            self._lost[method] -= 1
            return True

    def hang(self, method: str, *, after: int) -> None:
        """After `after` answered calls, the next call to `method` gets no answer until release()."""
        self._hang_after[method] = after

    def hold(self, method: str) -> None:
        """Every call to `method` waits, unanswered, until release(); then it is answered as usual."""
        with self._lock:
            self._holding.add(method)
            self._released.clear()

    def release(self) -> None:
        with self._lock:
            self._holding.clear()
        self._released.set()

    def _maybe_hold(self, method: str) -> None:
        with self._lock:
            if method not in self._holding:
                return
            self.held += 1
        self._released.wait(60)

    def _maybe_hang(self, method: str) -> bool:
        with self._lock:
            after = self._hang_after.get(method)
            if after is None or sum(1 for c in self.calls if c.method == method) < after:
                return False
            del self._hang_after[method]
            self.hanging = True
        self._released.wait(30)
        return True

    def _add(self, method: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            faults = self._faults.get(method) or []
            if not faults:
                return None
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            return fault

    # --- what was called ----------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self, *, channel: str | None = None, thread_ts: str | None = None, top_level: bool = False) -> list[dict]:
        """Messages posted (successfully), each with the ts Slack gave it."""
        found = []
        for call in self.calls_to("chat.postMessage"):
            p = call.params
            if "ts" not in p or (channel and p.get("channel") != channel):
                continue
            if thread_ts and p.get("thread_ts") != thread_ts:
                continue
            if top_level and p.get("thread_ts"):
                continue
            found.append(p)
        return found

    def shown(self, post: dict) -> dict:
        """A posted message as it reads now: its post's params, as its latest chat.update left them."""
        now = post
        for call in self.calls_to("chat.update"):
            if call.params.get("ts") == post["ts"] and call.params.get("channel") == post.get("channel"):
                now = {**post, **call.params}
        return now

    def _history(self, params: dict) -> list[dict]:
        """conversations.history (a channel's top-level messages) or .replies (a thread), newest first, with their
        metadata when asked for."""
        thread = params.get("ts")
        posts = self.posts(channel=params.get("channel"), thread_ts=thread, top_level=not thread)
        if thread:
            posts = [p for p in self.posts(channel=params.get("channel"), top_level=True) if p["ts"] == thread] + posts
        with_metadata = str(params.get("include_all_metadata")).lower() in ("1", "true")
        return [{"type": "message", "ts": p["ts"], "text": p.get("text"), "bot_id": BOT_ID,
                 **({"metadata": p["metadata"]} if with_metadata and p.get("metadata") else {})}
                for p in reversed(posts)]

    def wait_for(self, predicate, timeout: float = 30.0) -> None:
        """Poll until `predicate()` holds; the timeout is generous, as a served bot's worker process may still be
        starting on a busy machine."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError("Timed out waiting for the expected Slack calls")

    # --- the HTTP side ------------------------------------------------------------------------
    def _respond(self, method: str, params: dict) -> tuple[int, dict, dict]:
        status, body, headers = self._take_effect(method, params)
        if self._answer_lost(method):
            return 500, {"ok": False, "error": "internal_error"}, {}
        return status, body, headers

    def _take_effect(self, method: str, params: dict) -> tuple[int, dict, dict]:
        self._maybe_hold(method)
        if self._maybe_hang(method):
            return 500, {"ok": False, "error": "request_timeout"}, {}
        fault = self._take_fault(method)
        if fault:
            return fault.status, fault.body, fault.headers
        if method == "auth.test":
            body = json.loads((FIXTURES / "api_auth_test_bot.json").read_text())
            return 200, {**body, "team_id": "T111", "user_id": BOT_USER_ID, "bot_id": BOT_ID}, {}
        if method == "oauth.v2.access":
            with self._lock:
                answer = self.installs.pop(params.get("code", ""), None)
            return 200, answer or {"ok": False, "error": "invalid_code"}, {}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            params["ts"] = ts
            return 200, {"ok": True, "channel": params.get("channel"), "ts": ts,
                         "message": {"text": params.get("text"), "ts": ts, "bot_id": BOT_ID}}, {}
        if method in ("conversations.history", "conversations.replies"):
            return 200, {"ok": True, "messages": self._history(params), "has_more": False}, {}
        if method == "chat.update":
            return 200, {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}, {}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}, {}
        if method == "views.open":
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            return 200, {"ok": True, "view": {**view, "id": f"V{next(self._ts):08d}", "state": {"values": {}}}}, {}
        if method == "users.info":
            user = json.loads((FIXTURES / "api_users_info.json").read_text())["user"]
            user_id = params.get("user", "")
            user.update(id=user_id, tz=self.timezones.get(user_id, user["tz"]))
            return 200, {"ok": True, "user": user}, {}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return 200, {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}, {}
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files
            return 200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}, {}
        if method == "conversations.open":
            return 200, {"ok": True, "channel": {"id": self.dm(str(params.get("users", "")))}}, {}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return 200, {"ok": True, "permalink": f"https://example.slack.com/archives/{params.get('channel')}/p{ts}"}, {}
        if method == "conversations.members":
            return self._members_page(params)
        if method == "users.conversations":  # the channels whose member lists name the user
            user = params.get("user", "")
            channels = [{"id": channel, "is_channel": True, "is_private": channel.startswith("G")}
                        for channel, members in self.channel_members.items() if user in members]
            return self._page("channels", channels, params)
        if method == "views.publish":
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            return 200, {"ok": True, "view": {**view, "id": f"V{next(self._ts):08d}", "state": {"values": {}}}}, {}
        if method == "usergroups.users.list":
            users = self.usergroups.get(params.get("usergroup", ""))
            if users is None:
                return 200, {"ok": False, "error": "no_such_subteam"}, {}
            return 200, {"ok": True, "users": users}, {}
        return 200, {"ok": True}, {}

    def _members_page(self, params: dict) -> tuple[int, dict, dict]:
        """One page of a channel's members."""
        members = self.channel_members.get(params.get("channel", ""))
        if members is None:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        return self._page("members", members, params)

    def _page(self, key: str, items: list, params: dict) -> tuple[int, dict, dict]:
        """One page of a list (at most members_page items), with an opaque cursor to the next ("" after the last)."""
        cursor = params.get("cursor") or ""
        start = int(base64.b64decode(cursor).decode().removeprefix("offset:")) if cursor else 0
        end = start + min(int(params.get("limit") or 100), self.members_page)
        after = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
        return 200, {"ok": True, key: items[start:end], "response_metadata": {"next_cursor": after}}, {}

    def home(self, user: str) -> dict | None:
        """The Home tab last published for the user (views.publish), if any."""
        published = [c.params["view"] for c in self.calls_to("views.publish") if c.params.get("user_id") == user]
        return published[-1] if published else None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                method = "upload" if self.path.startswith("/upload/") else \
                    "response_url" if self.path.startswith("/hooks/") else self.path.rsplit("/", 1)[-1]
                fake._note_if_locked(method)
                if method == "upload":
                    with fake._lock:
                        fake.uploads.append(data)
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"OK")
                    return
                raw = data.decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = dict(parse_qsl(raw, keep_blank_values=True))
                    for key in ("blocks", "view"):
                        if isinstance(params.get(key), str):
                            params[key] = json.loads(params[key])
                self._answer(method, params)

            def do_GET(self):  # noqa: N802 (http.server's name) -- slack_sdk reads history with GET
                path, _, query = self.path.partition("?")
                method = path.rsplit("/", 1)[-1]
                fake._note_if_locked(method)
                self._answer(method, dict(parse_qsl(query, keep_blank_values=True)))

            def _answer(self, method: str, params: dict) -> None:
                call = Call(method, params, dict(self.headers))
                if fake.latency:
                    time.sleep(fake.latency)
                status, body, headers = fake._respond(method, params)
                with fake._lock:
                    fake.calls.append(call)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot's process was killed while its call was held

            def log_message(self, *args):
                pass

        return Handler
