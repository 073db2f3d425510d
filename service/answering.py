"""The pieces of an answer's path: the engine's context, saving its outcome in the turn's transaction,
rendering its replies. Also the edit of an answer already given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dialogs import engine
from dialogs.engine import EngineContext
from dialogs.schema import Dialog
from dialogs.state import RunState, StateError
from service.context import open_actions, reply_keys, template_variables
from service.effects import apply_effects
from service.inputs import EditIn
from service.journey import suggestion
from service.messages import OutMessage, Response
from service.turn import Turn
from storage.answers import answer_by_message, delete_answers, save_answers
from storage.goals import goals_of
from storage.runs import RunRecord, get_run, save_run
from storage.vocabulary import RunStatus, Visibility


async def engine_context(turn: Turn, script: Dialog) -> EngineContext:
    """What the engine may know besides the run: the date, the language, open action steps."""
    actions: tuple[dict[str, Any], ...] = ()
    if any(s.foreach is not None and s.foreach.context for s in script.steps):
        actions = tuple(open_actions(await goals_of(turn.session, turn.user.id)))
    return EngineContext(today=turn.today, lang=turn.lang, lexicon=turn.content.lexicon(turn.lang),
                         open_actions=actions)


async def persist(
    turn: Turn, run: RunRecord, script: Dialog, before: RunState, outcome: engine.Outcome,
    message_id: int | None = None,
) -> None:
    """Answers, deletions and the new position, all in the caller's transaction."""
    visibility = Visibility.SHARED if turn.user.share_by_default else Visibility.PRIVATE
    await save_answers(turn.session, run, outcome.saves, visibility=visibility,
                               now=turn.now, message_id=message_id)
    await delete_answers(turn.session, run.id, outcome.deletes)
    if outcome.state is not before and outcome.state != before:
        status = RunStatus.COMPLETED if outcome.finished else RunStatus.ACTIVE
        await save_run(turn.session, run.id, step=outcome.state.step, status=status,
                               state=outcome.state.to_json(), now=turn.now)
    if outcome.finished and not before.finished:
        await apply_effects(turn.session, script, run, turn.user, outcome.state.answers,
                            visibility, turn.now)


async def render_outcome(
    turn: Turn, run_id: int, script: Dialog, outcome: engine.Outcome
) -> list[OutMessage]:
    """The engine's replies as messages; after the last answer, what to do next."""
    keys = reply_keys(script, outcome.replies)
    variables = await template_values(turn, script, outcome.state.answers, keys)
    messages = turn.render.replies(script, outcome.replies, run_id, variables)
    if outcome.finished:
        messages.extend(await suggestion(turn, after=script.name))
    return messages


async def template_values(
    turn: Turn, script: Dialog, answers: Mapping[str, Any], keys: list[str]
) -> dict[str, Any]:
    """Template variables for the texts about to be rendered."""
    return await template_variables(turn.session, turn.content.catalog, script,
                                    turn.content.scripts.by_name, turn.user, answers,
                                    turn.today.isoformat(), keys)


async def edit_answer(turn: Turn, incoming: EditIn) -> Response:
    """An edited answer message updates the saved answer while its dialog is still open."""
    answer = await answer_by_message(turn.session, turn.user.id, incoming.message_id)
    if answer is None:
        return turn.message("common.edit.unknown")
    run = await get_run(turn.session, answer.run_id)
    if run is None or not run.status.is_open:
        return turn.message("common.edit.closed")
    script = turn.content.scripts.get(run.dialog)
    try:
        step = script.step(answer.step_key)
        state = RunState.from_json(run.state)
    except (KeyError, StateError):
        return turn.message("common.edit.unknown")
    value, problem = engine.read_value(script, step, incoming.text,
                                       await engine_context(turn, script))
    if problem is not None:
        limits = {"max_length": step.max_length, "scale_min": step.scale_min,
                  "scale_max": step.scale_max, "min_items": step.min_items}
        return turn.message(f"common.problems.{problem}", **limits)
    new_state = replace(state, answers={**state.answers, step.key: value})
    await save_answers(turn.session, run, {step.key: value}, visibility=Visibility.PRIVATE,
                               now=turn.now)
    await save_run(turn.session, run.id, step=new_state.step, status=run.status,
                           state=new_state.to_json(), now=turn.now)
    return turn.message("common.edit.saved", label=turn.render.label(script, step.key))
