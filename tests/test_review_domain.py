"""The review without Slack: intake, answering, replies, the verdict, and concurrent answers."""

import threading

import pytest
from sqlmodel import Session, select

from bot.domain import answering
from bot.domain.initiatives import IntakeErrors, create_initiative, find_initiative
from bot.domain.progress import ReviewState
from bot.domain.summary import Verdict, summarize
from bot.errors import NotFoundError, UserFacingError
from storage.db import session_scope
from bot.framework import EvidenceKind
from storage.models import Answer, AnswerStatus, Evidence, InitiativeCreate
from tests.conftest import START
from tests.review_driver import asking


def _create(engine, framework, name="Invoice assistant", tier="high", team="T1"):
    form = InitiativeCreate(team_id=team, created_by="U1", name=name, purpose="Drafts replies",
                            business_owner_id="U200", technical_owner_id="W300", risk_tier=tier, channel_id="C1")
    with session_scope(engine, now=START) as session:
        return create_initiative(form, session=session, framework=framework, now=START)[1].id


def _answer_all(engine, framework, review_id, status_for):
    with session_scope(engine, now=START) as session:
        state = ReviewState.load(review_id, session=session, framework=framework)
        for q in state.questions:
            answering.answer(review_id, q.id, status_for(q), user_id="U1", source="button",
                             session=session, framework=framework)


def _state(engine, framework, review_id) -> ReviewState:
    with Session(engine) as session:
        return ReviewState.load(review_id, session=session, framework=framework)


def test_same_name_may_be_used_in_another_workspace(engine, framework):
    _create(engine, framework, team="T1")
    _create(engine, framework, team="T2")
    with pytest.raises(IntakeErrors):
        _create(engine, framework, name="invoice  ASSISTANT", team="T1")


def test_lookup_of_an_unknown_name_lists_what_exists(engine, framework):
    _create(engine, framework)
    with Session(engine) as session, pytest.raises(NotFoundError, match="Did you mean “Invoice assistant”"):
        find_initiative("T1", "Invoice assistent", session=session)
    with Session(engine) as session, pytest.raises(NotFoundError, match="no initiatives yet"):
        find_initiative("T9", "Anything", session=session)


def test_everything_met_is_ready(engine, framework):
    review_id = _create(engine, framework, tier="low")
    _answer_all(engine, framework, review_id, lambda q: AnswerStatus.MET)
    summary = summarize(_state(engine, framework, review_id))
    assert summary.verdict is Verdict.READY and summary.conditions == []


def test_unmet_condition_that_never_blocks_gives_ready_with_conditions(engine, framework):
    review_id = _create(engine, framework, tier="high")
    never_blocks = next(q for q in framework.questions_for("high") if q.blocks_from is None)
    _answer_all(engine, framework, review_id,
                lambda q: AnswerStatus.NOT_YET if q.id == never_blocks.id else AnswerStatus.MET)
    summary = summarize(_state(engine, framework, review_id))
    assert summary.verdict is Verdict.READY_WITH_CONDITIONS
    [condition] = summary.conditions
    assert condition.question.id == never_blocks.id and not condition.blocking


def test_whether_an_unmet_answer_blocks_depends_on_the_tier(engine, framework):
    blocks_from_high = next(q for q in framework.questions if q.blocks_from == "high" and "medium" in q.tiers)
    for tier, verdict in (("medium", Verdict.READY_WITH_CONDITIONS), ("high", Verdict.NOT_READY)):
        review_id = _create(engine, framework, name=f"System {tier}", tier=tier)
        _answer_all(engine, framework, review_id,
                    lambda q: AnswerStatus.PARTLY if q.id == blocks_from_high.id else AnswerStatus.MET)
        summary = summarize(_state(engine, framework, review_id))
        assert summary.verdict is verdict, tier
        assert summary.conditions[0].owner_id in ("U200", "W300")


def test_na_is_refused_where_the_framework_does_not_allow_it(engine, framework):
    review_id = _create(engine, framework)
    strict = next(q for q in framework.questions_for("high") if not q.allow_na)
    with session_scope(engine, now=START) as session, pytest.raises(UserFacingError, match="N/A is not an option"):
        answering.answer(review_id, strict.id, AnswerStatus.NA, user_id="U1", source="button",
                         session=session, framework=framework)


def test_the_answer_to_the_last_open_question_completes_the_review_in_any_order(engine, framework):
    review_id = _create(engine, framework, tier="low")
    questions = framework.questions_for("low")
    with session_scope(engine, now=START) as session:
        steps = [answering.answer(review_id, q.id, AnswerStatus.NOT_YET, user_id="U1", source="button",
                                  session=session, framework=framework) for q in reversed(questions)]
    assert [s.completed for s in steps] == [False] * (len(questions) - 1) + [True]


