"""A question takes one answer however many people click it at once, on one serving process or two."""

import threading

from sqlmodel import Session, select

from bot.slack.ids import Action
from storage.models import Answer
from tests.conftest import RunningBot
from tests.review_driver import ReviewDriver
from tests.slack_requests import CHANNEL

PEOPLE = [f"U5{n:02d}" for n in range(20)]


def test_twenty_people_clicking_met_at_once_on_two_processes_record_one_answer_each(bot, database_url, fake_slack):
    fake_slack.channel_members[CHANNEL] += PEOPLE
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="high")
    other = RunningBot(database_url, fake_slack, clock=bot.clock).start()
    asked = []
    try:
        for _ in range(4):
            question = driver.current(thread)
            asked.append(question.question_id)
            barrier = threading.Barrier(len(PEOPLE))

            def click(served, user, question=question, barrier=barrier):
                barrier.wait()
                response = served.slack.click(Action.ANSWER_MET, f"{question.review_id}:{question.question_id}",
                                              user=user, message_ts=question.ts)
                assert response.status == 200

            threads = [threading.Thread(target=click, args=(bot if n % 2 else other, user))
                       for n, user in enumerate(PEOPLE)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            bot.idle()
            other.idle()
    finally:
        other.stop()
    with Session(bot.engine) as session:
        rows = session.exec(select(Answer)).all()
    assert sorted(r.question_id for r in rows) == sorted(asked), "one answer row per question"
    told = [t for t in fake_slack.ephemerals() if "already answered" in t]
    assert len(told) == len(asked) * (len(PEOPLE) - 1), "every later clicker is told who answered"
    first_by = {r.question_id: r.answered_by for r in rows}
    assert all(f"<@{first_by[q]}> already answered" in " ".join(told) for q in asked)
