"""The relationship pulse: each side's 1-5 about their pairing, and an optional comment for the
programme team. Read back only as averages (storage.stats); never shown to the other side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import PAIRINGS, PULSES, USERS
from storage.users import first_name
from storage.vocabulary import PairingStatus


@dataclass(frozen=True)
class PulsePairing:
    """One of a person's open programme pairings, from their side."""

    pairing_id: int
    side: str  # "mentor" | "mentee"
    started_on: date
    other: str | None  # the other person's first name (None without one)


@dataclass(frozen=True)
class OwnPulse:
    """One of a person's own pulse answers, for their export: never the other side's."""

    pairing_id: int
    side: str  # "mentor" | "mentee"
    other: str | None  # the other person's first name
    score: int
    comment: str | None
    at: datetime


async def pulse_pairings(session: AsyncSession, user_id: int) -> list[PulsePairing]:
    """The person's open pairings that belong to a programme, on either side."""
    other = USERS.alias("other")
    rows = await session.execute(
        select(PAIRINGS.c.id, PAIRINGS.c.mentor_id, PAIRINGS.c.started_on, other.c.name)
        .join(other, or_(  # the side that is not `user_id`
            (PAIRINGS.c.mentor_id == user_id) & (other.c.id == PAIRINGS.c.mentee_id),
            (PAIRINGS.c.mentee_id == user_id) & (other.c.id == PAIRINGS.c.mentor_id)))
        .where(or_(PAIRINGS.c.mentor_id == user_id, PAIRINGS.c.mentee_id == user_id),
               PAIRINGS.c.status != PairingStatus.ENDED.value,
               PAIRINGS.c.programme_id.is_not(None))
        .order_by(PAIRINGS.c.id))
    return [PulsePairing(row.id, "mentor" if row.mentor_id == user_id else "mentee",
                         row.started_on, first_name(row.name)) for row in rows]


async def add_pulse(session: AsyncSession, pairing_id: int, user_id: int, side: str, score: int,
                    now: datetime) -> int:
    return int((await session.execute(PULSES.insert().values(
        pairing_id=pairing_id, user_id=user_id, side=side, score=score, created_at=now)
        .returning(PULSES.c.id))).scalar_one())


async def set_comment(session: AsyncSession, pulse_id: int, user_id: int, comment: str) -> bool:
    """The comment of the person's own pulse."""
    result = await session.execute(update(PULSES).where(
        PULSES.c.id == pulse_id, PULSES.c.user_id == user_id).values(comment=comment))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def pulses_of(session: AsyncSession, user_id: int) -> list[OwnPulse]:
    """The person's own pulse answers (score and comment), oldest first, for their own export;
    the other side's answers about the same pairing are not theirs and are left out."""
    other = USERS.alias("other")
    rows = await session.execute(
        select(PULSES.c.pairing_id, PULSES.c.side, PULSES.c.score, PULSES.c.comment,
               PULSES.c.created_at, other.c.name)
        .join(PAIRINGS, PAIRINGS.c.id == PULSES.c.pairing_id)
        .join(other, other.c.id == case((PAIRINGS.c.mentor_id == user_id, PAIRINGS.c.mentee_id),
                                        else_=PAIRINGS.c.mentor_id))
        .where(PULSES.c.user_id == user_id).order_by(PULSES.c.created_at, PULSES.c.id))
    return [OwnPulse(row.pairing_id, row.side, first_name(row.name), row.score, row.comment,
                     row.created_at) for row in rows]
