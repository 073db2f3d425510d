"""Real databases for tests: a SQLite file in a temp folder, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL_VARIABLE = "COACHBOT_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The server tests may use (CI sets it), as an asyncpg SQLAlchemy URL."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        return None
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create an empty database on the test server, yield its URL, drop it afterwards."""
    base = postgres_url()
    assert base is not None
    parsed = make_url(base)
    name = f"coachbot_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


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
