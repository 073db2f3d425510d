"""Building the pieces every command shares: database, migrations, the conversation service."""

from __future__ import annotations

import errno
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.failures import DatabaseProblem, database_problem, where
from bot.settings import Settings
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import Clock, ConversationService
from storage import migrate
from storage.database import create_engine, create_sessionmaker, sqlite_file


def utc_now() -> datetime:
    """The real clock (tests pass their own)."""
    return datetime.now(UTC)


@contextmanager
def explained(settings: Settings) -> Iterator[None]:
    """Database failures (unreachable, read-only, full, not a database) as one DatabaseProblem."""
    try:
        yield
    except (OSError, SQLAlchemyError) as error:
        raise database_problem(error, settings.database_url) from error


def _ensure_sqlite_folder(url: str) -> None:
    """A SQLite file is created on first run; its folder must exist."""
    path = sqlite_file(url)
    if path is None:
        return
    try:
        path.resolve().parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:  # a file where a folder should be; say it like that
        raise NotADirectoryError(errno.ENOTDIR, f"{error.filename} is a file, not a folder") from error


async def open_engine(settings: Settings, *, background_checkpoints: bool = False) -> AsyncEngine:
    """An engine with the schema migrated to the newest version (the caller disposes it).
    Raises DatabaseProblem when the database cannot be reached, created or written.
    `background_checkpoints`: the bot's, whose application checkpoints SQLite's log."""
    with explained(settings):
        _ensure_sqlite_folder(settings.database_url)
        engine = create_engine(settings.database_url,
                               background_checkpoints=background_checkpoints)
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


def _no_database(settings: Settings) -> DatabaseProblem:
    return DatabaseProblem(f"no coachbot database at {where(settings.database_url)}; "
                           "run `coachbot db upgrade` or `coachbot run` first")


async def _check_schema(engine: AsyncEngine, settings: Settings) -> None:
    current, expected = await migrate.current_revisions(engine), migrate.head_revisions()
    if not current:
        raise _no_database(settings)
    if set(current) != set(expected):
        raise DatabaseProblem(
            f"the database at {where(settings.database_url)} has schema {', '.join(current)}, "
            f"this coachbot reads {', '.join(expected)}; run `coachbot db upgrade` first")


@asynccontextmanager
async def open_for_reading(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """For commands that only read: the database as it is, opened read-only; never created,
    migrated or changed. Raises DatabaseProblem when it holds no coachbot schema of this version."""
    path = sqlite_file(settings.database_url)
    if path is not None and not path.is_file():
        raise _no_database(settings)
    engine = create_engine(settings.database_url, read_only=True)
    try:
        with explained(settings):
            await _check_schema(engine, settings)
            yield engine
    finally:
        await engine.dispose()


def build_service(engine: AsyncEngine, settings: Settings, clock: Clock = utc_now
                  ) -> ConversationService:
    """The conversation service over this engine, with the shipped scripts and texts."""
    return ConversationService(
        create_sessionmaker(engine), scripts=default_scripts(), catalog=default_catalog(),
        clock=clock, default_language=settings.default_language,
        default_timezone=settings.default_timezone, policy=settings.schedule_policy(),
        admins=settings.coachbot_admins, invites=settings.invite_policy())
