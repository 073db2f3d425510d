"""Dispatching as an operator runs it: `coachbot schedule run-due` and `schedule list` as real
processes against the Bot API stub, two dispatchers at once on one PostgreSQL database (each item
sent exactly once), and the advisory lock that elects one leader and lets another take over."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.leader import Leadership
from storage.rows import ITEMS
from storage.schedule import NewItem, add_items
from storage.users import create_user
from storage.vocabulary import ItemStatus
from tests.support.databases import database_for
from tests.support.process import free_port
from tests.support.schedule import PING, ping_registry
from tests.telegram.harness import TOKEN
from tests.telegram.stub import BotApiStub
from tests.test_schedule_dispatch import coachbot

FIRST = 7_000_000


def real_service(engine: AsyncEngine) -> ConversationService:
    """The service on the real clock, as the processes under test see the database."""
    return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                               catalog=default_catalog(), clock=lambda: datetime.now(UTC),
                               schedule=ping_registry())


async def seed(engine: AsyncEngine, stub: BotApiStub | None, count: int, due: datetime, *,
               zone: str = "UTC") -> None:
    """`count` people (known to the stub) with one ping item each, due at `due`."""
    now = datetime.now(UTC)
    async with create_sessionmaker(engine).begin() as session:
        items = []
        for telegram_id in range(FIRST, FIRST + count):
            user, _ = await create_user(session, telegram_id, name="Ana", language="en",
                                        timezone=zone, now=now)
            items.append(NewItem(f"{PING}:{user.id}:{due.isoformat()}", PING, user.id, due, {}))
            if stub is not None:
                stub.compose_user_message(telegram_id, "hello")  # they wrote to the bot once
        await add_items(session, items, now)


def pings_at(stub: BotApiStub) -> Counter[str]:
    """How often each ping text reached the stub."""
    return Counter(params["text"] for params in stub.calls_of("sendMessage")
                   if str(params.get("text", "")).startswith("ping "))


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


async def test_run_due_sends_what_is_due_once(stub: BotApiStub, sqlite_url: str,
                                              tmp_path: Path) -> None:
    engine = create_engine(sqlite_url)
    try:
        await seed(engine, stub, 3, datetime.now(UTC) - timedelta(minutes=1))
    finally:
        await engine.dispose()
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": stub.base_url}

    first = await coachbot(tmp_path, sqlite_url, "schedule", "run-due", **env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Sent 3 scheduled items."
    again = await coachbot(tmp_path, sqlite_url, "schedule", "run-due", **env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "Sent 0 scheduled items."
    assert sorted(pings_at(stub).values()) == [1, 1, 1]


async def test_schedule_list_shows_local_and_utc_times(sqlite_url: str, tmp_path: Path) -> None:
    engine = create_engine(sqlite_url)
    try:
        await seed(engine, None, 1, datetime(2031, 1, 15, 17, 30, tzinfo=UTC),
                   zone="Asia/Kolkata")
    finally:
        await engine.dispose()

    listed = await coachbot(tmp_path, sqlite_url, "schedule", "list", "--user-id", str(FIRST))
    assert listed.returncode == 0, listed.stderr
    [header, row] = listed.stdout.splitlines()
    assert "due (their time)" in header
    assert "due (UTC)" in header
    assert "2031-01-15 23:00 IST" in row  # Kolkata is UTC+5:30
    assert "2031-01-15 17:30 UTC" in row
    assert ItemStatus.PENDING.value in row

    none = await coachbot(tmp_path, sqlite_url, "schedule", "list", "--status", "failed")
    assert none.returncode == 0
    assert none.stdout.strip() == "No scheduled items match."


async def test_run_due_without_a_token_says_what_is_missing(sqlite_url: str,
                                                            tmp_path: Path) -> None:
    result = await coachbot(tmp_path, sqlite_url, "schedule", "run-due")
    assert result.returncode == 2
    error = result.stderr.strip()
    assert "\n" not in error  # one line
    assert error.startswith("coachbot: no Telegram bot token is set")
    assert "`schedule run-due` sends through Telegram" in error
    assert "TELEGRAM_BOT_TOKEN" in error
    assert "coachbot run` again" not in error


async def test_schedule_errors_are_one_line(sqlite_url: str, tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/bot"
    result = await coachbot(tmp_path, sqlite_url, "schedule", "run-due",
                            TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=unreachable)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("coachbot: ")
    assert TOKEN not in line

    missing = f"sqlite+aiosqlite:///{tmp_path / 'nowhere.sqlite3'}"
    result = await coachbot(tmp_path, missing, "schedule", "list")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("coachbot: no coachbot database")


@pytest.mark.postgres
async def test_two_dispatcher_processes_send_each_of_1000_items_exactly_once(
        stub: BotApiStub, tmp_path: Path) -> None:
    async with database_for("postgres", tmp_path) as url:
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine)
            await seed(engine, stub, 1000, datetime.now(UTC) - timedelta(minutes=1))
            env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": stub.base_url}
            runs = await asyncio.gather(
                *(coachbot(tmp_path, url, "schedule", "run-due", **env) for _ in range(2)))
            async with engine.connect() as connection:
                statuses = dict((await connection.execute(
                    select(ITEMS.c.status, func.count()).where(ITEMS.c.kind == PING)
                    .group_by(ITEMS.c.status))).all())
        finally:
            await engine.dispose()
    for run in runs:
        assert run.returncode == 0, run.stderr
    counts = pings_at(stub)
    assert len(counts) == 1000
    assert set(counts.values()) == {1}  # each sent exactly once, counted at the stub
    assert statuses == {ItemStatus.SENT.value: 1000}
    sent = [int(run.stdout.split()[1]) for run in runs]
    assert sum(sent) == 1000
    assert min(sent) > 0  # both dispatched at once


@pytest.mark.postgres
async def test_the_advisory_lock_elects_one_leader_and_another_takes_over_when_it_dies(
        tmp_path: Path) -> None:
    async with database_for("postgres", tmp_path) as url:
        engines = [create_engine(url) for _ in range(3)]
        first, second = Leadership(engines[0]), Leadership(engines[1])
        try:
            assert await first.held()
            assert not await second.held()
            assert await first.held()  # it keeps the lead
            # The leader's process dies: PostgreSQL ends its connection, and the lock goes with it.
            async with engines[2].connect() as admin:
                killed = await admin.scalar(text(
                    "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_locks "  # waits for it to end
                    "WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
                assert killed == 1
            assert await second.held()  # the next to ask takes over
            assert not await first.held()  # the old leader, back, does not
            await second.release()
            assert await first.held()  # a clean shutdown hands over at once
        finally:
            await first.release()
            await second.release()
            for engine in engines:
                await engine.dispose()
