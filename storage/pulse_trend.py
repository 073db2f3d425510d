"""The relationship pulse over time for a programme's report: one grouped query, averages per
period (scores only; a pulse's comment is never read here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import PAIRINGS, PULSES


async def pulse_by_period(session: AsyncSession, programme_id: int,
                          starts: Sequence[datetime]) -> dict[int, tuple[float, int]]:
    """Per period (the index of its start in `starts`, which ascend; the last runs to now): the
    average score of the programme's pulses and how many there were. Periods without any are
    left out."""
    if not starts:
        return {}
    period = case(*((PULSES.c.created_at >= start, index)
                    for index, start in reversed(list(enumerate(starts)))), else_=-1)
    query = (select(period.label("period"), func.avg(PULSES.c.score), func.count())
             .where(PULSES.c.created_at >= starts[0], PULSES.c.pairing_id.in_(
                 select(PAIRINGS.c.id).where(PAIRINGS.c.programme_id == programme_id)))
             .group_by(period))
    return {int(index): (float(average), int(count))
            for index, average, count in await session.execute(query) if index >= 0}
