"""Edited and deleted replies in a review thread (Slack's message_changed and message_deleted events): the evidence
is withdrawn and replaced, a changed answer word is a new answer, and the history keeps all of it."""

import json
from datetime import timedelta

from sqlmodel import Session, select

from bot.slack.ids import Action
from storage.models import Answer, AnswerStatus, AuditEvent, Evidence, as_utc
from tests.reports_driver import cli
from tests.review_driver import BUSINESS, ReviewDriver
from tests.slack_requests import CHANNEL

PARTLY = "Partly: <@U200> owns it but has not signed off"
STAYS = "the answer stays as it is"


def _rows(engine, model) -> list:
    with Session(engine) as session:
        return session.exec(select(model).order_by(model.id)).all()


def _answered(bot, text: str):
    """A review whose first question was answered by a reply; (driver, thread, first question, the reply's ts)."""
    driver = ReviewDriver(bot)
    thread = driver.start()
    first = driver.current(thread)
    ts = bot.slack.new_ts()
    driver.reply(thread, text, ts=ts)
    return driver, thread, first, ts


def test_an_edited_reply_replaces_its_evidence_and_keeps_the_old_text_withdrawn(bot, engine):
    driver, thread, first, ts = _answered(bot, PARTLY)
    questions_before = len(driver.questions(thread))
    bot.clock.advance(timedelta(minutes=5))
    driver.edit(thread, ts, PARTLY, "Partly: <@U200> owns it, sign-off due Friday")
    old, new = _rows(engine, Evidence)
    assert (old.text, old.message_ts, as_utc(old.withdrawn_at)) == (
        "<@U200> owns it but has not signed off", ts, bot.clock.now())
    assert (new.text, new.message_ts, new.withdrawn_at, new.question_id) == (
        "<@U200> owns it, sign-off due Friday", ts, None, first.question_id)
    [answer] = _rows(engine, Answer)
    assert (answer.status, answer.message_ts) == (AnswerStatus.PARTLY, ts)
    assert len(driver.questions(thread)) == questions_before, "an edit asks nothing again"
    bot.slack.click(Action.REVISIT_QUESTION, f"{first.review_id}:{first.question_id}", selected=True)
    bot.idle()
    reposted = str(bot.fake.posts(thread_ts=thread)[-1]["blocks"])
    assert "sign-off due Friday" in reposted and "has not signed off" not in reposted


def test_an_edit_that_changes_the_answer_word_records_a_new_answer(bot, engine):
    driver, thread, first, ts = _answered(bot, PARTLY)
    driver.edit(thread, ts, PARTLY, "Yes: <@U200> owns it but has not signed off")
    answers = _rows(engine, Answer)
    assert [(a.status, a.source, a.message_ts) for a in answers] == [
        (AnswerStatus.PARTLY, "reply", ts), (AnswerStatus.MET, "reply_edited", ts)]
    assert len(_rows(engine, Evidence)) == 1, "the evidence did not change, so it is not replaced"
    assert "changed" in driver.thread_texts(thread)[-1] and "to ✅ Met" in driver.thread_texts(thread)[-1]
    changed = [e for e in _rows(engine, AuditEvent) if e.kind == "answer_changed"]
    assert [(e.detail["previous"], e.detail["status"]) for e in changed] == [("partly", "met")]

    driver.edit(thread, ts, "Yes: <@U200> owns it but has not signed off", "<@U200> owns it but has not signed off")
    assert len(_rows(engine, Answer)) == 2, "taking the answer word away leaves the answer"
    assert STAYS in bot.fake.ephemerals()[-1] and "buttons on the question" in bot.fake.ephemerals()[-1]


def test_an_edit_after_someone_changed_the_answer_leaves_their_answer(bot, engine):
    driver, thread, first, ts = _answered(bot, PARTLY)
    driver.click(first, Action.ANSWER_NOT_YET, user=BUSINESS)
    driver.edit(thread, ts, PARTLY, "Yes: <@U200> owns it but has not signed off")
    assert [a.status for a in _rows(engine, Answer)] == [AnswerStatus.PARTLY, AnswerStatus.NOT_YET]
    assert STAYS in bot.fake.ephemerals()[-1]


