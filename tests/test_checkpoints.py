"""SQLite's checkpoints off the writers' path: the bot's commits leave the write-ahead log to a
background checkpointer, which copies all of it back into the database file; other processes'
commits still checkpoint as SQLite does by default. The bot on a SQLite file runs the
checkpointer on its JobQueue; on PostgreSQL there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram.checkpointing import JOB_NAME
from storage.checkpoints import Checkpointer
from storage.database import create_engine, sqlite_file
from tests.telegram.harness import E2E

ROW = "x" * 4000  # about a page of the log each
ROWS = 1500  # past SQLite's own checkpoint at 1,000 pages of log


async def write_much(engine: AsyncEngine) -> None:
    """A table of ROWS pages, written in transactions of a hundred rows."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE scratch (body TEXT)")
    for _ in range(ROWS // 100):
        async with engine.begin() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO scratch (body) VALUES " + ", ".join(["(?)"] * 100),
                tuple([ROW] * 100))


@pytest.mark.parametrize("background", [True, False])
async def test_the_bots_commits_leave_the_log_to_the_background_which_copies_all_of_it(
        tmp_path: Path, background: bool) -> None:
    path = tmp_path / "coachbot.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}", background_checkpoints=background)
    checkpointer = Checkpointer(path)
    try:
        await write_much(engine)
        size = path.stat().st_size
        if background:  # nothing was copied back by a commit: it is all in the log
            assert size < 100 * 1024
        else:  # a command's commits checkpoint, as SQLite does by default
            assert size > 1000 * 4000
        await checkpointer.run()
        assert path.stat().st_size > ROWS * 4000  # every row is in the database file now
        async with engine.connect() as connection:
            count = (await connection.exec_driver_sql("SELECT count(*) FROM scratch")).scalar()
        assert count == ROWS
    finally:
        await checkpointer.close()
        await engine.dispose()


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_the_bot_checkpoints_its_sqlite_file_every_second(e2e: E2E) -> None:
    await e2e.stop()
    await e2e.start(dispatch_every=60)
    job_queue = e2e.bot.app.job_queue
    assert job_queue is not None
    jobs = job_queue.get_jobs_by_name(JOB_NAME)
    path = sqlite_file(e2e.engine.url)
    if path is None:  # PostgreSQL: nothing of the kind
        assert jobs == ()
        return
    [job] = jobs
    assert job.job.trigger.interval.total_seconds() == 1
    await write_much(e2e.engine)
    before = path.stat().st_size
    await job.run(e2e.bot.app)  # the JobQueue's tick, without waiting a second for it
    assert path.stat().st_size > max(before, ROWS * 4000)
