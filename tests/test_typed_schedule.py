"""Typed schedule forms (service/schedule/typed.py): what people write after /checkins, /meeting
and /pause, in English and German, and what is refused (None) instead of guessed."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.schedule.rhythm import Rhythm
from service.schedule.typed import (
    MeetingWhen,
    Off,
    is_off,
    parse_meeting,
    parse_pause,
    parse_rhythm,
    parse_time,
)

WED = date(2026, 11, 18)  # a Wednesday
MON, TUE, THU, FRI, SAT, SUN = 0, 1, 3, 4, 5, 6
WORKDAYS = frozenset(range(5))


def weekly(at: time, *days: int) -> Rhythm:
    return Rhythm(at, frozenset(days))


def every(weeks: int, at: time, *days: int) -> Rhythm:
    return Rhythm(at, frozenset(days), weeks, WED)


def monthly(nth: int, at: time, day: int) -> Rhythm:
    return Rhythm(at, frozenset({day}), nth=nth)


RHYTHMS: list[tuple[str, Rhythm | Off | None]] = [
    # daily
    ("daily 18:30", Rhythm(time(18, 30))),
    ("täglich 18:30", Rhythm(time(18, 30))),
    ("Taeglich 18.30", Rhythm(time(18, 30))),
    ("every day at 7am", Rhythm(time(7))),
    ("jeden Tag um 7 Uhr", Rhythm(time(7))),
    ("18:30 daily", Rhythm(time(18, 30))),
    # weekly
    ("mon,thu 08:15", weekly(time(8, 15), MON, THU)),
    ("mo,do 8:15", weekly(time(8, 15), MON, THU)),
    ("Mo, Do 8:15", weekly(time(8, 15), MON, THU)),
    ("mon and thu at 8:15", weekly(time(8, 15), MON, THU)),
    ("Montag und Donnerstag um 8:15", weekly(time(8, 15), MON, THU)),
    ("weekly tue 9", weekly(time(9), TUE)),
    ("wöchentlich di 9:00", weekly(time(9), TUE)),
    ("monday 18:30", weekly(time(18, 30), MON)),
    ("montags 18:30", weekly(time(18, 30), MON)),
    ("every monday 6:30pm", weekly(time(18, 30), MON)),
    ("jeden Montag 18 Uhr", weekly(time(18), MON)),
    ("mo-fr 8am", Rhythm(time(8), WORKDAYS)),
    ("Montag bis Freitag 8 Uhr", Rhythm(time(8), WORKDAYS)),
    ("weekdays at 9", Rhythm(time(9), WORKDAYS)),
    ("werktags 9 uhr", Rhythm(time(9), WORKDAYS)),
    ("am Wochenende 10 Uhr", weekly(time(10), SAT, SUN)),
    ("fri-mon 8", weekly(time(8), FRI, SAT, SUN, MON)),
    ("18:30 mon", weekly(time(18, 30), MON)),
    # fortnightly and every n weeks
    ("every 2 weeks fri 17:00", every(2, time(17), FRI)),
    ("alle 2 wochen fr 17 uhr", every(2, time(17), FRI)),
    ("alle zwei Wochen Freitag 17 Uhr", every(2, time(17), FRI)),
    ("fortnightly fri 17:00", every(2, time(17), FRI)),
    ("14-täglich fr 17:00", every(2, time(17), FRI)),
    ("14-tägig Fr. 17 Uhr", every(2, time(17), FRI)),
    ("every other friday 5pm", every(2, time(17), FRI)),
    ("biweekly tue 9", every(2, time(9), TUE)),
    ("every 3 weeks mon 9", every(3, time(9), MON)),
    ("every 1 week mon 9", weekly(time(9), MON)),
    # "every second friday" is every other one, in German as in British English
    ("jeden zweiten Freitag um 17 Uhr", every(2, time(17), FRI)),
    ("jeden 2. Freitag 17 Uhr", every(2, time(17), FRI)),
    ("alle zwei Wochen freitags 17 Uhr", every(2, time(17), FRI)),
    ("every second Friday at 5pm", every(2, time(17), FRI)),
    ("every 2nd friday 17:00", every(2, time(17), FRI)),
    ("jeden dritten Montag 9 Uhr", every(3, time(9), MON)),
    # monthly: the month named, or no "every"; first and last are monthly anyway
    ("jeden zweiten Freitag im Monat um 17 Uhr", monthly(2, time(17), FRI)),
    ("am zweiten Freitag im Monat um 17 Uhr", monthly(2, time(17), FRI)),
    ("am zweiten Freitag 17 Uhr", monthly(2, time(17), FRI)),
    ("monatlich am 2. Freitag 17 Uhr", monthly(2, time(17), FRI)),
    ("every second Friday of the month at 5pm", monthly(2, time(17), FRI)),
    ("the second friday of the month 17:00", monthly(2, time(17), FRI)),
    ("on the 2nd friday 17:00", monthly(2, time(17), FRI)),
    ("every 2nd tuesday of each month 17:00", monthly(2, time(17), TUE)),
    ("jeden ersten Montag 9 Uhr", monthly(1, time(9), MON)),
    ("every first monday 9am", monthly(1, time(9), MON)),
    ("every last friday 16:00", monthly(-1, time(16), FRI)),
    ("jeden letzten Freitag im Monat 16 Uhr", monthly(-1, time(16), FRI)),
    # off
    ("off", Off()), ("aus", Off()), ("Stop", Off()), ("AUS.", Off()),
    # refused: unreadable, incomplete, impossible
    ("18:30", None), ("weekly 18:30", None), ("every 2 weeks 17:00", None), ("mon,thu", None),
    ("daily mon 18:30", None), ("mon 25:00", None), ("mon 18:61", None), ("mon 13pm", None),
    ("every 99 weeks mon 9", None), ("every 0 weeks mon 9", None), ("every 5th tuesday 17:00", None),
    ("pause", None), ("", None), ("   ", None), ("soon", None), ("mon-", None),
    ("🙂 18:30", None), ("mon 🕕", None), ("{{ 7*7 }}", None), ("{% if 1 %}mon 9{% endif %}", None),
    ("mon " * 40 + "9", None), ("9" * 10_000, None), ("mon\x00 9", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), RHYTHMS)
def test_checkins_forms(text: str, expected: Rhythm | Off | None) -> None:
    assert parse_rhythm(text, WED) == expected


def test_a_fortnightly_rhythm_counts_from_the_anchor_and_weekly_ones_need_none() -> None:
    found = parse_rhythm("every 2 weeks fri 17:00", date(2027, 2, 1))
    assert isinstance(found, Rhythm)
    assert found.anchor == date(2027, 2, 1)
    assert found.kind == "fortnightly"
    assert parse_rhythm("mon 9", date(2027, 2, 1)) == weekly(time(9), MON)


TIMES: list[tuple[str, time | None]] = [
    ("18:30", time(18, 30)), ("18.30", time(18, 30)), ("8", time(8)), ("08", time(8)),
    ("8am", time(8)), ("8 AM", time(8)), ("6:30pm", time(18, 30)), ("6:30 p.m.", time(18, 30)),
    ("12am", time(0)), ("12pm", time(12)), ("18 uhr", time(18)), ("18 Uhr", time(18)),
    ("18:30 Uhr", time(18, 30)), ("18h30", time(18, 30)), ("0:00", time(0)), ("23:59", time(23, 59)),
    ("at 9", time(9)), ("um 9", time(9)),
    ("24:00", None), ("13pm", None), ("0am", None), ("9:5", None), ("9:60", None), ("-1", None),
    ("nine", None), ("", None), ("18:30:00", None), ("🕕", None), ("{{ 9 }}", None), ("1" * 500, None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_times(text: str, expected: time | None) -> None:
    assert parse_time(text) == expected


def once(*args: int, yearless_past: bool = False) -> MeetingWhen:
    return MeetingWhen(once=datetime(*args), yearless_past=yearless_past)  # noqa: DTZ001 - a naive local wall time


MEETINGS: list[tuple[str, MeetingWhen | None]] = [
    ("next tuesday 17:00", once(2026, 11, 24, 17)),
    ("nächsten Dienstag 17 Uhr", once(2026, 11, 24, 17)),
    ("tuesday 17:00", once(2026, 11, 24, 17)),  # a bare weekday is the coming one, once
    ("14.12. 18:30", once(2026, 12, 14, 18, 30)),
    ("14.12.2026 18.30", once(2026, 12, 14, 18, 30)),
    ("morgen 9 uhr", once(2026, 11, 19, 9)),
    ("morgen um 9", once(2026, 11, 19, 9)),
    ("tomorrow at 6pm", once(2026, 11, 19, 18)),
    ("2026-12-14 17:00", once(2026, 12, 14, 17)),
    ("17:00 next friday", once(2026, 11, 20, 17)),
    ("14 December 9am", once(2026, 12, 14, 9)),
    ("heute 20 Uhr", once(2026, 11, 18, 20)),
    ("every 2nd tuesday of the month 17:00", MeetingWhen(rule=monthly(2, time(17), TUE))),
    ("jeden 2. dienstag im monat 17 uhr", MeetingWhen(rule=monthly(2, time(17), TUE))),
    ("am zweiten Dienstag im Monat 17 Uhr", MeetingWhen(rule=monthly(2, time(17), TUE))),
    ("jeden zweiten Dienstag 17 Uhr", MeetingWhen(rule=every(2, time(17), TUE))),
    ("every second tuesday 17:00", MeetingWhen(rule=every(2, time(17), TUE))),
    ("every last friday 16:00", MeetingWhen(rule=Rhythm(time(16), frozenset({FRI}), nth=-1))),
    ("first monday of the month 9am", MeetingWhen(rule=Rhythm(time(9), frozenset({MON}), nth=1))),
    ("every tuesday 17:00", MeetingWhen(rule=weekly(time(17), TUE))),
    ("dienstags 17 Uhr", MeetingWhen(rule=weekly(time(17), TUE))),
    ("every 2 weeks tue 17:00", MeetingWhen(rule=every(2, time(17), TUE))),
    ("alle 2 Wochen Di 17 Uhr", MeetingWhen(rule=every(2, time(17), TUE))),
    # the past, for /meeting to say so: a date without a year too, if it just passed
    ("gestern 9 uhr", once(2026, 11, 17, 9)), ("yesterday 9", once(2026, 11, 17, 9)),
    ("heute 8 uhr", once(2026, 11, 18, 8)), ("17.11.2026 9:00", once(2026, 11, 17, 9)),
    ("17.11. 9:00", once(2026, 11, 17, 9, yearless_past=True)),
    ("20. September 9:00", once(2026, 9, 20, 9, yearless_past=True)),
    ("10.9. 9:00", once(2027, 9, 10, 9)),  # over two months ago: next year's
    # refused
    ("next tuesday", None), ("17:00", None), ("daily 9:00", None), ("every 5th monday 9", None),
    ("31.02. 9:00", None), ("soon", None), ("", None), ("🙂 morgen 9", None),
    ("{{ now }} 9", None), ("morgen 9 uhr " * 20, None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), MEETINGS)
def test_meeting_forms(text: str, expected: MeetingWhen | None) -> None:
    assert parse_meeting(text, WED) == expected


PAUSES: list[tuple[str, date | None]] = [
    ("1 week", date(2026, 11, 25)), ("1 woche", date(2026, 11, 25)), ("a week", date(2026, 11, 25)),
    ("eine Woche", date(2026, 11, 25)), ("for 2 weeks", date(2026, 12, 2)),
    ("2 weeks", date(2026, 12, 2)), ("2 Wochen", date(2026, 12, 2)), ("für 2 Wochen", date(2026, 12, 2)),
    ("3 days", date(2026, 11, 21)), ("10 Tage", date(2026, 11, 28)),
    ("1 month", date(2026, 12, 18)), ("1 year", date(2027, 11, 18)),
    ("until 24.12.", date(2026, 12, 25)), ("bis 24.12.", date(2026, 12, 25)),
    ("bis zum 24.12.", date(2026, 12, 25)), ("24.12.", date(2026, 12, 25)),
    ("until friday", date(2026, 11, 21)), ("bis Freitag", date(2026, 11, 21)),
    ("until today", date(2026, 11, 19)), ("until 2027-01-06", date(2027, 1, 7)),
    # refused
    ("off", None), ("0 weeks", None), ("400 days", None), ("2 years", None), ("until 2028-01-01", None),
    ("until yesterday", None), ("forever", None), ("", None), ("🙂", None), ("{{ 1 }} week", None),
    ("9" * 2000 + " weeks", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), PAUSES)
def test_pause_forms(text: str, expected: date | None) -> None:
    assert parse_pause(text, WED) == expected


def test_off_words() -> None:
    assert [is_off(text) for text in ("off", " AUS ", "stop", "2 weeks", "")] == [
        True, True, True, False, False]  # fmt: skip


@given(st.text(max_size=120))
def test_nothing_typed_makes_a_parser_raise(text: str) -> None:
    parse_rhythm(text, WED)
    parse_meeting(text, WED)
    parse_pause(text, WED)
    parse_time(text)
