"""A whole review through the served app, played as a team plays it: by buttons, by thread replies, by area forms and
by DM, each
counted against what a team should have to read (at most 15 messages and 10,000 characters at high risk, a third of
that at low)."""

import pytest
from sqlmodel import Session, select

from bot.framework import Owner
from bot.slack.ids import Action
from storage.models import Answer, AnswerStatus, Evidence, Review
from tests.review_driver import (
    BUSINESS,
    EVIDENCE_REPLIES,
    RISK,
    TECHNICAL,
    ReviewDriver,
    form_values,
    open_area_form,
    reading,
)
from tests.slack_requests import CHANNEL

MOST = {"high": (15, 10_000), "low": (5, 3_333)}


def owner(spec) -> str:
    """Who the question is asked of, with no risk and compliance people named (its questions go to the technical
    owner)."""
    return BUSINESS if spec.owner == Owner.BUSINESS else TECHNICAL


def summaries(bot) -> list[dict]:
    return [p for p in bot.fake.posts(channel=CHANNEL, top_level=True) if p["text"].startswith("Readiness summary")]


def within_targets(bot, tier: str, since: int) -> None:
    cost = reading(bot.fake, since=since)
    messages, characters = MOST[tier]
    assert cost.messages <= messages and cost.characters <= characters, cost


@pytest.mark.parametrize("tier", ["high", "low"])
def test_a_review_by_buttons_survives_a_restart_and_ends_in_one_summary(bot, framework, engine, tier):
    since = len(bot.fake.calls)
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier=tier)
    checklists = bot.fake.posts(thread_ts=thread)
    assert [c["text"].split(" questions for ")[1].split(" ")[0] for c in checklists] == ["<@U200>", "<@U300>"]
    questions = driver.questions(thread)
    assert [q.question_id for q in questions] == [q.id for q in framework.questions_for(tier)]
    for n, question in enumerate(questions, 1):
        spec = framework.question(question.question_id)
        if n % 7 == 0:
            driver.click(question, Action.ANSWER_NOT_YET, user=owner(spec))
        else:
            driver.click(question, Action.ANSWER_MET, user=owner(spec))
            if spec.evidence:
                driver.reply(thread, EVIDENCE_REPLIES[spec.evidence.kind], user=owner(spec))
        if n == 6:
            bot.restart()  # nothing is lost: what is open comes from the database
    assert len(summaries(bot)) == 1
    within_targets(bot, tier, since)
    assert all(q.answered for q in driver.questions(thread))
    assert f"by <@{owner(framework.question(questions[0].question_id))}>" in driver.questions(thread)[0].text

    first = driver.questions(thread)[0]
    driver.click(first, Action.ANSWER_NOT_YET, user="U777")
    with Session(engine) as session:
        history = session.exec(select(Answer).where(Answer.question_id == first.question_id).order_by(Answer.id)).all()
        assert [(a.status, a.answered_by) for a in history] == [(AnswerStatus.MET, BUSINESS),
                                                                 (AnswerStatus.NOT_YET, "U777")]
        assert session.exec(select(Review)).one().status == "complete"
    assert "by <@U777>" in driver.questions(thread)[0].text
    assert len(summaries(bot)) == 1, "a changed answer updates the summary in place"


def test_a_high_risk_review_by_thread_replies_goes_to_each_owner_at_once(bot, framework, engine):
    since = len(bot.fake.calls)
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="high")
    driver.reply(thread, "Thanks all, looking forward to this one!", user="U555")  # chatter: nothing is stored
    mine = {BUSINESS: [], TECHNICAL: []}
    for spec in framework.questions_for("high"):
        mine[owner(spec)].append(spec)
    turns = [(person, spec) for pair in zip(mine[BUSINESS], mine[TECHNICAL], strict=False) for person, spec
             in zip((BUSINESS, TECHNICAL), pair, strict=True)]
    rest = mine[BUSINESS][len(mine[TECHNICAL]):] + mine[TECHNICAL][len(mine[BUSINESS]):]
    turns += [(owner(spec), spec) for spec in rest]
    for person, spec in turns:
        evidence = f" {EVIDENCE_REPLIES[spec.evidence.kind]}" if spec.evidence else ""
        driver.reply(thread, f"yes,{evidence}", user=person)
    assert len(summaries(bot)) == 1
    within_targets(bot, "high", since)
    with Session(engine) as session:
        answers = session.exec(select(Answer)).all()
        assert {(a.question_id, a.answered_by, a.source) for a in answers} == {
            (spec.id, owner(spec), "reply") for spec in framework.questions_for("high")}
        evidence = session.exec(select(Evidence)).all()
        assert "U555" not in {e.provided_by for e in evidence}
        replied = [e for e in evidence if e.provided_by != "U100"]
        assert len(replied) == sum(1 for q in framework.questions_for("high") if q.evidence)
        assert {e.question_id for e in evidence if e.provided_by == "U100"} == {
            q.id for q in framework.questions_for("high") if q.intake}, "the intake's answers are proposed"


