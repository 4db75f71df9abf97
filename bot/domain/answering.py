"""Answering a review: buttons, forms and replies (in the review thread, or in a DM with the bot), each returning
what changed, for the messages to update.

Every question is open at once, each owner's in their own checklist; anyone may answer any of them. A reply that
names a question by number (`#7 yes`, `7. link`) is for that question. Otherwise one that starts with yes / no /
partly / n/a answers the first open question that falls to the replying person, and one that does not is evidence
for the question they were asked evidence for (after their own Met or Partly). Anything else is chatter: not
evidence, nothing stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlmodel import Session

from bot.domain import audit
from bot.domain.progress import DONE, ReviewState
from bot.domain.replies import evidence_problem, parse_reply
from bot.errors import NotFoundError, UserFacingError
from bot.framework import Framework, IntakeField, Question
from bot.text import from_plain
from storage.db import moment
from storage.models import Answer, AnswerStatus, Evidence, Review, ReviewStatus

NEEDS_EVIDENCE = (AnswerStatus.MET, AnswerStatus.PARTLY)
FROM_INTAKE = "(from the intake form)"  # marks the evidence the intake proposed
_NUMBERED = re.compile(  # "7." names question 7, "7.5 hours" does not
    r"^\s*(?:(?:#|q)\s?(?P<tagged>\d{1,3})\b|(?P<listed>\d{1,3})[.):](?=\s|$))[\s,.:;\-]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Given:
    """One question's part of a form: its answer and evidence, either left out (None)."""

    question_id: str
    status: AnswerStatus | None
    evidence: str | None


@dataclass
class Step:
    """What happened, for the messages it changes: `question` (and any `more` a form touched) to show again."""

    state: ReviewState
    question: Question
    previous: AnswerStatus | None = None
    recorded: AnswerStatus | None = None
    completed: bool = False
    hint: str | None = None
    note: str | None = None  # a reply that answered nothing (chatter): not stored; an AI may read it
    answered_by: str | None = None  # someone else gave this very answer first: nothing was recorded
    more: list[Question] = field(default_factory=list)
    changes: int = 0  # answers recorded and evidence stored

    @property
    def changed_earlier_answer(self) -> bool:
        return self.previous not in (None, AnswerStatus.SKIPPED) and self.recorded not in (None, self.previous)

    @property
    def touched(self) -> list[Question]:
        return [self.question, *(q for q in self.more if q != self.question)]


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
    _allowed(state, question, status)
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
    """Append a new answer to the step's question (audited when it changes one); complete the review if it was the
    last open one."""
    state, question = step.state, step.question
    _append_answer(state, question, status, user_id=user_id, source=source, session=session, message_ts=message_ts)
    step.recorded = status
    step.changes += 1
    if step.changed_earlier_answer:
        audit.record(
            session=session, kind="answer_changed", actor=user_id, initiative_id=state.initiative.id,
            review_id=state.review.id, question_id=question.id, previous=step.previous.value, status=status.value,
        )
    _complete_if_done(step, session=session)


def answer_many(review_id: int, given: list[Given], *, user_id: str, source: str, session: Session,
                framework: Framework) -> Step:
    """A form's answers and evidence, for several questions at once: each answer that changes is recorded (as a
    click would be), each evidence text stored; one step for them all."""
    state = ReviewState.load(review_id, session=session, framework=framework, lock=True)
    questions = [question_of(state, g.question_id) for g in given]
    for question, part in zip(questions, given, strict=True):
        if part.status is not None:
            _allowed(state, question, part.status)
    step = Step(state, questions[0], previous=state.status(questions[0].id), more=questions[1:])
    for question, part in zip(questions, given, strict=True):
        if part.evidence and part.evidence.strip():
            _store_evidence(state, question, part.evidence, user_id=user_id, message_ts=None, session=session)
            step.changes += 1
        if part.status is not None and part.status != state.status(question.id):
            one = Step(state, question, previous=state.status(question.id))
            change_answer(one, part.status, user_id=user_id, source=source, session=session)
            step.changes += 1
            step.recorded = part.status  # an answer changed: a release approval may be stale
            step.completed = step.completed or one.completed
    return step


def add_evidence(review_id: int, question_id: str, text: str, *, user_id: str, session: Session,
                 framework: Framework, message_ts: str | None = None) -> Step:
    """Evidence a person attaches to a question (a field, a numbered reply, a shared file); a hint when it is not
    what the question asks for (it is kept all the same)."""
    state = ReviewState.load(review_id, session=session, framework=framework, lock=True)
    step = Step(state, question_of(state, question_id), previous=state.status(question_id))
    take_evidence(step, text, user_id=user_id, message_ts=message_ts, session=session)
    return step


