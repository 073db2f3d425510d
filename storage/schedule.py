"""Schedules and scheduled items: the rules people set, and each occurrence the dispatcher sends.

An item is created once (its `key` is unique: kind + person + occurrence; a second insert does
nothing), claimed by one dispatcher at a time with a lease, and finished with a status. Claiming
takes the oldest due rows: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two dispatchers never
take the same row; on SQLite every write transaction is `BEGIN IMMEDIATE` (storage.database), so
the `UPDATE … RETURNING` below runs alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import sqlite_text, stored_moment, utc
from storage.rows import ITEMS, SCHEDULES, USERS, dialect_insert, record
from storage.vocabulary import ItemStatus, JSONObject

#: How long `last_error` may be: an exception's class name and a short reason, never message text.
ERROR_LENGTH = 200


@dataclass(frozen=True)
class ItemRecord:
    """A scheduled item as the service sees it."""

    id: int
    key: str
    kind: str
    user_id: int | None
    due_at: datetime
    status: ItemStatus
    attempts: int
    payload: JSONObject
    sent_at: datetime | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: Row[Any]) -> ItemRecord:
        return record(cls, row, status=ItemStatus)



@dataclass(frozen=True)
class NewItem:
    """An item to create (if its key is new)."""

    key: str
    kind: str
    user_id: int | None
    due_at: datetime
    payload: JSONObject


@dataclass(frozen=True)
class Claimed:
    """A claimed item, with whom it is for: `telegram_id` is None for items of no person. `item`
    is the row as claimed: while it is claimed, only its claimer changes it."""

    id: int
    kind: str
    telegram_id: int | None
    item: ItemRecord


@dataclass(frozen=True)
class ListedItem:
    """A row of `coachbot schedule list`."""

    item: ItemRecord
    telegram_id: int | None
    timezone: str | None


# --- Rules -----------------------------------------------------------------------------------


# The dispatcher runs these for every item it sends: built once, with their parameters bound at each
# call, a statement costs its round trip and not the building of a new expression (building an
# upsert's `excluded` alone cost more than executing it).
_RULES = select(SCHEDULES.c.kind, SCHEDULES.c.rule).where(SCHEDULES.c.user_id == bindparam("user"))
_CANCEL_KINDS = (update(ITEMS)
                 .where(ITEMS.c.user_id == bindparam("user"),
                        ITEMS.c.status == ItemStatus.PENDING.value,
                        ITEMS.c.kind.in_(bindparam("kinds", expanding=True)),
                        ITEMS.c.key.not_in(bindparam("keep", expanding=True)))
                 .values(status=ItemStatus.CANCELLED.value, updated_at=bindparam("now")))


# Creating items is the dispatcher's most frequent write (each item sent plans its next, an
# invitation its reminder and close), so it goes to the driver as plain SQL with plain values:
# SQLAlchemy's per-row parameter handling cost four times the driver's own work (measured: 12 µs
# against 3 µs a row on SQLite). The statement creates an item, makes a cancelled one of the same
# key pending again, or moves a pending one (never tried yet) to the moment planned now: a changed
# zone or quiet hours move it.
_UPSERT = (
    'INSERT INTO scheduled_items ("key", kind, user_id, due_at, status, attempts, payload, '
    "created_at, updated_at) VALUES ({values}) "
    f"ON CONFLICT (\"key\") DO UPDATE SET status = '{ItemStatus.PENDING.value}', "
    "due_at = excluded.due_at, payload = excluded.payload, attempts = 0, last_error = NULL, "
    "lease_until = NULL, claimed_by = NULL, updated_at = excluded.updated_at "
    f"WHERE scheduled_items.status = '{ItemStatus.CANCELLED.value}' "
    f"OR (scheduled_items.status = '{ItemStatus.PENDING.value}' "
    "AND scheduled_items.attempts = 0 AND scheduled_items.due_at != excluded.due_at)")
#: The statement in each driver's own placeholders: sqlite3's `?` in order, asyncpg's numbered
#: (the moment of writing given once for both of its columns).
_UPSERTS = {
    "qmark": _UPSERT.format(values=f"?, ?, ?, ?, '{ItemStatus.PENDING.value}', 0, ?, ?, ?"),
    "numeric_dollar": _UPSERT.format(
        values=f"$1, $2, $3, $4, '{ItemStatus.PENDING.value}', 0, $5, $6, $6"),
}


def _written(dialect: Dialect) -> Callable[[datetime], object]:
    """How a moment goes to the driver in the plain statements here: SQLite's UTC text, or an
    aware datetime for asyncpg."""
    return sqlite_text if dialect.paramstyle == "qmark" else utc


_RULES_OF_MANY = select(SCHEDULES.c.user_id, SCHEDULES.c.kind, SCHEDULES.c.rule).where(
    SCHEDULES.c.user_id.in_(bindparam("users", expanding=True)))
_TAKE_MANY = (update(ITEMS)
              .where(ITEMS.c.id.in_(bindparam("items", expanding=True)),
                     ITEMS.c.status == ItemStatus.CLAIMED.value,
                     ITEMS.c.claimed_by == bindparam("owner"))
              .values(status=ItemStatus.SENT.value, sent_at=bindparam("now"), lease_until=None,
                      updated_at=bindparam("now"))
              .returning(ITEMS.c.id))
# A planner's cancellations for a batch of people, in each driver's own terms (see _UPSERT).
_CANCEL_UNPLANNED = {
    "qmark": f"UPDATE scheduled_items SET status = '{ItemStatus.CANCELLED.value}', updated_at = ? "
             "WHERE user_id IN (SELECT value FROM json_each(?)) "
             "AND kind IN (SELECT value FROM json_each(?)) "
             f"AND status = '{ItemStatus.PENDING.value}' "
             'AND "key" NOT IN (SELECT value FROM json_each(?))',
    "numeric_dollar": f"UPDATE scheduled_items SET status = '{ItemStatus.CANCELLED.value}', "
                      "updated_at = $1 WHERE user_id = ANY($2) AND kind = ANY($3) "
                      f"AND status = '{ItemStatus.PENDING.value}' AND NOT (\"key\" = ANY($4))",
}


async def rules_of(session: AsyncSession, user_id: int) -> dict[str, JSONObject]:
    """A person's rules by kind."""
    rows = await session.execute(_RULES, {"user": user_id})
    return {row.kind: row.rule for row in rows}


