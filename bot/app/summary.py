"""A review's summary in its team channel: the model's paragraph first (outside any unit of work, on the slow workers),
then one unit that writes it to the outbox; App Home follows. A review completed with AI assist off gets it in the
completing unit. Posted once, it is updated in place: when posted again, and whenever an answer changes."""

from __future__ import annotations

from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.domain.progress import ReviewState
from bot.domain.summary import summarize
from bot.services import Services
from bot.slack import ai_flow, conversation, home_flow, slow_work


def post(client: WebClient, services: Services, *, review_id: int, also: tuple[str, ...] = ()) -> None:
    """Post the summary, or update the posted one in place (the preview's Post to channel, or after a unit that
    completed the review with AI assist on); App Home is republished for the people concerned and `also`. With AI
    assist on this is slow work (the model writes the paragraph), or done here without the paragraph when the slow
    workers are busy."""
    with services.reading() as session:
        state = ReviewState.load(review_id, session=session, framework=services.framework)
    if not ai_flow.enabled(services, state.initiative.workspace_id):
        _post(client, services, state, also=also, paragraph=None)
        return
    slow_work.hand_off(lambda: _post(client, services, state, also=also,
                                     paragraph=ai_flow.summary_paragraph(services, summarize(state))),
                       refused=partial(_post, client, services, state, also=also,
                                       paragraph=ai_flow.SUMMARY_UNAVAILABLE))


def _post(client: WebClient, services: Services, read: ReviewState, *, also: tuple[str, ...],
          paragraph: str | None) -> None:
    with services.session() as session:
        state = ReviewState.load(read.review.id, session=session, framework=services.framework)
        conversation.write_summary(session, state, services.framework, paragraph=paragraph)
    home_flow.refresh(client, services, state.initiative.id, *also)


def write_unless_model(session: Session, state: ReviewState, services: Services, *, assist: bool) -> bool:
    """The review is complete: write its summary in this unit; with AI assist on (`assist`) the model writes a
    paragraph for it first, so True: `post` it once this unit has committed."""
    if assist:
        return True
    conversation.write_summary(session, state, services.framework, paragraph=None)
    return False


def refresh_posted(session: Session, state: ReviewState, services: Services) -> None:
    """An answer changed: the review's posted summary, if it has one, is updated in place in this unit of work; without
    an AI paragraph (the model's described the answers as they were), and with no model call."""
    conversation.write_summary(session, state, services.framework, paragraph=None, posting=False)
