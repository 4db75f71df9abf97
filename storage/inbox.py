"""The inbox: a row for each request received, written before the request is acknowledged."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.db import moment
from storage.models import InboxEntry

# Slack accepts a signature five minutes either side of now, and resends an event for a few minutes
KEEP = timedelta(hours=1)
PURGE_BATCH = 500


def record(*, key: str, kind: str, session: Session) -> bool:
    """Store the request's key; False when it is there already (a replay, or a retry of an event received).

    Two processes storing the same key at once: the primary key lets one win, on PostgreSQL and SQLite alike.
    """
    _purge(session)
    try:
        with session.begin_nested():
            session.add(InboxEntry(key=key, kind=kind))
    except IntegrityError:
        return False
    return True


def _purge(session: Session) -> None:
    """Drop a batch of rows older than KEEP; rows another purge has locked are skipped, never waited for."""
    expired = (select(InboxEntry.key).where(InboxEntry.received_at < moment(session) - KEEP)
               .limit(PURGE_BATCH).with_for_update(skip_locked=True))
    session.exec(delete(InboxEntry).where(InboxEntry.key.in_(expired)))