async def rules_of_many(session: AsyncSession,
                        user_ids: Iterable[int]) -> dict[int, dict[str, JSONObject]]:
    """Several people's rules by kind, by person (everyone asked for has an entry)."""
    rules: dict[int, dict[str, JSONObject]] = {user: {} for user in user_ids}
    if rules:
        for row in await session.execute(_RULES_OF_MANY, {"users": list(rules)}):
            rules[row.user_id][row.kind] = row.rule
    return rules


async def set_rule(session: AsyncSession, user_id: int, kind: str, rule: JSONObject | None,
                   now: datetime) -> None:
    """Set (or, with None, remove) a person's rule of one kind."""
    if rule is None:
        await session.execute(delete(SCHEDULES).where(SCHEDULES.c.user_id == user_id,
                                                      SCHEDULES.c.kind == kind))
        return
    statement = dialect_insert(session)(SCHEDULES).values(
        user_id=user_id, kind=kind, rule=rule, created_at=now, updated_at=now)
    await session.execute(statement.on_conflict_do_update(
        index_elements=["user_id", "kind"], set_={"rule": rule, "updated_at": now}))


# --- Items -----------------------------------------------------------------------------------


async def add_items(session: AsyncSession, items: Iterable[NewItem], now: datetime) -> int:
    """Create the items whose keys are new, make those that were cancelled pending again (a
    pause ended early, a rule changed back: planned again, the occurrence is wanted again), and
    move a pending one planned for another moment now (a key that names no moment, such as a
    broadcast's, keeps its item when the person's zone or quiet hours change); how many. An item
    sent, skipped, missed or failed stays as it is, and so does one waiting to be tried again."""
    dialect = session.get_bind().dialect
    when = _written(dialect)
    stamp = when(now)
    first: dict[str, NewItem] = {}
    for item in items:  # a key planned twice: its first plan counts
        first.setdefault(item.key, item)
    if not first:
        return 0
    rows: list[tuple[object, ...]] = [
        (item.key, item.kind, item.user_id, when(item.due_at), json.dumps(item.payload), stamp)
        for item in first.values()]
    if dialect.paramstyle == "qmark":  # unnumbered: the moment of writing goes in twice
        rows = [(*row, stamp) for row in rows]
    connection = await session.connection()
    result = await connection.exec_driver_sql(_UPSERTS[dialect.paramstyle],
                                              rows[0] if len(rows) == 1 else rows)
    return int(result.rowcount or 0)


