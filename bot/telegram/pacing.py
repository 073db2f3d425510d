"""Telegram's overall budget (~30 messages a second per bot), kept to the second.

python-telegram-bot's AIORateLimiter paces with a leaky bucket that starts empty: a fan-out of
scheduled items gets 30 messages through at once and 30 more in the same second. Telegram
counts per second, so the bucket here is a sliding window instead: at most `rate` messages in any
second, each at least a fraction of the budget's interval after the previous one (a fan-out is
spread, not sent in bursts); the rest of AIORateLimiter (waiting out a 429, per-group limits) is
unchanged. A late wake-up costs only that delay once per window, not once per message, so a long
fan-out runs at the budget's rate.
"""

from __future__ import annotations

import asyncio
from collections import deque

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.ext import AIORateLimiter

#: Messages a second Telegram lets a bot send overall.
TELEGRAM_RATE = int(FloodLimit.MESSAGES_PER_SECOND)
#: The shortest gap between two messages, as a share of 1 / rate.
SPREAD = 0.5


class SlidingWindow(AsyncLimiter):
    """At most `rate` acquisitions in any `period`, each `SPREAD / rate` after the previous one;
    waiters go in arrival order."""

    def __init__(self, rate: int, period: float = 1.0) -> None:
        super().__init__(rate, period)
        self.rate = rate
        self.period = period
        self.gap = SPREAD * period / rate
        self.times: deque[float] = deque(maxlen=rate)
        self.turn = asyncio.Lock()

    def has_capacity(self, amount: float = 1) -> bool:
        now = asyncio.get_running_loop().time()
        return self._wait(now) <= 0 and amount <= self.rate

    def _wait(self, now: float) -> float:
        """How long until the next acquisition may go."""
        if not self.times:
            return 0.0
        wait = self.times[-1] + self.gap - now
        if len(self.times) == self.rate:
            wait = max(wait, self.times[0] + self.period - now)
        return wait

    async def acquire(self, amount: float = 1) -> None:  # noqa: ARG002 - always one message
        """Wait for a place in the window."""
        loop = asyncio.get_running_loop()
        async with self.turn:
            # Time alone frees a place; there is no event to wait for.
            while (wait := self._wait(loop.time())) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
            self.times.append(loop.time())


class PacedRateLimiter(AIORateLimiter):
    """AIORateLimiter whose overall limit is a `SlidingWindow` of `rate` messages a second."""

    def __init__(self, rate: int = TELEGRAM_RATE, *, max_retries: int = 0) -> None:
        super().__init__(max_retries=max_retries)
        self._base_limiter = SlidingWindow(rate)
