"""A user's own account: settings, the data export, and erasing everything."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.registry import Scripts
from prompts.catalog import Catalog
from service.export import export_user
from service.messages import Document, OutMessage, button
from service.render import Renderer
from service.timezones import COMMON_TIMEZONES, parse_timezone
from storage import queries
from storage.queries import UserRecord

_CLOCK_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*(am|pm)?\s*$", re.IGNORECASE)


def local_time(user_timezone: str, now: datetime) -> str:
    """The user's wall-clock time, HH:MM."""
    return now.astimezone(ZoneInfo(user_timezone)).strftime("%H:%M")


def settings_view(user: UserRecord, render: Renderer, now: datetime) -> OutMessage:
    """Current settings with buttons to change language, time zone and sharing."""
    say = render.text
    text = say("common.settings.view", language=say(f"common.languages.{user.language}"),
               timezone=user.timezone, local_time=local_time(user.timezone, now),
               sharing=say("common.settings.sharing_on" if user.share_by_default
                           else "common.settings.sharing_off"))
    languages = tuple(button(say(f"common.languages.{lang}"), f"set:lang:{lang}")
                      for lang in render.catalog.texts if lang != user.language)
    zones = [button(say("common.settings.timezone_button", zone=zone), f"set:tz:{i}")
             for i, zone in enumerate(COMMON_TIMEZONES) if zone != user.timezone]
    share = (button(say("common.settings.share_off_button"), "set:share:0") if user.share_by_default
             else button(say("common.settings.share_on_button"), "set:share:1"))
    rows = [languages, *[tuple(zones[i:i + 2]) for i in range(0, len(zones), 2)], (share,)]
    return OutMessage(text, tuple(row for row in rows if row))


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


async def change_setting(
    session: AsyncSession, user: UserRecord, name: str, value: str, now: datetime,
    catalog: Catalog,
) -> tuple[UserRecord, str, dict[str, Any]] | None:
    """Apply one setting; returns the updated user and the confirmation text key, or None."""
    if name in ("lang", "language") and value in catalog.texts:
        changes: dict[str, Any] = {"language": value}
        key = "common.settings.language_set"
    elif name in ("tz", "timezone"):
        common = value.isascii() and value.isdigit() and len(value) <= 2
        zone = (COMMON_TIMEZONES[int(value)] if common and int(value) < len(COMMON_TIMEZONES)
                else parse_timezone(value))
        if zone is None:
            return None
        changes = {"timezone": zone}
        key = "common.settings.timezone_set"
    elif name == "time":
        zone = zone_for_local_time(value, now)
        if zone is None:
            return None
        changes = {"timezone": zone}
        key = "common.settings.timezone_set"
    elif name == "share" and value in ("0", "1", "on", "off"):
        changes = {"share_by_default": value in ("1", "on")}
        key = "common.settings.share_set_on" if changes["share_by_default"] else \
            "common.settings.share_set_off"
    else:
        return None
    await queries.update_user(session, user.id, now, **changes)
    updated = replace(user, **changes)
    return updated, key, {"timezone": updated.timezone,
                          "local_time": local_time(updated.timezone, now)}


async def export_documents(
    session: AsyncSession, user: UserRecord, scripts: Scripts, render: Renderer, now: datetime
) -> tuple[OutMessage, OutMessage]:
    """The data export as two files: JSON for tools and HTML for people."""
    data = await export_user(session, user, scripts, render.catalog, now)
    stamp = now.strftime("%Y-%m-%d")
    json_file = Document(f"coachbot-export-{stamp}.json",
                         json.dumps(data, ensure_ascii=False, indent=2).encode())
    html_file = Document(f"coachbot-export-{stamp}.html", export_html(data, render).encode())
    return (OutMessage(render.text("common.export.ready"), document=json_file),
            OutMessage("", document=html_file))


def export_html(data: dict[str, Any], render: Renderer) -> str:
    """A readable, self-contained page of the export (all user text escaped)."""
    return render.catalog.page(render.lang, "export.html.j2", data=data)


def delete_question(render: Renderer) -> OutMessage:
    """Ask before erasing everything."""
    return OutMessage(render.text("common.delete.confirm"), (
        (button(render.text("common.delete.yes_button"), "del:yes"),
         button(render.text("common.delete.no_button"), "del:no")),))
