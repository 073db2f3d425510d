"""What a mentor may read of a mentee: shared answers and shared goals, nothing else.

Every query here takes the mentor's id and the pairing, and joins the pairing so that it returns
nothing unless the pairing is the mentor's own and not ended; visibility is checked in the same
query. The mentor's view, digests and meeting briefs read through this module only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.answers import AnswerRecord
from storage.goals import GoalRecord, _goals
from storage.rows import ANSWERS, GOALS, PAIRINGS
from storage.vocabulary import PairingStatus, Visibility


def _paired(mentor_id: int, pairing_id: int) -> ColumnElement[bool]:
    """The pairing is this one, the mentor's own, and not ended."""
    return and_(PAIRINGS.c.id == pairing_id, PAIRINGS.c.mentor_id == mentor_id,
                PAIRINGS.c.status != PairingStatus.ENDED.value)


async def shared_answers(session: AsyncSession, mentor_id: int, pairing_id: int, *,
                         since: datetime | None = None) -> list[AnswerRecord]:
    """The mentee's shared answers (changed since `since`), in the order they were given; empty
    unless the pairing is this mentor's and open."""
    query = (select(ANSWERS).join(PAIRINGS, PAIRINGS.c.mentee_id == ANSWERS.c.user_id)
             .where(_paired(mentor_id, pairing_id),
                    ANSWERS.c.visibility == Visibility.SHARED.value))
    if since is not None:
        query = query.where(ANSWERS.c.updated_at > since)
    rows = await session.execute(query.order_by(ANSWERS.c.run_id, ANSWERS.c.id))
    return [AnswerRecord.from_row(row) for row in rows]


async def shared_goals(session: AsyncSession, mentor_id: int, pairing_id: int) -> list[GoalRecord]:
    """The mentee's shared goals with their action steps; empty unless the pairing is this
    mentor's and open."""
    mentee = (await session.execute(select(PAIRINGS.c.mentee_id).where(
        _paired(mentor_id, pairing_id)))).scalar_one_or_none()
    if mentee is None:
        return []
    return await _goals(session, mentee, GOALS.c.visibility == Visibility.SHARED.value)


async def shared_step(session: AsyncSession, mentor_id: int, dialog: str, step: str, *,
                      pairing_id: int | None = None) -> list[tuple[int, AnswerRecord]]:
    """One step's shared answers (e.g. the check-in's confidence) across the mentor's open
    pairings, or of one of them, as (pairing id, answer), oldest first: one query for a chart of
    all their mentees. Nothing of a pairing that is not this mentor's own and open."""
    query = (select(PAIRINGS.c.id.label("pairing_id"), ANSWERS)
             .join(PAIRINGS, PAIRINGS.c.mentee_id == ANSWERS.c.user_id)
             .where(PAIRINGS.c.mentor_id == mentor_id,
                    PAIRINGS.c.status != PairingStatus.ENDED.value,
                    ANSWERS.c.visibility == Visibility.SHARED.value,
                    ANSWERS.c.dialog == dialog, ANSWERS.c.step_key == step))
    if pairing_id is not None:
        query = query.where(PAIRINGS.c.id == pairing_id)
    rows = await session.execute(query.order_by(ANSWERS.c.created_at, ANSWERS.c.id))
    return [(row.pairing_id, AnswerRecord.from_row(row)) for row in rows]
