"""Cohort check-ins: a broadcast reaches every member of its dialog's side (the mentees for
`checkin`, the mentors for `mentor_checkin`: the other side could not start it) at the same local
wall time in their own zone (`coachbot broadcast --programme NAME --dialog checkin --at
"2027-01-12 18:00" [--to mentees]`), once per programme, dialog and moment; and a programme's
recurring cohort check-in (defaults["cohort_checkin"], a Rhythm's JSON) makes one broadcast per
occurrence, found or made by whichever member's planning reaches it first. Both are check-in
invitations (service.schedule.invitation: Start / Later / Skip, one reminder, the close); after
the answer window each coordinator gets a response report: answered, missed, paused, unreachable,
among the audience only, with the first names of who has not answered (someone without one as
"Mentee 3" or "Mentor 2", as every coordinator output names them: service.names), never what
anyone answered.

Keys: `broadcast:<id>:<user>`, `broadcast_report:<id>:<user>` (`cohort_checkin:<user>:<local
ISO>` for items planned before occurrences were broadcasts: still sent as they are).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.schema import Dialog
from service.messages import OutMessage, Response, counted
from service.names import Say, pair_names, whose_mentee
from service.schedule import invitation
from service.schedule.invitation import audience_of
from service.schedule.kinds import PersonKind, Planner
from service.schedule.plan import replan_many
from service.schedule.policy import SchedulePolicy
from service.schedule.rhythm import (
    Rhythm,
    next_occurrence,
    out_of_quiet,
    stored_quiet,
    wall_to_utc,
    zone_info,
)
from service.timezones import zone_label
from service.turn import Turn
from storage.broadcasts import (
    KIND,
    AudienceResponse,
    BroadcastRecord,
    broadcast_by_id,
    create_broadcast,
    item_key,
    last_planned,
    mark_reported,
    members_of,
    occurrence,
    open_broadcasts,
    reaches,
    responses,
    same_broadcast,
    user_ids_of,
    withdraw_unsent,
)
from storage.programmes import (
    ProgrammeRecord,
    coordinated_by,
    coordinators_of,
    lock_programme,
    programme_by_id,
)
from storage.schedule import ItemRecord, NewItem, add_items, first_pending, postpone_items
from storage.stats import pair_figures
from storage.users import first_name, user_by_id
from storage.vocabulary import ItemStatus, JSONObject, Role

if TYPE_CHECKING:
    from service.conversation import ConversationService

RECURRING = "cohort_checkin"
REPORT = "broadcast_report"
#: The report waits this long after the last member's answer window closed.
REPORT_MARGIN = timedelta(hours=1)
#: How many names of who has not answered a report lists.
NAMES = 30
CHUNK = 2_000
REPLAN_BATCH = 200  # mentees planned in one transaction when the cohort check-in changes
#: A broadcast set this long before now (wall time) beyond the grace can reach nobody any more.
STALE = timedelta(days=2)
#: How far ahead a broadcast may be set: further is a typo (a year 9999 overflowed the dates).
AHEAD = timedelta(days=731)
MENTEES = "mentees"  # the recurring cohort check-in's audience: it runs the mentee's check-in
#: What a cohort may be sent: a check-in of either side. Everything around a broadcast is a
#: check-in's (its invitation, the one reminder "your check-in is still waiting", the close that
#: counts it as missed, a report "to the check-in of"); a once-in-a-journey dialog (GROW, a story,
#: the reflection) belongs to a person's own stage and pace, not to a date for everyone.
COHORT_DIALOGS = ("checkin", "mentor_checkin")
#: What a coordinator who asked for the wrong side is told to do instead.
EACH_SIDE = "broadcast each side its own check-in: checkin to the mentees, mentor_checkin to the mentors"


class BroadcastError(ValueError):
    """A broadcast that cannot be planned as asked (said in one line; nothing is stored)."""


@dataclass(frozen=True)
class Planned:
    """What `schedule_broadcast` planned: how many members, the first and last UTC moments, and
    the members whose moment falls in their quiet hours: how many per local wall time their
    invitation moves to (the end of those hours)."""

    broadcast: BroadcastRecord
    members: int
    first: datetime | None
    last: datetime | None
    report_at: datetime | None
    reports: int
    moved: Mapping[datetime, int] = field(default_factory=dict)


def stamp(moment: datetime) -> str:
    """A moment to the minute as `--at` takes it, the year in four digits ("0001-01-01 00:00";
    strftime's %Y would write "1")."""
    return moment.replace(tzinfo=None).isoformat(" ", "minutes")


def parse_at(text: str) -> datetime | None:
    """"2027-01-12 18:00" (or ISO with a T) as a naive wall time. A date alone is not read: its
    midnight would go out at the end of everyone's quiet hours instead, not when it says."""
    stamp = text.strip().replace(" ", "T", 1)
    if "T" not in stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment.replace(second=0, microsecond=0) if moment.tzinfo is None else None


def due_for(local_at: datetime, zone: str, quiet_hours: str | None, policy: SchedulePolicy) -> datetime:
    """The wall time in the member's zone as UTC (the DST policy of rhythm), out of their quiet
    hours (a coordinator's 18:00 is not inside the default ones; an early one waits)."""
    due = wall_to_utc(local_at.date(), local_at.time(), zone_info(zone))
    return out_of_quiet(due, zone, stored_quiet(quiet_hours, policy.quiet_hours))


def _moved_to(local_at: datetime, zone: str, due: datetime) -> datetime | None:
    """The local wall time the member's quiet hours moved their invitation to; None if it goes
    out when it says."""
    if due == wall_to_utc(local_at.date(), local_at.time(), zone_info(zone)):
        return None
    return due.astimezone(zone_info(zone)).replace(tzinfo=None)


def _payload(broadcast: BroadcastRecord, programme: str) -> JSONObject:
    return {"broadcast": broadcast.id, "dialog": broadcast.dialog, "programme": programme}


async def schedule_broadcast(session: AsyncSession, programme: ProgrammeRecord, script: Dialog,
                             local_at: datetime, *, created_by: int | None,
                             policy: SchedulePolicy, now: datetime,
                             audience: str | None = None) -> Planned:
    """Store the broadcast and plan one item per reachable member of its audience (not for
    someone paused past its moment), then one report per coordinator who can be written to.
    The audience is the dialog's own side (`audience_of`); saying another one is refused, as is
    the same broadcast a second time, before anything is stored."""
    dialog = script.name
    if dialog not in COHORT_DIALOGS:
        raise BroadcastError(f"a cohort is sent a check-in ({' or '.join(COHORT_DIALOGS)}), not "
                             f"{dialog}: that one each member takes at their own pace")
    own = audience_of(script)
    if audience is not None and audience != own:
        other = "mentees" if own == "mentors" else "mentors"
        raise BroadcastError(f"{dialog} is for {own} only: the {other} could not start it, so it "
                             f"cannot go to {'everyone' if audience == 'all' else 'them'}; "
                             f"{EACH_SIDE}")
    if local_at > now.replace(tzinfo=None) + AHEAD:
        raise BroadcastError(f"{stamp(local_at)} is more than two years ahead; give a moment "
                             "within them")
    await lock_programme(session, programme.id)  # two at one instant: the second finds the first
    twin = await same_broadcast(session, programme.id, dialog, local_at, own)
    if twin is not None:
        whom = "everyone" if twin.audience == "all" else f"the {twin.audience}"
        raise BroadcastError(f"broadcast {twin.id} already sends {dialog} to {whom} of "
                             f"{programme.name} at {stamp(local_at)}; nothing new was planned")
    side = [m for m in await members_of(session, programme.id) if reaches(own, m.role, m.mentors)]
    try:
        planned: list[tuple[int, datetime]] = []
        moved: dict[datetime, int] = {}
        for member in side:
            due = due_for(local_at, member.timezone, member.quiet_hours, policy)
            if not member.active or (member.paused_until is not None and member.paused_until > due):
                continue
            planned.append((member.user_id, due))
            if (later := _moved_to(local_at, member.timezone, due)) is not None:
                moved[later] = moved.get(later, 0) + 1
        _refuse_past(local_at, [due for _, due in planned], programme, now)
    except OverflowError:  # the calendar's first day, in a zone ahead of UTC: long gone
        raise BroadcastError(f"{stamp(local_at)} has passed; give a moment to come") from None
    if not planned:
        raise BroadcastError(_nobody(programme, dialog, own, len(side)))
    broadcast = await create_broadcast(session, programme.id, dialog, local_at, created_by, now,
                                       own)
    items = [NewItem(item_key(broadcast.id, user_id), KIND, user_id, due,
                     _payload(broadcast, programme.name)) for user_id, due in planned]
    for start in range(0, len(items), CHUNK):
        await add_items(session, items[start:start + CHUNK], now)
    moments = [item.due_at for item in items]
    first, last = min(moments), max(moments)
    report_at, reports = await _plan_reports(session, programme, broadcast, last,
                                             policy=policy, now=now)
    return Planned(broadcast, len(items), first, last, report_at, reports,
                   dict(sorted(moved.items())))


def _nobody(programme: ProgrammeRecord, dialog: str, audience: str, members: int) -> str:
    """Why a broadcast would reach nobody (its report would count nobody either): its side has
    no members yet, or none of them can be sent it."""
    side = audience.removesuffix("s")
    if not members:
        return (f"{programme.name} has no {audience} yet: nobody to send {dialog} to; nothing was "
                f"planned (invite them first: coachbot invite --programme {programme.name!r} "
                f"--role {side})")
    whom = f"the one {side}" if members == 1 else f"none of the {members} {audience}"
    return (f"{whom} of {programme.name} can{'not' if members == 1 else ''} be sent {dialog} "
            "then (paused past it, or they stopped the bot): nobody to send it to; nothing was "
            "planned")


def _refuse_past(local_at: datetime, dues: list[datetime], programme: ProgrammeRecord,
                 now: datetime) -> None:
    """BroadcastError if the moment has passed for someone it would reach (their invitation
    would never be sent), or, reaching nobody yet, in the programme's time zone."""
    zone = str(programme.defaults.get("timezone") or "UTC")
    passed = sum(due < now for due in dues) if dues else int(
        wall_to_utc(local_at.date(), local_at.time(), zone_info(zone)) < now)
    if passed:
        whom = f"for {counted(passed, 'member')} in their time zone" if dues else f"in {zone_label(zone)}"
        raise BroadcastError(f"{stamp(local_at)} has passed {whom}; give a moment to come")


async def _plan_reports(session: AsyncSession, programme: ProgrammeRecord,
                        broadcast: BroadcastRecord, last: datetime, *, policy: SchedulePolicy,
                        now: datetime) -> tuple[datetime, int]:
    """One response report per coordinator who has written to the bot (and the admin who set the
    broadcast), after the last member's answer window; when, and for how many."""
    report_at = last + policy.answer_window + REPORT_MARGIN
    created_by = broadcast.created_by
    readers = list(dict.fromkeys([*await coordinators_of(session, programme.id),
                                  *([created_by] if created_by is not None else [])]))
    known = await user_ids_of(session, readers)
    await add_items(session, [NewItem(f"{REPORT}:{broadcast.id}:{user_id}", REPORT, user_id,
                                      report_at, {"broadcast": broadcast.id})
                              for user_id in known.values()], now)
    return report_at, len(known)


# --- Planning for one member (late joiners, a changed zone, the recurring rule) ---------------


async def plan_member(turn: Turn, _rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """A member's items of their programme's open broadcasts for their side (one whose moment
    passed within the grace window too: a late joiner still gets it), the next occurrence of the
    recurring cohort check-in among them."""
    programme_id = turn.user.programme_id
    if programme_id is None:
        return ()
    programme = await turn.shared(("programme", programme_id),
                                  lambda: programme_by_id(turn.session, programme_id))
    if programme is None:
        return ()
    policy: SchedulePolicy = turn.content.policy
    user = turn.user
    since = turn.now.replace(tzinfo=None) - policy.grace - STALE
    known = ("open broadcasts", programme_id, since)
    if await _next_occurrence(turn, programme):
        turn.changed(known)
    items: list[NewItem] = []
    for broadcast in await turn.shared(known, lambda: open_broadcasts(turn.session, programme_id,
                                                                      since)):
        if not broadcast.reaches(user.role, user.mentors):
            continue
        due = due_for(broadcast.local_at, user.timezone, user.quiet_hours, policy)
        if due >= turn.now - policy.grace:
            items.append(NewItem(item_key(broadcast.id, user.id), KIND, user.id, due,
                                 _payload(broadcast, programme.name)))
            await _report_after(turn, programme, broadcast, due + policy.answer_window
                                + REPORT_MARGIN)
    return items


async def _report_after(turn: Turn, programme: ProgrammeRecord, broadcast: BroadcastRecord,
                        not_before: datetime) -> None:
    """The broadcast's reports wait for this member's answer window too: someone who joined
    after it was planned, or moved west, may get it after everyone counted then. Written only
    when a report would come earlier (the batch reads the reports' moment once)."""
    known = ("report at", broadcast.id)
    keys, report_at = await turn.shared(known, lambda: _reports_of(turn.session, programme,
                                                                   broadcast))
    if report_at is None or report_at >= not_before:
        return
    await postpone_items(turn.session, keys, not_before, turn.now)
    turn.changed(known)


async def _reports_of(session: AsyncSession, programme: ProgrammeRecord,
                      broadcast: BroadcastRecord) -> tuple[list[str], datetime | None]:
    """The keys of the broadcast's reports (to its coordinators and the admin who set it) and
    when the first of those still pending is due (None: none is)."""
    readers = [*await coordinators_of(session, programme.id),
               *([broadcast.created_by] if broadcast.created_by is not None else [])]
    keys = sorted(f"{REPORT}:{broadcast.id}:{user_id}"
                  for user_id in set((await user_ids_of(session, readers)).values()))
    return keys, await first_pending(session, keys)


async def _next_occurrence(turn: Turn, programme: ProgrammeRecord) -> bool:
    """The broadcast of the member's next occurrence of the programme's recurring cohort check-in
    (a mentee's rule): found, or made with its coordinators' reports; whether it was made now
    (the programme's open broadcasts changed)."""
    rule = programme.defaults.get(RECURRING)
    if not isinstance(rule, dict) or not reaches(MENTEES, turn.user.role, turn.user.mentors):
        return False
    try:
        rhythm = Rhythm.from_json(rule)
    except ValueError:
        return False
    zone = zone_info(turn.user.timezone)
    moment = next_occurrence(rhythm, turn.user.timezone, turn.now)
    local_at = datetime.combine(moment.astimezone(zone).date(), rhythm.at)
    made = False

    async def found_or_made() -> BroadcastRecord:
        nonlocal made
        broadcast, made = await occurrence(turn.session, programme.id, RECURRING, "checkin",
                                           local_at, MENTEES, turn.now)
        return broadcast

    broadcast = await turn.shared(("occurrence", programme.id, local_at), found_or_made)
    if made:
        policy: SchedulePolicy = turn.content.policy
        last = await _last_due(turn.session, programme, broadcast, policy)
        await _plan_reports(turn.session, programme, broadcast, last, policy=policy, now=turn.now)
    return made


async def _last_due(session: AsyncSession, programme: ProgrammeRecord,
                    broadcast: BroadcastRecord, policy: SchedulePolicy) -> datetime:
    """When the broadcast reaches the last member of its audience: each member in their zone
    now, or as their invitation was planned (they moved west since), whichever is later; its
    moment in the programme's zone if it reaches nobody yet (never "now": a report before the
    moment would count nothing)."""
    members = [due_for(broadcast.local_at, m.timezone, m.quiet_hours, policy)
               for m in await members_of(session, broadcast.programme_id)
               if broadcast.reaches(m.role, m.mentors)]
    planned = await last_planned(session, broadcast)
    zone = zone_info(str(programme.defaults.get("timezone") or "UTC"))
    return max([*members, *([planned] if planned else [])],
               default=wall_to_utc(broadcast.local_at.date(), broadcast.local_at.time(), zone))


async def withdraw_occurrences(session: AsyncSession, programme: ProgrammeRecord,
                               now: datetime) -> int:
    """The recurring cohort check-in's rule changed or ended: its occurrences already set that
    have reached nobody yet go with their reports (one under way stays, and is reported on);
    how many went. Then `replan_cohort` plans the rule now in force."""
    return await withdraw_unsent(session, programme.id, RECURRING, (REPORT,), now)


async def replan_cohort(conversation: ConversationService, programme_id: int) -> int:
    """Plan the programme's recurring cohort check-in for each of its mentees now (the planner
    a sent item runs, in batches as the dispatcher's), so a rule set or changed reaches every
    one of them at its next occurrence, whatever else they have scheduled; how many mentees."""
    registry = conversation.content.schedule
    planners = registry.planners_after(RECURRING)
    async with conversation.sessionmaker.begin() as session:
        people = [m.telegram_id for m in await members_of(session, programme_id)
                  if reaches(MENTEES, m.role, m.mentors)]
    for start in range(0, len(people), REPLAN_BATCH):
        async with conversation.turns_of(people[start:start + REPLAN_BATCH]) as turns:
            await replan_many(registry, [(turn, planners) for turn in turns.values()])
    return len(people)


async def report_to_new_coordinator(session: AsyncSession, programme: ProgrammeRecord,
                                    telegram_id: int, *, policy: SchedulePolicy,
                                    now: datetime) -> int:
    """The reports still to come of the programme's broadcasts, for a coordinator who was not
    there when they were planned (granted later, or writing to the bot only now): a report goes
    to whoever coordinates when it is due. How many; none for someone who never wrote to it."""
    known = await user_ids_of(session, [telegram_id])
    if telegram_id not in known:
        return 0
    items = [NewItem(f"{REPORT}:{broadcast.id}:{known[telegram_id]}", REPORT, known[telegram_id],
                     max(await _last_due(session, programme, broadcast, policy)
                         + policy.answer_window + REPORT_MARGIN, now),
                     {"broadcast": broadcast.id})
             for broadcast in await open_broadcasts(session, programme.id)]
    return await add_items(session, items, now)


async def reports_for_newcomer(turn: Turn) -> None:
    """Someone granted coordination before they ever wrote to the bot gets the reports still to
    come of their programmes once they do."""
    for programme in await coordinated_by(turn.session, turn.user.telegram_id):
        await report_to_new_coordinator(turn.session, programme, turn.user.telegram_id,
                                        policy=turn.content.policy, now=turn.now)


# --- The response report ---------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """How a broadcast went: counts, and who has not answered (`_named`: by first name, else
    "Mentee 3"; someone nameless and in no open pair is counted in `missed`, not named)."""

    answered: int
    missed: int
    paused: int
    unreachable: int
    not_answered: list[str]


async def report_of(session: AsyncSession, broadcast: BroadcastRecord, say: Say) -> Report:
    """Answered: started. Unreachable: blocked the bot (or it could not be sent). Paused: their
    item was held back by a pause. Missed: sent (or skipped) and not started. `say`: the
    reader's texts, to name the nameless in."""
    answered = missed = paused = unreachable = 0
    silent: list[AudienceResponse] = []
    for row in await responses(session, broadcast):
        if row.started:
            answered += 1
        elif not row.active or row.status == ItemStatus.FAILED.value:
            unreachable += 1
        elif row.status == ItemStatus.CANCELLED.value or (
                row.status is None and row.paused_until is not None):
            paused += 1
        elif row.status in (ItemStatus.SENT.value, ItemStatus.MISSED.value,
                            ItemStatus.SKIPPED.value):
            missed += 1
            silent.append(row)
    return Report(answered, missed, paused, unreachable,
                  await _named(session, broadcast, silent, say))


async def _named(session: AsyncSession, broadcast: BroadcastRecord,
                 rows: list[AudienceResponse], say: Say) -> list[str]:
    """These members as coordinators read them (service.names.pair_names): by first name; without
    one, by their side in their open pair of the programme ("Mentor 2"; a mentee with their mentor
    beside them, "Mentee 1 (Maria's)", as another mentor's may be a "Mentee 1" too). Queried only
    when someone has no name."""
    nameless = {row.user_id: row for row in rows if row.first_name is None}
    called: dict[int, str] = {}
    if nameless:
        pairs = [(p.pairing_id, p.mentor_id, p.mentee_id)
                 for p in await pair_figures(session, broadcast.programme_id)
                 if p.mentor_id in nameless or p.mentee_id in nameless]
        first_names = {row.user_id: row.first_name for row in rows}
        for _, mentor_id, _ in pairs:  # their mentors, who need not be in the audience
            if mentor_id not in first_names:
                mentor = await user_by_id(session, mentor_id)
                first_names[mentor_id] = None if mentor is None else first_name(mentor.name)
        names = await pair_names(session, say, broadcast.programme_id, pairs, first_names)
        as_mentee = {mentee: whose_mentee(say, names[pairing], named=False)
                     for pairing, _, mentee in pairs}
        as_mentor = {mentor: names[pairing][0] for pairing, mentor, _ in pairs}
        for user_id, row in nameless.items():
            mentee_first = row.role is Role.MENTEE and broadcast.audience != "mentors"
            sides = (as_mentee, as_mentor) if mentee_first else (as_mentor, as_mentee)
            found = next((side[user_id] for side in sides if user_id in side), None)
            if found is not None:
                called[user_id] = found
    return [row.first_name or called[row.user_id] for row in rows
            if row.first_name or row.user_id in called]


async def report_due(turn: Turn, item: ItemRecord) -> Response | None:
    """The report to one coordinator (still a coordinator of the programme, or the admin who set
    the broadcast); the broadcast counts as reported from then on."""
    ref = item.payload.get("broadcast")
    broadcast = await broadcast_by_id(turn.session, ref) if isinstance(ref, int) else None
    if broadcast is None:
        return None
    programme = await programme_by_id(turn.session, broadcast.programme_id)
    admin_who_set_it = turn.user.telegram_id in turn.content.admins \
        and broadcast.created_by == turn.user.telegram_id
    coordinator = turn.user.telegram_id in await coordinators_of(turn.session,
                                                                 broadcast.programme_id)
    if programme is None or not (coordinator or admin_who_set_it):
        return None
    report = await report_of(turn.session, broadcast, turn.say)
    await mark_reported(turn.session, broadcast.id, turn.now)
    text = turn.say("programmes.broadcast.report", programme=programme.name,
                    audience=broadcast.audience,
                    day=broadcast.local_at.date().isoformat(),
                    at=broadcast.local_at.strftime("%H:%M"), answered=report.answered,
                    missed=report.missed, paused=report.paused, unreachable=report.unreachable,
                    names=report.not_answered[:NAMES],
                    more=report.missed - len(report.not_answered[:NAMES]))
    return Response((OutMessage(text),))


def kinds() -> tuple[PersonKind | Planner, ...]:
    """The broadcast and recurring cohort invitations (the check-in invitation's shape), the
    report, and the planner of a member's cohort items."""
    return (PersonKind(KIND, invitation.invite, press=invitation.press),
            PersonKind(RECURRING, invitation.invite, press=invitation.press),
            PersonKind(REPORT, report_due, in_pause=True),
            Planner(frozenset({KIND, RECURRING}), plan_member))

