"""`/meeting`: the next meeting with the mentor, once or recurring; a day before it the mentee is
asked for the agenda.

The rule (kind "meeting") is {"once": local ISO wall time} or {"rule": a Rhythm's JSON}, with
"zone": the zone it was agreed in. A meeting is a moment agreed with the mentor: when the mentee's
zone changes it stays at the same instant (a recurring one at the same wall time in the zone it was
agreed in), and its agenda request and the mentor's brief follow that instant on the mentee's new
clock. A rule set before the person chose a zone (or kept from before zones were kept with it)
has none: it is read in their zone, whatever it is now. The agenda request is planned for the
next meeting whose request is still ahead, so a recurring meeting plans the next one once a
request went out, and a one-off meeting that passed plans nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from dialogs.engine import clean_text
from service import callbacks, runs
from service.awaiting import Dispatch, cancels, wait_for
from service.inputs import Incoming, TextIn
from service.messages import OutMessage, Response, button
from service.schedule.checkins import UNSET_ZONE, describe
from service.schedule.kinds import Choice, Given, PersonKind, Planner
from service.schedule.pause import pause_days, paused_until
from service.schedule.placing import ahead, days_ahead, local_iso, local_moment, placed, when
from service.schedule.plan import replan
from service.schedule.rhythm import Rhythm, next_occurrence, wall_to_utc, zone_info
from service.schedule.typed import MeetingWhen, is_off, meeting_day, parse_meeting, parse_time
from service.timezones import parse_timezone, zone_label
from service.turn import Turn
from storage.answers import answers_of
from storage.pairings import pairing_of_mentee
from storage.schedule import ItemRecord, NewItem, pending_items, rules_of, set_rule
from storage.vocabulary import JSONObject

RULE = "meeting"
KIND = "agenda_request"
TOPIC = "meeting"
AGENDA = "agenda"
AGENDA_DATE = "meeting_date"  # the agenda's step: the day of the meeting it is for
WAITING = "meeting_time"  # a day was typed without a time: the next typed text is the time
#: Besides the words that switch anything off: cancelling the meeting.
CANCEL_WORDS = frozenset({"cancel", "clear", "delete", "absagen", "löschen", "loeschen"})
#: How long before the meeting the agenda is asked for: the day before, at the same local time
#: (a DST change in between does not shift it by an hour).
BEFORE = timedelta(days=1)
#: How many meetings ahead are looked at for a request still to come.
LOOK_AHEAD = 3


async def paired(turn: Turn) -> bool:
    """Whether the person has a mentor here: only then do the texts say "ihr" and "your
    mentor" (someone alone plans their own meeting)."""
    return await pairing_of_mentee(turn.session, turn.user.id) is not None


def agreed_zone(turn: Turn, rule: JSONObject | None) -> str:
    """The zone a meeting's wall time is read in: the one it was agreed in, else the person's."""
    zone = rule.get("zone") if rule else None
    return zone if isinstance(zone, str) and parse_timezone(zone) == zone else turn.user.timezone


def meetings(turn: Turn, rule: JSONObject | None, after: datetime) -> list[datetime]:
    """The next meetings after `after` (UTC), at most LOOK_AHEAD; none for a rule unreadable."""
    if not rule:
        return []
    zone = agreed_zone(turn, rule)
    try:
        if isinstance(once := rule.get("once"), str):
            local = datetime.fromisoformat(once)
            moment = wall_to_utc(local.date(), local.time(), zone_info(zone))
            return [moment] if moment > after else []
        rhythm = Rhythm.from_json(rule["rule"])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return []
    found: list[datetime] = []
    for _ in range(LOOK_AHEAD):
        after = next_occurrence(rhythm, zone, after)
        found.append(after)
    return found


def _rule(turn: Turn, typed: MeetingWhen) -> JSONObject:
    """The rule kept: the wall time typed, and the zone it means (none while the person has
    not chosen one: then it is meant in the zone they will choose)."""
    rule: JSONObject = ({"once": typed.once.isoformat(timespec="minutes")}
                        if typed.once is not None else {"rule": _rhythm_json(typed)})
    if turn.user.timezone != UNSET_ZONE:
        rule["zone"] = turn.user.timezone
    return rule


def _rhythm_json(typed: MeetingWhen) -> JSONObject:
    assert typed.rule is not None
    return typed.rule.to_json()


