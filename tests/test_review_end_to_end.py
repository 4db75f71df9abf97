"""A whole review through the served app: intake, every question, a restart, a changed answer, the summary."""

from sqlmodel import Session, select

from bot.slack.ids import Action
from storage.models import Answer, AnswerStatus, Evidence, Review
from tests.review_driver import EVIDENCE_REPLIES, ReviewDriver
from tests.slack_requests import CHANNEL


def test_whole_review_survives_a_restart_and_ends_in_a_summary(bot, framework, engine):
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="high")
    asked, skipped, last_ts = [], None, None
    for _ in range(100):
        question = driver.current(thread)
        assert question.ts != last_ts, "the bot stopped asking before posting the summary"
        asked.append(question.question_id)
        last_ts = question.ts
        spec = framework.question(question.question_id)
        n = len(asked)
        if n == 3 and skipped is None:
            skipped = question.question_id
            driver.click(question, Action.SKIP)
        elif n == 5:
            driver.reply(thread, "no, we have not started on this yet")
        elif n % 7 == 0:
            driver.click(question, Action.ANSWER_NOT_YET)
        elif n % 5 == 0:
            driver.click(question, Action.ANSWER_PARTLY, user="U555")
            if spec.evidence:
                driver.reply(thread, EVIDENCE_REPLIES[spec.evidence.kind], user="U555")
        else:
            driver.click(question, Action.ANSWER_MET)
            if spec.evidence:
                assert "Evidence, please" in driver.thread_texts(thread)[-1]
                driver.reply(thread, EVIDENCE_REPLIES[spec.evidence.kind])
        if n == 12:
            bot.restart()  # nothing is lost: the next question comes from the database
        if bot.fake.posts(top_level=True)[-1]["text"].startswith("Readiness summary"):
            break
    else:
        raise AssertionError("no summary after 100 answers")

    expected = [q.id for q in framework.questions_for("high")]
    assert asked[: len(expected)] == expected
    assert asked[-1] == skipped, "the skipped question comes back at the end"

    # change an earlier answer from its old message: history is kept, not overwritten
    first = driver.questions(thread)[0]
    driver.click(first, Action.ANSWER_NOT_YET, user="U777")
    assert any("changed" in t for t in driver.thread_texts(thread))
    with Session(engine) as session:
        history = session.exec(select(Answer).where(Answer.question_id == first.question_id)
                               .order_by(Answer.id)).all()
        assert [a.status for a in history] == [AnswerStatus.MET, AnswerStatus.NOT_YET]
        assert [a.answered_by for a in history] == ["U100", "U777"]
        written = session.exec(select(Answer).where(Answer.source == "reply")).all()
        assert [a.status for a in written] == [AnswerStatus.NOT_YET]
        assert session.exec(select(Evidence)).all()
        assert session.exec(select(Review)).one().status == "complete"

    summaries = [p for p in bot.fake.posts(channel=CHANNEL, top_level=True) if p["text"].startswith("Readiness summary")]
    assert len(summaries) == 1
    summary = summaries[0]
    blocks_text = "\n".join(b["text"]["text"] for b in summary["blocks"] if b.get("type") == "section")
    assert "Not ready" in blocks_text
    assert "Blocking release at this risk tier: High risk" in blocks_text
    assert "Next step:" in blocks_text and "<@U200>" in blocks_text

    # the summary on demand reflects the change, and is posted to the channel, not the thread
    response = bot.slack.command("summary invoice ASSISTANT")
    assert response.status == 200
    bot.idle()
    again = bot.fake.posts(top_level=True)[-1]
    assert again["text"].startswith("Readiness summary") and "thread_ts" not in again
    assert framework.question(first.question_id).text in again["text"]
