"""Database engine, sessions and migrations: a SQLite file by default, PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, inspect
from sqlmodel import Session, create_engine

from storage.models import STAMPED

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_SQLITE_URL = "sqlite:///readiness.db"
MIGRATION_LOCK = 0x52454144  # the key of the PostgreSQL advisory lock held while migrating ("READ")
NOW = "now"  # the key of a unit of work's instant in its session's info
PROMPTLY = "readiness_promptly"  # the execution option of a write transaction that asks for the lock every ms
SQLITE_WAIT_SECONDS = 30  # how long a transaction waits for SQLite's write lock
READ_ONLY = "readiness_read_only"  # the execution option (and connection info key) of a read-only unit of work


def make_engine(url: str | None) -> Engine:
    """An engine for the URL (SQLite file when unset), tuned for a threaded server."""
    url = url or DEFAULT_SQLITE_URL
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_WAIT_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "checkin", _sqlite_writable)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """A unit of work takes SQLite's write lock when it starts, so concurrent read-then-write never fails midway; a
    read-only one begins deferred (it reads a snapshot, never queued behind a writer) and may not write."""
    options = connection.get_execution_options()
    if options.get(PROMPTLY):
        _begin_promptly(connection)
        return
    if not options.get(READ_ONLY):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    connection.exec_driver_sql("PRAGMA query_only=ON")
    connection.info[READ_ONLY] = True
    connection.exec_driver_sql("BEGIN")


def _begin_promptly(connection: Connection) -> None:
    """Take the write lock as soon as it is free: SQLite's own wait sleeps in growing steps (up to 100 ms) and can
    miss a lock freed meanwhile, so this asks again every millisecond (for as long as the usual wait), then once
    more as any statement does, raising its error."""
    raw = connection.connection.driver_connection
    deadline = time.monotonic() + SQLITE_WAIT_SECONDS
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    break
            time.sleep(0.001)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {SQLITE_WAIT_SECONDS * 1000}")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def writing_promptly(engine: Engine) -> Iterator[Connection]:
    """A short write transaction on a connection of its own that, on SQLite, takes the write lock as soon as it is
    free (for storing requests before they are acknowledged)."""
    with engine.connect() as connection, connection.execution_options(**{PROMPTLY: True}).begin():
        yield connection


def _sqlite_writable(dbapi_connection, record) -> None:
    """A connection a read-only unit used goes back to the pool writable."""
    if record.info.pop(READ_ONLY, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA query_only=OFF")


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema, in one transaction.

    On PostgreSQL the transaction first takes an advisory lock, so processes starting at once migrate one after
    another: the first upgrades, the others find the schema current. (SQLite's BEGIN IMMEDIATE does the same.)
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_scope(engine: Engine, *, now: datetime) -> AbstractContextManager[Session]:
    """A unit of work at the instant `now`: commits on success, rolls back on error.

    Every row it writes gets `now` in its stamped columns (created_at and the like) unless set already.
    """
    return _unit(engine, now, {})


def read_scope(engine: Engine, *, now: datetime) -> AbstractContextManager[Session]:
    """A read-only unit of work at the instant `now`: on SQLite it never takes (or waits for) the write lock, on
    PostgreSQL it is a READ ONLY transaction. A write in it fails (on PostgreSQL a row lock too)."""
    options = {READ_ONLY: True, **({"postgresql_readonly": True} if engine.dialect.name == "postgresql" else {})}
    return _unit(engine, now, options)


@contextmanager
def _unit(engine: Engine, now: datetime, options: dict) -> Iterator[Session]:
    if now.tzinfo is None:
        raise ValueError("a unit of work's instant needs a timezone")
    with Session(engine, expire_on_commit=False, info={NOW: now}, execution_options=options) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def moment(session: Session) -> datetime:
    """The instant of the unit of work this session belongs to."""
    try:
        return session.info[NOW]
    except KeyError:
        raise RuntimeError("this session has no instant: open it with session_scope or read_scope") from None


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context, _instances) -> None:
    for row in session.new:
        for column in inspect(row).mapper.columns:
            if column.info.get(STAMPED) and getattr(row, column.key) is None:
                setattr(row, column.key, moment(session))
