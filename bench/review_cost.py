"""What one review costs the team and the server, at each risk tier, played by buttons as a team would.

A `readiness-bot serve` process on a SQLite file, against the fake Slack Web API: the intake, then every question
answered Met by its owner from their checklist (with the evidence it asks for, as their thread reply), until the
summary. Counted from the intake to the
summary: every message the bot posts (channel, thread, DM, ephemeral, a response to a command or a click; updating
a message in place is free), every character a person reads in them (the text of every text object in the blocks,
button labels included; the `text` fallback when there are no blocks), the clicks, replies and forms the team
sends, and the CPU seconds and peak memory of the serving process.

    .venv/bin/python bench/review_cost.py            # low, medium and high
    .venv/bin/python bench/review_cost.py high
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.framework import DEFAULT_FRAMEWORK_PATH, Owner, load_framework  # noqa: E402
from bot.slack.ids import Action  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.review_driver import BUSINESS, EVIDENCE_REPLIES, TECHNICAL, ReviewDriver, reading  # noqa: E402
from tests.served import CLI, serve, start_review  # noqa: E402

def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mib(pid: int) -> float:
    """The process's peak resident memory so far (Linux /proc: VmHWM)."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def play(tier: str, framework) -> dict:
    fake = FakeSlack().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/review.db"
            migrate(make_engine(url))
            with serve(CLI, cwd=Path(tmp), fake=fake, database_url=url) as served:
                before_calls, before_cpu = len(fake.calls), cpu_seconds(served.process.pid)
                thread, _ = start_review(served, "Cost assistant", tier=tier)
                sent = 2  # the command and the intake form
                driver = ReviewDriver(served)
                for question in driver.questions(thread):
                    spec = framework.question(question.question_id)
                    owner = BUSINESS if spec.owner == Owner.BUSINESS else TECHNICAL
                    served.slack.click(Action.ANSWER_MET, f"{question.review_id}:{question.question_id}",
                                       user=owner, message_ts=question.ts)
                    sent += 1
                    fake.wait_for(lambda: _shown(driver, thread, question.number).answered)  # as a person reads it
                    if "📎 _" in _shown(driver, thread, question.number).text:  # asked for evidence
                        served.slack.thread_reply(EVIDENCE_REPLIES[spec.evidence.kind], thread_ts=thread, user=owner)
                        sent += 1
                        fake.wait_for(lambda: "📎 _" not in _shown(driver, thread, question.number).text)
                fake.wait_for(lambda: _summary_posted(fake), timeout=60)
                cpu = cpu_seconds(served.process.pid) - before_cpu
                memory = peak_memory_mib(served.process.pid)
                read = reading(fake, since=before_calls)
    finally:
        fake.stop()
    return {"messages": read.messages, "characters": read.characters, "sent": sent, "cpu": cpu, "memory": memory}


def _shown(driver: ReviewDriver, thread: str, number: int):
    return driver.questions(thread)[number - 1]


def _summary_posted(fake: FakeSlack) -> bool:
    return any(p["text"].startswith("Readiness summary") for p in fake.posts(top_level=True))


def main() -> None:
    framework = load_framework(DEFAULT_FRAMEWORK_PATH)
    for tier in sys.argv[1:] or ["low", "medium", "high"]:
        cost = play(tier, framework)
        questions = len(framework.questions_for(tier))
        print(f"{tier:<6} {questions:>2} questions: {cost['messages']:>3} messages, {cost['characters']:>6,} "
              f"characters, {cost['sent']:>3} clicks, replies and forms; the server: {cost['cpu']:.2f} s CPU, "
              f"{cost['memory']:.0f} MiB peak memory", flush=True)


if __name__ == "__main__":
    main()
