"""What the bot's handlers need besides Slack: the database, the clock, the framework, the approval policy (and, when
installed in several workspaces, where their tokens are kept)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from slack_sdk.oauth import InstallationStore
from sqlalchemy import Engine
from sqlmodel import Session

from bot.ai.assist import Assistant
from bot.approval_policy import ApprovalPolicy
from bot.clock import Clock, SystemClock
from bot.errors import SlackDeliveryError
from bot.framework import Framework
from bot.portfolio_formula import PortfolioFormula, load_portfolio
from bot.slack.approver_groups import UserGroupMembers
from bot.slack.home_memory import HomeMemory
from bot.slack.permalinks import Permalinks
from storage import outbox
from storage.db import read_scope, session_scope


Refusals = list[tuple[str, str]]  # (where a message was going, what to tell the person) for each Slack refused


class Relay:
    """Delivers the outbox (the Slack app connects it); says which of the caller's messages Slack refused for good."""

    def __init__(self) -> None:
        self._deliver: Callable[..., Refusals] | None = None

    def connect(self, deliver: Callable[..., Refusals]) -> None:
        self._deliver = deliver

    def deliver(self, mine: Collection[int] = ()) -> Refusals:
        return self._deliver(mine=mine) if self._deliver is not None else []


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
    outbox: Relay = field(default_factory=lambda: Relay(), compare=False, repr=False)  # set up by the Slack app
    usergroups: UserGroupMembers = field(default_factory=UserGroupMembers, compare=False, repr=False)  # approvers'
    permalinks: Permalinks = field(default_factory=Permalinks, compare=False, repr=False)  # the review threads'

    @contextmanager
    def session(self, *, deliver: bool = True) -> Iterator[Session]:
        """A unit of work at the clock's current instant; the messages it wrote for Slack are delivered once it has
        committed, and SlackDeliveryError tells the person who acted of one Slack refused (unless `deliver` is
        False: the caller hands `outbox.queued(session)` to `deliver` itself, e.g. after acknowledging a form)."""
        with session_scope(self.engine, now=self.clock.now()) as session:
            yield session
        if deliver:
            self.deliver(outbox.queued(session))

    def deliver(self, queued: Collection[int]) -> None:
        """Deliver the messages a committed unit of work wrote; SlackDeliveryError tells the person who acted of the
        first one Slack refused for good."""
        refused = self.outbox.deliver(queued) if queued else []
        if refused:
            raise SlackDeliveryError(refused[0][1])

    def reading(self) -> AbstractContextManager[Session]:
        """A read-only unit of work at the clock's current instant: never queued behind a writer, and never writes."""
        return read_scope(self.engine, now=self.clock.now())
