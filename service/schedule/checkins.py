"""The mentee's check-in rhythm: proposed when the agreement is done, shown and changed with
`/checkins` (buttons, or typed in en and de), and planned as items: the next check-in
invitation, a GROW checkpoint's own invitation, and the question about an action step on its
due date (unless a check-in falls that day).

The same showing, pickers and typed forms serve a mentor's own check-in rhythm: a `Track` says
whose rhythm it is (`MENTEE` here; the mentor's in service.mentors.own_rhythm).

Button choices are `sk:<topic>:<value>` (the mentee's topic: `checkins`): `new`,
`every:<weeks>` (0: daily) → the day, `day:<weeks>:<weekday>` → the time,
`at:<weeks>:<weekday|x>:<HHMM>` → the rule, `off`, `show` (the overview again); the mentee's
alone: `no`, `tz:<index>` (the time it is for them now; typed: `clock:<HHMM>`, or a place or
zone named, `zone:<zone>`), and `keep`/`less`/`pause` (after two missed).

The overview's buttons, the pickers and the time zone question take their words typed
(service.typed_buttons), the overview's with their synonyms (`checkins.button_words`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from dialogs.engine import clean_text
from service.callbacks import scheduling_data
from service.commands import Scope
from service.messages import Button, OutMessage, Response, button
from service.render import Renderer
from service.schedule.kinds import Choice, Planner
from service.schedule.pause import start_pause
from service.schedule.placing import SentDays, occurrences, placed, quiet_said, when
from service.schedule.plan import replan
from service.schedule.rhythm import Rhythm, first_day, next_occurrence, wall_to_utc, zone_info
from service.schedule.typed import Off, parse_rhythm
from service.timezones import (
    COMMON_TIMEZONES,
    fixed_offset,
    parse_timezone,
    zone_for_local_time,
    zone_label,
)
from service.turn import Turn
from service.typed_buttons import offer, offer_all, outside_dialog
from storage.goals import goals_of
from storage.schedule import (
    NewItem,
    cancel_follow_ups,
    pending_items,
    rules_of,
    set_rule,
)
from storage.users import update_user
from storage.vocabulary import ActionStatus, JSONObject

KIND = "checkin"  # the rule's kind, and its invitations'
STEP = "checkin_step"  # an action step's due date
SNOOZE = "checkin_snooze"
REMINDER = "checkin_reminder"
CLOSE = "checkin_close"
FOLLOW_UPS = (SNOOZE, REMINDER, CLOSE)
TOPIC = "checkins"
#: When an action step's question comes without a check-in rhythm (local).
STEP_AT = time(9, 0)
#: The times offered as buttons (local); any other is typed (`/checkins fri 17:45`).
TIMES = (time(8, 0), time(12, 30), time(17, 30), time(20, 0))
PAUSE = timedelta(days=14)
#: The dialog whose completion proposes a check-in rhythm.
AGREEMENT = "agreement"
#: The zone a person has before they ever chose one: the tz question is asked then.
UNSET_ZONE = "UTC"


def rhythm_of(rules: Mapping[str, JSONObject]) -> Rhythm | None:
    """The check-in rhythm of a person's rules (None: none, or an unreadable one)."""
    rule = rules.get(KIND)
    if rule is None:
        return None
    try:
        return Rhythm.from_json(rule)
    except ValueError:
        return None


@dataclass(frozen=True)
class Track:
    """Whose check-in rhythm: the rule and the kind of item it plans, how the rule reads
    (None: off), the rule that turns it off (None: no rule), the topic of its buttons, the side
    its texts name, and what waits on a sent invitation (cancelled when it stops)."""

    kind: str
    topic: str
    side: str
    read: Callable[[Mapping[str, JSONObject]], Rhythm | None]
    off: JSONObject | None = None
    follow_ups: tuple[str, ...] = ()


MENTEE = Track(KIND, TOPIC, Scope.MENTEE.value, rhythm_of, None, FOLLOW_UPS)


def naming(turn: Turn, track: Track) -> dict[str, str | None]:
    """How the texts name a track: someone on both sides reads which side it is and types its
    word (`/checkins mentor fri 17:00`); a mentor's own is always named; a mentee's alone is
    said as it always was."""
    both = {Scope.MENTEE, Scope.MENTOR} <= turn.scopes
    named = both or track.side != MENTEE.side
    return {"side": track.side if named else None,
            "word": turn.say(f"checkins.words.{track.side}") + " " if both else ""}


# --- Showing and describing ------------------------------------------------------------


def describe(turn: Turn, rhythm: Rhythm) -> str:
    """The rhythm in the person's words: "every Monday and Thursday at 08:15"."""
    return rhythm_words(turn.render, rhythm)


