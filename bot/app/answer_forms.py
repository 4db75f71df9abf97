"""Answering in forms: a question's details modal, and one area's questions at once. Each submission is one step of
the review (bot/app/review_step.py): what it records and the messages it changes, in one unit of work."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.app import review_step
from bot.domain import answering
from bot.domain.answering import Given
from bot.domain.progress import ReviewState
from bot.services import Services
from storage.models import AnswerStatus

AREA_FORM, DETAILS = "form", "details"  # the answers' sources


def review_state(services: Services, review_id: int) -> ReviewState:
    """The review as stored now, to build a form from."""
    with services.reading() as session:
        return ReviewState.load(review_id, session=session, framework=services.framework)


def answer_area(client: WebClient, services: Services, *, review_id: int, given: list[Given], user_id: str) -> None:
    """An area form's answers and evidence (at least one), recorded together."""
    review_step.take(client, services, review_id, lambda session: answering.answer_many(
        review_id, given, user_id=user_id, source=AREA_FORM, session=session, framework=services.framework,
    ), user_id=user_id)


def answer_details(client: WebClient, services: Services, *, review_id: int, question_id: str,
                   status: AnswerStatus | None, evidence: str | None, user_id: str) -> None:
    """The details modal's answer and/or evidence (at least one) for its question."""
    if status is None:
        def act(session):
            return answering.add_evidence(review_id, question_id, evidence, user_id=user_id, session=session,
                                          framework=services.framework)
    else:
        def act(session):
            return answering.answer_many(review_id, [Given(question_id, status, evidence)], user_id=user_id,
                                         source=DETAILS, session=session, framework=services.framework)
    review_step.take(client, services, review_id, act, user_id=user_id)
