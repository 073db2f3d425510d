"""A check-in invitation and what follows it: Start / Later / Skip this time, one reminder, and
the silent close that records a check-in nobody started as missed (two in a row: does the rhythm
still suit?). Also the question about an action step on its due date.

The invitation item keeps its own story: SENT while it stands (its payload counts the snoozes and
notes `started`), SKIPPED when skipped, MISSED (payload `unanswered`) when its window closed. Its
follow-ups (`checkin_snooze`, `checkin_reminder`, `checkin_close`) name it in their payload and do
nothing once it was started or skipped; starting cancels them.
"""

from __future__ import annotations

from dialogs.journey import RECURRING
from dialogs.journey import view as journey_view
from dialogs.schema import Audience, Dialog
from dialogs.stages import Stage
from service import runs
from service.callbacks import item_data, scheduling_data
from service.messages import OutMessage, Response, button, plain
from service.schedule.checkins import (
    CLOSE,
    FOLLOW_UPS,
    KIND,
    REMINDER,
    SNOOZE,
    STEP,
    TOPIC,
    rhythm_of,
)
from service.schedule.ending import REFLECTION
from service.schedule.kinds import PersonKind
from service.schedule.placing import placed, when
from service.schedule.policy import SchedulePolicy
from service.schedule.rhythm import next_occurrence
from service.turn import Turn
from storage.goals import goal_of, goal_of_action, set_action_status
from storage.runs import completed_dialogs
from storage.schedule import (
    ItemRecord,
    NewItem,
    add_items,
    cancel_follow_ups,
    item_by_id,
    latest_items,
    pending_items,
    rules_of,
    set_status,
)
from storage.users import first_name
from storage.vocabulary import ActionStatus, ItemStatus

#: An action step's answers (the check-in's own choices) → its new status.
STEP_ANSWERS = {"done": ActionStatus.DONE, "partly": ActionStatus.PARTLY,
                "not_yet": ActionStatus.OPEN, "dropped": ActionStatus.DROPPED}


# --- What an invitation is about -------------------------------------------------------


def audience_of(dialog: Dialog) -> str:
    """Whom a cohort broadcast of this dialog is for: its own side (the other could not start
    it), "mentors" or "mentees"."""
    return "mentors" if dialog.audience is Audience.MENTOR else "mentees"


async def subject(turn: Turn, invitation: ItemRecord) -> tuple[str, str, dict[str, object]]:
    """(text key, dialog Start runs, variables): a programme's cohort check-in runs its own
    dialog; a checkpoint's own check-in; else by what /journey shows as done: initiation with the
    agreement not done: finish it; up to establishing, the first of establishing's dialogs not
    done yet (from initiation, the agreement in place: named as the next stage's); else the
    check-in; ending: the reflection, unless it is done."""
    cohort = invitation.payload.get("dialog")
    if isinstance(cohort, str) and cohort in turn.content.scripts.by_name:
        # A cohort check-in goes to its dialog's side only, and the invitation says so.
        return "programmes.broadcast.invite", cohort, {
            "title": turn.say(f"{cohort}.title"), "programme": invitation.payload.get("programme"),
            "audience": audience_of(turn.content.scripts.get(cohort))}
    goal_id = invitation.payload.get("checkpoint")
    if isinstance(goal_id, int):
        goal = await goal_of(turn.session, turn.user.id, goal_id)
        if goal is not None:
            return "checkins.invite.checkpoint", "checkin", {"goal": goal.title}
    stage = Stage(turn.user.stage)
    done = await completed_dialogs(turn.session, turn.user.id)
    if stage is Stage.ENDING:
        if REFLECTION in done:  # looked back already: a check-in as usual
            return "checkins.invite.maturing", "checkin", {}
        return "checkins.invite.ending", REFLECTION, {}
    journey = journey_view(turn.content.scripts, stage, turn.audience, done)
    if stage is Stage.INITIATION and not journey.stage_complete:
        return "checkins.invite.initiation", "agreement", {}
    if stage.order <= Stage.ESTABLISHING.order:
        marked = dict(journey.stages)[Stage.ESTABLISHING]
        missing = [d.name for d, finished in marked if not finished and d.name not in RECURRING]
        if missing:
            key = "checkins.invite.establishing" if stage is Stage.ESTABLISHING \
                else "checkins.invite.agreed"
            return key, missing[0], {
                "title": turn.say(f"{missing[0]}.title"),
                "stage": turn.say(f"common.stages.{Stage.ESTABLISHING.value}.name")}
    return "checkins.invite.maturing", "checkin", {}


