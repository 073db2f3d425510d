"""A dialog's life cycle: start, answer, show where it stands, switch, pause, continue, begin anew;
run a goal-setting dialog again to revise a goal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dialogs import engine
from dialogs.engine import Ask, Input, Text
from dialogs.registry import DialogNotFound
from dialogs.schema import Audience, Dialog
from dialogs.state import SUMMARY, RunState, StateError
from service import callbacks, long_text, vision_map
from service.answering import engine_context, persist, render_outcome, template_values
from service.commands import Scope
from service.context import reply_keys
from service.mentors.help_button import with_help_button
from service.messages import OutMessage, Response, button
from service.programmes import safety
from service.schedule import checkins, pause
from service.turn import Turn
from storage.goals import GoalRecord, goals_of
from storage.runs import (
    RunRecord,
    active_run,
    create_run,
    get_run,
    latest_paused_run,
    runs_of,
    set_run_shown,
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
    if isinstance(event, Text) and any(isinstance(reply, Ask) and reply.problem == "too_long"
                                       for reply in outcome.replies):
        await long_text.refused(turn)  # what Telegram split off it follows at once
    if not run.shown and not outcome.finished:  # the reply asks its question (again)
        await set_run_shown(turn.session, run.id, True)
    messages = await render_outcome(turn, run.id, script, outcome)
    messages = await with_help_button(turn, script.name, outcome.state.step, messages)
    if outcome.finished and not state.finished:
        messages.extend(await vision_map.after_dialog(turn, script.name, outcome.state.answers, run.id))
        messages.extend(await checkins.after_dialog(turn, script.name, outcome.state.answers))
    # Help contacts come first, before the next question, and never instead of it; an earlier
    # answer kept with one tap (or "keep", or a skip) had them when it was typed.
    typed = {key: value for key, value in outcome.saves.items() if key not in outcome.kept}
    signpost = await safety.after_answer(
        turn, {"typed": safety.typed_now(script, state.answers, typed)})
    return Response((*signpost.messages, *messages), deliveries=signpost.deliveries)


async def show_unless_shown(turn: Turn, run: RunRecord, note_key: str) -> Response | None:
    """When the open run's question is not the question last shown (something else was asked
    since), an input that would answer or move it does not: the question is shown again after a
    note (the next such input counts). None when it is the question last shown."""
    return None if run.shown else await show_run(turn, run, note_key)


async def start_dialog(turn: Turn, name: str, pause_open: bool = False, *,
                       invited: bool = False) -> Response:
    """Start a dialog, or continue it if it is open or paused; another open one is asked about.
    `invited`: the bot invited the person to it (a check-in's or an agenda request's Start), so
    its stage is no news to them, and what the invitation knows is given (`Registry.given`)."""
    try:
        script = turn.content.scripts.get(name)
    except DialogNotFound:
        return turn.message("common.service.unknown_dialog", name=name)
    if not turn.serves(script.audience):
        return turn.message("common.service.not_for_you",
                            for_mentors=script.audience is Audience.MENTOR)
    open_run = await active_run(turn.session, turn.user.id)
    if open_run is not None and open_run.dialog == name:
        return await show_run(turn, open_run, "common.service.resumed")
    if open_run is not None:
        if not pause_open:
            await turn.hide_question()
            return switch_question(turn, open_run, script, invited)
        await set_run_status(turn.session, open_run.id, RunStatus.PAUSED, turn.now)
    paused = await latest_paused_run(turn.session, turn.user.id, name)
    if paused is not None:
        await set_run_status(turn.session, paused.id, RunStatus.ACTIVE, turn.now)
        return await show_run(turn, paused, "common.service.resumed")
    goals = await revisable_goals(turn, script)
    if goals:
        return Response((turn.views.revise_question(script.name, goals),))
    return await new_run(turn, script, invited=invited)


async def revisable_goals(turn: Turn, script: Dialog) -> list[GoalRecord]:
    """The goals a dialog that sets one (GROW, vision map) may revise instead of adding another:
    those it set that are still being worked on."""
    if not any(effect.create_goal is not None for effect in script.effects):
        return []
    return [goal for goal in await goals_of(turn.session, turn.user.id)
            if goal.dialog == script.name and goal.is_open]


async def start_revision(turn: Turn, name: str, goal_id: int | None) -> Response:
    """The answer to "revise a goal or set a new one?": a run that revises that goal, or (None) a
    new run. A press from an offer that no longer stands (a dialog is open, this one is paused, the
    goal is closed or not theirs) changes nothing."""
    try:
        script = turn.content.scripts.get(name)
    except DialogNotFound:
        return turn.stale_press()
    if (not turn.serves(script.audience) or turn.open_run is not None
            or await latest_paused_run(turn.session, turn.user.id, name) is not None):
        return turn.stale_press()
    if goal_id is None:
        return await new_run(turn, script)
    goal = next((g for g in await revisable_goals(turn, script) if g.id == goal_id), None)
    if goal is None:
        return turn.stale_press()
    return await new_run(turn, script, revises=goal)


async def revision_state(turn: Turn, script: Dialog, goal: GoalRecord) -> RunState | None:
    """Where revising a goal begins: at the summary of the run that shaped it last, so each earlier
    answer is kept, or changed with one tap. None when that run is gone or unreadable: the
    revision then asks every question again."""
    earlier = await get_run(turn.session, goal.run_id) if goal.run_id is not None else None
    if not script.summary or earlier is None or earlier.user_id != turn.user.id \
            or earlier.dialog != script.name:
        return None
    try:
        state = RunState.from_json(earlier.state)
    except StateError:
        return None
    keys = {step.key for step in script.steps}
    answers = {key: value for key, value in state.answers.items() if key in keys}
    if not answers:
        return None
    loops = {key: items for key, items in state.loops.items() if key in keys}
    history = tuple(p for p in state.history if p.step in keys)  # what was asked (or skipped)
    return RunState(step=SUMMARY, answers=answers, history=history, loops=loops, revises=goal.id)


async def new_run(
    turn: Turn, script: Dialog, notes: tuple[str, ...] = (), revises: GoalRecord | None = None,
    *, invited: bool = False,
) -> Response:
    """A fresh run of a dialog: its intro (and a note if it belongs to another stage, unless the
    bot invited the person to it), then the first question. Revising a goal, a note says so
    instead of the intro, and the run starts at the summary of the goal's earlier answers (or,
    without them, at the first question). A living document (`revise: true`, the agreement)
    starts from the answers completed last, each kept with one tap. Invited, what the invitation
    knows is given and not asked (an agenda requested for a planned meeting: its date)."""
    seeded = None if revises is None else await revision_state(turn, script, revises)
    earlier: Mapping[str, Any] = {}
    if seeded is not None:
        outcome = engine.Outcome(seeded, engine.current(script, seeded,
                                                         await offering_context(turn, script)))
    else:
        if script.revise and revises is None:
            earlier = await last_answers(turn, script)
        known = turn.content.schedule.given.get(script.name) if invited else None
        outcome = engine.start(script, await engine_context(turn, script), earlier,
                               await known(turn) if known is not None else None)
        if revises is not None:
            outcome = replace(outcome, state=replace(outcome.state, revises=revises.id))
    run_id = await create_run(
        turn.session, user_id=turn.user.id, dialog=script.name, stage=script.stage.value,
        step=outcome.state.step, state=outcome.state.to_json(), now=turn.now)
    run = await get_run(turn.session, run_id)
    assert run is not None
    if outcome.finished or outcome.saves:  # (answers given at the start are saved with it)
        await persist(turn, run, script, RunState(step=outcome.state.step), outcome)
    intro: list[str] = list(notes)
    if script.stage.value != turn.user.stage and not invited:
        intro.append(turn.say("common.service.other_stage",
                              stage=turn.say(f"common.stages.{script.stage.value}.name")))
    if revises is not None:
        intro.append(turn.say("common.goals.revising" if seeded else "common.goals.revising_fresh",
                              goal=revises.title))
    elif turn.content.catalog.has(turn.lang, f"{script.name}.intro"):
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


async def offering_context(turn: Turn, script: Dialog) -> engine.EngineContext | None:
    """The engine's context for a question shown again, where it matters: a dialog with a step
    that offers a known date offers it again (others need no query for it)."""
    return await engine_context(turn, script) if any(s.offer for s in script.steps) else None


async def show_run(turn: Turn, run: RunRecord, note_key: str | None) -> Response:
    """Show where an open run stands, after a short note. Its question is then the question last
    shown, which typed text answers."""
    script = turn.content.scripts.get(run.dialog)
    try:
        state = RunState.from_json(run.state)
    except StateError:
        return await restart_broken(turn, run, script)
    if not run.shown:
        await set_run_shown(turn.session, run.id, True)
    replies = engine.current(script, state, await offering_context(turn, script))
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


def switch_question(turn: Turn, open_run: RunRecord, script: Dialog,
                    invited: bool = False) -> Response:
    """Another dialog is open: continue it, or pause it and start this one (still `invited`)?"""
    open_title = turn.say(f"{open_run.dialog}.title")
    title = turn.say(f"{script.name}.title")
    buttons = (
        (button(turn.say("common.buttons.continue", title=open_title),
                callbacks.continue_data(open_run.id)),),
        (button(turn.say("common.buttons.pause_and_start", title=title),
                callbacks.dialog_data(script.name, pause_open=True, invited=invited)),),
    )
    text = turn.say("common.service.switch_question", open_title=open_title, title=title)
    return Response((OutMessage(text, buttons),))


async def continue_run(turn: Turn, run_id: int) -> Response:
    """The "continue" button: this run becomes the active one (pausing another) and is shown."""
    run = await get_run(turn.session, run_id)
    if run is None or run.user_id != turn.user.id or not run.status.is_open:
        return turn.stale_press()
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


async def later(turn: Turn) -> Response:
    """"Not now" to the offer to continue: the dialog waits, paused, so that what the person types
    next is not taken as the answer to a question they did not see again."""
    run = await active_run(turn.session, turn.user.id)
    if run is not None:
        await set_run_status(turn.session, run.id, RunStatus.PAUSED, turn.now)
    return turn.message("common.service.later")


async def resume(turn: Turn) -> Response:
    """/resume: the open dialog, or else the one paused last, at its current question; with
    neither, a pause of check-ins ends, as `/pause off` ends it. A dialog comes back first, with a
    line that the check-ins stay paused (and how that ends): one word does not end both."""
    until = pause.paused_until(turn)
    run = await active_run(turn.session, turn.user.id)
    if run is None:
        run = await latest_paused_run(turn.session, turn.user.id)
        if run is None:
            return (await pause.end_pause(turn) if until is not None
                    else turn.message("common.service.nothing_to_resume"))
        await set_run_status(turn.session, run.id, RunStatus.ACTIVE, turn.now)
    shown = await show_run(turn, run, "common.service.resumed")
    if until is None or not shown.messages:
        return shown
    note, *rest = shown.messages
    line = turn.say("calendar.pause.still_paused", **pause.pause_days(turn, until),
                    mentor_only=Scope.MENTEE not in turn.scopes)
    return replace(shown, messages=(replace(note, text=f"{note.text}\n{line}"), *rest))


async def catch_up(turn: Turn) -> Response:
    """After a crash that may have lost a reply (the answer was saved): say so, and show the open
    dialog's question again. Changes nothing."""
    note = OutMessage(turn.say("common.service.restarted"))
    if turn.open_run is None:
        return Response((note,))
    shown = await show_run(turn, turn.open_run, None)
    return Response((note, *shown.messages))
