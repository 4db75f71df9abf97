"""The inbox: each request from Slack, stored before it is acknowledged and marked processed by the first change it
makes, in that change's transaction; what was acknowledged but not processed (a crash, a restart) is claimed again
by a sweep."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, event, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from storage.db import moment
from storage.models import InboxEntry

# Slack accepts a signature five minutes either side of now, and resends an event for a few minutes
KEEP = timedelta(hours=1)
PURGE_BATCH = 500
MAX_ATTEMPTS = 3  # a request that failed this often when claimed again is left, and purged with the rest
_INSERTS = {dialect.dialect.name: dialect.insert(InboxEntry.__table__)  # built once: on the acknowledgement's path
            .on_conflict_do_nothing(index_elements=["key"]).returning(InboxEntry.__table__.c.key)
            for dialect in (postgresql, sqlite)}
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


def record(*, key: str, kind: str, body: str | None, session: Session, claimed: bool = True) -> bool:
    """Store the request (its payload, or None when it needs nothing after its acknowledgement); False when its key
    is there already: a replay, or a retry of an event received. Unless `claimed` (by the process storing it, which
    acts on it), the next claim takes it."""
    request = {"key": key, "kind": kind, "body": body, "claimed": claimed}
    return _insert(session.connection(), [request], now=moment(session)) == [True]


def _insert(connection: Connection, requests: list[dict], *, now: datetime) -> list[bool]:
    """Store the requests in one statement (it is on the acknowledgement's path); for each, whether it is new. Two
    processes storing the same key at once: the primary key lets one win, on PostgreSQL and SQLite alike; the same
    key twice in `requests`: the first is new."""
    firsts, rows = set(), []
    for request in requests:
        if request["key"] not in firsts:
            firsts.add(request["key"])
            rows.append({"key": request["key"], "kind": request["kind"], "body": request["body"], "received_at": now,
                         "claimed_at": now if request.get("claimed", True) else None,
                         "processed_at": None if request["body"] is not None else now, "attempts": 0})
    stored = set(connection.execute(_INSERTS[connection.dialect.name], rows).scalars())
    answers = []
    for request in requests:
        answers.append(request["key"] in stored)
        stored.discard(request["key"])
    return answers


class Recorder:
    """Stores requests as they arrive, many in one transaction (a group commit): a request arriving while a
    transaction is being written waits for the next one, with every other request that arrived meanwhile, so
    requests arriving at once share one commit (and one wait for the database's write lock) instead of queuing for
    one each. The first of them writes it, on its own thread."""

    def __init__(self, begin: Callable[[], AbstractContextManager[Connection]], clock) -> None:
        self._begin, self._clock = begin, clock
        self._lock = threading.Lock()
        self._waiting: list[_Arrived] = []
        self._writing = False

    def record(self, **request) -> bool:
        """`record` (above) in the next transaction: once it has committed, whether the request was new; the
        database's error if it failed."""
        mine = _Arrived(request)
        with self._lock:
            self._waiting.append(mine)
            if not self._writing:
                self._writing = mine.writes = True
        if not mine.writes:
            mine.ready.wait()  # stored by another request's thread, or told to write the next transaction
        if mine.writes:
            self._write()
        if mine.error is not None:
            raise mine.error
        return mine.first

    def _write(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            now = self._clock.now()
            with self._begin() as connection:
                firsts = _insert(connection, [arrived.request for arrived in batch], now=now)
            for arrived, first in zip(batch, firsts, strict=True):
                arrived.first = first
        except Exception as error:  # each request of the batch gets the error, and its person is told
            for arrived in batch:
                arrived.error = error
        with self._lock:
            if self._waiting:
                self._waiting[0].writes = True  # the next transaction is written by the first waiting for it
                self._waiting[0].ready.set()
            else:
                self._writing = False
        for arrived in batch:
            arrived.ready.set()


@dataclass
class _Arrived:
    request: dict
    first: bool = False
    error: Exception | None = None
    writes: bool = False
    ready: threading.Event = field(default_factory=threading.Event)


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


def any_pending(*, idle: timedelta, session: Session) -> bool:
    """Whether `claim_pending` would claim something now (a read: a sweep with nothing to do takes no write lock)."""
    return session.exec(select(InboxEntry.key).where(*_pending(moment(session), idle)).limit(1)).first() is not None


def claim_pending(*, idle: timedelta, limit: int, session: Session) -> list[tuple[str, str, bool]]:
    """Requests stored but not processed, never claimed or untouched for `idle`: claimed (so another sweep leaves
    them for `idle`), oldest first, as (key, payload, whether a process had claimed it before and left it)."""
    now = moment(session)
    rows = session.exec(
        select(InboxEntry.key, InboxEntry.body, InboxEntry.claimed_at.is_not(None)).where(*_pending(now, idle))
        .order_by(InboxEntry.received_at).limit(limit).with_for_update(skip_locked=True)
    ).all()
    if rows:
        session.exec(update(InboxEntry).where(InboxEntry.key.in_([key for key, _, _ in rows]))
                     .values(claimed_at=now,  # a first claim is no retry
                             attempts=InboxEntry.attempts + case((InboxEntry.claimed_at.is_(None), 0), else_=1)))
    return [(key, body, bool(left)) for key, body, left in rows]


def _pending(now: datetime, idle: timedelta) -> tuple:
    return (InboxEntry.processed_at.is_(None), InboxEntry.body.is_not(None),
            or_(InboxEntry.claimed_at.is_(None), InboxEntry.claimed_at < now - idle),
            InboxEntry.attempts < MAX_ATTEMPTS)


def any_expired(session: Session) -> bool:
    """Whether `purge` would drop something now (a read)."""
    return session.exec(select(InboxEntry.key).where(*_expired(moment(session))).limit(1)).first() is not None


def purge(session: Session) -> None:
    """Drop a batch of old rows processed or given up on; rows another purge has locked are skipped."""
    expired = (select(InboxEntry.key).where(*_expired(moment(session)))
               .limit(PURGE_BATCH).with_for_update(skip_locked=True))
    session.exec(delete(InboxEntry).where(InboxEntry.key.in_(expired)))


def _expired(now: datetime) -> tuple:
    return (InboxEntry.received_at < now - KEEP,
            or_(InboxEntry.processed_at.is_not(None), InboxEntry.attempts >= MAX_ATTEMPTS))


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
