"""What the bot's handlers need besides Slack: the database, the clock, the framework, the approval policy (and, when
installed in several workspaces, where their tokens are kept)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from slack_sdk.oauth import InstallationStore
from sqlalchemy import Engine
from sqlmodel import Session

from bot.ai.assist import Assistant
from bot.approval_policy import ApprovalPolicy
from bot.clock import Clock, SystemClock
from bot.framework import Framework
from bot.portfolio_formula import PortfolioFormula, load_portfolio
from bot.slack.home_memory import HomeMemory
from storage.db import read_scope, session_scope


@dataclass(frozen=True)
class Services:
    engine: Engine
    framework: Framework
    policy: ApprovalPolicy
    approvals_channel: str = ""
    assistant: Assistant | None = None  # only with an OpenAI key
    clock: Clock = field(default_factory=SystemClock)
    installations: InstallationStore | None = None  # only in OAuth mode: each workspace's bot token
    portfolio: PortfolioFormula = field(default_factory=load_portfolio)  # how the portfolio ranks
    home: HomeMemory = field(default_factory=HomeMemory, compare=False, repr=False)  # App Home's, while the app runs

    def session(self) -> AbstractContextManager[Session]:
        """A unit of work at the clock's current instant."""
        return session_scope(self.engine, now=self.clock.now())

    def reading(self) -> AbstractContextManager[Session]:
        """A read-only unit of work at the clock's current instant: never queued behind a writer, and never writes."""
        return read_scope(self.engine, now=self.clock.now())
