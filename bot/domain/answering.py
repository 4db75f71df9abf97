"""Answering a review: button clicks, skips and thread replies, each returning what to say next.

The review row records what a reply in the thread is taken as (an answer to, or evidence for,
one question). Moving it on is a compare-and-set, so two people answering at once, or a retried
event, advance the conversation once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session

from bot.domain import audit
from bot.domain.progress import ReviewState
from bot.domain.replies import evidence_problem, parse_reply
from bot.errors import NotFoundError, UserFacingError
from bot.framework import Framework, Question
from storage.db import moment
from storage.models import Answer, AnswerStatus, Awaiting, Evidence, Review, ReviewStatus

NEEDS_EVIDENCE = (AnswerStatus.MET, AnswerStatus.PARTLY)
EMPTY_REPLY_HINT = (
    "Your reply was empty. Reply with the evidence asked for, or start with yes, no, partly or n/a to answer."
)
UNCLEAR_REPLY_HINT = (
    "Saved your reply as a note on this question. To answer it, click Met, Partly or Not yet above, "
    "or start a reply with yes, no, partly or n/a."
)


@dataclass
class Step:
    """What happened, and what the conversation needs next."""

    state: ReviewState
    question: Question
    previous: AnswerStatus | None = None
    recorded: AnswerStatus | None = None
    ask_evidence: bool = False
    next_question: Question | None = None
    completed: bool = False
    hint: str | None = None
    note: str | None = None  # a reply that answered nothing clearly, kept as a note (an AI may read it)
    answered_by: str | None = None  # someone else gave this very answer first: nothing was recorded

    @property
    def changed_earlier_answer(self) -> bool:
        return self.previous not in (None, AnswerStatus.SKIPPED) and self.recorded not in (None, self.previous)


def answer(
    review_id: int, question_id: str, status: AnswerStatus, *,
    user_id: str, source: str, session: Session, framework: Framework,
) -> Step:
    """Record a click (or a clear written answer); history is appended, never overwritten.

    The review stays locked while it is read and written, so of two people giving the same answer at once
    one records it and the other is told who did; a different answer is a change, kept in the history.
    """
    state = ReviewState.load(review_id, session=session, framework=framework, lock=True)
    question = question_of(state, question_id)
    if status is AnswerStatus.NA and not question.allow_na:
        raise UserFacingError("N/A is not an option for this question: answer Met, Partly or Not yet.")
    step = Step(state, question, previous=state.status(question_id))
    if step.previous == status:
        latest = state.latest(question_id)
        step.answered_by = latest.answered_by if latest.answered_by != user_id else None
        return step
    change_answer(step, status, user_id=user_id, source=source, session=session)
    return step


def change_answer(
    step: Step, status: AnswerStatus, *, user_id: str, source: str, session: Session, message_ts: str | None = None,
) -> None:
    """Append a new answer to the step's question (audited when it changes one); carry on if the review awaited it."""
    state, question = step.state, step.question
    _append_answer(state, question, status, user_id=user_id, source=source, session=session, message_ts=message_ts)
    step.recorded = status
    if step.changed_earlier_answer:
        audit.record(
            session=session, kind="answer_changed", actor=user_id, initiative_id=state.initiative.id,
            review_id=state.review.id, question_id=question.id, previous=step.previous.value, status=status.value,
        )
    review = state.review
    if review.awaiting_question_id == question.id:
        _continue(step, awaiting=Awaiting(review.awaiting), session=session)


def skip(review_id: int, question_id: str, *, user_id: str, session: Session, framework: Framework) -> Step:
    """Skip for now: only an unanswered question is skipped; it comes back at the end."""
    state = ReviewState.load(review_id, session=session, framework=framework, lock=True)
    question = question_of(state, question_id)
    step = Step(state, question, previous=state.status(question_id))
    if step.previous not in (None, AnswerStatus.SKIPPED) or state.review.awaiting_question_id != question_id:
        return step
    _append_answer(state, question, AnswerStatus.SKIPPED, user_id=user_id, source="skip", session=session)
    step.recorded = AnswerStatus.SKIPPED
    _advance(step, awaiting=Awaiting(state.review.awaiting), session=session)
    return step


