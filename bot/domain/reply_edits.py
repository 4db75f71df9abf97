"""Edited and deleted replies in a review thread: what a reply gave is replaced or withdrawn, never erased.

Evidence from a reply is withdrawn (the row stays, with `withdrawn_at`) and an edit's text is a new row with the
same message ts. An edit that changes the leading answer word gives a new answer (source "reply_edited") while the
answer that reply gave is still the current one. Otherwise, and when a reply is deleted, the answer stays: the
buttons on the question change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.domain.answering import Step, change_answer, numbered_question, take_evidence
from bot.domain.progress import ReviewState
from bot.domain.replies import parse_reply
from bot.framework import Framework
from bot.text import from_plain
from storage.db import moment
from storage.models import Answer, Evidence

SOURCE = "reply_edited"


@dataclass
class _Reply:
    """One person's reply as the review keeps it: its current evidence and the newest answer it gave."""

    step: Step
    evidence: list[Evidence]
    answer: Answer | None


def edit(
    review_id: int, message_ts: str, text: str, *, user_id: str, session: Session, framework: Framework,
) -> Step | None:
    """The reply `message_ts` of `user_id` now reads `text`; None when the review kept nothing from it."""
    kept = _kept(review_id, message_ts, user_id=user_id, session=session, framework=framework)
    if kept is None:
        return None
    step, given = kept.step, kept.answer
    named, body = numbered_question(step.state, text)
    if named is not None and named.id != step.question.id:
        step.hint = (f"An edit cannot move your reply to question {step.state.position(named)[0]}: nothing changed. "
                     "Reply again to answer that one.")
        return step
    parsed = parse_reply(body, allow_na=step.question.allow_na)
    rest = parsed.rest if given else body.strip()  # a reply that answered nothing was all evidence
    if [e.text for e in kept.evidence] != ([rest] if rest else []):
        _withdraw(step, kept.evidence, session=session)
        if rest:
            take_evidence(step, rest, user_id=user_id, message_ts=message_ts, session=session)
    if given is None or parsed.status == given.status:
        return step
    if parsed.status is None or step.state.latest(step.question.id).id != given.id:
        step.hint = _answer_stays(step.state, "Saved your edit")
    else:
        change_answer(step, parsed.status, user_id=user_id, source=SOURCE, session=session, message_ts=message_ts)
    return step


def delete(review_id: int, message_ts: str, *, user_id: str, session: Session, framework: Framework) -> Step | None:
    """The reply `message_ts` of `user_id` was deleted: its evidence is withdrawn. None when the review kept nothing."""
    kept = _kept(review_id, message_ts, user_id=user_id, session=session, framework=framework)
    if kept is None:
        return None
    _withdraw(kept.step, kept.evidence, session=session)
    if kept.answer:
        kept.step.hint = _answer_stays(kept.step.state, "Withdrew the evidence of your deleted reply")
    return kept.step


def _kept(review_id: int, message_ts: str, *, user_id: str, session: Session, framework: Framework) -> _Reply | None:
    state = ReviewState.load(review_id, session=session, framework=framework, lock=True)
    evidence = [e for e in state.evidence if e.message_ts == message_ts and e.provided_by == user_id]
    answer = next((a for a in reversed(state.history) if a.message_ts == message_ts and a.answered_by == user_id), None)
    question_id = answer.question_id if answer else next((e.question_id for e in evidence), "")
    question = framework.question(question_id)
    if question is None:
        return None
    return _Reply(Step(state, question, previous=state.status(question_id)), evidence, answer)


def _withdraw(step: Step, evidence: list[Evidence], *, session: Session) -> None:
    """Withdraw the evidence (a change the step's messages show)."""
    step.changes += len(evidence)
    for row in evidence:
        row.withdrawn_at = moment(session)
        session.add(row)


def _answer_stays(state: ReviewState, done: str) -> str:
    return (f"{done}; the answer stays as it is. To change it, use the buttons on the question "
            f"(`/readiness status {from_plain(state.initiative.name)}` takes you back to it).")
