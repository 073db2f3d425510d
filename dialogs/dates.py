"""Parse the dates mentees type into the bot ("14.3.", "next friday", "Ende März"), en + de.

The bot asks for deadlines and meeting days in free text; `parse_date` turns such an answer
into a date, or None so the dialog can ask again. It is pure (the caller passes `today`, so
tests and time zones stay the caller's business) and never raises, because it sees raw input.

How it is built: the text is normalised once (lower case, umlauts as ae/oe/ue/ss, commas and
runs of blanks folded, one trailing period and leading fillers like "on"/"am"/"bis" dropped),
then tried against a table of small regexes, each with a small handler. The first pattern that
matches the whole text decides; there is no partial matching. The file is over 300 lines because
the patterns, their handlers and the en/de word tables only make sense side by side.

Decisions on ambiguous input (the tests pin each one):

* Numbers are read day first in both languages: "3/4/2027" and "3.4.2027" are 3 April. We
  serve international users, not the US. ISO "2027-04-03" is always year-month-day. The one
  thing `lang` changes: for "en", a slash date that only works in US order ("12/25/2026") is
  read month first; for "de" it is None. "3-4" without a year is a range or a score: None.
* A date without a year ("14.3.", "14 March", "Ende März") is the next one not in the past:
  today counts, else this year, else next year. "29.2." waits for the next leap year.
* Two-digit years land in the 100-year window around today (-50 .. +49 years): with today in
  2026, "27" is 2027 and "98" is 1998. Typed years before 1900 or after 2200 give None.
* A weekday ("friday", "this friday", "next friday", "Freitag", "nächsten Freitag") is the
  nearest day with that name after today, never today itself: who means today says "today",
  and "next friday" nearly always means the coming one, not the one a week later.
  "friday next week" / "Freitag nächste Woche" is that day in the Monday-based next week.
* "next week" is Monday of next week; "next month" / "next year" the 1st of the month / year.
* A week ends on Friday (the working week), a month on its last day, a year on 31 December.
  "mid" is the 15th of a month (Wednesday of a week, 1 July of a year); "beginning" the first
  day (Monday of a week). If that day in the *current* period is over ("end of the week" on
  a Saturday, "Anfang des Monats" on the 21st) the next period's is meant, so a vague answer
  never lands in the past. A named month without a year rolls over to next year likewise.
* "in 2 months" adds calendar months and clamps the day (31 Jan + 1 month = 28/29 Feb).
* "Friday, 14 March 2027": a weekday in front of a date must agree with it, else None; we
  would rather ask again than guess which half the user meant.
* Words of both languages are accepted whatever `lang` says; nothing collides between them.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final, Literal, NamedTuple, TypeAlias

Kind: TypeAlias = Literal["week", "month", "year"]
Position: TypeAlias = Literal["start", "mid", "end"]
Handler: TypeAlias = Callable[[re.Match[str], datetime.date, str], "datetime.date | None"]
Rule: TypeAlias = tuple[re.Pattern[str], Handler]

MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2200
# No date phrase is longer; anything longer is a sentence, not an answer, and the limit keeps
# regex work small whatever a user pastes.
MAX_LENGTH: Final = 64

# --- Words -------------------------------------------------------------------------------
# All keys are in normalised form: lower case, umlauts spelled ae/oe/ue, ß as ss.

MONTHS: Final[Mapping[str, int]] = {
    "january": 1, "jan": 1, "januar": 1, "jaenner": 1,
    "february": 2, "feb": 2, "februar": 2,
    "march": 3, "mar": 3, "maerz": 3, "marz": 3, "maer": 3, "mrz": 3,
    "april": 4, "apr": 4,
    "may": 5, "mai": 5,
    "june": 6, "jun": 6, "juni": 6,
    "july": 7, "jul": 7, "juli": 7,
    "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12, "dezember": 12, "dez": 12,
}  # fmt: skip

WEEKDAYS: Final[Mapping[str, int]] = {
    "monday": 0, "mon": 0, "montag": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "dienstag": 1,
    "wednesday": 2, "wed": 2, "mittwoch": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "donnerstag": 3,
    "friday": 4, "fri": 4, "freitag": 4,
    "saturday": 5, "sat": 5, "samstag": 5, "sonnabend": 5,
    "sunday": 6, "sun": 6, "sonntag": 6,
}  # fmt: skip

# German two-letter weekday abbreviations ("do", "so") are left out: they are English words.
WEEKDAY_MODIFIERS: Final = (
    "this", "next", "coming", "this coming",
    "diesen", "dieser", "diese", "naechsten", "naechster", "naechste",
    "kommenden", "kommender", "kommende",
)  # fmt: skip

NUMBER_WORDS: Final[Mapping[str, int]] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4,
    "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11,
    "zwoelf": 12,
}  # fmt: skip

# unit word -> (days, months) per unit
UNITS: Final[Mapping[str, tuple[int, int]]] = {
    "day": (1, 0), "days": (1, 0), "tag": (1, 0), "tage": (1, 0), "tagen": (1, 0),
    "week": (7, 0), "weeks": (7, 0), "woche": (7, 0), "wochen": (7, 0),
    "fortnight": (14, 0), "fortnights": (14, 0),
    "month": (0, 1), "months": (0, 1), "monat": (0, 1), "monate": (0, 1), "monaten": (0, 1),
    "year": (0, 12), "years": (0, 12), "jahr": (0, 12), "jahre": (0, 12), "jahren": (0, 12),
}  # fmt: skip

RELATIVE_DAYS: Final[Mapping[str, int]] = {
    "today": 0, "heute": 0,
    "tomorrow": 1, "tmrw": 1, "morgen": 1,
    "day after tomorrow": 2, "uebermorgen": 2,
    "yesterday": -1, "gestern": -1,
    "day before yesterday": -2, "vorgestern": -2,
}  # fmt: skip

# period phrase -> (kind, 0 for the current period or 1 for the next one)
PERIODS: Final[Mapping[str, tuple[Kind, int]]] = {
    "week": ("week", 0), "the week": ("week", 0), "this week": ("week", 0),
    "der woche": ("week", 0), "dieser woche": ("week", 0), "diese woche": ("week", 0),
    "next week": ("week", 1), "naechste woche": ("week", 1), "naechster woche": ("week", 1),
    "der naechsten woche": ("week", 1), "kommende woche": ("week", 1),
    "kommender woche": ("week", 1), "der kommenden woche": ("week", 1),
    "month": ("month", 0), "the month": ("month", 0), "this month": ("month", 0),
    "des monats": ("month", 0), "dieses monats": ("month", 0), "diesen monat": ("month", 0),
    "next month": ("month", 1), "naechsten monat": ("month", 1), "naechster monat": ("month", 1),
    "naechsten monats": ("month", 1), "des naechsten monats": ("month", 1),
    "kommenden monat": ("month", 1), "kommenden monats": ("month", 1),
    "des kommenden monats": ("month", 1),
    "year": ("year", 0), "the year": ("year", 0), "this year": ("year", 0),
    "des jahres": ("year", 0), "dieses jahres": ("year", 0), "dieses jahr": ("year", 0),
    "next year": ("year", 1), "naechstes jahr": ("year", 1), "naechsten jahres": ("year", 1),
    "des naechsten jahres": ("year", 1), "kommendes jahr": ("year", 1),
    "kommenden jahres": ("year", 1), "des kommenden jahres": ("year", 1),
}  # fmt: skip

# Weeks that may follow or precede a weekday ("friday next week"). Not the bare "week": in
# British English "friday week" means a week after Friday.
NAMED_WEEKS: Final = tuple(
    phrase for phrase, (kind, _) in PERIODS.items()
    if kind == "week" and phrase not in {"week", "the week", "der woche"}
)  # fmt: skip

POSITIONS: Final[Mapping[str, Position]] = {
    "beginning of": "start", "start of": "start", "anfang": "start",
    "mid": "mid", "middle of": "mid", "mitte": "mid",
    "end of": "end", "ende": "end",
}  # fmt: skip

# one-word forms -> (position, period phrase)
COMPOUNDS: Final[Mapping[str, tuple[Position, str]]] = {
    "monatsanfang": ("start", "month"), "monatsbeginn": ("start", "month"),
    "monatsmitte": ("mid", "month"), "monatsende": ("end", "month"),
    "jahresanfang": ("start", "year"), "jahresbeginn": ("start", "year"),
    "jahresmitte": ("mid", "year"), "jahresende": ("end", "year"),
    "month-end": ("end", "month"), "month end": ("end", "month"),
    "year-end": ("end", "year"), "year end": ("end", "year"),
    "midweek": ("mid", "week"), "wochenmitte": ("mid", "week"),
}  # fmt: skip


# --- Calendar helpers --------------------------------------------------------------------


def _words(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first so "sept" is tried before "sep"."""
    return "(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + ")"


