"""Every query the app needs. Each takes the caller's session and at most flushes: the service owns
the transaction (one per answer). Results are small frozen dataclasses, never ORM objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActionStep, Answer, DialogRun, Goal, ProcessedUpdate, User

USERS: Table = User.__table__  # type: ignore[assignment]
RUNS: Table = DialogRun.__table__  # type: ignore[assignment]
ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
GOALS: Table = Goal.__table__  # type: ignore[assignment]
ACTIONS: Table = ActionStep.__table__  # type: ignore[assignment]
UPDATES: Table = ProcessedUpdate.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class UserRecord:
    """A user as the service sees them."""

    id: int
    telegram_id: int
    name: str | None
    language: str
    timezone: str
    role: str
    stage: str
    share_by_default: bool
    relationship_ends_on: date | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class RunRecord:
    """A dialog run with its engine state."""

    id: int
    user_id: int
    dialog: str
    stage: str
    step: str
    status: str
    state: dict[str, Any]
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class AnswerRecord:
    """One saved answer."""

    id: int
    run_id: int
    stage: str
    dialog: str
    step_key: str
    value: Any
    visibility: str
    message_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ActionRecord:
    """An action step of a goal."""

    id: int
    goal_id: int
    position: int
    text: str
    due_on: date | None
    status: str


@dataclass(frozen=True)
class GoalRecord:
    """A goal with its action steps."""

    id: int
    dialog: str
    stage: str
    title: str
    details: dict[str, Any]
    due_on: date | None
    status: str
    visibility: str
    created_at: datetime
    actions: tuple[ActionRecord, ...]


def _record(cls: type[Any], row: Row[Any]) -> Any:
    mapping = row._mapping
    return cls(**{name: mapping[name] for name in cls.__dataclass_fields__})


def _dialect_insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL do)."""
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


# --- users ---------------------------------------------------------------------------------------


async def lock_user(session: AsyncSession, telegram_id: int) -> UserRecord | None:
    """The user, locked for this transaction on PostgreSQL (SQLite's BEGIN IMMEDIATE locks all)."""
    query = select(USERS).where(USERS.c.telegram_id == telegram_id).with_for_update()
    row = (await session.execute(query)).first()
    return _record(UserRecord, row) if row else None


_RUN_COLUMNS = [column.label(f"run_{column.name}") for column in RUNS.c]
_USER_WITH_RUN = (
    select(USERS, *_RUN_COLUMNS)
    .outerjoin(RUNS, (RUNS.c.user_id == USERS.c.id) & (RUNS.c.status == "active"))
    .where(USERS.c.telegram_id == bindparam("telegram_id"))
)


async def lock_user_with_run(
    session: AsyncSession, telegram_id: int
) -> tuple[UserRecord, RunRecord | None] | None:
    """The user, locked for this transaction, with their active run.

    On SQLite the transaction began IMMEDIATE, so it already holds the write lock and one joined
    query reads fresh rows. On PostgreSQL the run is read only after the user's row lock is held:
    a joined row would come from the snapshot taken before waiting for the lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        user = await lock_user(session, telegram_id)
        return None if user is None else (user, await active_run(session, user.id))
    row = (await session.execute(_USER_WITH_RUN, {"telegram_id": telegram_id})).first()
    if row is None:
        return None
    mapping = row._mapping
    user = _record(UserRecord, row)
    if mapping["run_id"] is None:
        return user, None
    run = RunRecord(**{name: mapping[f"run_{name}"] for name in RunRecord.__dataclass_fields__})
    return user, run


async def get_user(session: AsyncSession, telegram_id: int) -> UserRecord | None:
    """The user with this Telegram id, if any."""
    row = (await session.execute(select(USERS).where(USERS.c.telegram_id == telegram_id))).first()
    return _record(UserRecord, row) if row else None


async def create_user(
    session: AsyncSession, telegram_id: int, *, name: str | None, language: str, timezone: str,
    now: datetime, role: str = "mentee",
) -> UserRecord:
    """A new user in the first stage; a concurrent creation of the same id is absorbed."""
    values = {"telegram_id": telegram_id, "name": name, "language": language,
              "timezone": timezone, "role": role, "stage": "initiation",
              "share_by_default": False, "active": True, "created_at": now, "updated_at": now}
    statement = _dialect_insert(session)(USERS).values(**values).on_conflict_do_nothing(
        index_elements=["telegram_id"])
    await session.execute(statement)
    user = await lock_user(session, telegram_id)
    assert user is not None
    return user


async def update_user(session: AsyncSession, user_id: int, now: datetime, **values: Any) -> None:
    """Change some of a user's fields."""
    statement = update(USERS).where(USERS.c.id == user_id).values(updated_at=now, **values)
    await session.execute(statement)