async def invitation_message(turn: Turn, invitation: ItemRecord, shown: ItemRecord,
                             key: str | None = None) -> OutMessage:
    """The invitation with Start / Later (while snoozes are left) / Skip this time; the buttons
    belong to `shown`, the item whose message this is."""
    text_key, _dialog, variables = await subject(turn, invitation)
    text = turn.say(text_key, name=first_name(turn.user.name), **variables)
    if key is not None:
        text = f"{turn.say(key)}\n\n{text}"
    row = [button(turn.say("checkins.buttons.start"), item_data(shown.id, "start"))]
    if _snoozes(invitation) < turn.content.policy.max_snoozes:
        row.append(button(turn.say("checkins.buttons.later"), item_data(shown.id, "later")))
    row.append(button(turn.say("checkins.buttons.skip"), item_data(shown.id, "skip")))
    return OutMessage(text, (tuple(row),))


def _snoozes(invitation: ItemRecord) -> int:
    count = invitation.payload.get("snoozes", 0)
    return count if isinstance(count, int) else 0


def _standing(invitation: ItemRecord | None) -> bool:
    """Sent, and neither started, skipped nor closed."""
    return invitation is not None and invitation.status is ItemStatus.SENT \
        and not invitation.payload.get("started")


async def _invitation_of(turn: Turn, item: ItemRecord) -> ItemRecord | None:
    """The invitation itself (a check-in's or a cohort's), or the one a follow-up names."""
    if "invitation" not in item.payload:
        return item
    ref = item.payload.get("invitation")
    found = await item_by_id(turn.session, ref) if isinstance(ref, int) else None
    return found if found is not None and found.user_id == turn.user.id else None


# --- Due --------------------------------------------------------------------------------


async def invite(turn: Turn, item: ItemRecord) -> Response:
    """The invitation goes out; its reminder and its close are planned: the close when the answer
    window ends, or earlier at the next check-in; the reminder only if it comes before that."""
    policy: SchedulePolicy = turn.content.policy
    closes = turn.now + policy.answer_window
    if "dialog" not in item.payload:  # a cohort's keeps its whole window
        rhythm = rhythm_of(await rules_of(turn.session, turn.user.id))
        if rhythm is not None:
            closes = min(closes, next_occurrence(rhythm, turn.user.timezone, turn.now))
    follow: list[NewItem] = [NewItem(f"{CLOSE}:{turn.user.id}:{item.id}", CLOSE, turn.user.id,
                                     closes, {"invitation": item.id})]
    reminder = placed(turn, turn.now + policy.reminder_after)
    if reminder < closes:
        follow.append(NewItem(f"{REMINDER}:{turn.user.id}:{item.id}", REMINDER, turn.user.id,
                              reminder, {"invitation": item.id}))
    await turn.follow_up(follow)
    return Response((await invitation_message(turn, item, item),))


async def again(turn: Turn, item: ItemRecord) -> Response | None:
    """A snooze ends, or the reminder is due: the invitation again, if it still stands."""
    invitation = await _invitation_of(turn, item)
    if invitation is None or not _standing(invitation):
        return None
    key = "checkins.reminder" if item.kind == REMINDER else None
    return Response((await invitation_message(turn, invitation, item, key),))


async def close(turn: Turn, item: ItemRecord) -> Response | None:
    """The answer window closed: a check-in nobody started is recorded as missed (silently);
    after two missed in a row, ask whether the rhythm still suits."""
    invitation = await _invitation_of(turn, item)
    if invitation is None or not _standing(invitation):
        return None
    await set_status(turn.session, invitation.id, ItemStatus.MISSED, turn.now,
                     payload={**invitation.payload, "unanswered": True}, expect=ItemStatus.SENT)
    await cancel_follow_ups(turn.session, turn.user.id, (SNOOZE, REMINDER), turn.now,
                            invitation=invitation.id)
    latest = await latest_items(turn.session, turn.user.id, KIND, limit=3)
    missed = [i.status is ItemStatus.MISSED and bool(i.payload.get("unanswered")) for i in latest]
    if missed[:2] != [True, True] or missed[2:3] == [True]:
        return None
    choices = (("keep", "checkins.buttons.keep"), ("less", "checkins.buttons.less"),
               ("pause", "checkins.buttons.pause"))
    row = tuple(button(turn.say(label), scheduling_data(TOPIC, value)) for value, label in choices)
    return Response((OutMessage(turn.say("checkins.still_suits"), (row,)),))


# --- Presses ----------------------------------------------------------------------------


async def press(turn: Turn, item: ItemRecord, op: str) -> Response:
    """Start, Later or Skip on an invitation (or its snooze or reminder)."""
    invitation = await _invitation_of(turn, item)
    if invitation is None or op not in ("start", "later", "skip"):
        return turn.stale_press()
    if op == "start" and invitation.status is ItemStatus.SENT:
        await _mark_started(turn, invitation)
        _key, dialog, _vars = await subject(turn, invitation)
        return await runs.start_dialog(turn, dialog, invited=True)
    if not _standing(invitation):
        return turn.stale_press()
    if op == "skip":
        await set_status(turn.session, invitation.id, ItemStatus.SKIPPED, turn.now,
                         expect=ItemStatus.SENT)
        await cancel_follow_ups(turn.session, turn.user.id, FOLLOW_UPS, turn.now,
                                invitation=invitation.id)
        return turn.message("checkins.skipped")
    return await _snooze(turn, invitation)


