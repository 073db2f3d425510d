"""A programme's administration: create one with its defaults, grant a coordinator, and the facts
`coachbot programme show` and `/programme` give (defaults, member and pair counts; never answers)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.programmes.defaults import ProgrammeDefaults
from storage.programme_members import ProgrammeCounts, programme_counts
from storage.programmes import ProgrammeRecord, create_programme

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


async def new_programme(session: AsyncSession, name: str, defaults: ProgrammeDefaults,
                        now: datetime) -> ProgrammeRecord:
    """A programme with these defaults; ProgrammeError if the name is empty, not one line of
    text, or taken."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ProgrammeError(f"a programme's name has 1 to {MAX_NAME} characters")
    if any(unicodedata.category(c) in UNPRINTABLE for c in name):
        raise ProgrammeError("a programme's name is one line of text: no line breaks, tabs or "
                             "other control characters")
    made = await create_programme(session, name, defaults.to_json(), {}, now)
    if made is None:
        raise ProgrammeError(f"there is a programme called {name!r} already")
    return made


async def facts_of(session: AsyncSession, programme: ProgrammeRecord) -> ProgrammeFacts:
    """The programme's defaults and counts."""
    return ProgrammeFacts(programme, ProgrammeDefaults.of(programme.defaults),
                          await programme_counts(session, programme.id))