def reply(
    review_id: int, text: str, *, user_id: str, session: Session, framework: Framework, message_ts: str | None = None,
) -> Step | None:
    """A message in the review thread (`message_ts`, its Slack ts, is kept on what it gives): evidence, a written
    answer, or a note. None if nothing awaits one."""
    state = ReviewState.load(review_id, session=session, framework=framework, lock=True)
    review = state.review
    question = state.question(review.awaiting_question_id or "")
    if question is None or review.awaiting is None:
        return None
    step = Step(state, question, previous=state.status(question.id))
    if not text.strip():
        step.hint = EMPTY_REPLY_HINT
        return step
    if review.awaiting == Awaiting.EVIDENCE:
        take_evidence(step, text, user_id=user_id, message_ts=message_ts, session=session)
        return step
    parsed = parse_reply(text, allow_na=question.allow_na)
    if parsed.rest:
        take_evidence(step, parsed.rest, user_id=user_id, message_ts=message_ts, session=session)
    if parsed.status is None:
        step.hint, step.note = UNCLEAR_REPLY_HINT, text.strip()
        return step
    if parsed.status != step.previous:
        _append_answer(state, question, parsed.status, user_id=user_id, source="reply", session=session,
                       message_ts=message_ts)
        step.recorded = parsed.status
    _continue(step, awaiting=Awaiting.ANSWER, session=session)
    return step


def question_of(state: ReviewState, question_id: str) -> Question:
    """The review's question, or NotFoundError saying where to find the questions it asks now."""
    question = state.question(question_id)
    if question is None:
        raise NotFoundError("That question is no longer part of this review's framework. "
                            f"`/readiness status {state.initiative.name}` lists the questions it asks now.")
    return question


def _append_answer(
    state: ReviewState, question: Question, status: AnswerStatus, *, user_id: str, source: str, session: Session,
    message_ts: str | None = None,
) -> None:
    row = Answer(review_id=state.review.id, question_id=question.id, status=status, answered_by=user_id, source=source,
                 message_ts=message_ts)
    session.add(row)
    session.flush()
    state.history.append(row)


def take_evidence(step: Step, text: str, *, user_id: str, message_ts: str | None, session: Session) -> None:
    """Store evidence for the step's question; if the review awaits it, move on when it will do, else say why not."""
    state, question = step.state, step.question
    row = Evidence(review_id=state.review.id, question_id=question.id, text=text.strip(), provided_by=user_id,
                   message_ts=message_ts)
    session.add(row)
    session.flush()
    state.evidence_history.append(row)
    if (state.review.awaiting_question_id, state.review.awaiting) != (question.id, Awaiting.EVIDENCE):
        return
    step.hint = evidence_problem(question.evidence.kind, text) if question.evidence else None
    if step.hint is None:
        _advance(step, awaiting=Awaiting.EVIDENCE, session=session)


def _has_good_evidence(state: ReviewState, question: Question) -> bool:
    return any(evidence_problem(question.evidence.kind, e.text) is None for e in state.evidence_for(question.id))


def _continue(step: Step, *, awaiting: Awaiting, session: Session) -> None:
    """After an answer to the awaited question: ask for evidence if it needs some, else move on."""
    question, state = step.question, step.state
    wants_evidence = question.evidence is not None and step.state.status(question.id) in NEEDS_EVIDENCE
    if wants_evidence and not _has_good_evidence(state, question):
        if awaiting == Awaiting.EVIDENCE:
            step.ask_evidence = True  # already asked; the change of answer does not repeat it
            return
        if _move(state.review, question.id, awaiting, question.id, Awaiting.EVIDENCE, session=session):
            step.ask_evidence = True
        return
    _advance(step, awaiting=awaiting, session=session)


def _advance(step: Step, *, awaiting: Awaiting, session: Session) -> None:
    """Move the review to its next question, or complete it, unless someone else already did."""
    state = step.state
    following = state.next_question()
    if following is None:
        if _move(state.review, step.question.id, awaiting, None, None, session=session, complete=True):
            step.completed = True
        return
    if _move(state.review, step.question.id, awaiting, following.id, Awaiting.ANSWER, session=session):
        step.next_question = following


def _move(
    review: Review, from_question: str, from_awaiting: Awaiting, to_question: str | None,
    to_awaiting: Awaiting | None, *, session: Session, complete: bool = False,
) -> bool:
    """Compare-and-set the awaited question; False when another request moved it first."""
    values = {"awaiting_question_id": to_question, "awaiting": to_awaiting, "updated_at": moment(session)}
    if complete:
        values["status"] = ReviewStatus.COMPLETE
    result = session.execute(
        update(Review)
        .where(Review.id == review.id, Review.awaiting_question_id == from_question, Review.awaiting == from_awaiting)
        .values(**values)
    )
    if result.rowcount != 1:
        return False
    for key, value in values.items():
        setattr(review, key, value)
    return True


def mark_summary_posted(review: Review, *, session: Session) -> None:
    review.summary_posted_at = moment(session)
    session.add(review)
