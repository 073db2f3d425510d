"""Pairs made by a programme's coordinators (`coachbot pair`, `coachbot pair --csv`, `coachbot
unpair`): a mentor and a mentee who are both members of the programme. A mentor may have several
mentees; a mentee has one open pairing. The pairing takes the programme's length (unless the
mentee's agreement set an end already) and its check-in rhythm.

Both people are introduced by first name. The command line has no running bot, so the
introductions are scheduled items of the kind "introduction", due now: the running bot's
dispatcher sends them, the same durable path as every message the bot sends on its own.

A CSV file is read whole first (a malformed line is reported, not guessed at), then each row is
paired in turn in one transaction: a good row is paired completely (pairing and both
introductions), a bad one is reported with its reason and changes nothing."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.engine import clean_text
from prompts.catalog import spellings
from service.messages import OutMessage, Response
from service.names import mentee_called, mentee_name, mentee_numbers, mentor_words
from service.programmes.defaults import ProgrammeDefaults
from service.schedule.kinds import PersonKind
from service.turn import Turn
from storage.pairings import (
    PairingRecord,
    create_pairing,
    pairing_is_open,
    pairing_of_mentee,
    relationship_end,
    set_pairing_status,
)
from storage.programme_members import members_named
from storage.programmes import ProgrammeRecord
from storage.schedule import ItemRecord, NewItem, add_items, item_by_key
from storage.users import UserRecord, first_name, get_user, user_by_id, user_id_of
from storage.vocabulary import ItemStatus, JSONObject, PairingStatus, Role

KIND = "introduction"
MAX_ROWS = 5000


class PairError(ValueError):
    """Why a pair cannot be made or ended (one short reason)."""


@dataclass(frozen=True)
class Made:
    """A pair made: the pairing and its two people."""

    pairing: PairingRecord
    mentor: UserRecord
    mentee: UserRecord


@dataclass(frozen=True)
class BadRow:
    """A CSV line that was not paired, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class CsvResult:
    made: list[Made]
    bad: list[BadRow]


def _name(user: UserRecord) -> str:
    return first_name(user.name) or str(user.telegram_id)


def who(user: UserRecord) -> str:
    """"Jo (2)" for a named member, "501" for one without a name: the id said once."""
    name = first_name(user.name)
    return f"{name} ({user.telegram_id})" if name else str(user.telegram_id)


async def _member(session: AsyncSession, programme: ProgrammeRecord, who: str | int,
                  side: str) -> UserRecord:
    """A member by Telegram id, or by first name among the programme's members when that name
    is theirs alone (`_named`)."""
    if isinstance(who, str) and not clean_text(who):  # "" or only spaces: nobody is called that
        raise PairError(f"no {side} given: give a Telegram id or a first name")
    if isinstance(who, int) or who.lstrip("-").isdecimal():  # isdigit() takes "²", int() does not
        telegram_id = who if isinstance(who, int) else user_id_of(who)
        if telegram_id is None:
            raise PairError(f"{who} is not a Telegram id")
        user = await get_user(session, telegram_id)
        if user is None:
            raise PairError(f"unknown {side} id {who}")
        if user.programme_id != programme.id:
            raise PairError(f"{side} {who} is not a member of {programme.name}")
        return user
    found = _named(await members_named(session, programme.id), who)
    if not found:
        raise PairError(f"no member of {programme.name} is called {who.strip()!r}")
    if len(found) > 1:
        raise PairError(f"{len(found)} members of {programme.name} are called {who.strip()!r}; "
                        "use their Telegram ids")
    return found[0]


def _named(members: list[UserRecord], typed: str) -> list[UserRecord]:
    """The members whose first name is the one typed, in any case; if none, those whose name it
    is with accents and umlauts written or not ("zoe" finds Zoë, "Juergen" Jürgen), as other
    names typed are read (prompts.catalog.spellings)."""
    wanted = typed.strip().casefold()
    exact = [user for user in members if (first_name(user.name) or "").casefold() == wanted]
    if exact:
        return exact
    forms = spellings(typed)
    return [user for user in members if forms & spellings(first_name(user.name) or "")]


def _key(user_id: int, pairing_id: int, *, ended: bool) -> str:
    return f"{KIND}:{user_id}:{pairing_id}:{'end' if ended else 'start'}"


def _note(user: UserRecord, pairing_id: int, other: UserRecord, *, as_mentor: bool,
          ended: bool, programme: str, now: datetime, number: int | None = None) -> list[NewItem]:
    """The introduction (or the note that the pair ended) for one of the two, due now: the other
    person's first name (None without one) and, for a mentor, a nameless mentee's number among
    several (service.names), as the pairing was when it ended."""
    if not user.active:
        return []
    payload: JSONObject = {"other": first_name(other.name), "as_mentor": as_mentor,
                           "ended": ended, "programme": programme, "pairing": pairing_id}
    if number is not None:
        payload["number"] = number
    return [NewItem(_key(user.id, pairing_id, ended=ended), KIND, user.id, now, payload)]


