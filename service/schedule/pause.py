"""`/pause`: nothing scheduled is sent until a day the person picks, nothing counts as missed,
and when the pause ends the bot says welcome back (with the next check-in).

The pause is `users.paused_until`: the start (00:00 local) of the day things resume, in UTC.
Setting it cancels every pending item inside it (but what belongs to its end) and replans;
`/pause off` clears it and replans, so what the rules plan comes back at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from dialogs.engine import clean_text
from service import callbacks
from service.awaiting import Dispatch, cancels, wait_for
from service.commands import Scope
from service.inputs import Incoming, TextIn
from service.messages import OutMessage, Response, button
from service.schedule import ending
from service.schedule.kinds import Choice, PersonKind, Planner
from service.schedule.placing import local_day_and_time, local_iso, local_moment, placed, when
from service.schedule.plan import replan
from service.schedule.typed import is_off, parse_pause, pause_passed
from service.turn import Turn
from storage.goals import goal_of
from storage.schedule import ItemRecord, NewItem, cancel_pending, pending_items, rules_of
from storage.users import update_user
from storage.vocabulary import JSONObject

KIND = "welcome_back"
TOPIC = "pause"
WAITING = "pause_date"  # "Until a date…" was pressed: the next typed text is that date
#: The kinds of the check-in (the checkins slice): the welcome back names the next one.
CHECKIN_KINDS = ("checkin",)
#: The pause buttons: their value → days until things resume ("date": how to type one).
LENGTHS = {"1w": 7, "2w": 14}


def paused_until(turn: Turn) -> datetime | None:
    """When the person's pause ends, if they are in one now."""
    until = turn.user.paused_until
    return until if until is not None and until > turn.now else None


async def pause(turn: Turn, args: str) -> Response:
    """`/pause` shows the pause (or the choice of one); `/pause 2 weeks`, `/pause bis 24.12.`
    pause until then; `/pause off` ends it."""
    text = clean_text(args)
    if not text:
        return await view(turn)
    if is_off(text):
        return await end_pause(turn)
    resume = parse_pause(text, turn.today)
    if resume is None:
        return unreadable(turn, text, "calendar.pause.unclear")
    return await start_pause(turn, resume)


def unreadable(turn: Turn, text: str, key: str) -> Response:
    """What to say of a pause not taken: a day already gone is said to have passed (it was read
    well), anything else gets `key`, how to write one."""
    passed = pause_passed(text, turn.today)
    if passed is not None:
        return turn.message("calendar.pause.date_passed", day=passed.isoformat(),
                            waiting=key == "calendar.pause.unclear_date")
    return turn.message(key, text=text.strip()[:64])


async def view(turn: Turn) -> Response:
    """The pause as it stands, with buttons to start or end one."""
    until = paused_until(turn)
    if until is not None:
        end = button(turn.say("calendar.pause.end_button"), callbacks.scheduling_data(TOPIC, "off"))
        text = turn.say("calendar.pause.view_paused", **pause_days(turn, until),
                        **await checkin_after(turn, until))
        return Response((OutMessage(text, ((end,),)),))
    choices = tuple(button(turn.say(f"calendar.pause.button_{value}"),
                           callbacks.scheduling_data(TOPIC, value)) for value in (*LENGTHS, "date"))
    mentor_only = Scope.MENTEE not in turn.scopes  # their digests, briefs, own check-ins pause
    return Response((OutMessage(turn.say("calendar.pause.view", mentor_only=mentor_only),
                                (choices[:2], choices[2:])),))


async def start_pause(turn: Turn, resume: date) -> Response:
    """Pause until the start of `resume` (local): what was planned inside it is cancelled."""
    until = local_moment(turn, resume, time(0))
    await update_user(turn.session, turn.user.id, turn.now, paused_until=until)
    turn.became(replace(turn.user, paused_until=until))
    registry = turn.content.schedule
    inside = [name for name, kind in registry.people.items() if not kind.in_pause]
    await cancel_pending(turn.session, turn.user.id, turn.now, kinds=inside, before=until)
    await replan(turn, registry)
    return turn.message("calendar.pause.started", **pause_days(turn, until),
                        **await checkin_after(turn, until))


async def end_pause(turn: Turn) -> Response:
    """End the pause now (`/pause off`): the rules plan their items again."""
    if paused_until(turn) is None:
        return turn.message("calendar.pause.not_paused")
    await _resume(turn)
    return turn.message("calendar.pause.ended", **await next_checkin(turn))