async def meeting(turn: Turn, args: str) -> Response:
    """`/meeting` shows the next meeting; `/meeting next tuesday 17:00`, `/meeting 14.12. 18:30`,
    `/meeting every 2nd tuesday of the month 17:00`, `/meeting jeden 2. Dienstag im Monat 17 Uhr`,
    `/meeting jeden zweiten Dienstag 17 Uhr` (every other one) set it (a day alone,
    `/meeting tomorrow`, asks for the time); `/meeting off`, `cancel`, `aus`, `absagen` clear it."""
    text = clean_text(args)
    if not text:
        return await view(turn)
    if is_off(text) or text.lower() in CANCEL_WORDS:
        return await clear(turn)
    typed = parse_meeting(text, turn.today)
    if typed is None:
        found = meeting_day(text, turn.today, turn.lang)
        if found is None:
            return turn.message("calendar.meeting.unclear", text=text[:64])
        day, yearless_past = found
        if day < turn.today:
            return await _passed(turn, day, None, yearless_past=yearless_past)
        await wait_for(turn, {"for": WAITING, "day": day.isoformat()})  # a day without its time
        return turn.message("calendar.meeting.ask_time", day=day.isoformat(),
                            paired=await paired(turn),
                            days=days_ahead(turn, day))
    return await _set(turn, typed)


async def _set(turn: Turn, typed: MeetingWhen) -> Response:
    """Plan the meeting typed; one whose moment is over leaves the planned one as it is."""
    if typed.once is not None and _is_over(turn, typed.once):
        return await _passed(turn, typed.once.date(), typed.once.time(),
                             yearless_past=typed.yearless_past)
    await set_rule(turn.session, turn.user.id, RULE, _rule(turn, typed), turn.now)
    await replan(turn, turn.content.schedule)
    return await view(turn, set_now=True)


async def while_awaiting(turn: Turn, awaiting: JSONObject, incoming: Incoming,
                         dispatch: Dispatch) -> Response:
    """Typed text after a day without a time is that time (unreadable: asked again, and it keeps
    waiting); /cancel ends the wait and nothing else; anything else ends the wait and goes its
    way."""
    day = awaiting.get("day")
    if cancels(incoming):
        await wait_for(turn, None)
        return turn.message("calendar.meeting.time_dropped")
    if (not isinstance(incoming, TextIn) or not clean_text(incoming.text)
            or not isinstance(day, str)):
        await wait_for(turn, None)
        return await dispatch(incoming, True)
    at = parse_time(incoming.text)
    if at is None:
        return turn.message("calendar.meeting.ask_time_again", day=day, paired=await paired(turn),
                            days=days_ahead(turn, day),
                            text=incoming.text.strip()[:64])
    once = datetime.combine(date.fromisoformat(day), at)
    if _is_over(turn, once):  # earlier today: a later time is asked for, still waiting
        return await _passed(turn, once.date(), at, waiting=True)
    await wait_for(turn, None)
    return await _set(turn, MeetingWhen(once=once))


def _is_over(turn: Turn, once: datetime) -> bool:
    """Whether a local wall time typed for a meeting is not ahead any more."""
    return local_moment(turn, once.date(), once.time()) <= turn.now


async def _passed(turn: Turn, day: date, at: time | None, *, yearless_past: bool = False,
                  waiting: bool = False) -> Response:
    """A meeting typed for a moment that is over: said so, with the meeting still planned (if
    any) and what to type instead; nothing changes."""
    upcoming = meetings(turn, (await rules_of(turn.session, turn.user.id)).get(RULE), turn.now)
    return turn.message(
        "calendar.meeting.passed", paired=await paired(turn), day=day.isoformat(),
        days=days_ahead(turn, day),
        at=at.strftime("%H:%M") if at is not None else None,
        when=when(turn, local_moment(turn, day, at), on=True) if at is not None else None,
        planned=when(turn, upcoming[0]) if upcoming else None,
        yearless_past=yearless_past, waiting=waiting)


async def view(turn: Turn, set_now: bool = False) -> Response:
    """The next meeting and when the agenda is asked for, or how to set one."""
    rule = (await rules_of(turn.session, turn.user.id)).get(RULE)
    upcoming = meetings(turn, rule, turn.now)
    if not upcoming:
        agenda_day = await _agenda_day(turn)
        return turn.message("calendar.meeting.none", agenda_day=agenda_day,
                            paired=await paired(turn),
                            days=days_ahead(turn, agenda_day) if agenda_day else None)
    requests = [item for item in await pending_items(turn.session, turn.user.id, (KIND,))
                if _meeting_of(item) == upcoming[0]]
    rhythm = _rhythm(rule)
    text = turn.say("calendar.meeting.set" if set_now else "calendar.meeting.view",
                    paired=await paired(turn),
                    recurring=rhythm is not None, when=when(turn, upcoming[0], on=set_now),
                    rhythm=_rhythm_words(turn, rhythm, agreed_zone(turn, rule))
                    if rhythm is not None else None,
                    ask=when(turn, requests[0].due_at, on=True) if requests else None,
                    **_no_request(turn, upcoming[0]))
    clear_button = button(turn.say("calendar.meeting.clear_button"),
                          callbacks.scheduling_data(TOPIC, "off"))
    return Response((OutMessage(text, ((clear_button,),)),))


