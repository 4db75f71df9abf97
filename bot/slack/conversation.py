"""The review conversation in Slack: what to post after each step the domain takes."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.domain import go_decisions
from bot.domain.answering import Step, mark_summary_posted
from bot.domain.progress import ReviewState
from bot.domain.summary import summarize
from bot.framework import Question
from bot.services import Services
from bot.slack import ai_flow, delivery, home_flow
from bot.slack.approval_flow import after_answer
from bot.slack.blocks import messages
from bot.text import from_plain
from storage.models import Review


def retry_hint(state: ReviewState) -> str:
    return (
        "Nothing you entered was lost: once that is fixed, run "
        f"`/readiness continue {from_plain(state.initiative.name)}`."
    )


def start_thread(client: WebClient, state: ReviewState, services: Services, *, started_by: str) -> None:
    """Post the review's root message in the team channel, then its current question in the thread."""
    hint = retry_hint(state)
    text, blocks = messages.build_root_message(state.initiative, services.framework, started_by=started_by)
    ts = delivery.post(client, channel=state.review.channel_id, text=text, blocks=blocks, retry_hint=hint)
    with services.session() as session:
        review = session.get(Review, state.review.id)
        review.thread_ts = ts
        session.add(review)
    state.review.thread_ts = ts
    ask_current(client, state, services)


def ask_current(client: WebClient, state: ReviewState, services: Services) -> None:
    """Ask the question the review is waiting on (again), or post the summary if none is left."""
    if state.review.thread_ts is None:
        start_thread(client, state, services, started_by=state.initiative.created_by)
        return
    question = state.question(state.review.awaiting_question_id or "")
    if question is None:
        post_summary(client, state, services)
        return
    ask(client, state, question)


def pick_up(client: WebClient, state: ReviewState, services: Services) -> str:
    """Carry the review on where it is (/readiness continue, and App Home's button); say where, for the person."""
    ask_current(client, state, services)
    return f"Picked up {from_plain(state.initiative.name)} in <#{state.review.channel_id}>."


def ask(client: WebClient, state: ReviewState, question: Question) -> None:
    text, blocks = messages.build_question_message(state, question)
    delivery.post(
        client, channel=state.review.channel_id, thread_ts=state.review.thread_ts, text=text, blocks=blocks,
        retry_hint=retry_hint(state),
    )


def show_step(client: WebClient, step: Step, services: Services, *, user_id: str) -> None:
    """Say what follows from a step: evidence request, a hint, the next question, or the summary."""
    state, question = step.state, step.question
    review = state.review
    thread = dict(channel=review.channel_id, thread_ts=review.thread_ts, retry_hint=retry_hint(state))
    if step.answered_by:
        delivery.tell(client, user=user_id, channel=review.channel_id, thread_ts=review.thread_ts,
                      text=messages.build_already_answered(step.question, state.status(question.id), step.answered_by))
    if step.hint and not (step.note and ai_flow.propose(client, services, step, user_id=user_id)):
        delivery.tell(client, user=user_id, channel=review.channel_id, thread_ts=review.thread_ts, text=step.hint)
    if step.changed_earlier_answer and review.awaiting_question_id != question.id:
        delivery.post(
            client, text=messages.build_answer_changed(question, step.previous, step.recorded, user_id), **thread,
        )
    if step.ask_evidence:
        delivery.post(client, text=messages.build_evidence_request(question, state.status(question.id)), **thread)
    if step.next_question:
        ask(client, state, step.next_question)
    if step.completed:
        post_summary(client, state, services)
    if step.recorded not in (None, step.previous):
        after_answer(client, services, state.initiative.id)
        home_flow.refresh(client, services, state.initiative.id, user_id)


def post_summary(client: WebClient, state: ReviewState, services: Services) -> None:
    """Post the summary to the team channel itself (not the thread), split to fit Slack's limits."""
    summary = summarize(state)
    paragraph = ai_flow.summary_paragraph(services, summary)
    with services.reading() as session:
        decisions = go_decisions.history(state.initiative.id, session=session)
    for text, blocks in messages.build_summary_messages(summary, services.framework, ai_paragraph=paragraph,
                                                        decisions=decisions):
        delivery.post(client, channel=state.review.channel_id, text=text, blocks=blocks, retry_hint=retry_hint(state))
    with services.session() as session:
        mark_summary_posted(session.get(Review, state.review.id), session=session)
    home_flow.refresh(client, services, state.initiative.id)
