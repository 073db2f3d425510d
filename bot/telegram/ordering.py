"""Updates, and work for one person, run concurrently across people but strictly in order for one.

Waiting for one's own turn holds no concurrency slot, so one person's long backlog cannot stall
everyone else; and that backlog is capped: an update arriving while `MAX_BACKLOG` of the same
person's are in flight is refused (not handled as an answer; see `Refuse`).
"""

from __future__ import annotations

import contextlib
import inspect
from asyncio import Lock
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from typing_extensions import override

from bot.telegram.delivery import PeopleWork, PersonWork

#: Updates of one person in flight (one in its turn, the rest waiting) before more are refused.
MAX_BACKLOG = 50

#: Called once an update was handled (its handlers and error handlers have returned).
Finished = Callable[[object], Awaitable[None]]
#: Called for a refused update; the flag says it is the first refused since the backlog was empty.
Refuse = Callable[[Update, bool], Awaitable[None]]


async def _nothing(_update: object) -> None:
    """No bookkeeping after an update."""


async def _drop(_update: Update, _first: bool) -> None:
    """Refuse silently."""


@dataclass
class _Turns:
    """One person's updates in flight: a FIFO lock, how many hold or wait for it, and whether one
    was refused since they last had none."""

    lock: Lock = field(default_factory=Lock)
    waiting: int = 0
    refused: bool = False


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """A lock per person (FIFO), kept only while that person has updates in flight: memory stays
    flat. Work for a person that is not an update (`PersonWork`) waits its turn, never refused."""

    def __init__(self, max_concurrent_updates: int = 256, *, max_backlog: int = MAX_BACKLOG,
                 finished: Finished = _nothing, refuse: Refuse = _drop) -> None:
        super().__init__(max_concurrent_updates)
        if max_backlog < 1:
            raise ValueError("max_backlog must be at least 1")
        self.max_backlog = max_backlog
        self._finished = finished
        self._refuse = refuse
        self._people: dict[int, _Turns] = {}

    @staticmethod
    def _key(update: object) -> int:
        if isinstance(update, PersonWork):
            return update.person_id
        if isinstance(update, Update):
            if update.effective_user is not None:
                return update.effective_user.id
            if update.effective_chat is not None:
                return update.effective_chat.id
        return 0

    @override  # type: ignore[misc]  # PTB marks it final; the docstring says why we must
    async def process_update(
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """The person's turn first, then a concurrency slot. PTB's own order (slot, then
        `do_process_update`) would keep a slot for every update waiting for its person's turn.
        Work for several people (`PeopleWork`) takes each one's turn, in id order."""
        if isinstance(update, PeopleWork):
            async with contextlib.AsyncExitStack() as held:
                for person in sorted(set(update.people)):
                    await held.enter_async_context(self._turn(person))
                async with self._semaphore:
                    await self.do_process_update(update, coroutine)
            return
        key = self._key(update)
        turns = self._people.setdefault(key, _Turns())
        if key and isinstance(update, Update) and turns.waiting >= self.max_backlog:
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never started: the update is not handled
            first, turns.refused = not turns.refused, True
            async with self._semaphore:  # BaseUpdateProcessor's slots
                await self._refuse(update, first)
            return
        async with self._turn(key), self._semaphore:
            await self.do_process_update(update, coroutine)

    @contextlib.asynccontextmanager
    async def _turn(self, key: int) -> AsyncIterator[None]:
        """Hold one person's turn (FIFO); their entry is dropped once nobody holds or waits."""
        turns = self._people.setdefault(key, _Turns())
        turns.waiting += 1
        try:
            async with turns.lock:
                yield
        finally:
            turns.waiting -= 1
            if not turns.waiting:
                del self._people[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update; report it finished unless its handling was cancelled."""
        await coroutine
        await self._finished(update)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