def _calendar_date(year: int, month: int, day: int) -> datetime.date | None:
    """The date, or None if it does not exist (31.02., month 13)."""
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar months later, the day clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return datetime.date(year, month0 + 1, min(day.day, _last_day(year, month0 + 1)))


def _typed_year(raw: str, today: datetime.date) -> int | None:
    """A year as typed: two digits fall within -50 .. +49 years of today; 1900-2200 only."""
    if len(raw) == 2:
        low = today.year - 50
        year = low - low % 100 + int(raw)
        if year < low:
            year += 100
    else:
        year = int(raw)
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def _upcoming(month: int, day: int, today: datetime.date) -> datetime.date | None:
    """The next day/month not in the past; 8 years ahead covers 29 Feb across 2100."""
    for year in range(today.year, today.year + 9):
        found = _calendar_date(year, month, day)
        if found is not None and found >= today:
            return found
    return None


def _day_month(
    day: int, month: int, raw_year: str | None, today: datetime.date
) -> datetime.date | None:
    """A day and month in the typed year, or without one the next occurrence."""
    if raw_year is None:
        return _upcoming(month, day, today)
    year = _typed_year(raw_year, today)
    return None if year is None else _calendar_date(year, month, day)


def _upcoming_weekday(weekday: int, today: datetime.date) -> datetime.date:
    """The nearest day with that weekday after today (1 to 7 days ahead)."""
    return today + datetime.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _first_not_past(days: Sequence[datetime.date], today: datetime.date) -> datetime.date:
    """The first candidate that is today or later, else the last one."""
    return next((day for day in days if day >= today), days[-1])


