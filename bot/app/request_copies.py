"""The copies of a release request in Slack (the approvals channel's and each approver's DM), written to the outbox in
the unit of work of the change they show, and the review thread's link they carry."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.domain.approvals import RequestView
from bot.domain.initiatives import latest_review
from bot.services import Services
from bot.slack.blocks.approvals import build_request_message
from storage import outbox
from storage.models import Initiative, OutboxMessage, RequestMessage


def review_link(client: WebClient, services: Services, initiative_id: int) -> str | None:
    """The link to the initiative's review thread, asked of Slack once per thread (before any unit of work)."""
    with services.reading() as session:
        review = latest_review(session.get(Initiative, initiative_id), session=session)
    return services.permalinks.of(client, review.channel_id, review.thread_ts)


def stored_link(session: Session, services: Services, view: RequestView) -> str | None:
    """The review thread's link as Slack gave it before (inside a unit of work, which asks Slack nothing)."""
    review = latest_review(view.initiative, session=session)
    return services.permalinks.known(review.channel_id, review.thread_ts)


def post_copy(session: Session, view: RequestView, target: str, text: str, blocks: list[dict]) -> OutboxMessage:
    """A copy of the request for a channel or a person (a DM), recorded as one to update once posted."""
    return outbox.post(session, conversation=target, text=text, blocks=blocks, workspace_id=view.initiative.workspace_id,
                then={"request_copy": view.request.id}, tell=view.request.requested_by, hint="")


def update_copies(session: Session, services: Services, view: RequestView, *, permalink: str | None) -> None:
    """Every copy of the request, updated in place to show it as it is now."""
    text, blocks = build_request_message(view, services.framework, permalink=permalink)
    copies = session.exec(select(RequestMessage).where(RequestMessage.request_id == view.request.id)).all()
    for copy in copies:
        outbox.update(session, channel=copy.channel_id, ts=copy.ts, text=text, blocks=blocks,
                      workspace_id=view.initiative.workspace_id)
