"""Time zones as people name them: IANA names in any letter case, or the time their clock shows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

COMMON_TIMEZONES = ("Europe/Berlin", "Europe/London", "Europe/Vienna", "Europe/Zurich",
                    "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "UTC")

_CLOCK_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*(am|pm)?\s*$", re.IGNORECASE)


def parse_timezone(text: str) -> str | None:
    """The canonical IANA name for `text` (any letter case), or None when there is none."""
    name = text.strip().replace(" ", "_")
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return None
    if name.upper() == "UTC":
        return "UTC"
    lowered = name.lower()
    for zone in available_timezones():
        if zone.lower() == lowered:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                return None
            return zone
    return None


def zone_for_local_time(text: str, now: datetime) -> str | None:
    """A time zone whose clock shows `text` (HH:MM) now; common zones are preferred."""
    match = _CLOCK_TIME.match(text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if match[3]:
        hour = hour % 12 + (12 if match[3].lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    utc = now.astimezone(ZoneInfo("UTC"))
    told = utc.replace(hour=hour, minute=minute, second=0, microsecond=0)
    offset = told - utc.replace(second=0, microsecond=0)
    # The wall clock may be up to 14 hours ahead or 12 behind; fold to the nearest day.
    while offset > timedelta(hours=14):
        offset -= timedelta(days=1)
    while offset < timedelta(hours=-12):
        offset += timedelta(days=1)
    quarter = timedelta(minutes=15)
    offset = round(offset / quarter) * quarter
    candidates = [*COMMON_TIMEZONES, *sorted(available_timezones())]
    for zone in candidates:
        if "/" not in zone or zone.startswith(("Etc/", "SystemV/", "US/")):
            continue
        if now.astimezone(ZoneInfo(zone)).utcoffset() == offset:
            return zone
    return None
