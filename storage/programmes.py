"""Programmes and who coordinates them. Every coordinator-side read names the programme, and
`coordinated_by` is the one check of who may see it (COACHBOT_ADMINS see every programme)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import COORDINATORS, PROGRAMMES, dialect_insert, record
from storage.vocabulary import JSONObject


@dataclass(frozen=True)
class ProgrammeRecord:
    """A programme as the service sees it."""

    id: int
    name: str
    defaults: JSONObject
    safety: JSONObject
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> ProgrammeRecord:
        return record(cls, row)


#: The PostgreSQL advisory lock key that makes programmes be created one after the other, so that
#: two names alike (`name_key`) cannot both pass the look for the other ("coachprg").
CREATE_LOCK_KEY = int.from_bytes(b"coachprg", "big", signed=True)


def name_key(name: str) -> str:
    """A programme's name as people mean it: letter case, accents and runs of spaces aside
    ("Spring  Cohort", "spring cohort" and "Spríng cohort" are one programme)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", plain).casefold().split())


_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def spelled_key(name: str) -> str:
    """`name_key` with umlauts as they are typed without them ("Fruehling" for "Frühling"), as
    first names are found in `coachbot pair`: for finding a programme, not for refusing one."""
    return name_key(name.casefold().translate(_UMLAUTS))


async def programmes_alike(session: AsyncSession, name: str,
                           key: Callable[[str], str] = name_key) -> list[ProgrammeRecord]:
    """The programmes whose names are `name` as people mean it (`name_key`), oldest first.
    Programmes are few (a handful of cohorts a year): their names are compared here, not by
    the database, whose case and accent rules differ between SQLite and PostgreSQL."""
    wanted = key(name)
    rows = await session.execute(select(PROGRAMMES.c.id, PROGRAMMES.c.name).order_by(PROGRAMMES.c.id))
    ids = [row.id for row in rows if key(row.name) == wanted]
    if not ids:
        return []
    found = await session.execute(select(PROGRAMMES).where(PROGRAMMES.c.id.in_(ids))
                                  .order_by(PROGRAMMES.c.id))
    return [ProgrammeRecord.from_row(row) for row in found]


async def lock_programme_names(session: AsyncSession) -> None:
    """Hold the creation of programmes until the transaction ends (PostgreSQL; SQLite's write
    transactions already take turns): a name is looked for and then taken."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(CREATE_LOCK_KEY)))


async def create_programme(session: AsyncSession, name: str, defaults: JSONObject,
                           safety: JSONObject, now: datetime) -> ProgrammeRecord | None:
    """A new programme; None if one has that name already (exactly: `programmes_alike` finds
    the names people would take for it)."""
    statement = dialect_insert(session)(PROGRAMMES).values(
        name=name, defaults=defaults, safety=safety, created_at=now, updated_at=now
    ).on_conflict_do_nothing(index_elements=["name"]).returning(PROGRAMMES)
    row = (await session.execute(statement)).first()
    return ProgrammeRecord.from_row(row) if row else None


async def programme_by_name(session: AsyncSession, name: str) -> ProgrammeRecord | None:
    """The programme with this name: exactly as created, else the one whose name differs only in
    letter case, accents or spaces ("spring cohort"), else with umlauts written out ("FRUEHLING"
    finds Frühling); None if there is none, or several alike (made before such names were
    refused) and none exactly so."""
    row = (await session.execute(select(PROGRAMMES).where(PROGRAMMES.c.name == name))).first()
    if row:
        return ProgrammeRecord.from_row(row)
    alike = await programmes_alike(session, name) or await programmes_alike(session, name, spelled_key)
    return alike[0] if len(alike) == 1 else None


async def programme_by_id(session: AsyncSession, programme_id: int) -> ProgrammeRecord | None:
    """The programme with this id."""
    row = (await session.execute(select(PROGRAMMES).where(PROGRAMMES.c.id == programme_id))).first()
    return ProgrammeRecord.from_row(row) if row else None


async def lock_programme(session: AsyncSession, programme_id: int) -> None:
    """Hold the programme's row until the transaction ends, so that two coordinators' commands
    that first look and then write (a broadcast that must not be planned twice) take turns. On
    PostgreSQL a row lock; SQLite's write transactions already take turns (BEGIN IMMEDIATE)."""
    await session.execute(select(PROGRAMMES.c.id).where(PROGRAMMES.c.id == programme_id)
                          .with_for_update())


async def all_programmes(session: AsyncSession) -> list[ProgrammeRecord]:
    """Every programme, by name."""
    rows = await session.execute(select(PROGRAMMES).order_by(PROGRAMMES.c.name))
    return [ProgrammeRecord.from_row(row) for row in rows]


async def update_programme(session: AsyncSession, programme_id: int, now: datetime, *,
                           defaults: JSONObject | None = None,
                           safety: JSONObject | None = None, name: str | None = None) -> bool:
    """Change a programme's defaults, safety settings or name; False, changing nothing, if another
    programme has that name exactly (made since the caller looked: the unique name refuses it, in a
    savepoint, so that the caller's transaction goes on)."""
    values: dict[str, Any] = {"updated_at": now}
    if name is not None:
        values["name"] = name
    if defaults is not None:
        values["defaults"] = defaults
    if safety is not None:
        values["safety"] = safety
    statement = update(PROGRAMMES).where(PROGRAMMES.c.id == programme_id).values(**values)
    if name is None:
        await session.execute(statement)
        return True
    try:
        async with session.begin_nested():
            await session.execute(statement)
    except IntegrityError:
        return False
    return True


async def grant(session: AsyncSession, programme_id: int, telegram_id: int, now: datetime) -> bool:
    """Make someone a coordinator of a programme; False if they were one already."""
    statement = dialect_insert(session)(COORDINATORS).values(
        programme_id=programme_id, telegram_id=telegram_id, created_at=now
    ).on_conflict_do_nothing(index_elements=["programme_id", "telegram_id"])
    return bool((await session.execute(statement)).rowcount)  # type: ignore[attr-defined]


async def revoke(session: AsyncSession, programme_id: int, telegram_id: int) -> bool:
    """End someone's coordination of a programme; False if they did not coordinate it."""
    result = await session.execute(delete(COORDINATORS).where(
        COORDINATORS.c.programme_id == programme_id, COORDINATORS.c.telegram_id == telegram_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def coordinated_by(session: AsyncSession, telegram_id: int,
                         admins: Collection[int] = ()) -> list[ProgrammeRecord]:
    """The programmes this person coordinates (all of them for an admin), by name."""
    if telegram_id in admins:
        return await all_programmes(session)
    rows = await session.execute(
        select(PROGRAMMES).join(COORDINATORS, COORDINATORS.c.programme_id == PROGRAMMES.c.id)
        .where(COORDINATORS.c.telegram_id == telegram_id).order_by(PROGRAMMES.c.name))
    return [ProgrammeRecord.from_row(row) for row in rows]


async def coordinates_any(session: AsyncSession, telegram_id: int) -> bool:
    """Whether this person coordinates at least one programme (one indexed look-up)."""
    row = (await session.execute(select(COORDINATORS.c.id)
                                 .where(COORDINATORS.c.telegram_id == telegram_id).limit(1))).first()
    return row is not None


async def coordinators_of(session: AsyncSession, programme_id: int) -> list[int]:
    """The Telegram ids of a programme's coordinators (admins not included)."""
    rows = await session.execute(select(COORDINATORS.c.telegram_id)
                                 .where(COORDINATORS.c.programme_id == programme_id))
    return [telegram_id for (telegram_id,) in rows]
