"""The outbox: the messages a change causes are stored with it and delivered after commit, in order per
conversation, at least once and shown once, whatever Slack does meanwhile."""

from __future__ import annotations

from sqlmodel import Session, select

from storage import outbox
from storage.models import OutboxMessage, Review
from storage.outbox import RETRY_AFTER
from bot.slack import relay
from bot.slack.ids import Action
from tests.review_driver import ReviewDriver, intake_values
from tests.slack_requests import CHANNEL


def _roots(fake) -> list[dict]:
    return [p for p in fake.posts(top_level=True) if p["text"].startswith("Readiness review:")]


def _undelivered(bot) -> list[OutboxMessage]:
    with Session(bot.engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None),
                                                             OutboxMessage.error.is_(None))).all())


def _sweep(bot) -> None:
    """What the worker and the serving process do every few seconds: deliver what is left."""
    bot.clock.advance(RETRY_AFTER)
    bot.services.outbox.deliver()


def test_a_post_slack_took_but_whose_answer_was_lost_is_found_not_posted_again(bot):
    bot.fake.lose_answer("chat.postMessage")  # the root message is posted, and Slack's answer never arrives
    driver = ReviewDriver(bot)
    form = driver.open_intake("new Lost answer")
    assert bot.slack.submit_view(form, intake_values("Lost answer", tier="low")).status == 200
    bot.idle()
    assert len(_roots(bot.fake)) == 1 and [m.kind for m in _undelivered(bot)] == ["post", "post"], \
        "the root is in Slack but not recorded; the first question waits for it"

    _sweep(bot)
    [root] = _roots(bot.fake)
    assert len(_roots(bot.fake)) == 1, "found by its outbox id in the channel's history, not posted twice"
    assert ReviewDriver(bot).questions(root["ts"]), "the first question follows, in the root's thread"
    assert _undelivered(bot) == []
    with Session(bot.engine) as session:
        assert session.exec(select(Review.thread_ts)).one() == root["ts"]


def test_slack_failing_with_429s_and_500s_for_a_while_delivers_everything_once_and_in_order(bot):
    bot.fake.server_error("chat.postMessage", status=500, times=3)
    bot.fake.rate_limit("chat.postMessage", retry_after=0, times=2)
    bot.fake.server_error("chat.postMessage", status=503, times=3)
    driver = ReviewDriver(bot)
    form = driver.open_intake("new Flaky")
    assert bot.slack.submit_view(form, intake_values("Flaky", tier="low")).status == 200
    bot.idle()
    for _ in range(10):  # ten sweeps a few seconds apart: Slack failing for about the first half of them
        if not _undelivered(bot):
            break
        _sweep(bot)
    assert _undelivered(bot) == []
    posts = bot.fake.posts()
    assert [p["text"].split(":")[0] for p in posts][:1] == ["Readiness review"], "the root first"
    [root] = _roots(bot.fake)
    assert len(posts) == 2 and posts[1]["thread_ts"] == root["ts"], "each once: the root, then its first question"


def test_a_conversation_waits_for_its_earlier_message(bot):
    driver = ReviewDriver(bot)
    thread = driver.start("Ordered", tier="low")
    question = driver.current(thread)
    bot.fake.server_error("chat.postMessage", status=500, times=1)
    driver.click(question, Action.ANSWER_MET)
    waiting = _undelivered(bot)
    assert waiting and all(m.conversation == waiting[0].conversation for m in waiting)
    _sweep(bot)
    assert _undelivered(bot) == []
    texts = [p["text"] for p in bot.fake.posts(thread_ts=thread)]
    assert len(texts) == len(set(texts)), "nothing posted twice"


def test_new_messages_to_one_conversation_are_paced_and_other_conversations_do_not_wait(bot):
    with bot.services.session(deliver=False) as session:
        for n in range(3):
            outbox.post(session, conversation=CHANNEL, text=f"Paced {n}")
        outbox.post(session, conversation="C222", text="Elsewhere")
    relay.deliver(bot.app.client, bot.services, interval=0.2)
    calls = bot.fake.calls_to("chat.postMessage")
    paced = [c.at for c in calls if c.params["channel"] == CHANNEL]
    assert [c.params["text"] for c in calls if c.params["channel"] == CHANNEL] == ["Paced 0", "Paced 1", "Paced 2"]
    assert all(later - earlier >= 0.15 for earlier, later in zip(paced, paced[1:])), paced
    [elsewhere] = [c.at for c in calls if c.params["channel"] == "C222"]
    assert elsewhere < paced[1], "another conversation's message does not wait for this one's pace"