def reply(
    review_id: int, text: str, *, user_id: str, session: Session, framework: Framework, message_ts: str | None = None,
) -> Step | None:
    """A person's message in the review thread or their DM (`message_ts`, its Slack ts, is kept on what it gives):
    evidence, an answer, or chatter (a step with only a `note`). None when no question is open to it."""
    state = ReviewState.load(review_id, session=session, framework=framework, lock=True)
    if not text.strip():
        return None
    numbered, body = numbered_question(state, text)
    parsed = parse_reply(body)
    asked = asked_of(state, user_id) if numbered is None and parsed.status is None else None
    question = numbered or asked or state.next_for(user_id)
    if question is None:
        return None
    if parsed.status is not None:
        _allowed(state, question, parsed.status)
    step = Step(state, question, previous=state.status(question.id))
    if parsed.status is None and not (numbered or asked):
        step.note = text.strip()
        return step
    if parsed.status is not None and parsed.status != step.previous:
        change_answer(step, parsed.status, user_id=user_id, source="reply", session=session, message_ts=message_ts)
    evidence = parsed.rest if parsed.status is not None else body.strip()
    if evidence:
        take_evidence(step, evidence, user_id=user_id, message_ts=message_ts, session=session)
    return step


def propose_from_intake(state: ReviewState, *, session: Session) -> None:
    """What the intake form holds for a question (its `intake` field), stored as the question's evidence from the
    person who filled in the form: the owner confirms it with Met, or changes it, instead of typing it again."""
    initiative = state.initiative
    held = {IntakeField.BUSINESS_OWNER: f"<@{initiative.business_owner_id}>",
            IntakeField.TECHNICAL_OWNER: f"<@{initiative.technical_owner_id}>",
            IntakeField.DATA_SOURCES: from_plain(initiative.data_sources or ""),
            IntakeField.INTEGRATIONS: from_plain(initiative.integrations or "")}
    for question in state.questions:
        if question.intake and held[question.intake].strip():
            _store_evidence(state, question, f"{held[question.intake]} {FROM_INTAKE}",
                            user_id=initiative.created_by, message_ts=None, session=session)


def numbered_question(state: ReviewState, text: str) -> tuple[Question | None, str]:
    """The question a reply names by its number (`#7`, `q7`, `7.`), and the rest of the reply; (None, text) when it
    names none. UserFacingError for a number the review does not have."""
    match = _NUMBERED.match(text)
    if not match:
        return None, text
    number = int(match.group("tagged") or match.group("listed"))
    if not 1 <= number <= len(state.questions):
        raise UserFacingError(f"This review has questions 1 to {len(state.questions)}; there is no question {number}. "
                              "Start a reply with its number, like `#3 yes`, or use the buttons.")
    return state.questions[number - 1], match.group("rest")


def asked_of(state: ReviewState, user_id: str) -> Question | None:
    """The question whose evidence this person was asked for: their newest answer, while it is the current one, is
    Met or Partly, and the question still lacks the evidence it asks for."""
    mine = next((a for a in reversed(state.history) if a.answered_by == user_id and a.status in DONE), None)
    if mine is None or state.latest(mine.question_id) is not mine or mine.status not in NEEDS_EVIDENCE:
        return None
    question = state.question(mine.question_id)
    if question is None or question.evidence is None or has_good_evidence(state, question):
        return None
    return question


def question_of(state: ReviewState, question_id: str) -> Question:
    """The review's question, or NotFoundError saying where to find the questions it asks now."""
    question = state.question(question_id)
    if question is None:
        raise NotFoundError("That question is no longer part of this review's framework. "
                            f"`/readiness status {state.initiative.name}` lists the questions it asks now.")
    return question


def _allowed(state: ReviewState, question: Question, status: AnswerStatus) -> None:
    if status is AnswerStatus.NA and not question.allow_na:
        number, _ = state.position(question)
        raise UserFacingError(f"N/A is not an option for question {number}: answer Met, Partly or Not yet.")


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
    """Store evidence for the step's question; a hint when it is not the kind the question asks for."""
    question = step.question
    _store_evidence(step.state, question, text, user_id=user_id, message_ts=message_ts, session=session)
    step.changes += 1
    step.hint = evidence_problem(question.evidence.kind, text) if question.evidence else None


def _store_evidence(state: ReviewState, question: Question, text: str, *, user_id: str, message_ts: str | None,
                    session: Session) -> None:
    row = Evidence(review_id=state.review.id, question_id=question.id, text=text.strip(), provided_by=user_id,
                   message_ts=message_ts)
    session.add(row)
    session.flush()
    state.evidence_history.append(row)


def has_good_evidence(state: ReviewState, question: Question) -> bool:
    """Whether the question has current evidence of the kind it asks for."""
    return any(evidence_problem(question.evidence.kind, e.text) is None for e in state.evidence_for(question.id))


def _complete_if_done(step: Step, *, session: Session) -> None:
    """Complete the review once no question is open, unless another request already did."""
    state = step.state
    if state.open_questions():
        return
    result = session.execute(
        update(Review).where(Review.id == state.review.id, Review.status != ReviewStatus.COMPLETE)
        .values(status=ReviewStatus.COMPLETE, updated_at=moment(session)))
    if result.rowcount == 1:
        state.review.status = ReviewStatus.COMPLETE
        step.completed = True


def mark_summary_posted(review: Review, *, session: Session) -> None:
    review.summary_posted_at = moment(session)
    session.add(review)
