"""`coachbot programme safety NAME`: a programme's safety signposting — its help contacts, its own
phrases besides the shipped ones, whether its coordinators are alerted and how often at most.
Without options it shows them."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.app import open_database, utc_now
from bot.settings import Settings
from service.messages import counted
from service.programmes.safety import (
    MAX_ALERT_HOURS,
    SafetyFileError,
    SafetySettings,
    read_contacts,
    read_keywords,
    set_safety,
)
from storage.database import create_sessionmaker
from storage.programmes import programme_by_name


def _problem(text: str) -> int:
    print(f"coachbot: {text}", file=sys.stderr)
    return 1


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise SafetyFileError(f"cannot read it ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise SafetyFileError("it is not UTF-8 text") from error


def _shown(name: str, settings: SafetySettings) -> str:
    contacts = ("the shipped general ones (emergency numbers, crisis lines)"
                if settings.contacts is None else f"its own ({len(settings.contacts)} characters)")
    own = ", ".join(f"{lang} {len(phrases)}" for lang, phrases in settings.keywords.items()
                    if phrases) or "none"
    return (f"Safety of {name}: help contacts: {contacts}; own phrases besides the shipped ones: "
            f"{own}; coordinators alerted: {'on' if settings.alert else 'off'} "
            f"(only for members who agreed to it; {_interval(settings.alert_hours)}).")


def _interval(hours: int) -> str:
    if not hours:
        return "at every match"
    return f"at most once per member every {counted(hours, 'hour')}"


def safety(settings: Settings, name: str, *, contacts: Path | None, alert: str | None,
           keywords: Path | None, alert_hours: int | None = None) -> int:
    """Change what is given and print the programme's safety settings; one line on a problem."""
    if alert_hours is not None and not 0 <= alert_hours <= MAX_ALERT_HOURS:
        return _problem(f"--alert-hours must be between 0 and {MAX_ALERT_HOURS}")
    try:
        new_contacts = None if contacts is None else read_contacts(_read(contacts))
    except SafetyFileError as error:
        return _problem(f"{contacts}: {error}")
    try:
        new_keywords = None if keywords is None else read_keywords(_read(keywords))
    except SafetyFileError as error:
        return _problem(f"{keywords}: {error}")
    return asyncio.run(_apply(settings, name, new_contacts, None if alert is None else alert == "on",
                              new_keywords, alert_hours))


async def _apply(settings: Settings, name: str, contacts: str | None, alert: bool | None,
                 keywords: dict[str, tuple[str, ...]] | None, alert_hours: int | None) -> int:
    async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
        programme = await programme_by_name(session, name)
        if programme is None:
            return _problem(f"no programme called {name!r}")
        current = SafetySettings.from_json(programme.safety)
        if any(value is not None for value in (contacts, alert, keywords, alert_hours)):
            current = await set_safety(session, programme, utc_now(), contacts=contacts,
                                       alert=alert, keywords=keywords, alert_hours=alert_hours)
    print(_shown(programme.name, current))
    return 0
