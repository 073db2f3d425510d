"""Time zones from the time a person's clock shows: right at every moment, DST changes included,
and cheap inside the write transaction of `/settings time`."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from service.timezones import COMMON_TIMEZONES, zone_for_local_time
from tests.support.clock import FakeClock


@cache
def every_zone() -> list[tuple[str, ZoneInfo]]:
    """The candidates in order of preference: the common zones, then all others by name."""
    names = [*COMMON_TIMEZONES, *sorted(available_timezones())]
    return [(name, ZoneInfo(name)) for name in names
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))]


def scanned(text: str, now: datetime) -> str | None:
    """Every zone looked at, at this very moment (the answer the cached lookup must give)."""
    hour, minute = (int(part) for part in text.split(":"))
    utc = now.astimezone(UTC)
    offset = utc.replace(hour=hour, minute=minute, second=0, microsecond=0) - utc.replace(
        second=0, microsecond=0)
    while offset > timedelta(hours=14):
        offset -= timedelta(days=1)
    while offset < timedelta(hours=-12):
        offset += timedelta(days=1)
    offset = round(offset / timedelta(minutes=15)) * timedelta(minutes=15)
    return next((name for name, zone in every_zone() if now.astimezone(zone).utcoffset() == offset),
                None)


# Around DST changes: Europe (01:00 UTC), New York (07:00 UTC), Lord Howe (half an hour), Chatham.
MOMENTS = [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
           datetime(2026, 3, 8, 6, 59, tzinfo=UTC), datetime(2026, 3, 8, 7, 0, 30, tzinfo=UTC),
           datetime(2026, 4, 4, 14, 59, tzinfo=UTC), datetime(2026, 4, 4, 15, 0, tzinfo=UTC),
           datetime(2026, 10, 25, 0, 44, tzinfo=UTC), datetime(2026, 10, 25, 1, 14, tzinfo=UTC),
           datetime(2026, 7, 1, 12, 7, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)]
TIMES = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 15, 30, 45)]


@pytest.mark.parametrize("now", MOMENTS, ids=lambda now: now.isoformat())
def test_the_zone_for_a_local_time_is_the_one_a_scan_at_that_moment_finds(now: datetime) -> None:
    for text in TIMES:
        assert zone_for_local_time(text, now) == scanned(text, now), text


async def test_setting_the_time_keeps_the_write_transaction_as_short_as_any_setting(
    service: ConversationService, engine: AsyncEngine, clock: FakeClock
) -> None:
    spans: list[float] = []
    began: list[float] = []
    sync = engine.sync_engine
    event.listen(sync, "begin", lambda _connection: began.append(time.perf_counter()))
    event.listen(sync, "commit", lambda _connection: spans.append(time.perf_counter() - began[-1]))
    person = Person(7, "Ana", "en")
    await service.handle(person, CommandIn("start"))

    async def inside_transaction(args: str) -> float:
        spans.clear()
        await service.handle(person, CommandIn("settings", args))
        [span] = spans
        return span

    time_spans, share_spans = [], []
    for round_ in range(15):
        clock.advance(minutes=20)  # a new quarter hour every time
        time_spans.append(await inside_transaction("time 23:45" if round_ % 2 else "time 14:30"))
        share_spans.append(await inside_transaction("share " + ("on" if round_ % 2 else "off")))
    took, plain = statistics.median(time_spans), statistics.median(share_spans)
    print(f"/settings time: {took * 1000:.2f} ms in the transaction; /settings share: "
          f"{plain * 1000:.2f} ms")
    assert took <= 2 * plain + 0.002
