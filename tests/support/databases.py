"""Real databases for tests: a SQLite file in a temp folder, or a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

POSTGRES_URL_VARIABLE = "COACHBOT_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The server tests may use (CI sets it), as an asyncpg SQLAlchemy URL."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        return None
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _admin_dsn() -> str:
    base = postgres_url()
    assert base is not None
    return make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)


async def _on_server(statement: str) -> None:
    """One statement outside any database (CREATE or DROP DATABASE)."""
    connection = await asyncpg.connect(_admin_dsn())
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_postgres_database(template: str | None = None) -> AsyncIterator[str]:
    """Create a database on the test server (empty, or a copy of `template`), yield its URL,
    drop it afterwards."""
    base = postgres_url()
    assert base is not None
    name = f"coachbot_test_{uuid.uuid4().hex[:12]}"
    await _on_server(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def database_for(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database URL for a test: a SQLite file in tmp_path, or a fresh PostgreSQL database
    (the test is skipped when no server is configured)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}"
        return
    if postgres_url() is None:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    async with fresh_postgres_database() as url:
        yield url


# --- Migrated databases, fast -----------------------------------------------------------------
# Running every migration for every test costs about half a second each (SQLite's batch
# alterations copy tables). Each backend is migrated once per test process into a template, and
# every test gets a copy: the same schema `coachbot db upgrade` makes (tests of the migrations
# themselves still run them on empty databases).

_templates: dict[str, str] = {}


async def _sqlite_template() -> str:
    from storage import migrate
    from storage.database import create_engine

    if "sqlite" not in _templates:
        folder = Path(tempfile.mkdtemp(prefix="coachbot-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.sqlite3"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()  # the last connection's close folds the WAL into the file
        assert not path.with_name(path.name + "-wal").exists()
        _templates["sqlite"] = str(path)
    return _templates["sqlite"]


async def _postgres_template() -> str:
    from storage import migrate
    from storage.database import create_engine

    if "postgres" not in _templates:
        name = f"coachbot_template_{uuid.uuid4().hex[:12]}"
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        await _on_server(f'CREATE DATABASE "{name}"')
        atexit.register(lambda: asyncio.run(_on_server(drop)))
        base = postgres_url()
        assert base is not None
        engine = create_engine(make_url(base).set(database=name))
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        _templates["postgres"] = name
    return _templates["postgres"]


# A PostgreSQL database costs about a second to create from the template and drop again (the
# server writes and syncs its files), more than most tests take. A migrated database a test has
# used is emptied instead (each table's rows deleted, each sequence back at 1: the template's
# state) and given to the process's next test; one whose schema the test changed (a table, a
# column, a constraint, a trigger or function it added) is dropped.

_emptied: list[str] = []  # this process's migrated PostgreSQL databases, ready for a next test
_SCHEMA = """
    SELECT md5(coalesce(string_agg(c.relname || ':' || c.relkind::text || ':'
                                   || coalesce(a.attname, '') || ':'
                                   || coalesce(a.atttypid::text, '') || ':'
                                   || coalesce(a.attnotnull::text, '') || ':'
                                   || coalesce(a.atthasdef::text, ''), ','
                                   ORDER BY c.relname, a.attnum), '')
               || coalesce((SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger
                            WHERE NOT tgisinternal), '')
               || coalesce((SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc
                            WHERE pronamespace = 'public'::regnamespace), '')
               || coalesce((SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint
                            WHERE connamespace = 'public'::regnamespace), '')
               || coalesce((SELECT string_agg(rulename, ',' ORDER BY rulename) FROM pg_rules
                            WHERE schemaname = 'public'), ''))
           || coalesce((SELECT string_agg(version_num, ',') FROM alembic_version), '')
    FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                                            AND NOT a.attisdropped
    WHERE c.relnamespace = 'public'::regnamespace"""
_schemas: dict[str, str] = {}  # the template's, by template name
_dropping: list[bool] = []  # whether the databases left at the end are dropped then (atexit)


async def _schema_of(name: str) -> str:
    connection = await asyncpg.connect(make_url(_admin_dsn()).set(database=name)
                                       .render_as_string(hide_password=False))
    try:
        return str(await connection.fetchval(_SCHEMA))
    finally:
        await connection.close()


async def _empty(name: str, template: str) -> bool:
    """Delete every row of the database `name` and restart its sequences, if its schema is still
    the template's (False, nothing done, if not). Connections a test left open are ended first."""
    connection = await asyncpg.connect(make_url(_admin_dsn()).set(database=name)
                                       .render_as_string(hide_password=False))
    try:
        await connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        if template not in _schemas:
            _schemas[template] = await _schema_of(template)
        if await connection.fetchval(_SCHEMA) != _schemas[template]:
            return False
        tables = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                        "AND tablename <> 'alembic_version'")
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")  # no FK order
            for (table,) in tables:
                await connection.execute(f'DELETE FROM "{table}"')
            await connection.execute("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE "
                                     "c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace")
        return True
    finally:
        await connection.close()


def _drop_emptied() -> None:
    async def drop() -> None:
        for name in _emptied:
            await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    asyncio.run(drop())


@asynccontextmanager
async def _migrated_postgres_database() -> AsyncIterator[str]:
    """A database at head for one test: one a test before emptied, or a copy of the template."""
    base = postgres_url()
    assert base is not None
    template = await _postgres_template()
    if _emptied:
        name = _emptied.pop()
    else:
        name = f"coachbot_test_{uuid.uuid4().hex[:12]}"
        await _on_server(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        if not _dropping:
            _dropping.append(True)
            atexit.register(_drop_emptied)
    kept = False
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
        kept = await _empty(name, template)
    finally:
        if kept:
            _emptied.append(name)
        else:
            await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')



@asynccontextmanager
async def migrated_database_for(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Like `database_for`, with the schema already at head (a copy of a migrated template, or
    on PostgreSQL a database an earlier test used, emptied)."""
    if backend == "sqlite":
        path = tmp_path / "coachbot.sqlite3"
        shutil.copyfile(await _sqlite_template(), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    if postgres_url() is None:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    async with _migrated_postgres_database() as url:
        yield url


async def mentee_mid_agreement_at_0003(engine: AsyncEngine, now: datetime,
                                       answered: bool = False) -> None:
    """Migrate an empty database to 0003 (the first release's schema) and put in what a mentee
    left there: user 1 (Telegram 77) with the agreement open at `purpose`, answered or not."""
    from storage import migrate

    await migrate.upgrade(engine, "0003")
    at = {"now": now}
    async with engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO users (id, telegram_id, language, timezone, role, stage, "
            "share_by_default, created_at, updated_at) VALUES "
            "(1, 77, 'en', 'UTC', 'mentee', 'initiation', false, :now, :now)"), at)
        await connection.execute(text(
            "INSERT INTO dialog_runs (id, user_id, dialog, stage, step, status, state, "
            "started_at, updated_at) VALUES "
            "(1, 1, 'agreement', 'initiation', 'purpose', 'active', '{}', :now, :now)"), at)
        if answered:
            await connection.execute(text(
                "INSERT INTO answers (run_id, user_id, stage, dialog, step_key, value, "
                "visibility, created_at, updated_at) VALUES "
                "(1, 1, 'initiation', 'agreement', 'purpose', '\"mine\"', 'private', :now, :now)"),
                at)
