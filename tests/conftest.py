"""Shared fixtures: real databases (a SQLite file; PostgreSQL when configured), a movable clock,
and the end-to-end harness (tests/telegram/harness.py): the Bot API stub and coachbot polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from storage.database import create_engine, create_sessionmaker
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.databases import database_for, migrated_database_for
from tests.telegram.harness import E2E, TOKEN, new_service
from tests.telegram.stub import BotApiStub

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with the schema at head (a SQLite file, or a fresh PostgreSQL database): a copy
    of one migrated once per test run."""
    async with migrated_database_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database, for tests of the migrations themselves."""
    async with database_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database with the schema migrated to head."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def service(engine: AsyncEngine, clock: FakeClock) -> ConversationService:
    """The conversation service with the shipped scripts and texts."""
    return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                               catalog=default_catalog(), clock=clock)


@pytest.fixture
def chat(service: ConversationService) -> Chat:
    """A mentee talking to the service in English."""
    return Chat(service)


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    """The Bot API stub, serving HTTP on 127.0.0.1 for the harness's token."""
    async with BotApiStub(token=TOKEN) as running:
        yield running


@pytest.fixture
async def e2e(
    request: pytest.FixtureRequest, stub: BotApiStub, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[E2E]:
    """coachbot polling the stub on a migrated database; fails the test on any recorded error.

    Parametrize indirectly with ``"postgres"`` to run on PostgreSQL (default: a SQLite file).
    """
    # PTB 22 warns about int time periods (RetryAfter) unless opted in; warnings are errors here.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    backend = getattr(request, "param", "sqlite")
    async with migrated_database_for(backend, tmp_path) as url:
        engine = create_engine(url)
        clock = FakeClock()
        stub.clock = lambda: clock().timestamp()  # users send at the service's time
        harness = E2E(stub=stub, database_url=url, clock=clock, engine=engine,
                      service=new_service(engine, clock))
        try:
            await harness.start()
            yield harness
        finally:
            try:
                await harness.stop()
            finally:
                await harness.engine.dispose()
    if harness.errors:
        pytest.fail(f"errors reached the error handler: {harness.errors!r}")
    assert stub.unknown_methods == [], f"unimplemented Bot API methods: {stub.unknown_methods}"
    assert stub.internal_errors == [], f"the stub crashed: {stub.internal_errors!r}"