def _reply(engine, framework, review_id, text, user="U1"):
    with session_scope(engine, now=START) as session:
        step = answering.reply(review_id, text, user_id=user, session=session, framework=framework)
        return step and (step.question.id, step.recorded, step.note, step.changes)


def _stored(engine, model) -> list:
    with Session(engine) as session:
        return session.exec(select(model).order_by(model.id)).all()


def test_a_numbered_reply_is_for_the_question_it_names(engine, framework):
    review_id = _create(engine, framework)
    questions = framework.questions_for("high")
    assert _reply(engine, framework, review_id, "#7 partly, 30 minutes") == (
        questions[6].id, AnswerStatus.PARTLY, None, 2)
    assert _reply(engine, framework, review_id, "3. https://wiki.example.com/support") == (
        questions[2].id, None, None, 1)
    with session_scope(engine, now=START) as session, pytest.raises(UserFacingError, match="no question 99"):
        answering.reply(review_id, "#99 yes", user_id="U1", session=session, framework=framework)
    assert [(e.question_id, e.text) for e in _stored(engine, Evidence) if e.provided_by == "U1"] == [
        (questions[6].id, "30 minutes"), (questions[2].id, "https://wiki.example.com/support")]


def test_a_written_na_where_the_question_does_not_allow_it_says_so_and_records_nothing(engine, framework):
    review_id = _create(engine, framework)
    number = next(n for n, q in enumerate(framework.questions_for("high"), 1) if not q.allow_na)
    for text in (f"#{number} n/a", "n/a, we buy no model from outside"):
        with session_scope(engine, now=START) as session, pytest.raises(UserFacingError, match="N/A is not an option"):
            answering.reply(review_id, text, user_id="U1", session=session, framework=framework)
    assert not _stored(engine, Answer) and not [e for e in _stored(engine, Evidence) if e.provided_by == "U1"]


def test_an_answer_word_answers_the_replying_owners_own_next_open_question(engine, framework):
    review_id = _create(engine, framework)
    questions = framework.questions_for("high")
    technical = [q for q in questions if q.owner == "technical_owner"]
    assert _reply(engine, framework, review_id, "no", user="W300")[:2] == (technical[0].id, AnswerStatus.NOT_YET)
    assert _reply(engine, framework, review_id, "yes", user="W300")[:2] == (technical[1].id, AnswerStatus.MET)
    assert _reply(engine, framework, review_id, "partly", user="U9")[:2] == (questions[0].id, AnswerStatus.PARTLY), \
        "someone who owns no question answers the first open one"


def _business_questions(framework):
    return [q for q in framework.questions_for("high") if q.owner == "business_owner"]


def test_plain_text_is_evidence_for_the_question_its_writer_was_asked_about_else_chatter(engine, framework):
    review_id = _create(engine, framework)
    _, question = asking(framework, "high", EvidenceKind.LINK, owner="business_owner")
    assert _reply(engine, framework, review_id, "we are still talking to finance", user="U200") == (
        _business_questions(framework)[0].id, None, "we are still talking to finance", 0)
    with session_scope(engine, now=START) as session:
        answering.answer(review_id, question.id, AnswerStatus.MET, user_id="U200", source="button", session=session,
                         framework=framework)
    assert _reply(engine, framework, review_id, "the wiki page", user="U200") == (question.id, None, None, 1)
    assert _reply(engine, framework, review_id, "https://wiki.example.com/x", user="U200") == (
        question.id, None, None, 1)
    assert _reply(engine, framework, review_id, "and thanks", user="U200")[2] == "and thanks", "nothing asked now"
    assert [a.question_id for a in _stored(engine, Answer)] == [question.id]
    assert [e.text for e in _stored(engine, Evidence) if e.question_id == question.id] == [
        "the wiki page", "https://wiki.example.com/x"]


def test_reply_once_every_question_is_answered_is_ignored(engine, framework):
    review_id = _create(engine, framework, tier="low")
    _answer_all(engine, framework, review_id, lambda q: AnswerStatus.NOT_YET)
    assert _reply(engine, framework, review_id, "yes") is None
    assert _reply(engine, framework, review_id, "   ") is None


def test_two_people_giving_the_same_answer_at_once_record_it_once(engine, framework):
    review_id = _create(engine, framework)
    first = framework.questions_for("high")[0]
    steps, barrier = [], threading.Barrier(2)

    def click(user, status):
        with session_scope(engine, now=START) as session:
            barrier.wait()
            steps.append(answering.answer(review_id, first.id, status, user_id=user, source="button",
                                          session=session, framework=framework))

    threads = [threading.Thread(target=click, args=(user, AnswerStatus.NOT_YET)) for user in ("U1", "U2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [recorded] = [s for s in steps if s.recorded]
    [told] = [s for s in steps if not s.recorded]
    [answer] = _stored(engine, Answer)
    assert recorded.recorded is AnswerStatus.NOT_YET and told.answered_by == answer.answered_by in ("U1", "U2")
