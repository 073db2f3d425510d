"""From one input to the use case that answers it: typed text, a command, a button, an edit, media.

Typed text is only ever saved to the question last shown to this person: while something else was
asked after the open run's question (an offer, a switch question, /delete), text and /skip, /back
do not move the run; the question is shown again first. Look-ups leave the question the last one
shown. Button data is untrusted: a press counts only if it belongs to the open run's current
position; every press gets a visible reply, messages or at least a notice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from dialogs import engine
from dialogs.engine import KEEP, LIST_DONE, OFFER, Command, Input, Pick, Text
from dialogs.registry import DialogNotFound
from dialogs.schema import StepKind
from dialogs.state import SUMMARY, RunState, StateError
from service import (
    account,
    callbacks,
    goals,
    journey,
    long_text,
    lookups,
    runs,
    settings,
    typed_buttons,
    vision_map,
)
from service.answering import edit_answer
from service.awaiting import Waiter
from service.commands import Kind, Scope, command
from service.inputs import CommandIn, EditIn, Incoming, MediaIn, TextIn
from service.mentors import (
    alerts,
    digest,
    invites,
    mentees,
    own_rhythm,
    pairing,
    roles,
    scopes,
    sharing,
)
from service.mentors.start import start
from service.messages import OutMessage, Response, with_note
from service.programmes import admin_view, figures, joining, pulse
from service.schedule import invitation, meeting, pause, presses
from service.turn import Turn
from storage.runs import RunRecord

Action = Callable[[Turn, str], Awaitable[Response]]

# What the ACTION and LOOK_UP commands of the table do (the arguments matter to /answers,
# /settings, /pause and /meeting).
ACTIONS: dict[str, Action] = {
    "start": start,
    "help": lambda turn, _: lookups.show_help(turn),
    "journey": lambda turn, _: journey.journey(turn),
    "goals": lambda turn, _: lookups.goals(turn),
    "answers": lookups.answers,
    "mentees": mentees.mentees,
    "settings": settings.settings,
    "checkins": own_rhythm.checkins_command,
    "pause": pause.pause,
    "meeting": meeting.meeting,
    "askmentor": alerts.askmentor,
    "digest": digest.digest_command,
    "cancel": lambda turn, _: runs.cancel(turn),
    "resume": lambda turn, _: runs.resume(turn),
    "export": lambda turn, _: account.export(turn),
    "delete": lambda turn, _: account.ask_delete(turn),
    "invite": admin_view.invite,
    "stats": figures.stats,
    "programme": admin_view.programme,
}

# Who decides what an input means while typed text is asked for outside a dialog (the
# newcomer's role question takes only typed text, in `on_text`: commands and presses pass).
WAITERS: dict[str, Waiter] = {
    alerts.NOTE: alerts.while_awaiting,  # a note for the mentor
    alerts.REPLY: alerts.while_awaiting,  # the mentor's reply to it
    pulse.WAITING: pulse.while_awaiting,  # a pulse's comment for the programme team
    pause.WAITING: pause.while_awaiting,  # the last day of a pause, after "Until a date…"
    meeting.WAITING: meeting.while_awaiting,  # the time of a meeting typed as a day alone
    typed_buttons.WAITING: typed_buttons.while_offered,  # a shown choice's words, typed
    account.WAITING: account.while_asked,  # /delete's question, answered only by its buttons
    goals.DELETING: goals.while_deleting,  # a step's deletion, answered only by its buttons
}


async def route(turn: Turn, incoming: Incoming) -> Response:
    """The response to one input. Typed text a moment after a text refused as too long is the
    rest of that paste (service.long_text): it answers nothing. While a goal's step waits for
    its new wording or date, that is the question last shown, and `goals` decides first what
    the input means for it; so does the `WAITERS` while a question of theirs waits for typed
    text (service.awaiting)."""
    if long_text.is_rest(turn, incoming):
        return await long_text.rest(turn)
    edit = await goals.waiting_edit(turn)
    if edit is not None:
        return await goals.with_pending_edit(
            turn, edit, incoming, lambda later, remind: dispatch(turn, later, remind))
    awaiting = turn.user.awaiting or {}
    waiter = WAITERS.get(str(awaiting.get("for")))
    if waiter is not None:
        return await waiter(
            turn, awaiting, incoming, lambda later, remind: dispatch(turn, later, remind))
    return await dispatch(turn, incoming)


async def dispatch(turn: Turn, incoming: Incoming, remind: bool = True) -> Response:
    """The use case for one input (`remind`: a look-up mid-dialog says the dialog is open)."""
    if isinstance(incoming, TextIn):
        return await on_text(turn, incoming)
    if isinstance(incoming, CommandIn):
        return await on_command(turn, incoming.name, incoming.args, remind)
    if isinstance(incoming, EditIn):
        return await edit_answer(turn, incoming)
    if isinstance(incoming, MediaIn):
        return await on_media(turn)
    return await on_press(turn, incoming.data)


async def on_text(turn: Turn, incoming: TextIn) -> Response:
    """Typed text answers the open dialog's question; without one, the next step is suggested
    (or, while the newcomer's question waits, it answers it or gets it again: mentee or mentor?)."""
    if turn.open_run is None and (turn.created or roles.asked(turn)):
        return await roles.on_role_text(turn, incoming.text)
    if turn.open_run is None:
        return Response((OutMessage(turn.say("common.service.not_in_dialog")),
                         *await journey.suggestion(turn)))
    unseen = await runs.show_unless_shown(turn, turn.open_run, "common.service.not_saved_yet")
    if unseen is not None:
        return unseen
    return await runs.advance(turn, turn.open_run, Text(incoming.text),
                              message_id=incoming.message_id)


async def on_media(turn: Turn) -> Response:
    """Not text where text is expected: say so kindly and ask the same question again."""
    note = OutMessage(turn.say("common.media.unsupported"))
    if turn.open_run is None:
        return Response((note,))
    shown = await runs.show_run(turn, turn.open_run, None)
    return Response((note, *shown.messages))


async def on_command(turn: Turn, name: str, args: str, remind: bool = True) -> Response:
    """A command of the table, for the person's sides: a shared one (/story) starts the dialog of
    their primary side; a command of a side they are not on is refused."""
    spec = command(name)
    if spec is None:
        return turn.message("common.service.unknown_command")
    if Scope.COORDINATOR in spec.scopes:  # theirs, or one of the account's (/help, /settings)
        await scopes.load_coordination(turn)
    if spec.kind in (Kind.ACTION, Kind.LOOK_UP) and not spec.scopes & turn.scopes:
        return roles.not_yours(turn, spec)
    if spec.kind is Kind.NAVIGATION:
        if turn.open_run is None:
            return turn.message("common.service.nothing_to_cancel")
        assert spec.navigation is not None
        unseen = await runs.show_unless_shown(turn, turn.open_run, "common.service.before_moving")
        return unseen or await runs.advance(turn, turn.open_run, spec.navigation)
    if spec.kind is Kind.DIALOG:
        dialog = roles.dialog_for(turn, spec)
        if dialog is None:
            return turn.message("common.service.not_for_you", for_mentors=False)
        # A standing invitation to it counts as started: the dialog answers the bot's invitation.
        invited = await invitation.started(turn, dialog)
        return await runs.start_dialog(turn, dialog, invited=invited)
    response = await ACTIONS[spec.name](turn, args)
    return reminding(turn, response) if spec.kind is Kind.LOOK_UP and remind else response


def reminding(turn: Turn, response: Response) -> Response:
    """After a look-up in the middle of a dialog, say that it is still open."""
    if turn.open_run is None:
        return response
    title = turn.say(f"{turn.open_run.dialog}.title")
    return with_note(response, turn.say("common.service.still_open", title=title))


async def on_press(turn: Turn, data: str) -> Response:
    """A button press, checked against what it claims to belong to."""
    press = callbacks.parse(data)
    if isinstance(press, callbacks.AnswerPress | callbacks.SummaryPress):
        run = turn.open_run
        if run is None or run.id != press.run_id:
            return turn.stale_press()
        event = press_input(turn, run, press)
        if event is None:
            return turn.stale_press()
        response = await runs.advance(turn, run, event)
        return Response(response.messages, accepted=True)
    if isinstance(press, callbacks.ContinuePress):
        response = await runs.continue_run(turn, press.run_id)
    elif isinstance(press, callbacks.DialogPress):
        response = await runs.start_dialog(turn, press.dialog, pause_open=press.pause,
                                           invited=press.invited)
    elif isinstance(press, callbacks.StagePress):
        response = await journey.move_stage(turn, press.by)
    elif isinstance(press, callbacks.SettingPress) and press.joined:
        response = await joining.language_switched(turn, press.value)
    elif isinstance(press, callbacks.SettingPress):
        response = await settings.apply_setting(turn, press.name, press.value)
    elif isinstance(press, callbacks.DeletePress):
        response = (await account.delete_everything(turn) if press.confirmed
                    else await account.keep_everything(turn))
    elif isinstance(press, callbacks.DismissPress):
        response = await runs.later(turn)
    elif isinstance(press, callbacks.GoalsPress):
        response = await lookups.goals(turn)
    elif isinstance(press, callbacks.GoalPress):
        response = await goals.show_goal(turn, press)
    elif isinstance(press, callbacks.StepPress):
        response = await goals.on_step(turn, press)
    elif isinstance(press, callbacks.RevisePress):
        response = await runs.start_revision(turn, press.dialog, press.goal_id)
    elif isinstance(press, callbacks.ItemPress):
        response = await presses.on_item_press(turn, press)
    elif isinstance(press, callbacks.SchedulingPress):
        response = await presses.on_choice(turn, press)
    elif isinstance(press, callbacks.VisionMapPress):
        response = await vision_map.share(turn, press.run_id)
    elif isinstance(press, callbacks.SharePress):
        response = await sharing.on_share(turn, press)
    elif isinstance(press, callbacks.VisibilityPress):
        response = await sharing.on_toggle(turn, press)
    elif isinstance(press, callbacks.MenteePress):
        response = await mentees.show_mentee(turn, press.pairing_id)
    elif isinstance(press, callbacks.MenteesPress):
        response = await mentees.list_mentees(turn)
    elif isinstance(press, callbacks.RolePress):
        response = await roles.on_role_press(turn, press.role)
    elif isinstance(press, callbacks.EndPairingPress):
        response = await pairing.on_end_press(turn, press)
    elif isinstance(press, callbacks.MentorLinkPress):
        response = await invites.on_mentor_link_press(turn, press)
    else:
        return turn.stale_press()
    return response if response.toast else replace(response, accepted=True)


def press_input(
    turn: Turn, run: RunRecord, press: callbacks.AnswerPress | callbacks.SummaryPress
) -> Input | None:
    """The engine input a button stands for, if it belongs to the run's current position."""
    try:
        script = turn.content.scripts.get(run.dialog)
        state = RunState.from_json(run.state)
    except (DialogNotFound, StateError):
        return None
    if isinstance(press, callbacks.SummaryPress):
        if state.step != SUMMARY:
            return None
        if press.token == engine.CONFIRM:
            return Pick(SUMMARY, engine.CONFIRM)
        position = int(press.token.removeprefix(engine.EDIT_PREFIX))
        if position >= len(script.steps):
            return None
        return Pick(SUMMARY, engine.EDIT_PREFIX + script.steps[position].key)
    if state.step == SUMMARY or press.position >= len(script.steps):
        return None
    step = script.steps[press.position]
    if step.key != state.step or press.index != state.index:
        return None
    token = press.token
    if token == callbacks.SKIP:
        return Command.SKIP
    if token == callbacks.KEEP:
        return Pick(step.key, KEEP)
    if token == callbacks.OFFER and step.offer is not None:
        return Pick(step.key, OFFER)
    if step.kind in (StepKind.LIST, StepKind.PICK) and token == callbacks.LIST_DONE:
        return Pick(step.key, LIST_DONE)
    if step.kind is StepKind.PICK and token.isdigit():  # the item's place in the list picked from
        items = state.answers.get(step.pick_from or "") or []
        return Pick(step.key, str(items[int(token)])) if int(token) < len(items) else None
    if step.kind is StepKind.YESNO and token in (callbacks.YES, callbacks.NO):
        return Pick(step.key, "yes" if token == callbacks.YES else "no")
    if step.kind is StepKind.CHOICE and token.isdigit() and int(token) < len(step.choices):
        return Pick(step.key, step.choices[int(token)])
    if step.kind is StepKind.SCALE and token.isdigit():
        return Pick(step.key, token)
    return None
