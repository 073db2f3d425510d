"""The planned ending: 28 days before, "plan the end with your mentor" and an offer to move to
the ending stage; 7 days before, an invitation to the reflection; on the day, the reflection; 7
days after, one reminder if it is not done. A pause that held the reminder back (nothing is sent
inside one, and what passed meanwhile is not sent late) ends with one prompt instead, soon after
it (`after_pause`).

The end date is the one the mentor and the programme see (storage.pairings.planned_end): the
open pairing's (the agreement's date, else the programme's length from the start), else the date
the mentee's own agreement named. So a mentee paired in a programme of six months hears of its end
without an agreement, and once the pairing ends, only their own agreement's date still counts.

Each step's key holds the end date (and its placed moment), so a new end date (or time zone, or
quiet hours) plans new steps and replan cancels the old ones; a step whose date is no longer the
end when it is due (a pairing ended in someone else's turn) sends nothing. A step whose moment
passed when it is planned is not created. The time of day is the check-in's, else 10:00 local.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from dialogs.stages import Stage
from service import callbacks, journey, runs
from service.messages import Button, OutMessage, Response, button
from service.schedule.kinds import PersonKind, Planner
from service.schedule.placing import ahead, local_iso, local_moment, placed
from service.turn import Turn
from storage.pairings import planned_end
from storage.runs import runs_of
from storage.schedule import ItemRecord, NewItem, last_sent_at, rules_of
from storage.vocabulary import JSONObject, RunStatus

NOTICE = "ending_notice"
INVITE = "reflection_invite"
DAY = "reflection_day"
REMINDER = "reflection_reminder"
AFTER_PAUSE = "reflection_after_pause"  # the reminder a pause held back, when it ends
#: Each step of the ladder, days from the end date.
LADDER = {NOTICE: -28, INVITE: -7, DAY: 0, REMINDER: 7}
KINDS = frozenset(LADDER)
REFLECTION = "reflection"
CHECKIN_RULE = "checkin"
DEFAULT_AT = time(10, 0)


def time_of_day(rules: Mapping[str, JSONObject]) -> time:
    """The check-in rule's time of day if there is one (its "at", HH:MM), else 10:00."""
    rule = rules.get(CHECKIN_RULE) or {}
    nested = rule.get("rule")
    at = (nested if isinstance(nested, dict) else rule).get("at")
    try:
        return time.fromisoformat(at) if isinstance(at, str) else DEFAULT_AT
    except ValueError:
        return DEFAULT_AT


async def plan(turn: Turn, rules: Mapping[str, JSONObject]) -> list[NewItem]:
    """The steps of the ladder still ahead for the person's end date."""
    ends = await planned_end(turn.session, turn.user)
    if ends is None:
        return []
    at = time_of_day(rules)
    items = []
    for kind, days in LADDER.items():
        due = _due(turn, ends, days, at)
        items.append(NewItem(f"{kind}:{turn.user.id}:{ends.isoformat()}@{local_iso(turn, due)}",
                             kind, turn.user.id, due, {"ends": ends.isoformat()}))
    return await ahead(turn, items, KINDS)


def _due(turn: Turn, ends: date, days: int, at: time) -> datetime:
    """The moment of the ladder's step `days` from the end date (out of the quiet hours)."""
    return placed(turn, local_moment(turn, ends + timedelta(days=days), at))


async def steps_ahead(turn: Turn, ends: date) -> list[str]:
    """The ladder's steps (`LADDER`'s kinds, in its order) a plan for this end date would still
    create now: what a text may promise of a new end date (a step whose moment passed is not
    created, as `plan` says)."""
    at = time_of_day(await rules_of(turn.session, turn.user.id))
    return [kind for kind, days in LADDER.items() if _due(turn, ends, days, at) >= turn.now]


async def after_pause(turn: Turn) -> None:
    """The pause just ended (at its day, or early): if the reflection reminder's moment passed
    and it never came, and the reflection is not done, one prompt follows soon (out of the quiet
    hours), once per end date. Before the reminder's moment nothing is needed: the replan that
    ends the pause plans the ladder's steps still ahead."""
    ends = await planned_end(turn.session, turn.user)
    if ends is None:
        return
    at = time_of_day(await rules_of(turn.session, turn.user.id))
    reminder_due = _due(turn, ends, LADDER[REMINDER], at)
    if reminder_due > turn.now or await reflected(turn, ends):
        return
    if await last_sent_at(turn.session, turn.user.id, REMINDER,
                          key_prefix=f"{REMINDER}:{turn.user.id}:{ends.isoformat()}@") is not None:
        return  # it came before the pause
    await turn.follow_up([NewItem(f"{AFTER_PAUSE}:{turn.user.id}:{ends.isoformat()}", AFTER_PAUSE,
                                  turn.user.id, placed(turn, turn.now), {"ends": ends.isoformat()})])


