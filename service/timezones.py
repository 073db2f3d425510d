"""Time zones as people name them: IANA names in any letter case, a fixed offset ("UTC+2",
"GMT-5", "+02:00"), a zone's city ("new york"), a place of the catalog's
(`common.settings.places`: "Wien", "Munich", "Schweiz", "UK"), or about the time their clock shows
(read by service.schedule.typed.parse_time, as every typed time of day is)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from prompts.catalog import Catalog, spellings
from service.schedule.typed import parse_time

COMMON_TIMEZONES = ("Europe/Berlin", "Europe/London", "Europe/Vienna", "Europe/Zurich",
                    "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "UTC")

#: Catalog lists of the places people name for a zone, one per zone: `<PLACES>.<IANA name>`.
PLACES = "common.settings.places"

#: A fixed offset as people write it: "UTC+2", "GMT-5", "utc +5:00", "+02:00" (whole hours).
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+\-\u2212])\s*(\d{1,2})(?::?00)?", re.IGNORECASE)
#: How far a zone's clock may be from the time typed and still be the one meant: people say a
#: round hour or half hour.
NEAR = timedelta(minutes=30)
_DAY = timedelta(days=1)
#: The tz database's fixed-offset zones: POSIX signs, so Etc/GMT-2 is two hours AHEAD of UTC.
_ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")


@cache
def _names() -> dict[str, str]:
    """Every IANA zone name by its lower-case form (the tz database is read once per process)."""
    return {name.lower(): name for name in available_timezones()}


@cache
def _candidates() -> tuple[tuple[str, ZoneInfo], ...]:
    """Zones a clock time may name, common ones first, loaded once and held: ZoneInfo would
    otherwise forget and reread them, and a lookup inside a write transaction must not read files."""
    names = dict.fromkeys([*COMMON_TIMEZONES, *sorted(_names().values())])
    return tuple((name, ZoneInfo(name)) for name in names
                 if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")))


def load_zones() -> None:
    """Read the tz database now (at start-up, outside any transaction) instead of on first use."""
    _candidates()
    _cities()


def _offsets_at(moment: datetime) -> dict[timedelta, str]:
    """Per UTC offset, the first zone showing it at `moment`, in the candidates' order (so the
    map's order is one of preference too: common zones' offsets first)."""
    zones: dict[timedelta, str] = {}
    for name, zone in _candidates():
        offset = moment.astimezone(zone).utcoffset()
        if offset is not None:
            zones.setdefault(offset, name)
    return zones


#: Per UTC offset, the first zone showing it in the quarter hour from a moment on. Clocks change
#: on a quarter hour (UTC), so one map serves the whole quarter.
_zone_by_offset = lru_cache(maxsize=4)(_offsets_at)


@cache
def _cities() -> dict[str, str]:
    """Zones by each spelling of their city ("london", "new york", "zurich"): the last part of
    the name."""
    cities: dict[str, str] = {}
    for name, _ in _candidates():
        for form in spellings(name.rsplit("/", 1)[-1]):
            cities.setdefault(form, name)
    return cities


def zone_for_city(text: str) -> str | None:
    """The zone named after this city (any letter case, accents, spaces or underscores), if
    there is one."""
    return next((zone for form in spellings(text) if (zone := _cities().get(form))), None)


@lru_cache(maxsize=4)
def places(catalog: Catalog) -> dict[str, str]:
    """Zones by each spelling of the places the catalog names for them, in every language (a
    German speaker may write "Munich"); a list under a name that is no zone is left out."""
    prefix = PLACES + "."
    found: dict[str, str] = {}
    for texts in catalog.texts.values():
        for key, names in texts.items():
            zone = _names().get(key.removeprefix(prefix).lower()) if key.startswith(prefix) else None
            if zone is None or not isinstance(names, list):
                continue
            for name in names:
                for form in spellings(str(name)):
                    found.setdefault(form, zone)
    return found


def zone_named(text: str, catalog: Catalog) -> str | None:
    """The zone `text` names: an IANA name, a place of the catalog's, or a zone's city. A
    place comes before the tz database's old names of whole countries ("Japan", "Poland"), so
    the zone chosen is a region's (Asia/Tokyo, Europe/Warsaw) as the confirmation names it."""
    if len(text) > 64:
        return None
    zone = parse_timezone(text)
    if zone is not None and ("/" in zone or zone == "UTC"):
        return zone
    named = places(catalog)
    return (next((named[form] for form in spellings(text) if form in named), None)
            or zone_for_city(text) or zone)


