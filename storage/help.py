"""Help requests: a mentee's note to their mentor and the mentor's one reply.

A mentor finds a request only through `request_for_mentor`, which checks that it is addressed to
them, still unanswered, and that the pairing it was asked in is still open: forged ids find nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import HELP, PAIRINGS, USERS, record
from storage.users import first_name
from storage.vocabulary import PairingStatus


@dataclass(frozen=True)
class HelpRecord:
    """A help request as the service sees it."""

    id: int
    pairing_id: int
    mentee_id: int
    mentor_id: int
    note: str
    reply: str | None
    created_at: datetime
    replied_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> HelpRecord:
        return record(cls, row)


@dataclass(frozen=True)
class OwnNote:
    """A note a person sent or received, for their own export: the note and its reply (each is
    addressed to one of the two), the person's side and the other one's first name."""

    request: HelpRecord
    as_mentor: bool
    other: str | None


async def notes_of(session: AsyncSession, user_id: int) -> list[OwnNote]:
    """The notes the person sent their mentor (with the replies to them) and, as a mentor, the
    notes they received (with their replies), oldest first, for their own export."""
    other = USERS.alias("other")
    as_mentor = HELP.c.mentor_id == user_id
    rows = await session.execute(
        select(HELP, other.c.name.label("other_name"))
        .join(other, other.c.id == case((as_mentor, HELP.c.mentee_id), else_=HELP.c.mentor_id))
        .where(or_(as_mentor, HELP.c.mentee_id == user_id)).order_by(HELP.c.created_at, HELP.c.id))
    return [OwnNote(HelpRecord.from_row(row), row.mentor_id == user_id, first_name(row.other_name))
            for row in rows]


async def ask_help(session: AsyncSession, *, pairing_id: int, mentee_id: int, mentor_id: int,
                   note: str, now: datetime) -> HelpRecord:
    """Save a mentee's note for their mentor."""
    row = (await session.execute(HELP.insert().values(
        pairing_id=pairing_id, mentee_id=mentee_id, mentor_id=mentor_id, note=note,
        created_at=now).returning(HELP))).one()
    return HelpRecord.from_row(row)


async def request_for_mentor(session: AsyncSession, mentor_id: int,
                             request_id: int) -> HelpRecord | None:
    """The request if it is addressed to this mentor, unanswered, in a pairing still open."""
    row = (await session.execute(
        select(HELP).join(PAIRINGS, PAIRINGS.c.id == HELP.c.pairing_id)
        .where(HELP.c.id == request_id, HELP.c.mentor_id == mentor_id, HELP.c.reply.is_(None),
               PAIRINGS.c.mentor_id == mentor_id,
               PAIRINGS.c.status != PairingStatus.ENDED.value))).first()
    return HelpRecord.from_row(row) if row else None


async def answer_help(session: AsyncSession, mentor_id: int, request_id: int, reply: str,
                      now: datetime) -> bool:
    """Record the mentor's one reply; False if it was answered already (or is not theirs)."""
    result = await session.execute(
        update(HELP).where(HELP.c.id == request_id, HELP.c.mentor_id == mentor_id,
                           HELP.c.reply.is_(None)).values(reply=reply, replied_at=now))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def help_asked_since(session: AsyncSession, mentor_id: int, pairing_id: int,
                           since: datetime | None) -> list[HelpRecord]:
    """The notes asked in this pairing of this mentor (since `since`), oldest first."""
    query = select(HELP).where(HELP.c.mentor_id == mentor_id, HELP.c.pairing_id == pairing_id)
    if since is not None:
        query = query.where(HELP.c.created_at > since)
    rows = await session.execute(query.order_by(HELP.c.id))
    return [HelpRecord.from_row(row) for row in rows]
