"""A person's settings: language, time zone, whether answers are shared by default, and the quiet
hours in which nothing scheduled arrives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.engine import clean_text
from prompts.catalog import Catalog
from service import callbacks
from service.commands import Scope
from service.mentors.pairing import settings_part
from service.mentors.scopes import listed_scopes, menu_of
from service.messages import OutMessage, Response, button
from service.names import mentor_words
from service.render import Renderer
from service.schedule.plan import replan
from service.schedule.rhythm import QuietHours
from service.schedule.typed import quiet_same_ends
from service.timezones import (
    COMMON_TIMEZONES,
    fixed_offset,
    reads_as_time,
    zone_for_local_time,
    zone_label,
    zone_named,
)
from service.turn import Turn
from storage.users import UserRecord, update_user

# What the words after /settings name (common.settings.words) → the setting's name in button data.
SETTING_NAMES = {"language": "lang", "timezone": "tz", "time": "time", "share": "share",
                 "quiet": "quiet"}
# What to say when the value for a setting cannot be read.
UNCLEAR = {"lang": "common.settings.language_unknown", "tz": "common.settings.timezone_unknown",
           "time": "common.settings.time_unclear", "share": "common.settings.share_unclear",
           "quiet": "common.settings.quiet_unclear"}
# Settings that move what is scheduled (its local times): changing one replans.
REPLANS = frozenset({"tz", "time", "quiet"})


async def settings(turn: Turn, args: str) -> Response:
    """`/settings` shows them; `/settings timezone Europe/Berlin`, `zeitzone london`, `time 14:30`,
    `sprache de`, `share on`, `quiet 22:00-07:30`, `ruhezeit aus`, or a bare value
    (`/settings Europe/Berlin`, `/settings Wien`, `/settings UK`, `/settings 14:30`) change one
    directly (the terminal has no buttons). Keywords are understood in every language."""
    if not clean_text(args):  # nothing visible typed after /settings
        view = settings_view(turn.user, turn.render, turn.now, turn.content.policy.quiet_hours,
                             await mentor_words(turn.session, turn.user.id),
                             Scope.MENTEE in listed_scopes(turn))
        return Response((view, *await settings_part(turn)))
    name, value = read_setting(turn.content.catalog, args)
    if name is None:
        name = guess_setting(turn.content.catalog, value)
        if name is None:
            return turn.message("common.settings.not_understood", text=value[:64])
    return await apply_setting(turn, name, value)


def _words(catalog: Catalog, group: str) -> list[str]:
    """The words of one group of `common.settings.words`, in every language, lower case."""
    return [str(word).lower() for lang in catalog.texts
            for word in catalog.raw(lang, f"common.settings.words.{group}") or []]


def read_setting(catalog: Catalog, args: str) -> tuple[str | None, str]:
    """The setting a keyword at the start names (longest keyword first), and what follows it."""
    text = " ".join(args.split())
    lowered = text.lower()
    keywords = sorted(((word, name) for group, name in SETTING_NAMES.items()
                       for word in _words(catalog, group)), key=lambda pair: -len(pair[0]))
    for word, name in keywords:
        if lowered == word or lowered.startswith(word + " "):
            return name, text[len(word):].strip()
    return None, text


def guess_setting(catalog: Catalog, value: str) -> str | None:
    """Which setting a bare value is for: a time zone, city or country, a clock time (even one no
    zone shows now: the answer says so), or a language."""
    if zone_named(value, catalog):
        return "tz"
    if reads_as_time(value) and not value.isdigit():  # "3pm", "15 Uhr"; a bare "8" says too little
        return "time"
    if language_of(catalog, value):
        return "lang"
    return None


def language_of(catalog: Catalog, text: str) -> str | None:
    """The language code a typed word means ("de", "Deutsch", "german"), if any."""
    wanted = text.strip().lower()
    return next((lang for lang in catalog.texts
                 if wanted == lang or wanted in _words(catalog, lang)), None)


async def apply_setting(turn: Turn, name: str, value: str) -> Response:
    """Change one setting and confirm it in the (possibly new) language."""
    if name == "quiet" and (same := quiet_same_ends(value)) is not None:
        # "22-22" would be no quiet hours at all: say so, and how to switch them off on purpose.
        return turn.message("common.settings.quiet_same", at=f"{same:%H:%M}")
    changed = await change_setting(turn.session, turn.user, name, value, turn.now,
                                   turn.content.catalog)
    if changed is None and name == "time" and reads_as_time(value):
        # A time no zone's clock shows now: say so, and how else to name one's zone.
        return turn.message("common.settings.time_no_zone", text=value[:64],
                            utc=turn.now.astimezone(UTC).strftime("%H:%M"))
    if changed is None:
        return turn.message(UNCLEAR[name], text=value[:64])
    user, key, variables = changed
    language_changed = user.language != turn.user.language
    turn.became(user)
    if name in REPLANS:
        await replan(turn, turn.content.schedule)
    said = turn.message(key, **await mentor_words(turn.session, turn.user.id), **variables)
    # The chat's command menu follows the new language (mentors' holds their commands too).
    return replace(said, menu=await menu_of(turn, turn.user)) if language_changed else said


def local_time(user_timezone: str, now: datetime) -> str:
    """The user's wall-clock time, HH:MM."""
    return now.astimezone(ZoneInfo(user_timezone)).strftime("%H:%M")


