"""The Bolt app: client with retry handlers, the inbox record first, listeners, and one error handler."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.services import Services
from bot.settings import Settings
from bot.slack import failures, listeners, receipt

logger = logging.getLogger(__name__)
LISTENER_THREADS = 64  # acks wait for a free thread: keep this above the requests expected at once


def build_client(settings: Settings) -> WebClient:
    """A Web API client for SLACK_API_URL that waits out 429s and retries 5xx and dropped connections."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(
    settings: Settings, services: Services, *, verify_token: bool = True, executor: Executor | None = None,
) -> App:
    """The Bolt app; slow work runs on `executor` after the ack (a thread pool by default)."""
    executor = executor or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    app = App(
        client=build_client(settings),
        token_verification_enabled=verify_token,
        # Requests are verified before Bolt sees them (bot/slack/server.py), against the app's one clock, so no
        # unverified request reaches a listener or the error handler; Bolt's own check reads the wall clock and
        # would refuse what that clock accepts. Socket Mode needs no check: its connection is authenticated.
        request_verification_enabled=False,
        listener_executor=executor,
    )
    app.middleware(receipt.record_first(services, executor))  # first: nothing acts on a request not recorded

    @app.middleware
    def provide_services(context, next):  # noqa: A002 (Bolt injects by this name)
        context["services"] = services
        next()

    listeners.register(app)
    app.error(failures.handle_error)
    return app
