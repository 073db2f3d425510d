"""Safety matches: when a consenting member's answer (or other words they typed and that are kept)
matched a safety phrase, and whether an alert told the coordinators of it. Moments and flags
only: never the text that matched. The member's own export lists them (`moments_of`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import PROGRAMMES, SAFETY


@dataclass(frozen=True)
class SafetyMoment:
    """One of a member's matches as their own export shows it: when, in which programme, and
    whether an alert has told the programme's coordinators of it."""

    at: datetime
    programme: str
    told: bool


async def record_match(session: AsyncSession, user_id: int, programme_id: int,
                       now: datetime) -> None:
    """One more match of this member, not yet told."""
    await session.execute(SAFETY.insert().values(user_id=user_id, programme_id=programme_id,
                                                 matched_at=now, alerted=False))


async def alerted_since(session: AsyncSession, user_id: int, programme_id: int,
                        since: datetime) -> bool:
    """Whether an alert about this member went out at or after `since`."""
    row = (await session.execute(select(SAFETY.c.id).where(
        SAFETY.c.user_id == user_id, SAFETY.c.programme_id == programme_id,
        SAFETY.c.alerted.is_(True), SAFETY.c.matched_at >= since).limit(1))).first()
    return row is not None


async def take_untold(session: AsyncSession, user_id: int, programme_id: int) -> int:
    """How many of this member's matches no alert has told of yet; from now on they count as
    told (the alert about to go out names the number)."""
    untold = (SAFETY.c.user_id == user_id) & (SAFETY.c.programme_id == programme_id) \
        & SAFETY.c.alerted.is_(False)
    count = (await session.execute(select(func.count()).where(untold))).scalar_one()
    await session.execute(update(SAFETY).where(untold).values(alerted=True))
    return int(count)


async def matches_since(session: AsyncSession, programme_id: int,
                        since: datetime) -> tuple[int, int]:
    """A programme's matches since a moment, and of how many people."""
    row = (await session.execute(select(func.count(), func.count(SAFETY.c.user_id.distinct()))
                                 .where(SAFETY.c.programme_id == programme_id,
                                        SAFETY.c.matched_at >= since))).one()
    return int(row[0]), int(row[1])


async def moments_of(session: AsyncSession, user_id: int) -> list[SafetyMoment]:
    """A member's matches, oldest first, for their own export (everything kept about them)."""
    rows = await session.execute(
        select(SAFETY.c.matched_at, PROGRAMMES.c.name, SAFETY.c.alerted)
        .join(PROGRAMMES, PROGRAMMES.c.id == SAFETY.c.programme_id)
        .where(SAFETY.c.user_id == user_id).order_by(SAFETY.c.matched_at, SAFETY.c.id))
    return [SafetyMoment(at, name, bool(told)) for at, name, told in rows]
