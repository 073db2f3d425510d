"""Answers: one row per step of a run, filed under its stage and dialog, with its visibility."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import ANSWERS, record
from storage.runs import RunRecord
from storage.vocabulary import JSONObject, JSONValue, Visibility


@dataclass(frozen=True)
class AnswerRecord:
    """One saved answer."""

    id: int
    run_id: int
    stage: str
    dialog: str
    step_key: str
    value: JSONValue
    visibility: Visibility
    message_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> AnswerRecord:
        """The answer in a row of `answers`."""
        return record(cls, row, visibility=Visibility)


def _answer_upsert(dialect: ModuleType) -> postgresql.Insert | sqlite.Insert:
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
    session: AsyncSession, run: RunRecord, saves: Mapping[str, JSONValue], *,
    visibility: Visibility, now: datetime, message_id: int | None = None,
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
    return AnswerRecord.from_row(row) if row else None


async def answers_of(session: AsyncSession, user_id: int) -> list[AnswerRecord]:
    """All answers of a user, in the order they were first given."""
    query = select(ANSWERS).where(ANSWERS.c.user_id == user_id).order_by(ANSWERS.c.run_id,
                                                                         ANSWERS.c.id)
    return [AnswerRecord.from_row(row) for row in (await session.execute(query))]


async def latest_answers(
    session: AsyncSession, user_id: int, dialogs: Iterable[str]
) -> dict[str, JSONObject]:
    """Per dialog, each step's most recent answer (what later dialogs quote)."""
    names = list(dialogs)
    if not names:
        return {}
    query = (select(ANSWERS.c.dialog, ANSWERS.c.step_key, ANSWERS.c.value)
             .where(ANSWERS.c.user_id == user_id, ANSWERS.c.dialog.in_(names))
             .order_by(ANSWERS.c.updated_at, ANSWERS.c.id))
    latest: dict[str, JSONObject] = {name: {} for name in names}
    for dialog, step_key, value in await session.execute(query):
        latest[dialog][step_key] = value
    return latest


async def set_run_visibility(session: AsyncSession, run_id: int, visibility: Visibility) -> None:
    """Who may read every answer of one run (the run in which the person made that choice); the
    answers themselves, and when they were given, stay as they are."""
    await session.execute(update(ANSWERS).where(ANSWERS.c.run_id == run_id)
                          .values(visibility=visibility))


async def answer_of(session: AsyncSession, user_id: int, answer_id: int) -> AnswerRecord | None:
    """One of the user's own answers (None for an id that is not theirs)."""
    row = (await session.execute(select(ANSWERS).where(
        ANSWERS.c.id == answer_id, ANSWERS.c.user_id == user_id))).first()
    return AnswerRecord.from_row(row) if row else None


async def set_answer_visibility(session: AsyncSession, user_id: int, answer_id: int,
                                visibility: Visibility) -> None:
    """Who may read one of the user's answers; someone else's answer id changes nothing."""
    await session.execute(update(ANSWERS).where(ANSWERS.c.id == answer_id,
                                                ANSWERS.c.user_id == user_id)
                          .values(visibility=visibility))
