"""Time zone names as people type them, checked against the IANA database."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

COMMON_TIMEZONES = ("Europe/Berlin", "Europe/London", "Europe/Vienna", "Europe/Zurich",
                    "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "UTC")


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
