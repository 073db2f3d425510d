"""Apply the Alembic migrations shipped in the package (`coachbot db upgrade`, and on every start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"

#: The PostgreSQL advisory lock key that makes processes migrate one after the other
#: (the bytes of "coachmig" as a signed 64-bit number: unlikely to meet anyone else's key).
MIGRATION_LOCK_KEY = int.from_bytes(b"coachmig", "big", signed=True)


def alembic_config() -> Config:
    """A config pointing at the packaged migrations; no alembic.ini needed on the operator's side."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revisions() -> tuple[str, ...]:
    """The revisions this version of coachbot migrates to."""
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


async def current_revisions(engine: AsyncEngine) -> tuple[str, ...]:
    """The revisions the database is at; empty when coachbot never migrated it. Only reads."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: tuple(MigrationContext.configure(sync).get_current_heads()))


def _run(connection: Connection, direction: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, direction)(config, revision)


async def _one_at_a_time(connection: AsyncConnection) -> None:
    """Two first starts on one PostgreSQL database would both create the schema; the second waits
    here until the first committed, then finds nothing left to do. The lock ends with the
    transaction. (SQLite needs nothing: BEGIN IMMEDIATE already lets one writer in.)"""
    if connection.dialect.name == "postgresql":
        await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to `revision` in one transaction."""
    async with engine.begin() as connection:
        await _one_at_a_time(connection)
        await connection.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the schema back to `revision` (`base` for empty) in one transaction."""
    async with engine.begin() as connection:
        await _one_at_a_time(connection)
        await connection.run_sync(_run, "downgrade", revision)