# --- Periods (weeks, months, years) ------------------------------------------------------


class Period(NamedTuple):
    """A kind of period and where candidate periods start, in order of preference.

    Several starts when the text leaves it open ("end of the month": this month's or, once
    it is over, the next one's); one when it does not ("end of March 2027").
    """

    kind: Kind
    starts: tuple[datetime.date, ...]


def _period_start(kind: Kind, day: datetime.date) -> datetime.date:
    if kind == "week":
        return day - datetime.timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _following_start(kind: Kind, start: datetime.date) -> datetime.date:
    if kind == "week":
        return start + datetime.timedelta(weeks=1)
    if kind == "month":
        return add_months(start, 1)
    return start.replace(year=start.year + 1)


def _day_in(position: Position, kind: Kind, start: datetime.date) -> datetime.date:
    """Beginning, middle or end of the period starting at `start` (weeks end on Friday)."""
    if position == "start":
        return start
    if kind == "week":
        return start + datetime.timedelta(days=2 if position == "mid" else 4)
    if kind == "month":
        return start.replace(day=15 if position == "mid" else _last_day(start.year, start.month))
    return start.replace(month=7) if position == "mid" else start.replace(month=12, day=31)


_NAMED_MONTH: Final = re.compile(rf"(?P<mon>{_words(MONTHS)})\.?(?: (?P<y>[0-9]{{4}}|[0-9]{{2}}))?")


def _period(phrase: str, today: datetime.date) -> Period | None:
    """The period a phrase names: "the month", "nächsten Monats", "March", "März 2027"."""
    if phrase in PERIODS:
        kind, offset = PERIODS[phrase]
        current = _period_start(kind, today)
        following = _following_start(kind, current)
        return Period(kind, (current, following) if offset == 0 else (following,))
    named = _NAMED_MONTH.fullmatch(phrase)
    if named is None:
        return None
    month = MONTHS[named["mon"]]
    if named["y"] is None:
        return Period("month", (datetime.date(today.year, month, 1),
                                datetime.date(today.year + 1, month, 1)))  # fmt: skip
    year = _typed_year(named["y"], today)
    return None if year is None else Period("month", (datetime.date(year, month, 1),))


