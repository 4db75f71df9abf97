"""How fast the served bot acknowledges Slack, against a bare Bolt app under the same production server.

Both run under waitress with the same number of threads, against the fake Slack Web API, and get the same signed
requests (slash commands, button clicks and thread replies, in turn) from 1, 10 and 50 concurrent senders: in each
round every sender sends one request at the same instant, and the next round starts once the bot has done the
work the last one caused (people wait to see their answer before the next click). The
bare app only acknowledges: its figures are the floor. The bot runs on a SQLite file, and on PostgreSQL too when
BENCH_DATABASE_URL names a scratch database (its tables are emptied).

With --model, AI assist is on and the model takes 10 s to answer: 100 unclear thread replies put 100 model calls
in flight, and 150 other requests are sent meanwhile; every acknowledgement should stay under Slack's 3 s.

    .venv/bin/python bench/ack_latency.py                      # 1, 10 and 50 senders on SQLite
    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1/test .venv/bin/python bench/ack_latency.py
    .venv/bin/python bench/ack_latency.py --model
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import App  # noqa: E402
from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402
from waitress.server import create_server  # noqa: E402

from bot.slack.ai_flow import BUSY  # noqa: E402
from bot.slack.ids import Action  # noqa: E402
from bot.slack.server import SERVER_THREADS  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.review_driver import ReviewDriver  # noqa: E402
from tests.served import CLI, ServedBot, free_port, serve  # noqa: E402
from tests.slack_requests import SIGNING_SECRET, Response, SlackSender  # noqa: E402

REQUESTS_PER_LEVEL = 300  # at each number of senders, spread over them
MODEL_SECONDS = 10.0
IN_FLIGHT = 100
OTHERS = 150


def mixed(sender: SlackSender, thread: str, value: str, ts: str) -> list[Callable[[], Response]]:
    """One request of each kind Slack sends most: a command, a click and a thread reply (each sender its own)."""
    return [
        lambda user: sender.command("status Invoice assistant", user=user),
        lambda user: sender.click(Action.ANSWER_PARTLY, value, user=user, message_ts=ts),
        lambda user: sender.thread_reply(f"{user}: still checking", thread_ts=thread, user=user),
    ]


def timed(kinds: list[Callable], senders: int, total: int, *, settle: Callable[[], None] = lambda: None) -> list[float]:
    """Rounds in which every sender sends one request at the same instant, until `total` are sent; after each round
    the work it caused is let finish (`settle`), as people wait to see their answer before the next. The ack times."""
    times: list[float] = []
    with ThreadPoolExecutor(max_workers=senders) as pool:
        for round_number in range(max(1, total // senders)):
            barrier = threading.Barrier(senders)

            def send(number: int, round_number=round_number, barrier=barrier) -> float:
                barrier.wait()
                response = kinds[(number + round_number) % len(kinds)](f"U{number:04d}")
                if response.status != 200:
                    raise SystemExit(f"a request got {response.status}: {response.body[:200]!r}")
                return response.elapsed

            times += pool.map(send, range(senders))
            settle()
    return sorted(times)


def percentile(times: list[float], share: float) -> float:
    return times[min(len(times) - 1, int(len(times) * share))]


def line(label: str, times: list[float], floor: list[float] | None = None) -> str:
    p50, p99 = statistics.median(times) * 1000, percentile(times, 0.99) * 1000
    ratio = f"  p99 {p99 / (percentile(floor, 0.99) * 1000):.2f}x the floor" if floor else ""
    return f"{label:<28} n={len(times):<4} p50={p50:7.1f} ms  p99={p99:7.1f} ms  max={times[-1] * 1000:7.1f} ms{ratio}"


def serve_bare_bolt(port: int, slack_url: str) -> None:
    """A Bolt app that only acknowledges, served by waitress with the bot's thread count: the floor."""
    app = App(signing_secret=SIGNING_SECRET, token_verification_enabled=False,
              client=WebClient(token="xoxb-test-token", base_url=slack_url))
    app.command("/readiness")(lambda ack: ack())
    app.action(re.compile(".*"))(lambda ack: ack())
    app.event("message")(lambda ack: ack())
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # its queue depth, as the bot's server does not log
    create_server(SlackRequestHandler(app), host="127.0.0.1", port=port, threads=SERVER_THREADS).run()