async def pending_items(session: AsyncSession, user_id: int,
                        kinds: Iterable[str] | None = None) -> list[ItemRecord]:
    """A person's pending items (of these kinds), soonest first."""
    query = select(ITEMS).where(ITEMS.c.user_id == user_id,
                                ITEMS.c.status == ItemStatus.PENDING.value)
    if kinds is not None:
        query = query.where(ITEMS.c.kind.in_(list(kinds)))
    rows = await session.execute(query.order_by(ITEMS.c.due_at, ITEMS.c.id))
    return [ItemRecord.from_row(row) for row in rows]


async def latest_items(session: AsyncSession, user_id: int, kind: str,
                       limit: int = 5) -> list[ItemRecord]:
    """A person's most recent items of one kind that are no longer pending, newest first."""
    rows = await session.execute(
        select(ITEMS).where(ITEMS.c.user_id == user_id, ITEMS.c.kind == kind,
                            ITEMS.c.status != ItemStatus.PENDING.value,
                            ITEMS.c.status != ItemStatus.CANCELLED.value)
        .order_by(ITEMS.c.due_at.desc(), ITEMS.c.id.desc()).limit(limit))
    return [ItemRecord.from_row(row) for row in rows]


async def last_sent_at(session: AsyncSession, user_id: int, kind: str, *,
                       key_prefix: str | None = None, besides: int | None = None) -> datetime | None:
    """When a person's last item of this kind (whose key starts with `key_prefix`) was sent;
    `besides` leaves out the item being sent now (it counts as sent from the moment it is taken)."""
    query = select(func.max(ITEMS.c.sent_at)).where(
        ITEMS.c.user_id == user_id, ITEMS.c.kind == kind,
        ITEMS.c.status == ItemStatus.SENT.value)
    if besides is not None:
        query = query.where(ITEMS.c.id != besides)
    if key_prefix is not None:
        query = query.where(ITEMS.c.key.startswith(key_prefix, autoescape=True))
    return (await session.execute(query)).scalar_one_or_none()


async def sent_between(session: AsyncSession, user_id: int, kind: str, start: datetime,
                       end: datetime) -> bool:
    """Whether an item of this kind reached the person in [start, end): sent, and perhaps skipped
    or missed since (one that failed to go out has no `sent_at`)."""
    query = select(ITEMS.c.id).where(
        ITEMS.c.user_id == user_id, ITEMS.c.kind == kind, ITEMS.c.sent_at >= start,
        ITEMS.c.sent_at < end).limit(1)
    return (await session.execute(query)).first() is not None


async def item_by_id(session: AsyncSession, item_id: int) -> ItemRecord | None:
    """One item."""
    row = (await session.execute(select(ITEMS).where(ITEMS.c.id == item_id))).first()
    return ItemRecord.from_row(row) if row else None


async def item_by_key(session: AsyncSession, key: str) -> ItemRecord | None:
    """One item by its key."""
    row = (await session.execute(select(ITEMS).where(ITEMS.c.key == key))).first()
    return ItemRecord.from_row(row) if row else None


async def first_pending(session: AsyncSession, keys: Sequence[str]) -> datetime | None:
    """When the first of these items that is still pending is due (None: none is)."""
    if not keys:
        return None
    moment = (await session.execute(select(func.min(ITEMS.c.due_at)).where(
        ITEMS.c.key.in_(list(keys)), ITEMS.c.status == ItemStatus.PENDING.value))).scalar_one()
    return None if moment is None else stored_moment(moment)


async def postpone_items(session: AsyncSession, keys: Sequence[str], not_before: datetime,
                         now: datetime) -> None:
    """Move these pending items that are due before `not_before` to it (one key at a time, in
    the order given: two turns moving the same items lock them in the same order)."""
    for key in keys:
        await session.execute(update(ITEMS).where(
            ITEMS.c.key == key, ITEMS.c.status == ItemStatus.PENDING.value,
            ITEMS.c.due_at < not_before).values(due_at=not_before, updated_at=now))


