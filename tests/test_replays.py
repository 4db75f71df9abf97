"""A signed request sent again inside Slack's five minutes is answered once; an event is counted once by its id."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.slack import resume
from bot.slack.ids import Action
from storage.inbox import KEEP
from storage.models import Answer, InboxEntry, Initiative
from tests.conftest import RunningBot
from tests.request_kinds import footprint, kinds
from tests.review_driver import ReviewDriver, intake_values
from tests.slack_requests import fixture, signed_headers


def inbox(bot) -> list[InboxEntry]:
    with Session(bot.engine) as session:
        return session.exec(select(InboxEntry)).all()


def count(bot, model) -> int:
    with Session(bot.engine) as session:
        return len(session.exec(select(model)).all())


def replayed_changes_nothing(bot) -> None:
    before = footprint(bot)
    response = bot.slack.replay()
    assert (response.status, response.body) == (200, "")
    assert footprint(bot) == before


def test_a_replayed_command_opens_one_form(bot):
    assert bot.slack.command("new Invoice assistant").status == 200
    replayed_changes_nothing(bot)
    assert len(bot.fake.calls_to("views.open")) == 1
    assert [(row.kind, row.key.startswith("v0=")) for row in inbox(bot)] == [("command", True)]


def test_a_replayed_click_records_one_answer(bot):
    driver = ReviewDriver(bot)
    thread = driver.start("Tiny", tier="low")
    driver.click(driver.current(thread), Action.ANSWER_NOT_YET)
    replayed_changes_nothing(bot)
    assert count(bot, Answer) == 1


def test_a_replayed_modal_submission_creates_one_initiative(bot):
    view = ReviewDriver(bot).open_intake()
    assert bot.slack.submit_view(view, intake_values("Invoice assistant")).status == 200
    replayed_changes_nothing(bot)
    assert count(bot, Initiative) == 1


def test_a_replayed_closed_modal_is_acknowledged_once(bot):
    assert bot.slack.interactive(fixture("view_closed.json")).status == 200
    replayed_changes_nothing(bot)
    assert [row.kind for row in inbox(bot)] == ["view_closed"]


def test_a_replayed_event_and_slacks_retries_of_it_record_one_answer(bot):
    driver = ReviewDriver(bot)
    thread = driver.start("Tiny", tier="low")
    driver.reply(thread, "no, nobody yet", event_id="Ev0REPLAYED")
    replayed_changes_nothing(bot)
    before = footprint(bot)
    bot.clock.advance(timedelta(minutes=1))  # Slack's retry: new timestamp and signature, the same event_id
    assert bot.slack.thread_reply("no, nobody yet", thread_ts=thread, event_id="Ev0REPLAYED", retry_num=1).status == 200
    assert footprint(bot) == before
    assert count(bot, Answer) == 1


@pytest.mark.parametrize("kind", ["url_verification", "ssl_check"])
def test_checks_answer_every_time_and_store_nothing(bot, kind):
    body, content_type = kinds(bot.fake.root + "/hooks/x")[kind].encode()
    first = bot.slack.send(body, signed_headers(body, content_type, bot.slack.now()))
    again = bot.slack.replay()
    assert first.status == again.status == 200 and first.body == again.body
    assert inbox(bot) == []


def test_a_request_sent_again_after_five_minutes_is_refused_as_stale(bot):
    assert bot.slack.command("help").status == 200
    bot.clock.advance(timedelta(minutes=5, seconds=1))
    assert bot.slack.replay().status == 401


def test_rows_older_than_an_hour_are_purged_by_the_sweep(bot):
    bot.slack.command("help")
    bot.idle()  # acted on, so marked processed: only processed rows are purged
    bot.clock.advance(KEEP - timedelta(seconds=1))
    bot.slack.command("help")
    bot.idle()
    resume.tidy(bot.services)
    assert len(inbox(bot)) == 2, "an hour is kept"
    bot.clock.advance(timedelta(seconds=2))
    resume.tidy(bot.services)
    assert len(inbox(bot)) == 1


def test_two_processes_receiving_one_replay_at_once_act_once(bot, database_url, fake_slack):
    other = RunningBot(database_url, fake_slack, clock=bot.clock).start()
    try:
        body, content_type = kinds(fake_slack.root + "/hooks/x")["command"].encode()
        headers = signed_headers(body, content_type, bot.slack.now())
        barrier = threading.Barrier(2)
        statuses = []

        def send(served) -> None:
            barrier.wait()
            response = served.slack.send(body, headers)
            statuses.append((response.status, bool(response.body)))

        threads = [threading.Thread(target=send, args=(served,)) for served in (bot, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        bot.idle()
        other.idle()
    finally:
        other.stop()
    assert all(status == 200 for status, _ in statuses)
    assert len(fake_slack.responses()) == 1, "the help text is sent once"
    assert len(inbox(bot)) == 1
