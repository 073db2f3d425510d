"""Pairings: which mentor works with which mentee, and every query that gives a mentor access.

Every read a mentor makes of a mentee goes through `pairing_of_mentor`, which only finds a pairing
that is the mentor's own and not ended: a forged id or an ended pairing finds nothing.

A pairing's `ends_on` is when the relationship ends, for everyone who asks (the mentor's view and
digest, the mentor's reflection, the programme's figures, CSV and report, the export): the date
the mentee's agreement names once it names one, before that the programme's length from the
start (`relationship_end`). The agreement changes both together (`set_relationship_end`), so the
mentee's own date (users.relationship_ends_on) and their pairing's never disagree. The mentee's
own reminders and texts read the same date (`planned_end`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import ANSWERS, GOALS, PAIRINGS, USERS, record
from storage.users import UserRecord
from storage.vocabulary import PairingStatus, Role, Visibility


@dataclass(frozen=True)
class PairingRecord:
    """A pairing as the service sees it."""

    id: int
    mentor_id: int
    mentee_id: int
    programme_id: int | None
    status: PairingStatus
    started_on: date
    ends_on: date | None  # when the relationship ends (see the module's docstring); None: open
    rhythm: str | None
    ended_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> PairingRecord:
        return record(cls, row, status=PairingStatus)


_OPEN = PAIRINGS.c.status != PairingStatus.ENDED.value
#: The mentee and "the other person" of a pairing, aliased once: an alias made per call builds
#: new columns whose reference cycles wait for the garbage collector, so a digest run over many
#: mentors would leave heaps of them behind.
_MENTEE = USERS.alias("mentee")
# "mentee_user_": "mentee_id" is a column of the pairing itself.
_MENTEE_COLUMNS = tuple(c.label(f"mentee_user_{c.name}") for c in _MENTEE.c)
_OTHER = USERS.alias("other")


def relationship_end(agreed: date | None, by_length: date | None, started: date) -> date | None:
    """When a pairing started on `started` ends: the date the mentee's agreement named, unless it
    lies before the start (an earlier relationship's end, not this one's); else the programme's
    length from the start (`by_length`; None: no planned end)."""
    return agreed if agreed is not None and agreed >= started else by_length


async def create_pairing(session: AsyncSession, mentor_id: int, mentee_id: int, *, today: date,
                         ends_on: date | None, now: datetime, programme_id: int | None = None,
                         rhythm: str | None = None) -> PairingRecord:
    """A new active pairing (the caller made sure the mentee has none that is open)."""
    row = (await session.execute(PAIRINGS.insert().values(
        mentor_id=mentor_id, mentee_id=mentee_id, programme_id=programme_id,
        status=PairingStatus.ACTIVE.value, started_on=today, ends_on=ends_on, rhythm=rhythm,
        created_at=now, updated_at=now).returning(PAIRINGS))).one()
    return PairingRecord.from_row(row)


async def pairing_is_open(session: AsyncSession, pairing_id: int) -> bool:
    """Whether the pairing with this id is there and not ended."""
    found = await session.scalar(select(PAIRINGS.c.id).where(PAIRINGS.c.id == pairing_id, _OPEN))
    return found is not None


async def pairing_of_mentee(session: AsyncSession, mentee_id: int) -> PairingRecord | None:
    """The mentee's pairing that is not ended, if any."""
    row = (await session.execute(select(PAIRINGS).where(PAIRINGS.c.mentee_id == mentee_id, _OPEN))
           ).first()
    return PairingRecord.from_row(row) if row else None


_MENTORED = select(PAIRINGS.c.mentee_id).where(
    PAIRINGS.c.mentee_id.in_(bindparam("people", expanding=True)), _OPEN)


async def mentored_among(session: AsyncSession, user_ids: Iterable[int]) -> set[int]:
    """Which of these people have a pairing as a mentee that is not ended (one query for a batch,
    where `pairing_of_mentee` asks about one)."""
    people = list(user_ids)
    if not people:
        return set()
    return set((await session.execute(_MENTORED, {"people": people})).scalars())


# Built once: a statement made per call leaves reference cycles for the collector, and a digest
# run asks this for every mentor (bench/digest.py's memory check).
_PAIRINGS_OF_MENTOR = (
    select(PAIRINGS, *_MENTEE_COLUMNS)
    .join(_MENTEE, _MENTEE.c.id == PAIRINGS.c.mentee_id)
    .where(PAIRINGS.c.mentor_id == bindparam("mentor"), _OPEN).order_by(PAIRINGS.c.id))


async def pairings_of_mentor(session: AsyncSession, mentor_id: int) -> list[tuple[PairingRecord,
                                                                                  UserRecord]]:
    """The mentor's pairings that are not ended, with each mentee, oldest first."""
    rows = await session.execute(_PAIRINGS_OF_MENTOR, {"mentor": mentor_id})
    return [(PairingRecord.from_row(row), record(UserRecord, row, prefix="mentee_user_", role=Role))
            for row in rows]


_MENTEES_IN_ORDER = (
    select(PAIRINGS.c.mentee_id).where(PAIRINGS.c.mentor_id == bindparam("mentor"))
    .group_by(PAIRINGS.c.mentee_id).order_by(func.min(PAIRINGS.c.id)))


async def mentees_in_order(session: AsyncSession, mentor_id: int) -> list[int]:
    """Everyone ever paired with the mentor (ended pairings too), each once, in the order they
    were first paired: the place of each stays while others come and go (service.names)."""
    return list((await session.execute(_MENTEES_IN_ORDER, {"mentor": mentor_id})).scalars())


