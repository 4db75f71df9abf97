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
    waiting = [m.kind for m in _undelivered(bot)]
    assert len(_roots(bot.fake)) == 1 and len(waiting) >= 2 and set(waiting) == {"post"}, \
        "the root is in Slack but not recorded; the owners' checklists wait for it"

    _sweep(bot)
    [root] = _roots(bot.fake)
    assert len(_roots(bot.fake)) == 1, "found by its outbox id in the channel's history, not posted twice"
    assert len(bot.fake.posts(thread_ts=root["ts"])) == len(waiting) - 1, "each checklist once, in the root's thread"
    assert ReviewDriver(bot).questions(root["ts"])
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
    checklists = [p["text"] for p in posts[1:]]
    assert checklists and all(p["thread_ts"] == root["ts"] for p in posts[1:]), "the root, then its checklists"
    assert len(checklists) == len(set(checklists)), "each once"


def test_a_conversation_waits_for_its_earlier_message(bot):
    driver = ReviewDriver(bot)
    thread = driver.start("Ordered", tier="low")
    first, second = [q for q in driver.questions(thread) if not q.answered][:2]
    bot.fake.server_error("chat.update", status=500, times=3)  # the first try and the client's two retries
    driver.click(first, Action.ANSWER_NOT_YET)
    driver.click(second, Action.ANSWER_NOT_YET)
    waiting = _undelivered(bot)
    assert len(waiting) >= 2 and all(m.conversation == waiting[0].conversation for m in waiting), \
        "the second click's update waits for the first's"
    _sweep(bot)
    assert _undelivered(bot) == []
    answered = {q.question_id for q in driver.questions(thread) if q.answered}
    assert {first.question_id, second.question_id} <= answered, "the checklists show both answers, in order"
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


def _post_and_updates(bot, conversation: str, *texts: str) -> int:
    """A post, and updates of it each written in a unit of work of its own while the post still waits."""
    with bot.services.session(deliver=False) as session:
        post_id = outbox.post(session, conversation=conversation, text="Checklist v0").id
    for text in texts:
        with bot.services.session(deliver=False) as session:
            outbox.update_post(session, session.get(OutboxMessage, post_id), text=text, blocks=None)
    return post_id


def test_updates_written_before_their_post_is_delivered_reach_that_message_in_order(bot):
    post_id = _post_and_updates(bot, CHANNEL, "Checklist v1", "Checklist v2")
    relay.deliver(bot.app.client, bot.services, interval=0)
    [post] = bot.fake.posts(channel=CHANNEL)
    assert [(c.params["channel"], c.params["ts"], c.params["text"]) for c in bot.fake.calls_to("chat.update")] == \
        [(CHANNEL, post["ts"], "Checklist v1"), (CHANNEL, post["ts"], "Checklist v2")]
    assert bot.fake.shown(post)["text"] == "Checklist v2" and _undelivered(bot) == []

    with bot.services.session(deliver=False) as session:
        later = outbox.update_post(session, session.get(OutboxMessage, post_id), text="Checklist v3", blocks=None)
        assert later.thread_of == post_id, "queued after the post's earlier updates, sent to its channel and ts"
    relay.deliver(bot.app.client, bot.services, interval=0)
    assert bot.fake.shown(post)["text"] == "Checklist v3"


def test_a_checklist_in_a_dm_is_updated_in_that_dm(bot):
    """A DM's post names the person (its conversation); its update goes to the DM channel Slack opened."""
    _post_and_updates(bot, "U200", "Checklist v1")
    relay.deliver(bot.app.client, bot.services, interval=0)
    [post] = bot.fake.posts(channel=bot.fake.dm("U200"))
    [update] = bot.fake.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (bot.fake.dm("U200"), post["ts"])
    assert bot.fake.shown(post)["text"] == "Checklist v1"


def test_a_post_given_up_has_its_pending_update_refused_too(bot):
    bot.fake.fail("chat.postMessage", "channel_not_found")
    post_id = _post_and_updates(bot, "C404", "Checklist v1")
    relay.deliver(bot.app.client, bot.services, interval=0)
    with Session(bot.engine) as session:
        errors = [m.error for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]
        assert session.get(OutboxMessage, post_id).ts is None
    assert errors == ["channel_not_found", "thread_not_posted"]
    assert bot.fake.calls_to("chat.update") == [], "nothing is updated that was never posted"


def test_the_owners_checklists_in_their_dms_are_answered_in_place(bot):
    driver = ReviewDriver(bot)
    thread = driver.start("By DM", tier="low", asks_in="dm")
    assert driver.questions(thread) == [], "no checklist in the review's thread"
    [question, *_] = driver.dm_questions("U200")
    driver.click(question, Action.ANSWER_NOT_YET, user="U200")
    [now] = [q for q in driver.dm_questions("U200") if q.question_id == question.question_id]
    assert now.answered and now.ts == question.ts, "the DM's checklist shows the answer, in place"
    assert _undelivered(bot) == []


def test_a_dm_posts_updates_keep_their_order_across_its_delivery(bot):
    """An update written before a DM's post was delivered, and one written after, reach it in the order written
    (the DM's post names the person; Slack gives the DM's channel)."""
    post_id = _post_and_updates(bot, "U200", "Checklist v1")
    bot.fake.server_error("chat.update", status=500, times=3)  # the first try and the client's two retries
    relay.deliver(bot.app.client, bot.services, interval=0)
    with bot.services.session(deliver=False) as session:
        outbox.update_post(session, session.get(OutboxMessage, post_id), text="Checklist v2", blocks=None)
    relay.deliver(bot.app.client, bot.services, interval=0)
    _sweep(bot)
    [post] = bot.fake.posts(channel=bot.fake.dm("U200"))
    assert bot.fake.shown(post)["text"] == "Checklist v2" and _undelivered(bot) == []
