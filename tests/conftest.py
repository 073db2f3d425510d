"""Shared fixtures: real databases (a SQLite file; PostgreSQL when configured), a movable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.databases import database_for

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL database."""
    async with database_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on that database with the schema migrated to head."""
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
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
