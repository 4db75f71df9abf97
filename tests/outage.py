"""Taking a test's own database away from the served bot, on 127.0.0.1, and bringing it back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def database_down(url: str, *engines: Engine) -> Iterator[None]:
    """Nothing can connect to the database at url inside the block: PostgreSQL refuses connections to it; a SQLite
    file is moved aside, with a directory in its place. The engines' idle connections are closed first."""
    for engine in engines:
        engine.dispose()
    name = make_url(url).database
    if url.startswith("sqlite"):
        path = Path(name)
        aside = path.with_name(path.name + ".aside")
        path.rename(aside)
        path.mkdir()
        try:
            yield
        finally:
            path.rmdir()
            aside.rename(path)
        return
    admin = create_engine(os.environ["READINESS_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                               {"name": name})
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