async def set_status(session: AsyncSession, item_id: int, status: ItemStatus, now: datetime, *,
                     payload: JSONObject | None = None, expect: ItemStatus | None = None,
                     unsent: bool = False) -> bool:
    """Finish (or move) one item; with `expect`, only if it still has that status; with `unsent`,
    it was not sent after all (`take_many` marked it). Whether it changed."""
    values: dict[str, Any] = {"status": status.value, "updated_at": now, "lease_until": None}
    if status is ItemStatus.SENT:
        values["sent_at"] = now
    elif unsent:
        values["sent_at"] = None
    if payload is not None:
        values["payload"] = payload
    statement = update(ITEMS).where(ITEMS.c.id == item_id)
    if expect is not None:
        statement = statement.where(ITEMS.c.status == expect.value)
    result = await session.execute(statement.values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_pending(session: AsyncSession, user_id: int, now: datetime, *,
                         kinds: Iterable[str] | None = None, keep: Iterable[str] = (),
                         before: datetime | None = None, key_prefix: str | None = None) -> int:
    """Cancel a person's pending items (of these kinds; not those whose key is in `keep`; only
    those due before `before`; only those whose key starts with `key_prefix`); how many."""
    if kinds is not None and key_prefix is None and before is None:  # the planners' usual case
        result = await session.execute(_CANCEL_KINDS, {"user": user_id, "kinds": list(kinds),
                                                       "keep": list(keep), "now": now})
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
    statement = update(ITEMS).where(ITEMS.c.user_id == user_id,
                                    ITEMS.c.status == ItemStatus.PENDING.value)
    if key_prefix is not None:
        statement = statement.where(ITEMS.c.key.startswith(key_prefix, autoescape=True))
    if kinds is not None:
        statement = statement.where(ITEMS.c.kind.in_(list(kinds)))
    keep = list(keep)
    if keep:
        statement = statement.where(ITEMS.c.key.not_in(keep))
    if before is not None:
        statement = statement.where(ITEMS.c.due_at < before)
    result = await session.execute(statement.values(status=ItemStatus.CANCELLED.value,
                                                    updated_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def cancel_follow_ups(session: AsyncSession, user_id: int, kinds: Iterable[str],
                            now: datetime, *, invitation: int | None = None,
                            of_kind: str | None = None) -> None:
    """Cancel a person's pending follow-ups (items of these kinds whose payload names the
    `invitation` they wait on): those of one invitation, or those of any invitation of one kind
    (and those whose invitation is gone)."""
    assert (invitation is None) != (of_kind is None), "one invitation, or one kind of them"
    for follow in await pending_items(session, user_id, kinds):
        ref = follow.payload.get("invitation")
        if of_kind is not None:
            waits_on = await item_by_id(session, ref) if isinstance(ref, int) else None
            cancel = waits_on is None or waits_on.kind == of_kind
        else:
            cancel = ref == invitation
        if cancel:
            await set_status(session, follow.id, ItemStatus.CANCELLED, now,
                             expect=ItemStatus.PENDING)


async def cancel_unplanned(session: AsyncSession, user_ids: Iterable[int], kinds: Iterable[str],
                           keep: Iterable[str], now: datetime) -> int:
    """Cancel these people's pending items of these kinds whose keys are not in `keep`: one
    planner's `cancel_pending` for a batch of people at once (a key names its person, so one
    list of keys serves them all); how many."""
    users = list(user_ids)
    if not users:
        return 0
    dialect = session.get_bind().dialect
    lists: tuple[Any, ...] = (users, list(kinds), list(keep))
    if dialect.paramstyle == "qmark":  # SQLite: the lists as JSON arrays
        lists = tuple(map(json.dumps, lists))
    parameters = (_written(dialect)(now), *lists)
    connection = await session.connection()
    result = await connection.exec_driver_sql(_CANCEL_UNPLANNED[dialect.paramstyle], parameters)
    return int(result.rowcount or 0)


# The claim returns up to a batch of rows, each turned into an item: read from the driver as plain
# values (see _UPSERT; measured: SQLAlchemy's row processing was most of a claimed item's cost).
# Items whose claim's lease ran out (their dispatcher died) are taken back first, then due ones,
# each in the order of the index by status and time: one query for both read and sorted every
# due row for each batch. On PostgreSQL the rows are locked and skipped if another dispatcher
# holds them.
def _claim(taken: str, *, places: tuple[str, str, str, str], lock: str = "") -> str:
    """The claim of the items `taken` selects (`?` placeholders in order, or numbered ones:
    lease, owner, now, limit)."""
    lease, owner, now, limit = places
    return (f"UPDATE scheduled_items SET status = '{ItemStatus.CLAIMED.value}', "
            f"lease_until = {lease}, claimed_by = {owner}, updated_at = {now} "
            f"WHERE id IN (SELECT id FROM scheduled_items WHERE {taken.format(now=now)} "
            f"ORDER BY due_at, id LIMIT {limit}{lock}) "
            'RETURNING id, "key", kind, user_id, due_at, status, attempts, payload, sent_at, '
            "last_error")


_LEASE_RAN_OUT = f"status = '{ItemStatus.CLAIMED.value}' AND lease_until < {{now}}"
_DUE = f"status = '{ItemStatus.PENDING.value}' AND due_at <= {{now}}"
_CLAIMS = {
    "qmark": tuple(_claim(taken, places=("?", "?", "?", "?"))
                   for taken in (_LEASE_RAN_OUT, _DUE)),
    "numeric_dollar": tuple(_claim(taken, places=("$1", "$2", "$3", "$4"),
                                   lock=" FOR UPDATE SKIP LOCKED")
                            for taken in (_LEASE_RAN_OUT, _DUE)),
}


def _item_of(row: Sequence[Any], moment: Callable[[Any], datetime],
             document: Callable[[Any], Any]) -> ItemRecord:
    """An item from a driver's row of `ItemRecord`'s columns, in their order."""
    item_id, key, kind, user_id, due_at, status, attempts, payload, sent_at, last_error = row
    return ItemRecord(item_id, key, kind, user_id, moment(due_at), ItemStatus(status), attempts,
                      document(payload), None if sent_at is None else moment(sent_at), last_error)


def _json_text(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _identity(value: Any) -> Any:
    return value


async def claim_due(session: AsyncSession, now: datetime, *, owner: str, lease: timedelta,
                    limit: int) -> list[Claimed]:
    """Claim up to `limit` due items, oldest first, for `lease`; never one another dispatcher
    holds. The caller commits at once, so the claim is visible to everyone."""
    dialect = session.get_bind().dialect
    connection = await session.connection()
    written = _written(dialect)
    stamp, until = written(now), written(now + lease)
    if dialect.paramstyle == "qmark":  # SQLite: times and JSON read back as text
        moment: Callable[[Any], datetime] = stored_moment
        document: Callable[[Any], Any] = _json_text
    else:  # asyncpg: as Python values
        moment, document = utc, _identity
    items: list[ItemRecord] = []
    for claim in _CLAIMS[dialect.paramstyle]:
        left = limit - len(items)
        if left <= 0:
            break
        parameters = (until, owner, stamp, stamp, left) if dialect.paramstyle == "qmark" \
            else (until, owner, stamp, left)  # `?` in order: the time twice
        rows = await connection.exec_driver_sql(claim, parameters)
        items.extend(_item_of(row, moment, document) for row in rows)
    items.sort(key=lambda item: (item.due_at, item.id))
    people = {item.user_id for item in items if item.user_id is not None}
    telegram = dict((await session.execute(
        select(USERS.c.id, USERS.c.telegram_id).where(USERS.c.id.in_(people)))).all()) if people else {}
    return [Claimed(item.id, item.kind, telegram.get(item.user_id), item) for item in items]


async def claim_due_of(session: AsyncSession, telegram_id: int, now: datetime, *, owner: str,
                       lease: timedelta, limit: int) -> list[Claimed]:
    """`claim_due` for one person's items only: the terminal chat brings its own person what is
    due, and leaves everyone else's to their own chat or to `coachbot run`."""
    due = (select(ITEMS.c.id).join(USERS, USERS.c.id == ITEMS.c.user_id)
           .where(USERS.c.telegram_id == telegram_id,
                  or_(and_(ITEMS.c.status == ItemStatus.PENDING.value, ITEMS.c.due_at <= now),
                      and_(ITEMS.c.status == ItemStatus.CLAIMED.value,
                           ITEMS.c.lease_until < now)))
           .order_by(ITEMS.c.due_at, ITEMS.c.id).limit(limit)
           .with_for_update(of=ITEMS, skip_locked=True))
    ids = list((await session.execute(due)).scalars())
    if not ids:
        return []
    rows = await session.execute(
        update(ITEMS).where(ITEMS.c.id.in_(ids))
        .values(status=ItemStatus.CLAIMED.value, lease_until=now + lease, claimed_by=owner,
                updated_at=now).returning(*ITEMS.c))
    items = sorted((ItemRecord.from_row(row) for row in rows),
                   key=lambda item: (item.due_at, item.id))
    return [Claimed(item.id, item.kind, telegram_id, item) for item in items]


async def holds(session: AsyncSession, item_id: int, owner: str) -> ItemRecord | None:
    """The item, locked, if `owner` still holds its claim (a slow dispatcher whose lease ran out
    and was reclaimed does not)."""
    row = (await session.execute(
        select(ITEMS).where(ITEMS.c.id == item_id, ITEMS.c.status == ItemStatus.CLAIMED.value,
                            ITEMS.c.claimed_by == owner).with_for_update())).first()
    return ItemRecord.from_row(row) if row else None


async def take_many(session: AsyncSession, item_ids: Sequence[int], owner: str,
                    now: datetime) -> set[int]:
    """Mark the items sent, in one statement, where `owner` still holds their claims: which
    (a slower dispatcher whose lease ran out and was reclaimed has lost them). As claimed, with
    `sent_at`, is how they are now (`Claimed.item`); the caller may still move one to another
    status in the same transaction (`set_status(..., unsent=True)`)."""
    if not item_ids:
        return set()
    return set((await session.execute(
        _TAKE_MANY, {"items": list(item_ids), "owner": owner, "now": now})).scalars())


async def release(session: AsyncSession, item_id: int, owner: str, now: datetime, *,
                  error: str, retry_at: datetime | None,
                  final: ItemStatus = ItemStatus.FAILED) -> None:
    """Sending failed: try again at `retry_at` (pending), or give up (`final`) when None."""
    values: dict[str, Any] = {
        "attempts": ITEMS.c.attempts + 1, "last_error": error[:ERROR_LENGTH], "updated_at": now,
        "lease_until": None, "claimed_by": None,
        "status": (ItemStatus.PENDING if retry_at is not None else final).value}
    if retry_at is not None:
        values["due_at"] = retry_at
    await session.execute(update(ITEMS).where(ITEMS.c.id == item_id, ITEMS.c.claimed_by == owner)
                          .values(**values))


async def listing(session: AsyncSession, *, user_id: int | None = None,
                  status: ItemStatus | None = None, limit: int = 200,
                  now: datetime | None = None) -> list[ListedItem]:
    """Items with whom they are for, by due time (soonest first). With `now`: the most recent
    (up to half the limit) and then the upcoming ones, so that months of finished items never
    hide what comes next; without it, the oldest first."""
    query = (select(ITEMS, USERS.c.telegram_id, USERS.c.timezone)
             .outerjoin(USERS, USERS.c.id == ITEMS.c.user_id))
    if user_id is not None:
        query = query.where(USERS.c.telegram_id == user_id)
    if status is not None:
        query = query.where(ITEMS.c.status == status.value)
    if now is None:
        rows = list(await session.execute(query.order_by(ITEMS.c.due_at, ITEMS.c.id).limit(limit)))
    else:
        upcoming = list(await session.execute(
            query.where(ITEMS.c.due_at >= now).order_by(ITEMS.c.due_at, ITEMS.c.id).limit(limit)))
        recent = list(await session.execute(
            query.where(ITEMS.c.due_at < now).order_by(ITEMS.c.due_at.desc(), ITEMS.c.id.desc())
            .limit(max(limit - len(upcoming), limit // 2))))
        rows = [*reversed(recent), *upcoming][:limit]
    return [ListedItem(ItemRecord.from_row(row), row.telegram_id, row.timezone) for row in rows]


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """How many items have each status."""
    rows = await session.execute(select(ITEMS.c.status, func.count()).group_by(ITEMS.c.status))
    return {status: int(count) for status, count in rows}


async def forget_items_before(session: AsyncSession, cutoff: datetime,
                              statuses: Sequence[ItemStatus]) -> int:
    """Delete finished items older than `cutoff`."""
    result = await session.execute(delete(ITEMS).where(
        ITEMS.c.due_at < cutoff, ITEMS.c.status.in_([s.value for s in statuses])))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
