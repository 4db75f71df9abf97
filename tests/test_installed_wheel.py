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
        while (question := next((q for q in driver.questions(thread) if not q.answered), None)) is not None:
            asked.append(question.question_id)
            assert slack.click(Action.ANSWER_MET, f"{question.review_id}:{question.question_id}",
                               message_ts=question.ts).status == 200
            fake_slack.wait_for(lambda: _shown(driver, thread, question.question_id).answered)
            if framework.question(question.question_id).evidence:  # the checklist asks for it under the question
                kind = framework.question(question.question_id).evidence.kind
                assert slack.thread_reply(EVIDENCE_REPLIES[kind], thread_ts=thread).status == 200
                fake_slack.wait_for(lambda: "Reply " not in _shown(driver, thread, question.question_id).text)
        fake_slack.wait_for(lambda: "Ready (" in _summary_text(fake_slack))

    assert asked == [q.id for q in framework.questions_for("low")], "the framework shipped in the wheel was asked"
    assert _summary_text(fake_slack).startswith(f"Readiness summary: Invoice assistant: Ready (risk tier low, "
                                                f"{len(asked)} of {len(asked)} questions answered)")


def _shown(driver: ReviewDriver, thread: str, question_id: str):
    return next(q for q in driver.questions(thread) if q.question_id == question_id)


def _summary_text(fake) -> str:
    """The posted summary's text as its latest update left it ("" until it is posted)."""
    return "".join(fake.shown(post)["text"] for post in _posts(fake, "Readiness summary"))


def _posts(fake, start: str) -> list[dict]:
    return [p for p in fake.posts(top_level=True) if p["text"].startswith(start)]
