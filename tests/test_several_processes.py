"""Fault drill: two `readiness-bot serve` processes and two schedulers on one PostgreSQL database, the load spread
across both. No answer, post, nudge or ledger row twice, and no deadlock.

PostgreSQL only (several processes on one SQLite file is not a supported deployment): each test asks conftest's
`empty_database_url` for its postgresql backend alone, so it never runs (nor skips) on SQLite.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.slack.ids import Action, DecisionField
from storage.db import make_engine, migrate, session_scope
from storage.models import (
    Initiative,
    NudgeLog,
    Review,
    UserProfile,
    Workspace,
)
from tests.review_driver import ReviewDriver
from tests.served import CLI, bot_env, serve, start_review, stored
from tests.slack_requests import TEAM, Signer

on_postgresql_only = pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)

NAME = "Shared assistant"
REPLIES = 10  # thread replies, each answering the first open question (2 of them also retried by Slack)
RETRIED_REPLIES = (3, 7)  # these replies' event reaches both processes at once (the second as Slack's retry)
CLICKS = 16  # Met clicks on distinct questions from the end of the review, half to each process
REPLAYED_CLICKS = 4  # Met clicks whose same signed request reaches both processes at once
DECIDED = "Pilot met its targets on real invoices"  # the go/no-go decision's reason
EVIDENCE = "see https://wiki.example.com/readiness/shared, 45 minutes per task, owned by <@U300>"  # any kind
TROUBLE = ("Traceback", "deadlock detected", "could not serialize", " ERROR ")  # what no output may show


def _trouble(output: str) -> list[str]:
    return [line for line in output.splitlines() if any(word in line for word in TROUBLE)]


def _at_once(*sends) -> list[int]:
    """Run the sends at the same moment (a barrier), each in its own thread; their HTTP statuses."""
    barrier = threading.Barrier(len(sends))

    def go(send):
        barrier.wait()
        return send().status

    with ThreadPoolExecutor(len(sends)) as pool:
        return list(pool.map(go, sends))


@on_postgresql_only
def test_two_serving_processes_share_the_load_with_no_duplicates_or_deadlocks(tmp_path, fake_slack,
                                                                             empty_database_url, framework):
    questions = [q.id for q in framework.questions_for("high")]
    clicked = questions[-CLICKS:]  # far from the questions the replies answer (the first REPLIES + 1)
    replayed = questions[-CLICKS - REPLAYED_CLICKS:-CLICKS]
    assert len(questions) > REPLIES + 1 + REPLAYED_CLICKS + CLICKS
    markers = [f"several-marker-{n}" for n in range(REPLIES)]

    with ExitStack() as stack:
        served = [stack.enter_context(serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=empty_database_url))
                  for _ in range(2)]
        thread, review_id = start_review(served[0], NAME)
        assert served[1].slack.command(f"decide {NAME}").status == 200  # the go/no-go form, through the other
        fake_slack.wait_for(lambda: len(fake_slack.calls_to("views.open")) == 2)
        decision_form = fake_slack.calls_to("views.open")[-1].params["view"]
        requests_before = stored(empty_database_url, [], [], status="met").inbox  # two commands and the intake form

        def reply(n: int, process: int, *, retry: bool = False):
            event = served[0].slack.thread_reply_event(f"yes, {markers[n]}: {EVIDENCE}", thread_ts=thread,
                                                       ts=f"1700000600.{n:06d}")
            return lambda: served[process].slack.event(event, event_id=f"EvSEVERAL{n:04d}",
                                                       retry_num=1 if retry else None)

        def click(question_id: str, process: int):
            return lambda: served[process].slack.click(Action.ANSWER_MET, f"{review_id}:{question_id}")

        def signer() -> Signer:
            signing = Signer(served[0].url)
            signing.response_url_base = served[0].slack.response_url_base
            return signing

        def signed_click(question_id: str) -> tuple[bytes, dict]:
            signing = signer()
            signing.click(Action.ANSWER_MET, f"{review_id}:{question_id}")
            return signing.signed

        def signed_decision() -> tuple[bytes, dict]:
            yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()  # a day that came everywhere
            signing = signer()
            signing.submit_view(decision_form, {
                DecisionField.OUTCOME: {"type": "radio_buttons", "selected_option": {"value": "go"}},
                DecisionField.DECIDED_BY: {"type": "users_select", "selected_user": "U200"},
                DecisionField.DECIDED_ON: {"type": "datepicker", "selected_date": yesterday},
                DecisionField.REASON: {"type": "plain_text_input", "value": DECIDED},
                DecisionField.NEW_DATE: {"type": "datepicker", "selected_date": None},
            })
            return signing.signed

        # The load: alternately to each process, all at once.
        singles, per_process = [], Counter()
        for n in range(REPLIES):
            if n not in RETRIED_REPLIES:
                singles.append(reply(n, n % 2))
                per_process[n % 2] += 1
        for n, question_id in enumerate(clicked):
            singles.append(click(question_id, n % 2))
            per_process[n % 2] += 1
        doubles = [(reply(n, 0), reply(n, 1, retry=True)) for n in RETRIED_REPLIES]
        for body, headers in [signed_click(question_id) for question_id in replayed] + [signed_decision()]:
            doubles.append(tuple(lambda process=process, body=body, headers=headers:
                                 served[process].slack.send(body, headers) for process in (0, 1)))
        per_process.update({0: len(doubles), 1: len(doubles)})
        assert min(per_process.values()) >= 15, "each process takes a good share of the load"

        with ThreadPoolExecutor(8) as pool:
            single_statuses = pool.map(lambda send: send().status, singles)
            double_statuses = pool.map(lambda pair: _at_once(*pair), doubles)
            statuses = list(single_statuses) + [s for pair in double_statuses for s in pair]
        assert statuses == [200] * (len(singles) + 2 * len(doubles)), "every request acknowledged, on both"

        distinct_requests = REPLIES + CLICKS + REPLAYED_CLICKS + 1  # and the decision
        deadline = time.monotonic() + 30
        while True:
            counts = stored(empty_database_url, markers, clicked + replayed, status="met", source="button")
            shown = [q for q in ReviewDriver(served[0]).questions(thread) if q.answered]
            done = (all(counts.evidence) and all(counts.answers) and counts.decisions
                    and not counts.pending and len(shown) >= len(counts.per_question))
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        time.sleep(0.5)  # anything a duplicate would still post or store lands now
        counts = stored(empty_database_url, markers, clicked + replayed, status="met", source="button")
        asked = ReviewDriver(served[0]).questions(thread)

    outputs = [s.output for s in served]
    assert [s.process.returncode for s in served] == [0, 0], outputs
    assert counts.inbox == requests_before + distinct_requests, "a request sent twice is stored once"
    assert counts.pending == 0, "every stored request was acted on"
    assert counts.evidence == [1] * REPLIES, "each reply's evidence stored exactly once"
    assert counts.answers == [1] * (CLICKS + REPLAYED_CLICKS), "each click stored exactly once"
    assert counts.decisions == 1, "the go/no-go decision submitted to both is recorded once"
    assert max(counts.per_question.values()) == 1, f"one answer per question: {counts.per_question}"
    assert set(counts.per_question) == set(questions[:REPLIES]) | set(clicked) | set(replayed)

    asked_ids = [q.question_id for q in asked]
    assert sorted(asked_ids) == sorted(questions), "the owners' checklists show every question once"
    assert {q.question_id for q in asked if q.answered} == set(counts.per_question), \
        "the checklists, updated in place by both processes, show every answer"
    thread_posts = Counter(p["text"] for p in fake_slack.posts(thread_ts=thread))
    assert max(thread_posts.values()) == 1, f"the same message posted twice: {thread_posts}"
    top_level = [p["text"] for p in fake_slack.posts(top_level=True)]
    assert len([text for text in top_level if text.startswith("Readiness review:")]) == 1
    assert len([text for text in top_level if text.startswith("🚦") and DECIDED in text]) == 1, top_level

    seen_twice = sum(output.count("outcome=replay") for output in outputs)
    assert seen_twice == len(doubles), "of each request sent to both, one process acted and the other answered once"
    assert [_trouble(output) for output in outputs] == [[], []]


def _seed_due_nudges(database_url: str, now: datetime) -> set[tuple[str, str | None]]:
    """Initiatives with nudges due at `now` (whatever instant that is), and where each nudge goes: (channel,
    thread_ts). Their week turned three and a half days ago, so none turns during the test; each was created a
    month ago, with a review idle since then; every other one is past its go/no-go date.

    Per initiative: a check-in to its business owner (DM), an idle-review nudge in its review thread, and, for
    every other one, a past-go/no-go nudge in its channel."""
    migrate(make_engine(database_url))
    long_ago = now - timedelta(days=30)
    turned = now - timedelta(days=3, hours=12)
    owners = ["U200", "U300", "U400", "U500", "U555", "U777"]
    expected: set[tuple[str, str | None]] = set()
    engine = make_engine(database_url)
    try:
        with session_scope(engine, now=long_ago) as session:
            workspace = Workspace(team_id=TEAM, nudge_weekday=turned.weekday(), nudge_hour=turned.hour)
            session.add(workspace)
            session.flush()
            for n, owner in enumerate(owners):
                channel, thread = f"C60{n}", f"1700000900.{n:06d}"
                past = n % 2 == 1
                initiative = Initiative(
                    workspace_id=workspace.id, name=f"Nudged {n}", name_key=f"nudged {n}", purpose="Helps",
                    business_owner_id=owner, technical_owner_id="U100", risk_tier="low", channel_id=channel,
                    go_live_date=long_ago.date() if past else None, created_by="U100")
                session.add(initiative)
                session.flush()
                session.add(Review(initiative_id=initiative.id, framework_version="drill", channel_id=channel,
                                   thread_ts=thread))
                session.add(UserProfile(user_id=owner, tz="UTC"))
                expected |= {("D" + owner[1:], None), (channel, thread)} | ({(channel, None)} if past else set())
    finally:
        engine.dispose()
    return expected


def _ledger(database_url: str) -> list[tuple[str, str]]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return [(row.key, row.status) for row in session.exec(select(NudgeLog)).all()]
    finally:
        engine.dispose()


@on_postgresql_only
def test_two_schedulers_send_each_nudge_once(tmp_path, fake_slack, empty_database_url):
    expected = _seed_due_nudges(empty_database_url, datetime.now(UTC))
    env = bot_env(SLACK_API_URL=fake_slack.url, DATABASE_URL=empty_database_url)
    schedulers = [subprocess.Popen([str(CLI), "scheduler", "--every", "1"], cwd=tmp_path, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 30
        while len(_ledger(empty_database_url)) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # a few more cycles of both: nothing is due any more
        assert [s.poll() for s in schedulers] == [None, None], "both still running"
        for scheduler in schedulers:
            scheduler.send_signal(signal.SIGTERM)
        outputs = [scheduler.communicate(timeout=30)[0] for scheduler in schedulers]
    finally:
        for scheduler in schedulers:
            if scheduler.poll() is None:
                scheduler.kill()
                scheduler.wait()
    assert [s.returncode for s in schedulers] == [0, 0], outputs
    assert all("Scheduler running" in output for output in outputs), outputs

    posted = Counter((p["channel"], p.get("thread_ts")) for p in fake_slack.posts())
    assert set(posted) == expected, "every nudge due was posted"
    assert max(posted.values()) == 1, f"a nudge posted twice: {posted}"
    ledger = _ledger(empty_database_url)
    assert len(ledger) == len(expected) and len({key for key, _ in ledger}) == len(ledger), ledger
    assert {status for _, status in ledger} == {"sent"}
    assert [_trouble(output) for output in outputs] == [[], []]
