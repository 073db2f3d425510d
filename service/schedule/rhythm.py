"""Recurring local wall times (check-ins, meetings) and quiet hours, as pure functions of time.

A `Rhythm` is a local wall time plus the days it falls on; `next_occurrence` turns it into the
next UTC instant in a person's IANA zone. Nothing here reads a clock: callers pass `after`.

DST policy (DESIGN.md): a wall time that does not exist that day fires once, shifted forward by
the gap (02:30 on Berlin's spring-forward day fires at 03:30 CEST); one that exists twice fires
once, at the first (fold=0).

What APScheduler 3.11.3 does, measured before writing this (tests/test_rhythm.py keeps the
probe, so an upgrade that changes it is noticed):

* `CronTrigger(hour=2, minute=30, timezone=Europe/Berlin)` keeps the spring gap right: on
  2026-03-29 it fires at "02:30+01:00", the instant of 03:30 CEST (the 3.11.2 DST fix). But it
  fires TWICE on the fall-back day (02:30+02:00 and 02:30+01:00). The same in New York, Sydney
  and Chatham.
* `CalendarIntervalTrigger(days=1, …)` keeps the fall overlap right (the first 02:30 only) but
  skips the spring-forward day entirely.
* A prebuilt `CronTrigger` costs ~30 µs per `get_next_fire_time` in a zone with DST and
  ~50-85 µs with weekday or "2nd tue" fields; building one per call ~220 µs.

So neither trigger keeps the whole policy: cron would need a wrapper that drops the overlap's
second fire, at 30-85 µs a call plus a trigger per distinct rule kept in memory. The same
result is a few lines of date arithmetic at ~4-9 µs a call (measured over 100,000 mixed rules
in five zones, as the issue's benchmark will). So the days are computed here directly, with
cron's meaning: the tests check, rule by rule and zone by zone over a year with both changes,
that the occurrences equal `CronTrigger`'s fires with the overlap's second fire dropped.

The wall time is resolved by `datetime.combine(day, at, tzinfo=zone)` with fold=0, which under
PEP 495 is exactly the policy: in a gap fold=0 uses the offset from before the transition, i.e.
the instant the gap's length after the wall time; in an overlap fold=0 is the first instant.

Fortnightly (and every n weeks) counts Monday-based weeks from the anchor's week in days, never
ISO week numbers, so the parity survives 53-week years and DST changes.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Final, Literal, TypeAlias
from zoneinfo import ZoneInfo

from storage.vocabulary import JSONValue

Kind: TypeAlias = Literal["daily", "weekly", "fortnightly", "every_n_weeks", "monthly"]

MAX_EVERY_WEEKS: Final = 52
NTHS: Final = frozenset({1, 2, 3, 4, -1})
_ONE_DAY: Final = timedelta(days=1)
_JSON_KEYS: Final = frozenset({"at", "weekdays", "every_weeks", "anchor", "nth"})


@cache
def zone_info(name: str) -> ZoneInfo:
    """The zone by IANA name, looked up once per process (raises on an unknown name)."""
    return ZoneInfo(name)


@dataclass(frozen=True)
class Rhythm:
    """A recurring local wall time.

    `kind` is "daily" (no weekdays), "weekly", "fortnightly" (every_weeks == 2),
    "every_n_weeks" (every_weeks > 2) or "monthly" (nth set). A daily rhythm ignores
    `every_weeks` and `anchor`. Invalid combinations raise ValueError at construction, so a
    stored rule is always one `next_occurrence` can compute.
    """

    at: time
    weekdays: frozenset[int] = frozenset()
    every_weeks: int = 1
    anchor: date | None = None
    nth: int | None = None

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise ValueError(f"invalid rhythm: {problem}")

    def _problem(self) -> str | None:
        if not isinstance(self.at, time) or self.at.tzinfo is not None:
            return "at must be a naive time"
        if self.at.second or self.at.microsecond:
            return "at has whole minutes only"
        if not isinstance(self.weekdays, frozenset) or not self.weekdays <= frozenset(range(7)):
            return "weekdays must be a frozenset of 0..6"
        if type(self.every_weeks) is not int or not 1 <= self.every_weeks <= MAX_EVERY_WEEKS:
            return f"every_weeks must be 1..{MAX_EVERY_WEEKS}"
        if self.nth is not None and (self.nth not in NTHS or len(self.weekdays) != 1
                                     or self.every_weeks != 1):
            return "nth needs one weekday, 1..4 or -1, and every_weeks 1"
        if self.every_weeks > 1 and self.weekdays and not isinstance(self.anchor, date):
            return "every_weeks > 1 needs an anchor date"
        return None

    @property
    def kind(self) -> Kind:
        """What the rhythm is called when shown and when a check-in rhythm is proposed."""
        if self.nth is not None:
            return "monthly"
        if not self.weekdays:
            return "daily"
        if self.every_weeks == 1:
            return "weekly"
        return "fortnightly" if self.every_weeks == 2 else "every_n_weeks"

    def to_json(self) -> dict[str, JSONValue]:
        """Small and stable: defaults are left out, weekdays sorted, dates and times ISO."""
        data: dict[str, JSONValue] = {"at": self.at.strftime("%H:%M")}
        if self.weekdays:
            weekdays: list[JSONValue] = [*sorted(self.weekdays)]
            data["weekdays"] = weekdays
        if self.every_weeks != 1:
            data["every_weeks"] = self.every_weeks
        if self.anchor is not None:
            data["anchor"] = self.anchor.isoformat()
        if self.nth is not None:
            data["nth"] = self.nth
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Rhythm:
        """The rhythm `to_json` wrote; ValueError for anything else (unknown keys included)."""
        if not isinstance(data, Mapping) or not set(data) <= _JSON_KEYS:
            raise ValueError("invalid rhythm document")
        try:
            at = _json_time(data["at"])
            weekdays = frozenset(_json_int(day) for day in _json_list(data.get("weekdays", [])))
            every_weeks = _json_int(data.get("every_weeks", 1))
            anchor = data.get("anchor")
            nth = data.get("nth")
            return cls(at, weekdays, every_weeks,
                       None if anchor is None else date.fromisoformat(_json_str(anchor)),
                       None if nth is None else _json_int(nth))  # fmt: skip
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError("invalid rhythm document") from error


def _json_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _json_int(value: object) -> int:
    if type(value) is not int:  # bool is an int too, and no weekday
        raise TypeError("expected an integer")
    return value


def _json_list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def _json_time(value: object) -> time:
    text = _json_str(value)
    if len(text) != 5 or text[2] != ":":
        raise ValueError("at must be HH:MM")
    return time.fromisoformat(text)


# --- Next occurrence ---------------------------------------------------------------------


def _week(ordinal: int) -> int:
    """The Monday-based week a proleptic ordinal falls in (day 1, 1 January 1, was a Monday)."""
    return (ordinal - 1) // 7


@cache
def _ahead(weekdays: frozenset[int]) -> tuple[int | None, ...]:
    """Per weekday, the days until the next of `weekdays` in the same week (None: none left)."""
    return tuple(min((day - start for day in weekdays if day >= start), default=None)
                 for start in range(7))  # fmt: skip


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1..4) or last (-1) `weekday` of the month."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _monthly_day(rhythm: Rhythm, day: date, nth: int) -> date:
    (weekday,) = rhythm.weekdays
    year, month = day.year, day.month
    while (found := _nth_weekday(year, month, weekday, nth)) < day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _weekly_day(rhythm: Rhythm, day: date) -> date:
    """The first day on or after `day` with one of the weekdays, in a week the count hits.
    Day ordinals, not ISO week numbers: they keep the parity over 53-week years, and are cheap."""
    ahead = _ahead(rhythm.weekdays)
    week, weekday = _week(day.toordinal()), day.weekday()
    every, anchor = rhythm.every_weeks, rhythm.anchor
    off = (week - _week(anchor.toordinal())) % every if anchor is not None else 0
    if off:
        week, weekday = week + every - off, 0
    gap = ahead[weekday]
    if gap is None:  # none of the weekdays left this week: the first of the next counted week
        week, weekday, gap = week + (every if anchor is not None else 1), 0, ahead[0] or 0
    return date.fromordinal(week * 7 + 1 + weekday + gap)


def first_day(rhythm: Rhythm, day: date) -> date:
    """The first local day on or after `day` the rhythm falls on."""
    if rhythm.nth is not None:
        return _monthly_day(rhythm, day, rhythm.nth)
    if not rhythm.weekdays:
        return day
    return _weekly_day(rhythm, day)


def wall_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant of a local wall time under the DST policy (fold=0: gap shifted forward, overlap
    at the first)."""
    return datetime.combine(day, at, zone).astimezone(UTC)


