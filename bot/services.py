"""What the bot's handlers need besides Slack: the database, the clock, the framework, the approval policy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session

from bot.ai.assist import Assistant
from bot.approval_policy import ApprovalPolicy
from bot.clock import Clock, SystemClock
from bot.framework import Framework
from storage.db import session_scope


@dataclass(frozen=True)
class Services:
    engine: Engine
    framework: Framework
    policy: ApprovalPolicy
    approvals_channel: str = ""
    assistant: Assistant | None = None  # only with an OpenAI key
    clock: Clock = field(default_factory=SystemClock)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work at the clock's current instant."""
        with session_scope(self.engine, now=self.clock.now()) as session:
            yield session
