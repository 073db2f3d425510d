"""The mentee changes their goals: a goal's own message from /goals, marking a goal reached, set
aside or open again, an action step done, dropped or open again, a step's new wording or date, and
deleting a step (after asking). Only the owner's goals are found; any other id is a stale press.

A new wording or date is the mentee's next typed message. The press that asks for it stores a
*pending edit* (`storage.goals`), and from then on that prompt is the question last shown: typed
text answers it, never an open dialog. `routing.route` hands every input to `with_pending_edit`
while one is stored: a look-up (or an unknown command) leaves it waiting and says so; /cancel,
/skip, /back and "leave it" leave the step as it is; a press that no longer counts changes
nothing; anything else (a command, a press, a dialog started) ends the wait and goes its own way.
Once the step is changed or left, an open dialog's question is shown again, so it is the question
last shown once more.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from dialogs import engine
from dialogs.engine import EngineContext
from dialogs.schema import Dialog, Step, StepKind
from dialogs.stages import Stage
from service import callbacks, long_text, runs
from service.awaiting import Dispatch, tap_only, wait_for
from service.callbacks import StepOp
from service.commands import Kind, command
from service.inputs import CommandIn, EditIn, Incoming, MediaIn, PressIn, TextIn
from service.messages import OutMessage, Response, with_note
from service.programmes import safety
from service.schedule.plan import replan
from service.turn import Turn
from service.views import MAX_STEP_TEXT
from storage.goals import (
    ActionRecord,
    GoalRecord,
    PendingEdit,
    clear_pending_edit,
    delete_action,
    edit_action,
    goal_of,
    goal_of_action,
    pending_edit_of,
    set_action_status,
    set_goal_status,
    set_pending_edit,
)
from storage.vocabulary import ActionStatus, GoalStatus, JSONObject

# A step's new wording and date are read as the engine reads a dialog's answers (the same trimming,
# limits, date words and problems), as the two questions of a small dialog of their own.
_EDITS = Dialog(name="goal_step", stage=Stage.MATURING, summary=False, steps=[
    Step(key="text", kind=StepKind.TEXT, max_length=MAX_STEP_TEXT),
    Step(key="date", kind=StepKind.DATE)])
_STEP_MARKS = {StepOp.DONE: ActionStatus.DONE, StepOp.DROPPED: ActionStatus.DROPPED,
               StepOp.OPEN: ActionStatus.OPEN}
_UNDONE = (ActionStatus.OPEN, ActionStatus.PARTLY)
DELETING = "step_delete"  # a step's deletion asked: typed text gets the question again


async def show_goal(turn: Turn, press: callbacks.GoalPress) -> Response:
    """A goal's button: its own message; or one of its marks, if the goal still offers it."""
    goal = await goal_of(turn.session, turn.user.id, press.goal_id)
    if goal is None:
        return turn.stale_press()
    if press.status is None:
        return Response((turn.views.goal(goal),))
    status = GoalStatus(press.status)
    if goal.is_open == (status is GoalStatus.OPEN):  # shown for the other kind of goal
        return turn.stale_press()
    await set_goal_status(turn.session, turn.user.id, goal.id, status, turn.now)
    await replan(turn, turn.content.schedule)  # a closed goal's checkpoint is not asked about
    return Response((turn.views.goal(replace(goal, status=status),
                                     turn.say(f"common.goals.goal_marked.{status}")),))


async def on_step(turn: Turn, press: callbacks.StepPress) -> Response:
    """An action step's button: its own message, a mark, a new wording or date asked for, or its
    deletion asked about and done."""
    found = await _step(turn, press.action_id)
    if found is None or press.op is StepOp.KEEP:  # "leave it" counts only while it is asked
        return turn.stale_press()
    goal, action = found
    op = press.op
    if op is None:
        return Response((turn.views.step(goal, action),))
    if op in _STEP_MARKS:
        status = _STEP_MARKS[op]
        if (action.status in _UNDONE) == (status is ActionStatus.OPEN):
            return turn.stale_press()
        await set_action_status(turn.session, turn.user.id, action.id, status, turn.now)
        return await _goal_after(turn, goal.id, turn.say(f"common.goals.step_marked.{status}"))
    if op in (StepOp.TEXT, StepOp.DATE):
        await set_pending_edit(turn.session, turn.user.id, PendingEdit(action.id, op.value))
        await turn.hide_question()
        return Response((turn.views.edit_prompt(action, op.value),))
    if op is StepOp.DELETE:
        await turn.hide_question()
        await wait_for(turn, {"for": DELETING, "action": action.id})
        return Response((turn.views.delete_question(action),))
    await delete_action(turn.session, turn.user.id, action.id)
    return await _goal_after(turn, goal.id, turn.say("common.goals.deleted"))


async def while_deleting(turn: Turn, awaiting: JSONObject, incoming: Incoming,
                         dispatch: Dispatch) -> Response:
    """An input while a step's deletion is asked: only its buttons answer (a deleted step cannot
    be brought back, as /delete's question); /cancel leaves the step as it is."""
    action_id = awaiting.get("action")
    found = await _step(turn, action_id) if isinstance(action_id, int) else None
    if found is None:  # the step is gone: nothing is asked any more
        await wait_for(turn, None)
        return await dispatch(incoming, True)
    goal, action = found

    async def ask() -> Response:
        return Response((turn.views.delete_question(action),))

    return await tap_only(turn, incoming, dispatch, ask, turn.say("common.goals.tap_delete"),
                          lambda: _leave(turn, goal))


