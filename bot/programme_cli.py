"""`coachbot programme create|set|list|show|grant|revoke|move`, `coachbot invite` (and `invite
--revoke`), `coachbot pair` and `coachbot unpair`: a programme's administration from the shell.
Every problem is one line on stderr and exit code 1; what is shown are settings, counts and first
names, never answers.

Invite links need the bot's username: `--bot-username`, else COACHBOT_BOT_USERNAME (the CLI does
not talk to Telegram). Without either, the token is printed with the `/start <token>` to type."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import build_service, open_database, open_for_reading, utc_now
from bot.outputs import read_input, source_name
from bot.settings import Settings
from service.messages import counted
from service.programmes.admin import (
    ProgrammeError,
    ProgrammeFacts,
    change_programme,
    facts_of,
    new_programme,
)
from service.programmes.broadcasts import (
    replan_cohort,
    report_to_new_coordinator,
    withdraw_occurrences,
)
from service.programmes.defaults import DefaultsError, ProgrammeDefaults, changed_defaults
from service.programmes.invites import (
    InviteError,
    check_uses,
    deep_link,
    parse_valid_for,
    programme_invite,
    qr_png,
    revoke_invite,
    valid_username,
    works_until,
)
from service.programmes.moving import MoveError, move
from service.programmes.pairs import PairError, pair, pair_csv, unpair, who
from service.schedule.rhythm import Rhythm
from service.timezones import fixed_offset, zone_label
from storage.database import create_sessionmaker
from storage.invites import InviteRecord
from storage.programmes import (
    ProgrammeRecord,
    all_programmes,
    grant,
    programme_by_name,
    revoke,
)
from storage.vocabulary import Role


def fail(message: str) -> int:
    print(f"coachbot: {message}", file=sys.stderr)
    return 1


class _Missing(Exception):
    """No programme of that name (said in one line)."""


async def _programme(session: AsyncSession, name: str) -> ProgrammeRecord:
    programme = await programme_by_name(session, name)
    if programme is None:
        raise _Missing(f"no programme called {name!r}")
    return programme


def describe(facts: ProgrammeFacts) -> str:
    """A programme's facts as plain lines, with the invites that still work (by number: only a
    token's hash is stored, so its code was shown once, when it was made)."""
    d, c = facts.defaults, facts.counts
    checkin = "-" if d.checkin is None else _rhythm_text(d.checkin.to_json())
    digest = "-" if d.digest is None else _rhythm_text(d.digest.to_json())
    return "\n".join([
        f"{facts.programme.name}",
        f"members: {c.members} ({counted(c.mentors, 'mentor')}, {counted(c.mentees, 'mentee')}); "
        f"open pairs: {c.pairs}",
        f"coordinators: {c.coordinators}; invites with uses left: {c.invites}",
        *(_invite_line(invite, facts.programme) for invite in facts.invites),
        f"language: {d.language or '-'}; time zone: {_zone_text(d.timezone)}",
        f"check-in: {checkin}; mentor digest: {digest}",
        f"cohort check-in (mentees): {_cohort_text(d)}",
        f"length: {_length_text(d)}",
    ])


def _cohort_text(defaults: ProgrammeDefaults) -> str:
    rule = defaults.cohort_checkin
    return "off" if rule is None else _rhythm_text(rule.to_json())


def _length_text(defaults: ProgrammeDefaults) -> str:
    return "-" if defaults.length is None else counted(defaults.length.count, defaults.length.unit)


def _invite_line(invite: InviteRecord, programme: ProgrammeRecord) -> str:
    return (f"  invite {invite.id} ({invite.role.value}s): {counted(invite.uses_left, 'use')} "
            f"left, until {works_until(programme, invite)}")


def _zone_text(zone: str | None) -> str:
    """The programme's zone; a fixed offset as typed ("UTC+2"), with what it does not do."""
    if zone is None:
        return "-"
    if not fixed_offset(zone):
        return zone
    return (f"{zone_label(zone)} ({zone}, a fixed offset: it does not follow summer time; "
            "a city such as Europe/Berlin would)")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _rhythm_text(data: Mapping[str, object]) -> str:
    days = data.get("weekdays")
    names = ",".join(WEEKDAYS[int(day)] for day in days) if isinstance(days, list) else "daily"
    every = data.get("every_weeks")
    nth = data.get("nth")
    prefix = f"every {every} weeks " if every else (f"{nth}. " if nth else "")
    return f"{prefix}{names} {data.get('at')}"


