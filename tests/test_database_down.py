"""While the database is unreachable nothing is acted on and the person is told so; Slack resends the events."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.slack.failures import NOT_SAVED, message_for
from bot.slack.ids import Action
from storage.db import make_engine, migrate
from storage.models import Answer
from tests.conftest import RunningBot
from tests.outage import database_down
from tests.request_kinds import footprint
from tests.review_driver import ReviewDriver, intake_values


@pytest.fixture
def lone_bot(empty_database_url, fake_slack, clock):
    """The served bot on a database of its own, which the test takes away and brings back."""
    engine = make_engine(empty_database_url)
    migrate(engine)
    engine.dispose()
    running = RunningBot(empty_database_url, fake_slack, clock=clock).start()
    yield running
    running.stop()


def test_while_the_database_is_down_nothing_is_acted_on_and_each_kind_hears_the_truth(lone_bot):
    bot = lone_bot
    driver = ReviewDriver(bot)
    thread = driver.start("Tiny", tier="low")
    question = driver.current(thread)
    form = driver.open_intake("new Other")
    calls, rows = footprint(bot)
    with database_down(bot.database_url, bot.engine):
        command = bot.slack.command("status Tiny")
        click = bot.slack.click(Action.ANSWER_MET, f"{question.review_id}:{question.question_id}",
                                message_ts=question.ts)
        submitted = bot.slack.submit_view(form, intake_values("Other"))
        event = bot.slack.thread_reply("no, nobody yet", thread_ts=thread, event_id="Ev0WHILEDOWN")
        bot.idle()
    assert command.json() == {"response_type": "ephemeral", "text": NOT_SAVED}
    assert (click.status, click.body) == (200, "")
    first_input = next(block["block_id"] for block in form["blocks"] if block["type"] == "input")
    assert submitted.json() == {"response_action": "errors", "errors": {first_input: NOT_SAVED}}
    assert event.status == 503, "Slack resends an event that was not acknowledged"
    told = bot.fake.calls[calls:]
    assert [(call.method, call.params["text"]) for call in told] == [("response_url", NOT_SAVED)]
    assert footprint(bot) == (calls + 1, rows), "nothing was stored"


def test_an_event_resent_once_the_database_is_back_is_acted_on_once(lone_bot):
    bot = lone_bot
    driver = ReviewDriver(bot)
    thread = driver.start("Tiny", tier="low")
    with database_down(bot.database_url, bot.engine):
        assert bot.slack.thread_reply("no, nobody yet", thread_ts=thread, event_id="Ev0RESENT").status == 503
    for retry in (1, 2):
        bot.slack.thread_reply("no, nobody yet", thread_ts=thread, event_id="Ev0RESENT", retry_num=retry)
    bot.idle()
    with Session(bot.engine) as session:
        assert len(session.exec(select(Answer)).all()) == 1


def test_an_unexpected_failure_does_not_claim_that_nothing_was_lost():
    assert "lost" not in message_for(RuntimeError("boom"))
