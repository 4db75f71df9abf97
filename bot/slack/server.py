"""HTTP mode: Slack's requests on POST /slack/events, GET /healthz and GET /gate, and in OAuth mode the install flow
on GET /slack/install and GET /slack/oauth_redirect, served by waitress."""

from __future__ import annotations

import hmac
import logging
from dataclasses import asdict
from http import HTTPStatus
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.oauth import OAuthFlow
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from waitress.server import create_server

from bot.domain import approvals
from bot.errors import UserFacingError
from bot.services import Services
from bot.slack import incoming

logger = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
SERVER_THREADS = 32


def build_wsgi(app: App, services: Services, *, signing_secret: str, gate_token: str = ""):
    """A WSGI app: Slack's single endpoint, a health check that reaches the database, the deploy gate, and in OAuth
    mode the install page and the redirect back from Slack."""
    check = incoming.verifier(signing_secret, services.clock)
    flow = app.oauth_flow  # OAuth mode only
    install_paths = (flow.install_path, flow.redirect_uri_path) if flow else ()

    def wsgi(environ, start_response):
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == EVENTS_PATH and method == "POST":
            response = _slack(environ, app, check)
        elif path in install_paths and method == "GET":
            response = _install(environ, flow)
        elif path == "/healthz" and method in ("GET", "HEAD"):
            response = _health(services)
        elif path == "/gate" and method == "GET":
            response = _gate(environ, services, gate_token)
        else:
            response = BoltResponse(status=404, body={"error": "not found"})
        payload = response.body.encode()
        status = HTTPStatus(response.status)
        headers = [(name, value) for name, values in response.headers.items() if name != "content-length"
                   for value in values]
        start_response(f"{status.value} {status.phrase}", [*headers, ("Content-Length", str(len(payload)))])
        return [payload]

    return wsgi


def _slack(environ: dict, app: App, check: SignatureVerifier) -> BoltResponse:
    """Verify first, then read, then let Bolt act: 401 for anything unverified, 400 for what Slack never sends."""
    request = WsgiHttpRequest(environ)
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    try:
        bolt_request = incoming.read(body, request.get_headers(), check)
    except incoming.Unverified as refused:
        logger.warning("Refused an unverified request to %s from %s: %s", EVENTS_PATH, environ.get("REMOTE_ADDR"),
                       refused)
        return BoltResponse(status=401, body={"error": "invalid request"})
    except incoming.Malformed as malformed:
        logger.warning("Refused a signed request to %s: %s", EVENTS_PATH, malformed)
        return BoltResponse(status=400, body={"error": "not a request Slack sends"})
    return app.dispatch(bolt_request)


def _install(environ: dict, flow: OAuthFlow) -> BoltResponse:
    """The install page (a new state, and the link to Slack's authorize page with it), or the redirect back: the state
    taken once, the code traded for the workspace's token, the installation stored. Bolt answers a bad state, a
    refused code or a storage failure with its page; a database that cannot be reached gets 503."""
    request = BoltRequest(body="", query=environ.get("QUERY_STRING", ""),
                          headers=WsgiHttpRequest(environ).get_headers())
    try:
        if environ["PATH_INFO"] == flow.install_path:
            return flow.handle_installation(request)
        return flow.handle_callback(request)
    except SQLAlchemyError as error:  # its text may hold the statement's parameters, a token among them
        logger.error("Could not complete an install step: the database failed (%s)", type(error).__name__)
        return BoltResponse(status=503, body="The database cannot be reached, so nothing was installed. "
                                             "Try again in a minute.")


def _health(services: Services) -> BoltResponse:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # the health check reports, it does not raise
        return BoltResponse(status=503, body={"ok": False, "error": type(exc).__name__})
    return BoltResponse(status=200, body={"ok": True})


def _gate(environ: dict, services: Services, gate_token: str) -> BoltResponse:
    """GET /gate?initiative=NAME[&team=T]: 200 when release is approved, 409 when not; bearer token required."""
    if not gate_token:
        return BoltResponse(status=503, body={"error": "the gate is off: set READINESS_GATE_TOKEN"})
    scheme, _, given = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), gate_token.encode()):
        return BoltResponse(status=401, body={"error": "a valid bearer token is required"})
    query = parse_qs(environ.get("QUERY_STRING", ""))
    name = (query.get("initiative") or [""])[0]
    if not name.strip():
        return BoltResponse(status=400, body={"error": "say which initiative: /gate?initiative=NAME"})
    try:
        with services.reading() as session:
            result = approvals.gate(name, team_id=(query.get("team") or [None])[0], session=session,
                                    framework=services.framework)
    except UserFacingError as error:
        return BoltResponse(status=404, body={"error": str(error)})
    return BoltResponse(status=200 if result.allowed else 409, body=asdict(result))


def make_server(app: App, services: Services, *, signing_secret: str, host: str = "0.0.0.0", port: int = 3000,
                gate_token: str = ""):
    """A waitress server (not Bolt's development server); .run() serves, .close() stops."""
    wsgi = build_wsgi(app, services, signing_secret=signing_secret, gate_token=gate_token)
    return create_server(wsgi, host=host, port=port, threads=SERVER_THREADS, ident="readiness-bot")
