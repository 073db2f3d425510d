"""The reads behind a programme's administration: its counts (members, open pairs,
coordinators), its members by Telegram id or first name. Counts and names only, never answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import COORDINATORS, INVITES, PAIRINGS, USERS
from storage.users import USER_COLUMNS, UserRecord
from storage.vocabulary import PairingStatus, Role


@dataclass(frozen=True)
class ProgrammeCounts:
    """How many people and pairs a programme has."""

    mentors: int
    mentees: int
    pairs: int
    coordinators: int
    invites: int  # invites with uses left (asked with a moment: and not expired)

    @property
    def members(self) -> int:
        return self.mentors + self.mentees


async def programme_counts(session: AsyncSession, programme_id: int,
                           now: datetime | None = None) -> ProgrammeCounts:
    """A programme's counts (with `now`, only invites that still work then: not expired), in four
    small indexed queries."""
    rows = await session.execute(select(USERS.c.role, func.count())
                                 .where(USERS.c.programme_id == programme_id).group_by(USERS.c.role))
    roles = {str(role): int(count) for role, count in rows}
    pairs = (await session.execute(select(func.count()).select_from(PAIRINGS).where(
        PAIRINGS.c.programme_id == programme_id,
        PAIRINGS.c.status != PairingStatus.ENDED.value))).scalar_one()
    coordinators = (await session.execute(select(func.count()).select_from(COORDINATORS).where(
        COORDINATORS.c.programme_id == programme_id))).scalar_one()
    working = [INVITES.c.programme_id == programme_id, INVITES.c.uses_left > 0]
    if now is not None:
        working.append(INVITES.c.expires_at > now)
    invites = (await session.execute(select(func.count()).select_from(INVITES).where(
        *working))).scalar_one()
    return ProgrammeCounts(int(roles.get(Role.MENTOR.value, 0)), int(roles.get(Role.MENTEE.value, 0)),
                           int(pairs), int(coordinators), int(invites))


async def members_named(session: AsyncSession, programme_id: int) -> list[UserRecord]:
    """Every member of the programme, oldest first (to find one by first name)."""
    rows = await session.execute(select(*USER_COLUMNS).where(USERS.c.programme_id == programme_id)
                                 .order_by(USERS.c.id))
    return [UserRecord.from_row(row) for row in rows]