async def create(settings: Settings, name: str, *, checkin: str | None, length: str | None,
                 digest: str | None, lang: str | None, timezone: str | None,
                 cohort_checkin: str | None = None) -> int:
    now = utc_now()
    try:
        defaults = ProgrammeDefaults.parse(today=now.date(), checkin=checkin, length=length,
                                           digest=digest, language=lang, timezone=timezone,
                                           cohort_checkin=cohort_checkin)
    except DefaultsError as error:
        return fail(str(error))
    async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
        try:
            made = await new_programme(session, name, defaults, now)
        except ProgrammeError as error:
            return fail(str(error))
        facts = await facts_of(session, made, now)
    print(f"Created programme {made.name!r}.")
    print(describe(facts))
    return 0


@dataclass(frozen=True)
class _Change:
    """One setting `programme set` changed, as `show` writes it."""

    what: str
    before: str
    after: str


def _changes(before: ProgrammeRecord, after: ProgrammeRecord) -> list[_Change]:
    old, new = ProgrammeDefaults.of(before.defaults), ProgrammeDefaults.of(after.defaults)

    def rhythm(value: Rhythm | None) -> str:
        return "-" if value is None else _rhythm_text(value.to_json())

    shown = [
        ("name", before.name, after.name),
        ("check-in", rhythm(old.checkin), rhythm(new.checkin)),
        ("mentor digest", rhythm(old.digest), rhythm(new.digest)),
        ("length", _length_text(old), _length_text(new)),
        ("language", old.language or "-", new.language or "-"),
        ("time zone", _zone_text(old.timezone), _zone_text(new.timezone)),
        ("cohort check-in", _cohort_text(old), _cohort_text(new)),
    ]
    return [_Change(what, was, now) for what, was, now in shown if was != now]


#: What becomes of the people already there, by the setting changed.
_MEMBERS_KEEP = ("check-in", "mentor digest", "language", "time zone")


def _what_follows(changes: list[_Change], mentees: int, withdrawn: int) -> list[str]:
    """Who a change reaches: members keep their own settings, pairs their end, the cohort
    check-in is the programme's and reaches its mentees at once."""
    changed = {change.what for change in changes}
    lines = []
    kept = [what for what in _MEMBERS_KEEP if what in changed]
    if kept:
        named = kept[0] if len(kept) == 1 else f"{', '.join(kept[:-1])} and {kept[-1]}"
        lines.append(f"Members keep the {named} they have (each can change their own); whoever "
                     "joins from now on gets the new one.")
    if "length" in changed:
        lines.append("Pairs made so far keep their end; pairs made from now on get the new length.")
    if "cohort check-in" in changed:
        gone = (f"; {counted(withdrawn, 'occurrence')} set under the old rule that had reached "
                "nobody yet " + ("was" if withdrawn == 1 else "were") + " withdrawn"
                if withdrawn else "")
        rule = next(c.after for c in changes if c.what == "cohort check-in")
        lines.append((f"The cohort check-in is off: none is planned any more for its "
                      f"{counted(mentees, 'mentee')}" if rule == "off" else
                      f"The cohort check-in is the programme's own, not a member's: planned now "
                      f"for its {counted(mentees, 'mentee')} at its next occurrence ({rule})")
                     + gone + ".")
    if "name" in changed:
        lines.append("Its invite links keep working under the new name.")
    return lines


async def change(settings: Settings, name: str, *, checkin: str | None, length: str | None,
                 digest: str | None, lang: str | None, timezone: str | None,
                 cohort_checkin: str | None, rename: str | None) -> int:
    """`programme set`: change defaults or the name, read as `create` reads them; say what
    changed and whom it reaches."""
    options = (checkin, length, digest, lang, timezone, cohort_checkin, rename)
    if all(option is None for option in options):
        return fail("give what to change: --checkin, --length, --digest, --lang, --timezone, "
                    "--cohort-checkin (a rhythm or off) or --rename NEW")
    now = utc_now()
    async with open_database(settings) as engine:
        async with create_sessionmaker(engine).begin() as session:
            try:
                before = await _programme(session, name)
                defaults = changed_defaults(
                    before.defaults, today=now.date(), checkin=checkin, length=length,
                    digest=digest, language=lang, timezone=timezone, cohort_checkin=cohort_checkin)
                after = await change_programme(session, before, defaults=defaults, rename=rename,
                                               now=now)
            except (_Missing, DefaultsError, ProgrammeError) as error:
                return fail(str(error))
            changes = _changes(before, after)
            cohort = any(c.what == "cohort check-in" for c in changes)
            withdrawn = await withdraw_occurrences(session, after, now) if cohort else 0
        mentees = (await replan_cohort(build_service(engine, settings), after.id)
                   if cohort else 0)
        async with create_sessionmaker(engine).begin() as session:
            facts = await facts_of(session, after, now)
    if not changes:
        print(f"Nothing changed: {after.name} has these settings already.")
    else:
        print(f"Changed {after.name}: " + "; ".join(
            f"{c.what} {c.before} -> {c.after}" for c in changes) + ".")
        for line in _what_follows(changes, mentees, withdrawn):
            print(line)
    print(describe(facts))
    return 0