def _place(position: Position, period: Period, today: datetime.date) -> datetime.date:
    return _first_not_past([_day_in(position, period.kind, s) for s in period.starts], today)


# --- Handlers, one per pattern -----------------------------------------------------------


def _iso(m: re.Match[str], _today: datetime.date, _lang: str) -> datetime.date | None:
    year = int(m["y"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    return _calendar_date(year, int(m["mo"]), int(m["d"]))


def _numeric(m: re.Match[str], today: datetime.date, lang: str) -> datetime.date | None:
    """Day first; an English slash date that only works month first is read that way."""
    first, second, sep, raw_year = int(m["a"]), int(m["b"]), m["sep"], m["y"]
    if sep == "-" and raw_year is None:
        return None  # "3-4" is a range or a score
    found = _day_month(first, second, raw_year, today)
    if found is None and sep == "/" and lang.lower().startswith("en") and first <= 12 < second:
        found = _day_month(second, first, raw_year, today)
    return found


def _named_month_date(m: re.Match[str], today: datetime.date, _lang: str) -> datetime.date | None:
    return _day_month(int(m["d"]), MONTHS[m["mon"]], m["y"], today)


def _relative_day(m: re.Match[str], today: datetime.date, _lang: str) -> datetime.date | None:
    return today + datetime.timedelta(days=RELATIVE_DAYS[m["w"]])


def _in_amount(m: re.Match[str], today: datetime.date, _lang: str) -> datetime.date | None:
    count = int(m["n"]) if m["n"].isdigit() else NUMBER_WORDS[m["n"]]
    days, months = UNITS[m["unit"]]
    return add_months(today, count * months) + datetime.timedelta(days=count * days)


def _positioned(m: re.Match[str], today: datetime.date, _lang: str) -> datetime.date | None:
    period = _period(m["period"], today)
    return None if period is None else _place(POSITIONS[m["pos"]], period, today)


def _compound(m: re.Match[str], today: datetime.date, _lang: str) -> datetime.date | None:
    position, phrase = COMPOUNDS[m["word"]]
    period = _period(phrase, today)
    return None if period is None else _place(position, period, today)


def _next_period(m: re.Match[str], today: datetime.date, _lang: str) -> datetime.date | None:
    period = _period(m["period"], today)
    return None if period is None else _place("start", period, today)


def _weekday_in_week(m: re.Match[str], today: datetime.date, _lang: str) -> datetime.date | None:
    period = _period(m["week"], today)
    if period is None:
        return None
    offset = datetime.timedelta(days=WEEKDAYS[m["wd"]])
    return _first_not_past([start + offset for start in period.starts], today)


def _weekday(m: re.Match[str], today: datetime.date, _lang: str) -> datetime.date | None:
    return _upcoming_weekday(WEEKDAYS[m["wd"]], today)


def _weekday_and_date(m: re.Match[str], today: datetime.date, lang: str) -> datetime.date | None:
    """ "Freitag, 27.11.2026": the date, if the weekday agrees with it."""
    found = _first_match(ABSOLUTE_RULES, m["rest"], today, lang)
    return found if found is not None and found.weekday() == WEEKDAYS[m["wd"]] else None


# --- Patterns ----------------------------------------------------------------------------


def _rules(table: Iterable[tuple[str, Handler]]) -> tuple[Rule, ...]:
    return tuple((re.compile(pattern), handler) for pattern, handler in table)


_DAY: Final = r"(?P<d>[0-9]{1,2})(?:st|nd|rd|th|\.)?"
_YEAR: Final = r"(?P<y>[0-9]{4}|[0-9]{2})"
_MONTH: Final = rf"(?P<mon>{_words(MONTHS)})\.?"
_WEEKDAY: Final = rf"(?P<wd>{_words(WEEKDAYS)})\.?"
_COUNT: Final = rf"(?P<n>[0-9]{{1,4}}|{_words(NUMBER_WORDS)})"
_UNIT: Final = rf"(?P<unit>{_words(UNITS)})"
_WEEK: Final = rf"(?P<week>{_words(NAMED_WEEKS)})"

# Dates that name a day on the calendar; also what may follow a weekday ("Fri, 14 March").
ABSOLUTE_RULES: Final = _rules([
    # 2027-03-14, 2027/3/14
    (r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<mo>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})", _iso),
    # 14.03.2027, 14.3.27, 14.3., 14/3, 14-03-2027
    (r"(?P<a>[0-9]{1,2})(?P<sep>[./-]) ?(?P<b>[0-9]{1,2})"
     r"(?:(?P=sep) ?(?P<y>[0-9]{4}|[0-9]{2})?)?", _numeric),
    # 14 March 2027, 14th of March, 14. März
    (rf"{_DAY} ?(?:of )?{_MONTH}(?: {_YEAR})?", _named_month_date),
    # March 14, March 14th 2027 (the comma is gone by now), March the 14th
    (rf"{_MONTH} ?(?:the )?{_DAY}(?: (?P<y>[0-9]{{4}}))?", _named_month_date),
])  # fmt: skip

RULES: Final = ABSOLUTE_RULES + _rules([
    # today, morgen, übermorgen
    (rf"(?P<w>{_words(RELATIVE_DAYS)})", _relative_day),
    # in 3 days, in a week, in zwei Wochen, 2 weeks from now
    (rf"in {_COUNT} {_UNIT}", _in_amount),
    (rf"{_COUNT} {_UNIT} from (?:now|today)", _in_amount),
    # Monatsende, Jahresende
    (rf"(?P<word>{_words(COMPOUNDS)})", _compound),
    # end of the month, Ende März, mid-March, Anfang nächsten Monats
    (rf"(?P<pos>{_words(POSITIONS)})[- ]?(?P<period>.+)", _positioned),
    # next week, nächsten Monat, next year
    (rf"(?P<period>{_words(p for p, (_, offset) in PERIODS.items() if offset == 1)})",
     _next_period),
    # friday next week, Freitag nächster Woche, nächste Woche am Freitag
    (rf"{_WEEKDAY} (?:(?:of|in) )?{_WEEK}", _weekday_in_week),
    (rf"{_WEEK} (?:(?:on|am) )?{_WEEKDAY}", _weekday_in_week),
    # friday, next friday, nächsten Freitag
    (rf"(?:{_words(WEEKDAY_MODIFIERS)} )?{_WEEKDAY}", _weekday),
    # Friday, 14 March 2027
    (rf"{_WEEKDAY} (?P<rest>.+)", _weekday_and_date),
])  # fmt: skip


# --- Entry point -------------------------------------------------------------------------

_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_FILLERS: Final = re.compile(r"(?:(?:on|am|by|until|till|bis|zum|the|den) )+")


def _normalize(text: str) -> str:
    """One spelling for the patterns: lower case, ae/oe/ue/ss, single blanks, no fillers."""
    folded = " ".join(text.lower().translate(_UMLAUTS).replace(",", " ").split())
    folded = folded.removesuffix(".").rstrip()
    filler = _FILLERS.match(folded)
    return folded[filler.end() :] if filler else folded


def _first_match(
    rules: Iterable[Rule], text: str, today: datetime.date, lang: str
) -> datetime.date | None:
    """The first pattern matching the whole text decides, even if it decides None."""
    for pattern, handler in rules:
        match = pattern.fullmatch(text)
        if match is not None:
            return handler(match, today, lang)
    return None


def parse_date(text: str, today: datetime.date, lang: str) -> datetime.date | None:
    """The date `text` names as seen from `today`, or None if it names none.

    `lang` ("en"/"de") only settles US-style slash dates (see the module docstring); words of
    both languages are always understood. Never raises, whatever the user typed.
    """
    if not isinstance(text, str):
        return None
    if isinstance(today, datetime.datetime):
        today = today.date()  # a datetime would not compare with the dates we build
    cleaned = _normalize(text)
    if not cleaned or len(cleaned) > MAX_LENGTH:
        return None
    try:
        return _first_match(RULES, cleaned, today, lang)
    except (ValueError, OverflowError):
        return None  # arithmetic beyond year 9999 ("in 9999 years"): no such date
