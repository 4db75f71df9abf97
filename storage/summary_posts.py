"""The summary a review posted to its team channel: one message, recorded as a ReviewPost of kind summary, that later
summaries update in place."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import OutboxMessage, ReviewPost

KIND = "summary"


def posted(review_id: int, *, session: Session) -> OutboxMessage | None:
    """The outbox post of the review's summary, unless there is none or Slack refused it (then it is posted anew)."""
    found = session.exec(select(OutboxMessage).join(ReviewPost, ReviewPost.outbox_id == OutboxMessage.id)
                         .where(ReviewPost.review_id == review_id, ReviewPost.kind == KIND)
                         .order_by(ReviewPost.id.desc())).first()
    return found if found is not None and found.error is None else None


def record(review_id: int, post: OutboxMessage, *, session: Session) -> None:
    """`post` is the review's summary from now on."""
    row = session.exec(select(ReviewPost).where(ReviewPost.review_id == review_id, ReviewPost.kind == KIND)).first()
    if row is None:
        session.add(ReviewPost(review_id=review_id, kind=KIND, outbox_id=post.id))
    else:
        row.outbox_id = post.id
        session.add(row)
    session.flush()
