"""A dialog's life cycle: start, answer, show where it stands, switch, pause, continue, begin anew."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs import engine
from dialogs.engine import Input
from dialogs.registry import DialogNotFound
from dialogs.schema import Audience, Dialog
from dialogs.state import RunState, StateError
from service import callbacks
from service.answering import engine_context, persist, render_outcome, template_values
from service.context import reply_keys
from service.messages import OutMessage, Response, button, plain
from service.turn import Turn
from storage.runs import (
    RunRecord,
    active_run,
    create_run,
    get_run,
    latest_paused_run,
    runs_of,
    set_run_status,
)
from storage.vocabulary import RunStatus


async def advance(turn: Turn, run: RunRecord, event: Input, message_id: int | None = None) -> Response:
    """Feed one input to the engine and save its outcome in this transaction."""
    script = turn.content.scripts.get(run.dialog)
    try:
        state = RunState.from_json(run.state)
    except StateError:
        return await restart_broken(turn, run, script)
    outcome = engine.advance(script, state, event, await engine_context(turn, script))
    await persist(turn, run, script, state, outcome, message_id)
    return Response(tuple(await render_outcome(turn, run.id, script, outcome)))


async def start_dialog(turn: Turn, name: str, pause_open: bool = False) -> Response:
    """Start a dialog, or continue it if it is open or paused; another open one is asked about."""
    try:
        script = turn.content.scripts.get(name)
    except DialogNotFound:
        return turn.message("common.service.unknown_dialog", name=name)
    if script.audience is not turn.audience:
        return turn.message("common.service.not_for_you",
                            for_mentors=script.audience is Audience.MENTOR)
    open_run = await active_run(turn.session, turn.user.id)
    if open_run is not None and open_run.dialog == name:
        return await show_run(turn, open_run, "common.service.resumed")
    if open_run is not None:
        if not pause_open:
            return switch_question(turn, open_run, script)
        await set_run_status(turn.session, open_run.id, RunStatus.PAUSED, turn.now)
    paused = await latest_paused_run(turn.session, turn.user.id, name)
    if paused is not None:
        await set_run_status(turn.session, paused.id, RunStatus.ACTIVE, turn.now)
        return await show_run(turn, paused, "common.service.resumed")
    return await new_run(turn, script)


async def new_run(turn: Turn, script: Dialog, notes: tuple[str, ...] = ()) -> Response:
    """A fresh run of a dialog: its intro (and a note if it belongs to another stage), then the
    first question; a revision of a living document starts from the answers completed last."""
    earlier = await last_answers(turn, script) if script.revise else {}
    outcome = engine.start(script, await engine_context(turn, script), earlier)
    run_id = await create_run(
        turn.session, user_id=turn.user.id, dialog=script.name, stage=script.stage.value,
        step=outcome.state.step, state=outcome.state.to_json(), now=turn.now)
    run = await get_run(turn.session, run_id)
    assert run is not None
    if outcome.finished:
        await persist(turn, run, script, RunState(step=outcome.state.step), outcome)
    intro: list[str] = list(notes)
    if script.stage.value != turn.user.stage:
        intro.append(turn.say("common.service.other_stage",
                              stage=turn.say(f"common.stages.{script.stage.value}.name")))
    if turn.content.catalog.has(turn.lang, f"{script.name}.intro"):
        variables = await template_values(turn, script, {}, [f"{script.name}.intro"])
        intro.append(turn.say(f"{script.name}.intro", **variables))
    if earlier:
        intro.append(turn.say("common.service.revising"))
    messages = await render_outcome(turn, run_id, script, outcome)
    head = (OutMessage("\n\n".join(intro)),) if intro else ()
    return Response((*head, *messages))


async def last_answers(turn: Turn, script: Dialog) -> Mapping[str, Any]:
    """The answers of this dialog's run completed last (none if it never was)."""
    done = [run for run in await runs_of(turn.session, turn.user.id)
            if run.dialog == script.name and run.status is RunStatus.COMPLETED]
    if not done:
        return {}
    latest = max(done, key=lambda run: (run.completed_at or run.updated_at, run.id))
    try:
        return RunState.from_json(latest.state).answers
    except StateError:
        return {}


async def show_run(turn: Turn, run: RunRecord, note_key: str | None) -> Response:
    """Show where an open run stands, after a short note."""
    script = turn.content.scripts.get(run.dialog)
    try:
        state = RunState.from_json(run.state)
    except StateError:
        return await restart_broken(turn, run, script)
    replies = engine.current(script, state)
    variables = await template_values(turn, script, state.answers, reply_keys(script, replies))
    messages = turn.render.replies(script, replies, run.id, variables)
    if note_key is None:
        return Response(tuple(messages))
    note = OutMessage(turn.say(note_key, title=turn.say(f"{script.name}.title")))
    return Response((note, *messages))


async def restart_broken(turn: Turn, run: RunRecord, script: Dialog) -> Response:
    """A run whose stored state cannot be read is closed (its answers stay) and begun anew."""
    await set_run_status(turn.session, run.id, RunStatus.CANCELLED, turn.now)
    return await new_run(turn, script, (turn.say("common.service.error"),))


def switch_question(turn: Turn, open_run: RunRecord, script: Dialog) -> Response:
    """Another dialog is open: continue it, or pause it and start this one?"""
    open_title = turn.say(f"{open_run.dialog}.title")
    title = turn.say(f"{script.name}.title")
    buttons = (
        (button(turn.say("common.buttons.continue", title=open_title),
                callbacks.continue_data(open_run.id)),),
        (button(turn.say("common.buttons.pause_and_start", title=title),
                callbacks.dialog_data(script.name, pause_open=True)),),
    )
    text = turn.say("common.service.switch_question", open_title=open_title, title=title)
    return Response((OutMessage(text, buttons),))


async def continue_run(turn: Turn, run_id: int) -> Response:
    """The "continue" button: this run becomes the active one (pausing another) and is shown."""
    run = await get_run(turn.session, run_id)
    if run is None or run.user_id != turn.user.id or not run.status.is_open:
        return Response(toast=plain(turn.say("common.notes.stale_button")))
    if run.status == RunStatus.PAUSED:
        open_run = await active_run(turn.session, turn.user.id)
        if open_run is not None:
            await set_run_status(turn.session, open_run.id, RunStatus.PAUSED, turn.now)
        await set_run_status(turn.session, run.id, RunStatus.ACTIVE, turn.now)
    return await show_run(turn, run, "common.service.resumed")


async def cancel(turn: Turn) -> Response:
    """/cancel: the open dialog is paused; its answers stay and /resume brings it back."""
    run = await active_run(turn.session, turn.user.id)
    if run is None:
        return turn.message("common.service.nothing_to_cancel")
    await set_run_status(turn.session, run.id, RunStatus.PAUSED, turn.now)
    return turn.message("common.service.cancelled", title=turn.say(f"{run.dialog}.title"))


async def resume(turn: Turn) -> Response:
    """/resume: the open dialog, or else the one paused last, at its current question."""
    run = await active_run(turn.session, turn.user.id)
    if run is None:
        run = await latest_paused_run(turn.session, turn.user.id)
        if run is None:
            return turn.message("common.service.nothing_to_resume")
        await set_run_status(turn.session, run.id, RunStatus.ACTIVE, turn.now)
    return await show_run(turn, run, "common.service.resumed")
