"""Changing what the review holds from before: an earlier question's checklist posted again so its answer can be
changed (from /readiness status; the new answer is then a click, bot/app/answer.py), and an edited or deleted thread
reply (its evidence replaced or withdrawn, its answer changed while it is the current one). History is kept."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.app import review_step
from bot.domain import answering, reply_edits
from bot.domain.progress import ReviewState
from bot.services import Services
from bot.slack import conversation
from bot.slack.conversation import Where


def revisit(services: Services, *, review_id: int, question_id: str, user_id: str) -> str:
    """Post the checklist holding the question again, to see or change its answer; say where, for the person."""
    with services.session() as session:
        state = ReviewState.load(review_id, session=session, framework=services.framework)
        question = answering.question_of(state, question_id)
        conversation.post_checklists(session, state, only={question.id}, tell=user_id)
    number, _ = state.position(question)
    where = (f"in <@{state.owner_id(question)}>'s DM with me" if state.review.asks_in == conversation.DM
             else f"in the review thread in <#{state.review.channel_id}>")
    return f"Posted question {number} again {where}."


def edited_reply(client: WebClient, services: Services, *, review_id: int, user_id: str, ts: str, text: str,
                 where: Where | None = None) -> None:
    """The person's reply `ts` in the review thread (or their DM with the bot, `where`) now reads `text`."""
    review_step.take(client, services, review_id, lambda session: reply_edits.edit(
        review_id, ts, text, user_id=user_id, session=session, framework=services.framework), user_id=user_id,
        where=where)


def deleted_reply(client: WebClient, services: Services, *, review_id: int, user_id: str, ts: str,
                  where: Where | None = None) -> None:
    """The person deleted their reply `ts` in the review thread (or their DM with the bot, `where`)."""
    review_step.take(client, services, review_id, lambda session: reply_edits.delete(
        review_id, ts, user_id=user_id, session=session, framework=services.framework), user_id=user_id,
        where=where)