async def programme_pairing(session: AsyncSession, programme: ProgrammeRecord, mentor_id: int,
                            mentee: UserRecord, now: datetime) -> PairingRecord:
    """A pairing in the programme on its terms (made by its coordinators, or by one of its mentors'
    invites): from the mentee's today, the programme's length unless their agreement named an end
    already, and its check-in rhythm. The caller made sure the mentee has no open pairing."""
    defaults = ProgrammeDefaults.of(programme.defaults)
    today = now.astimezone(ZoneInfo(mentee.timezone)).date()
    return await create_pairing(
        session, mentor_id, mentee.id, today=today, now=now, programme_id=programme.id,
        ends_on=relationship_end(mentee.relationship_ends_on, defaults.ends_on(today), today),
        rhythm=None if defaults.checkin is None else defaults.checkin.kind)


async def pair(session: AsyncSession, programme: ProgrammeRecord, mentor_ref: str | int,
               mentee_ref: str | int, now: datetime) -> Made:
    """Pair two members of the programme and queue both introductions; PairError if not."""
    mentor = await _member(session, programme, mentor_ref, "mentor")
    mentee = await _member(session, programme, mentee_ref, "mentee")
    if mentor.id == mentee.id:
        raise PairError(f"{_name(mentor)} cannot be their own mentor")
    if not (mentor.role == Role.MENTOR or mentor.mentors):
        raise PairError(_not_a_mentor(mentor, mentee))
    if await pairing_of_mentee(session, mentee.id) is not None:
        raise PairError(f"mentee {who(mentee)} is already paired")
    pairing = await programme_pairing(session, programme, mentor.id, mentee, now)
    await add_items(session, [
        *_note(mentor, pairing.id, mentee, as_mentor=True, ended=False, programme=programme.name,
               now=now),
        *_note(mentee, pairing.id, mentor, as_mentor=False, ended=False, programme=programme.name,
               now=now)], now)
    return Made(pairing, mentor, mentee)


def _not_a_mentor(mentor: UserRecord, mentee: UserRecord) -> str:
    """Why someone on the mentee's side only cannot be the mentor, with their side named, and the
    likely slip said when the other is a mentor only (the two given the other way round). A
    mentor given as the mentee is paired: one person may be a mentor and someone's mentee."""
    reason = f"{who(mentor)} is a mentee, not a mentor"
    if mentee.role == Role.MENTOR:
        return f"{reason}, and {who(mentee)} is a mentor: the mentor comes first (swapped?)"
    return reason


async def unpair(session: AsyncSession, programme: ProgrammeRecord, mentee_ref: str | int,
                 now: datetime) -> Made:
    """End the mentee's open pairing in this programme; both are told."""
    mentee = await _member(session, programme, mentee_ref, "mentee")
    pairing = await pairing_of_mentee(session, mentee.id)
    if pairing is None and (mentee.role == Role.MENTOR or mentee.mentors):
        raise PairError(f"{who(mentee)} is a mentor, not a mentee: give their mentee's Telegram "
                        "id or first name")
    if pairing is None or pairing.programme_id != programme.id:
        raise PairError(f"mentee {who(mentee)} has no open pairing in "
                        f"{programme.name}")
    mentor = await user_by_id(session, pairing.mentor_id)
    if mentor is None:  # a pairing's people are deleted with it; kept for the type
        raise PairError(f"mentee {_name(mentee)} has no mentor any more")
    number = (await mentee_numbers(session, mentor.id)).get(pairing.id)  # while it is open
    await set_pairing_status(session, pairing.id, PairingStatus.ENDED, now)
    await add_items(session, [
        *_note(mentee, pairing.id, mentor, as_mentor=False, ended=True, programme=programme.name,
               now=now),
        *_note(mentor, pairing.id, mentee, as_mentor=True, ended=True, programme=programme.name,
               now=now, number=number)], now)
    return Made(pairing, mentor, mentee)


# --- CSV --------------------------------------------------------------------------------------


#: The words a spreadsheet's header row is made of, in English and German ("Mentor:in",
#: "Mentee-ID", "Vorname Mentorin"), folded as prompts.catalog.spellings folds them.
HEADER_WORDS = frozenset({
    "mentor", "mentors", "mentorin", "mentorinnen", "mentoren", "mentee", "mentees", "in", "innen",
    "id", "ids", "telegram", "user", "userid", "name", "names", "namen", "first", "firstname",
    "vorname", "vornamen", "nutzer", "nr"})
#: The separators a spreadsheet saves with: comma, semicolon (German and more), tab (pasted).
SEPARATORS = (",", ";", "\t")
#: Excel's first line naming the separator ("sep=;"), quoted or with separators after it.
_SEP_LINE = re.compile(r'\s*"?sep=(?P<sep>[^"\r\n])"?[,;\t]*\s*', re.IGNORECASE)