def rhythm_words(render: Renderer, rhythm: Rhythm) -> str:
    """The rhythm in one language's words, with no turn (the export page describes it too)."""
    names = render.catalog.raw(render.lang, "common.weekdays") or []
    days = [str(names[day]) for day in sorted(rhythm.weekdays)]
    return render.text("checkins.rhythm", kind=rhythm.kind, days=days, every=rhythm.every_weeks,
                       nth=rhythm.nth, at=rhythm.at.strftime("%H:%M"))


async def next_checkin(turn: Turn, track: Track = MENTEE) -> datetime | None:
    """When the next check-in invitation goes out."""
    pending = await pending_items(turn.session, turn.user.id, [track.kind])
    return pending[0].due_at if pending else None


async def overview(turn: Turn, note: str | None = None, track: Track = MENTEE) -> OutMessage:
    """The rhythm and the next check-in, with buttons to change or stop it."""
    rhythm = track.read(await rules_of(turn.session, turn.user.id))
    say, named = turn.say, naming(turn, track)
    if rhythm is None:
        text = say("checkins.none", **named)
        rows: tuple[tuple[Button, ...], ...] = (
            (button(say("checkins.buttons.set"), _data("new", track)),),)
    else:
        upcoming = await next_checkin(turn, track)
        text = say("checkins.view", rhythm=describe(turn, rhythm),
                   next=when(turn, upcoming) if upcoming else None,
                   paused=turn.user.paused_until is not None and turn.user.paused_until > turn.now,
                   **named)
        rows = ((button(say("checkins.buttons.change"), _data("new", track)),
                 button(say("checkins.buttons.stop"), _data("off", track))),)
    return OutMessage(f"{note}\n\n{text}" if note else text, rows)


#: The words that stand for the overview's buttons when typed, beside their labels (catalog word
#: lists, in every language), and for the first picker's choices, so "weekly" asks for the day.
OVERVIEW_WORDS = {"new": "checkins.button_words.change", "off": "checkins.button_words.stop",
                  "every:0": "checkins.button_words.daily", "every:1": "checkins.button_words.weekly",
                  "every:2": "checkins.button_words.fortnightly"}


async def overviews(turn: Turn, tracks: Sequence[Track], again: str,
                    note: str | None = None) -> Response:
    """Each track's overview (`note` before the first), its buttons typeable with their
    synonyms; other typed text gets a hint and the overviews again (the press `again`; in a
    dialog, its question). Words two overviews share ("Change" for someone on both sides)
    press neither."""
    shown = [await overview(turn, note if not i else None, track) for i, track in enumerate(tracks)]
    tapped = {b.data for message in shown for row in message.buttons for b in row}
    words = [(key, data) for track in tracks for value, key in OVERVIEW_WORDS.items()
             if (data := _data(value, track)) in tapped or value.startswith("every:")]
    hint = "checkins.typed.overviews" if len(tracks) > 1 else "checkins.typed.overview"
    return Response(await offer_all(turn, shown, again=outside_dialog(turn, (again, hint)),
                                    words=words))


async def _rule(turn: Turn) -> JSONObject | None:
    return (await rules_of(turn.session, turn.user.id)).get(KIND)


# --- /checkins -------------------------------------------------------------------------


async def checkins(turn: Turn, args: str, track: Track = MENTEE) -> Response:
    """`/checkins` shows the rhythm; `/checkins daily 18:30`, `mon,thu 08:15`,
    `every 2 weeks fri 17:00`, `off` (and their German forms) change it."""
    if not clean_text(args):
        return await overviews(turn, (track,), _data("show", track))
    parsed = parse_rhythm(args, turn.today)
    if parsed is None:
        return turn.message("checkins.not_understood", text=args.strip()[:64],
                            **naming(turn, track))
    if isinstance(parsed, Off):
        return await stop(turn, track)
    return await set_rhythm(turn, parsed, track)


async def set_rhythm(turn: Turn, rhythm: Rhythm, track: Track = MENTEE) -> Response:
    """Keep this rhythm, plan its next check-in, and say when that is; someone who never chose a
    time zone is asked what time it is for them now."""
    rhythm = soonest(turn, rhythm)
    await set_rule(turn.session, turn.user.id, track.kind, rhythm.to_json(), turn.now)
    await replan(turn, turn.content.schedule)
    upcoming = await next_checkin(turn, track)
    text = turn.say("checkins.set", rhythm=describe(turn, rhythm),
                    next=when(turn, upcoming, on=True) if upcoming else None,
                    **quiet_said(turn, rhythm.at), **naming(turn, track))
    messages = [OutMessage(text)]
    if turn.user.timezone == UNSET_ZONE:
        messages.append(await ask_zone(turn))
    return Response(tuple(messages))


