"""A clock tests move by hand, so time-dependent code never makes a test sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Callable like `utc_now`; `advance` moves it."""

    def __init__(self, start: datetime = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward, e.g. advance(days=3)."""
        self.now += timedelta(**delta)