def quiet_text(quiet: str | None, render: Renderer) -> str:
    """Quiet hours as shown: "21:00–08:00", or that there are none."""
    hours = QuietHours.parse(quiet or "")
    return str(hours) if hours is not None and hours.active else render.text(
        "common.settings.quiet_off")


def settings_view(user: UserRecord, render: Renderer, now: datetime,
                  default_quiet: str, about_mentor: Mapping[str, Any] | None = None,
                  mentee_side: bool = True) -> OutMessage:
    """Current settings with buttons to change language, time zone and sharing (with whom:
    `about_mentor`, service.names.mentor_words; sharing only for someone with a mentee side)."""
    say = render.text
    text = say("common.settings.view", language=say(f"common.languages.{user.language}"),
               **(about_mentor or {"paired": False, "mentor": None}), mentee_side=mentee_side,
               timezone=zone_label(user.timezone), local_time=local_time(user.timezone, now),
               sharing=say("common.settings.sharing_on" if user.share_by_default
                           else "common.settings.sharing_off"),
               quiet=quiet_text(user.quiet_hours or default_quiet, render))
    languages = tuple(button(say(f"common.languages.{lang}"), callbacks.setting_data("lang", lang))
                      for lang in render.catalog.texts if lang != user.language)
    zones = [button(say("common.settings.timezone_button", zone=zone), callbacks.setting_data("tz", str(i)))
             for i, zone in enumerate(COMMON_TIMEZONES) if zone != user.timezone]
    share = (button(say("common.settings.share_off_button"), callbacks.setting_data("share", "0"))
             if user.share_by_default
             else button(say("common.settings.share_on_button"), callbacks.setting_data("share", "1")))
    rows = [languages, *[tuple(zones[i:i + 2]) for i in range(0, len(zones), 2)],
            (share,) if mentee_side else ()]
    return OutMessage(text, tuple(row for row in rows if row))


async def change_setting(
    session: AsyncSession, user: UserRecord, name: str, value: str, now: datetime,
    catalog: Catalog,
) -> tuple[UserRecord, str, dict[str, Any]] | None:
    """Apply one setting; returns the updated user and the confirmation text key, or None."""
    if name == "lang" and (language := language_of(catalog, value)) is not None:
        changes: dict[str, Any] = {"language": language, "language_chosen": True}
        key = "common.settings.language_set"
    elif name == "tz":
        common = value.isascii() and value.isdigit() and len(value) <= 2
        zone = (COMMON_TIMEZONES[int(value)] if common and int(value) < len(COMMON_TIMEZONES)
                else zone_named(value, catalog))
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
    elif name == "share" and value.lower() in (*_words(catalog, "on"), *_words(catalog, "off")):
        changes = {"share_by_default": value.lower() in _words(catalog, "on")}
        key = "common.settings.share_set_on" if changes["share_by_default"] else \
            "common.settings.share_set_off"
    elif name == "quiet" and (hours := QuietHours.parse(value)) is not None:
        stored = f"{hours.start:%H:%M}-{hours.end:%H:%M}"
        changes = {"quiet_hours": stored}
        key = "common.settings.quiet_set" if hours.active else "common.settings.quiet_set_off"
    else:
        return None
    await update_user(session, user.id, now, **changes)
    updated = replace(user, **changes)
    return updated, key, {"timezone": zone_label(updated.timezone),
                          "fixed": fixed_offset(updated.timezone),
                          "local_time": local_time(updated.timezone, now),
                          "quiet": str(QuietHours.parse(updated.quiet_hours or "") or "")}