def soonest(turn: Turn, rhythm: Rhythm) -> Rhythm:
    """Every n weeks counts from this week or the next, whichever makes the first check-in come
    sooner (fortnightly on Fridays, set on a Saturday, starts six days later, not thirteen)."""
    if rhythm.every_weeks == 1 or not rhythm.weekdays or rhythm.nth is not None:
        return rhythm
    candidates = [replace(rhythm, anchor=turn.today + timedelta(weeks=weeks))
                  for weeks in range(rhythm.every_weeks)]
    return min(candidates, key=lambda r: next_occurrence(r, turn.user.timezone, turn.now))


async def stop(turn: Turn, track: Track = MENTEE) -> Response:
    """No more check-ins (nor what waits on one already sent)."""
    await set_rule(turn.session, turn.user.id, track.kind, track.off, turn.now)
    if track.follow_ups:  # what waits on an invitation of this rhythm; a programme's cohort
        # check-in has the same follow-ups, and it stands whatever the person's own rhythm is
        await cancel_follow_ups(turn.session, turn.user.id, track.follow_ups, turn.now,
                                of_kind=track.kind)
    await replan(turn, turn.content.schedule)
    return turn.message("checkins.stopped", **naming(turn, track))


def zone_question(turn: Turn) -> OutMessage:
    """"What time is it for you now?": a button per distinct clock among the common zones."""
    seen: dict[str, Button] = {}
    for index, zone in enumerate(COMMON_TIMEZONES):
        shown = turn.now.astimezone(zone_info(zone)).strftime("%H:%M")
        seen.setdefault(shown, button(turn.say("checkins.buttons.clock", at=shown),
                                      _data(f"tz:{index}")))
    buttons = sorted(seen.values(), key=lambda b: b.label)
    rows = tuple(tuple(buttons[i:i + 3]) for i in range(0, len(buttons), 3))
    return OutMessage(turn.say("checkins.zone_question"), rows)


async def ask_zone(turn: Turn) -> OutMessage:
    """The tz question, to be answered by a tap or typed: the time it is ("14:30"), a place
    ("Wien", "Germany") or a zone's name; other text gets a hint and the question again."""
    return await offer(turn, zone_question(turn), _data("clock:"),
                       outside_dialog(turn, (_data("ask_zone"), "checkins.typed.zone")),
                       zone=_data("zone:"))


# --- The proposal after the agreement, and the pickers -----------------------------------


async def after_dialog(turn: Turn, dialog: str, answers: Mapping[str, object]) -> list[OutMessage]:
    """A dialog was just completed: its goals and step dates may plan questions (replan); after
    the agreement, a check-in rhythm is proposed from its meeting rhythm, unless one is set."""
    await replan(turn, turn.content.schedule)
    if dialog != AGREEMENT or await _rule(turn) is not None:
        return []
    meeting_rhythm = answers.get("meeting_rhythm")
    weekly = meeting_rhythm == "weekly"
    rows = [[button(turn.say("checkins.buttons.weekly"), _data("every:1"))]]
    if not weekly:
        rows[0].append(button(turn.say("checkins.buttons.fortnightly"), _data("every:2")))
    rows.append([button(turn.say("checkins.buttons.not_now"), _data("no"))])
    text = turn.say("checkins.propose", meeting=str(meeting_rhythm or ""))
    return [await offer(turn, OutMessage(text, tuple(tuple(row) for row in rows)))]


def _data(value: str, track: Track = MENTEE) -> str:
    return scheduling_data(track.topic, value)


def rhythm_question(turn: Turn, track: Track = MENTEE) -> OutMessage:
    """How often: daily, weekly or fortnightly."""
    return OutMessage(turn.say("checkins.how_often", **naming(turn, track)), ((
        button(turn.say("checkins.buttons.daily"), _data("every:0", track)),
        button(turn.say("checkins.buttons.weekly"), _data("every:1", track)),
        button(turn.say("checkins.buttons.fortnightly"), _data("every:2", track))),))


def day_question(turn: Turn, weeks: int, track: Track = MENTEE) -> OutMessage:
    """Which day of the week."""
    names = turn.content.catalog.raw(turn.lang, "common.weekdays") or []
    buttons = [button(str(names[day]), _data(f"day:{weeks}:{day}", track)) for day in range(7)]
    return OutMessage(turn.say("checkins.which_day"), (tuple(buttons[:4]), tuple(buttons[4:])))


