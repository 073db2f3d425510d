"""A programme's defaults (`coachbot programme create … --checkin --length --digest --lang
--timezone`): read from the operator's words once, stored as JSON in programmes.defaults, and read
back wherever a member joins or a pair is made. A member can still change their own rhythm later.

Keys: language, timezone, checkin (a Rhythm's JSON: each member's check-in rule), digest (a
Rhythm's JSON: each mentor's digest rule), length_days (how long a pairing lasts)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfoNotFoundError

from prompts.catalog import LANGUAGES
from service.schedule.rhythm import Rhythm, zone_info
from service.schedule.typed import Off, parse_rhythm
from storage.vocabulary import JSONObject

LENGTH = re.compile(r"^\s*(\d{1,4})\s*(mo|m|w|d)\s*$", re.IGNORECASE)
DAYS_PER = {"mo": 30, "m": 30, "w": 7, "d": 1}
MAX_LENGTH_DAYS = 3 * 366


class DefaultsError(ValueError):
    """A default the operator typed that cannot be used (the message says which and why)."""


def parse_length(text: str) -> int:
    """"6mo", "26w", "180d" → days (a month counts 30 days); DefaultsError otherwise."""
    found = LENGTH.match(text)
    if found is None:
        raise DefaultsError(f"cannot read length {text!r}; write e.g. 6mo, 26w or 180d")
    days = int(found.group(1)) * DAYS_PER[found.group(2).lower()]
    if not 1 <= days <= MAX_LENGTH_DAYS:
        raise DefaultsError(f"length {text!r} must be between 1 day and 3 years")
    return days


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
    length_days: int | None = None

    @classmethod
    def parse(cls, *, today: date, checkin: str | None = None, length: str | None = None,
              digest: str | None = None, language: str | None = None,
              timezone: str | None = None) -> ProgrammeDefaults:
        """From the CLI's options; DefaultsError names the first one that cannot be used."""
        if language is not None and language not in LANGUAGES:
            raise DefaultsError(f"no language {language!r}; there are: {', '.join(LANGUAGES)}")
        if timezone is not None:
            try:
                zone_info(timezone)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise DefaultsError(f"no time zone called {timezone!r} (e.g. Europe/Berlin)") from error
        return cls(language, timezone,
                   None if checkin is None else _rhythm("--checkin", checkin, today),
                   None if digest is None else _rhythm("--digest", digest, today),
                   None if length is None else parse_length(length))

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

        language, zone, length = (defaults.get("language"), defaults.get("timezone"),
                                  defaults.get("length_days"))
        return cls(language if isinstance(language, str) and language in LANGUAGES else None,
                   zone if isinstance(zone, str) else None, rhythm("checkin"), rhythm("digest"),
                   length if isinstance(length, int) and not isinstance(length, bool) else None)

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
        if self.length_days is not None:
            data["length_days"] = self.length_days
        return data

    def ends_on(self, started: date) -> date | None:
        """When a pairing started today ends by the programme's length (None: no length)."""
        return None if self.length_days is None else started + timedelta(days=self.length_days)
