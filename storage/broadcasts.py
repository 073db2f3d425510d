"""Broadcasts: a cohort-wide dialog at one local wall time, the members it goes to, and how each
of them responded (statuses and flags only, never an answer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, cast, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import BROADCASTS, ITEMS, USERS, record
from storage.stats import first_name, started_flag

KIND = "broadcast"


@dataclass(frozen=True)
class BroadcastRecord:
    """A broadcast as the service sees it (`local_at`: a naive wall time)."""

    id: int
    programme_id: int
    dialog: str
    local_at: datetime
    created_by: int | None
    created_at: datetime
    reported_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> BroadcastRecord:
        return record(cls, row)


@dataclass(frozen=True)
class Member:
    """What planning a member's broadcast needs."""

    user_id: int
    telegram_id: int
    timezone: str
    quiet_hours: str | None
    active: bool
    paused_until: datetime | None


@dataclass(frozen=True)
class Response:
    """How one member's broadcast went: their item's status (None: none was made) and flags."""

    first_name: str
    active: bool
    paused_until: datetime | None
    status: str | None
    started: bool


def item_key(broadcast_id: int, user_id: int) -> str:
    return f"{KIND}:{broadcast_id}:{user_id}"


async def create_broadcast(session: AsyncSession, programme_id: int, dialog: str,
                           local_at: datetime, created_by: int | None,
                           now: datetime) -> BroadcastRecord:
    row = (await session.execute(BROADCASTS.insert().values(
        programme_id=programme_id, dialog=dialog, local_at=local_at, created_by=created_by,
        created_at=now).returning(BROADCASTS))).one()
    return BroadcastRecord.from_row(row)


async def broadcast_by_id(session: AsyncSession, broadcast_id: int) -> BroadcastRecord | None:
    row = (await session.execute(select(BROADCASTS).where(BROADCASTS.c.id == broadcast_id))).first()
    return BroadcastRecord.from_row(row) if row else None


async def open_broadcasts(session: AsyncSession, programme_id: int) -> list[BroadcastRecord]:
    """A programme's broadcasts not yet reported on (their members may still get them)."""
    rows = await session.execute(select(BROADCASTS).where(
        BROADCASTS.c.programme_id == programme_id, BROADCASTS.c.reported_at.is_(None))
        .order_by(BROADCASTS.c.id))
    return [BroadcastRecord.from_row(row) for row in rows]


async def mark_reported(session: AsyncSession, broadcast_id: int, now: datetime) -> None:
    await session.execute(update(BROADCASTS).where(BROADCASTS.c.id == broadcast_id,
                                                   BROADCASTS.c.reported_at.is_(None))
                          .values(reported_at=now))


async def members_of(session: AsyncSession, programme_id: int) -> list[Member]:
    """Every member of a programme (users.programme_id), by id."""
    rows = await session.execute(
        select(USERS.c.id, USERS.c.telegram_id, USERS.c.timezone, USERS.c.quiet_hours,
               USERS.c.active, USERS.c.paused_until)
        .where(USERS.c.programme_id == programme_id).order_by(USERS.c.id))
    return [Member(row.id, row.telegram_id, row.timezone, row.quiet_hours, bool(row.active),
                   row.paused_until) for row in rows]


async def user_ids_of(session: AsyncSession, telegram_ids: list[int]) -> dict[int, int]:
    """Telegram id → user id, for those who have written to the bot."""
    if not telegram_ids:
        return {}
    rows = await session.execute(select(USERS.c.telegram_id, USERS.c.id)
                                 .where(USERS.c.telegram_id.in_(telegram_ids)))
    return {int(row.telegram_id): int(row.id) for row in rows}


async def responses(session: AsyncSession, broadcast: BroadcastRecord) -> list[Response]:
    """Each member's item of the broadcast (found by its key: one indexed lookup per row)."""
    key = cast(f"{KIND}:{broadcast.id}:", String) + cast(USERS.c.id, String)
    rows = await session.execute(
        select(USERS.c.name, USERS.c.active, USERS.c.paused_until, ITEMS.c.status,
               started_flag().label("started"))
        .select_from(USERS.outerjoin(ITEMS, ITEMS.c.key == key))
        .where(USERS.c.programme_id == broadcast.programme_id).order_by(USERS.c.id))
    return [Response(first_name(row.name), bool(row.active), row.paused_until, row.status,
                     bool(row.started) and row.status is not None) for row in rows]