def _no_request(turn: Turn, moment: datetime) -> dict[str, str | None]:
    """Why no agenda request is planned for the meeting at `moment`, so the reply says the true
    reason, never a false one: `soon` (its moment, the day before, has passed: the meeting is
    less than a day away), `paused` (it falls inside the pause; `last` is the pause's last day),
    or None. Said only when no request is pending; each reason comes with /agenda."""
    due = _request_at(turn, moment)
    until = paused_until(turn)
    if due <= turn.now:
        return {"why": "soon", "last": None}
    if until is not None and due < until:
        return {"why": "paused", "last": pause_days(turn, until)["last"]}
    return {"why": None, "last": None}


def _request_at(turn: Turn, moment: datetime) -> datetime:
    """When the agenda for the meeting at `moment` is asked for: the day before at the same
    local time, out of the quiet hours."""
    wall = moment.astimezone(zone_info(turn.user.timezone))
    return placed(turn, local_moment(turn, wall.date() - BEFORE, wall.time()))


def _rhythm_words(turn: Turn, rhythm: Rhythm, zone: str) -> str:
    """A recurring meeting's rhythm in words; with its zone, when that is not the person's now
    (its wall time is that zone's)."""
    words = describe(turn, rhythm)
    if zone == turn.user.timezone:
        return words
    return turn.say("calendar.meeting.in_zone", rhythm=words, zone=zone_label(zone))


def _rhythm(rule: JSONObject | None) -> Rhythm | None:
    """A recurring meeting's rhythm (None: a single one, or none)."""
    try:
        return Rhythm.from_json(rule["rule"]) if rule and "rule" in rule else None  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return None


async def _agenda_day(turn: Turn) -> str | None:
    """The day the latest agenda is for, if it is still ahead (an agenda names a day, not the
    meeting's time: /meeting says so rather than that no meeting is planned)."""
    said = [a for a in await answers_of(turn.session, turn.user.id)
            if a.dialog == AGENDA and a.step_key == AGENDA_DATE and isinstance(a.value, str)]
    if not said:
        return None
    latest = max(said, key=lambda a: (a.run_id, a.id)).value
    return latest if isinstance(latest, str) and latest >= turn.today.isoformat() else None


async def clear(turn: Turn) -> Response:
    """No meeting planned any more: nor any agenda request."""
    await set_rule(turn.session, turn.user.id, RULE, None, turn.now)
    await replan(turn, turn.content.schedule)
    return turn.message("calendar.meeting.cleared")


async def choose(turn: Turn, value: str) -> Response:
    """The meeting's button: clear it."""
    return await clear(turn) if value == "off" else turn.stale_press()


async def plan(turn: Turn, rules: Mapping[str, JSONObject]) -> list[NewItem]:
    """The agenda request a day before the next meeting whose request is still ahead (and one
    still pending whose moment passed while the bot was down)."""
    items = []
    for moment in meetings(turn, rules.get(RULE), turn.now):
        due = _request_at(turn, moment)
        meeting_iso = local_iso(turn, moment)
        items.append(NewItem(f"{KIND}:{turn.user.id}:{meeting_iso}@{local_iso(turn, due)}", KIND,
                             turn.user.id, due, {"meeting": moment.isoformat()}))
        if due > turn.now:  # (one due right now may be the one just sent: look further)
            break
    return await ahead(turn, items, (KIND,))


def _meeting_of(item: ItemRecord) -> datetime | None:
    value = item.payload.get("meeting")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


async def agenda_request(turn: Turn, item: ItemRecord) -> Response | None:
    """A day before the meeting: would they gather their agenda?"""
    moment = _meeting_of(item)
    if moment is None or moment <= turn.now:
        return None
    start = button(turn.say("calendar.meeting.agenda_button"), callbacks.item_data(item.id, "start"))
    text = turn.say("calendar.meeting.agenda_request", when=when(turn, moment, on=True),
                    paired=await paired(turn))
    return Response((OutMessage(text, ((start,),)),))


async def on_press(turn: Turn, _item: ItemRecord, op: str) -> Response:
    """Start the agenda (an open dialog is offered to pause, as always)."""
    if op != "start":
        return turn.stale_press()
    return await runs.start_dialog(turn, AGENDA, invited=True)


async def agenda_given(turn: Turn) -> dict[str, str]:
    """What an agenda started from its request knows: the day of the next meeting (on the
    person's calendar), so it is not asked when the meeting is."""
    upcoming = meetings(turn, (await rules_of(turn.session, turn.user.id)).get(RULE), turn.now)
    if not upcoming:
        return {}
    return {AGENDA_DATE: upcoming[0].astimezone(zone_info(turn.user.timezone)).date().isoformat()}


def meeting_kinds() -> tuple[PersonKind, Planner, Choice, Given]:
    """The agenda request, its planner, the meeting's button, and the agenda's meeting day."""
    return (PersonKind(KIND, agenda_request, press=on_press),
            Planner(frozenset({KIND}), plan), Choice(TOPIC, choose), Given(AGENDA, agenda_given))
