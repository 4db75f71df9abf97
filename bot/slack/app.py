"""The Bolt app: client with retry handlers, listeners, and one error handler."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.errors import UserFacingError
from bot.settings import Settings
from bot.slack import delivery, listeners
from bot.slack.conversation import Services
from bot.text import from_plain

logger = logging.getLogger(__name__)
LISTENER_THREADS = 32


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
    app = App(
        client=build_client(settings),
        signing_secret=settings.slack_signing_secret or None,
        token_verification_enabled=verify_token,
        listener_executor=executor or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
    )

    @app.middleware
    def provide_services(context, next):  # noqa: A002 (Bolt injects by this name)
        context["services"] = services
        next()

    listeners.register(app)
    app.error(handle_error)
    return app


def handle_error(error: Exception, body: dict, client: WebClient, respond, context) -> None:
    """Tell the person what went wrong in words they can act on; unexpected errors get a reference."""
    if isinstance(error, UserFacingError):
        text = from_plain(str(error))
    else:
        ref = uuid.uuid4().hex[:8]
        logger.error("Unexpected error (ref %s)", ref, exc_info=error)
        text = f"Sorry, something went wrong on my side (ref `{ref}`). Nothing you entered was lost; please try again."
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    user = context.get("user_id")
    if user:
        event = body.get("event") or {}
        delivery.tell(
            client, user=user, channel=context.get("channel_id"), text=text,
            thread_ts=event.get("thread_ts"),
        )
