"""The scheduler's tick: python-telegram-bot's JobQueue (APScheduler) runs a dispatch pass every
few seconds and once at start-up; each claimed item goes through the same per-person ordered path
as an update (a batch of them as `PeopleWork`, holding each one's turn), so a check-in never
overtakes the person's own messages.

Only the leading process dispatches (storage.leader). A pass claims no more while the previous
batch is still being fed, so claims never wait in a queue until their lease runs out. Once the
application stops, nothing more is claimed or fed: `Application.stop` waits for the update queue
to empty after its fetcher took the last update, so work put after that would never be done
(and the stop would hang); what stays claimed is reclaimed when its lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from telegram.error import Forbidden
from telegram.ext import JobQueue

from bot.telegram.context import CoachContext
from bot.telegram.delivery import Failed, PeopleWork, PersonWork, ready_work
from service.conversation import ConversationService
from service.schedule.dispatch import Dispatcher
from storage.leader import Leadership
from storage.schedule import Claimed

log = logging.getLogger(__name__)

JOB_NAME = "coachbot-dispatch"


class MergedTicks(logging.Filter):
    """A tick of the job `name` that comes while its last run still runs is merged into it (one
    instance at a time, by design): APScheduler would log each as a warning, which a busy hour
    turns into noise that hides real ones."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.job = name

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (self.job in message and "maximum number of running instances" in message)


def merge_ticks(name: str) -> None:
    """Merge the job's late ticks without a warning (`MergedTicks`), once per job name."""
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, MergedTicks) and f.job == name for f in scheduler_log.filters):
        scheduler_log.addFilter(MergedTicks(name))


class DispatchJob:
    """One process's dispatcher, ticked by the JobQueue.

    A claimed batch is fed to the people's turns in smaller batches of different people
    (`PeopleWork`: one transaction decides all of a small batch, then each person's messages go
    out), at most two at once, so that one is decided while the other is sent. A small batch holds
    its people's turns until its messages are sent (one of them writing meanwhile waits that
    long for the answer), so its size follows the measured sending rate: about `hold` seconds of
    sending (some fifteen people when two batches share the rate limiter's 30 messages a second,
    never fewer than `least`; up to a whole claim when nothing slows sending). When the claim is
    used up and it was full, the next is claimed at once instead of at the next tick."""

    def __init__(self, dispatcher: Dispatcher, leadership: Leadership, least: int = 8, *,
                 one_writer: bool = False, hold: float = 1.0, at_once: int = 2) -> None:
        self.dispatcher = dispatcher
        self.leadership = leadership
        self.least = least
        self.hold = hold
        self.at_once = at_once
        self.size = least
        # SQLite: the dispatcher's transactions take turns here rather than in SQLite's busy
        # handler, which polls with sleeps of up to 100 ms; sending still overlaps them.
        self.writing = asyncio.Lock() if one_writer else contextlib.nullcontext()
        self.in_flight = 0
        self.waiting: deque[Claimed] = deque()
        self.sending: set[int | None] = set()  # the people of the batches in flight
        self.more = False  # the last claim filled a whole batch: there may be more due
        self.claiming = False
        self.queue: asyncio.Queue[object] | None = None
        self.running: Callable[[], bool] = lambda: False  # the application's, once it ticked

    def start(self, job_queue: JobQueue[Any], every: float) -> None:
        """Tick every `every` seconds, the first at once; ticks that fall behind are merged."""
        merge_ticks(JOB_NAME)
        job_queue.run_repeating(
            self.tick, interval=timedelta(seconds=every), first=0, name=JOB_NAME,
            job_kwargs={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})

    async def tick(self, context: CoachContext) -> None:
        """One pass: claim what is due (unless a batch is still being fed), hand it on."""
        self.queue = context.update_queue
        application = context.application
        self.running = lambda: application.running
        if not self.running() or self.waiting or self.claiming \
                or not await self.leadership.held():
            return
        await self._claim()

    async def _claim(self) -> None:
        self.claiming = True
        try:
            async with self.writing:
                claimed = await self.dispatcher.claim()
        finally:
            self.claiming = False
        self.more = len(claimed) >= self.dispatcher.policy.batch
        for item in claimed:
            if item.telegram_id is None:
                async with self.writing:
                    await self.dispatcher.open(item)
            else:
                self.waiting.append(item)
        await self._feed()

    async def _feed(self) -> None:
        """Keep `at_once` small batches in the people's turns while any items are waiting."""
        if self.queue is None or not self.running():  # never ticked (its work was handed on by
            return                                     # someone else), or stopping
        while self.waiting and self.in_flight < self.at_once:
            batch = self._next_batch()
            if not batch:  # everyone waiting has an item in a batch still being sent
                break
            self.in_flight += 1
            await self.queue.put(self.work(batch))
        if not self.waiting and self.more and not self.claiming:
            self.more = False
            await self._claim()

    def _next_batch(self) -> list[Claimed]:
        """Up to `size` waiting items of different people, oldest first. A person's later item
        waits for a later batch, and for the end of the batch that holds their earlier one: a
        batch waiting for someone else's turn must not let their later item overtake it."""
        batch: list[Claimed] = []
        people: set[int | None] = set()
        skipped: list[Claimed] = []
        while self.waiting and len(batch) < self.size:
            item = self.waiting.popleft()
            busy = item.telegram_id in people or item.telegram_id in self.sending
            (skipped if busy else batch).append(item)
            people.add(item.telegram_id)
        self.waiting.extendleft(reversed(skipped))
        self.sending.update(item.telegram_id for item in batch)
        return batch

    def work(self, batch: Sequence[Claimed]) -> PeopleWork:
        """A small batch as work in its people's turns."""
        began = time.monotonic()

        async def decide(_service: ConversationService) -> Sequence[PersonWork]:
            async with self.writing:
                opened = await self.dispatcher.open_many(batch)
            each = []
            for one in opened:
                if one.error is not None:
                    await self.dispatcher.failed(one.claimed, one.error)
                elif one.deliveries:
                    assert one.claimed.telegram_id is not None
                    each.append(ready_work(one.claimed.telegram_id, one.deliveries,
                                           failed=self._failed(one.claimed)))
            return each

        async def finished() -> None:
            self.in_flight -= 1
            self.sending.difference_update(item.telegram_id for item in batch)
            rate = len(batch) / max(time.monotonic() - began, 1e-6)
            self.size = max(self.least, min(self.dispatcher.policy.batch, int(rate * self.hold)))
            await self._feed()

        return PeopleWork(tuple(c.telegram_id for c in batch if c.telegram_id is not None),
                          decide, finished=finished)

    def _failed(self, claimed: Claimed) -> Failed:
        async def failed(error: BaseException) -> None:
            if isinstance(error, Forbidden):  # blocked: marked unreachable, nothing to retry
                await self.dispatcher.unreachable(claimed)
            else:
                await self.dispatcher.failed(claimed, error)

        return failed

    async def close(self) -> None:
        """Let another process lead."""
        await self.leadership.release()


def dispatch_job(service: ConversationService) -> DispatchJob:
    """The dispatcher of this process over the service's database."""
    engine = service.sessionmaker.kw["bind"]
    return DispatchJob(Dispatcher(service), Leadership(engine),
                       one_writer=engine.dialect.name == "sqlite")
