"""The outbox: messages for Slack as rows, written in the unit of work that caused them, then claimed, delivered and
recorded by the relay (bot/slack/relay.py), in order per conversation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, or_
from sqlalchemy import update as sql_update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from storage.db import moment
from storage.models import NudgeLog, NudgeStatus, OutboxMessage, RequestMessage, Review

LEASE = timedelta(seconds=60)  # a claimed message not recorded as delivered by then is claimed again (and looked for)
RETRY_AFTER = timedelta(seconds=5)  # after a passing failure (429, 5xx, no connection)
MAX_ATTEMPTS = 30  # about half an hour of Slack failing, then the message is given up on
QUEUED = "outbox_queued"  # session.info: the messages this unit wrote, for the relay once it commits


def post(session: Session, *, conversation: str, text: str, blocks: list[dict] | None = None,
         thread_ts: str | None = None, thread_of: OutboxMessage | None = None, workspace_id: int | None = None,
         then: dict | None = None, tell: str | None = None, hint: str | None = None) -> OutboxMessage:
    """A new message in a channel (or a DM, when `conversation` is a person), in a thread if given one; `tell` is
    told, with `hint`, if Slack refuses it."""
    return _add(session, OutboxMessage(
        kind="post", conversation=conversation, text=text, blocks=blocks, thread_ts=thread_ts,
        thread_of=thread_of.id if thread_of else None, workspace_id=workspace_id, then=then, tell=tell, hint=hint))


def update(session: Session, *, channel: str, ts: str, text: str, blocks: list[dict] | None,
           workspace_id: int | None = None) -> OutboxMessage:
    """The message `ts` in `channel`, replaced by this text and these blocks."""
    return _add(session, OutboxMessage(kind="update", conversation=channel, target_ts=ts, text=text, blocks=blocks,
                                       workspace_id=workspace_id))


def update_post(session: Session, post: OutboxMessage, *, text: str, blocks: list[dict] | None,
                tell: str | None = None, hint: str | None = None) -> OutboxMessage:
    """The outbox post `post` replaced by this text and these blocks, by its channel and ts once it is delivered (now,
    if it is already); `tell` is told, with `hint`, if Slack refuses it. The update waits in the post's conversation
    queue, after the post and its earlier updates: a DM's post names the person, not the DM channel Slack gave it, so
    an update by that channel could overtake them."""
    return _add(session, OutboxMessage(kind="update", conversation=post.conversation, thread_of=post.id, text=text,
                                       blocks=blocks, workspace_id=post.workspace_id, tell=tell, hint=hint))


def ephemeral(session: Session, *, channel: str, user_id: str, text: str, thread_ts: str | None = None,
              workspace_id: int | None = None) -> OutboxMessage:
    """A message only `user_id` sees, in `channel` (a DM instead when Slack will not show it there)."""
    return _add(session, OutboxMessage(kind="ephemeral", conversation=channel, user_id=user_id, text=text,
                                       thread_ts=thread_ts, workspace_id=workspace_id))


def upload(session: Session, *, after: OutboxMessage, file: bytes, filename: str, title: str, instead_text: str,
           instead_blocks: list[dict] | None) -> OutboxMessage:
    """A file shared in the channel of the post `after`, once that post is in Slack; if Slack refuses the file, the
    post is updated to `instead_text` and `instead_blocks` (saying it could not be attached)."""
    return _add(session, OutboxMessage(
        kind="upload", conversation=after.conversation, thread_of=after.id, workspace_id=after.workspace_id,
        file=file, filename=filename, title=title, text=instead_text, blocks=instead_blocks))


def _add(session: Session, message: OutboxMessage) -> OutboxMessage:
    session.add(message)
    session.flush()  # its id: for its metadata, and for the messages posted in its thread
    session.info.setdefault(QUEUED, []).append(message.id)
    return message


def queued(session: Session) -> list[int]:
    """The messages this unit of work wrote."""
    return session.info.get(QUEUED, [])


def thread_root(review_id: int, *, session: Session) -> OutboxMessage | None:
    """A review's root message while it waits in the outbox (its thread's ts is not known yet)."""
    for message in session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "post", OutboxMessage.thread_of.is_(None), OutboxMessage.thread_ts.is_(None),
            OutboxMessage.delivered_at.is_(None), OutboxMessage.error.is_(None))).all():
        if (message.then or {}).get("review_thread") == review_id:
            return message
    return None


def claim(*, limit: int, session: Session, lease: timedelta = LEASE) -> list[OutboxMessage]:
    """The oldest undelivered message of each conversation (the others there wait for it) that no relay has claimed
    within `lease`, claimed now; oldest first."""
    now = moment(session)
    messages = session.exec(select(OutboxMessage).where(*_claimable(now, lease)).order_by(OutboxMessage.id)
                            .limit(limit)
                            .with_for_update(skip_locked=True)).all()
    for message in messages:
        message.claimed_at, message.attempts = now, message.attempts + 1
    return list(messages)


def reserve(message_ids: list[int], *, session: Session) -> None:
    """Claim messages as they are written, for work still to be done on them (e.g. a model's text to add) before
    they go out: no relay takes them until `release`, or until the lease runs out (that work was lost)."""
    session.execute(sql_update(OutboxMessage).where(OutboxMessage.id.in_(message_ids))
                    .values(claimed_at=moment(session)))


def release(message_ids: list[int], *, session: Session, **changes) -> None:
    """Messages `reserve`d, and not delivered since, given `changes` (e.g. their text and blocks) and claimable."""
    session.execute(sql_update(OutboxMessage).where(OutboxMessage.id.in_(message_ids),
                                                OutboxMessage.delivered_at.is_(None))
                    .values(claimed_at=None, **changes))


def any_claimable(*, session: Session, lease: timedelta = LEASE) -> bool:
    """Whether a message could be claimed now (a read, so a relay with nothing to do takes no write lock)."""
    found = session.exec(select(OutboxMessage.id).where(*_claimable(moment(session), lease)).limit(1)).first()
    return found is not None


def _claimable(now, lease: timedelta) -> tuple:
    earlier = aliased(OutboxMessage)
    waiting = exists().where(earlier.conversation == OutboxMessage.conversation, earlier.id < OutboxMessage.id,
                             earlier.delivered_at.is_(None), earlier.error.is_(None))
    return (OutboxMessage.delivered_at.is_(None), OutboxMessage.error.is_(None), ~waiting,
            or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at <= now - lease))


def thread_of(message: OutboxMessage, *, session: Session) -> OutboxMessage | None:
    """The earlier post this message goes with (in its thread; an upload, after it), if it names one."""
    return session.get(OutboxMessage, message.thread_of) if message.thread_of else None


def delivered(message_id: int, *, channel: str, ts: str | None, session: Session) -> None:
    """Slack took the message: record where, and what the ts means (`then`), unless recorded already."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message.delivered_at is not None:
        return
    message.delivered_at, message.channel, message.ts = moment(session), channel, ts
    for what, row_id in (message.then or {}).items():
        _THEN[what](row_id, channel, ts, session)
    if message.kind == "upload":
        message.file = None  # in Slack now: its bytes are not kept


def retry_later(message_id: int, *, session: Session, lease: timedelta = LEASE) -> None:
    """A passing failure: claimable again after RETRY_AFTER (given up after MAX_ATTEMPTS)."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message.attempts >= MAX_ATTEMPTS:
        give_up(message_id, "too_many_attempts", session=session)
        return
    message.claimed_at = moment(session) - lease + RETRY_AFTER


def give_up(message_id: int, error: str, *, session: Session) -> None:
    """Slack refuses it for good (the channel is gone, the bot is not in it): recorded, never tried again, with what
    its `then` records on failure; a refused upload's post says so instead."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message.delivered_at is not None or message.error is not None:
        return
    message.error, message.file = error[:100], None
    for what, row_id in (message.then or {}).items():
        if what in _GIVEN_UP:
            _GIVEN_UP[what](row_id, message.error, session)
    post = thread_of(message, session=session) if message.kind == "upload" else None
    if post is not None and post.ts is not None:
        update(session, channel=post.channel, ts=post.ts, text=message.text, blocks=message.blocks,
               workspace_id=message.workspace_id)


def _review_thread(review_id: int, channel: str, ts: str | None, session: Session) -> None:
    review = session.get(Review, review_id)
    if review is not None and review.thread_ts is None:
        review.thread_ts = ts


def _request_copy(request_id: int, channel: str, ts: str | None, session: Session) -> None:
    session.add(RequestMessage(request_id=request_id, channel_id=channel, ts=ts))


def _nudge_sent(nudge_id: int, channel: str, ts: str | None, session: Session) -> None:
    session.exec(sql_update(NudgeLog).where(NudgeLog.id == nudge_id, NudgeLog.status == NudgeStatus.QUEUED)
                 .values(status=NudgeStatus.SENT))


def _nudge_failed(nudge_id: int, error: str, session: Session) -> None:
    session.exec(sql_update(NudgeLog).where(NudgeLog.id == nudge_id).values(status=NudgeStatus.FAILED, error=error))


_THEN = {"review_thread": _review_thread, "request_copy": _request_copy, "nudge": _nudge_sent}
_GIVEN_UP = {"nudge": _nudge_failed}
