"""parse_date: the dates mentees type, in English and German (dialogs/dates.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.dates import parse_date

SAT = date(2026, 11, 21)  # a Saturday: "end of the week" is already over
FRI = date(2026, 11, 20)

CASES: list[tuple[str, date, str, date | None]] = [
    # --- numeric ---------------------------------------------------------------------------
    ("2027-03-14", SAT, "en", date(2027, 3, 14)),
    ("2027-03-14", SAT, "de", date(2027, 3, 14)),
    ("2027-3-4", SAT, "en", date(2027, 3, 4)),
    ("2027/04/03", SAT, "en", date(2027, 4, 3)),
    ("14.03.2027", SAT, "de", date(2027, 3, 14)),
    ("14.3.27", SAT, "de", date(2027, 3, 14)),
    ("14.3.", SAT, "de", date(2027, 3, 14)),
    ("14.3", SAT, "de", date(2027, 3, 14)),
    ("14. 3. 2027", SAT, "de", date(2027, 3, 14)),
    ("14/03/2027", SAT, "en", date(2027, 3, 14)),
    ("14/3", SAT, "en", date(2027, 3, 14)),
    ("14-03-2027", SAT, "en", date(2027, 3, 14)),
    ("3/4/2027", SAT, "en", date(2027, 4, 3)),
    ("3/4/2027", SAT, "de", date(2027, 4, 3)),
    ("3.4.2027", SAT, "de", date(2027, 4, 3)),
    ("3.4.2027", SAT, "en", date(2027, 4, 3)),
    ("12/25/2026", SAT, "en", date(2026, 12, 25)),  # only US order works: en accepts it
    ("12/25/2026", SAT, "de", None),
    ("25.12.", SAT, "de", date(2026, 12, 25)),
    ("21.11.", SAT, "de", SAT),  # today is not in the past
    ("20.11.", SAT, "de", date(2027, 11, 20)),
    ("1.1.", SAT, "de", date(2027, 1, 1)),
    ("29.2.", SAT, "de", date(2028, 2, 29)),  # the next leap year
    ("29.02.2028", SAT, "de", date(2028, 2, 29)),
    ("1.1.99", SAT, "de", date(1999, 1, 1)),  # two-digit window around today
    ("1.1.76", SAT, "de", date(1976, 1, 1)),  # today.year - 50
    ("1.1.75", SAT, "de", date(2075, 1, 1)),  # today.year + 49
    ("1.1.00", SAT, "de", date(2000, 1, 1)),
    ("1.1.1900", SAT, "de", date(1900, 1, 1)),
    ("31.12.2200", SAT, "de", date(2200, 12, 31)),
    ("  14.03.2027.  ", SAT, "de", date(2027, 3, 14)),
    # --- month names -----------------------------------------------------------------------
    ("14 March 2027", SAT, "en", date(2027, 3, 14)),
    ("March 14", SAT, "en", date(2027, 3, 14)),
    ("March 14th, 2027", SAT, "en", date(2027, 3, 14)),
    ("March the 14th", SAT, "en", date(2027, 3, 14)),
    ("14th of March", SAT, "en", date(2027, 3, 14)),
    ("the 14th of March", SAT, "en", date(2027, 3, 14)),
    ("on 14 March", SAT, "en", date(2027, 3, 14)),
    ("14 Mar 2027", SAT, "en", date(2027, 3, 14)),
    ("14 march 27", SAT, "en", date(2027, 3, 14)),
    ("mar 14", SAT, "en", date(2027, 3, 14)),
    ("1st of December", SAT, "en", date(2026, 12, 1)),
    ("Dec 24", SAT, "en", date(2026, 12, 24)),
    ("december 2nd", SAT, "en", date(2026, 12, 2)),
    ("may 5th", SAT, "en", date(2027, 5, 5)),
    ("Sept. 3rd", SAT, "en", date(2027, 9, 3)),
    ("November 21", SAT, "en", SAT),
    ("14. März 2027", SAT, "de", date(2027, 3, 14)),
    ("14. März", SAT, "de", date(2027, 3, 14)),
    ("am 14. März", SAT, "de", date(2027, 3, 14)),
    ("14. Maerz", SAT, "de", date(2027, 3, 14)),
    ("14. Mrz 2027", SAT, "de", date(2027, 3, 14)),
    ("14. MÄRZ 2027.", SAT, "de", date(2027, 3, 14)),
    ("den 24. Dezember", SAT, "de", date(2026, 12, 24)),
    ("3. Okt.", SAT, "de", date(2027, 10, 3)),
    ("5. Mai", SAT, "de", date(2027, 5, 5)),
    ("1. Jänner 2027", SAT, "de", date(2027, 1, 1)),
    ("14. März 2027", SAT, "en", date(2027, 3, 14)),  # German words with lang=en
    ("14 March", SAT, "de", date(2027, 3, 14)),  # English words with lang=de
    # --- relative days ---------------------------------------------------------------------
    ("today", SAT, "en", SAT),
    ("Today.", SAT, "en", SAT),
    ("heute", SAT, "de", SAT),
    ("tomorrow", SAT, "en", date(2026, 11, 22)),
    ("morgen", SAT, "de", date(2026, 11, 22)),
    ("bis morgen", SAT, "de", date(2026, 11, 22)),
    ("day after tomorrow", SAT, "en", date(2026, 11, 23)),
    ("the day after tomorrow", SAT, "en", date(2026, 11, 23)),
    ("übermorgen", SAT, "de", date(2026, 11, 23)),
    ("Uebermorgen", SAT, "de", date(2026, 11, 23)),
    ("yesterday", SAT, "en", date(2026, 11, 20)),
    ("gestern", SAT, "de", date(2026, 11, 20)),
    ("tomorrow", date(2026, 12, 31), "en", date(2027, 1, 1)),
    # --- in N units ------------------------------------------------------------------------
    ("in 3 days", SAT, "en", date(2026, 11, 24)),
    ("in 3 weeks", SAT, "en", date(2026, 12, 12)),
    ("in 3 months", SAT, "en", date(2027, 2, 21)),
    ("in 3 years", SAT, "en", date(2029, 11, 21)),
    ("in a week", SAT, "en", date(2026, 11, 28)),
    ("in two weeks", SAT, "en", date(2026, 12, 5)),
    ("in twelve months", SAT, "en", date(2027, 11, 21)),
    ("in 0 days", SAT, "en", SAT),
    ("2 weeks from now", SAT, "en", date(2026, 12, 5)),
    ("in a fortnight", SAT, "en", date(2026, 12, 5)),
    ("in 3 Tagen", SAT, "de", date(2026, 11, 24)),
    ("in 3 Wochen", SAT, "de", date(2026, 12, 12)),
    ("in 3 Monaten", SAT, "de", date(2027, 2, 21)),
    ("in 3 Jahren", SAT, "de", date(2029, 11, 21)),
    ("in einer Woche", SAT, "de", date(2026, 11, 28)),
    ("in zwei Wochen", SAT, "de", date(2026, 12, 5)),
    ("in einem Monat", SAT, "de", date(2026, 12, 21)),
    ("in einem Jahr", SAT, "de", date(2027, 11, 21)),
    ("in zwölf Monaten", SAT, "de", date(2027, 11, 21)),
    ("in fünf Tagen", SAT, "de", date(2026, 11, 26)),
    ("in 1 month", date(2027, 1, 31), "en", date(2027, 2, 28)),  # clamped
    ("in einem Monat", date(2028, 1, 31), "de", date(2028, 2, 29)),  # leap year
    ("in 1 year", date(2028, 2, 29), "en", date(2029, 2, 28)),
    ("in 13 months", date(2026, 1, 31), "en", date(2027, 2, 28)),
    ("in 9999 years", SAT, "en", None),  # past year 9999
    # --- weekdays (nearest after today, today excluded) -------------------------------------
    ("friday", SAT, "en", date(2026, 11, 27)),
    ("Friday", SAT, "en", date(2026, 11, 27)),
    ("fri", SAT, "en", date(2026, 11, 27)),
    ("on friday", SAT, "en", date(2026, 11, 27)),
    ("next friday", SAT, "en", date(2026, 11, 27)),
    ("this friday", SAT, "en", date(2026, 11, 27)),
    ("freitag", SAT, "de", date(2026, 11, 27)),
    ("am freitag", SAT, "de", date(2026, 11, 27)),
    ("nächsten freitag", SAT, "de", date(2026, 11, 27)),
    ("kommenden Freitag", SAT, "de", date(2026, 11, 27)),
    ("diesen Freitag", SAT, "de", date(2026, 11, 27)),
    ("am kommenden Freitag", SAT, "de", date(2026, 11, 27)),
    ("saturday", SAT, "en", date(2026, 11, 28)),  # today is Saturday: a week ahead
    ("Samstag", SAT, "de", date(2026, 11, 28)),
    ("sunday", SAT, "en", date(2026, 11, 22)),
    ("Montag", SAT, "de", date(2026, 11, 23)),
    ("mon", SAT, "en", date(2026, 11, 23)),
    ("friday", FRI, "en", date(2026, 11, 27)),
    ("this friday", FRI, "en", date(2026, 11, 27)),
    ("wednesday", FRI, "en", date(2026, 11, 25)),
    ("friday next week", SAT, "en", date(2026, 11, 27)),
    ("friday next week", FRI, "en", date(2026, 11, 27)),
    ("monday next week", FRI, "en", date(2026, 11, 23)),
    ("Freitag nächster Woche", date(2026, 11, 16), "de", date(2026, 11, 27)),
    ("nächste Woche am Freitag", date(2026, 11, 16), "de", date(2026, 11, 27)),
    ("friday this week", date(2026, 11, 16), "en", date(2026, 11, 20)),
    ("Friday, 27 November 2026", SAT, "en", date(2026, 11, 27)),
    ("Fr., 27.11.2026", SAT, "de", None),  # "fr" is no weekday word here
    ("Freitag, 27.11.2026", SAT, "de", date(2026, 11, 27)),
    ("Freitag, 28.11.2026", SAT, "de", None),  # weekday disagrees with the date
    # --- weeks, months, years --------------------------------------------------------------
    ("next week", SAT, "en", date(2026, 11, 23)),
    ("nächste Woche", SAT, "de", date(2026, 11, 23)),
    ("next week", date(2026, 12, 31), "en", date(2027, 1, 4)),
    ("end of the week", SAT, "en", date(2026, 11, 27)),  # this Friday is over
    ("end of the week", FRI, "en", FRI),
    ("end of the week", date(2026, 11, 16), "en", date(2026, 11, 20)),
    ("Ende der Woche", date(2026, 11, 16), "de", date(2026, 11, 20)),
    ("end of next week", date(2026, 11, 16), "en", date(2026, 11, 27)),
    ("end of the month", SAT, "en", date(2026, 11, 30)),
    ("by the end of the month", SAT, "en", date(2026, 11, 30)),
    ("Ende des Monats", SAT, "de", date(2026, 11, 30)),
    ("Monatsende", SAT, "de", date(2026, 11, 30)),
    ("zum Monatsende", SAT, "de", date(2026, 11, 30)),
    ("end of the month", date(2027, 1, 31), "en", date(2027, 1, 31)),
    ("end of the month", date(2028, 2, 10), "en", date(2028, 2, 29)),
    ("end of next month", SAT, "en", date(2026, 12, 31)),
    ("end of next month", date(2027, 1, 31), "en", date(2027, 2, 28)),
    ("Ende nächsten Monats", SAT, "de", date(2026, 12, 31)),
    ("end of March", SAT, "en", date(2027, 3, 31)),
    ("Ende März", SAT, "de", date(2027, 3, 31)),
    ("bis Ende März 2027", SAT, "de", date(2027, 3, 31)),
    ("end of November", SAT, "en", date(2026, 11, 30)),
    ("Ende Februar", date(2027, 3, 1), "de", date(2028, 2, 29)),
    ("end of the year", SAT, "en", date(2026, 12, 31)),
    ("Jahresende", SAT, "de", date(2026, 12, 31)),
    ("Ende des Jahres", SAT, "de", date(2026, 12, 31)),
    ("end of the year", date(2026, 12, 31), "en", date(2026, 12, 31)),
    ("end of next year", SAT, "en", date(2027, 12, 31)),
    ("mid March", SAT, "en", date(2027, 3, 15)),
    ("mid-march", SAT, "en", date(2027, 3, 15)),
    ("middle of March", SAT, "en", date(2027, 3, 15)),
    ("Mitte März", SAT, "de", date(2027, 3, 15)),
    ("mid November", SAT, "en", date(2027, 11, 15)),  # this year's is over
    ("Mitte des Monats", SAT, "de", date(2026, 12, 15)),
    ("beginning of April", SAT, "en", date(2027, 4, 1)),
    ("start of april", SAT, "en", date(2027, 4, 1)),
    ("Anfang April", SAT, "de", date(2027, 4, 1)),
    ("Anfang des Monats", SAT, "de", date(2026, 12, 1)),
    ("Anfang Dezember", SAT, "de", date(2026, 12, 1)),
    ("next month", SAT, "en", date(2026, 12, 1)),
    ("nächsten Monat", SAT, "de", date(2026, 12, 1)),
    ("next month", date(2026, 12, 31), "en", date(2027, 1, 1)),
    ("next year", SAT, "en", date(2027, 1, 1)),
    ("nächstes Jahr", SAT, "de", date(2027, 1, 1)),
    # --- not dates -------------------------------------------------------------------------
    ("", SAT, "en", None),
    ("   ", SAT, "en", None),
    (".", SAT, "en", None),
    ("garbage", SAT, "en", None),
    ("31.02.2027", SAT, "de", None),
    ("31.02.2027", SAT, "en", None),
    ("31.04.", SAT, "de", None),
    ("29.02.2027", SAT, "de", None),
    ("14.13.2027", SAT, "de", None),
    ("32.1.2027", SAT, "de", None),
    ("0.0.", SAT, "de", None),
    ("2027-02-30", SAT, "en", None),
    ("1.1.1899", SAT, "de", None),
    ("1.1.2201", SAT, "de", None),
    ("1899-12-31", SAT, "en", None),
    ("2201-01-01", SAT, "en", None),
    ("1.1.202", SAT, "de", None),
    ("3-4", SAT, "en", None),
    ("14", SAT, "en", None),
    ("March", SAT, "en", None),
    ("next blursday", SAT, "en", None),
    ("next next friday", SAT, "en", None),
    ("friday 14th", SAT, "en", None),
    ("{{ 7*7 }}", SAT, "en", None),
    ("<b>tomorrow</b>", SAT, "en", None),
    ("tomorrow at 10", SAT, "en", None),
    ("in 3 hours", SAT, "en", None),
    ("in blue days", SAT, "en", None),
    ("end of", SAT, "en", None),
    ("Ende der Welt", SAT, "de", None),
    ("midnight", SAT, "en", None),
    ("the", SAT, "en", None),
    ("am", SAT, "de", None),
    ("🗓️ tomorrow", SAT, "en", None),
    ("\x00", SAT, "en", None),
    ("a" * 10_000, SAT, "en", None),
    ("tomorrow" + " " * 10_000, SAT, "en", date(2026, 11, 22)),
]


@pytest.mark.parametrize(("text", "today", "lang", "expected"), CASES)
def test_parse_date(text: str, today: date, lang: str, expected: date | None) -> None:
    assert parse_date(text, today, lang) == expected


def test_datetime_as_today_is_treated_as_its_date() -> None:
    result = parse_date("tomorrow", datetime(2026, 11, 21, 23, 59, tzinfo=UTC), "en")
    assert result == date(2026, 11, 22)
    assert type(result) is date


# Words and numbers the parser knows, glued at random: reaches the handlers (and their date
# arithmetic at the edges of the calendar) far more often than arbitrary text does.
TOKENS = [
    "in", "9999", "99", "0", "1", "12", "29", "31", "29.2.", "31.12.9999", "1.1.", "2200",
    "days", "weeks", "months", "years", "tagen", "monaten", "a", "einem", "zwölf",
    "end of", "ende", "mitte", "anfang", "mid-", "beginning of", "the", "next", "this",
    "month", "year", "week", "nächsten", "monats", "jahres", "woche", "des", "der",
    "march", "märz", "feb", "friday", "freitag", "monatsende", "jahresende", "today",
    "morgen", "übermorgen", "from now", "on", "am", "bis", "/", ".", "-", ",", "th",
]  # fmt: skip
phrases = st.lists(st.sampled_from(TOKENS), max_size=6).map(" ".join)
langs = st.sampled_from(["en", "de"])


@settings(database=None)
@given(text=st.text(), today=st.dates(), lang=langs)
def test_never_raises_on_any_text(text: str, today: date, lang: str) -> None:
    result = parse_date(text, today, lang)
    assert result is None or type(result) is date


@settings(database=None)
@given(text=phrases, today=st.dates(), lang=langs)
def test_never_raises_on_near_dates(text: str, today: date, lang: str) -> None:
    result = parse_date(text, today, lang)
    assert result is None or type(result) is date


@settings(database=None)
@given(text=phrases, today=st.dates(), lang=langs)
def test_case_and_surrounding_blanks_do_not_matter(text: str, today: date, lang: str) -> None:
    assert parse_date(f"  {text.upper()} \t", today, lang) == parse_date(text, today, lang)


@settings(database=None)
@given(
    day=st.integers(1, 31),
    month=st.integers(1, 12),
    today=st.dates(date(1900, 1, 1), date(2199, 12, 31)),
)
def test_dates_without_a_year_are_never_in_the_past(day: int, month: int, today: date) -> None:
    for text in (f"{day}.{month}.", f"{day}/{month}"):
        result = parse_date(text, today, "de")
        assert result is None or (result >= today and (result.day, result.month) == (day, month))
