"""Rhythms and quiet hours (service/schedule/rhythm.py): exactly one check-in per local day,
week, fortnight or month across a year with both DST changes, in five zones, with the wall
time inside the spring gap (fires once, shifted forward) and the fall overlap (once, the first)."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from service.schedule.rhythm import DEFAULT_QUIET, QuietHours, Rhythm, next_occurrence, out_of_quiet

SUNDAY = 6


def occurrences(rhythm: Rhythm, zone: str, start: datetime | None = None,
                end: datetime | None = None) -> list[datetime]:  # fmt: skip
    """Every occurrence from `start` to `end` (local 1 Jan 2026 to 15 Jan 2027 unless given),
    each asked for strictly after the one before."""
    start = start or datetime(2026, 1, 1, tzinfo=ZoneInfo(zone)) - timedelta(microseconds=1)
    end = end or datetime(2027, 1, 15, tzinfo=ZoneInfo(zone))
    found: list[datetime] = []
    moment = next_occurrence(rhythm, zone, start)
    while moment < end:
        found.append(moment)
        moment = next_occurrence(rhythm, zone, moment)
    return found


def local_days(moments: list[datetime], zone: str) -> list[date]:
    return [moment.astimezone(ZoneInfo(zone)).date() for moment in moments]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (zone, wall time, transition day, the one instant that day, why). Transitions in 2026:
# Berlin 29 Mar 02:00→03:00 and 25 Oct 03:00→02:00; New York 8 Mar 02:00→03:00 and
# 1 Nov 02:00→01:00; Sydney 4 Oct 02:00→03:00 and 5 Apr 03:00→02:00; Chatham (+12:45/+13:45)
# 27 Sep 02:45→03:45 and 5 Apr 03:45→02:45.
TRANSITIONS = [
    ("Europe/Berlin", time(2, 30), date(2026, 3, 29), utc(2026, 3, 29, 1, 30), "gap: 03:30 CEST"),
    ("Europe/Berlin", time(2, 30), date(2026, 10, 25), utc(2026, 10, 25, 0, 30), "overlap: CEST"),
    ("America/New_York", time(2, 30), date(2026, 3, 8), utc(2026, 3, 8, 7, 30), "gap: 03:30 EDT"),
    ("America/New_York", time(1, 30), date(2026, 11, 1), utc(2026, 11, 1, 5, 30), "overlap: EDT"),
    ("Australia/Sydney", time(2, 30), date(2026, 10, 4), utc(2026, 10, 3, 16, 30), "gap: 03:30 AEDT"),
    ("Australia/Sydney", time(2, 30), date(2026, 4, 5), utc(2026, 4, 4, 15, 30), "overlap: AEDT"),
    ("Pacific/Chatham", time(3, 0), date(2026, 9, 27), utc(2026, 9, 26, 14, 15), "gap: 04:00 +13:45"),
    ("Pacific/Chatham", time(2, 45), date(2026, 9, 27), utc(2026, 9, 26, 14, 0), "gap: 03:45 +13:45"),
    ("Pacific/Chatham", time(3, 0), date(2026, 4, 5), utc(2026, 4, 4, 13, 15), "overlap: +13:45"),
    ("Pacific/Chatham", time(2, 45), date(2026, 4, 5), utc(2026, 4, 4, 13, 0), "overlap: +13:45"),
]
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham"]
PLAIN_TIMES = [time(0, 0), time(8, 15), time(18, 30), time(23, 45)]


@pytest.mark.parametrize(("zone", "at", "day", "instant", "why"), TRANSITIONS)
def test_daily_fires_once_each_local_day_and_at_the_policy_instant_on_a_transition(
    zone: str, at: time, day: date, instant: datetime, why: str
) -> None:
    found = occurrences(Rhythm(at), zone)
    days = local_days(found, zone)
    assert days == [date(2026, 1, 1) + timedelta(days=n) for n in range(len(days))]
    assert days[-1] == date(2027, 1, 14)
    assert found == sorted(set(found))
    assert found[days.index(day)] == instant, why
    gaps = {d for z, a, d, _, w in TRANSITIONS if (z, a) == (zone, at) and w.startswith("gap")}
    for moment, local in zip(found, days, strict=True):  # every other day: exactly the wall time
        if local not in gaps:
            assert moment.astimezone(ZoneInfo(zone)).time() == at


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("at", PLAIN_TIMES)
def test_daily_outside_the_transitions_is_the_wall_time_every_day(zone: str, at: time) -> None:
    found = occurrences(Rhythm(at), zone)
    assert len(found) == 365 + 14
    assert {moment.astimezone(ZoneInfo(zone)).time() for moment in found} == {at}
    assert len(set(local_days(found, zone))) == len(found)


@pytest.mark.parametrize(("zone", "at", "day", "instant", "why"), TRANSITIONS)
def test_weekly_on_the_transition_weekday_fires_once_a_week(
    zone: str, at: time, day: date, instant: datetime, why: str
) -> None:
    found = occurrences(Rhythm(at, frozenset({SUNDAY})), zone)
    days = local_days(found, zone)
    assert all(d.weekday() == SUNDAY for d in days)
    assert all((b - a).days == 7 for a, b in pairwise(days))
    assert len(days) == 54  # 4 Jan 2026 .. 10 Jan 2027
    assert found[days.index(day)] == instant, why


@pytest.mark.parametrize(("zone", "at", "day", "instant", "why"), TRANSITIONS)
@pytest.mark.parametrize("on_parity", [True, False])
def test_fortnightly_keeps_the_anchor_parity_over_dst_and_the_year_end(
    zone: str, at: time, day: date, instant: datetime, why: str, on_parity: bool
) -> None:
    anchor = day - timedelta(weeks=20 if on_parity else 21, days=3)  # a Thursday, weeks before
    found = occurrences(Rhythm(at, frozenset({SUNDAY}), 2, anchor), zone, end=utc(2027, 3, 1))
    days = local_days(found, zone)
    assert all(d.weekday() == SUNDAY for d in days)
    assert all((b - a).days == 14 for a, b in pairwise(days))
    anchor_monday = anchor - timedelta(days=anchor.weekday())
    assert all((d - anchor_monday).days // 7 % 2 == 0 for d in days)
    assert (day in days) is on_parity
    if on_parity:
        assert found[days.index(day)] == instant, why
    assert days[-1].year == 2027  # 2026 has 53 ISO weeks: the count is by days, not week numbers


def test_every_three_weeks_and_several_weekdays_stay_in_counted_weeks() -> None:
    rhythm = Rhythm(time(9), frozenset({0, 3}), 3, date(2026, 1, 7))
    days = local_days(occurrences(rhythm, "Europe/Berlin"), "Europe/Berlin")
    assert days[:4] == [date(2026, 1, 5), date(2026, 1, 8), date(2026, 1, 26), date(2026, 1, 29)]
    assert all((d - date(2026, 1, 5)).days // 7 % 3 == 0 for d in days)


@pytest.mark.parametrize(("zone", "at", "day", "instant", "why"), TRANSITIONS)
def test_monthly_nth_weekday_fires_once_a_month(
    zone: str, at: time, day: date, instant: datetime, why: str
) -> None:
    nth = -1 if day.day > 21 else (day.day - 1) // 7 + 1  # the transition Sunday's place
    found = occurrences(Rhythm(at, frozenset({SUNDAY}), nth=nth), zone,
                        end=datetime(2027, 1, 1, tzinfo=ZoneInfo(zone)))
    days = local_days(found, zone)
    assert [(d.year, d.month) for d in days] == [(2026, m) for m in range(1, 13)]
    assert all(d.weekday() == SUNDAY for d in days)
    assert found[days.index(day)] == instant, why


def test_last_and_nth_weekdays_of_months() -> None:
    last_friday = local_days(occurrences(Rhythm(time(16), frozenset({4}), nth=-1), "UTC"), "UTC")
    assert last_friday[:3] == [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27)]
    second_tuesday = local_days(occurrences(Rhythm(time(17), frozenset({1}), nth=2), "UTC"), "UTC")
    assert second_tuesday[:3] == [date(2026, 1, 13), date(2026, 2, 10), date(2026, 3, 10)]


def test_after_between_the_two_passes_of_an_overlap_never_fires_the_second() -> None:
    second_pass = datetime(2026, 10, 25, 2, 45, fold=1, tzinfo=ZoneInfo("Europe/Berlin"))
    found = next_occurrence(Rhythm(time(2, 30)), "Europe/Berlin", second_pass)
    assert found == utc(2026, 10, 26, 1, 30)


def test_a_skipped_calendar_day_fires_once() -> None:
    # Samoa skipped 30 Dec 2011: noon that day is the same instant as noon on the 31st.
    apia = ZoneInfo("Pacific/Apia")
    found = occurrences(Rhythm(time(12)), "Pacific/Apia", datetime(2011, 12, 28, tzinfo=apia),
                        datetime(2012, 1, 3, tzinfo=apia))
    assert local_days(found, "Pacific/Apia") == [date(2011, 12, d) for d in (28, 29, 31)] + [
        date(2012, 1, 1), date(2012, 1, 2)]  # fmt: skip


def test_result_is_utc_and_naive_after_is_refused() -> None:
    found = next_occurrence(Rhythm(time(9)), "Asia/Kolkata", utc(2026, 6, 1, 12))
    assert found == utc(2026, 6, 2, 3, 30)
    assert found.tzinfo is UTC
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(Rhythm(time(9)), "Asia/Kolkata", datetime(2026, 6, 1))  # noqa: DTZ001


# --- APScheduler: what it does (why the wrapper exists) and that our days agree with it -----


def cron_fires(trigger: BaseTrigger, start: datetime, count: int) -> list[datetime]:
    fires: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire.astimezone(UTC))  # a time in a gap compares unequal across zones
        previous = now = fire
    return fires


def test_apscheduler_does_what_the_module_docstring_says() -> None:
    """Cron: the gap shifted forward, the overlap twice; calendar interval: the gap lost."""
    zone = ZoneInfo("Europe/Berlin")
    cron = CronTrigger(hour=2, minute=30, timezone=zone)
    spring = cron_fires(cron, datetime(2026, 3, 28, 12, tzinfo=zone), 2)
    assert spring == [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]
    fall = cron_fires(cron, datetime(2026, 10, 24, 12, tzinfo=zone), 3)
    assert fall == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 26, 1, 30)]
    interval = CalendarIntervalTrigger(days=1, hour=2, minute=30, timezone=zone,
                                       start_date=date(2026, 3, 28))  # fmt: skip
    fires = cron_fires(interval, datetime(2026, 3, 28, 12, tzinfo=zone), 2)
    assert [fire.date() for fire in fires] == [date(2026, 3, 28), date(2026, 3, 30)]


RULES = [
    (Rhythm(time(18, 30)), {}),
    (Rhythm(time(8, 15), frozenset({0, 3})), {"day_of_week": "mon,thu"}),
    (Rhythm(time(17), frozenset({4, 5, 6})), {"day_of_week": "fri-sun"}),
    (Rhythm(time(17), frozenset({1}), nth=2), {"day": "2nd tue"}),
    (Rhythm(time(16), frozenset({4}), nth=-1), {"day": "last fri"}),
    (Rhythm(time(7), frozenset({6}), nth=4), {"day": "4th sun"}),
]


@pytest.mark.parametrize("zone", ["UTC", *ZONES])
@pytest.mark.parametrize(("rhythm", "fields"), RULES)
def test_occurrences_are_apschedulers_cron_without_the_overlaps_second_fire(
    rhythm: Rhythm, fields: dict[str, str], zone: str
) -> None:
    tz = ZoneInfo(zone)
    cron = CronTrigger(hour=rhythm.at.hour, minute=rhythm.at.minute, timezone=tz, **fields)
    start = datetime(2026, 1, 1, tzinfo=tz)
    fires = [fire for fire in cron_fires(cron, start, 400) if fire < datetime(2027, 1, 1, tzinfo=tz)]
    first_per_day = {fire.astimezone(tz).date(): fire for fire in reversed(fires)}
    assert occurrences(rhythm, zone, start, datetime(2027, 1, 1, tzinfo=tz)) == sorted(first_per_day.values())


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("at", [time(1, 30), time(2, 30), time(2, 45), time(3)])
def test_transition_sundays_match_cron_too(zone: str, at: time) -> None:
    test_occurrences_are_apschedulers_cron_without_the_overlaps_second_fire(
        Rhythm(at, frozenset({SUNDAY})), {"day_of_week": "sun"}, zone)


# --- Properties ----------------------------------------------------------------------------

PROPERTY_ZONES = [*ZONES, "UTC", "Europe/London", "America/Santiago", "America/Havana",
                  "Australia/Lord_Howe", "Pacific/Apia", "America/St_Johns", "Asia/Tehran"]


@st.composite
def rhythms(draw: st.DrawFn) -> Rhythm:
    at = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 1, 15, 30, 45, 59])))
    kind = draw(st.sampled_from(["daily", "weekly", "every", "monthly"]))
    if kind == "daily":
        return Rhythm(at)
    if kind == "monthly":
        return Rhythm(at, frozenset({draw(st.integers(0, 6))}), nth=draw(st.sampled_from([1, 2, 3, 4, -1])))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    every = 1 if kind == "weekly" else draw(st.integers(2, 5))
    return Rhythm(at, days, every, draw(st.dates(date(1990, 1, 1), date(2040, 1, 1))))


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(PROPERTY_ZONES), rhythm=rhythms(),
       start=st.datetimes(datetime(1995, 1, 1), datetime(2035, 1, 1),  # noqa: DTZ001
                          timezones=st.just(UTC)))  # fmt: skip
def test_occurrences_increase_and_fall_on_distinct_local_days(
    zone: str, rhythm: Rhythm, start: datetime
) -> None:
    found = occurrences(rhythm, zone, start, start + timedelta(days=80))
    assert all(a < b for a, b in pairwise(found))
    assert all(moment > start and moment.tzinfo is UTC for moment in found)
    days = local_days(found, zone)
    assert len(set(days)) == len(days)
    if found:  # and none was skipped: the first is the first after start
        assert next_occurrence(rhythm, zone, start) == found[0]


@given(rhythm=rhythms())
def test_json_round_trips(rhythm: Rhythm) -> None:
    document = rhythm.to_json()
    assert Rhythm.from_json(document) == rhythm
    assert list(document) == [k for k in ("at", "weekdays", "every_weeks", "anchor", "nth") if k in document]


def test_kinds_and_a_small_document() -> None:
    assert Rhythm(time(9)).kind == "daily"
    assert Rhythm(time(9), frozenset({1})).kind == "weekly"
    assert Rhythm(time(9), frozenset({1}), 2, date(2026, 1, 1)).kind == "fortnightly"
    assert Rhythm(time(9), frozenset({1}), 3, date(2026, 1, 1)).kind == "every_n_weeks"
    assert Rhythm(time(9), frozenset({1}), nth=-1).kind == "monthly"
    assert Rhythm(time(18, 30)).to_json() == {"at": "18:30"}


@pytest.mark.parametrize("document", [
    {}, {"at": "25:00"}, {"at": "9:00"}, {"at": 9}, {"at": "09:00", "weekdays": [7]},
    {"at": "09:00", "weekdays": [True]}, {"at": "09:00", "weekdays": "12"},
    {"at": "09:00", "weekdays": [1], "every_weeks": 2}, {"at": "09:00", "every_weeks": 0},
    {"at": "09:00", "weekdays": [1, 2], "nth": 2}, {"at": "09:00", "weekdays": [1], "nth": 5},
    {"at": "09:00", "anchor": "yesterday"}, {"at": "09:00", "extra": 1},
])  # fmt: skip
def test_bad_documents_raise_value_error(document: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="invalid"):
        Rhythm.from_json(document)


def test_next_occurrence_takes_microseconds() -> None:
    rules = [(rhythm, zone) for rhythm, _ in RULES for zone in ZONES]
    rules.append((Rhythm(time(9), frozenset({2}), 2, date(2026, 1, 1)), "Europe/Berlin"))
    after = utc(2026, 3, 28, 23)
    started = clock.perf_counter()
    for _ in range(300):
        for rhythm, zone in rules:
            next_occurrence(rhythm, zone, after)
    per_call = (clock.perf_counter() - started) / (300 * len(rules))
    assert per_call < 100e-6  # typically 5-10 µs; generous for a shared CI machine


# --- Quiet hours -----------------------------------------------------------------------------

BERLIN = "Europe/Berlin"


def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(BERLIN), fold=fold)


@pytest.mark.parametrize(("due", "expected"), [
    (berlin(2026, 6, 10, 20, 59), berlin(2026, 6, 10, 20, 59)),  # before they start
    (berlin(2026, 6, 10, 21, 0), berlin(2026, 6, 11, 8, 0)),  # at the start: quiet
    (berlin(2026, 6, 10, 23, 30), berlin(2026, 6, 11, 8, 0)),  # evening: to tomorrow morning
    (berlin(2026, 6, 11, 0, 0), berlin(2026, 6, 11, 8, 0)),  # past midnight: this morning
    (berlin(2026, 6, 11, 7, 59), berlin(2026, 6, 11, 8, 0)),
    (berlin(2026, 6, 11, 8, 0), berlin(2026, 6, 11, 8, 0)),  # at the end: not quiet
    (berlin(2026, 6, 11, 12, 0), berlin(2026, 6, 11, 12, 0)),
])  # fmt: skip
def test_default_quiet_hours_wrap_midnight(due: datetime, expected: datetime) -> None:
    moved = out_of_quiet(due, BERLIN, DEFAULT_QUIET)
    assert moved == expected
    assert moved.tzinfo is UTC


def test_quiet_hours_within_a_day_and_none() -> None:
    lunch = QuietHours(time(12), time(13, 30))
    assert out_of_quiet(berlin(2026, 6, 10, 12, 10), BERLIN, lunch) == berlin(2026, 6, 10, 13, 30)
    assert out_of_quiet(berlin(2026, 6, 10, 11, 10), BERLIN, lunch) == berlin(2026, 6, 10, 11, 10)
    late = berlin(2026, 6, 10, 23)
    assert out_of_quiet(late, BERLIN, None) == late
    assert out_of_quiet(late, BERLIN, QuietHours(time(8), time(8))) == late


def test_quiet_hours_across_dst() -> None:
    # The night Berlin springs forward is an hour shorter; the end is still 08:00 local.
    assert out_of_quiet(berlin(2026, 3, 28, 22), BERLIN, DEFAULT_QUIET) == utc(2026, 3, 29, 6)
    assert out_of_quiet(berlin(2026, 10, 24, 22), BERLIN, DEFAULT_QUIET) == utc(2026, 10, 25, 7)
    # Quiet hours ending inside the gap end once, shifted forward; inside the overlap, the first.
    night = QuietHours(time(1), time(2, 30))
    assert out_of_quiet(berlin(2026, 3, 29, 1, 15), BERLIN, night) == utc(2026, 3, 29, 1, 30)
    assert out_of_quiet(berlin(2026, 10, 25, 1, 15), BERLIN, night) == utc(2026, 10, 25, 0, 30)
    # Due in the second pass of the repeated hour: the end is the repeated 02:30, not the past one.
    second = berlin(2026, 10, 25, 2, 10, fold=1)
    assert out_of_quiet(second, BERLIN, night) == utc(2026, 10, 25, 1, 30)


@pytest.mark.parametrize(("text", "expected"), [
    ("21:00-08:00", QuietHours(time(21), time(8))),
    ("21-8", QuietHours(time(21), time(8))),
    ("21:00–08:00", QuietHours(time(21), time(8))),
    ("21:00 - 08:00", QuietHours(time(21), time(8))),
    ("9pm-8am", QuietHours(time(21), time(8))),
    ("22 bis 7 Uhr", QuietHours(time(22), time(7))),
    ("from 22:30 to 6:45", QuietHours(time(22, 30), time(6, 45))),
    ("off", QuietHours(time(0), time(0))),
    ("aus", QuietHours(time(0), time(0))),
    ("21", None), ("25-8", None), ("later", None), ("{{ 1 }}-8", None), ("21-8" * 40, None),
])  # fmt: skip
def test_quiet_hours_as_typed(text: str, expected: QuietHours | None) -> None:
    assert QuietHours.parse(text) == expected


def test_quiet_hours_read_back_what_they_show() -> None:
    assert str(DEFAULT_QUIET) == "21:00–08:00"
    for quiet in (DEFAULT_QUIET, QuietHours(time(12, 5), time(13)), QuietHours(time(0), time(0))):
        assert QuietHours.parse(str(quiet)) == quiet
    assert not QuietHours.parse("off").active  # type: ignore[union-attr]
