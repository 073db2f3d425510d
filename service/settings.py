"""A person's settings: language, time zone, and whether answers are shared by default."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from prompts.catalog import Catalog
from service import callbacks
from service.messages import OutMessage, Response, button
from service.render import Renderer
from service.timezones import COMMON_TIMEZONES, parse_timezone, zone_for_local_time
from service.turn import Turn
from storage.users import UserRecord, update_user


async def settings(turn: Turn, args: str) -> Response:
    """`/settings` shows them; `/settings timezone Europe/Berlin`, `time 14:30`, `language de`,
    `share on|off` change one directly (the terminal has no buttons)."""
    name, _, value = args.strip().partition(" ")
    if not name:
        return Response((settings_view(turn.user, turn.render, turn.now),))
    return await apply_setting(turn, name.lower(), value.strip())


async def apply_setting(turn: Turn, name: str, value: str) -> Response:
    """Change one setting and confirm it in the (possibly new) language."""
    changed = await change_setting(turn.session, turn.user, name, value, turn.now,
                                   turn.content.catalog)
    if changed is None:
        key = "common.settings.time_unclear" if name == "time" else "common.settings.timezone_unknown"
        return turn.message(key, text=value[:64])
    user, key, variables = changed
    turn.became(user)
    return turn.message(key, **variables)


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
    languages = tuple(button(say(f"common.languages.{lang}"), callbacks.setting_data("lang", lang))
                      for lang in render.catalog.texts if lang != user.language)
    zones = [button(say("common.settings.timezone_button", zone=zone), callbacks.setting_data("tz", str(i)))
             for i, zone in enumerate(COMMON_TIMEZONES) if zone != user.timezone]
    share = (button(say("common.settings.share_off_button"), callbacks.setting_data("share", "0"))
             if user.share_by_default
             else button(say("common.settings.share_on_button"), callbacks.setting_data("share", "1")))
    rows = [languages, *[tuple(zones[i:i + 2]) for i in range(0, len(zones), 2)], (share,)]
    return OutMessage(text, tuple(row for row in rows if row))


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
    await update_user(session, user.id, now, **changes)
    updated = replace(user, **changes)
    return updated, key, {"timezone": updated.timezone,
                          "local_time": local_time(updated.timezone, now)}


