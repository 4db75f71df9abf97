"""`serve` acknowledges, its inbox worker acts: the worker is started again if it dies and never outlives `serve`;
requests arriving at once are stored in one transaction."""

from __future__ import annotations

import os
import signal
import threading
import time
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.clock import FixedClock
from storage import inbox
from storage.db import writing_promptly
from tests.conftest import START
from tests.review_driver import BUSINESS, EVIDENCE_REPLIES, ReviewDriver
from tests.served import CLI, serve


def _worker_of(pid: int) -> int:
    """The process id of the one child `serve` started (its inbox worker), once it is there."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        children = [process for process in _processes() if _parent(process) == pid and not _gone(process)]
        if children:
            [child] = children
            return child
        time.sleep(0.05)
    raise AssertionError("serve started no inbox worker")


def _processes() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting to be reaped counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return "\nState:\tZ" in status


def _until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_worker_that_dies_is_started_again_and_acts_on_what_was_stored_meanwhile(tmp_path, fake_slack,
                                                                                  database_url, engine):
    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=database_url) as served:
        first = _worker_of(served.process.pid)
        os.kill(first, signal.SIGKILL)
        assert _until(lambda: _gone(first))
        assert served.slack.command("help").status == 200, "acknowledged while no worker runs"
        fake_slack.wait_for(lambda: fake_slack.responses())  # acted on by the worker started again
        assert "/readiness new" in fake_slack.responses()[-1]["text"]
        assert _worker_of(served.process.pid) != first
    assert "The inbox worker stopped (exit status -9); starting it again" in served.output
    assert "Traceback" not in served.output


def test_the_worker_acts_on_a_persons_quick_replies_one_after_another_in_the_order_sent(tmp_path, fake_slack,
                                                                                         database_url, engine,
                                                                                         framework):
    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=database_url) as served:
        driver = ReviewDriver(served)
        driver.start("Quick replies", tier="low", asks_in="dm")
        questions = driver.dm_questions(BUSINESS)
        assert sum(1 for q in questions if framework.question(q.question_id).evidence) >= 2
        for question in questions:  # sent at once: each answers the next question, as it was meant to
            spec = framework.question(question.question_id)
            evidence = f" {EVIDENCE_REPLIES[spec.evidence.kind]}" if spec.evidence else ""
            assert served.slack.direct_message(f"yes,{evidence}", user=BUSINESS).status == 200
        served.idle()
        assert all(q.answered for q in driver.dm_questions(BUSINESS))
        assert not fake_slack.ephemerals(), "no reply was taken for another question"


def test_the_worker_ends_with_serve_even_when_serve_is_killed(tmp_path, fake_slack, database_url, engine):
    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=database_url) as served:
        worker = _worker_of(served.process.pid)
        served.process.kill()
        served.process.wait(timeout=10)
        assert _until(lambda: _gone(worker), timeout=10), "no worker is left acting without its serve"


def test_requests_arriving_while_one_is_being_stored_share_the_next_transaction(engine):
    clock = FixedClock(START)
    batches, first_in, go_on = [], threading.Event(), threading.Event()

    def begin():
        first_in.set()
        go_on.wait(10)  # the first transaction is slow: the others arrive meanwhile
        return engine.begin()

    def count_inserts(_conn, _cursor, statement, *_):  # each transaction's INSERT statements
        if statement.lstrip().upper().startswith("INSERT INTO INBOX"):
            batches[-1] += 1

    def began(_conn):
        batches.append(0)

    recorder = inbox.Recorder(begin, clock)
    event.listen(engine, "begin", began)
    event.listen(engine, "before_cursor_execute", count_inserts)
    try:
        results: dict[str, bool] = {}
        keys = ["first", "a", "b", "a", "c"]  # "a" twice: a replay arriving with the request it repeats

        def send(number: int, key: str) -> None:
            results[f"{number}:{key}"] = recorder.record(key=key, kind="command", body="{}")

        threads = [threading.Thread(target=send, args=(0, "first"))]
        threads[0].start()
        assert first_in.wait(10)
        threads += [threading.Thread(target=send, args=(n, key)) for n, key in enumerate(keys[1:], start=1)]
        for thread in threads[1:]:
            thread.start()
        _until(lambda: len(recorder._waiting) == 4, timeout=10)
        go_on.set()
        for thread in threads:
            thread.join(10)
    finally:
        event.remove(engine, "begin", began)
        event.remove(engine, "before_cursor_execute", count_inserts)
    assert [n for n in batches if n] == [1, 1], "the first alone, the four that waited in one transaction, at once"
    assert results == {"0:first": True, "1:a": True, "2:b": True, "3:a": False, "4:c": True}


def test_when_the_database_fails_every_request_waiting_on_that_transaction_gets_the_error():
    def begin():
        raise OperationalError("BEGIN", {}, Exception("database is locked"))

    recorder = inbox.Recorder(begin, FixedClock(START))
    for key in ("a", "b"):
        with pytest.raises(OperationalError):
            recorder.record(key=key, kind="command", body="{}")


def test_a_request_arriving_while_another_process_writes_is_stored_once_the_lock_is_free(engine):
    recorder = inbox.Recorder(partial(writing_promptly, engine), FixedClock(START))
    stored: list[bool] = []
    with engine.begin() as other:  # another process's unit of work holds the lock (on SQLite, the database's)
        if engine.dialect.name == "postgresql":
            other.exec_driver_sql("LOCK TABLE inbox IN EXCLUSIVE MODE")
        waiting = threading.Thread(target=lambda: stored.append(recorder.record(key="k", kind="command", body="{}")))
        waiting.start()
        time.sleep(0.3)
        assert not stored, "it waits for the lock"
    waiting.join()
    assert stored == [True]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM inbox").scalar() == 1
