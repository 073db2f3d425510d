"""Processed updates: Telegram update ids already handled, so a redelivery is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import UPDATES, dialect_insert


async def claim_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Record a Telegram update as handled; False when it was handled before (a redelivery)."""
    statement = dialect_insert(session)(UPDATES).values(update_id=update_id, processed_at=now)
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["update_id"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_updates_before(session: AsyncSession, cutoff: datetime) -> None:
    """Drop old update ids (Telegram does not redeliver after a day)."""
    await session.execute(delete(UPDATES).where(UPDATES.c.processed_at < cutoff))
