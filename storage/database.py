"""Engine and session factory: SQLite tuned for concurrent writers, PostgreSQL as it comes."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import Connection, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import asbool

from storage.checkpoints import BACKSTOP_PAGES

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: How often a write transaction that could not begin (another process held SQLite's write lock for
#: the whole busy timeout) is begun again. Each try waits the busy timeout at most, and the pauses
#: in between add at most BEGIN_RETRY_PAUSE_S * (2 ** BEGIN_RETRIES - 1), so the wait is bounded.
BEGIN_RETRIES = 3
#: The first pause before beginning again; it doubles with each try, and is jittered so that
#: writers which gave up together do not come back together.
BEGIN_RETRY_PAUSE_S = 0.1


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names, as a plain path or a `file:` URI (`?uri=true`); None for
    in-memory databases and other backends."""
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or name in ("", ":memory:"):
        return None
    if not asbool(parsed.query.get("uri", False)) or not name.startswith("file:"):
        return Path(name)
    path = unquote(urlsplit(name).path)
    if parsed.query.get("mode") == "memory" or path in ("", ":memory:"):
        return None
    return Path(path)


def read_only_url(url: str | URL) -> URL:
    """The same database opened so that nothing can write to it, nor create it: SQLite's
    `mode=ro` URI (other backends are returned as they are)."""
    parsed = make_url(url)
    path = sqlite_file(parsed)
    if path is None:
        return parsed
    query = {key: value for key, value in parsed.query.items() if key != "mode"}
    return parsed.set(database=f"file:{quote(str(path.resolve()))}",
                      query={**query, "mode": "ro", "uri": "true"})


def _is_locked(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY  # the primary result code


def _begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE, begun again after a short jittered pause when the busy timeout ran out:
    nothing has happened in the transaction yet, so trying again is safe."""
    for attempt in range(BEGIN_RETRIES + 1):
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if attempt == BEGIN_RETRIES or not _is_locked(error):
                raise
        pause = random.uniform(0.5, 1.0) * BEGIN_RETRY_PAUSE_S * 2 ** attempt
        connection.connection.dbapi_connection.run_async(  # type: ignore[union-attr]
            lambda _driver, pause=pause: asyncio.sleep(pause))


def create_engine(url: str | URL, *, read_only: bool = False,
                  busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
                  background_checkpoints: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite every connection gets WAL, a busy timeout, foreign keys and
    write transactions that BEGIN IMMEDIATE (a deferred one that later writes fails at once).
    Statement parameters are hidden from error messages: they carry answers, which never go to logs.

    `read_only` is for commands that only read: they never create a SQLite file, never change
    it, and never hold the write lock; on PostgreSQL their transactions are READ ONLY.

    `background_checkpoints` is for the bot's process, which checkpoints a SQLite file in the
    background (storage.checkpoints): its commits no longer do it themselves.
    """
    parsed = read_only_url(url) if read_only else make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if read_only:
            kwargs["execution_options"] = {"postgresql_readonly": True}
        return create_async_engine(parsed, pool_pre_ping=True, hide_parameters=True, **kwargs)
    engine = create_async_engine(parsed, connect_args={"isolation_level": None},
                                 hide_parameters=True, **kwargs)
    sync_engine = engine.sync_engine
    in_a_file = sqlite_file(parsed) is not None

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if in_a_file and not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if in_a_file and not read_only and background_checkpoints:
            cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if read_only:  # a snapshot to read from; WAL lets it read while others write
            connection.exec_driver_sql("BEGIN")
        else:
            _begin_immediate(connection)

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit; the caller owns each transaction."""
    return async_sessionmaker(engine, expire_on_commit=False)
