"""Edited and deleted replies in a review thread (Slack's message_changed and message_deleted events): the evidence
is withdrawn and replaced, a changed answer word is a new answer, the checklist shows it in place, and the history
keeps all of it."""

import json
from datetime import timedelta

from sqlmodel import Session, select

from bot.framework import EvidenceKind
from bot.slack.ids import Action
from storage.models import Answer, AnswerStatus, AuditEvent, Evidence, as_utc
from tests.reports_driver import cli
from tests.review_driver import BUSINESS, TECHNICAL, ReviewDriver, asking, replied_evidence
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
    old, new = replied_evidence(engine)
    assert (old.text, old.message_ts, as_utc(old.withdrawn_at)) == (
        "<@U200> owns it but has not signed off", ts, bot.clock.now())
    assert (new.text, new.message_ts, new.withdrawn_at, new.question_id) == (
        "<@U200> owns it, sign-off due Friday", ts, None, first.question_id)
    [answer] = _rows(engine, Answer)
    assert (answer.status, answer.message_ts) == (AnswerStatus.PARTLY, ts)
    assert len(driver.questions(thread)) == questions_before, "an edit asks nothing again"
    shown = driver.questions(thread)[first.number - 1].text
    assert "sign-off due Friday" in shown and "has not signed off" not in shown, "the checklist shows it in place"


def test_an_edit_that_changes_the_answer_word_records_a_new_answer(bot, engine):
    driver, thread, first, ts = _answered(bot, PARTLY)
    driver.edit(thread, ts, PARTLY, "Yes: <@U200> owns it but has not signed off")
    answers = _rows(engine, Answer)
    assert [(a.status, a.source, a.message_ts) for a in answers] == [
        (AnswerStatus.PARTLY, "reply", ts), (AnswerStatus.MET, "reply_edited", ts)]
    assert len(replied_evidence(engine)) == 1, "the evidence did not change, so it is not replaced"
    assert "✅ Met by <@U100>" in driver.questions(thread)[first.number - 1].text
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
    [evidence] = replied_evidence(engine)
    assert evidence.withdrawn_at is not None and evidence.message_ts == ts
    assert [a.status for a in _rows(engine, Answer)] == [AnswerStatus.PARTLY]
    told = bot.fake.ephemerals()[-1]
    assert "deleted reply" in told and STAYS in told and "/readiness status Invoice assistant" in told
    assert "has not signed off" not in driver.questions(thread)[first.number - 1].text


def test_an_edit_of_a_numbered_reply_keeps_its_number_out_of_the_evidence(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start()
    number, question = asking(framework, "high", EvidenceKind.LINK)
    ts, before = bot.slack.new_ts(), f"#{number} partly: https://wiki.example.com/draft"
    driver.reply(thread, before, ts=ts)
    driver.edit(thread, ts, before, f"#{number} yes: https://wiki.example.com/final")
    assert [(a.question_id, a.status) for a in _rows(engine, Answer)] == [
        (question.id, AnswerStatus.PARTLY), (question.id, AnswerStatus.MET)]
    assert [(e.text, e.withdrawn_at is None) for e in replied_evidence(engine)] == [
        ("https://wiki.example.com/draft", False), ("https://wiki.example.com/final", True)]

    driver.edit(thread, ts, f"#{number} yes: https://wiki.example.com/final", f"#{number + 1} no")
    assert "cannot move your reply" in bot.fake.ephemerals()[-1]
    assert len(_rows(engine, Answer)) == 2 and len(replied_evidence(engine)) == 2, "nothing changed"


def test_editing_evidence_the_bot_asked_for_into_what_it_wanted_stops_asking_for_it(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start()
    number, question = asking(framework, "high", EvidenceKind.PERSON)
    driver.reply(thread, f"#{number} yes", user=TECHNICAL)
    ts = bot.slack.new_ts()
    driver.reply(thread, "the operations lead", ts=ts, user=TECHNICAL)
    assert "@-mention" in bot.fake.ephemerals()[-1]
    assert question.evidence.prompt in driver.questions(thread)[number - 1].text
    driver.edit(thread, ts, "the operations lead", "<@U300>, the operations lead", user=TECHNICAL)
    assert question.evidence.prompt not in driver.questions(thread)[number - 1].text
    assert [(e.text, e.withdrawn_at is None) for e in replied_evidence(engine)] == [
        ("the operations lead", False), ("<@U300>, the operations lead", True)]


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
    assert [(e.text, e.withdrawn_at) for e in replied_evidence(engine)] == [
        ("<@U200> owns it but has not signed off", None)]
    assert not [c for c in bot.fake.calls[calls:] if c.method.startswith("chat.")]


def test_show_json_keeps_withdrawn_evidence_in_the_history(bot, engine, tmp_path):
    driver, thread, first, ts = _answered(bot, PARTLY)
    driver.edit(thread, ts, PARTLY, "Yes: <@U200> signed off")
    shown = cli(bot, "show", "Invoice assistant", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    answer = next(a for a in json.loads(shown.stdout)["answers"] if a["question_id"] == first.question_id)
    assert (answer["status"], answer["source"]) == ("met", "reply_edited")
    from_intake = {e.text for e in _rows(engine, Evidence) if e.message_ts is None}
    assert [e["text"] for e in answer["evidence"] if e["text"] not in from_intake] == ["<@U200> signed off"]
    history = [e for e in answer["evidence_history"] if e["text"] not in from_intake]
    assert [(e["text"], e["withdrawn_at"] is None) for e in history] == [
        ("<@U200> owns it but has not signed off", False), ("<@U200> signed off", True)]
    assert [h["source"] for h in answer["history"]] == ["reply", "reply_edited"]


def test_a_message_edited_or_deleted_in_a_dm_with_the_bot_changes_what_it_gave(bot, engine, framework):
    driver = ReviewDriver(bot)
    driver.start("Invoice assistant", tier="high", asks_in="dm")
    dm = bot.fake.dm(TECHNICAL)
    number, question = asking(framework, "high", EvidenceKind.LINK, owner="technical_owner")
    said = f"#{number} yes, https://wiki.example.com/old"
    bot.slack.direct_message(said, user=TECHNICAL, ts="1700000900.000001")
    bot.idle()
    bot.slack.edit_reply(f"#{number} partly, https://wiki.example.com/new", ts="1700000900.000001", before=said,
                         thread_ts=None, user=TECHNICAL, channel=dm, channel_type="im")
    bot.idle()
    with Session(engine) as session:
        answers = session.exec(select(Answer).where(Answer.question_id == question.id).order_by(Answer.id)).all()
    assert [a.status for a in answers] == [AnswerStatus.MET, AnswerStatus.PARTLY]
    assert [e.text for e in replied_evidence(engine) if e.withdrawn_at is None] == ["https://wiki.example.com/new"]
    bot.slack.delete_reply(ts="1700000900.000001", before="edited", thread_ts=None, user=TECHNICAL, channel=dm,
                           channel_type="im")
    bot.idle()
    assert all(e.withdrawn_at is not None for e in replied_evidence(engine))
    shown = next(q for q in driver.dm_questions(TECHNICAL) if q.question_id == question.id)
    assert "wiki.example.com" not in shown.text and "Partly" in shown.text
