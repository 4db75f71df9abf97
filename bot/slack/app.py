"""The Bolt app: client with retry handlers, the inbox record first, listeners, and one error handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from slack_bolt import App
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.services import Services
from bot.settings import Settings
from bot.slack import failures, installations, listeners, receipt, relay
from bot.slack.lifecycle import ListenerPool
from bot.slack.slow_work import listener_pool

logger = logging.getLogger(__name__)


def build_client(settings: Settings, *, logger: logging.Logger | None = None) -> WebClient:
    """A Web API client for SLACK_API_URL that waits out 429s and retries 5xx and dropped connections; with the
    single bot token, or none in OAuth mode (each request, and each workspace the scheduler acts in, brings its own)."""
    return WebClient(
        token=None if settings.oauth else settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        logger=logger,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(
    settings: Settings, services: Services, *, verify_token: bool = True, executor: ListenerPool | None = None,
    wake_worker: Callable[[], None] | None = None,
) -> App:
    """The Bolt app; listeners run on `executor` after the ack (by default a ListenerPool, with its slow workers).
    With `wake_worker`, the inbox worker process acts on the events, clicks and commands it stores (receipt.py)."""
    executor = executor or listener_pool(settings)
    app = App(
        client=build_client(settings),
        oauth_flow=_oauth_flow(settings, services) if settings.oauth else None,
        user_facing_authorize_error_message=installations.NOT_INSTALLED,
        token_verification_enabled=verify_token,
        # Requests are verified before Bolt sees them (bot/slack/server.py), against the app's one clock, so no
        # unverified request reaches a listener or the error handler; Bolt's own check reads the wall clock and
        # would refuse what that clock accepts. Socket Mode needs no check: its connection is authenticated.
        request_verification_enabled=False,
        listener_executor=executor,
    )
    # first: nothing acts on a request not recorded
    app.middleware(receipt.record_first(services, executor, app, wake_worker))

    services.outbox.connect(partial(relay.deliver, app.client, services, interval=settings.slack_post_interval,
                                    lease=timedelta(seconds=settings.outbox_lease_seconds)))

    @app.middleware
    def provide_services(context, next):  # noqa: A002 (Bolt injects by this name)
        context["services"] = services
        next()

    if settings.oauth:  # before the catch-all listener: app_uninstalled and tokens_revoked drop the workspace's token
        app.enable_token_revocation_listeners()
    listeners.register(app)
    app.error(failures.handle_error)
    return app


def _oauth_flow(settings: Settings, services: Services) -> OAuthFlow:
    """GET /slack/install and /slack/oauth_redirect, with the installations and states in the bot's database.

    The code is traded for the token by a client whose logger stays above DEBUG: at DEBUG slack_sdk logs every
    response body, and oauth.v2.access's holds the new bot token."""
    exchange_logger = logging.getLogger(f"{__name__}.oauth_exchange")
    exchange_logger.setLevel(max(logging.INFO, exchange_logger.level))
    return OAuthFlow(client=build_client(settings, logger=exchange_logger), settings=OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(installations.SCOPES),
        user_scopes=[],
        installation_store=services.installations,
        installation_store_bot_only=True,
        state_store=installations.States(services.engine, services.clock),
        state_expiration_seconds=int(installations.STATE_LIFETIME.total_seconds()),
    ))