def next_occurrence(rhythm: Rhythm, zone: str, after: datetime) -> datetime:
    """The first occurrence strictly after `after` (aware), as an aware UTC datetime.

    DST: a wall time that does not exist that day fires once, shifted forward by the gap
    (02:30 on a spring-forward day in Europe/Berlin → 03:30 local); one that exists twice fires
    once, at the first (fold=0).
    """
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    tz = zone_info(zone)
    # From the day before: a wall time late that day may be shifted past midnight into today.
    day = after.astimezone(tz).date() - _ONE_DAY
    while True:
        day = first_day(rhythm, day)
        moment = wall_to_utc(day, rhythm.at, tz)
        if moment > after:
            return moment
        day += _ONE_DAY


# --- Quiet hours -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """Local hours in which nothing is sent; they may wrap midnight (21:00–08:00). start == end
    means no quiet hours (`active` is False); `str` of any value reads back through `parse`."""

    start: time
    end: time

    @property
    def active(self) -> bool:
        return self.start != self.end

    def contains(self, moment: time) -> bool:
        """Whether a local wall time is quiet: the start is inside, the end is not."""
        if self.start < self.end:
            return self.start <= moment < self.end
        return self.active and (moment >= self.start or moment < self.end)

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """ "21:00-08:00", "21-8", "21:00–08:00", "9pm - 8am", "21 bis 8 uhr", "from 21 to 8";
        "off" / "aus" / "none" / "keine" give quiet hours that are not active. None otherwise.
        The times are read by `typed.parse_time`."""
        from service.schedule.typed import parse_quiet  # typed builds on this module

        return parse_quiet(text)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


DEFAULT_QUIET: Final = QuietHours(time(21), time(8))


@lru_cache(maxsize=64)
def stored_quiet(own: str | None, policy: str) -> QuietHours:
    """The quiet hours in force for someone: their own as stored, else the policy's, else the
    default. Read once per pair of texts (few distinct ones; every planned moment asks)."""
    return QuietHours.parse(own or policy) or DEFAULT_QUIET


def out_of_quiet(due: datetime, zone: str, quiet: QuietHours | None) -> datetime:
    """`due` (aware) moved to the end of the quiet hours if its local time falls inside them
    (same DST policy at the end time); unchanged otherwise. UTC aware result."""
    if due.tzinfo is None:
        raise ValueError("due must be an aware datetime")
    due = due.astimezone(UTC)
    tz = zone_info(zone)
    local = due.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    if quiet is None or not quiet.contains(wall):
        return due
    day = local.date()
    if quiet.start > quiet.end and wall >= quiet.start:
        day += _ONE_DAY  # quiet since the evening: they end tomorrow morning
    end = wall_to_utc(day, quiet.end, tz)
    if end <= due:
        # Inside the second pass of a fall-back overlap: its end is the repeated wall time.
        end = datetime.combine(day, quiet.end, tz).replace(fold=1).astimezone(UTC)
    return max(end, due)