@contextmanager
def bare_bolt(fake: FakeSlack):
    """The bare Bolt app in a process of its own, as the bot is."""
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--bare", str(port), "--slack", fake.url])
    try:
        wait_for_port(port)
        yield SlackSender(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait()


def wait_for_port(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the bare Bolt app did not come up")


def emptied(url: str) -> str:
    """The database at `url`, at the newest schema and with every table emptied."""
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    return url


@contextmanager
def running_bot(url: str, fake: FakeSlack, **settings: str):
    """`readiness-bot serve` as it runs in production (a process, with its inbox worker), on an emptied database;
    logging warnings only, as nobody reads its output until it stops."""
    emptied(url)
    with tempfile.TemporaryDirectory() as cwd, serve(CLI, cwd=Path(cwd), fake=fake, database_url=url,
                                                     LOG_LEVEL="WARNING", **settings) as served:
        yield served


def review_targets(bot: ServedBot) -> tuple[str, str, str]:
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant")
    question = driver.current(thread)
    return thread, f"{question.review_id}:{question.question_id}", question.ts


def levels(url: str, label: str, senders: list[int], fake: FakeSlack) -> None:
    with running_bot(url, fake) as bot, bare_bolt(fake) as bare:
        thread, value, ts = review_targets(bot)
        bot_kinds, bare_kinds = mixed(bot.slack, thread, value, ts), mixed(bare, thread, value, ts)
        timed(bot_kinds, 10, 60, settle=bot.idle), timed(bare_kinds, 10, 60)  # warm-up
        for count in senders:
            floor = timed(bare_kinds, count, REQUESTS_PER_LEVEL)
            times = timed(bot_kinds, count, REQUESTS_PER_LEVEL, settle=bot.idle)
            print(line(f"bare Bolt, {count} senders", floor))
            print(line(f"{label}, {count} senders", times, floor))


def model_in_flight(url: str, fake: FakeSlack) -> None:
    """100 thread replies the model reads for 10 s each, then 150 other requests while those calls are in flight."""
    model = FakeOpenAI()
    model.latency = MODEL_SECONDS
    try:
        with running_bot(url, fake, OPENAI_API_KEY="sk-bench-not-real", OPENAI_BASE_URL=model.url,
                         READINESS_AI_BUDGET_SECONDS=str(MODEL_SECONDS + 5)) as bot:
            thread, value, ts = review_targets(bot)
            told_before = len(fake.ephemerals())
            unclear = [lambda user: bot.slack.thread_reply("we sort of looked at it", thread_ts=thread, user=user)]
            with ThreadPoolExecutor(max_workers=2) as pool:
                flight = pool.submit(timed, unclear, IN_FLIGHT, IN_FLIGHT)
                threading.Event().wait(1.0)  # the model calls are under way
                others = timed(mixed(bot.slack, thread, value, ts), 50, OTHERS)
                replies = flight.result()
            in_flight = len(model.requests)
            slow = sum(t > 3.0 for t in others + replies)
            print(line("replies sent to the model", replies))
            print(line("others meanwhile", others))
            print(f"acknowledgements over 3 s: {slow} of {len(others) + len(replies)}")
            asked = IN_FLIGHT + OTHERS // 3  # a third of the others are replies too

            def busy() -> int:  # this run's replies told that AI assist was busy
                return sum(BUSY.rstrip(".").lower() in text for text in fake.ephemerals()[told_before:])

            deadline = time.monotonic() + IN_FLIGHT * (MODEL_SECONDS + 5)
            while len(model.requests) + busy() < asked and time.monotonic() < deadline:
                time.sleep(0.5)  # every model call made, or refused
            time.sleep(MODEL_SECONDS + 1)  # and the last ones answered
            busy = busy()
            print(f"model calls: {in_flight} in flight while the others were sent (the slow workers), "
                  f"{len(model.requests)} made in all; {busy} replies told at once that AI assist was busy")
    finally:
        model.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("senders", nargs="*", type=int, default=[1, 10, 50])
    parser.add_argument("--model", action="store_true", help="100 model calls of 10 s in flight")
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)  # serve the bare Bolt app on this port
    parser.add_argument("--slack", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        serve_bare_bolt(args.bare, args.slack)
        return
    fake = FakeSlack().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            urls = {"SQLite": f"sqlite:///{tmp}/bench.db"}
            if os.environ.get("BENCH_DATABASE_URL"):
                urls["PostgreSQL"] = os.environ["BENCH_DATABASE_URL"]
            for label, url in urls.items():
                if args.model:
                    print(f"{label}:")
                    model_in_flight(url, fake)
                else:
                    levels(url, label, args.senders, fake)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
