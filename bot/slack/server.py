"""HTTP mode: Slack's requests on POST /slack/events and GET /healthz, served by waitress."""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from waitress.server import create_server

from bot.domain import approvals
from bot.errors import UserFacingError
from bot.services import Services

EVENTS_PATH = "/slack/events"
SERVER_THREADS = 32


def build_wsgi(app: App, services: Services, *, gate_token: str = ""):
    """A WSGI app: Slack's single endpoint, a health check that reaches the database, and the deploy gate."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ, start_response):
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, body = _health(services)
        elif path == "/gate" and method == "GET":
            status, body = _gate(environ, services, gate_token)
        else:
            return slack(environ, start_response)
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    return wsgi


def _health(services: Services) -> tuple[str, dict]:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # the health check reports, it does not raise
        return "503 Service Unavailable", {"ok": False, "error": type(exc).__name__}
    return "200 OK", {"ok": True}


def _gate(environ: dict, services: Services, gate_token: str) -> tuple[str, dict]:
    """GET /gate?initiative=NAME[&team=T]: 200 when release is approved, 409 when not; bearer token required."""
    if not gate_token:
        return "503 Service Unavailable", {"error": "the gate is off: set READINESS_GATE_TOKEN"}
    given = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), gate_token.encode()):
        return "401 Unauthorized", {"error": "a valid bearer token is required"}
    query = parse_qs(environ.get("QUERY_STRING", ""))
    name = (query.get("initiative") or [""])[0]
    if not name.strip():
        return "400 Bad Request", {"error": "say which initiative: /gate?initiative=NAME"}
    try:
        with services.session() as session:
            result = approvals.gate(name, team_id=(query.get("team") or [None])[0], session=session,
                                    framework=services.framework)
    except UserFacingError as error:
        return "404 Not Found", {"error": str(error)}
    return ("200 OK" if result.allowed else "409 Conflict"), asdict(result)


def make_server(app: App, services: Services, *, host: str = "0.0.0.0", port: int = 3000, gate_token: str = ""):
    """A waitress server (not Bolt's development server); .run() serves, .close() stops."""
    return create_server(build_wsgi(app, services, gate_token=gate_token), host=host, port=port,
                         threads=SERVER_THREADS, ident="readiness-bot")
