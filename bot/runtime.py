"""Start-up: settings, framework, database and the Bolt app, checked in that order."""

from __future__ import annotations

from slack_bolt import App

from bot.framework import load_framework
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.conversation import Services
from storage.db import make_engine, migrate


def start(settings: Settings, *, required: tuple[str, ...], verify_token: bool = True) -> tuple[App, Services]:
    """Everything the bot needs, or a SettingsError / FrameworkError naming the first problem."""
    settings.require(*required)
    framework = load_framework(settings.framework_path)
    engine = make_engine(settings.database_url)
    migrate(engine)
    services = Services(engine=engine, framework=framework)
    return build_app(settings, services, verify_token=verify_token), services
