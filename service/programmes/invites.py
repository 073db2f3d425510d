"""A programme's invite links: made by an operator (`coachbot invite`) or a coordinator (/invite),
for one side (mentor or mentee), with several uses for a whole cohort, redeemed by the mentors'
`/start <token>` (service.mentors.invites), drawn as a QR code to print or project, and ended at
once when one leaked (`coachbot invite --revoke CODE_OR_LINK_OR_NUMBER`).

The QR code is drawn with segno (pure Python, no Pillow): a PNG of the link, 8 pixels a module with
the standard quiet zone of 4 modules."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from service.mentors.invites import looks_like_token, new_token
from service.programmes.defaults import DefaultsError, parse_length
from service.programmes.stats import programme_today
from storage.invites import InviteRecord, create_invite, end_invite, find_invite, invite_by_id
from storage.programmes import ProgrammeRecord, programme_by_id
from storage.vocabulary import Role

MAX_USES = 10_000
#: Telegram's usernames: 5 to 32 letters, digits and underscores (a leading @ is not part of it).
USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
QR_SCALE = 8
QR_BORDER = 4
#: What an operator may paste to name an invite: its number, its code, `/start <code>`, its link.
NUMBER = re.compile(r"#?(\d{1,12})")
#: A length parse_length reads but refuses: none or less ("0d", "-3d"), or too long ("9y").
LENGTH_LIKE = re.compile(r"\s*(?P<count>-?\d+)\s*(mo|m|w|d|y)\s*", re.IGNORECASE)
START = re.compile(r"(?:.*[?&]start=|/start\s+)(?P<token>[^&#\s]+)\S*")


@dataclass(frozen=True)
class ProgrammeInvite:
    """A new programme invite and its token (shown once: only its hash is stored)."""

    token: str
    invite: InviteRecord


def parse_valid_for(text: str, now: datetime) -> timedelta:
    """"14d", "2w", "1mo" → how long a link made `now` works (a month on the calendar: "1mo" on
    31 January runs to the end of February); DefaultsError otherwise, saying so for "0d" or
    "-3d" (read, but a link that never works) and for a length past 3 years."""
    try:
        return timedelta(days=parse_length(text).days_from(now.date()))
    except DefaultsError as error:
        found = LENGTH_LIKE.fullmatch(text)
        if found and int(found["count"]) <= 0:
            raise DefaultsError(f"--expires {text.strip()!r}: an invite link must work at least one "
                                "day; write e.g. 14d, 2w or 1mo") from error
        if found:
            raise DefaultsError(f"--expires {text.strip()!r}: an invite link works at most 3 "
                                "years; write e.g. 14d, 2w or 1mo") from error
        raise DefaultsError(f"cannot read --expires {text!r}; write e.g. 14d, 2w or 1mo") from error


def works_until(programme: ProgrammeRecord, invite: InviteRecord) -> date:
    """The day an invite of the programme stops working, in the programme's zone (UTC without
    one): `coachbot programme show` and /programme list it so, whoever reads it where."""
    return programme_today(programme, invite.expires_at)


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


class InviteError(ValueError):
    """An invite that cannot be named or found (said in one line)."""


@dataclass(frozen=True)
class EndedInvite:
    """An invite `revoke_invite` ended: whose it was (None: a mentor's own, in no programme)
    and whether it still worked until then."""

    invite: InviteRecord
    programme: str | None
    was_working: bool


async def revoke_invite(session: AsyncSession, code: str, now: datetime) -> EndedInvite:
    """End the invite named by its number, its code, `/start <code>` or its link, at once:
    whoever opens it later hears it is no longer valid, as for a used-up link."""
    text = code.strip()
    number = NUMBER.fullmatch(text)
    found: InviteRecord | None
    if number is not None:
        found = await invite_by_id(session, int(number.group(1)))
    else:
        link = START.fullmatch(text)
        token = link.group("token") if link is not None else text
        if not looks_like_token(token):
            raise InviteError(f"cannot read {text[:80]!r} as an invite: give its link, its code or its "
                              "number (coachbot programme show lists them)")
        found = await find_invite(session, token)
    if found is None:
        raise InviteError(f"no invite {text[:80]!r}: it was never made here, or mistyped")
    ended = await end_invite(session, found.id, now)
    programme = (None if found.programme_id is None
                 else await programme_by_id(session, found.programme_id))
    return EndedInvite(found, None if programme is None else programme.name, ended)
