"""Broadcasts: a cohort-wide dialog at one local wall time, the members it goes to, and how each
of them responded (statuses and flags only, never an answer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, String, cast, delete, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import stored_moment
from storage.rows import BROADCASTS, ITEMS, USERS, dialect_insert, record
from storage.stats import started_flag
from storage.users import first_name
from storage.vocabulary import ItemStatus, Role

KIND = "broadcast"
AUDIENCES = ("mentees", "mentors", "all")


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
    audience: str = "all"  # mentees | mentors | all
    rule: str | None = None  # the recurring rule this is an occurrence of

    def reaches(self, role: Role, mentors: bool) -> bool:
        """Whether someone of this side is in the broadcast's audience."""
        return reaches(self.audience, role, mentors)

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
    role: Role = Role.MENTEE
    mentors: bool = False


def reaches(audience: str, role: Role, mentors: bool) -> bool:
    """Mentees: whose side is the mentee's; mentors: who came as a mentor or added that side."""
    if audience == "mentees":
        return role == Role.MENTEE
    if audience == "mentors":
        return role == Role.MENTOR or mentors
    return True


def _in_audience(audience: str) -> ColumnElement[bool]:
    """`reaches` as a condition on users."""
    if audience == "mentees":
        return USERS.c.role == Role.MENTEE.value
    if audience == "mentors":
        return or_(USERS.c.role == Role.MENTOR.value, USERS.c.mentors.is_(True))
    return true()


@dataclass(frozen=True)
class AudienceResponse:
    """How one member's broadcast went: their item's status (None: none was made) and flags;
    who they are (first name, None without one: service.names says how coordinators read them)."""

    user_id: int
    role: Role
    first_name: str | None
    active: bool
    paused_until: datetime | None
    status: str | None
    started: bool


def item_key(broadcast_id: int, user_id: int) -> str:
    return f"{KIND}:{broadcast_id}:{user_id}"


async def create_broadcast(session: AsyncSession, programme_id: int, dialog: str,
                           local_at: datetime, created_by: int | None,
                           now: datetime, audience: str = "all") -> BroadcastRecord:
    row = (await session.execute(BROADCASTS.insert().values(
        programme_id=programme_id, dialog=dialog, local_at=local_at, created_by=created_by,
        created_at=now, audience=audience).returning(BROADCASTS))).one()
    return BroadcastRecord.from_row(row)


async def same_broadcast(session: AsyncSession, programme_id: int, dialog: str,
                         local_at: datetime, audience: str) -> BroadcastRecord | None:
    """A broadcast already reaching this audience with this dialog at this wall time (one set
    for everyone, from before audiences, reaches them too)."""
    row = (await session.execute(select(BROADCASTS).where(
        BROADCASTS.c.programme_id == programme_id, BROADCASTS.c.dialog == dialog,
        BROADCASTS.c.local_at == local_at, BROADCASTS.c.audience.in_((audience, "all")))
        .order_by(BROADCASTS.c.id).limit(1))).first()
    return BroadcastRecord.from_row(row) if row else None


async def occurrence(session: AsyncSession, programme_id: int, rule: str, dialog: str,
                     local_at: datetime, audience: str,
                     now: datetime) -> tuple[BroadcastRecord, bool]:
    """The broadcast of one occurrence of a programme's recurring rule, made by whichever
    member's planning reaches it first; and whether this call made it."""
    statement = dialect_insert(session)(BROADCASTS).values(
        programme_id=programme_id, dialog=dialog, local_at=local_at, created_by=None,
        created_at=now, audience=audience, rule=rule,
    ).on_conflict_do_nothing(index_elements=["programme_id", "rule", "local_at"])
    made = (await session.execute(statement.returning(BROADCASTS))).first()
    if made is not None:
        return BroadcastRecord.from_row(made), True
    row = (await session.execute(select(BROADCASTS).where(
        BROADCASTS.c.programme_id == programme_id, BROADCASTS.c.rule == rule,
        BROADCASTS.c.local_at == local_at))).one()
    return BroadcastRecord.from_row(row), False


