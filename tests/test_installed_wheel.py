"""The wheel, installed in a virtual environment of its own outside the checkout, plays a whole review.

`.ci/run` builds the wheel, installs it and names its `readiness-bot` in READINESS_INSTALLED_BOT; without it
(a developer's machine) these tests are skipped.
"""

import os
import subprocess
from pathlib import Path

import pytest

from bot.slack.ids import Action
from tests.review_driver import EVIDENCE_REPLIES, ReviewDriver, intake_values
from tests.served import bot_env, serve

INSTALLED_BOT = os.environ.get("READINESS_INSTALLED_BOT", "")
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not INSTALLED_BOT, reason="READINESS_INSTALLED_BOT is not set (.ci/run sets it)")


def test_installed_wheel_imports_nothing_from_the_checkout(tmp_path):
    python = Path(INSTALLED_BOT).parent / "python"
    found = subprocess.run([str(python), "-c", "import bot, prompts, storage.migrations.versions as v; "
                            "print(bot.__file__, prompts.__file__, *v.__path__)"],
                           cwd=tmp_path, env=bot_env(), capture_output=True, text=True, check=True).stdout.split()
    assert len(found) == 3 and not any(Path(path).is_relative_to(ROOT) for path in found), found


def test_installed_wheel_migrates_a_new_database_and_plays_a_whole_review(tmp_path, fake_slack, empty_database_url,
                                                                          framework):
    with serve(Path(INSTALLED_BOT), cwd=tmp_path, fake=fake_slack, database_url=empty_database_url) as served:
        driver, slack = ReviewDriver(served), served.slack
        assert slack.command("new Invoice assistant").status == 200
        fake_slack.wait_for(lambda: fake_slack.calls_to("views.open"))
        view = fake_slack.calls_to("views.open")[-1].params["view"]
        assert slack.submit_view(view, intake_values("Invoice assistant", tier="low")).status == 200
        fake_slack.wait_for(lambda: _posts(fake_slack, "Readiness review:"))
        [root] = _posts(fake_slack, "Readiness review:")
        thread = root["ts"]
        fake_slack.wait_for(lambda: driver.questions(thread))

        asked = []
        while not _posts(fake_slack, "Readiness summary"):
            question = driver.current(thread)
            asked.append(question.question_id)
            assert slack.click(Action.ANSWER_MET, f"{question.review_id}:{question.question_id}",
                               message_ts=question.ts).status == 200
            evidence = framework.question(question.question_id).evidence
            if evidence:
                fake_slack.wait_for(lambda: "Evidence, please" in driver.thread_texts(thread)[-1])
                assert slack.thread_reply(EVIDENCE_REPLIES[evidence.kind], thread_ts=thread).status == 200
            fake_slack.wait_for(lambda: driver.current(thread).ts != question.ts
                                or _posts(fake_slack, "Readiness summary"))

    assert asked == [q.id for q in framework.questions_for("low")], "the framework shipped in the wheel was asked"
    [summary] = _posts(fake_slack, "Readiness summary")
    assert summary["text"].startswith(f"Readiness summary: Invoice assistant: Ready (risk tier low, {len(asked)} of "
                                      f"{len(asked)} questions answered)")


def _posts(fake, start: str) -> list[dict]:
    return [p for p in fake.posts(top_level=True) if p["text"].startswith(start)]