async def _snooze(turn: Turn, invitation: ItemRecord) -> Response:
    """Later: the invitation comes back after the snooze, at most `max_snoozes` times."""
    policy = turn.content.policy
    waiting = await _follow_ups(turn, invitation, (SNOOZE,))
    if waiting:  # Later pressed again before it came back (a double tap): one return, said again
        return turn.message("checkins.later", at=when(turn, waiting[0].due_at, on=True))
    count = _snoozes(invitation)
    if count >= policy.max_snoozes:
        return Response(toast=plain(turn.say("checkins.no_more_later")))
    due = placed(turn, turn.now + policy.snooze)
    await add_items(turn.session, [NewItem(f"{SNOOZE}:{turn.user.id}:{invitation.id}:{count + 1}",
                                           SNOOZE, turn.user.id, due,
                                           {"invitation": invitation.id})], turn.now)
    await set_status(turn.session, invitation.id, ItemStatus.SENT, turn.now,
                     payload={**invitation.payload, "snoozes": count + 1}, expect=ItemStatus.SENT)
    return turn.message("checkins.later", at=when(turn, due, on=True))


async def _mark_started(turn: Turn, invitation: ItemRecord) -> None:
    if not invitation.payload.get("started"):
        await set_status(turn.session, invitation.id, ItemStatus.SENT, turn.now,
                         payload={**invitation.payload, "started": True}, expect=ItemStatus.SENT)
    # what waits on this invitation only: a cohort's and one's own check-in may stand side by
    # side, and answering one must leave the other's reminder and close alone
    await cancel_follow_ups(turn.session, turn.user.id, FOLLOW_UPS, turn.now,
                            invitation=invitation.id)


async def _follow_ups(turn: Turn, invitation: ItemRecord,
                      kinds: tuple[str, ...]) -> list[ItemRecord]:
    """The pending follow-ups (of these kinds) that name this invitation."""
    return [follow for follow in await pending_items(turn.session, turn.user.id, kinds)
            if follow.payload.get("invitation") == invitation.id]


async def started(turn: Turn, dialog: str) -> bool:
    """The person started `dialog` by its command (/checkin, /story): an invitation that
    stands to that very dialog counts as started (and whether one did: they answer it); one to
    another (a cohort's mentor check-in, the story they were nudged to) still stands."""
    waiting = await pending_items(turn.session, turn.user.id, [CLOSE])
    answered = False
    for follow in waiting:
        invitation = await _invitation_of(turn, follow)
        if invitation is not None and _standing(invitation) \
                and (await subject(turn, invitation))[1] == dialog:
            await _mark_started(turn, invitation)
            answered = True
    return answered


# --- An action step's due date --------------------------------------------------------


async def ask_step(turn: Turn, item: ItemRecord) -> Response | None:
    """How did the step due today go? Nothing if it was done or dropped meanwhile."""
    ref = item.payload.get("action")
    goal = await goal_of_action(turn.session, turn.user.id, ref) if isinstance(ref, int) else None
    action = None if goal is None else next((a for a in goal.actions if a.id == ref), None)
    if goal is None or action is None or action.status not in (ActionStatus.OPEN,
                                                                ActionStatus.PARTLY):
        return None
    row = tuple(button(turn.say(f"checkin.steps.action_status.choices.{answer}"),
                       item_data(item.id, answer)) for answer in STEP_ANSWERS)
    text = turn.say("checkins.step_due", step=action.text, goal=goal.title)
    return Response((OutMessage(text, (row[:2], row[2:])),))


async def step_answered(turn: Turn, item: ItemRecord, op: str) -> Response:
    """The answer about a step: its status changes once."""
    ref = item.payload.get("action")
    status = STEP_ANSWERS.get(op)
    if status is None or not isinstance(ref, int) or item.status is not ItemStatus.SENT \
            or item.payload.get("answered"):
        return turn.stale_press()
    if await goal_of_action(turn.session, turn.user.id, ref) is None:
        return turn.stale_press()
    await set_action_status(turn.session, turn.user.id, ref, status, turn.now)
    await set_status(turn.session, item.id, ItemStatus.SENT, turn.now,
                     payload={**item.payload, "answered": op}, expect=ItemStatus.SENT)
    return turn.message(f"checkins.step_thanks.{op}")


def kinds() -> tuple[PersonKind, ...]:
    """The kinds of check-in items."""
    return (PersonKind(KIND, invite, press=press), PersonKind(SNOOZE, again, press=press),
            PersonKind(REMINDER, again, press=press), PersonKind(CLOSE, close),
            PersonKind(STEP, ask_step, press=step_answered))