async def set_active(session: AsyncSession, telegram_id: int, active: bool, now: datetime) -> None:
    """Mark a user reachable or not (they blocked the bot)."""
    await session.execute(update(USERS).where(USERS.c.telegram_id == telegram_id)
                          .values(active=active, updated_at=now))


async def delete_user(session: AsyncSession, user_id: int) -> None:
    """Erase a user and, explicitly, everything that hangs off them."""
    for table in (ACTIONS, GOALS, ANSWERS, RUNS):
        await session.execute(delete(table).where(table.c.user_id == user_id))
    await session.execute(delete(USERS).where(USERS.c.id == user_id))


# --- runs ----------------------------------------------------------------------------------------


async def active_run(session: AsyncSession, user_id: int) -> RunRecord | None:
    """The run the user is in right now, if any (at most one: a partial unique index says so)."""
    query = select(RUNS).where(RUNS.c.user_id == user_id, RUNS.c.status == "active")
    row = (await session.execute(query)).first()
    return _record(RunRecord, row) if row else None


async def latest_paused_run(
    session: AsyncSession, user_id: int, dialog: str | None = None
) -> RunRecord | None:
    """The most recently paused run (of one dialog, if given)."""
    query = select(RUNS).where(RUNS.c.user_id == user_id, RUNS.c.status == "paused")
    if dialog is not None:
        query = query.where(RUNS.c.dialog == dialog)
    row = (await session.execute(query.order_by(RUNS.c.updated_at.desc(), RUNS.c.id.desc())
                                 .limit(1))).first()
    return _record(RunRecord, row) if row else None


async def get_run(session: AsyncSession, run_id: int) -> RunRecord | None:
    """A run by id."""
    row = (await session.execute(select(RUNS).where(RUNS.c.id == run_id))).first()
    return _record(RunRecord, row) if row else None


async def create_run(
    session: AsyncSession, *, user_id: int, dialog: str, stage: str, step: str,
    state: dict[str, Any], now: datetime,
) -> int:
    """Open a new active run; returns its id."""
    result = await session.execute(insert(RUNS).values(
        user_id=user_id, dialog=dialog, stage=stage, step=step, status="active", state=state,
        started_at=now, updated_at=now).returning(RUNS.c.id))
    return int(result.scalar_one())


async def save_run(
    session: AsyncSession, run_id: int, *, step: str, status: str, state: dict[str, Any],
    now: datetime,
) -> None:
    """Store a run's new position (and completion time when it completed)."""
    values: dict[str, Any] = {"step": step, "status": status, "state": state, "updated_at": now}
    if status == "completed":
        values["completed_at"] = now
    await session.execute(update(RUNS).where(RUNS.c.id == run_id).values(**values))


async def set_run_status(session: AsyncSession, run_id: int, status: str, now: datetime) -> None:
    """Pause, resume or cancel a run."""
    await session.execute(update(RUNS).where(RUNS.c.id == run_id)
                          .values(status=status, updated_at=now))


async def completed_dialogs(session: AsyncSession, user_id: int) -> set[str]:
    """Names of the dialogs the user has completed at least once."""
    query = select(RUNS.c.dialog).where(RUNS.c.user_id == user_id, RUNS.c.status == "completed")
    return set((await session.execute(query.distinct())).scalars())


async def runs_of(session: AsyncSession, user_id: int) -> list[RunRecord]:
    """All runs of a user, oldest first."""
    query = select(RUNS).where(RUNS.c.user_id == user_id).order_by(RUNS.c.id)
    return [_record(RunRecord, row) for row in (await session.execute(query))]


# --- answers -------------------------------------------------------------------------------------


def _answer_upsert(dialect: Any) -> Any:
    """INSERT … ON CONFLICT (run, step) DO UPDATE, built once per dialect so SQLAlchemy caches its
    compiled form (an update keeps the answer's visibility; a new message id replaces the old)."""
    statement = dialect.insert(ANSWERS)
    return statement.on_conflict_do_update(
        index_elements=["run_id", "step_key"],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at,
              "message_id": func.coalesce(statement.excluded.message_id, ANSWERS.c.message_id)},
    )


_ANSWER_UPSERT = {"postgresql": _answer_upsert(postgresql), "sqlite": _answer_upsert(sqlite)}