async def with_pending_edit(
    turn: Turn, edit: PendingEdit, incoming: Incoming, dispatch: Dispatch
) -> Response:
    """An input while a step's new wording or date is asked for (see the module's docstring).
    `dispatch(input, remind)` handles an input as if nothing were asked (`remind`: a look-up in
    the middle of a dialog says the dialog is still open)."""
    found = await _step(turn, edit.action_id)
    if found is None:  # the step is gone: nothing is asked any more
        await clear_pending_edit(turn.session, turn.user.id)
        return await dispatch(incoming, True)
    goal, action = found
    if isinstance(incoming, TextIn):
        return await _apply(turn, edit, goal, action, incoming.text)
    if isinstance(incoming, MediaIn):
        note = turn.say("common.media.unsupported")
        return Response((OutMessage(note), turn.views.edit_prompt(action, edit.field)))
    if isinstance(incoming, EditIn):
        return await dispatch(incoming, True)
    spec = command(incoming.name) if isinstance(incoming, CommandIn) else None
    if isinstance(incoming, CommandIn) and (spec is None or spec.kind is Kind.LOOK_UP):
        response = await dispatch(incoming, False)
        return with_note(response, turn.say("common.goals.waiting", field=edit.field,
                                            text=action.text))
    if spec is not None and (spec.kind is Kind.NAVIGATION or spec.name == "cancel"):
        return await _leave(turn, goal)
    press = callbacks.parse(incoming.data) if isinstance(incoming, PressIn) else None
    if isinstance(press, callbacks.StepPress) and press.op is StepOp.KEEP:
        if press.action_id != action.id:
            return turn.stale_press()
        return replace(await _leave(turn, goal), accepted=True)
    await clear_pending_edit(turn.session, turn.user.id)
    response = await dispatch(incoming, True)
    if isinstance(incoming, PressIn) and not response.accepted:  # it did not count: no change
        await set_pending_edit(turn.session, turn.user.id, edit)
    return response


async def _apply(
    turn: Turn, edit: PendingEdit, goal: GoalRecord, action: ActionRecord, text: str
) -> Response:
    """The typed new wording or date: saved, or asked again with what was wrong."""
    step = _EDITS.step(edit.field)
    context = EngineContext(today=turn.today, lang=turn.lang,
                            lexicon=turn.content.lexicon(turn.lang))
    value, problem = engine.read_value(_EDITS, step, text, context)
    if problem == "too_long":
        await long_text.refused(turn)  # what Telegram split off it follows at once
    if problem is not None:
        return Response((turn.views.edit_prompt(action, edit.field, problem),))
    if edit.field == "date":
        await edit_action(turn.session, turn.user.id, action.id, turn.now,
                          due_on=date.fromisoformat(str(value)))
        note = turn.say("common.goals.date_saved", due=value)
    else:
        await edit_action(turn.session, turn.user.id, action.id, turn.now, text=str(value))
        note = turn.say("common.goals.text_saved", text=value)
    await clear_pending_edit(turn.session, turn.user.id)
    typed = str(value) if edit.field == "text" else None
    return await _goal_after(turn, goal.id, note, dialog=True, typed=typed)


async def _leave(turn: Turn, goal: GoalRecord) -> Response:
    """Nothing more is asked: the step stays as it was."""
    await clear_pending_edit(turn.session, turn.user.id)
    return await _goal_after(turn, goal.id, turn.say("common.goals.kept"), dialog=True)


async def _goal_after(turn: Turn, goal_id: int, note: str, dialog: bool = False,
                      typed: str | None = None) -> Response:
    """The goal as it is now, after a note on what changed; a step's new wording (`typed`) is
    the person's own words and gets, like an answer, the help contacts if it holds a crisis
    phrase; with `dialog`, then the open dialog's question again (it is what typed text answers
    next, so it comes last). A step's new date or status changes when the bot asks about it: the
    person's items are planned again."""
    await replan(turn, turn.content.schedule)
    goal = await goal_of(turn.session, turn.user.id, goal_id)
    assert goal is not None
    response = Response((turn.views.goal(goal, note),))
    if typed is not None:
        response = await safety.after_typed(turn, response, typed)
    if dialog and turn.open_run is not None:
        shown = await runs.show_run(turn, turn.open_run, "common.service.resumed")
        response = replace(response, messages=(*response.messages, *shown.messages))
    return response


async def _step(turn: Turn, action_id: int) -> tuple[GoalRecord, ActionRecord] | None:
    """One of the person's action steps with its goal; None for anyone else's (or a gone) step."""
    goal = await goal_of_action(turn.session, turn.user.id, action_id)
    action = next((a for a in goal.actions if a.id == action_id), None) if goal else None
    return None if goal is None or action is None else (goal, action)


async def waiting_edit(turn: Turn) -> PendingEdit | None:
    """The step whose new wording or date the person's next typed message is, if one is asked."""
    return pending_edit_of(turn.user)  # loaded with the user: no query