def read_rows(text: str) -> tuple[list[tuple[int, str, str, str]], list[BadRow]]:
    """The file's rows as (line, text, mentor, mentee), and its malformed lines, read as
    spreadsheets save them: an Excel first line "sep=;" names the separator; else each line is
    split at commas, or at semicolons or tabs when it has no comma to split at; separators at
    the end of a row are dropped ("103,209,"); blank lines (or only separators) are skipped, and
    so is a first row of header words ("Mentor;Mentee", "mentor_id,mentee_id")."""
    rows: list[tuple[int, str, str, str]] = []
    bad: list[BadRow] = []
    lines = text.removeprefix("\ufeff").splitlines()
    if len(lines) > MAX_ROWS:
        raise PairError(f"the file has {len(lines)} lines; at most {MAX_ROWS} at a time")
    named = _SEP_LINE.fullmatch(lines[0]) if lines else None
    separators = (named["sep"],) if named else SEPARATORS
    header_possible = True
    for number, line in enumerate(lines, start=1):
        if named and number == 1:
            continue
        fields = _split(line, separators)
        if fields is not None and not fields:
            continue
        if header_possible and fields is not None and _header(fields):
            header_possible = False
            continue
        header_possible = False
        if fields is None or len(fields) != 2 or not all(fields):
            bad.append(BadRow(number, line, "malformed line: write mentor,mentee (or ;)"))
            continue
        rows.append((number, line, fields[0], fields[1]))
    return rows, bad


def _split(line: str, separators: tuple[str, ...]) -> list[str] | None:
    """One line's fields at the first of `separators` that splits it (or the first's one field),
    without the empty fields of separators at its end (none: a blank line); None for a field
    beyond csv's limit (a pasted blob): one bad line, not a crash."""
    fields: list[str] = []
    for separator in separators:
        try:
            fields = [field.strip() for field in next(csv.reader(io.StringIO(line),
                                                                 delimiter=separator), [])]
        except csv.Error:
            return None
        while fields and not fields[-1]:
            fields.pop()
        if len(fields) != 1:
            break
    return fields


def _header(fields: list[str]) -> bool:
    """Whether every field is made of header words only ("Mentor:in", "Mentee ID")."""
    return all(words and words <= HEADER_WORDS
               for field in fields
               for words in (set(" ".join(spellings(field)).split()),))


async def pair_csv(session: AsyncSession, programme: ProgrammeRecord, text: str,
                   now: datetime) -> CsvResult:
    """Every good row paired (completely), every bad one reported with its reason."""
    rows, bad = read_rows(text)
    made: list[Made] = []
    seen: dict[tuple[str, str], int] = {}
    for number, line, mentor, mentee in rows:
        key = (mentor.casefold(), mentee.casefold())
        if key in seen:
            bad.append(BadRow(number, line, f"duplicate row (same as line {seen[key]})"))
            continue
        seen[key] = number
        try:
            made.append(await pair(session, programme, mentor, mentee, now))
        except PairError as error:
            bad.append(BadRow(number, line, str(error)))
    return CsvResult(made, sorted(bad, key=lambda row: row.line))


# --- The kind ---------------------------------------------------------------------------------


async def due(turn: Turn, item: ItemRecord) -> Response | None:
    """The introduction (or the end of the pair) in the person's language; nothing if it is no
    longer news (`_unheard_of`)."""
    payload = item.payload
    if await _unheard_of(turn, item):
        return None
    key = "programme_admin.ended" if payload.get("ended") else "programme_admin.introduction"
    return Response((OutMessage(turn.say(key, other=await _other(turn, item),
                                         as_mentor=bool(payload.get("as_mentor")),
                                         programme=payload.get("programme"))),))


async def _other(turn: Turn, item: ItemRecord) -> str | None:
    """The other person as this one's texts name them (service.names): while the pairing is
    open, as it is now; once ended, as the note kept it."""
    payload = item.payload
    pairing, as_mentor = payload.get("pairing"), bool(payload.get("as_mentor"))
    if not payload.get("ended") and isinstance(pairing, int):
        if as_mentor:
            return await mentee_name(turn.session, turn.say, turn.user.id, pairing)
        return (await mentor_words(turn.session, turn.user.id))["mentor"]
    other, number = payload.get("other"), payload.get("number")
    return mentee_called(turn.say, other if isinstance(other, str) else None,
                         number if isinstance(number, int) else None)


async def _unheard_of(turn: Turn, item: ItemRecord) -> bool:
    """An introduction to a pairing that has ended by the time it is due (undone before either
    heard of it) is not sent; nor is the end of a pairing whose introduction this person never got:
    there is nothing to say about it. (Items queued before the payload named the pairing, and ends of
    pairings not introduced by a note, such as one made by a mentor's invite, are sent.)"""
    pairing = item.payload.get("pairing")
    if not isinstance(pairing, int) or item.user_id is None:
        return False
    if not item.payload.get("ended"):
        return not await pairing_is_open(turn.session, pairing)
    start = await item_by_key(turn.session, _key(item.user_id, pairing, ended=False))
    return start is not None and start.status not in (ItemStatus.SENT, ItemStatus.CLAIMED)


def kinds() -> tuple[PersonKind, ...]:
    """Introductions are sent even in a pause: they are about the pairing, not a check-in; each
    plans everything anew (the pairing was made outside both people's turns: their pulses, the
    mentor's digest and check-in, the programme's rhythm follow from it)."""
    return (PersonKind(KIND, due, in_pause=True, replans_all=True),)
