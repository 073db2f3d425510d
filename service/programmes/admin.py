"""A programme's administration: create one with its defaults, change them or its name later, grant
a coordinator, and the facts `coachbot programme show` and `/programme` give (defaults, member and
pair counts, the invites that still work; never answers)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.programmes.defaults import ProgrammeDefaults
from storage.invites import InviteRecord, open_invites
from storage.programme_members import ProgrammeCounts, programme_counts
from storage.programmes import (
    ProgrammeRecord,
    create_programme,
    lock_programme,
    lock_programme_names,
    programmes_alike,
    update_programme,
)
from storage.vocabulary import JSONObject

MAX_NAME = 60  # programmes.name holds 80; short enough for a button and a CSV report line
#: Characters a name is refused for (Unicode categories): control characters and line or paragraph
#: separators break the one line per programme of `programme list` and of every error naming it;
#: a lone surrogate (bytes a shell passed that are not UTF-8) cannot be stored.
UNPRINTABLE = frozenset({"Cc", "Zl", "Zp", "Cs"})


class ProgrammeError(ValueError):
    """Why an administrative step cannot be done (one line for the operator)."""


@dataclass(frozen=True)
class ProgrammeFacts:
    """What is shown of a programme to its coordinators and operators."""

    programme: ProgrammeRecord
    defaults: ProgrammeDefaults
    counts: ProgrammeCounts
    invites: tuple[InviteRecord, ...] = ()  # the programme's links that still work, oldest first


def checked_name(name: str) -> str:
    """A programme's name as it is stored (stripped); ProgrammeError if it is empty, too long or
    not one line of text."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ProgrammeError(f"a programme's name has 1 to {MAX_NAME} characters")
    if any(unicodedata.category(c) in UNPRINTABLE for c in name):
        raise ProgrammeError("a programme's name is one line of text: no line breaks, tabs or "
                             "other control characters")
    return name


async def new_programme(session: AsyncSession, name: str, defaults: ProgrammeDefaults,
                        now: datetime) -> ProgrammeRecord:
    """A programme with these defaults; ProgrammeError if the name is empty, not one line of
    text, or taken (as people mean it: `_refuse_alike`)."""
    name = checked_name(name)
    await lock_programme_names(session)
    await _refuse_alike(session, name)
    made = await create_programme(session, name, defaults.to_json(), {}, now)
    if made is None:
        raise ProgrammeError(f"there is a programme called {name!r} already")
    return made


async def _refuse_alike(session: AsyncSession, name: str, programme_id: int | None = None) -> None:
    """ProgrammeError naming another programme whose name is `name` but for letter case, accents
    or spaces (storage.programmes.name_key): every command would take one for the other."""
    alike = [p for p in await programmes_alike(session, name) if p.id != programme_id]
    if alike:
        same = "" if alike[0].name == name else (
            "; names that differ only in letter case, accents or spaces are taken for the same "
            "programme: choose another name")
        raise ProgrammeError(f"there is a programme called {alike[0].name!r} already{same}")


async def change_programme(session: AsyncSession, programme: ProgrammeRecord, *,
                           defaults: JSONObject, rename: str | None,
                           now: datetime) -> ProgrammeRecord:
    """The programme with these defaults and, with `rename`, that name (checked as a new
    programme's); ProgrammeError if the name is taken by another. Members keep what they have:
    defaults are read when someone joins or a pair is made (the cohort check-in at each mentee's
    next planning)."""
    await lock_programme(session, programme.id)
    name = programme.name if rename is None else checked_name(rename)
    if name != programme.name:
        await lock_programme_names(session)
        await _refuse_alike(session, name, programme.id)
    if not await update_programme(session, programme.id, now, defaults=defaults, name=name):
        raise ProgrammeError(f"there is a programme called {name!r} already")  # made meanwhile
    return replace(programme, name=name, defaults=defaults)


async def facts_of(session: AsyncSession, programme: ProgrammeRecord,
                   now: datetime | None = None) -> ProgrammeFacts:
    """The programme's defaults and counts; with `now`, the invites that still work then (and
    only those counted)."""
    invites = () if now is None else tuple(await open_invites(session, programme.id, now))
    return ProgrammeFacts(programme, ProgrammeDefaults.of(programme.defaults),
                          await programme_counts(session, programme.id, now), invites)