def time_question(turn: Turn, weeks: int, day: str, track: Track = MENTEE) -> OutMessage:
    """Which local time (or typed)."""
    buttons = tuple(button(turn.say("checkins.buttons.at", at=at.strftime("%H:%M")),
                           _data(f"at:{weeks}:{day}:{at.strftime('%H%M')}", track))
                    for at in TIMES)
    return OutMessage(turn.say("checkins.which_time", **naming(turn, track)), (buttons,))


async def choose_rhythm(turn: Turn, value: str, track: Track) -> Response | None:
    """A press on one of the pickers every track has (None: not one of them); each picker is
    offered to be typed as well as tapped."""
    head, _, rest = value.partition(":")
    again = _data(value, track)  # this press shows the picker again after unreadable text
    if value == "show":
        return await overviews(turn, (track,), again)
    if value == "new":
        return Response((await offer(turn, rhythm_question(turn, track),
                                     again=(again, "checkins.typed.how_often")),))
    if value == "off":
        return await stop(turn, track)
    if head == "every" and rest in ("0", "1", "2"):
        if rest == "0":
            return Response((await offer(turn, time_question(turn, 0, "x", track),
                                         _data("at:0:x:", track),
                                         (again, "checkins.typed.time")),))
        return Response((await offer(turn, day_question(turn, int(rest), track),
                                     again=(again, "checkins.typed.day")),))
    if head == "day" and (parts := rest.split(":")) and len(parts) == 2 \
            and parts[0] in ("1", "2") and parts[1] in "0123456" and len(parts[1]) == 1:
        return Response((await offer(turn, time_question(turn, int(parts[0]), parts[1], track),
                                     _data(f"at:{parts[0]}:{parts[1]}:", track),
                                     (again, "checkins.typed.time")),))
    if head == "at":
        rhythm = _picked(turn, rest)
        return turn.stale_press() if rhythm is None else await set_rhythm(turn, rhythm, track)
    return None


async def choose(turn: Turn, value: str) -> Response:
    """A press on one of the mentee's check-in choices."""
    picked = await choose_rhythm(turn, value, MENTEE)
    if picked is not None:
        return picked
    head, _, rest = value.partition(":")
    if value == "no":
        return turn.message("checkins.not_now")
    if head == "tz" and rest.isdigit() and int(rest) < len(COMMON_TIMEZONES):
        return await _set_zone(turn, COMMON_TIMEZONES[int(rest)])
    if head == "zone" and (zone := parse_timezone(rest.replace(".", "/"))) is not None:
        return await _set_zone(turn, zone)
    if head == "clock" and len(rest) == 4 and rest.isdigit():
        return await _set_clock(turn, f"{rest[:2]}:{rest[2:]}")
    if value == "ask_zone":
        return Response((await ask_zone(turn),))
    if value in ("keep", "less", "pause"):
        return await _after_missed(turn, value)
    return turn.stale_press()


def _picked(turn: Turn, rest: str) -> Rhythm | None:
    """The rhythm of an `at:<weeks>:<day>:<HHMM>` choice."""
    parts = rest.split(":")
    if len(parts) != 3 or parts[0] not in ("0", "1", "2") or len(parts[2]) != 4 \
            or not parts[2].isdigit():
        return None
    weeks, day, hhmm = int(parts[0]), parts[1], parts[2]
    if int(hhmm[:2]) > 23 or int(hhmm[2:]) > 59:
        return None
    at = time(int(hhmm[:2]), int(hhmm[2:]))
    if weeks == 0:
        return Rhythm(at) if day == "x" else None
    if len(day) != 1 or day not in "0123456":
        return None
    return Rhythm(at, frozenset({int(day)}), weeks, turn.today if weeks > 1 else None)


async def _set_zone(turn: Turn, zone: str) -> Response:
    """The time zone the tz question named; the check-ins follow it."""
    await update_user(turn.session, turn.user.id, turn.now, timezone=zone)
    turn.became(replace(turn.user, timezone=zone))
    await replan(turn, turn.content.schedule)
    upcoming = await next_checkin(turn)
    return turn.message("checkins.zone_set", zone=zone_label(zone), fixed=fixed_offset(zone),
                        next=when(turn, upcoming, on=True) if upcoming else None)


async def _set_clock(turn: Turn, typed: str) -> Response:
    """The time typed at the tz question: the zone whose clock shows it now; a time no zone
    shows gets why, and the question again."""
    zone = zone_for_local_time(typed, turn.now)
    if zone is not None:
        return await _set_zone(turn, zone)
    note = OutMessage(turn.say("common.settings.time_no_zone", text=typed,
                               utc=turn.now.astimezone(UTC).strftime("%H:%M")))
    return Response((note, await ask_zone(turn)))


