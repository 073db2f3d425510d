"""The inbox: Telegram updates saved before Telegram is told they arrived, kept until handled.

A crash between Telegram's confirmation and the end of an update's handling then loses nothing:
what is left here at start-up is handled again, and `processed_updates` still lets each update
id count once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import INBOX, UPDATES, dialect_insert, record


@dataclass(frozen=True)
class InboxRecord:
    """An update a crash left behind. `handled`: the service finished it before the crash (its
    answer is saved), so only the reply may be missing. `replays`: start-ups that took it up."""

    update_id: int
    person_id: int | None
    payload: dict[str, Any]
    replays: int
    handled: bool


async def keep_update(session: AsyncSession, update_id: int, person_id: int | None,
                      payload: dict[str, Any], now: datetime) -> bool:
    """Save an arriving update; False when it is here already (a redelivery counts once)."""
    statement = dialect_insert(session)(INBOX).values(
        update_id=update_id, person_id=person_id, payload=payload, received_at=now)
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["update_id"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_updates(session: AsyncSession, update_ids: Sequence[int]) -> None:
    """These updates were handled (or given up on): no start-up takes them up again."""
    if update_ids:
        await session.execute(delete(INBOX).where(INBOX.c.update_id.in_(update_ids)))


async def take_up_leftovers(session: AsyncSession) -> list[InboxRecord]:
    """What is left after a crash, oldest first, each counted as taken up once more."""
    await session.execute(update(INBOX).values(replays=INBOX.c.replays + 1))
    rows = await session.execute(
        select(INBOX, UPDATES.c.update_id.is_not(None).label("handled"))
        .outerjoin(UPDATES, UPDATES.c.update_id == INBOX.c.update_id)
        .order_by(INBOX.c.update_id))
    return [record(InboxRecord, row) for row in rows]
