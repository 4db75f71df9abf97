"""HTTP mode: Slack's requests on POST /slack/events and GET /healthz, served by waitress."""

from __future__ import annotations

import json

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text
from waitress.server import create_server

EVENTS_PATH = "/slack/events"
SERVER_THREADS = 32


def build_wsgi(app: App, engine: Engine):
    """A WSGI app: Slack's single endpoint, plus a health check that also reaches the database."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                status, body = "200 OK", {"ok": True}
            except Exception as exc:  # the health check reports, it does not raise
                status, body = "503 Service Unavailable", {"ok": False, "error": type(exc).__name__}
            payload = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        return slack(environ, start_response)

    return wsgi


def make_server(app: App, engine: Engine, *, host: str = "0.0.0.0", port: int = 3000):
    """A waitress server (not Bolt's development server); .run() serves, .close() stops."""
    return create_server(build_wsgi(app, engine), host=host, port=port, threads=SERVER_THREADS, ident="readiness-bot")
