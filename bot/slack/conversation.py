"""The review conversation's messages in Slack: what each step the domain takes causes, written to the outbox in the
caller's unit of work (delivered once it commits). The use cases in bot/app decide when these are written."""

from __future__ import annotations

from sqlmodel import Session

from bot.domain import go_decisions
from bot.domain.answering import Step, mark_summary_posted
from bot.domain.progress import ReviewState
from bot.domain.summary import summarize
from bot.framework import Framework, Question
from bot.slack.blocks import messages
from bot.text import from_plain
from storage import outbox
from storage.models import OutboxMessage


def retry_hint(state: ReviewState) -> str:
    return (
        "Nothing you entered was lost: once that is fixed, run "
        f"`/readiness continue {from_plain(state.initiative.name)}`."
    )


def start_thread(session: Session, state: ReviewState, framework: Framework, *, started_by: str) -> None:
    """The review's root message in the team channel, then its current question in the root's thread."""
    text, blocks = messages.build_root_message(state.initiative, framework, started_by=started_by)
    root = outbox.post(session, conversation=state.review.channel_id, text=text, blocks=blocks,
                       workspace_id=state.initiative.workspace_id, then={"review_thread": state.review.id},
                       tell=started_by, hint=retry_hint(state))
    question = state.question(state.review.awaiting_question_id or "")
    if question is not None:
        ask(session, state, question, root=root, tell=started_by)


def ask_current(session: Session, state: ReviewState, framework: Framework) -> bool:
    """Ask the question the review is waiting on (again), starting its thread if it has none; False when no question
    is left (the summary is due)."""
    root = outbox.thread_root(state.review.id, session=session) if state.review.thread_ts is None else None
    if state.review.thread_ts is None and root is None:
        start_thread(session, state, framework, started_by=state.initiative.created_by)
        return True
    question = state.question(state.review.awaiting_question_id or "")
    if question is None:
        return False
    ask(session, state, question, root=root)
    return True


def ask(session: Session, state: ReviewState, question: Question, *, root: OutboxMessage | None = None,
        tell: str | None = None) -> None:
    """Post a question in the review's thread (in the thread of `root` while the root waits in the outbox); `tell`
    hears of it if Slack refuses it."""
    text, blocks = messages.build_question_message(state, question)
    in_thread(session, state, text, blocks=blocks, root=root, tell=tell)


def in_thread(session: Session, state: ReviewState, text: str, *, blocks: list[dict] | None = None,
              root: OutboxMessage | None = None, tell: str | None = None) -> None:
    """A message in the review's thread."""
    review = state.review
    if review.thread_ts is None and root is None:
        root = outbox.thread_root(review.id, session=session)
    outbox.post(session, conversation=review.channel_id, thread_ts=review.thread_ts, thread_of=root, text=text,
                blocks=blocks, workspace_id=state.initiative.workspace_id, tell=tell, hint=retry_hint(state))


def write_step(session: Session, step: Step, *, user_id: str, hint: bool = True) -> None:
    """The messages a step causes: who answered already, a hint (unless `hint` is False: the model reads the reply
    instead), the changed answer, the evidence request and the next question."""
    state, question = step.state, step.question
    review = state.review
    only_them = dict(channel=review.channel_id, user_id=user_id, thread_ts=review.thread_ts,
                     workspace_id=state.initiative.workspace_id)
    if step.answered_by:
        outbox.ephemeral(session, text=messages.build_already_answered(question, state.status(question.id),
                                                                       step.answered_by), **only_them)
    if step.hint and hint:
        outbox.ephemeral(session, text=step.hint, **only_them)
    if step.changed_earlier_answer and review.awaiting_question_id != question.id:
        in_thread(session, state, messages.build_answer_changed(question, step.previous, step.recorded, user_id),
                  tell=user_id)
    if step.ask_evidence:
        in_thread(session, state, messages.build_evidence_request(question, state.status(question.id)), tell=user_id)
    if step.next_question:
        ask(session, state, step.next_question, tell=user_id)


def write_summary(session: Session, state: ReviewState, framework: Framework, *, paragraph: str | None) -> None:
    """The summary in the team channel itself (not the thread), split to fit Slack's limits, with the model's
    `paragraph` (asked for before the unit of work, never inside it); the review records it was posted."""
    decisions = go_decisions.history(state.initiative.id, session=session)
    for text, blocks in messages.build_summary_messages(summarize(state), framework, ai_paragraph=paragraph,
                                                        decisions=decisions):
        outbox.post(session, conversation=state.review.channel_id, text=text, blocks=blocks,
                    workspace_id=state.initiative.workspace_id, hint=retry_hint(state))
    mark_summary_posted(state.review, session=session)
