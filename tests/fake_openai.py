"""A small OpenAI-compatible server over real HTTP: records what was sent, answers from a script or by rule.

Like the real API it takes a strict JSON schema (Structured Outputs) or JSON mode; set `refuses_schemas` to be a
server that answers a schema with 400 (as OpenAI-compatible servers without Structured Outputs do), and
`prose_in_json_mode` to be one that answers JSON mode with prose.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fake_slack import POLL

SCHEMA_REFUSED = {"error": {
    "message": "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
    "type": "invalid_request_error", "param": "response_format", "code": None}}


def completion(content: str | None, *, refusal: str | None = None, tokens: tuple[int, int] = (120, 40),
               finish_reason: str = "stop") -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": content, "refusal": refusal}}],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "total_tokens": sum(tokens)},
    }


def read_reply(text: str) -> dict:
    """The fake model's rule for a review reply: plain keywords, quoting the reply."""
    reply = text.split("The reply:\n", 1)[-1].strip()
    lowered = reply.lower()
    if "?" in reply or "depends" in lowered:
        status, follow_up = "unclear", "Who owns this today, by name?"
    elif re.search(r"\b(not started|nobody|no one|not yet|haven't)\b", lowered):
        status, follow_up = "not_yet", None
    elif re.search(r"\b(some|half|partly|part of)\b", lowered):
        status, follow_up = "partly", None
    else:
        status, follow_up = "met", None
    return {"status": status, "reason": f"The reply says: “{reply[:80]}”",
            "missing_evidence": "" if status == "met" else "A link to where this is written down", "follow_up": follow_up}


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[dict] = []  # queued answers: {"status", "body", "delay", "headers"}
        self.refuses_schemas = False
        self.prose_in_json_mode = False
        self.latency = 0.0  # seconds every unscripted answer takes
        self.held = 0  # calls waiting on hold(), so far
        self._holding = False
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def queue(self, *, status: int = 200, body: dict | None = None, delay: float = 0.0, headers=None) -> None:
        self.script.append({"status": status, "body": body, "delay": delay, "headers": headers or {}})

    def hold(self) -> None:
        """Every call waits, unanswered, until release(); then it is answered as usual."""
        with self._lock:
            self._holding = True
            self._released.clear()

    def release(self) -> None:
        with self._lock:
            self._holding = False
        self._released.set()

    def _maybe_hold(self) -> None:
        with self._lock:
            if not self._holding:
                return
            self.held += 1
        self._released.wait(60)

    def sent_texts(self) -> list[str]:
        """Everything the bot sent, as text: what left the process."""
        return [m["content"] for r in self.requests for m in r["messages"]]

    def _answer(self, request: dict) -> dict:
        shape = (request.get("response_format") or {}).get("type")
        with self._lock:
            self.requests.append(request)
            if shape == "json_schema" and self.refuses_schemas:
                return {"status": 400, "body": SCHEMA_REFUSED, "delay": 0.0, "headers": {}}
            scripted = self.script.pop(0) if self.script else None
        if scripted:
            return scripted
        if shape == "json_schema":
            schema = request["response_format"]["json_schema"]
            assert schema["strict"] is True and schema["schema"]["additionalProperties"] is False, schema
        system, user = request["messages"][0]["content"], request["messages"][-1]["content"]
        if shape == "json_object" and self.prose_in_json_mode:
            content = "Sure! Looking at the reply, I would say this is met."
        elif "executives" in system:
            content = "Not ready yet: two conditions block release. Name the escalation owner and finish the SAP link."
        elif "sceptical approver" in system:
            content = json.dumps({"questions": ["Who checks outputs at full volume?", "What happens when SAP is down?",
                                                "Who is paged when quality drops?"]})
        else:
            content = json.dumps(read_reply(user))
        return {"status": 200, "body": completion(content), "delay": self.latency, "headers": {}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                answer = fake._answer(request)
                fake._maybe_hold()
                if answer["delay"]:
                    time.sleep(answer["delay"])
                payload = json.dumps(answer["body"] or {"error": {"message": "fake error", "type": "server"}}).encode()
                try:
                    self.send_response(answer["status"])
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in answer["headers"].items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        return Handler