async def _resume(turn: Turn) -> None:
    """The pause is over: the rules plan again, and the reflection reminder it held back (the
    relationship's end came and went meanwhile) follows soon."""
    await update_user(turn.session, turn.user.id, turn.now, paused_until=None)
    turn.became(replace(turn.user, paused_until=None))
    await replan(turn, turn.content.schedule)
    await ending.after_pause(turn)


def pause_days(turn: Turn, until: datetime) -> dict[str, str]:
    """The last paused day and the day things resume, local ISO dates."""
    resume = date.fromisoformat(local_day_and_time(turn, until)["day"])
    return {"last": (resume - timedelta(days=1)).isoformat(), "resume": resume.isoformat()}


async def next_checkin(turn: Turn) -> dict[str, str | None]:
    """When the next planned check-in comes, as `next` ("on Friday, …", "tomorrow at 08:15"; None
    when there is none), and `goal`: the goal whose GROW checkpoint it is, if it is one (someone
    without a rhythm is not told of "your next check-in" as if they had one)."""
    upcoming = await pending_items(turn.session, turn.user.id, CHECKIN_KINDS)
    return await _said(turn, upcoming[0] if upcoming else None)


async def checkin_after(turn: Turn, until: datetime) -> dict[str, str | None]:
    """`next_checkin` as it will be once the pause ending at `until` is over: nothing of it is
    planned during the pause, so the check-in planners are asked what they would plan then (the
    pause's end is no contact of its own to promise: a rhythm on Mondays after a pause to Friday
    sends its next check-in on Monday)."""
    later = replace(turn, now=until, user=replace(turn.user, paused_until=None), together=None)
    rules = await rules_of(turn.session, turn.user.id)
    planned = [item for planner in turn.content.schedule.planners
               if planner.kinds & set(CHECKIN_KINDS)
               for item in await planner.plan(later, rules)
               if item.kind in CHECKIN_KINDS and item.due_at >= until]
    return await _said(turn, min(planned, key=lambda item: item.due_at, default=None))


async def _said(turn: Turn, item: ItemRecord | NewItem | None) -> dict[str, str | None]:
    """How the texts name a check-in: its moment, and the goal whose checkpoint it is."""
    if item is None:
        return {"next": None, "goal": None}
    goal_id = item.payload.get("checkpoint")
    goal = await goal_of(turn.session, turn.user.id, goal_id) if isinstance(goal_id, int) else None
    return {"next": when(turn, item.due_at, on=True),
            "goal": goal.title if goal is not None else None}


async def choose(turn: Turn, value: str) -> Response:
    """A pause button: a week, two weeks, how to type a date, or end the pause."""
    if value in LENGTHS:
        return await start_pause(turn, turn.today + timedelta(days=LENGTHS[value]))
    if value == "date":
        await wait_for(turn, {"for": WAITING})
        return turn.message("calendar.pause.ask_date")
    if value == "off":
        return await end_pause(turn)
    return turn.stale_press()


async def while_awaiting(turn: Turn, _awaiting: JSONObject, incoming: Incoming,
                         dispatch: Dispatch) -> Response:
    """Typed text after "Until a date…" is the pause's last day (unreadable: asked again, and it
    keeps waiting); /cancel ends the wait and nothing else; anything else ends the wait and goes
    its way."""
    if cancels(incoming):
        await wait_for(turn, None)
        return turn.message("calendar.pause.date_dropped")
    if not isinstance(incoming, TextIn) or not clean_text(incoming.text):
        await wait_for(turn, None)
        return await dispatch(incoming, True)
    resume = parse_pause(incoming.text, turn.today)
    if resume is None:
        return unreadable(turn, incoming.text, "calendar.pause.unclear_date")
    await wait_for(turn, None)
    return await start_pause(turn, resume)


async def welcome_back(turn: Turn, _item: ItemRecord) -> Response:
    """The pause is over: say so, with the next check-in the rules now plan."""
    await _resume(turn)
    return turn.message("calendar.pause.welcome_back", **await next_checkin(turn))


async def plan(turn: Turn, _rules: Mapping[str, JSONObject]) -> list[NewItem]:
    """The welcome back at the end of a pause (out of the quiet hours)."""
    until = paused_until(turn)
    if until is None:
        return []
    due = placed(turn, until)
    return [NewItem(f"{KIND}:{turn.user.id}:{local_iso(turn, due)}", KIND, turn.user.id, due, {})]


def pause_kinds() -> tuple[PersonKind, Planner, Choice]:
    """The welcome back, its planner, and the pause buttons."""
    return (PersonKind(KIND, welcome_back, in_pause=True),
            Planner(frozenset({KIND}), plan), Choice(TOPIC, choose))
