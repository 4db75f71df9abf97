"""Replies in a review thread: numbered and written answers (to the replying owner's own next question), evidence
for the question its writer was asked about, chatter that stores nothing, retries, bots, and text echoed safely."""

from sqlmodel import Session, select

from bot.framework import EvidenceKind
from bot.slack.ids import Action
from storage.models import Answer, AnswerStatus
from tests.review_driver import BUSINESS, TECHNICAL, ReviewDriver, asking, replied_evidence


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
    [evidence] = replied_evidence(engine)
    assert (evidence.question_id, evidence.text) == (first.question_id, "<@U200> owns it but has not signed off")
    shown = next(q for q in driver.questions(thread) if q.question_id == first.question_id)
    assert shown.answered and "by <@U400>" in shown.text, "the checklist shows the answer in place"


def test_an_answer_word_goes_to_the_replying_owners_own_next_open_question(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start()
    theirs = [q for q in driver.questions(thread)
              if framework.question(q.question_id).owner == "technical_owner"]
    driver.reply(thread, "not yet", user=TECHNICAL)
    driver.reply(thread, "Yes: <@U300> is on call", user=TECHNICAL)
    assert [(a.question_id, a.status, a.answered_by) for a in _answers(engine)] == [
        (theirs[0].question_id, AnswerStatus.NOT_YET, TECHNICAL), (theirs[1].question_id, AnswerStatus.MET, TECHNICAL)]
    assert [(e.question_id, e.text) for e in replied_evidence(engine)] == [
        (theirs[1].question_id, "<@U300> is on call")]


def test_a_numbered_reply_answers_the_question_it_names(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start()
    link, _ = asking(framework, "high", EvidenceKind.LINK)
    questions = driver.questions(thread)
    driver.reply(thread, f"#{link} yes https://wiki.example.com/raci", user=BUSINESS)
    driver.reply(thread, "q3 partly", user=BUSINESS)
    driver.reply(thread, "2. no", user=BUSINESS)
    assert [(a.question_id, a.status) for a in _answers(engine)] == [
        (questions[link - 1].question_id, AnswerStatus.MET), (questions[2].question_id, AnswerStatus.PARTLY),
        (questions[1].question_id, AnswerStatus.NOT_YET)]
    assert [(e.question_id, e.text) for e in replied_evidence(engine)] == [
        (questions[link - 1].question_id, "https://wiki.example.com/raci")]
    assert [q.number for q in driver.questions(thread) if q.answered] == sorted({2, 3, link})

    calls = len(bot.fake.calls)
    driver.reply(thread, f"#{len(questions) + 1} yes", user=BUSINESS)
    assert len(_answers(engine)) == 3
    assert not [c for c in bot.fake.calls[calls:] if c.method in ("chat.postMessage", "chat.update")]
    assert f"questions 1 to {len(questions)}" in bot.fake.ephemerals()[-1]


def _met_asking(bot, framework, kind: EvidenceKind, *, user: str):
    """A review started, and `user` answering Met the first question asking for `kind` of evidence: the driver, the
    thread, the question's number and the question."""
    driver = ReviewDriver(bot)
    thread = driver.start()
    number, question = asking(framework, "high", kind)
    driver.click(driver.questions(thread)[number - 1], Action.ANSWER_MET, user=user)
    return driver, thread, number, question


def test_a_number_in_evidence_is_not_a_question_number(bot, engine, framework):
    driver, thread, _, question = _met_asking(bot, framework, EvidenceKind.NUMBER, user=BUSINESS)
    driver.reply(thread, "4.5 minutes per invoice today", user=BUSINESS)
    assert [a.question_id for a in _answers(engine)] == [question.id]
    assert [(e.question_id, e.text) for e in replied_evidence(engine)] == [
        (question.id, "4.5 minutes per invoice today")]


def test_retried_event_records_one_answer_and_updates_the_checklist_once(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    posts, updates = len(bot.fake.posts()), len(bot.fake.calls_to("chat.update"))
    for retry in (None, 1, 2):
        bot.slack.thread_reply("no, nobody yet: the technical owner", thread_ts=thread, event_id="Ev0RETRIED",
                               retry_num=retry)
    bot.idle()
    assert len(_answers(engine)) == 1 and len(replied_evidence(engine)) == 1
    assert len(bot.fake.posts()) == posts, "the checklist is updated in place: nothing new is posted"
    assert len(bot.fake.calls_to("chat.update")) == updates + 1


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


def test_chatter_and_empty_replies_store_nothing_and_post_nothing(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    calls = len(bot.fake.calls)
    driver.reply(thread, "   ")
    driver.reply(thread, "we are still talking to finance about this", user=BUSINESS)
    driver.reply(thread, "https://wiki.example.com/notes", user="U400")  # U400 was asked for nothing
    assert _answers(engine) == [] and replied_evidence(engine) == []
    assert not [c for c in bot.fake.calls[calls:] if c.method.startswith("chat.")]


def test_evidence_of_the_wrong_kind_is_kept_and_asked_for_again(bot, engine, framework):
    driver, thread, number, question = _met_asking(bot, framework, EvidenceKind.PERSON, user=TECHNICAL)
    driver.reply(thread, "the operations lead", user=TECHNICAL)
    assert "@-mention" in bot.fake.ephemerals()[-1]
    shown = driver.questions(thread)[number - 1]
    assert "the operations lead" in shown.text and question.evidence.prompt in shown.text, "still asked for"
    driver.reply(thread, "<@U300> is on call", user=TECHNICAL)
    assert question.evidence.prompt not in driver.questions(thread)[number - 1].text
    driver.reply(thread, "and the service desk knows", user=TECHNICAL)  # nothing is asked of them now: chatter
    assert [(e.question_id, e.text) for e in replied_evidence(engine)] == [
        (question.id, "the operations lead"), (question.id, "<@U300> is on call")]


def test_evidence_goes_to_the_question_its_writer_was_asked_about(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start()
    business, theirs = asking(framework, "high", EvidenceKind.LINK, owner="business_owner")
    technical, ours = asking(framework, "high", EvidenceKind.LINK, owner="technical_owner")
    questions = driver.questions(thread)
    driver.click(questions[business - 1], Action.ANSWER_MET, user=BUSINESS)
    driver.click(questions[technical - 1], Action.ANSWER_PARTLY, user=TECHNICAL)
    driver.reply(thread, "https://wiki.example.com/tech", user=TECHNICAL)
    driver.reply(thread, "https://wiki.example.com/business", user=BUSINESS)
    assert [(e.question_id, e.provided_by) for e in replied_evidence(engine)] == [
        (ours.id, TECHNICAL), (theirs.id, BUSINESS)]
    assert len(_answers(engine)) == 2


def test_text_people_write_never_pings_anyone_when_echoed(bot):
    driver = ReviewDriver(bot)
    thread = driver.start("Ops <!channel> & <@U999> <!subteam^S1|@leads>")
    root = bot.fake.posts(top_level=True)[-1]
    first = driver.current(thread)
    driver.reply(thread, f"#{first.number} yes <!here> <@U200> <!subteam^S1|@leads> &lt;b&gt; owns it")
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
    long_text = "<@U200> " + "x" * 10_000
    driver.reply(thread, f"#{first.number} yes {long_text}")
    assert [e.text for e in replied_evidence(engine)] == [long_text]
    shown = driver.questions(thread)[first.number - 1]
    assert shown.answered and len(shown.text) < 1000 and "…" in shown.text


def test_double_click_records_one_answer(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start("Tiny", tier="low")
    first = driver.current(thread)
    driver.click(first, Action.ANSWER_NOT_YET)
    posts = len(bot.fake.posts())
    driver.click(first, Action.ANSWER_NOT_YET)
    assert len(_answers(engine)) == 1
    assert len(bot.fake.posts()) == posts and driver.questions(thread)[0].answered


def test_a_reply_in_a_dm_answers_the_writers_own_next_question(bot, engine):
    driver = ReviewDriver(bot)
    driver.start(asks_in="dm")
    theirs = driver.dm_questions(TECHNICAL)
    assert bot.slack.direct_message("partly: <@U300> until the hand-over", user=TECHNICAL).status == 200
    bot.idle()
    assert [(a.question_id, a.status, a.answered_by) for a in _answers(engine)] == [
        (theirs[0].question_id, AnswerStatus.PARTLY, TECHNICAL)]
    assert driver.dm_questions(TECHNICAL)[0].answered
