"""A programme's invite links: made by an operator (`coachbot invite`) or a coordinator (/invite),
for one side (mentor or mentee), with several uses for a whole cohort, redeemed by the mentors'
`/start <token>` (service.mentors.invites), and drawn as a QR code to print or project.

The QR code is drawn with segno (pure Python, no Pillow): a PNG of the link, 8 pixels a module with
the standard quiet zone of 4 modules."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from service.mentors.invites import new_token
from service.programmes.defaults import DefaultsError, parse_length
from storage.invites import InviteRecord, create_invite
from storage.programmes import ProgrammeRecord
from storage.vocabulary import Role

MAX_USES = 10_000
#: Telegram's usernames: 5 to 32 letters, digits and underscores (a leading @ is not part of it).
USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
QR_SCALE = 8
QR_BORDER = 4


@dataclass(frozen=True)
class ProgrammeInvite:
    """A new programme invite and its token (shown once: only its hash is stored)."""

    token: str
    invite: InviteRecord


def parse_valid_for(text: str, now: datetime) -> timedelta:
    """"14d", "2w", "1mo" → how long a link made `now` works (a month on the calendar: "1mo" on
    31 January runs to the end of February); DefaultsError otherwise."""
    try:
        return timedelta(days=parse_length(text).days_from(now.date()))
    except DefaultsError as error:
        raise DefaultsError(f"cannot read --expires {text!r}; write e.g. 14d, 2w or 1mo") from error


def check_uses(uses: int) -> int:
    if not 1 <= uses <= MAX_USES:
        raise DefaultsError(f"--uses must be between 1 and {MAX_USES}")
    return uses


async def programme_invite(session: AsyncSession, programme: ProgrammeRecord, role: Role, *,
                           uses: int, valid_for: timedelta, created_by: int | None,
                           now: datetime) -> ProgrammeInvite:
    """A new invite into the programme on this side."""
    token = new_token()
    made = await create_invite(session, token, role=role, created_by=created_by,
                               expires_at=now + valid_for, now=now, uses=check_uses(uses),
                               programme_id=programme.id)
    return ProgrammeInvite(token, made)


def valid_username(text: str) -> str:
    """A bot's username as a t.me link takes it (a leading @ dropped); DefaultsError if Telegram
    could not have given it, before a link that opens nothing is printed or drawn."""
    name = text.strip().removeprefix("@")
    if not USERNAME.fullmatch(name):
        raise DefaultsError(f"{text!r} is not a Telegram username: 5 to 32 letters, digits or _")
    return name


def deep_link(username: str, token: str) -> str:
    """The t.me link that opens the bot with `/start <token>`."""
    return f"https://t.me/{username.lstrip('@')}?start={token}"


def qr_png(link: str) -> bytes:
    """The link as a QR code PNG (error correction M: readable from a projector or a poster)."""
    out = io.BytesIO()
    segno.make_qr(link, error="m").save(out, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return out.getvalue()
