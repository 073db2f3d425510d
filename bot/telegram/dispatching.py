"""The scheduler's tick: python-telegram-bot's JobQueue (APScheduler) runs a dispatch pass every
few seconds and once at start-up; each claimed item goes through the same per-person ordered path
as an update (`PersonWork`), so a check-in never overtakes the person's own messages.

Only the leading process dispatches (storage.leader). A pass claims no more while the previous
batch is still being delivered, so claims never wait in a queue until their lease runs out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram.error import Forbidden
from telegram.ext import JobQueue

from bot.telegram.context import CoachContext
from bot.telegram.delivery import PersonWork
from service.conversation import ConversationService
from service.messages import Delivery
from service.schedule.dispatch import Dispatcher
from storage.leader import Leadership
from storage.schedule import Claimed

log = logging.getLogger(__name__)

JOB_NAME = "coachbot-dispatch"


class DispatchJob:
    """One process's dispatcher, ticked by the JobQueue."""

    def __init__(self, dispatcher: Dispatcher, leadership: Leadership) -> None:
        self.dispatcher = dispatcher
        self.leadership = leadership
        self.in_flight = 0

    def start(self, job_queue: JobQueue[Any], every: float) -> None:
        """Tick every `every` seconds, the first at once; ticks that fall behind are merged."""
        job_queue.run_repeating(
            self.tick, interval=timedelta(seconds=every), first=0, name=JOB_NAME,
            job_kwargs={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})

    async def tick(self, context: CoachContext) -> None:
        """One pass: claim what is due, hand each item to its person's turn."""
        if self.in_flight or not await self.leadership.held():
            return
        for claimed in await self.dispatcher.claim():
            if claimed.telegram_id is None:
                await self.dispatcher.open(claimed)
                continue
            self.in_flight += 1
            await context.update_queue.put(self.work(claimed))

    def work(self, claimed: Claimed) -> PersonWork:
        """The item as work in its person's turn."""
        assert claimed.telegram_id is not None

        async def produce(_service: ConversationService) -> Sequence[Delivery]:
            return await self.dispatcher.open(claimed)

        async def failed(error: BaseException) -> None:
            if isinstance(error, Forbidden):  # blocked: marked unreachable, nothing to retry
                await self.dispatcher.unreachable(claimed)
            else:
                await self.dispatcher.failed(claimed, error)

        async def finished() -> None:
            self.in_flight -= 1

        return PersonWork(claimed.telegram_id, produce, failed=failed, finished=finished)

    async def close(self) -> None:
        """Let another process lead."""
        await self.leadership.release()


def dispatch_job(service: ConversationService) -> DispatchJob:
    """The dispatcher of this process over the service's database."""
    engine = service.sessionmaker.kw["bind"]
    return DispatchJob(Dispatcher(service), Leadership(engine))
