"""Locks one process at a time holds on a database's behalf, outside any transaction, and loses when it ends or dies:
a PostgreSQL advisory lock, or on SQLite an OS lock on a file beside the database."""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine


@contextmanager
def held(engine: Engine, name: str) -> Iterator[bool]:
    """Try to take the lock `name` without waiting; yield whether it was taken (it is held until the block ends)."""
    if engine.dialect.name != "postgresql":
        with open(f"{engine.url.database}-{name}.lock", "a") as file:  # closing it (or dying) lets go
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
            else:
                yield True
        return
    key = zlib.crc32(f"readiness:{name}".encode())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        taken = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
        try:
            yield taken
        finally:
            if taken:  # a pooled connection keeps a session's lock until told
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
