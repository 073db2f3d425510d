"""First starts side by side: several processes migrating one fresh database at the same moment."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage.database import create_engine
from storage.models import Base
from tests.support.databases import database_for

STARTS = 6


async def _db_upgrade(url: str, cwd: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "COACHBOT_"))}
    env["DATABASE_URL"] = url
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "db", "upgrade", cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def _waiting_on_locks(probe: asyncpg.Connection) -> int:
    count: int = await probe.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'")
    return count


@pytest.mark.postgres
async def test_concurrent_db_upgrades_of_a_fresh_postgres_database_all_succeed(tmp_path: Path) -> None:
    async with database_for("postgres", tmp_path) as url:
        # A gate: an uncommitted alembic_version table holds every process at its first step, so
        # all of them start migrating at the same instant when the gate rolls back.
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        gate, probe = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
        try:
            gate_open = gate.transaction()
            await gate_open.start()
            await gate.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                               "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
            starts = [asyncio.create_task(_db_upgrade(url, tmp_path)) for _ in range(STARTS)]
            async with asyncio.timeout(60):
                # The condition lives in PostgreSQL: there is no event to wait on.
                while await _waiting_on_locks(probe) < STARTS:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            await gate_open.rollback()
            results = await asyncio.gather(*starts)
        finally:
            await gate.close()
            await probe.close()
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                tables = await connection.run_sync(lambda s: set(s.dialect.get_table_names(s)))
                versions = (await connection.exec_driver_sql(
                    "SELECT version_num FROM alembic_version")).scalars().all()
        finally:
            await engine.dispose()
    assert results == [(0, "")] * STARTS
    assert set(Base.metadata.tables) <= tables
    assert len(versions) == 1
