"""A programme's defaults (`coachbot programme create … --checkin --length --digest --lang
--timezone --cohort-checkin`, changed later by `coachbot programme set`): read from the operator's
words once, stored as JSON in programmes.defaults, and read back wherever a member joins or a pair
is made. A member can still change their own rhythm later.

Keys: language, timezone, checkin (a Rhythm's JSON: each member's check-in rule), digest (a
Rhythm's JSON: each mentor's digest rule), length (how long a pairing lasts, as the operator wrote
it: "6mo"; a programme made before kept length_days, a number of days), cohort_checkin (a Rhythm's
JSON: the programme's own recurring check-in for its mentees, service.programmes.broadcasts)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from dialogs.dates import add_months
from prompts.catalog import LANGUAGES, default_catalog
from service.schedule.rhythm import Rhythm
from service.schedule.typed import Off, parse_rhythm
from service.timezones import zone_named
from storage.vocabulary import JSONObject

LENGTH = re.compile(r"^\s*(\d{1,4})\s*(mo|m|w|d|y)\s*$", re.IGNORECASE)
Unit = Literal["day", "week", "month", "year"]
UNITS: dict[str, Unit] = {"d": "day", "w": "week", "mo": "month", "m": "month", "y": "year"}
SHORT: dict[Unit, str] = {"day": "d", "week": "w", "month": "mo", "year": "y"}
MAX_LENGTH_DAYS = 3 * 366
COHORT_CHECKIN = "cohort_checkin"  # the key service.programmes.broadcasts plans from
OFF = "off"  # `programme set --cohort-checkin off`: the programme has none any more


class DefaultsError(ValueError):
    """A default the operator typed that cannot be used (the message says which and why)."""


@dataclass(frozen=True)
class Length:
    """A length as the operator wrote it: so many days, weeks, calendar months or years. "6mo"
    from 1 December ends on 1 June, as the agreement's "in 6 months" does (not 180 days later)."""

    count: int
    unit: Unit

    def after(self, start: date) -> date:
        """The day this length after `start` (a month's day clamped: 31 August + 6mo is the last
        of February)."""
        if self.unit in ("month", "year"):
            return add_months(start, self.count * (12 if self.unit == "year" else 1))
        return start + timedelta(days=self.count * (7 if self.unit == "week" else 1))

    def days_from(self, start: date) -> int:
        return (self.after(start) - start).days

    def __str__(self) -> str:
        return f"{self.count}{SHORT[self.unit]}"


def parse_length(text: str) -> Length:
    """"6mo", "1y", "26w", "180d" → a Length (months and years on the calendar); DefaultsError
    otherwise."""
    found = LENGTH.match(text)
    if found is None:
        raise DefaultsError(f"cannot read length {text!r}; write e.g. 6mo, 26w or 180d")
    length = Length(int(found.group(1)), UNITS[found.group(2).lower()])
    # The longest a length can be from any start: from 1 January of a year before a leap year.
    if length.count < 1 or length.days_from(date(2003, 1, 1)) > MAX_LENGTH_DAYS:
        raise DefaultsError(f"length {text!r} must be between 1 day and 3 years")
    return length


def _stored_length(text: object, days: object) -> Length | None:
    """The length a programme's defaults hold: its text, or the days one made before kept."""
    if isinstance(text, str):
        try:
            return parse_length(text)
        except DefaultsError:
            return None
    if isinstance(days, int) and not isinstance(days, bool) and days > 0:
        return Length(days, "day")
    return None


def _rhythm(option: str, text: str, today: date) -> Rhythm:
    parsed = parse_rhythm(text, today)
    if parsed is None or isinstance(parsed, Off):
        raise DefaultsError(f"cannot read {option} {text!r}; write e.g. \"mon 18:00\"")
    return parsed


@dataclass(frozen=True)
class ProgrammeDefaults:
    """What a programme gives each new member and pair (None: nothing given, the bot's own)."""

    language: str | None = None
    timezone: str | None = None
    checkin: Rhythm | None = None
    digest: Rhythm | None = None
    length: Length | None = None
    cohort_checkin: Rhythm | None = None

    @classmethod
    def parse(cls, *, today: date, checkin: str | None = None, length: str | None = None,
              digest: str | None = None, language: str | None = None,
              timezone: str | None = None, cohort_checkin: str | None = None) -> ProgrammeDefaults:
        """From the CLI's options; DefaultsError names the first one that cannot be used."""
        if language is not None and language not in LANGUAGES:
            raise DefaultsError(f"no language {language!r}; there are: {', '.join(LANGUAGES)}")
        # As /settings reads them: IANA names, places ("Wien", "Munich"), cities, "UTC+2".
        zone = None if timezone is None else zone_named(timezone, default_catalog())
        if timezone is not None and zone is None:
            raise DefaultsError(f"no time zone called {timezone!r}: write a zone or a place (e.g. "
                                "Europe/Berlin, Wien, London) or an offset (UTC+2)")
        return cls(language, zone,
                   None if checkin is None else _rhythm("--checkin", checkin, today),
                   None if digest is None else _rhythm("--digest", digest, today),
                   None if length is None else parse_length(length),
                   None if cohort_checkin is None else _rhythm("--cohort-checkin", cohort_checkin,
                                                               today))

    @classmethod
    def of(cls, defaults: JSONObject) -> ProgrammeDefaults:
        """Read back what `to_json` stored (a value that no longer reads is left out)."""
        def rhythm(key: str) -> Rhythm | None:
            value = defaults.get(key)
            if not isinstance(value, dict):
                return None
            try:
                return Rhythm.from_json(value)
            except ValueError:
                return None

        language, zone = defaults.get("language"), defaults.get("timezone")
        return cls(language if isinstance(language, str) and language in LANGUAGES else None,
                   zone if isinstance(zone, str) else None, rhythm("checkin"), rhythm("digest"),
                   _stored_length(defaults.get("length"), defaults.get("length_days")),
                   rhythm(COHORT_CHECKIN))

    def to_json(self) -> JSONObject:
        data: JSONObject = {}
        if self.language is not None:
            data["language"] = self.language
        if self.timezone is not None:
            data["timezone"] = self.timezone
        if self.checkin is not None:
            data["checkin"] = self.checkin.to_json()
        if self.digest is not None:
            data["digest"] = self.digest.to_json()
        if self.length is not None:
            data["length"] = str(self.length)
        if self.cohort_checkin is not None:
            data[COHORT_CHECKIN] = self.cohort_checkin.to_json()
        return data

    def ends_on(self, started: date) -> date | None:
        """When a pairing started on `started` ends by the programme's length (None: no length)."""
        return None if self.length is None else self.length.after(started)


def changed_defaults(stored: JSONObject, *, today: date, checkin: str | None = None,
                     length: str | None = None, digest: str | None = None,
                     language: str | None = None, timezone: str | None = None,
                     cohort_checkin: str | None = None) -> JSONObject:
    """`stored` with the options given read as `create` reads them (DefaultsError names the
    first that cannot be used) and put in their place; `cohort_checkin` "off" removes it. What
    was not given, and any key this module does not know, stays as it was."""
    off = cohort_checkin is not None and cohort_checkin.strip().casefold() == OFF
    given = ProgrammeDefaults.parse(today=today, checkin=checkin, length=length, digest=digest,
                                    language=language, timezone=timezone,
                                    cohort_checkin=None if off else cohort_checkin).to_json()
    changed = {**stored, **given}
    if length is not None:
        changed.pop("length_days", None)  # the days an older programme kept: replaced
    if off:
        changed.pop(COHORT_CHECKIN, None)
    return changed
