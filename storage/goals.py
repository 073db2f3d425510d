"""Goals the mentee chose, and the action steps towards each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import ACTIONS, GOALS, record
from storage.vocabulary import ActionStatus, GoalStatus, JSONObject, Visibility


@dataclass(frozen=True)
class ActionRecord:
    """An action step of a goal."""

    id: int
    goal_id: int
    position: int
    text: str
    due_on: date | None
    status: ActionStatus

    @classmethod
    def from_row(cls, row: Row[Any]) -> ActionRecord:
        """The action step in a row of `action_steps`."""
        return record(cls, row, status=ActionStatus)


@dataclass(frozen=True)
class GoalRecord:
    """A goal with its action steps."""

    id: int
    dialog: str
    stage: str
    title: str
    details: JSONObject
    due_on: date | None
    status: GoalStatus
    visibility: Visibility
    created_at: datetime
    actions: tuple[ActionRecord, ...]


async def create_goal(
    session: AsyncSession, *, user_id: int, run_id: int, dialog: str, stage: str, title: str,
    details: JSONObject, due_on: date | None, visibility: Visibility, now: datetime,
) -> int:
    """Store a goal; returns its id."""
    result = await session.execute(insert(GOALS).values(
        user_id=user_id, run_id=run_id, dialog=dialog, stage=stage, title=title, details=details,
        due_on=due_on, status=GoalStatus.OPEN, visibility=visibility, created_at=now,
        updated_at=now,
    ).returning(GOALS.c.id))
    return int(result.scalar_one())


async def add_actions(
    session: AsyncSession, *, goal_id: int, user_id: int,
    actions: Iterable[tuple[str, date | None]], now: datetime,
) -> None:
    """Store a goal's action steps in order."""
    rows = [{"goal_id": goal_id, "user_id": user_id, "position": i, "text": text, "due_on": due,
             "status": ActionStatus.OPEN, "created_at": now, "updated_at": now}
            for i, (text, due) in enumerate(actions)]
    if rows:
        await session.execute(insert(ACTIONS).values(rows))


async def set_action_status(
    session: AsyncSession, user_id: int, action_id: int, status: ActionStatus, now: datetime
) -> None:
    """Move one of the user's action steps to a new status (another user's id changes nothing)."""
    await session.execute(update(ACTIONS).where(ACTIONS.c.id == action_id,
                                                ACTIONS.c.user_id == user_id)
                          .values(status=status, updated_at=now))


async def goals_of(session: AsyncSession, user_id: int) -> list[GoalRecord]:
    """The user's goals, oldest first, each with its action steps in order."""
    goal_rows = (await session.execute(
        select(GOALS).where(GOALS.c.user_id == user_id).order_by(GOALS.c.id))).all()
    action_rows = (await session.execute(
        select(ACTIONS).where(ACTIONS.c.user_id == user_id)
        .order_by(ACTIONS.c.goal_id, ACTIONS.c.position, ACTIONS.c.id))).all()
    by_goal: dict[int, list[ActionRecord]] = {}
    for row in action_rows:
        action = ActionRecord.from_row(row)
        by_goal.setdefault(action.goal_id, []).append(action)
    goals = []
    for row in goal_rows:
        mapping = row._mapping
        goals.append(GoalRecord(
            id=mapping["id"], dialog=mapping["dialog"], stage=mapping["stage"],
            title=mapping["title"], details=mapping["details"], due_on=mapping["due_on"],
            status=GoalStatus(mapping["status"]), visibility=Visibility(mapping["visibility"]),
            created_at=mapping["created_at"], actions=tuple(by_goal.get(mapping["id"], ()))))
    return goals
