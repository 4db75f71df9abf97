"""Fault drills against real `readiness-bot serve` processes: what Slack was told was received is never lost.

Each drill holds Slack's conversations.members, which a click checks before it is stored, so the clicks are
acknowledged but not yet acted on when the process is killed or told to stop. (A thread reply needs no such check:
posting in the channel proves membership, so it is often stored before the kill lands.)
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

from bot.slack.ids import Action
from tests.served import CLI, bot_env, serve, start_review, stored

# a killed process's requests, and the messages it was sending, are taken up within seconds
FAST_RESUME = {"READINESS_RESUME_AFTER_SECONDS": "1", "READINESS_OUTBOX_LEASE_SECONDS": "3"}
NAME = "Drill assistant"


def _send_held(served, fake, *, thread: str, review_id: int, replies: int, clicked: list[str]) -> list[str]:
    """With conversations.members held, send thread replies (each with a marker) and Not yet clicks; all are
    acknowledged. The markers."""
    fake.hold("conversations.members")
    markers = [f"drill-marker-{n}" for n in range(replies)]
    responses = [served.slack.thread_reply(f"yes, {marker}", thread_ts=thread) for marker in markers]
    responses += [served.slack.click(Action.ANSWER_NOT_YET, f"{review_id}:{question_id}") for question_id in clicked]
    assert [r.status for r in responses] == [200] * len(responses)
    fake.wait_for(lambda: fake.held)
    return markers


def _stored(database_url: str, markers: list[str], clicked: list[str]) -> tuple[list[int], list[int], int]:
    """How many evidence rows hold each marker, how many Not yet answers each clicked question has, and how many
    stored requests are still unprocessed."""
    found = stored(database_url, markers, clicked, status="not_yet")
    return found.evidence, found.answers, found.pending


def _until_stored(database_url: str, markers: list[str], clicked: list[str], timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while True:
        evidence, answers, pending = _stored(database_url, markers, clicked)
        if (all(evidence) and all(answers) and not pending) or time.monotonic() > deadline:
            return evidence, answers, pending
        time.sleep(0.2)


def _said(fake) -> list:
    """What the bot said in Slack: posts and ephemeral messages."""
    return fake.calls_to("chat.postMessage") + fake.calls_to("chat.postEphemeral")


def _shown(tmp_path, database_url: str) -> dict:
    result = subprocess.run([str(CLI), "show", NAME, "--json"], cwd=tmp_path, capture_output=True, text=True,
                            env=bot_env(DATABASE_URL=database_url), timeout=60, check=True)
    return json.loads(result.stdout)


def _shown_statuses(shown: dict) -> dict[str, str]:
    return {answer["question_id"]: answer["status"] for answer in shown["answers"]}


def test_kill_9_right_after_acknowledging_loses_no_reply_or_click(tmp_path, fake_slack, empty_database_url,
                                                                  framework):
    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=empty_database_url) as served:
        thread, review_id = start_review(served, NAME)
    clicked = [q.id for q in framework.questions_for("high")[-4:]]

    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=empty_database_url, **FAST_RESUME) as served:
        markers = _send_held(served, fake_slack, thread=thread, review_id=review_id, replies=3, clicked=clicked)
        served.process.kill()
        served.process.wait(timeout=10)
    fake_slack.release()
    evidence, answers, pending = _stored(empty_database_url, markers, clicked)
    assert answers == [0] * 4 and pending == 4 + evidence.count(0), "acknowledged, not yet acted on when killed"

    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=empty_database_url, **FAST_RESUME) as served:
        assert _until_stored(empty_database_url, markers, clicked) == ([1, 1, 1], [1] * 4, 0), "each exactly once"
        said = len(_said(fake_slack))
        assert served.slack.thread_reply("yes, drill-marker-after", thread_ts=thread).status == 200
        assert _until_stored(empty_database_url, ["drill-marker-after"], [])[0] == [1], "the review carries on"
        fake_slack.wait_for(lambda: len(_said(fake_slack)) > said)

    statuses = _shown_statuses(_shown(tmp_path, empty_database_url))
    assert all(statuses[question_id] == "not_yet" for question_id in clicked)


def test_sigterm_with_20_requests_in_flight_stores_all_20_and_exits_0(tmp_path, fake_slack, empty_database_url,
                                                                      framework):
    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=empty_database_url) as served:
        thread, review_id = start_review(served, NAME)
    clicked = [q.id for q in framework.questions_for("high")[-16:]]

    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=empty_database_url) as served:
        markers = _send_held(served, fake_slack, thread=thread, review_id=review_id, replies=4, clicked=clicked)
        served.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # stopping: it waits for the 20 in flight, which are waiting on Slack
        assert served.process.poll() is None, "a stop waits for the work in flight"
        fake_slack.release()
        assert served.process.wait(timeout=30) == 0
    assert "Stopped" in served.output and "Traceback" not in served.output
    assert _stored(empty_database_url, markers, clicked) == ([1] * 4, [1] * 16, 0), "all 20 stored, before exiting"

    shown = _shown(tmp_path, empty_database_url)
    assert all(_shown_statuses(shown)[question_id] == "not_yet" for question_id in clicked)
    evidence = [e["text"] for answer in shown["answers"] for e in answer["evidence"]]
    assert all(sum(marker in text for text in evidence) == 1 for marker in markers)