def test_a_deleted_reply_withdraws_its_evidence_and_its_answer_stays(bot, engine):
    driver, thread, first, ts = _answered(bot, PARTLY)
    driver.delete(thread, ts, PARTLY)
    [evidence] = _rows(engine, Evidence)
    assert evidence.withdrawn_at is not None and evidence.message_ts == ts
    assert [a.status for a in _rows(engine, Answer)] == [AnswerStatus.PARTLY]
    told = bot.fake.ephemerals()[-1]
    assert "deleted reply" in told and STAYS in told and "/readiness status Invoice assistant" in told
    bot.slack.click(Action.REVISIT_QUESTION, f"{first.review_id}:{first.question_id}", selected=True)
    bot.idle()
    assert "Evidence" not in str(bot.fake.posts(thread_ts=thread)[-1]["blocks"])


def test_editing_evidence_the_bot_asked_for_into_what_it_wanted_moves_the_review_on(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start()
    first = driver.current(thread)
    driver.reply(thread, "yes")
    ts = bot.slack.new_ts()
    driver.reply(thread, "the finance director", ts=ts)
    assert "@-mention" in bot.fake.ephemerals()[-1] and driver.current(thread).question_id == first.question_id
    driver.edit(thread, ts, "the finance director", "<@U200>, the finance director")
    assert driver.current(thread).question_id != first.question_id
    assert [(e.text, e.withdrawn_at is None) for e in _rows(engine, Evidence)] == [
        ("the finance director", False), ("<@U200>, the finance director", True)]


def test_edits_and_deletes_of_replies_the_bot_never_kept_are_ignored(bot, engine):
    driver, thread, first, ts = _answered(bot, PARTLY)
    other_thread = bot.slack.new_ts()
    calls = len(bot.fake.calls)
    driver.edit(thread, bot.slack.new_ts(), "hello", "yes: hello")  # a reply from before the review asked anything
    driver.edit(other_thread, ts, PARTLY, "Yes: in another thread")
    driver.edit(thread, ts, PARTLY, "Yes: someone else's", user="U400")
    driver.edit(thread, ts, PARTLY, PARTLY)  # Slack unfurled a link: the text is the same
    driver.delete(thread, bot.slack.new_ts(), "hello")
    edited_by_a_bot = {"type": "message", "user": "U100", "bot_id": "B999", "text": "Yes", "ts": ts,
                       "thread_ts": thread}
    now = bot.slack.new_ts()
    assert bot.slack.event({"type": "message", "subtype": "message_changed", "hidden": True, "channel": CHANNEL,
                            "ts": now, "event_ts": now, "message": edited_by_a_bot,
                            "previous_message": {**edited_by_a_bot, "text": PARTLY}}).status == 200
    bot.idle()
    assert [(a.status, a.source) for a in _rows(engine, Answer)] == [(AnswerStatus.PARTLY, "reply")]
    assert [(e.text, e.withdrawn_at) for e in _rows(engine, Evidence)] == [
        ("<@U200> owns it but has not signed off", None)]
    assert not [c for c in bot.fake.calls[calls:] if c.method.startswith("chat.")]


def test_show_json_keeps_withdrawn_evidence_in_the_history(bot, engine, tmp_path):
    driver, thread, first, ts = _answered(bot, PARTLY)
    driver.edit(thread, ts, PARTLY, "Yes: <@U200> signed off")
    shown = cli(bot, "show", "Invoice assistant", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    answer = next(a for a in json.loads(shown.stdout)["answers"] if a["question_id"] == first.question_id)
    assert (answer["status"], answer["source"]) == ("met", "reply_edited")
    assert [e["text"] for e in answer["evidence"]] == ["<@U200> signed off"]
    history = answer["evidence_history"]
    assert [(e["text"], e["withdrawn_at"] is None) for e in history] == [
        ("<@U200> owns it but has not signed off", False), ("<@U200> signed off", True)]
    assert [h["source"] for h in answer["history"]] == ["reply", "reply_edited"]
