"""The schedule forms people type after `/checkins`, `/meeting` and `/pause`, en and de.

Like dialogs/dates.py: the text is normalised once (lower case, umlauts as ae/oe/ue/ss, dashes
and commas folded, single blanks, one trailing period dropped), then matched whole against a
small table of patterns; words of both languages are accepted whatever the user's language.
Every function is pure (the caller passes `today` / `anchor`) and returns None instead of
raising, because it sees raw input; input longer than any form is refused before any regex.

Decisions on ambiguous input (the tests pin each one):

* A time alone ("/checkins 18:30") is None: which days was not said.
* "jeden zweiten Freitag" / "jeden 2. Freitag" / "every second friday" / "every 2nd friday"
  is every other Friday, as German and British English say it (and "every third friday" every
  three weeks), like "every other friday" and "alle zwei Wochen freitags"; with the month named
  ("jeden zweiten Freitag im Monat", "every second friday of the month") or without "every"
  ("am zweiten Freitag", "the second friday") it is the 2nd Friday of each month. "jeden ersten
  Montag" and "every last friday" are monthly either way: no count of weeks reads them.
  German two-letter days ("do", "so") are days here: a day list has no English.
* Hours are 0-23; "12am" is midnight, "12pm" noon; "8" is 08:00, never 20:00.
* For a meeting a bare weekday is the coming one, once ("tuesday 17:00"); a plural
  ("dienstags"), "every" or a day list makes it a rule.
* A meeting date in the past (`gestern`, "yesterday 9:00") is read as that past day, for the
  caller to say it has passed; so is a date without a year that fell in the last two months
  ("30.11." on 1 December: a slip, not next year's), while one further back ("5.1." in
  December) is the next one. A daily meeting is None.
* A pause is at most a year; "until friday" resumes on Saturday (the end is exclusive).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from dialogs.dates import NUMBER_WORDS, UNITS, WEEKDAYS, parse_date
from service.schedule.rhythm import MAX_EVERY_WEEKS, QuietHours, Rhythm

MAX_LENGTH: Final = 80
MAX_PAUSE_DAYS: Final = 366
#: How far back a meeting date typed without a year is taken as that past day, not next year's.
JUST_PASSED: Final = timedelta(days=61)


@dataclass(frozen=True)
class Off:
    """`/checkins off` / `aus` / `stop`: no check-ins (pause is its own command)."""


@dataclass(frozen=True)
class MeetingWhen:
    """The next meeting: once, at a naive local wall time, or a recurring rule."""

    once: datetime | None = None
    rule: Rhythm | None = None
    #: `once` is a date typed without a year that just passed, read as that past day: whoever
    #: means next year's is told to write the year.
    yearless_past: bool = False


# --- Words (normalised: lower case, ae/oe/ue/ss) -----------------------------------------

OFF_WORDS: Final = frozenset({"off", "aus", "stop", "stopp", "none", "keine", "never", "nie"})

DAY_WORDS: Final = {
    **WEEKDAYS,
    "mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6,
    "mondays": 0, "tuesdays": 1, "wednesdays": 2, "thursdays": 3, "fridays": 4,
    "saturdays": 5, "sundays": 6,
    "montags": 0, "dienstags": 1, "mittwochs": 2, "donnerstags": 3, "freitags": 4,
    "samstags": 5, "sonnabends": 5, "sonntags": 6,
}  # fmt: skip

DAY_GROUPS: Final = {
    "weekdays": frozenset(range(5)), "werktags": frozenset(range(5)),
    "wochentags": frozenset(range(5)),
    "weekends": frozenset({5, 6}), "weekend": frozenset({5, 6}), "wochenende": frozenset({5, 6}),
    "wochenendes": frozenset({5, 6}),
}  # fmt: skip

ORDINALS: Final = {
    "1st": 1, "first": 1, "1.": 1, "erste": 1, "ersten": 1, "erster": 1,
    "2nd": 2, "second": 2, "2.": 2, "zweite": 2, "zweiten": 2, "zweiter": 2,
    "3rd": 3, "third": 3, "3.": 3, "dritte": 3, "dritten": 3, "dritter": 3,
    "4th": 4, "fourth": 4, "4.": 4, "vierte": 4, "vierten": 4, "vierter": 4,
    "last": -1, "letzte": -1, "letzten": -1, "letzter": -1,
}  # fmt: skip

# Frequency phrase -> weeks between occurrences (0: daily).
FREQUENCIES: Final = {
    "daily": 0, "every day": 0, "each day": 0, "everyday": 0, "taeglich": 0, "jeden tag": 0,
    "weekly": 1, "every week": 1, "each week": 1, "woechentlich": 1, "jede woche": 1,
    "every": 1, "each": 1, "jeden": 1, "jede": 1, "immer": 1,
    "fortnightly": 2, "biweekly": 2, "bi-weekly": 2, "every other week": 2,
    "every second week": 2, "every 2nd week": 2, "every other": 2, "14-taeglich": 2,
    "14-taegig": 2, "14 taegig": 2, "14 taeglich": 2, "vierzehntaegig": 2,
    "vierzehntaeglich": 2, "zweiwoechentlich": 2, "jede zweite woche": 2,
    "alle vierzehn tage": 2, "alle 14 tage": 2, "jeden zweiten woche": 2,
}  # fmt: skip

MONTH_TAILS: Final = (
    "of the month", "of every month", "of each month", "each month", "every month", "a month",
    "im monat", "des monats", "jeden monats", "eines monats", "monthly", "monatlich",
)  # fmt: skip


def _words(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first."""
    return "(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + ")"