async def withdraw_unsent(session: AsyncSession, programme_id: int, rule: str,
                          follow_ups: tuple[str, ...], now: datetime) -> int:
    """Remove the open occurrences of a programme's recurring rule that have reached nobody yet
    (its rule changed or ended): their pending items and those of the `follow_ups` kinds keyed
    by the broadcast (the coordinators' reports) are cancelled, the broadcast row goes, so that
    the rule now in force may set one at the same moment. How many went."""
    ids = (await session.execute(select(BROADCASTS.c.id).where(
        BROADCASTS.c.programme_id == programme_id, BROADCASTS.c.rule == rule,
        BROADCASTS.c.reported_at.is_(None)))).scalars().all()
    waiting = (ItemStatus.PENDING.value, ItemStatus.CANCELLED.value)
    gone: list[int] = []
    for broadcast_id in ids:
        reached = (await session.execute(select(ITEMS.c.id).where(
            ITEMS.c.key.startswith(f"{KIND}:{broadcast_id}:", autoescape=True),
            ITEMS.c.status.not_in(waiting)).limit(1))).first()
        if reached is None:
            gone.append(broadcast_id)
    for broadcast_id in gone:
        keys = [ITEMS.c.key.startswith(f"{kind}:{broadcast_id}:", autoescape=True)
                for kind in (KIND, *follow_ups)]
        await session.execute(update(ITEMS).where(
            ITEMS.c.status == ItemStatus.PENDING.value, or_(*keys))
            .values(status=ItemStatus.CANCELLED.value, updated_at=now))
    if gone:
        await session.execute(delete(BROADCASTS).where(BROADCASTS.c.id.in_(gone)))
    return len(gone)


async def broadcast_by_id(session: AsyncSession, broadcast_id: int) -> BroadcastRecord | None:
    row = (await session.execute(select(BROADCASTS).where(BROADCASTS.c.id == broadcast_id))).first()
    return BroadcastRecord.from_row(row) if row else None


async def open_broadcasts(session: AsyncSession, programme_id: int,
                          since: datetime | None = None) -> list[BroadcastRecord]:
    """A programme's broadcasts not yet reported on (their members may still get them); with
    `since` (a naive wall time), only those set at or after it."""
    query = select(BROADCASTS).where(BROADCASTS.c.programme_id == programme_id,
                                     BROADCASTS.c.reported_at.is_(None))
    if since is not None:
        query = query.where(BROADCASTS.c.local_at >= since)
    rows = await session.execute(query.order_by(BROADCASTS.c.id))
    return [BroadcastRecord.from_row(row) for row in rows]


async def mark_reported(session: AsyncSession, broadcast_id: int, now: datetime) -> None:
    await session.execute(update(BROADCASTS).where(BROADCASTS.c.id == broadcast_id,
                                                   BROADCASTS.c.reported_at.is_(None))
                          .values(reported_at=now))


async def members_of(session: AsyncSession, programme_id: int) -> list[Member]:
    """Every member of a programme (users.programme_id), by id."""
    rows = await session.execute(
        select(USERS.c.id, USERS.c.telegram_id, USERS.c.timezone, USERS.c.quiet_hours,
               USERS.c.active, USERS.c.paused_until, USERS.c.role, USERS.c.mentors)
        .where(USERS.c.programme_id == programme_id).order_by(USERS.c.id))
    return [Member(row.id, row.telegram_id, row.timezone, row.quiet_hours, bool(row.active),
                   row.paused_until, Role(row.role), bool(row.mentors)) for row in rows]


async def user_ids_of(session: AsyncSession, telegram_ids: list[int]) -> dict[int, int]:
    """Telegram id → user id, for those who have written to the bot."""
    if not telegram_ids:
        return {}
    rows = await session.execute(select(USERS.c.telegram_id, USERS.c.id)
                                 .where(USERS.c.telegram_id.in_(telegram_ids)))
    return {int(row.telegram_id): int(row.id) for row in rows}


async def last_planned(session: AsyncSession, broadcast: BroadcastRecord) -> datetime | None:
    """When the broadcast's last invitation planned for a member of its programme is due (found
    by key, as `responses` does); None before any is."""
    key = cast(f"{KIND}:{broadcast.id}:", String) + cast(USERS.c.id, String)
    moment = (await session.execute(
        select(func.max(ITEMS.c.due_at)).select_from(USERS.join(ITEMS, ITEMS.c.key == key))
        .where(USERS.c.programme_id == broadcast.programme_id))).scalar_one()
    return None if moment is None else stored_moment(moment)


async def responses(session: AsyncSession, broadcast: BroadcastRecord) -> list[AudienceResponse]:
    """Each audience member's item of the broadcast (found by its key: one indexed lookup per
    row); members outside its audience are not counted."""
    key = cast(f"{KIND}:{broadcast.id}:", String) + cast(USERS.c.id, String)
    rows = await session.execute(
        select(USERS.c.id, USERS.c.role, USERS.c.name, USERS.c.active, USERS.c.paused_until,
               ITEMS.c.status,
               started_flag().label("started"))
        .select_from(USERS.outerjoin(ITEMS, ITEMS.c.key == key))
        .where(USERS.c.programme_id == broadcast.programme_id, _in_audience(broadcast.audience))
        .order_by(USERS.c.id))
    return [AudienceResponse(row.id, Role(row.role), first_name(row.name), bool(row.active),
                     row.paused_until, row.status, bool(row.started) and row.status is not None)
            for row in rows]
