"""What one answered question costs the database: SQL statements and transactions, by what they were for.

A whole high-tier review is played by buttons (Met, with the evidence asked for as a thread reply) against the
bot served in this process (as in Socket Mode: `serve`'s inbox worker adds one claim per burst of requests) and the
fake Slack Web API; every statement and commit on the bot's engine is counted
and put in one of three groups: the unit of work of the answer itself (it writes the answer), the request stored
before it is acknowledged (the inbox), and the outbox relay's bookkeeping (claiming and recording deliveries);
what remains (reads: authorization, forms, App Home) is counted apart. On a SQLite file, and on PostgreSQL too when
BENCH_DATABASE_URL names a scratch database (its tables are emptied).

    .venv/bin/python bench/answer_cost.py
    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1/test .venv/bin/python bench/answer_cost.py
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from bench.ack_latency import emptied  # noqa: E402
from bot.framework import DEFAULT_FRAMEWORK_PATH, load_framework  # noqa: E402
from tests.conftest import RunningBot  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.review_driver import complete_review  # noqa: E402

STORED = "storing the request (inbox)"
WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


class Tally:
    """Statements and commits on an engine, each transaction put in a group by the tables it wrote."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.open: dict[int, tuple[list[str], set[str]]] = defaultdict(lambda: ([], set()))
        self.transactions: Counter = Counter()
        self.statements: Counter = Counter()

    def __enter__(self) -> Tally:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._end)
        event.listen(self.engine, "rollback", self._end)
        return self

    def __exit__(self, *_) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)

    def _statement(self, connection, _cursor, statement, *_args) -> None:
        texts, tables = self.open[id(connection)]
        texts.append(statement)
        if found := WRITE.match(statement):
            tables.add(found[2].lower())

    def _end(self, connection) -> None:
        texts, tables = self.open.pop(id(connection), ([], set()))
        if not texts:
            return
        group = ("the answer's unit of work" if "answer" in tables or "evidence" in tables
                 else STORED if tables == {"inbox"}
                 else "the relay (outbox)" if tables and tables <= {"outbox", "request_message", "review"}
                 else "other writes" if tables else "reads")
        self.transactions[group] += 1
        self.statements[group] += len(texts)


def measure(label: str, url: str, fake: FakeSlack, framework) -> None:
    bot = RunningBot(emptied(url), fake).start()
    try:
        with Tally(bot.engine) as tally:
            complete_review(bot, framework, tier="high")
    finally:
        bot.stop()
    answered, requests = len(framework.questions_for("high")), tally.transactions[STORED]
    print(f"{label}: a high-tier review, {answered} questions answered by {requests} clicks and replies; per request:")
    for group in sorted(tally.transactions, key=lambda g: -tally.statements[g]):
        print(f"  {group:<30} {tally.transactions[group] / requests:5.2f} transactions, "
              f"{tally.statements[group] / requests:6.2f} statements")


def main() -> None:
    framework = load_framework(DEFAULT_FRAMEWORK_PATH)
    fake = FakeSlack().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            measure("SQLite", f"sqlite:///{tmp}/bench.db", fake, framework)
        if os.environ.get("BENCH_DATABASE_URL"):
            measure("PostgreSQL", os.environ["BENCH_DATABASE_URL"], fake, framework)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
