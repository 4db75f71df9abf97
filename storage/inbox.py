"""The inbox: each request from Slack, stored before it is acknowledged and marked processed by the first change it
makes, in that change's transaction; what was acknowledged but not processed (a crash, a restart) is claimed again
by a sweep."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, event, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.db import moment
from storage.models import InboxEntry

# Slack accepts a signature five minutes either side of now, and resends an event for a few minutes
KEEP = timedelta(hours=1)
PURGE_BATCH = 500
MAX_ATTEMPTS = 3  # a request that failed this often when claimed again is left, and purged with the rest
_WROTE = "inbox_wrote"  # session.info: this unit of work changed something
_SETTLES = "inbox_settles"  # session.info: the request this unit marks processed when it commits


class AlreadyProcessed(Exception):
    """The request was processed already (by another process, or before a restart): this unit is rolled back."""


@dataclass
class Processing:
    """The request a listener is acting on; `settled` once a committed unit of work marked it processed."""

    key: str
    settled: bool = False


_current: ContextVar[Processing | None] = ContextVar("inbox_processing", default=None)


def record(*, key: str, kind: str, body: str | None, session: Session) -> bool:
    """Store the request (its payload, or None when it needs nothing after its acknowledgement); False when its key
    is there already: a replay, or a retry of an event received.

    Two processes storing the same key at once: the primary key lets one win, on PostgreSQL and SQLite alike.
    """
    _purge(session)
    now = moment(session)
    try:
        with session.begin_nested():
            session.add(InboxEntry(key=key, kind=kind, body=body, claimed_at=now,
                                   processed_at=None if body is not None else now))
    except IntegrityError:
        return False
    return True


@contextmanager
def processing(key: str | None) -> Iterator[Processing | None]:
    """While a listener acts on the request `key`: the first unit of work that changes something marks it
    processed in its own transaction, or is rolled back with AlreadyProcessed when it was processed already."""
    if key is None:
        yield None
        return
    current = Processing(key)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def settle(key: str, *, session: Session) -> bool:
    """Mark the request processed; False when it was processed already."""
    result = session.exec(update(InboxEntry).where(InboxEntry.key == key, InboxEntry.processed_at.is_(None))
                          .values(processed_at=moment(session)))
    return result.rowcount == 1


def claim_pending(*, idle: timedelta, limit: int, session: Session) -> list[tuple[str, str]]:
    """Requests stored but not processed, untouched for `idle`: claimed (so another sweep leaves them for `idle`),
    oldest first, as (key, payload)."""
    now = moment(session)
    rows = session.exec(
        select(InboxEntry.key, InboxEntry.body)
        .where(InboxEntry.processed_at.is_(None), InboxEntry.body.is_not(None),
               InboxEntry.claimed_at < now - idle, InboxEntry.attempts < MAX_ATTEMPTS)
        .order_by(InboxEntry.received_at).limit(limit).with_for_update(skip_locked=True)
    ).all()
    if rows:
        session.exec(update(InboxEntry).where(InboxEntry.key.in_([key for key, _ in rows]))
                     .values(claimed_at=now, attempts=InboxEntry.attempts + 1))
    return [(key, body) for key, body in rows]


def _purge(session: Session) -> None:
    """Drop a batch of old rows processed or given up on; rows another purge has locked are skipped."""
    done = or_(InboxEntry.processed_at.is_not(None), InboxEntry.attempts >= MAX_ATTEMPTS)
    expired = (select(InboxEntry.key).where(and_(InboxEntry.received_at < moment(session) - KEEP, done))
               .limit(PURGE_BATCH).with_for_update(skip_locked=True))
    session.exec(delete(InboxEntry).where(InboxEntry.key.in_(expired)))


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "before_commit")
def _settle_with_first_change(session: Session) -> None:
    current = _current.get()
    if current is None or current.settled or _SETTLES in session.info:
        return
    if not (session.info.get(_WROTE) or session.new or session.dirty or session.deleted):
        return
    if not settle(current.key, session=session):
        raise AlreadyProcessed(current.key)
    session.info[_SETTLES] = current


@event.listens_for(Session, "after_commit")
def _settled(session: Session) -> None:
    current = session.info.pop(_SETTLES, None)
    if current is not None:
        current.settled = True


@event.listens_for(Session, "after_rollback")
def _not_settled(session: Session) -> None:
    session.info.pop(_SETTLES, None)
