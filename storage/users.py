"""Users: who talks to the bot, their settings and journey stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import Row, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import (
    ACTIONS,
    ANSWERS,
    GOALS,
    HELP,
    INVITES,
    ITEMS,
    PAIRINGS,
    PULSES,
    RUNS,
    SAFETY,
    SCHEDULES,
    USERS,
    dialect_insert,
)
from storage.vocabulary import JSONObject, Role


@dataclass(frozen=True)
class UserRecord:
    """A user as the service sees them."""

    id: int
    telegram_id: int
    name: str | None
    language: str
    timezone: str
    role: Role
    stage: str
    share_by_default: bool
    relationship_ends_on: date | None
    active: bool
    created_at: datetime
    pending_edit: JSONObject | None = None  # see storage.goals.PendingEdit
    paused_until: datetime | None = None  # nothing scheduled is sent before then
    quiet_hours: str | None = None  # "21:00-08:00"; None = the default
    awaiting: JSONObject | None = None  # what their next typed text is for, outside a dialog
    mentors: bool = False  # they also work as a mentor
    programme_id: int | None = None  # the programme they joined through
    language_chosen: bool = False  # set by themselves, not Telegram's guess
    long_text: JSONObject | None = None  # their last text refused as too long (service.long_text)

    @classmethod
    def from_row(cls, row: Row[Any]) -> UserRecord:
        """The user in a row that begins with `USER_COLUMNS`, in their order (read by position:
        the dispatcher reads hundreds of people a batch, and by name cost twice as much)."""
        values = list(row[:len(_FIELDS)])
        values[_ROLE] = Role(values[_ROLE])
        return cls(*values)


_FIELDS = tuple(UserRecord.__dataclass_fields__)
_ROLE = _FIELDS.index("role")
#: A user's columns, in `UserRecord`'s order: what a query for whole users selects first.
USER_COLUMNS = tuple(USERS.c[name] for name in _FIELDS)


class UserChanges(TypedDict, total=False):
    """The fields `update_user` may change."""

    name: str | None
    language: str
    timezone: str
    role: Role
    stage: str
    share_by_default: bool
    relationship_ends_on: date | None
    active: bool
    pending_edit: JSONObject | None
    paused_until: datetime | None
    quiet_hours: str | None
    awaiting: JSONObject | None
    mentors: bool
    programme_id: int | None
    language_chosen: bool
    long_text: JSONObject | None


async def lock_user(session: AsyncSession, telegram_id: int) -> UserRecord | None:
    """The user, locked for this transaction on PostgreSQL (SQLite's BEGIN IMMEDIATE locks all)."""
    query = select(*USER_COLUMNS).where(USERS.c.telegram_id == telegram_id).with_for_update()
    row = (await session.execute(query)).first()
    return UserRecord.from_row(row) if row else None


async def user_by_id(session: AsyncSession, user_id: int) -> UserRecord | None:
    """The user with this row id, if any."""
    row = (await session.execute(select(*USER_COLUMNS).where(USERS.c.id == user_id))).first()
    return UserRecord.from_row(row) if row else None


#: What users.telegram_id (BIGINT) can hold: an id outside it is nobody's.
TELEGRAM_IDS = range(-2**63, 2**63)
#: A person's Telegram id: positive (0 is nobody's, a negative id is a group chat's) and held by
#: the column.
USER_IDS = range(1, 2**63)


def user_id_of(text: str) -> int | None:
    """The person's Telegram id that `text` writes, or None: the one reading of an id typed to a
    command or a setting, so that each refuses 0, a group chat's id and an overflow alike."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(USER_IDS.stop)):
        return None
    value = int(digits)
    return value if value in USER_IDS else None


async def get_user(session: AsyncSession, telegram_id: int) -> UserRecord | None:
    """The user with this Telegram id, if any (none for an id no column could hold, which the
    drivers would refuse with an overflow instead of an answer)."""
    if telegram_id not in TELEGRAM_IDS:
        return None
    row = (await session.execute(select(*USER_COLUMNS).where(USERS.c.telegram_id == telegram_id))).first()
    return UserRecord.from_row(row) if row else None


async def create_user(
    session: AsyncSession, telegram_id: int, *, name: str | None, language: str, timezone: str,
    now: datetime, role: Role = Role.MENTEE,
) -> tuple[UserRecord, bool]:
    """A new user in the first stage, locked, and whether this call inserted it: a concurrent
    creation of the same id (another process) is absorbed, and only one of them says "new"."""
    values = {"telegram_id": telegram_id, "name": name, "language": language,
              "timezone": timezone, "role": role, "stage": "initiation",
              "share_by_default": False, "active": True, "created_at": now, "updated_at": now}
    statement = dialect_insert(session)(USERS).values(**values).on_conflict_do_nothing(
        index_elements=["telegram_id"]).returning(USERS.c.id)
    inserted = (await session.execute(statement)).first() is not None
    user = await lock_user(session, telegram_id)
    assert user is not None
    return user, inserted


async def update_user(
    session: AsyncSession, user_id: int, now: datetime, **values: Unpack[UserChanges]
) -> None:
    """Change some of a user's fields."""
    statement = update(USERS).where(USERS.c.id == user_id).values(updated_at=now, **values)
    await session.execute(statement)


async def set_active(session: AsyncSession, telegram_id: int, active: bool, now: datetime) -> None:
    """Mark a user reachable or not (they blocked the bot)."""
    await session.execute(update(USERS).where(USERS.c.telegram_id == telegram_id)
                          .values(active=active, updated_at=now))


async def delete_user(session: AsyncSession, user_id: int) -> None:
    """Erase a user and, explicitly, everything that hangs off them."""
    for table in (SAFETY, PULSES, ITEMS, SCHEDULES, ACTIONS, GOALS, ANSWERS, RUNS):
        await session.execute(delete(table).where(table.c.user_id == user_id))
    await session.execute(delete(HELP).where(or_(HELP.c.mentee_id == user_id,
                                                 HELP.c.mentor_id == user_id)))
    await session.execute(delete(PAIRINGS).where(or_(PAIRINGS.c.mentee_id == user_id,
                                                     PAIRINGS.c.mentor_id == user_id)))
    await session.execute(delete(INVITES).where(INVITES.c.created_by == user_id))
    await session.execute(delete(USERS).where(USERS.c.id == user_id))


def first_name(name: str | None) -> str | None:
    """How people are named to each other and in texts: their first name, if they gave one."""
    return (name or "").strip().split(" ")[0] or None
