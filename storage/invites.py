"""Invites: a link's token is stored only as its SHA-256, used at most `uses_left` times, until it
expires. Redeeming is one UPDATE that succeeds only for a valid token, so two people opening a
single-use link at once cannot both use it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import INVITES, record
from storage.vocabulary import Role


def token_hash(token: str) -> str:
    """What is stored of a token (never the token itself)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


#: How much of a token's hash a button carries to prove its opener held the token (`invite_key`).
KEY_LENGTH = 16


def invite_key(token: str) -> str:
    """A short proof of holding a token, for a button that acts on its invite later (a
    confirmation): the start of its hash, 64 bits; the token itself is never written anywhere."""
    return token_hash(token)[:KEY_LENGTH]


@dataclass(frozen=True)
class InviteRecord:
    """An invite as the service sees it (no token: it is not stored)."""

    id: int
    role: Role
    created_by: int | None
    programme_id: int | None
    uses_left: int
    expires_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> InviteRecord:
        return record(cls, row, role=Role)


async def create_invite(session: AsyncSession, token: str, *, role: Role, created_by: int | None,
                        expires_at: datetime, now: datetime, uses: int = 1,
                        programme_id: int | None = None) -> InviteRecord:
    """Store a new invite under its token's hash."""
    row = (await session.execute(INVITES.insert().values(
        token_hash=token_hash(token), role=role.value, created_by=created_by,
        programme_id=programme_id, uses_left=uses, expires_at=expires_at, created_at=now)
        .returning(INVITES))).one()
    return InviteRecord.from_row(row)


async def find_invite(session: AsyncSession, token: str) -> InviteRecord | None:
    """The invite of this token, whatever its state (to say why it no longer works)."""
    row = (await session.execute(select(INVITES).where(INVITES.c.token_hash == token_hash(token)))
           ).first()
    return InviteRecord.from_row(row) if row else None


async def invite_by_key(session: AsyncSession, invite_id: int, key: str) -> InviteRecord | None:
    """The invite a button names, if the button also holds its `invite_key` (an id alone is
    guessable: it proves nothing), whatever its state."""
    row = (await session.execute(select(INVITES).where(INVITES.c.id == invite_id))).first()
    if row is None or not hmac.compare_digest(row.token_hash[:KEY_LENGTH], key):
        return None
    return InviteRecord.from_row(row)


async def use_invite(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """Count one use of a valid invite; False if it is used up or expired."""
    result = await session.execute(
        update(INVITES).where(INVITES.c.id == invite_id, INVITES.c.uses_left > 0,
                              INVITES.c.expires_at > now)
        .values(uses_left=INVITES.c.uses_left - 1))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def invites_by(session: AsyncSession, user_id: int) -> list[tuple[InviteRecord, datetime]]:
    """The invite links a person made (a mentor inviting mentees) with when, oldest first, for
    their own export: what is kept of them (never a token: it is not stored)."""
    rows = await session.execute(select(INVITES).where(INVITES.c.created_by == user_id)
                                 .order_by(INVITES.c.created_at, INVITES.c.id))
    return [(InviteRecord.from_row(row), row.created_at) for row in rows]


async def invite_by_id(session: AsyncSession, invite_id: int) -> InviteRecord | None:
    """The invite with this number (as `coachbot programme show` lists them)."""
    row = (await session.execute(select(INVITES).where(INVITES.c.id == invite_id))).first()
    return InviteRecord.from_row(row) if row else None


async def open_invites(session: AsyncSession, programme_id: int,
                       now: datetime) -> list[InviteRecord]:
    """A programme's invites that still work (uses left, not expired), oldest first."""
    rows = await session.execute(select(INVITES).where(
        INVITES.c.programme_id == programme_id, INVITES.c.uses_left > 0,
        INVITES.c.expires_at > now).order_by(INVITES.c.id))
    return [InviteRecord.from_row(row) for row in rows]


async def end_invite(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """End an invite at once: no uses left, so whoever opens it later is told it has none, as
    for a used-up link; False if it no longer worked anyway."""
    result = await session.execute(
        update(INVITES).where(INVITES.c.id == invite_id, INVITES.c.uses_left > 0,
                              INVITES.c.expires_at > now).values(uses_left=0))
    return bool(result.rowcount)  # type: ignore[attr-defined]
