"""One settings object, read from the environment (and .env) and checked at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from dotenv import load_dotenv

from bot.ai.assist import Structured
from bot.approval_policy import DEFAULT_POLICY_PATH
from bot.framework import DEFAULT_FRAMEWORK_PATH
from bot.portfolio_formula import DEFAULT_PORTFOLIO_PATH

SLACK_API_URL = "https://slack.com/api/"
WHERE = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) under OAuth & Permissions at https://api.slack.com/apps",
    "SLACK_SIGNING_SECRET": "the Signing Secret under Basic Information at https://api.slack.com/apps",
    "SLACK_CLIENT_SECRET": (
        "the Client Secret under Basic Information > App Credentials at https://api.slack.com/apps "
        "(or unset SLACK_CLIENT_ID to run in one workspace with SLACK_BOT_TOKEN)"
    ),
    "SLACK_APP_TOKEN": (
        "an app-level token (xapp-…) with connections:write under Basic Information > App-Level Tokens "
        "at https://api.slack.com/apps (or use `readiness-bot serve` for HTTP mode)"
    ),
}


class SettingsError(Exception):
    """A required setting is missing or wrong; the message is one line a person can act on."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    slack_app_token: str = field(repr=False)
    database_url: str | None
    slack_api_url: str
    framework_path: Traversable
    policy_path: Traversable = DEFAULT_POLICY_PATH
    portfolio_path: Traversable = DEFAULT_PORTFOLIO_PATH
    approvals_channel: str = ""
    gate_token: str = field(default="", repr=False)
    openai_api_key: str = field(default="", repr=False)
    openai_base_url: str = ""
    openai_model: str = "gpt-4o-mini"
    ai_budget_seconds: float = 20.0
    openai_structured: Structured = Structured.AUTO
    resume_after_seconds: float = 20.0  # a stored request untouched this long is acted on again by the inbox sweep
    outbox_lease_seconds: float = 60.0  # a message a relay claimed but never recorded is claimed again after this
    slack_post_interval: float = 1.0  # seconds between new messages to one conversation (Slack: about one a second)
    slack_client_id: str = ""  # set: OAuth mode, installed in several workspaces, each with its own bot token
    slack_client_secret: str = field(default="", repr=False)
    slow_workers: int = 8  # threads for model calls and what follows them, apart from the listeners' (slow_work.py)

    @property
    def oauth(self) -> bool:
        """Installed through the OAuth flow (Bolt then ignores a single bot token, so one mode is chosen here)."""
        return bool(self.slack_client_id)

    def credentials(self) -> tuple[str, ...]:
        """What the bot needs to act in Slack: the app's client secret in OAuth mode, else the single bot token."""
        return ("SLACK_CLIENT_SECRET",) if self.oauth else ("SLACK_BOT_TOKEN",)

    def require(self, *names: str) -> None:
        for name in names:
            if not getattr(self, name.lower()):
                raise SettingsError(f"{name} is not set: put it in the environment or .env. It is {WHERE[name]}.")


def load_settings(env_file: str | None = ".env") -> Settings:
    if env_file:
        load_dotenv(env_file)
    api_url = os.environ.get("SLACK_API_URL") or SLACK_API_URL
    client_id = os.environ.get("SLACK_CLIENT_ID", "")
    if not client_id and "SLACK_CLIENT_SECRET" in os.environ:  # even empty: with both names there, Bolt turns OAuth
        raise SettingsError("SLACK_CLIENT_ID is not set but SLACK_CLIENT_SECRET is: to install in several workspaces "
                            "give both (Basic Information > App Credentials), or remove SLACK_CLIENT_SECRET.")
    return Settings(
        slack_bot_token=os.environ.get("SLACK_BOT_TOKEN", ""),
        slack_signing_secret=os.environ.get("SLACK_SIGNING_SECRET", ""),
        slack_app_token=os.environ.get("SLACK_APP_TOKEN", ""),
        database_url=os.environ.get("DATABASE_URL") or None,
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        framework_path=_own_file("READINESS_FRAMEWORK", DEFAULT_FRAMEWORK_PATH),
        policy_path=_own_file("READINESS_APPROVAL_POLICY", DEFAULT_POLICY_PATH),
        portfolio_path=_own_file("READINESS_PORTFOLIO", DEFAULT_PORTFOLIO_PATH),
        approvals_channel=os.environ.get("READINESS_APPROVALS_CHANNEL", ""),
        gate_token=os.environ.get("READINESS_GATE_TOKEN", ""),
        openai_api_key=os.environ.get("OPENAI_API_KEY", ""),
        openai_base_url=os.environ.get("OPENAI_BASE_URL", ""),
        openai_model=os.environ.get("OPENAI_MODEL") or "gpt-4o-mini",
        ai_budget_seconds=_positive("READINESS_AI_BUDGET_SECONDS", 20.0),
        resume_after_seconds=_positive("READINESS_RESUME_AFTER_SECONDS", 20.0),
        outbox_lease_seconds=_positive("READINESS_OUTBOX_LEASE_SECONDS", 60.0),
        slack_post_interval=_positive("READINESS_SLACK_POST_INTERVAL", 1.0, zero=True),
        openai_structured=_structured(os.environ.get("OPENAI_STRUCTURED")),
        slack_client_id=client_id,
        slack_client_secret=os.environ.get("SLACK_CLIENT_SECRET", ""),
        slow_workers=_count("READINESS_SLOW_WORKERS", 8),
    )


def _own_file(name: str, shipped: Traversable) -> Traversable:
    """The organisation's own file named by the setting, else the one shipped in the package."""
    own = os.environ.get(name)
    return Path(own) if own else shipped


def _structured(text: str | None) -> Structured:
    try:
        return Structured(text.strip().lower()) if text and text.strip() else Structured.AUTO
    except ValueError:
        choices = ", ".join(s.value for s in Structured)
        raise SettingsError(f"OPENAI_STRUCTURED must be one of {choices}, not {text!r}.") from None


def _positive(name: str, default: float, *, zero: bool = False) -> float:
    text = os.environ.get(name)
    try:
        value = float(text) if text else default
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {text!r}.") from None
    if value < 0 or (value == 0 and not zero):
        raise SettingsError(f"{name} must be {'0 or ' if zero else ''}more than 0.")
    return value


def _count(name: str, default: int) -> int:
    text = os.environ.get(name)
    try:
        value = int(text) if text else default
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {text!r}.") from None
    if value < 1:
        raise SettingsError(f"{name} must be 1 or more.")
    return value
