"""Bring a database to the newest schema with the Alembic migrations in ``jobs/migrations``.

Several processes open the store at once (the gateway, workers, run drivers), so the
upgrade runs under a lock: a file lock beside a SQLite database, an advisory lock on
PostgreSQL. A database made by the first release (tables, no version table) is
recognised and stamped as revision 0001 before upgrading.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from jobs.models import SCHEMA_REVISION

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK_KEY = 0x15D1_4D8  # any constant shared by every lsdih process


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _migration_lock(engine: Engine, connection: Connection) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_LOCK_KEY})
            connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _alembic_config(connection: Connection):
    from alembic.config import Config  # imported only when an upgrade is due

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Migrate ``engine``'s database to ``SCHEMA_REVISION`` unless it is there already."""
    with engine.connect() as connection:
        if current_revision(connection) == SCHEMA_REVISION:
            return
        connection.rollback()
        with _migration_lock(engine, connection):
            revision = current_revision(connection)
            connection.commit()
            if revision == SCHEMA_REVISION:
                return
            from alembic import command

            config = _alembic_config(connection)
            if revision is None and inspect(connection).has_table("runs"):
                command.stamp(config, "0001")
                connection.commit()
            command.upgrade(config, "head")
            connection.commit()


def head_revision() -> str:
    """The newest revision in the migrations folder (tests compare it with SCHEMA_REVISION)."""
    from alembic.script import ScriptDirectory

    config = _alembic_config(None)
    return ScriptDirectory.from_config(config).get_current_head()
