"""Start-up: settings, framework, database and the Bolt app, checked in that order."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import App

from bot.ai.assist import Assistant
from bot.approval_policy import load_policy
from bot.clock import Clock, SystemClock
from bot.framework import load_framework
from bot.portfolio_formula import load_portfolio
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.installations import Installations
from storage.db import make_engine, migrate


def start(settings: Settings, *, required: tuple[str, ...] = (), verify_token: bool = True,
          clock: Clock | None = None, executor: Executor | None = None,
          wake_worker: Callable[[], None] | None = None) -> tuple[App, Services]:
    """Everything the bot needs, or a SettingsError / FrameworkError naming the first problem.

    `required` names the settings the command needs besides Slack's credentials, which depend on the mode:
    SLACK_CLIENT_SECRET when SLACK_CLIENT_ID is set (OAuth, several workspaces), else SLACK_BOT_TOKEN."""
    clock = clock or SystemClock()
    settings.require(*settings.credentials(), *required)
    framework = load_framework(settings.framework_path)
    policy = load_policy(settings.policy_path)
    portfolio = load_portfolio(settings.portfolio_path)
    engine = make_engine(settings.database_url)
    migrate(engine)
    assistant = Assistant(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url, model=settings.openai_model,
        budget_seconds=settings.ai_budget_seconds, engine=engine, clock=clock, structured=settings.openai_structured,
    ) if settings.openai_api_key else None
    services = Services(engine=engine, framework=framework, policy=policy,
                        approvals_channel=settings.approvals_channel, assistant=assistant, clock=clock,
                        installations=Installations(engine, clock) if settings.oauth else None,
                        portfolio=portfolio)
    return build_app(settings, services, verify_token=verify_token, executor=executor,
                     wake_worker=wake_worker), services
