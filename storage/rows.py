"""What the aggregate modules share: the table handles, rows into records, the dialect's INSERT.

Internal to `storage`: the service sees records and query functions, never tables or rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActionStep,
    Answer,
    Broadcast,
    Coordinator,
    DialogRun,
    Goal,
    HelpRequest,
    InboxUpdate,
    Invite,
    Pairing,
    ProcessedUpdate,
    Programme,
    Pulse,
    SafetyMatch,
    Schedule,
    ScheduledItem,
    User,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

USERS: Table = User.__table__  # type: ignore[assignment]
RUNS: Table = DialogRun.__table__  # type: ignore[assignment]
ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
GOALS: Table = Goal.__table__  # type: ignore[assignment]
ACTIONS: Table = ActionStep.__table__  # type: ignore[assignment]
UPDATES: Table = ProcessedUpdate.__table__  # type: ignore[assignment]
INBOX: Table = InboxUpdate.__table__  # type: ignore[assignment]
SCHEDULES: Table = Schedule.__table__  # type: ignore[assignment]
ITEMS: Table = ScheduledItem.__table__  # type: ignore[assignment]
PAIRINGS: Table = Pairing.__table__  # type: ignore[assignment]
INVITES: Table = Invite.__table__  # type: ignore[assignment]
HELP: Table = HelpRequest.__table__  # type: ignore[assignment]
PROGRAMMES: Table = Programme.__table__  # type: ignore[assignment]
COORDINATORS: Table = Coordinator.__table__  # type: ignore[assignment]
BROADCASTS: Table = Broadcast.__table__  # type: ignore[assignment]
PULSES: Table = Pulse.__table__  # type: ignore[assignment]
SAFETY: Table = SafetyMatch.__table__  # type: ignore[assignment]

R = TypeVar("R", bound="DataclassInstance")


def record(cls: type[R], row: Row[Any], *, prefix: str = "", **convert: Callable[[Any], object]) -> R:
    """The record `cls` read from a row whose columns are named like its fields (after `prefix`);
    `convert` turns a column's stored value into its field's type (`status=RunStatus`)."""
    mapping = row._mapping
    values = {name: mapping[prefix + name] for name in cls.__dataclass_fields__}
    for name, to_type in convert.items():
        values[name] = to_type(values[name])
    return cls(**values)


def dialect_insert(session: AsyncSession) -> Callable[[Table], postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL do)."""
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert
