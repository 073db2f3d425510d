"""Updates, and work for one person, run concurrently across people but strictly in order for one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.delivery import PersonWork

#: Called once an update was handled (its handlers and error handlers have returned).
Finished = Callable[[object], Awaitable[None]]


async def _nothing(_update: object) -> None:
    """No bookkeeping after an update."""


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """A lock per user (FIFO), held only while that user has updates in flight: memory stays flat."""

    def __init__(self, max_concurrent_updates: int = 256, *, finished: Finished = _nothing) -> None:
        super().__init__(max_concurrent_updates)
        self._finished = finished
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

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

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update in its person's turn; report it finished unless it was cancelled."""
        key = self._key(update)
        lock, waiting = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, waiting + 1)
        try:
            async with lock:
                await coroutine
                await self._finished(update)
        finally:
            lock, waiting = self._locks[key]
            if waiting <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
