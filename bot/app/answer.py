"""Answering the review: a button (Met, Partly, Not yet, N/A), the model's proposal confirmed or changed, a reply in
the review thread or in a DM with the bot. Each is one step, one unit of work (bot/app/review_step.py)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.ai import overrides
from bot.app import review_step
from bot.domain import answering
from bot.domain.answering import Step
from bot.services import Services
from bot.slack.ai_flow import build_proposal_decided
from bot.slack.conversation import Where
from storage import outbox
from storage.models import AnswerStatus, OutboxMessage, Review, ReviewPost


@dataclass(frozen=True)
class Clicked:
    """The message whose button was clicked, updated in place to show the answer."""

    channel_id: str
    ts: str


def click(client: WebClient, services: Services, *, review_id: int, question_id: str, status: AnswerStatus,
          user_id: str) -> None:
    """An answer button on a question (its checklist shows the answer once the unit commits)."""
    review_step.take(client, services, review_id, lambda session: answering.answer(
        review_id, question_id, status, user_id=user_id, source="button", session=session,
        framework=services.framework), user_id=user_id)


def decide_proposal(client: WebClient, services: Services, *, review_id: int, question_id: str,
                    status: AnswerStatus, user_id: str, prompt_version: str, reason: str, confirmed: bool,
                    clicked: Clicked | None) -> None:
    """A person confirms the model's proposal (`status`) or answers `status` instead, saying why in `reason`: only
    now is it an answer (theirs), recorded with how they decided on the proposal."""

    def act(session: Session) -> Step:
        step = answering.answer(review_id, question_id, status, user_id=user_id,
                                source="ai_confirmed" if confirmed else "ai_changed", session=session,
                                framework=services.framework)
        overrides.record(session=session, initiative_id=step.state.initiative.id, user_id=user_id,
                         prompt_version=prompt_version, question_id=question_id, reason=reason,
                         outcome=overrides.CONFIRMED if confirmed else overrides.CHANGED)
        _show(session, clicked, step, *build_proposal_decided(status, confirmed=confirmed, user_id=user_id))
        return step

    review_step.take(client, services, review_id, act, user_id=user_id)


def reply(client: WebClient, services: Services, *, review_id: int, user_id: str, text: str, ts: str,
          where: Where | None = None) -> None:
    """A person's reply `ts` in the review thread (or in their DM with the bot, `where`): evidence, a written answer,
    or chatter (which only the model may read)."""
    review_step.take(client, services, review_id, lambda session: answering.reply(
        review_id, text, message_ts=ts, user_id=user_id, session=session, framework=services.framework),
        user_id=user_id, where=where)


def review_in_thread(services: Services, *, channel_id: str, thread_ts: str) -> int | None:
    """The review whose thread this is, if any."""
    with services.reading() as session:
        return session.exec(select(Review.id).where(Review.channel_id == channel_id,
                                                    Review.thread_ts == thread_ts)).first()


def review_in_dm(services: Services, *, channel_id: str, user_id: str) -> int | None:
    """The newest review that sent this person their questions in this DM, if any."""
    with services.reading() as session:
        return session.exec(
            select(ReviewPost.review_id).join(OutboxMessage, OutboxMessage.id == ReviewPost.outbox_id)
            .where(ReviewPost.person_id == user_id, OutboxMessage.channel == channel_id)
            .order_by(ReviewPost.review_id.desc()).limit(1)).first()


def _show(session: Session, clicked: Clicked | None, step: Step, text: str, blocks: list[dict]) -> None:
    if clicked is not None:
        outbox.update(session, channel=clicked.channel_id, ts=clicked.ts, text=text, blocks=blocks,
                      workspace_id=step.state.initiative.workspace_id)