async def mentees_in_order_of(session: AsyncSession,
                              mentor_ids: Iterable[int]) -> dict[int, list[int]]:
    """`mentees_in_order` of several mentors (by mentor id) in one query, for a whole programme."""
    mentors = list(mentor_ids)
    if not mentors:
        return {}
    query = (select(PAIRINGS.c.mentor_id, PAIRINGS.c.mentee_id)
             .where(PAIRINGS.c.mentor_id.in_(mentors))
             .group_by(PAIRINGS.c.mentor_id, PAIRINGS.c.mentee_id)
             .order_by(PAIRINGS.c.mentor_id, func.min(PAIRINGS.c.id)))
    found: dict[int, list[int]] = {}
    for mentor, mentee in await session.execute(query):
        found.setdefault(mentor, []).append(mentee)
    return found


async def mentors_in_order(session: AsyncSession, programme_id: int) -> list[int]:
    """Everyone who was ever a mentor in the programme's pairings (ended ones too), each once, in
    the order they were first paired in it: each keeps their place (service.names)."""
    query = (select(PAIRINGS.c.mentor_id).where(PAIRINGS.c.programme_id == programme_id)
             .group_by(PAIRINGS.c.mentor_id).order_by(func.min(PAIRINGS.c.id)))
    return list((await session.execute(query)).scalars())


async def pairing_of_mentor(session: AsyncSession, mentor_id: int,
                            pairing_id: int) -> PairingRecord | None:
    """The pairing with this id if it is this mentor's own and not ended; else None."""
    row = (await session.execute(select(PAIRINGS).where(
        PAIRINGS.c.id == pairing_id, PAIRINGS.c.mentor_id == mentor_id, _OPEN))).first()
    return PairingRecord.from_row(row) if row else None


async def set_pairing_status(session: AsyncSession, pairing_id: int, status: PairingStatus,
                             now: datetime) -> None:
    """Pause, resume or end a pairing. Ending it withdraws what the mentee shared (`withdraw_shares`)."""
    values: dict[str, Any] = {"status": status.value, "updated_at": now}
    if status is PairingStatus.ENDED:
        values["ended_at"] = now
        mentee = (await session.execute(select(PAIRINGS.c.mentee_id)
                                        .where(PAIRINGS.c.id == pairing_id, _OPEN))).scalar_one_or_none()
        others = select(PAIRINGS.c.id).where(PAIRINGS.c.mentee_id == mentee,
                                             PAIRINGS.c.id != pairing_id, _OPEN).exists()
        if mentee is not None and not await session.scalar(select(others)):
            await withdraw_shares(session, mentee)
    await session.execute(update(PAIRINGS).where(PAIRINGS.c.id == pairing_id).values(**values))


async def withdraw_shares(session: AsyncSession, mentee_id: int) -> None:
    """Make every answer and goal of the mentee private again, and their answers private from now
    on: they shared with the mentor of a pairing that is over (their agreement with that mentor
    set the default), never with whoever comes next, who sees only what is shared anew."""
    for table in (ANSWERS, GOALS):
        await session.execute(update(table).where(table.c.user_id == mentee_id,
                                                  table.c.visibility == Visibility.SHARED.value)
                              .values(visibility=Visibility.PRIVATE.value))
    await session.execute(update(USERS).where(USERS.c.id == mentee_id,
                                              USERS.c.share_by_default.is_(True))
                          .values(share_by_default=False))


async def set_pairing_end(session: AsyncSession, mentee_id: int, ends_on: date | None,
                          now: datetime) -> None:
    """The mentee's open pairing ends on this date."""
    await session.execute(update(PAIRINGS).where(PAIRINGS.c.mentee_id == mentee_id, _OPEN)
                          .values(ends_on=ends_on, updated_at=now))


async def planned_end(session: AsyncSession, user: UserRecord) -> date | None:
    """When the person's mentoring ends, for their ending reminders and texts: their open
    pairing's end while they have one (so a programme's length counts before their agreement
    names a date, as the mentor and the programme see it), else the date their agreement named."""
    pairing = await pairing_of_mentee(session, user.id)
    return user.relationship_ends_on if pairing is None else pairing.ends_on


async def set_relationship_end(session: AsyncSession, mentee_id: int, ends_on: date,
                               now: datetime) -> None:
    """The mentee's agreement set or revised the planned end: their own date and their open
    pairing's change together (the mentor, the programme's figures and the export read the
    pairing's)."""
    await session.execute(update(USERS).where(USERS.c.id == mentee_id)
                          .values(relationship_ends_on=ends_on, updated_at=now))
    await set_pairing_end(session, mentee_id, ends_on, now)


async def pairings_of_user(session: AsyncSession, user_id: int
                           ) -> list[tuple[PairingRecord, bool, str | None]]:
    """Every pairing the user is in, ended ones too, oldest first, for their own export: the
    pairing, whether they are its mentor, and the other person's name (nothing else of theirs)."""
    other = _OTHER
    as_mentor = PAIRINGS.c.mentor_id == user_id
    rows = await session.execute(
        select(PAIRINGS, other.c.name.label("other_name"))
        .join(other, other.c.id == case((as_mentor, PAIRINGS.c.mentee_id),
                                         else_=PAIRINGS.c.mentor_id))
        .where(or_(as_mentor, PAIRINGS.c.mentee_id == user_id)).order_by(PAIRINGS.c.id))
    return [(PairingRecord.from_row(row), row.mentor_id == user_id, row.other_name) for row in rows]
