"""How fast the served bot acknowledges 50 concurrent Slack requests (Slack allows 3 seconds).

Runs the real HTTP server (waitress) against the fake Slack Web API, on a SQLite file, and sends
signed slash commands, button clicks and thread replies at once; then again with a Slack that takes
0.5 s per Web API call, to show the acks do not wait for the work after them.

    .venv/bin/python bench/ack_latency.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.slack.ids import Action  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from tests.conftest import RunningBot  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.review_driver import ReviewDriver  # noqa: E402

CONCURRENT = 50


def one_round(bot: RunningBot, thread: str) -> list[float]:
    driver = ReviewDriver(bot)
    question = driver.current(thread)
    value = f"{question.review_id}:{question.question_id}"
    requests = []
    for i in range(CONCURRENT):
        kind = i % 3
        if kind == 0:
            requests.append(lambda i=i: bot.slack.command("status Invoice assistant", user=f"U{i:04d}"))
        elif kind == 1:
            requests.append(lambda i=i: bot.slack.click(Action.ANSWER_PARTLY, value, user=f"U{i:04d}",
                                                        message_ts=question.ts))
        else:
            requests.append(lambda i=i: bot.slack.thread_reply(f"note {i}: still checking", thread_ts=thread,
                                                               user=f"U{i:04d}"))
    barrier = threading.Barrier(CONCURRENT)

    def fire(send):
        barrier.wait()
        return send()

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        responses = list(pool.map(fire, requests))
    bot.idle()
    assert all(r.status == 200 for r in responses), [r.status for r in responses if r.status != 200]
    return sorted(r.elapsed for r in responses)


def report(label: str, times: list[float]) -> None:
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{label:<34} n={len(times)}  p50={statistics.median(times) * 1000:7.1f} ms  "
          f"p95={p95 * 1000:7.1f} ms  max={times[-1] * 1000:7.1f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(make_engine(url))
        fake = FakeSlack().start()
        bot = RunningBot(url, fake).start()
        try:
            thread = ReviewDriver(bot).start("Invoice assistant")
            one_round(bot, thread)  # warm-up
            report("Slack answers at once:", one_round(bot, thread))
            fake.latency = 0.5
            report("Slack takes 0.5 s per API call:", one_round(bot, thread))
        finally:
            fake.latency = 0
            bot.stop()
            fake.stop()


if __name__ == "__main__":
    main()
