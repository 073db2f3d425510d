"""What a mentor may read of a mentee: shared answers and shared goals, nothing else.

Every query here takes the mentor's id and the pairing, and joins the pairing so that it returns
nothing unless the pairing is the mentor's own and not ended; visibility is checked in the same
query. The mentor's view, digests and meeting briefs read through this module only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.answers import AnswerRecord
from storage.goals import GoalRecord, _goals
from storage.rows import ACTIONS, ANSWERS, GOALS, PAIRINGS
from storage.vocabulary import PairingStatus, Visibility

#: A mentor's own dialogs (mentor_story, mentor_checkin, mentor_reflection) are never shown to
#: anyone, even when their author is someone's mentee too.
MENTOR_DIALOGS = "mentor_"


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
                    ANSWERS.c.visibility == Visibility.SHARED.value,
                    ~ANSWERS.c.dialog.startswith(MENTOR_DIALOGS, autoescape=True)))
    if since is not None:
        query = query.where(ANSWERS.c.updated_at > since)
    rows = await session.execute(query.order_by(ANSWERS.c.run_id, ANSWERS.c.id))
    return [AnswerRecord.from_row(row) for row in rows]


async def shared_goals(session: AsyncSession, mentor_id: int, pairing_id: int, *,
                       since: datetime | None = None) -> list[GoalRecord]:
    """The mentee's shared goals with their action steps (new or changed since `since`: the goal
    or one of its steps); empty unless the pairing is this mentor's and open."""
    mentee = (await session.execute(select(PAIRINGS.c.mentee_id).where(
        _paired(mentor_id, pairing_id)))).scalar_one_or_none()
    if mentee is None:
        return []
    where = [GOALS.c.visibility == Visibility.SHARED.value]
    if since is not None:
        where.append(or_(GOALS.c.updated_at > since, exists().where(
            ACTIONS.c.goal_id == GOALS.c.id, ACTIONS.c.updated_at > since)))
    return await _goals(session, mentee, *where)
