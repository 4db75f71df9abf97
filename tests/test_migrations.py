"""Processes that start at once all migrate the same new database: one upgrades it, the others find it current."""

import subprocess

from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import MIGRATIONS, make_engine
from tests.served import CLI, bot_env

STARTS = 6


def test_concurrent_migrations_of_a_new_database_all_succeed(empty_database_url, tmp_path):
    env = bot_env(DATABASE_URL=empty_database_url)
    starts = [subprocess.Popen([str(CLI), "migrate"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True) for _ in range(STARTS)]
    outputs = [start.communicate(timeout=120)[0] for start in starts]
    assert [start.returncode for start in starts] == [0] * STARTS, "\n".join(outputs)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [ScriptDirectory(str(MIGRATIONS)).get_current_head()]
    finally:
        engine.dispose()
