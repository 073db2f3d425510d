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
    """Every zone looked at, at this very moment (the answer the cached lookup must give): of
    the clocks at most half an hour from the time typed, the closest; of two as close, the
    first zone in the order of preference."""
    hour, minute = (int(part) for part in text.split(":"))
    utc = now.astimezone(UTC).replace(second=0, microsecond=0)
    typed = utc.replace(hour=hour, minute=minute) - utc
    day = timedelta(days=1)
    near = []
    for rank, (name, zone) in enumerate(every_zone()):
        offset = now.astimezone(zone).utcoffset()
        assert offset is not None
        gap = abs((offset - typed + day / 2) % day - day / 2)
        if gap <= timedelta(minutes=30):
            near.append((gap, rank, name))
    return min(near)[2] if near else None


# Around DST changes: Europe (01:00 UTC), New York (07:00 UTC), Lord Howe (half an hour), Chatham.
MOMENTS = [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
           datetime(2026, 3, 8, 6, 59, tzinfo=UTC), datetime(2026, 3, 8, 7, 0, 30, tzinfo=UTC),
           datetime(2026, 4, 4, 14, 59, tzinfo=UTC), datetime(2026, 4, 4, 15, 0, tzinfo=UTC),
           datetime(2026, 10, 25, 0, 44, tzinfo=UTC), datetime(2026, 10, 25, 1, 14, tzinfo=UTC),
           datetime(2026, 7, 1, 12, 7, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)]
TIMES = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 8, 15, 30, 37, 45)]


@pytest.mark.parametrize("now", MOMENTS, ids=lambda now: now.isoformat())
def test_the_zone_for_a_local_time_is_the_one_a_scan_at_that_moment_finds(now: datetime) -> None:
    for text in TIMES:
        assert zone_for_local_time(text, now) == scanned(text, now), text


def offset_of(zone: str | None, now: datetime) -> timedelta | None:
    return None if zone is None else now.astimezone(ZoneInfo(zone)).utcoffset()


@pytest.mark.parametrize(("utc", "typed", "zone", "offset"), [
    # "5pm" at 16:21 UTC in November: Berlin's clock shows 17:21 (it was refused, 21 minutes off)
    ("16:21", "17:00", "Europe/Berlin", None), ("16:21", "17:30", "Europe/Berlin", None),
    ("16:21", "16:00", "Europe/London", None),
    # the closest clock wins: at 11:50 UTC India shows 17:20, UTC+5 16:50, Nepal 17:35
    ("11:50", "17:00", None, timedelta(hours=5)), ("11:50", "17:15", "Asia/Kolkata", None),
    ("11:50", "17:30", "Asia/Kathmandu", None),
    # two as close (UTC+5 and India, 15 minutes each way; Berlin and UTC+2, half an hour each
    # way): the common zone
    ("09:00", "14:15", "Asia/Kolkata", None), ("16:45", "18:15", "Europe/Berlin", None),
])
def test_a_round_or_half_hour_names_the_zone_whose_clock_is_closest(
        utc: str, typed: str, zone: str | None, offset: timedelta | None) -> None:
    hour, minute = (int(part) for part in utc.split(":"))
    now = datetime(2026, 11, 21, hour, minute, 12, tzinfo=UTC)
    found = zone_for_local_time(typed, now)
    if zone is not None:
        assert found == zone
    else:
        assert offset_of(found, now) == offset


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

    # Every time typed names a zone (one is always within half an hour), so the baseline is the
    # zone named outright: both change it and replan.
    time_spans, named_spans = [], []
    for round_ in range(15):
        clock.advance(minutes=20)  # a new quarter hour every time
        time_spans.append(await inside_transaction("time 23:45" if round_ % 2 else "time 14:30"))
        named_spans.append(await inside_transaction(
            "timezone " + ("Asia/Tokyo" if round_ % 2 else "America/Chicago")))
    took, plain = statistics.median(time_spans), statistics.median(named_spans)
    print(f"/settings time: {took * 1000:.2f} ms in the transaction; /settings timezone: "
          f"{plain * 1000:.2f} ms")
    assert took <= 2 * plain + 0.002
