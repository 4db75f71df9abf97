"""What the bot's handlers need besides Slack: the database, the framework, the approval policy."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bot.ai.assist import Assistant
from bot.approval_policy import ApprovalPolicy
from bot.framework import Framework


@dataclass(frozen=True)
class Services:
    engine: Engine
    framework: Framework
    policy: ApprovalPolicy
    approvals_channel: str = ""
    assistant: Assistant | None = None  # only with an OpenAI key
