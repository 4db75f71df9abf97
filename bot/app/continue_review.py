"""Carrying a review on where it is (/readiness continue, and App Home's Continue button): the checklists holding open
questions posted again, or its thread started, or its summary when nothing is left to ask; in one unit of work."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.app import summary
from bot.domain.initiatives import latest_review
from bot.domain.progress import ReviewState
from bot.services import Services
from bot.slack import ai_flow, conversation, home_flow
from bot.text import from_plain
from storage.models import Initiative


def pick_up(client: WebClient, services: Services, *, initiative_id: int) -> str:
    """Carry the initiative's review on; say where, for the person."""
    with services.session() as session:
        review = latest_review(session.get(Initiative, initiative_id), session=session)
        state = ReviewState.load(review.id, session=session, framework=services.framework)
        asked = conversation.ask_current(session, state, services.framework)
        summary_later = not asked and summary.write_unless_model(
            session, state, services, assist=ai_flow.enabled(services, state.initiative.workspace_id, session=session))
    if summary_later:
        summary.post(client, services, review_id=state.review.id)
    elif not asked:
        home_flow.refresh(client, services, state.initiative.id)
    where = "each owner's DM with me" if asked and state.review.asks_in == conversation.DM else (
        f"<#{state.review.channel_id}>")
    return f"Picked up {from_plain(state.initiative.name)} in {where}."
