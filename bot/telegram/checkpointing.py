"""The bot's background checkpoints of a SQLite file (storage.checkpoints), ticked by the JobQueue
like the dispatcher: every second, so the log stays a few seconds' writes long and no commit of
the dispatcher or of an answer waits for a checkpoint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram.ext import JobQueue

from bot.telegram.context import CoachContext
from bot.telegram.dispatching import merge_ticks
from service.conversation import ConversationService
from storage.checkpoints import Checkpointer
from storage.database import sqlite_file

JOB_NAME = "coachbot-checkpoint"
EVERY = timedelta(seconds=1)


def checkpointer_of(service: ConversationService) -> Checkpointer | None:
    """The checkpointer of the service's SQLite file (None on PostgreSQL or in memory)."""
    path = sqlite_file(service.sessionmaker.kw["bind"].url)
    return None if path is None else Checkpointer(path)


def start(job_queue: JobQueue[Any], checkpointer: Checkpointer, every: timedelta = EVERY) -> None:
    """Checkpoint every `every`; a tick while the last one still runs is merged into it."""

    async def tick(_context: CoachContext) -> None:
        await checkpointer.run()

    merge_ticks(JOB_NAME)
    job_queue.run_repeating(tick, interval=every, first=every, name=JOB_NAME,
                            job_kwargs={"coalesce": True, "max_instances": 1})