def _ends(item: ItemRecord) -> date:
    return date.fromisoformat(str(item.payload["ends"]))


async def _moved(turn: Turn, item: ItemRecord) -> bool:
    """The step's end date is no longer the person's (their pairing ended or moved its end in
    another person's turn, before their own plan followed)."""
    return await planned_end(turn.session, turn.user) != _ends(item)


async def reflected(turn: Turn, ends: date) -> bool:
    """Whether the reflection was completed since the end came near (the ending notice)."""
    since = ends + timedelta(days=LADDER[NOTICE])
    return any(run.dialog == REFLECTION and run.status is RunStatus.COMPLETED
               and run.completed_at is not None and run.completed_at.date() >= since
               for run in await runs_of(turn.session, turn.user.id))


def _start(turn: Turn, item: ItemRecord) -> tuple[tuple[Button, ...], ...]:
    """The button that starts the reflection."""
    return ((button(turn.say("calendar.ending.start_button"), callbacks.item_data(item.id, "start")),),)


async def notice(turn: Turn, item: ItemRecord) -> Response | None:
    """Four weeks before: plan the end with the mentor; move to the ending stage if they agree."""
    if await _moved(turn, item):
        return None
    text = turn.say("calendar.ending.notice", ends=_ends(item).isoformat())
    if Stage(turn.user.stage) is Stage.ENDING:
        return Response((OutMessage(text),))
    move = button(turn.say("calendar.ending.move_button"), callbacks.item_data(item.id, "ending"))
    later = button(turn.say("calendar.ending.not_yet_button"), callbacks.item_data(item.id, "later"))
    return Response((OutMessage(text, ((move,), (later,))),))


async def invite(turn: Turn, item: ItemRecord) -> Response | None:
    """A week before: an invitation to the reflection (none if it is done)."""
    if await _moved(turn, item) or await reflected(turn, _ends(item)):
        return None
    return Response((OutMessage(turn.say("calendar.ending.invite", ends=_ends(item).isoformat()),
                                _start(turn, item)),))


async def on_the_day(turn: Turn, item: ItemRecord) -> Response | None:
    """The day itself: the reflection begins (an open dialog is offered to pause first)."""
    if await _moved(turn, item):
        return None
    if await reflected(turn, _ends(item)):
        return turn.message("calendar.ending.day_done")
    started = await runs.start_dialog(turn, REFLECTION, invited=True)
    return Response((OutMessage(turn.say("calendar.ending.day")), *started.messages))


async def reminder(turn: Turn, item: ItemRecord) -> Response | None:
    """A week after: one reminder, only if the reflection is still not done."""
    if await _moved(turn, item) or await reflected(turn, _ends(item)):
        return None
    return Response((OutMessage(turn.say("calendar.ending.reminder"), _start(turn, item)),))


async def prompt_after_pause(turn: Turn, item: ItemRecord) -> Response | None:
    """After a pause that held the reminder back: the reflection, if it is still not done and
    the end date is still this one."""
    ends = _ends(item)
    if await _moved(turn, item) or await reflected(turn, ends):
        return None
    return Response((OutMessage(turn.say("calendar.ending.after_pause", ends=ends.isoformat()),
                                _start(turn, item)),))


async def on_press(turn: Turn, _item: ItemRecord, op: str) -> Response:
    """Start the reflection; move to the ending stage (with consent: this press); or not yet."""
    if op == "start":
        return await runs.start_dialog(turn, REFLECTION, invited=True)
    if op == "later":
        return turn.message("calendar.ending.not_yet")
    if op != "ending":
        return turn.stale_press()
    stage = Stage(turn.user.stage)
    if stage is Stage.ENDING:
        return turn.message("calendar.ending.already_ending")
    return await journey.move_stage(turn, Stage.ENDING.order - stage.order)


def ending_kinds() -> tuple[PersonKind | Planner, ...]:
    """The ladder's kinds and its planner."""
    return (PersonKind(NOTICE, notice, press=on_press), PersonKind(INVITE, invite, press=on_press),
            PersonKind(DAY, on_the_day, press=on_press),
            PersonKind(REMINDER, reminder, press=on_press),
            PersonKind(AFTER_PAUSE, prompt_after_pause, press=on_press), Planner(KINDS, plan))
