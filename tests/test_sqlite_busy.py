"""SQLite with a CLI (or a second process) beside the bot: a writer that waited out the busy
timeout is tried again instead of failing with `database is locked`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from storage import migrate
from storage.database import BEGIN_RETRIES, create_engine, create_sessionmaker
from storage.users import get_user
from tests.support.clock import FakeClock

SHORT_BUSY_TIMEOUT_MS = 50


async def test_a_writer_blocked_past_the_busy_timeout_is_retried_and_saves(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'busy.sqlite3'}"
    holder = create_engine(url)
    await migrate.upgrade(holder)
    writer = create_engine(url, busy_timeout_ms=SHORT_BUSY_TIMEOUT_MS)
    gave_up_once = asyncio.Event()
    loop = asyncio.get_running_loop()

    @event.listens_for(writer.sync_engine, "handle_error")
    def _note(context: Any) -> None:
        if "database is locked" in str(context.original_exception):
            loop.call_soon(gave_up_once.set)

    service = ConversationService(create_sessionmaker(writer), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=FakeClock())

    try:
        async with holder.begin() as held:  # another process is writing, for longer than 50 ms
            await held.execute(text("SELECT 1"))
            writing = asyncio.create_task(service.handle(Person(77), CommandIn("start")))
            await asyncio.wait_for(gave_up_once.wait(), 10)  # the busy timeout ran out once
        response = await asyncio.wait_for(writing, 10)  # ... and was begun again, and saved
        async with create_sessionmaker(holder).begin() as session:
            saved = await get_user(session, 77)
    finally:
        await writer.dispose()
        await holder.dispose()
    assert response.messages  # the person got their greeting
    assert saved is not None


async def test_a_writer_blocked_for_good_gives_up_after_a_bounded_number_of_tries(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'busy.sqlite3'}"
    holder = create_engine(url)
    await migrate.upgrade(holder)
    writer = create_engine(url, busy_timeout_ms=SHORT_BUSY_TIMEOUT_MS)
    tries: list[str] = []

    @event.listens_for(writer.sync_engine, "handle_error")
    def _note(context: Any) -> None:
        tries.append(str(context.original_exception))

    try:
        async with holder.begin() as held:  # never let go while the writer tries
            await held.execute(text("SELECT 1"))
            with pytest.raises(OperationalError, match="database is locked"):
                async with asyncio.timeout(10), writer.begin() as connection:
                    await connection.execute(text("SELECT 1"))
    finally:
        await writer.dispose()
        await holder.dispose()
    assert len(tries) == BEGIN_RETRIES + 1