async def revoke_link(settings: Settings, code: str) -> int:
    """`invite --revoke`: end an invite at once by its code, its link or its number (as `show`
    lists them); whoever opens it later is told it is no longer valid, as for a used-up link."""
    now = utc_now()
    async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
        try:
            ended = await revoke_invite(session, code, now)
        except InviteError as error:
            return fail(str(error))
    which = (f"invite {ended.invite.id} ({ended.invite.role.value}s of "
             f"{ended.programme or 'a mentor of their own'})")
    if not ended.was_working:
        print(f"The {which} no longer worked already (used up, expired or ended); nothing changed.")
        return 0
    print(f"Ended {which}: whoever opens it now is told it is no longer valid.")
    return 0


async def listing(settings: Settings) -> int:
    async with open_for_reading(settings) as engine, create_sessionmaker(engine).begin() as session:
        shown = [await facts_of(session, p, utc_now()) for p in await all_programmes(session)]
    if not shown:
        print("No programmes yet: coachbot programme create NAME")
    for facts in shown:
        c = facts.counts
        print(f"{facts.programme.name}: {counted(c.members, 'member')}, "
              f"{counted(c.pairs, 'open pair')}, {counted(c.coordinators, 'coordinator')}")
    return 0


async def show(settings: Settings, name: str) -> int:
    async with open_for_reading(settings) as engine, create_sessionmaker(engine).begin() as session:
        try:
            facts = await facts_of(session, await _programme(session, name), utc_now())
        except _Missing as error:
            return fail(str(error))
    print(describe(facts))
    return 0


async def grant_coordinator(settings: Settings, name: str, user_id: int) -> int:
    """The grant, and the reports still to come of the programme's broadcasts for them."""
    async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
        try:
            programme = await _programme(session, name)
        except _Missing as error:
            return fail(str(error))
        now = utc_now()
        added = await grant(session, programme.id, user_id, now)
        reports = await report_to_new_coordinator(
            session, programme, user_id, policy=build_service(engine, settings).content.policy,
            now=now)
    print(f"{user_id} {'now coordinates' if added else 'already coordinated'} {programme.name}"
          + (f"; {counted(reports, 'broadcast report')} to come "
             f"{'is' if reports == 1 else 'are'} theirs too." if reports else "."))
    return 0


async def revoke_coordinator(settings: Settings, name: str, user_id: int) -> int:
    """End a coordination (a coordinator's own /delete leaves it: it is the programme's grant)."""
    async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
        try:
            programme = await _programme(session, name)
        except _Missing as error:
            return fail(str(error))
        removed = await revoke(session, programme.id, user_id)
    if not removed:
        return fail(f"{user_id} does not coordinate {programme.name}")
    print(f"{user_id} no longer coordinates {programme.name}.")
    return 0


async def invite(settings: Settings, name: str, role: str, *, uses: int, expires: str,
                 qr: Path | None, bot_username: str | None) -> int:
    given = bot_username or settings.bot_username
    now = utc_now()
    try:
        valid_for = parse_valid_for(expires, now)
        check_uses(uses)
        username = given and valid_username(given)
    except DefaultsError as error:
        return fail(str(error))
    if qr is not None and not username:
        return fail("a QR code needs the bot's username: --bot-username or COACHBOT_BOT_USERNAME")
    if qr is not None and (problem := _unwritable(qr) or _not_png(qr)):
        return fail(f"cannot write {qr}: {problem}")  # said before opening the database
    try:
        async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
            programme = await _programme(session, name)
            made = await programme_invite(session, programme, Role(role), uses=uses,
                                          valid_for=valid_for, created_by=None, now=now)
            if qr is not None and username:  # drawn before the invite is committed: see _Unwritten
                _write(qr, qr_png(deep_link(username, made.token)))
    except (_Missing, _Unwritten) as error:
        return fail(str(error))
    until = works_until(programme, made.invite)
    number = f"invite {made.invite.id} (coachbot invite --revoke {made.invite.id} ends it)"
    if not username:
        print(f"/start {made.token}")
        print(f"coachbot: no bot username (--bot-username or COACHBOT_BOT_USERNAME): type the line "
              f"above in the bot; {counted(uses, 'use')} as {role} of {programme.name} until {until}; "
              f"{number}", file=sys.stderr)
        return 0
    link = deep_link(username, made.token)
    print(link)
    print(f"coachbot: {counted(uses, 'use')} as {role} of {programme.name} until {until}; {number}",
          file=sys.stderr)
    if qr is not None:
        print(f"coachbot: wrote {qr}", file=sys.stderr)
    return 0


