"""Fixtures: a real database (SQLite file, and PostgreSQL when a URL is given), a fake Slack, the served bot.

PostgreSQL tests run when READINESS_TEST_POSTGRES_URL is set (e.g. postgresql+psycopg://root@127.0.0.1/test);
they create and drop a database of their own. With READINESS_REQUIRE_POSTGRES=1 a missing URL fails the run.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bot.ai.assist import Assistant
from bot.approval_policy import DEFAULT_POLICY_PATH, load_policy
from bot.clock import FixedClock
from bot.framework import DEFAULT_FRAMEWORK_PATH, load_framework
from bot.portfolio_formula import DEFAULT_PORTFOLIO_PATH, load_portfolio
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.lifecycle import CleanStop, ListenerPool
from bot.slack.installations import Installations
from bot.slack.server import make_server
from bot.slack.slow_work import SlowWork
from storage.db import make_engine, migrate
from tests.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender

POSTGRES_URL = os.environ.get("READINESS_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("READINESS_REQUIRE_POSTGRES") == "1"
GATE_TOKEN = "gate-token-for-tests"
CLIENT_ID, CLIENT_SECRET = "1111111111.2222222222", "client-secret-for-tests"  # the app's, in OAuth mode
START = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)  # a Wednesday afternoon: the bot's clock when a test begins


@pytest.fixture
def clock():
    """The one clock of a test: stopped at START until the test moves it."""
    return FixedClock(START)


@pytest.fixture(scope="session")
def framework():
    return load_framework(DEFAULT_FRAMEWORK_PATH)


@contextmanager
def _new_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file in directory, or a PostgreSQL database dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'readiness.db'}"
        return
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("READINESS_REQUIRE_POSTGRES=1 but READINESS_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests run when READINESS_TEST_POSTGRES_URL is set")
    name = f"readiness_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """One migrated database per backend for the whole run."""
    with _new_database(request.param, tmp_path_factory.mktemp("db")) as url:
        migrate(make_engine(url))
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """A new database per backend with no schema yet, for tests of migrating."""
    with _new_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url):
    """The migrated database, emptied before each test."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    yield engine
    engine.dispose()


@pytest.fixture
def fake_slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@dataclass
class RunningBot:
    """The bot served over HTTP by waitress against the fake Slack; restart() is a process restart."""

    database_url: str
    fake: FakeSlack
    framework_path: object = DEFAULT_FRAMEWORK_PATH
    approvals_channel: str = ""
    openai_url: str | None = None  # AI assist against a fake OpenAI server, when given
    ai_budget: float = 5.0
    clock: FixedClock = field(default_factory=lambda: FixedClock(START))
    oauth: bool = False  # installed in several workspaces through the OAuth flow, instead of one bot token
    portfolio_path: object = DEFAULT_PORTFOLIO_PATH  # how /readiness portfolio ranks
    post_interval: float = 0.0  # no pacing unless asked: tests post to one channel many times a second
    slow_workers: int = 8  # READINESS_SLOW_WORKERS
    slow_waiting: int | None = None  # how much slow work may wait for a worker (by default, 8 per worker)

    def start(self) -> RunningBot:
        self.settings = Settings(
            slack_bot_token="xoxb-test-token", slack_signing_secret=SIGNING_SECRET, slack_app_token="",
            database_url=self.database_url, slack_api_url=self.fake.url, framework_path=self.framework_path,
            slack_client_id=CLIENT_ID if self.oauth else "", slack_client_secret=CLIENT_SECRET if self.oauth else "",
            slack_post_interval=self.post_interval, slow_workers=self.slow_workers,
        )
        self.engine = make_engine(self.database_url)
        assistant = Assistant(api_key="sk-test-key-not-real", base_url=self.openai_url, model="gpt-4o-mini",
                              budget_seconds=self.ai_budget, engine=self.engine,
                              clock=self.clock) if self.openai_url else None
        self.services = Services(engine=self.engine, framework=load_framework(self.framework_path),
                                 policy=load_policy(DEFAULT_POLICY_PATH), approvals_channel=self.approvals_channel,
                                 assistant=assistant, clock=self.clock,
                                 installations=Installations(self.engine, self.clock) if self.oauth else None,
                                 portfolio=load_portfolio(self.portfolio_path))
        self.executor = ListenerPool(SlowWork(self.slow_workers, waiting=self.slow_waiting))
        self.app = build_app(self.settings, self.services, executor=self.executor)
        self.server = make_server(self.app, self.services, signing_secret=SIGNING_SECRET, host="127.0.0.1", port=0,
                                  gate_token=GATE_TOKEN)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.slack = SlackSender(self.url, clock=self.clock)
        self.slack.response_url_base = self.fake.root + "/hooks"
        return self

    def stop(self) -> None:
        self.idle()
        stop = CleanStop(self.server, self.executor)
        stop.begin()
        self.thread.join(5)
        stop.finish()
        self.executor.shutdown()
        self.engine.dispose()

    def restart(self) -> None:
        self.stop()
        self.start()

    def idle(self) -> None:
        assert self.executor.drain_all(15.0), "listeners or slow work still running"


@pytest.fixture
def bot(engine, database_url, fake_slack, clock):
    running = RunningBot(database_url, fake_slack, clock=clock).start()
    yield running
    running.stop()


@pytest.fixture
def fake_openai():
    from tests.fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    yield fake
    fake.stop()


@pytest.fixture
def ai_bot(engine, database_url, fake_slack, fake_openai, clock):
    """The served bot with AI assist, its model at the fake OpenAI server."""
    running = RunningBot(database_url, fake_slack, openai_url=fake_openai.url, ai_budget=3.0, clock=clock).start()
    yield running
    running.stop()


@pytest.fixture
def owners_in_new_york(fake_slack):
    """The business owners U200–U209 live in New York."""
    fake_slack.timezones.update({f"U20{i}": "America/New_York" for i in range(10)})
