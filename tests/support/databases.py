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


@asynccontextmanager
async def migrated_database_for(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Like `database_for`, with the schema already at head (a copy of a migrated template)."""
    if backend == "sqlite":
        path = tmp_path / "coachbot.sqlite3"
        shutil.copyfile(await _sqlite_template(), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    if postgres_url() is None:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    async with fresh_postgres_database(await _postgres_template()) as url:
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