class _Unwritten(Exception):
    """The QR picture could not be written (said in one line): raised inside the invite's
    transaction, so that no invite is made that nobody gets, and a retry makes just one."""


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as error:
        raise _Unwritten(f"cannot write {path}: {error.strerror}") from error


def _not_png(path: Path) -> str | None:
    """Why the QR code is not written at `path`: a name without .png would be a PNG that nothing
    opens as one, or replace a file of another kind (notes.txt, the CSV of pairs); None if fine."""
    if path.suffix.casefold() == ".png":
        return None
    return "the QR code is a PNG picture: give a file name ending in .png"


def _unwritable(path: Path) -> str | None:
    """Why a file could not be written at `path` (its folder missing or closed, a folder in its
    place), or None; nothing is created."""
    folder = path.parent
    if path.is_dir():
        return "it is a folder"
    if not folder.is_dir():
        return f"no folder {folder}"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "Permission denied"
    return None


async def pair_one(settings: Settings, name: str, mentor: str, mentee: str) -> int:
    async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
        try:
            programme = await _programme(session, name)
            made = await pair(session, programme, mentor, mentee, utc_now())
        except (_Missing, PairError) as error:
            return fail(str(error))
    print(f"Paired {made.mentor.telegram_id} (mentor) with {made.mentee.telegram_id} (mentee) in "
          f"{programme.name}; both are introduced by the running bot.")
    return 0


async def pair_file(settings: Settings, name: str, path: Path) -> int:
    """`pair --csv FILE`, or `--csv -` for the rows on standard input (`... | coachbot pair`)."""
    try:
        text = read_input(path)
    except ValueError as error:
        return fail(str(error))
    async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
        try:
            result = await pair_csv(session, await _programme(session, name), text, utc_now())
        except (_Missing, PairError) as error:
            return fail(str(error))
    if not result.made and not result.bad:
        return fail(f"{source_name(path)} has no rows: write one pair a line, mentor,mentee")
    for made in result.made:
        print(f"paired: {made.mentor.telegram_id} (mentor) with {made.mentee.telegram_id} (mentee)")
    for bad in result.bad:
        print(f"line {bad.line}: not paired: {bad.reason}")
    print(f"{counted(len(result.made), 'pair')} made, {counted(len(result.bad), 'row')} not paired.")
    return 0 if not result.bad else 1


async def unpair_one(settings: Settings, name: str, mentee: str) -> int:
    async with open_database(settings) as engine, create_sessionmaker(engine).begin() as session:
        try:
            programme = await _programme(session, name)
            made = await unpair(session, programme, mentee, utc_now())
        except (_Missing, PairError) as error:
            return fail(str(error))
    print(f"Ended the pairing of {made.mentee.telegram_id} with {made.mentor.telegram_id} in "
          f"{programme.name}; both are told by the running bot.")
    return 0


async def move_member(settings: Settings, name: str, user_id: int) -> int:
    """Move a member into the programme NAME, in their own turn (a refusal changes nothing); the
    running bot tells them."""
    async with open_database(settings) as engine:
        async with create_sessionmaker(engine).begin() as session:
            try:
                programme = await _programme(session, name)
            except _Missing as error:
                return fail(str(error))
        async with build_service(engine, settings).turn_of(user_id) as turn:
            if turn is None:
                return fail(f"unknown user id {user_id}")
            try:
                moved = await move(turn, programme)
            except MoveError as error:
                return fail(str(error))
    print(f"moved {who(moved.user)} from {moved.left} to {moved.joined}; "
          "they are told by the running bot.")
    return 0
