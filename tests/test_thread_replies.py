"""Replies in a review thread: written answers, evidence, retries, bots, and text echoed safely."""

from sqlmodel import Session, select

from bot.slack.ids import Action
from storage.models import Answer, AnswerStatus, Evidence
from tests.review_driver import ReviewDriver


def _answers(engine) -> list[Answer]:
    with Session(engine) as session:
        return session.exec(select(Answer).order_by(Answer.id)).all()


def test_reply_starting_with_a_clear_answer_is_taken_as_that_answer(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    first = driver.current(thread)
    driver.reply(thread, "Partly: <@U200> owns it but has not signed off", user="U400")
    [answer] = _answers(engine)
    assert (answer.question_id, answer.status, answer.answered_by, answer.source) == (
        first.question_id, AnswerStatus.PARTLY, "U400", "reply")
    with Session(engine) as session:
        assert session.exec(select(Evidence)).one().text.startswith("<@U200> owns it")
    assert driver.current(thread).question_id != first.question_id


def test_retried_event_records_one_answer_and_posts_once(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    posts_before = len(bot.fake.posts())
    for retry in (None, 1, 2):
        bot.slack.thread_reply("no, nobody yet", thread_ts=thread, event_id="Ev0RETRIED", retry_num=retry)
    bot.idle()
    assert len(_answers(engine)) == 1
    assert len(bot.fake.posts()) == posts_before + 1  # the next question, once


def test_the_bot_never_answers_bots_or_itself(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    posts_before = len(bot.fake.posts())
    base = {"type": "message", "channel": "C111", "thread_ts": thread, "ts": "1700000900.000001", "text": "yes"}
    bot.slack.event({**base, "bot_id": "B999", "user": "UB111"})
    bot.slack.event({**base, "subtype": "bot_message", "bot_id": "BBOT0001"})
    bot.slack.event({**base, "user": "UBOT0001", "bot_id": "BBOT0001"})
    bot.slack.event({**base, "subtype": "message_changed", "user": "U100"})
    bot.idle()
    assert _answers(engine) == [] and len(bot.fake.posts()) == posts_before


def test_empty_reply_gets_a_hint_and_changes_nothing(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    driver.reply(thread, "   ")
    assert _answers(engine) == []
    assert "Your reply was empty" in bot.fake.ephemerals()[-1]


def test_unclear_reply_is_kept_as_a_note_with_a_hint(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    driver.reply(thread, "we are still talking to finance about this")
    assert _answers(engine) == []
    assert "Saved your reply as a note" in bot.fake.ephemerals()[-1]
    with Session(engine) as session:
        assert session.exec(select(Evidence)).one().text == "we are still talking to finance about this"


def test_evidence_of_the_wrong_kind_is_kept_and_asked_for_again(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start()
    first = driver.current(thread)
    assert framework.question(first.question_id).evidence.kind == "person"
    driver.click(first, Action.ANSWER_MET)
    driver.reply(thread, "the finance director")
    assert "@-mention" in bot.fake.ephemerals()[-1]
    assert driver.current(thread).question_id == first.question_id
    driver.reply(thread, "<@U200> is accountable")
    assert driver.current(thread).question_id != first.question_id
    with Session(engine) as session:
        assert len(session.exec(select(Evidence)).all()) == 2


def test_text_people_write_never_pings_anyone_when_echoed(bot):
    driver = ReviewDriver(bot)
    thread = driver.start("Ops <!channel> & <@U999> <!subteam^S1|@leads>")
    root = bot.fake.posts(top_level=True)[-1]
    first = driver.current(thread)
    driver.click(first, Action.ANSWER_MET)
    driver.reply(thread, "<!here> <@U200> <!subteam^S1|@leads> &lt;b&gt; owns it")
    bot.slack.click(Action.REVISIT_QUESTION, f"{first.review_id}:{first.question_id}", selected=True)
    bot.idle()
    reposted = bot.fake.posts(thread_ts=thread)[-1]
    assert reposted["ts"] != first.ts and first.question_id in str(reposted["blocks"])
    bot.slack.command("summary Ops <!channel> & <@U999> <!subteam^S1|@leads>")
    bot.idle()
    summary = bot.fake.posts(top_level=True)[-1]
    for post in (root, summary, reposted):
        rendered = "\n".join(mrkdwn_texts(post))
        for ping in ("<!channel>", "<!here>", "<@U999>", "<!subteam"):
            assert ping not in rendered
    assert "@\u200bhere" in "\n".join(mrkdwn_texts(reposted))


def mrkdwn_texts(post: dict) -> list[str]:
    """Every text Slack parses for mentions: the fallback and the mrkdwn objects (plain_text never pings)."""
    found = [post["text"]]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(post.get("blocks") or [])
    return found


def test_a_very_long_answer_is_stored_whole_and_shown_shortened(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    first = driver.current(thread)
    driver.click(first, Action.ANSWER_MET)
    long_text = "<@U200> " + "x" * 10_000
    driver.reply(thread, long_text)
    with Session(engine) as session:
        assert session.exec(select(Evidence)).one().text == long_text
    bot.slack.click(Action.REVISIT_QUESTION, f"{first.review_id}:{first.question_id}", selected=True)
    bot.idle()
    reposted = driver.current(thread)
    post = next(p for p in bot.fake.posts() if p.get("ts") == reposted.ts)
    evidence_block = next(b for b in post["blocks"] if "Evidence" in str(b))
    assert len(str(evidence_block)) < 1000 and "…" in str(evidence_block)


def test_double_click_records_one_answer(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start("Tiny", tier="low")
    first = driver.current(thread)
    driver.click(first, Action.ANSWER_NOT_YET)
    driver.click(first, Action.ANSWER_NOT_YET)
    assert len(_answers(engine)) == 1
    assert len(driver.questions(thread)) == 2
