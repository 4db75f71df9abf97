"""The real `readiness-bot` command as a process: its environment, a free port, `serve` against the fake Slack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from bot.framework import DEFAULT_FRAMEWORK_PATH, load_framework
from storage.db import make_engine
from storage.models import Answer, Evidence, GoDecision, InboxEntry, OutboxMessage
from tests.fake_slack import FakeSlack
from tests.review_driver import ReviewDriver, intake_values
from tests.slack_requests import SIGNING_SECRET, SlackSender

CLI = Path(sys.executable).parent / "readiness-bot"  # the checkout's command, installed editable beside pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_env(**settings: str) -> dict[str, str]:
    """This process's environment (without PYTHONPATH) with test tokens and the given settings."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if env.get("FAKETIME", "").startswith("@"):  # under libfaketime: the child's clock starts where ours is now,
        env["FAKETIME"] = "@" + datetime.now().strftime("%Y-%m-%d %H:%M:%S")  # not where ours started
    return {**env, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "READINESS_SLACK_POST_INTERVAL": "0", **settings}


@dataclass
class ServedBot:
    """A `readiness-bot serve` process: where it listens, a sender of signed requests, its output once stopped."""

    fake: FakeSlack
    url: str
    slack: SlackSender
    process: subprocess.Popen
    database_url: str
    output: str = ""

    def idle(self, timeout: float = 30.0) -> None:
        """Wait until every request it stored has been acted on and every message it wrote delivered."""
        engine = make_engine(self.database_url)
        waiting = [select(func.count()).select_from(InboxEntry).where(InboxEntry.processed_at.is_(None),
                                                                      InboxEntry.body.is_not(None)),
                   select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.is_(None),
                                                                         OutboxMessage.error.is_(None))]
        deadline = time.monotonic() + timeout
        try:
            while True:
                with Session(engine) as session:
                    if not any(session.exec(query).one() for query in waiting):
                        return
                assert time.monotonic() < deadline, "the served bot is still acting on what it stored"
                time.sleep(0.01)
        finally:
            engine.dispose()


@contextmanager
def serve(cli: Path, *, cwd: Path, fake: FakeSlack, database_url: str, **settings: str) -> Iterator[ServedBot]:
    """`cli serve` on a free port against the fake Slack, yielded once it answers /healthz, stopped after (unless
    the test ended it already)."""
    port = free_port()
    env = bot_env(SLACK_API_URL=fake.url, DATABASE_URL=database_url, PORT=str(port), **settings)
    process = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1"], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    served = ServedBot(fake, url, SlackSender(url), process, database_url)
    served.slack.response_url_base = fake.root + "/hooks"
    try:
        _wait_until_up(url, process)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
        served.output = process.communicate(timeout=30)[0]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve did not come up")


def start_review(served: ServedBot, name: str, *, tier: str = "high") -> tuple[str, int]:
    """Start a review through a served process (as a person would: the command, then the intake form); its
    thread's ts and its review id, once every owner's checklist is posted."""
    fake = served.fake
    assert served.slack.command(f"new {name}").status == 200
    fake.wait_for(lambda: fake.calls_to("views.open"))
    view = fake.calls_to("views.open")[-1].params["view"]
    assert served.slack.submit_view(view, intake_values(name, tier=tier)).status == 200
    fake.wait_for(lambda: any(p["text"].startswith("Readiness review:") for p in fake.posts(top_level=True)))
    thread = fake.posts(top_level=True)[-1]["ts"]
    driver = ReviewDriver(served)
    asked = len(load_framework(DEFAULT_FRAMEWORK_PATH).questions_for(tier))
    fake.wait_for(lambda: len(driver.questions(thread)) == asked)
    return thread, driver.current(thread).review_id


@dataclass(frozen=True)
class Stored:
    """What served bots stored, counted straight from their database."""

    evidence: list[int]  # evidence rows holding each marker
    answers: list[int]  # answers of the given status (and source) to each clicked question
    per_question: Counter  # answers of any kind, by question
    inbox: int  # requests stored
    pending: int  # stored requests not acted on yet
    decisions: int  # go/no-go decisions


def stored(database_url: str, markers: list[str], clicked: list[str], *, status: str,
           source: str | None = None) -> Stored:
    """Count what the bots stored for the given markers (in evidence) and clicked questions."""
    engine = make_engine(database_url)
    count = select(func.count())
    try:
        with Session(engine) as session:
            answered = count.select_from(Answer).where(Answer.status == status)
            if source:
                answered = answered.where(Answer.source == source)
            return Stored(
                evidence=[session.exec(count.select_from(Evidence).where(Evidence.text.contains(marker))).one()
                          for marker in markers],
                answers=[session.exec(answered.where(Answer.question_id == question)).one() for question in clicked],
                per_question=Counter(session.exec(select(Answer.question_id)).all()),
                inbox=session.exec(count.select_from(InboxEntry)).one(),
                pending=session.exec(count.select_from(InboxEntry).where(InboxEntry.processed_at.is_(None))).one(),
                decisions=session.exec(count.select_from(GoDecision)).one(),
            )
    finally:
        engine.dispose()