def test_a_reply_names_its_question_by_number_and_evidence_follows_the_persons_own_answer(bot, framework, engine):
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="high")
    questions = driver.questions(thread)
    assert "U200 (from the intake form)" in questions[0].text, "what the intake holds is proposed"
    third = framework.question(questions[2].question_id)
    driver.reply(thread, "#3 partly, https://wiki.example.com/handoff", user="U555")
    asked = next(q for q in questions if framework.question(q.question_id).owner == Owner.BUSINESS
                 and not framework.question(q.question_id).intake and framework.question(q.question_id).evidence)
    driver.click(asked, Action.ANSWER_MET, user=BUSINESS)
    driver.reply(thread, "Nice work on the rollout plan", user=TECHNICAL)  # someone else's chatter
    wanted = EVIDENCE_REPLIES[framework.question(asked.question_id).evidence.kind]
    driver.reply(thread, wanted, user=BUSINESS)  # the evidence the bot asked BUSINESS for
    with Session(engine) as session:
        given = {(e.question_id, e.provided_by) for e in session.exec(select(Evidence)).all()
                 if e.provided_by != "U100"}
        assert given == {(third.id, "U555"), (asked.question_id, BUSINESS)}
        assert session.exec(select(Answer).where(Answer.question_id == third.id)).one().status == AnswerStatus.PARTLY
    assert "📎" in driver.questions(thread)[2].text and "by <@U555>" in driver.questions(thread)[2].text
    driver.reply(thread, "#99 yes", user=BUSINESS)
    assert "there is no question 99" in bot.fake.ephemerals()[-1]


def test_a_high_risk_review_by_dm_asks_each_owner_privately(bot, framework, engine):
    since = len(bot.fake.calls)
    driver = ReviewDriver(bot)
    driver.start("Invoice assistant", tier="high", asks_in="dm")
    assert not [p for p in bot.fake.posts(channel=CHANNEL) if p.get("thread_ts")], "nothing is asked in the thread"
    for person in (BUSINESS, TECHNICAL):
        questions = driver.dm_questions(person)
        assert {owner(framework.question(q.question_id)) for q in questions} == {person}
        first, *rest = questions
        bot.slack.click(Action.ANSWER_PARTLY, f"{first.review_id}:{first.question_id}", user=person,
                        channel=bot.fake.dm(person), message_ts=first.ts)
        bot.idle()
        spec = framework.question(first.question_id)
        if spec.evidence:
            bot.slack.direct_message(EVIDENCE_REPLIES[spec.evidence.kind], user=person)
        for question in rest:
            spec = framework.question(question.question_id)
            evidence = f" {EVIDENCE_REPLIES[spec.evidence.kind]}" if spec.evidence else ""
            bot.slack.direct_message(f"yes,{evidence}", user=person)
        bot.idle()
        assert all(q.answered for q in driver.dm_questions(person))
    assert not bot.fake.ephemerals(), "each quick reply answered the question it was sent for, in the order sent"
    assert len(summaries(bot)) == 1
    within_targets(bot, "high", since)
    with Session(engine) as session:
        assert {a.answered_by for a in session.exec(select(Answer)).all()} == {BUSINESS, TECHNICAL}


def test_a_high_risk_review_by_area_forms_takes_one_submit_an_area(bot, framework, engine):
    since = len(bot.fake.calls)
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="high")
    review_id = driver.questions(thread)[0].review_id
    asked = framework.questions_for("high")
    areas = [area.id for area in framework.areas if any(q.area == area.id for q in asked)]
    for area in areas:
        form = open_area_form(bot, review_id, area)
        mine = [q for q in asked if q.area == area]
        values = form_values(form, {q.id: AnswerStatus.MET for q in mine},
                             {q.id: EVIDENCE_REPLIES[q.evidence.kind] for q in mine if q.evidence})
        response = bot.slack.submit_view(form, values, user=BUSINESS)
        assert response.status == 200 and not response.body, response.body
        bot.idle()
    assert len(summaries(bot)) == 1
    within_targets(bot, "high", since)
    assert all(q.answered for q in driver.questions(thread))
    with Session(engine) as session:
        assert {(a.question_id, a.source) for a in session.exec(select(Answer)).all()} == {
            (q.id, "form") for q in asked}
        assert session.exec(select(Review)).one().status == "complete"


def test_risk_and_compliance_questions_go_to_the_people_the_policy_names(bot, framework, engine, monkeypatch):
    monkeypatch.setenv("READINESS_RISK_APPROVERS", f"{RISK},U777")
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="high")
    checklists = bot.fake.posts(thread_ts=thread)
    assert [c["text"].split(" questions for ")[1].split(" ")[0] for c in checklists] == ["<@U200>", "<@U300>",
                                                                                         "<@U777>"]
    assert f"<@U777>, <@{RISK}>, " in checklists[2]["blocks"][0]["text"]["text"], "every person the policy names"
    theirs = [q.id for q in framework.questions_for("high") if q.owner == Owner.RISK]
    shown = [q.question_id for q in driver.questions(thread) if q.ts == checklists[2]["ts"]]
    assert theirs and shown == theirs
    driver.reply(thread, "no, the security review is booked for next week", user=RISK)  # their own first question
    with Session(engine) as session:
        answer = session.exec(select(Answer)).one()
        assert (answer.question_id, answer.answered_by) == (theirs[0], RISK)
