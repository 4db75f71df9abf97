"""The review without Slack: intake, answering, skipping, the verdict, and concurrent answers."""

import threading

import pytest
from sqlmodel import Session, select

from bot.domain import answering
from bot.domain.initiatives import IntakeErrors, create_initiative, find_initiative
from bot.domain.progress import ReviewState
from bot.domain.summary import Verdict, summarize
from bot.errors import NotFoundError, UserFacingError
from storage.db import session_scope
from storage.models import Answer, AnswerStatus, InitiativeCreate
from tests.conftest import START


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


def test_a_question_skipped_twice_is_not_asked_again(engine, framework):
    review_id = _create(engine, framework, tier="low")
    questions = framework.questions_for("low")
    with session_scope(engine, now=START) as session:
        answering.skip(review_id, questions[0].id, user_id="U1", session=session, framework=framework)
        for q in questions[1:]:  # Not yet: no evidence to wait for
            answering.answer(review_id, q.id, AnswerStatus.NOT_YET, user_id="U1", source="button",
                             session=session, framework=framework)
        assert ReviewState.load(review_id, session=session, framework=framework).review.awaiting_question_id == \
            questions[0].id
        step = answering.skip(review_id, questions[0].id, user_id="U1", session=session, framework=framework)
    assert step.completed and step.next_question is None
    skipped = [c for c in summarize(step.state).conditions if c.question.id == questions[0].id]
    assert skipped[0].status is AnswerStatus.SKIPPED


def test_reply_without_anything_awaited_is_ignored(engine, framework):
    review_id = _create(engine, framework, tier="low")
    _answer_all(engine, framework, review_id, lambda q: AnswerStatus.NOT_YET)
    with session_scope(engine, now=START) as session:
        assert answering.reply(review_id, "yes", user_id="U1", session=session, framework=framework) is None


def test_two_people_answering_the_same_question_at_once_move_the_review_on_once(engine, framework):
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
    moved = [s for s in steps if s.next_question]
    assert len(moved) == 1, "only one of the two answers moves the conversation on"
    with Session(engine) as session:
        assert 1 <= len(session.exec(select(Answer)).all()) <= 2
