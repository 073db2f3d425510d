"""Goals the mentee chose, and the action steps towards each.

Every query that reads or changes one goal or step also filters by its owner: an id of another
user's goal or step finds nothing and changes nothing.

The action step whose text or date the mentee is about to type anew (the "pending edit", at most
one per user) is conversation state, not part of the goal: it is kept on the user row
(`users.pending_edit`), which every input loads anyway, and only the `*pending_edit*` functions
here read or change it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import ACTIONS, GOALS, USERS, record
from storage.users import UserRecord, user_by_id
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
    run_id: int | None  # the run that shaped it last: created it, or revised it
    dialog: str
    stage: str
    title: str
    details: JSONObject
    due_on: date | None
    status: GoalStatus
    visibility: Visibility
    created_at: datetime
    actions: tuple[ActionRecord, ...]

    @property
    def is_open(self) -> bool:
        """Still being worked on: open, or partly reached (neither reached nor let go)."""
        return self.status in (GoalStatus.OPEN, GoalStatus.PARTLY)


@dataclass(frozen=True)
class PendingEdit:
    """The action step whose `field` ("text" or "date") the mentee's next typed message replaces."""

    action_id: int
    field: str




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
    actions: Iterable[tuple[str, date | None]], now: datetime, start: int = 0,
) -> None:
    """Store a goal's action steps in order (from position `start`, after the steps it has)."""
    rows = [{"goal_id": goal_id, "user_id": user_id, "position": i, "text": text, "due_on": due,
             "status": ActionStatus.OPEN, "created_at": now, "updated_at": now}
            for i, (text, due) in enumerate(actions, start=start)]
    if rows:
        await session.execute(insert(ACTIONS).values(rows))


async def set_action_status(
    session: AsyncSession, user_id: int, action_id: int, status: ActionStatus, now: datetime
) -> None:
    """Move one of the user's action steps to a new status (another user's id changes nothing)."""
    await session.execute(update(ACTIONS).where(ACTIONS.c.id == action_id,
                                                ACTIONS.c.user_id == user_id)
                          .values(status=status, updated_at=now))


async def set_goal_status(
    session: AsyncSession, user_id: int, goal_id: int, status: GoalStatus, now: datetime
) -> None:
    """Mark one of the user's goals reached, partly reached, let go or open again."""
    await session.execute(update(GOALS).where(GOALS.c.id == goal_id, GOALS.c.user_id == user_id)
                          .values(status=status, updated_at=now))


async def set_run_goals_visibility(
    session: AsyncSession, user_id: int, run_id: int, visibility: Visibility
) -> None:
    """The goals a run set (or revised last) follow that run's sharing choice."""
    await session.execute(update(GOALS).where(GOALS.c.run_id == run_id, GOALS.c.user_id == user_id)
                          .values(visibility=visibility))


async def revise_goal(
    session: AsyncSession, user_id: int, goal_id: int, *, run_id: int, title: str,
    details: JSONObject, due_on: date | None, now: datetime,
) -> None:
    """A revision's new title, details and date for one of the user's goals, and its run."""
    await session.execute(update(GOALS).where(GOALS.c.id == goal_id, GOALS.c.user_id == user_id)
                          .values(run_id=run_id, title=title, details=details, due_on=due_on,
                                  updated_at=now))


async def edit_action(
    session: AsyncSession, user_id: int, action_id: int, now: datetime, *,
    text: str | None = None, due_on: date | None = None,
) -> None:
    """A new text or a new date for one of the user's action steps (None leaves it as it is)."""
    values: dict[str, object] = {"updated_at": now}
    if text is not None:
        values["text"] = text
    if due_on is not None:
        values["due_on"] = due_on
    await session.execute(update(ACTIONS).where(ACTIONS.c.id == action_id,
                                                ACTIONS.c.user_id == user_id).values(**values))


