"""Dialog runs: one pass through a dialog, with the engine state to resume it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import RUNS, USERS, record
from storage.users import USER_COLUMNS, UserRecord, lock_user
from storage.vocabulary import JSONObject, RunStatus


@dataclass(frozen=True)
class RunRecord:
    """A dialog run with its engine state. `shown`: its current question is the question last
    shown to its person, so typed text may answer it."""

    id: int
    user_id: int
    dialog: str
    stage: str
    step: str
    status: RunStatus
    state: JSONObject
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    shown: bool

    @classmethod
    def from_row(cls, row: Row[Any], prefix: str = "") -> RunRecord:
        """The run in a row of `dialog_runs`, or in the columns named `prefix` + column name."""
        return record(cls, row, prefix=prefix, status=RunStatus)


async def active_run(session: AsyncSession, user_id: int) -> RunRecord | None:
    """The run the user is in right now, if any (at most one: a partial unique index says so)."""
    query = select(RUNS).where(RUNS.c.user_id == user_id, RUNS.c.status == RunStatus.ACTIVE)
    row = (await session.execute(query)).first()
    return RunRecord.from_row(row) if row else None


_RUN_COLUMNS = [column.label(f"run_{column.name}") for column in RUNS.c]
_USER_WITH_RUN = (
    select(*USER_COLUMNS, *_RUN_COLUMNS)
    .outerjoin(RUNS, (RUNS.c.user_id == USERS.c.id) & (RUNS.c.status == RunStatus.ACTIVE))
    .where(USERS.c.telegram_id == bindparam("telegram_id"))
)


async def lock_user_with_run(
    session: AsyncSession, telegram_id: int
) -> tuple[UserRecord, RunRecord | None] | None:
    """The user, locked for this transaction, with their active run.

    It joins users and runs; it lives here, with the runs, because `storage.users` knows nothing
    of runs (it uses `storage.users.lock_user` for the user's half).

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
    user = UserRecord.from_row(row)
    if row._mapping["run_id"] is None:
        return user, None
    return user, RunRecord.from_row(row, prefix="run_")


_LOCK_USERS = (select(*USER_COLUMNS).where(USERS.c.telegram_id.in_(bindparam("people", expanding=True)))
               .order_by(USERS.c.id).with_for_update())
_ACTIVE_RUNS = select(RUNS).where(RUNS.c.user_id.in_(bindparam("users", expanding=True)),
                                  RUNS.c.status == RunStatus.ACTIVE)


async def lock_users_with_runs(
    session: AsyncSession, telegram_ids: Sequence[int]
) -> dict[int, tuple[UserRecord, RunRecord | None]]:
    """Several people, locked for this transaction, with their active runs, by Telegram id (the
    unknown ones left out): `lock_user_with_run` for a batch of the dispatcher's items. The runs
    are read once the users are locked (PostgreSQL locks the rows in id order, so two batches
    never wait for each other in a circle), and only theirs, not a run's worth of empty columns
    for each person without one."""
    if not telegram_ids:
        return {}
    users = [UserRecord.from_row(row) for row in
             await session.execute(_LOCK_USERS, {"people": list(telegram_ids)})]
    runs = {run.user_id: run for run in (RunRecord.from_row(row) for row in await session.execute(
        _ACTIVE_RUNS, {"users": [user.id for user in users]}))} if users else {}
    return {user.telegram_id: (user, runs.get(user.id)) for user in users}


async def latest_paused_run(
    session: AsyncSession, user_id: int, dialog: str | None = None
) -> RunRecord | None:
    """The most recently paused run (of one dialog, if given)."""
    query = select(RUNS).where(RUNS.c.user_id == user_id, RUNS.c.status == RunStatus.PAUSED)
    if dialog is not None:
        query = query.where(RUNS.c.dialog == dialog)
    row = (await session.execute(query.order_by(RUNS.c.updated_at.desc(), RUNS.c.id.desc())
                                 .limit(1))).first()
    return RunRecord.from_row(row) if row else None


async def get_run(session: AsyncSession, run_id: int) -> RunRecord | None:
    """A run by id."""
    row = (await session.execute(select(RUNS).where(RUNS.c.id == run_id))).first()
    return RunRecord.from_row(row) if row else None


async def create_run(
    session: AsyncSession, *, user_id: int, dialog: str, stage: str, step: str,
    state: JSONObject, now: datetime,
) -> int:
    """Open a new active run; returns its id."""
    result = await session.execute(insert(RUNS).values(
        user_id=user_id, dialog=dialog, stage=stage, step=step, status=RunStatus.ACTIVE,
        state=state, started_at=now, updated_at=now).returning(RUNS.c.id))
    return int(result.scalar_one())


async def save_run(
    session: AsyncSession, run_id: int, *, step: str, status: RunStatus, state: JSONObject,
    now: datetime, shown: bool = True,
) -> None:
    """Store a run's new position (and completion time when it completed). `shown`: the reply
    shows its question (after an answer, the next one); an edit of an earlier answer keeps it."""
    values: dict[str, object] = {"step": step, "status": status, "state": state,
                                 "updated_at": now, "shown": shown}
    if status == RunStatus.COMPLETED:
        values["completed_at"] = now
    await session.execute(update(RUNS).where(RUNS.c.id == run_id).values(**values))


async def set_run_status(
    session: AsyncSession, run_id: int, status: RunStatus, now: datetime
) -> None:
    """Pause, resume or cancel a run."""
    await session.execute(update(RUNS).where(RUNS.c.id == run_id)
                          .values(status=status, updated_at=now))


async def set_run_shown(session: AsyncSession, run_id: int, shown: bool) -> None:
    """Whether the run's current question is the question last shown to its person (see
    `RunRecord.shown`); nothing else about the run changes."""
    await session.execute(update(RUNS).where(RUNS.c.id == run_id).values(shown=shown))


async def hide_runs(session: AsyncSession, run_ids: Sequence[int]) -> None:
    """`set_run_shown(..., False)` for several runs at once (the dispatcher's batch)."""
    if run_ids:
        await session.execute(update(RUNS).where(RUNS.c.id.in_(list(run_ids))).values(shown=False))


async def completed_dialogs(session: AsyncSession, user_id: int) -> set[str]:
    """Names of the dialogs the user has completed at least once."""
    query = select(RUNS.c.dialog).where(RUNS.c.user_id == user_id,
                                        RUNS.c.status == RunStatus.COMPLETED)
    return set((await session.execute(query.distinct())).scalars())


async def runs_of(session: AsyncSession, user_id: int) -> list[RunRecord]:
    """All runs of a user, oldest first."""
    query = select(RUNS).where(RUNS.c.user_id == user_id).order_by(RUNS.c.id)
    return [RunRecord.from_row(row) for row in (await session.execute(query))]