async def save_answers(
    session: AsyncSession, run: RunRecord, saves: Mapping[str, Any], *, visibility: str,
    now: datetime, message_id: int | None = None,
) -> None:
    """Insert or update this run's answers (one row per step)."""
    if not saves:
        return
    rows = [{"run_id": run.id, "user_id": run.user_id, "stage": run.stage, "dialog": run.dialog,
             "step_key": key, "value": value, "visibility": visibility, "message_id": message_id,
             "created_at": now, "updated_at": now} for key, value in saves.items()]
    upsert = _ANSWER_UPSERT[session.get_bind().dialect.name]
    await session.execute(upsert, rows)


async def delete_answers(session: AsyncSession, run_id: int, keys: Iterable[str]) -> None:
    """Remove answers of steps that no longer apply."""
    keys = list(keys)
    if keys:
        await session.execute(delete(ANSWERS).where(ANSWERS.c.run_id == run_id,
                                                    ANSWERS.c.step_key.in_(keys)))


async def answer_by_message(
    session: AsyncSession, user_id: int, message_id: int
) -> AnswerRecord | None:
    """The answer a given chat message gave (to apply an edit of that message)."""
    query = select(ANSWERS).where(ANSWERS.c.user_id == user_id, ANSWERS.c.message_id == message_id)
    row = (await session.execute(query.order_by(ANSWERS.c.id.desc()).limit(1))).first()
    return _record(AnswerRecord, row) if row else None


async def answers_of(session: AsyncSession, user_id: int) -> list[AnswerRecord]:
    """All answers of a user, in the order they were first given."""
    query = select(ANSWERS).where(ANSWERS.c.user_id == user_id).order_by(ANSWERS.c.run_id,
                                                                         ANSWERS.c.id)
    return [_record(AnswerRecord, row) for row in (await session.execute(query))]


async def latest_answers(
    session: AsyncSession, user_id: int, dialogs: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Per dialog, each step's most recent answer (what later dialogs quote)."""
    names = list(dialogs)
    if not names:
        return {}
    query = (select(ANSWERS.c.dialog, ANSWERS.c.step_key, ANSWERS.c.value)
             .where(ANSWERS.c.user_id == user_id, ANSWERS.c.dialog.in_(names))
             .order_by(ANSWERS.c.updated_at, ANSWERS.c.id))
    latest: dict[str, dict[str, Any]] = {name: {} for name in names}
    for dialog, step_key, value in await session.execute(query):
        latest[dialog][step_key] = value
    return latest


# --- goals and actions ---------------------------------------------------------------------------


async def create_goal(
    session: AsyncSession, *, user_id: int, run_id: int, dialog: str, stage: str, title: str,
    details: dict[str, Any], due_on: date | None, visibility: str, now: datetime,
) -> int:
    """Store a goal; returns its id."""
    result = await session.execute(insert(GOALS).values(
        user_id=user_id, run_id=run_id, dialog=dialog, stage=stage, title=title, details=details,
        due_on=due_on, status="open", visibility=visibility, created_at=now, updated_at=now,
    ).returning(GOALS.c.id))
    return int(result.scalar_one())


async def add_actions(
    session: AsyncSession, *, goal_id: int, user_id: int,
    actions: Iterable[tuple[str, date | None]], now: datetime,
) -> None:
    """Store a goal's action steps in order."""
    rows = [{"goal_id": goal_id, "user_id": user_id, "position": i, "text": text, "due_on": due,
             "status": "open", "created_at": now, "updated_at": now}
            for i, (text, due) in enumerate(actions)]
    if rows:
        await session.execute(insert(ACTIONS).values(rows))


async def set_action_status(
    session: AsyncSession, user_id: int, action_id: int, status: str, now: datetime
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
        action = _record(ActionRecord, row)
        by_goal.setdefault(action.goal_id, []).append(action)
    goals = []
    for row in goal_rows:
        mapping = row._mapping
        goals.append(GoalRecord(
            id=mapping["id"], dialog=mapping["dialog"], stage=mapping["stage"],
            title=mapping["title"], details=mapping["details"], due_on=mapping["due_on"],
            status=mapping["status"], visibility=mapping["visibility"],
            created_at=mapping["created_at"], actions=tuple(by_goal.get(mapping["id"], ()))))
    return goals


# --- updates -------------------------------------------------------------------------------------


async def claim_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Record a Telegram update as handled; False when it was handled before (a redelivery)."""
    statement = _dialect_insert(session)(UPDATES).values(update_id=update_id, processed_at=now)
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["update_id"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_updates_before(session: AsyncSession, cutoff: datetime) -> None:
    """Drop old update ids (Telegram does not redeliver after a day)."""
    await session.execute(delete(UPDATES).where(UPDATES.c.processed_at < cutoff))