async def _after_missed(turn: Turn, answer: str) -> Response:
    """The answer to "does the rhythm still suit you?" after two missed check-ins."""
    rule = await _rule(turn)
    rhythm = rhythm_of({KIND: rule} if rule is not None else {})
    if answer == "pause":  # the same pause as `/pause 2 weeks`
        await start_pause(turn, turn.today + PAUSE)
        return turn.message("checkins.paused", until=when(turn, turn.user.paused_until or turn.now))
    if answer == "less" and rhythm is not None and rhythm.nth is None:
        return await set_rhythm(turn, less_often(turn, rhythm))
    return await overviews(turn, (MENTEE,), _data("show"), turn.say("checkins.kept"))


def less_often(turn: Turn, rhythm: Rhythm) -> Rhythm:
    """Daily → weekly (on today's weekday); weekly on several days → the first of them; else
    twice the weeks between."""
    if not rhythm.weekdays:
        return Rhythm(rhythm.at, frozenset({turn.today.weekday()}))
    if len(rhythm.weekdays) > 1:
        return Rhythm(rhythm.at, frozenset({min(rhythm.weekdays)}), rhythm.every_weeks,
                      rhythm.anchor)
    weeks = min(rhythm.every_weeks * 2, 52)
    return Rhythm(rhythm.at, rhythm.weekdays, weeks, rhythm.anchor or turn.today)


# --- Planning ----------------------------------------------------------------------------


def _keep_or_new(turn: Turn, moment: datetime, key: str, pending: set[str]) -> bool:
    """A moment is planned if it is still ahead, or it is due and its item waits to be sent."""
    return moment > turn.now or key in pending


async def plan_checkins(turn: Turn, rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """The next check-in of the rhythm (and one just due that waits to be sent), and each GROW
    checkpoint still ahead (on a day without a check-in); never a second one on a local day that
    had one (a changed zone plans the rhythm anew at the new zone's wall time)."""
    rhythm = rhythm_of(rules)
    pending = {item.key for item in await pending_items(turn.session, turn.user.id, [KIND])}
    zone, uid = turn.user.timezone, turn.user.id
    sent = SentDays(turn.session, turn.user, KIND, turn.now)
    items: list[NewItem] = []
    if rhythm is not None:
        items.extend(await occurrences(turn.session, KIND, rhythm, turn.user, turn.content.policy,
                                       turn.now, pending, sent))
    at = rhythm.at if rhythm is not None else STEP_AT
    for goal in await goals_of(turn.session, uid):
        day = _date(goal.details.get("checkpoint"))
        if not goal.is_open or day is None or day < turn.today or _falls_on(rhythm, day):
            continue
        moment = wall_to_utc(day, at, zone_info(zone))
        key = f"{KIND}:{uid}:checkpoint:{goal.id}:{day.isoformat()}"
        due = placed(turn, moment)
        if _keep_or_new(turn, moment, key, pending) \
                and (key in pending or not await sent.on(due.astimezone(zone_info(zone)).date())):
            items.append(NewItem(key, KIND, uid, due, {"checkpoint": goal.id}))
    return items


async def plan_steps(turn: Turn, rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """On each open action step's due date, at the check-in time (09:00 without a rhythm), a
    question about it; not on a day a check-in falls on, which asks about it anyway."""
    rhythm = rhythm_of(rules)
    pending = {item.key for item in await pending_items(turn.session, turn.user.id, [STEP])}
    zone, uid = turn.user.timezone, turn.user.id
    at = rhythm.at if rhythm is not None else STEP_AT
    items: list[NewItem] = []
    for goal in await goals_of(turn.session, uid):
        if not goal.is_open:
            continue
        for action in goal.actions:
            day = action.due_on
            if action.status not in (ActionStatus.OPEN, ActionStatus.PARTLY) or day is None \
                    or day < turn.today or _falls_on(rhythm, day):
                continue
            moment = wall_to_utc(day, at, zone_info(zone))
            key = f"{STEP}:{uid}:{action.id}:{day.isoformat()}"
            if _keep_or_new(turn, moment, key, pending):
                items.append(NewItem(key, STEP, uid, placed(turn, moment), {"action": action.id}))
    return items


def _falls_on(rhythm: Rhythm | None, day: date) -> bool:
    return rhythm is not None and first_day(rhythm, day) == day


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def planners() -> tuple[Planner | Choice, ...]:
    """The planners and the choice topic of check-ins."""
    return (Planner(frozenset({KIND}), plan_checkins), Planner(frozenset({STEP}), plan_steps),
            Choice(TOPIC, choose))
