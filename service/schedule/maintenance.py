"""The daily clean-up, a scheduled kind like any other: old update ids and finished items go."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.schedule.kinds import SystemKind
from service.schedule.policy import SchedulePolicy
from storage.schedule import NewItem, forget_items_before
from storage.updates import forget_updates_before
from storage.vocabulary import ItemStatus

KIND = "maintenance"
#: When the clean-up runs each day (UTC): a quiet hour for most of the people we serve.
AT = time(3, 0)
FINISHED = (ItemStatus.SENT, ItemStatus.SKIPPED, ItemStatus.MISSED, ItemStatus.CANCELLED)


def next_clean_up(now: datetime) -> NewItem:
    """The next daily clean-up (its key is its day, so every dispatcher plans the same one)."""
    due = datetime.combine(now.date(), AT, tzinfo=now.tzinfo)
    if due <= now:
        due += timedelta(days=1)
    return NewItem(f"{KIND}:{due.date().isoformat()}", KIND, None, due, {})


def maintenance(policy: SchedulePolicy) -> SystemKind:
    """The clean-up under this policy."""

    async def work(session: AsyncSession, now: datetime) -> None:
        await forget_updates_before(session, now - policy.keep_update_ids)
        await forget_items_before(session, now - policy.keep_finished, FINISHED)

    return SystemKind(KIND, work, following=next_clean_up)
