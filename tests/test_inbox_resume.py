"""The inbox sweep: a request stored and acknowledged but never acted on (its process died) is acted on once."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from slack_bolt import BoltRequest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.slack import resume
from bot.slack.incoming import RESUMED
from storage import inbox
from storage.models import Answer, Evidence, InboxEntry
from tests.conftest import RunningBot
from tests.review_driver import ReviewDriver

IDLE = timedelta(seconds=20)


def _acknowledged_not_acted_on(bot, event: dict) -> str:
    """What the inbox holds when a process stored a request, acknowledged it and died: its key."""
    envelope = bot.slack.envelope(event)
    with bot.services.session() as session:
        assert inbox.record(key=envelope["event_id"], kind="event_callback", body=json.dumps(envelope),
                            session=session)
    return envelope["event_id"]


def _count(bot, model, *where) -> int:
    with Session(bot.engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_a_reply_a_dead_process_acknowledged_is_acted_on_by_the_sweep_once_it_is_idle(bot):
    thread = ReviewDriver(bot).start("Resumed", tier="low")
    key = _acknowledged_not_acted_on(bot, bot.slack.thread_reply_event("yes, resumed-marker", thread_ts=thread))

    assert resume.sweep(bot.app, bot.services, bot.executor, idle=IDLE) == 0, (
        "not yet idle: its process may still be on it")
    bot.clock.advance(IDLE + timedelta(seconds=1))
    assert resume.sweep(bot.app, bot.services, bot.executor, idle=IDLE) == 1
    bot.idle()
    assert _count(bot, Evidence, Evidence.text.contains("resumed-marker")) == 1
    assert _count(bot, InboxEntry, InboxEntry.key == key, InboxEntry.processed_at.is_not(None)) == 1
    bot.clock.advance(IDLE + timedelta(seconds=1))
    assert resume.sweep(bot.app, bot.services, bot.executor, idle=IDLE) == 0, "processed: never acted on again"


def test_a_stored_reply_acted_on_by_two_processes_at_once_takes_effect_once(bot, database_url, fake_slack):
    thread = ReviewDriver(bot).start("Twice", tier="low")
    key = _acknowledged_not_acted_on(bot, bot.slack.thread_reply_event("yes, twice-marker", thread_ts=thread))
    with Session(bot.engine) as session:
        payload = session.get(InboxEntry, key).body
    other = RunningBot(database_url, fake_slack, clock=bot.clock).start()
    try:
        both = [threading.Thread(target=app.dispatch, args=(BoltRequest(body=payload, context={RESUMED: key}),))
                for app in (bot.app, other.app)]
        for thread_ in both:
            thread_.start()
        for thread_ in both:
            thread_.join()
        bot.idle()
        other.idle()
    finally:
        other.stop()
    assert _count(bot, Evidence, Evidence.text.contains("twice-marker")) == 1
    assert _count(bot, Answer, Answer.source == "reply") == 1
