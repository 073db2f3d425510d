"""Building the pieces every command shares: database, migrations, the conversation service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import Clock, ConversationService
from storage import migrate
from storage.database import create_engine, create_sessionmaker


def utc_now() -> datetime:
    """The real clock (tests pass their own)."""
    return datetime.now(UTC)


def _ensure_sqlite_folder(url: str) -> None:
    """A SQLite file is created on first run; its folder must exist."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


async def open_engine(settings: Settings) -> AsyncEngine:
    """An engine with the schema migrated to the newest version (the caller disposes it)."""
    _ensure_sqlite_folder(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
    except BaseException:
        await engine.dispose()
        raise
    return engine


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """`open_engine` for the length of a block."""
    engine = await open_engine(settings)
    try:
        yield engine
    finally:
        await engine.dispose()


def build_service(engine: AsyncEngine, settings: Settings, clock: Clock = utc_now
                  ) -> ConversationService:
    """The conversation service over this engine, with the shipped scripts and texts."""
    return ConversationService(
        create_sessionmaker(engine), scripts=default_scripts(), catalog=default_catalog(),
        clock=clock, default_language=settings.default_language,
        default_timezone=settings.default_timezone)