async def delete_action(session: AsyncSession, user_id: int, action_id: int) -> None:
    """Remove one of the user's action steps."""
    await session.execute(delete(ACTIONS).where(ACTIONS.c.id == action_id,
                                                ACTIONS.c.user_id == user_id))


async def goal_of(session: AsyncSession, user_id: int, goal_id: int) -> GoalRecord | None:
    """One of the user's goals with its action steps; None for anyone else's id."""
    found = await _goals(session, user_id, GOALS.c.id == goal_id)
    return found[0] if found else None


async def goal_of_action(session: AsyncSession, user_id: int, action_id: int) -> GoalRecord | None:
    """The user's goal that this action step belongs to; None for anyone else's step."""
    goal_id = (await session.execute(select(ACTIONS.c.goal_id).where(
        ACTIONS.c.id == action_id, ACTIONS.c.user_id == user_id))).scalar_one_or_none()
    return None if goal_id is None else await goal_of(session, user_id, goal_id)


def pending_edit_of(user: UserRecord) -> PendingEdit | None:
    """The action step whose text or date this user's next typed message replaces, if any."""
    marker = user.pending_edit
    if isinstance(marker, dict) and isinstance(marker.get("action"), int) \
            and marker.get("field") in ("text", "date"):
        return PendingEdit(int(str(marker["action"])), str(marker["field"]))
    return None


async def pending_edit(session: AsyncSession, user_id: int) -> PendingEdit | None:
    """`pending_edit_of` for a user by id (read fresh from the database)."""
    user = await user_by_id(session, user_id)
    return None if user is None else pending_edit_of(user)


async def set_pending_edit(session: AsyncSession, user_id: int, edit: PendingEdit) -> None:
    """Wait for a new text or date of one of the user's steps (replacing any earlier wait); a step
    that is not theirs makes them wait for nothing."""
    goal = await goal_of_action(session, user_id, edit.action_id)
    marker: JSONObject | None = (None if goal is None
                                 else {"action": edit.action_id, "field": edit.field})
    await session.execute(update(USERS).where(USERS.c.id == user_id).values(pending_edit=marker))


async def clear_pending_edit(session: AsyncSession, user_id: int) -> None:
    """Wait for no new text or date any more."""
    await session.execute(update(USERS).where(USERS.c.id == user_id).values(pending_edit=None))


async def goals_of(session: AsyncSession, user_id: int) -> list[GoalRecord]:
    """The user's goals, oldest first, each with its action steps in order."""
    return await _goals(session, user_id)


async def _goals(session: AsyncSession, user_id: int, *where: Any) -> list[GoalRecord]:
    """The user's goals (those matching `where`), oldest first, with their steps in order."""
    goal_rows = (await session.execute(
        select(GOALS).where(GOALS.c.user_id == user_id, *where).order_by(GOALS.c.id))).all()
    if not goal_rows:
        return []
    ids = [row.id for row in goal_rows]
    action_rows = (await session.execute(
        select(ACTIONS).where(ACTIONS.c.user_id == user_id, ACTIONS.c.goal_id.in_(ids))
        .order_by(ACTIONS.c.goal_id, ACTIONS.c.position, ACTIONS.c.id))).all()
    by_goal: dict[int, list[ActionRecord]] = {}
    for row in action_rows:
        action = ActionRecord.from_row(row)
        by_goal.setdefault(action.goal_id, []).append(action)
    goals = []
    for row in goal_rows:
        mapping = row._mapping
        details = mapping["details"] or {}
        goals.append(GoalRecord(
            id=mapping["id"], run_id=mapping["run_id"], dialog=mapping["dialog"],
            stage=mapping["stage"], title=mapping["title"], details=details,
            due_on=mapping["due_on"],
            status=GoalStatus(mapping["status"]), visibility=Visibility(mapping["visibility"]),
            created_at=mapping["created_at"], actions=tuple(by_goal.get(mapping["id"], ()))))
    return goals