def parse_timezone(text: str) -> str | None:
    """The canonical IANA name for `text` (any letter case), or None when there is none."""
    name = text.strip().replace(" ", "_")
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return None
    if name.upper() == "UTC":
        return "UTC"
    offset = _OFFSET.fullmatch(text.strip())
    if offset is not None:
        return _offset_zone(offset[1] == "+", int(offset[2]))
    zone = _names().get(name.lower())
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def _offset_zone(ahead: bool, hours: int) -> str | None:
    """The Etc zone `hours` ahead of (or behind) UTC, its sign inverted as the tz database has
    it; UTC itself for no offset; None beyond the offsets any clock shows (-12 to +14)."""
    if hours == 0:
        return "UTC"
    if hours > (14 if ahead else 12):
        return None
    return f"Etc/GMT{'-' if ahead else '+'}{hours}"


def fixed_offset(zone: str) -> bool:
    """`zone` is a fixed offset from UTC (an Etc/GMT±N zone), which no summer time moves."""
    return _ETC_OFFSET.fullmatch(zone) is not None


def zone_label(zone: str) -> str:
    """A zone as shown to people: its IANA name, but a fixed offset as they write it ("UTC+2"
    for Etc/GMT-2, whose sign would read backwards)."""
    found = _ETC_OFFSET.fullmatch(zone)
    if found is None:
        return zone
    return f"UTC{'+' if found[1] == '-' else '-'}{int(found[2])}"


def reads_as_time(text: str) -> bool:
    """`text` is a time of day (14:30, 9.15, 2:30 pm, 3pm, 15 Uhr), whether or not some zone
    shows it now."""
    return parse_time(text) is not None


def zone_for_local_time(text: str, now: datetime) -> str | None:
    """The time zone whose clock shows about `text` (a time of day as `parse_time` reads it)
    now: people say a round hour or half hour ("5pm" at 17:21), so a clock up to `NEAR` either
    side of it counts. The closest clock wins (at 11:50 UTC, "17:00" is UTC+5's 16:50 rather
    than India's 17:20); of two as close, the one whose zone comes first (common zones are
    preferred)."""
    at = parse_time(text)
    if at is None:
        return None
    utc = now.astimezone(UTC).replace(second=0, microsecond=0)
    typed = utc.replace(hour=at.hour, minute=at.minute) - utc
    found = _closest(_zone_by_offset(utc.replace(minute=utc.minute // 15 * 15)), typed)
    if found is not None and now.astimezone(ZoneInfo(found[1])).utcoffset() != found[0]:
        # Its clock changed within this quarter hour (no zone does so today): look at this moment.
        found = _closest(_offsets_at(now), typed)
    return found[1] if found is not None else None


def _closest(zones: dict[timedelta, str], typed: timedelta) -> tuple[timedelta, str] | None:
    """Of the offsets whose clock is within `NEAR` of `typed` (an offset, a day either way the
    same clock), the closest; of two as close, the one the map names first."""
    def gap(offset: timedelta) -> timedelta:
        return abs((offset - typed + _DAY / 2) % _DAY - _DAY / 2)

    near = [(gap(offset), rank, offset) for rank, offset in enumerate(zones)
            if gap(offset) <= NEAR]
    if not near:
        return None
    _, _, offset = min(near)
    return offset, zones[offset]