# --- Normalising and times ---------------------------------------------------------------

_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "–": "-", "—": "-"})


def _normalize(text: object) -> str | None:
    """One spelling for the patterns, or None for what is no short text at all."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return None
    folded = " ".join(text.lower().translate(_UMLAUTS).replace(",", " ").split())
    folded = re.sub(r" ?- ?", "-", folded)
    return folded.removesuffix(".").rstrip() or None


_TIME: Final = re.compile(
    r"(?:(?:at|um|@|gegen) )?(?P<h>[0-9]{1,2})(?:(?:[:.h]|h ?)(?P<m>[0-9]{2}))?"
    r"(?: ?(?P<ampm>[ap])\.?m\.?| ?(?:uhr|h|o'?clock))?"
)


def _time(text: str) -> time | None:
    """A normalised time of day: 18:30, 18.30, 18h30, 8, 8am, 6:30 pm, 18 uhr."""
    found = _TIME.fullmatch(text)
    if found is None:
        return None
    hour, minute = int(found["h"]), int(found["m"] or 0)
    if found["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if found["ampm"] == "p" else 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_time(text: str) -> time | None:
    """A time of day typed alone: "18:30", "18.30", "8", "8am", "6:30pm", "18 uhr"."""
    cleaned = _normalize(text)
    return None if cleaned is None else _time(cleaned)


# --- Rhythms -----------------------------------------------------------------------------

_DAY: Final = _words([*DAY_WORDS, *DAY_GROUPS])
_SEPARATOR: Final = r"(?: |/|&|\+| and | und | ?- ?| to | bis )"
_DAYS: Final = rf"(?P<days>(?:(?:on|am|an) )?{_DAY}\.?(?:{_SEPARATOR}{_DAY}\.?)*)"
_TIMEPART: Final = r"(?P<time>(?:(?:at|um|@|gegen) )?[0-9][0-9:.h ]*(?: ?[ap]\.?m\.?| ?uhr| ?o'?clock)?)"
_EVERY_N: Final = rf"(?:every|alle) (?P<n>[0-9]{{1,2}}|{_words(NUMBER_WORDS)}) (?:weeks?|wochen?)"
_FREQ: Final = rf"(?P<freq>{_words(FREQUENCIES)}|{_EVERY_N})"
_ORDINAL: Final = rf"(?P<ord>{_words(ORDINALS)})"

_WEEKLY_FORMS: Final = tuple(re.compile(p) for p in (
    rf"(?:{_FREQ} )?{_DAYS} {_TIMEPART}",
    rf"(?:{_FREQ} )?{_TIMEPART} {_DAYS}",
    rf"{_DAYS} {_FREQ} {_TIMEPART}",
))  # fmt: skip
_DAILY_FORMS: Final = (re.compile(rf"{_FREQ} {_TIMEPART}"), re.compile(rf"{_TIMEPART} {_FREQ}"))
#: The words before an ordinal that make "every nth day" a count of weeks unless a month is named.
EVERY_WORDS: Final = frozenset({"every", "each", "jeden", "jede"})
_NTH: Final = re.compile(
    rf"(?:(?P<lead>{_words(EVERY_WORDS)}|am|on the|the|monthly on the|monatlich am) )?{_ORDINAL} "
    rf"(?P<day>{_words(DAY_WORDS)})\.?(?: (?P<tail>{_words(MONTH_TAILS)}))? {_TIMEPART}"
)


def _day_set(text: str) -> frozenset[int] | None:
    """The weekdays a day list names: "mon,thu", "mo und do", "mon-fri", "weekdays"."""
    text = re.sub(r"^(?:on|am|an) ", "", text).replace(".", "")
    parts = re.split(r"( and | und | to | bis | |/|&|\+|-)", text)
    days: set[int] = set()
    previous: int | None = None
    ranged = False
    for part in parts:
        if part in {"-", " to ", " bis "}:
            ranged = True
            continue
        if not part.strip() or part in {" ", "/", "&", "+", " and ", " und "}:
            continue
        if part in DAY_GROUPS and not ranged:
            days |= DAY_GROUPS[part]
            previous = None
            continue
        if part not in DAY_WORDS:
            return None
        day = DAY_WORDS[part]
        if ranged:
            if previous is None:
                return None
            days.update((previous + step) % 7 for step in range((day - previous) % 7 + 1))
        days.add(day)
        previous, ranged = day, False
    return frozenset(days) if days and not ranged else None


def _weeks(freq: str | None, count: str | None) -> int | None:
    """Weeks between occurrences the frequency phrase names (0: daily; None: not readable)."""
    if count is not None:
        weeks = int(count) if count.isdigit() else NUMBER_WORDS.get(count, 0)
        return weeks if 1 <= weeks <= MAX_EVERY_WEEKS else None
    return 1 if freq is None else FREQUENCIES[freq]


def _weekly(text: str, anchor: date) -> Rhythm | None:
    for pattern in _WEEKLY_FORMS:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        days, at = _day_set(found["days"]), _time(found["time"].strip())
        weeks = _weeks(found["freq"], found["n"])
        if days is None or at is None or not weeks:
            return None
        return Rhythm(at, days, weeks, anchor if weeks > 1 else None)
    return None


def _daily(text: str) -> Rhythm | None:
    for pattern in _DAILY_FORMS:
        found = pattern.fullmatch(text)
        if found is not None and FREQUENCIES.get(found["freq"]) == 0:
            at = _time(found["time"].strip())
            return None if at is None else Rhythm(at)
    return None


def _nth(text: str, anchor: date) -> Rhythm | None:
    """An ordinal and a day: the nth of the month, or "every second friday" every n weeks (see
    the module's docstring); every n weeks counts from `anchor`'s week."""
    found = _NTH.fullmatch(text)
    if found is None:
        return None
    at = _time(found["time"].strip())
    day = DAY_WORDS.get(found["day"])
    if at is None or day is None:
        return None
    nth = ORDINALS[found["ord"]]
    if found["lead"] in EVERY_WORDS and found["tail"] is None and nth > 1:
        return Rhythm(at, frozenset({day}), nth, anchor)
    return Rhythm(at, frozenset({day}), nth=nth)


def _rule(text: str, anchor: date) -> Rhythm | None:
    return _nth(text, anchor) or _daily(text) or _weekly(text, anchor)


def is_off(text: str) -> bool:
    """Whether the text switches something off: "off", "aus", "stop" (also for `/pause off`)."""
    return _normalize(text) in OFF_WORDS


def parse_rhythm(text: str, anchor: date) -> Rhythm | Off | None:
    """`/checkins` arguments: "daily 18:30", "täglich 18:30", "mon,thu 08:15", "mo,do 8:15",
    "every 2 weeks fri 17:00", "alle 2 wochen fr 17 uhr", "weekly tue 9", "wöchentlich di 9:00",
    "fortnightly fri 17:00", "14-täglich fr 17:00", "monday 18:30", "montags 18:30", "off", "aus".
    Times: 18:30, 18.30, 8, 8am, 6:30pm, "18 uhr". None when it cannot be read (never raises).
    Fortnightly and every-n-weeks rules count from `anchor`'s week."""
    cleaned = _normalize(text)
    if cleaned is None:
        return None
    if cleaned in OFF_WORDS:
        return Off()
    return _rule(cleaned, anchor)


# --- Meetings ----------------------------------------------------------------------------


def _split_forms(tokens: list[str]) -> Iterable[tuple[str, str]]:
    """(date part, time part) pairs: the time last ("morgen 9 uhr") or first ("9:00 morgen")."""
    for cut in range(len(tokens) - 1, 0, -1):
        yield " ".join(tokens[:cut]), " ".join(tokens[cut:])
    for cut in range(1, len(tokens)):
        yield " ".join(tokens[cut:]), " ".join(tokens[:cut])


def meeting_day(text: str, today: date, lang: str = "en") -> tuple[date, bool] | None:
    """The day a meeting date names, and whether it is a date without a year that just passed.

    `parse_date` reads "30.11." on 1 December as next year's; as seen from JUST_PASSED earlier
    it is the day just gone, which is what someone planning a meeting meant. Other past dates
    ("gestern", "30.11.2026") come back as they are; the caller says they have passed."""
    day = parse_date(text, today, lang)
    if day is None:
        return None
    earlier = parse_date(text, today - JUST_PASSED, lang)
    if (earlier is not None and earlier < today and earlier.year < day.year
            and (earlier.month, earlier.day) == (day.month, day.day)):
        return earlier, True
    return day, False


def _once(text: str, today: date) -> MeetingWhen | None:
    for day_text, time_text in _split_forms(text.split(" ")):
        at = _time(time_text)
        if at is None:
            continue
        found = meeting_day(day_text, today)
        if found is not None:
            return MeetingWhen(once=datetime.combine(found[0], at), yearless_past=found[1])
    return None


def parse_meeting(text: str, today: date) -> MeetingWhen | None:
    """`/meeting` arguments: one date and time ("next tuesday 17:00", "14.12. 18:30",
    "morgen 9 uhr", "2026-12-14 17:00") → MeetingWhen(once=naive local, possibly past), or a
    monthly rule "every 2nd tuesday of the month 17:00", "jeden 2. dienstag im monat 17 uhr",
    "every last friday 16:00", or a weekly or fortnightly one "every tuesday 17:00" / "every 2
    weeks tue 17:00" / "jeden zweiten dienstag 17 uhr" → MeetingWhen(rule=...)."""
    cleaned = _normalize(text)
    if cleaned is None:
        return None
    # A date first: "tuesday 17:00" is the coming Tuesday, "tuesdays 17:00" every one.
    once = _once(cleaned, today)
    if once is not None:
        return once
    rule = _nth(cleaned, today) or _weekly(cleaned, today)
    return None if rule is None else MeetingWhen(rule=rule)


# --- Pauses and quiet hours --------------------------------------------------------------

_DURATION: Final = re.compile(
    rf"(?:(?:for|fuer|in) )?(?P<n>[0-9]{{1,3}}|{_words(NUMBER_WORDS)}) (?P<unit>{_words(UNITS)})"
)


def _duration(found: re.Match[str], today: date) -> date | None:
    """Today plus the amount ("2 weeks", "1 Monat": calendar months, the day clamped)."""
    count = int(found["n"]) if found["n"].isdigit() else NUMBER_WORDS[found["n"]]
    days, months = UNITS[found["unit"]]
    if count * (days + 28 * months) > MAX_PAUSE_DAYS:
        return None  # also keeps the arithmetic below small whatever was typed
    month = today.month - 1 + count * months
    year, month = today.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    resume = date(year, month, min(today.day, last)) + timedelta(days=count * days)
    return resume if today < resume <= today + timedelta(days=MAX_PAUSE_DAYS) else None


def parse_pause(text: str, today: date) -> date | None:
    """`/pause` arguments → the first day things resume (exclusive end): "1 week"/"1 woche",
    "2 weeks"/"2 wochen", "until 24.12."/"bis 24.12."/"until friday" (resume the day AFTER that
    date), a bare date (same as until). None otherwise, and for the past or beyond a year."""
    cleaned = _normalize(text)
    if cleaned is None:
        return None
    found = _DURATION.fullmatch(cleaned)
    if found is not None:
        return _duration(found, today)
    last = _last_day(cleaned, today)
    if last is None or not today <= last < today + timedelta(days=MAX_PAUSE_DAYS):
        return None
    return last + timedelta(days=1)


def _last_day(cleaned: str, today: date) -> date | None:
    """The day a normalised "until …" (or a bare date) names, past or not."""
    return parse_date(re.sub(r"^(?:until|till|til|bis|bis zum|bis am|bis einschliesslich) ", "",
                             cleaned), today, "en")  # fmt: skip


def pause_passed(text: str, today: date) -> date | None:
    """The day a pause typed until a day already gone names ("bis 01.01.2020", "until
    yesterday"), for the caller to say it has passed; None for anything else."""
    cleaned = _normalize(text)
    if cleaned is None or _DURATION.fullmatch(cleaned) is not None:
        return None
    last = _last_day(cleaned, today)
    return last if last is not None and last < today else None


_QUIET: Final = re.compile(r"(?:(?:from|von) )?(?P<start>.+?)(?:-| to | bis )(?P<end>.+)")
_QUIET_OFF: Final = OFF_WORDS | {"no", "nein", "keine ruhezeiten", "no quiet hours"}


def parse_quiet(text: str) -> QuietHours | None:
    """Quiet hours as typed (see `QuietHours.parse`, which is this)."""
    cleaned = _normalize(text)
    if cleaned is None:
        return None
    if cleaned in _QUIET_OFF:
        return QuietHours(time(0), time(0))
    found = _QUIET.fullmatch(cleaned)
    if found is None:
        return None
    start, end = _time(found["start"].strip()), _time(found["end"].strip())
    return None if start is None or end is None else QuietHours(start, end)


def quiet_same_ends(text: str) -> time | None:
    """The one time quiet hours typed as "22-22" start and end at: that is no quiet hours, and
    whoever means none says "off" (stored as 00:00-00:00, which is why `parse_quiet` takes it)."""
    cleaned = _normalize(text)
    hours = parse_quiet(text) if cleaned is not None and cleaned not in _QUIET_OFF else None
    return hours.start if hours is not None and hours.start == hours.end else None
