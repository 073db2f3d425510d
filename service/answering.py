"""The pieces of an answer's path: the engine's context, saving its outcome in the turn's transaction,
rendering its replies. Also the edit of an answer already given (signposted like a new one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from dialogs import engine
from dialogs.engine import EngineContext
from dialogs.schema import Audience, Dialog
from dialogs.state import RunState, StateError
from service.context import (
    known_dates,
    open_actions,
    open_goals,
    reply_keys,
    template_names,
    template_variables,
)
from service.effects import apply_effects
from service.inputs import EditIn
from service.journey import suggestion
from service.mentors import sharing
from service.messages import OutMessage, Response
from service.programmes import safety
from service.render import note_key
from service.schedule.plan import replan
from service.turn import Turn
from storage.answers import answer_by_message, delete_answers, save_answers
from storage.goals import goals_of
from storage.runs import RunRecord, get_run, runs_of, save_run
from storage.vocabulary import RunStatus, Visibility


async def engine_context(turn: Turn, script: Dialog) -> EngineContext:
    """What the engine may know besides the run: the date, the language, and the items of the
    context a step loops over: open action steps, or goals still being worked on. The engine
    reads a context's items from `open_actions`, whichever context it is (a dialog loops over
    one context at most; `dialogs check` says so). And the dates the service knows, for a dialog
    with a step that offers one or notes a date after one (the agreement's planned end)."""
    items: tuple[dict[str, Any], ...] = ()
    context = next((s.foreach.context for s in script.steps if s.foreach and s.foreach.context),
                   None)
    if context is not None:
        goals = await goals_of(turn.session, turn.user.id)
        items = tuple(open_goals(goals) if context == "open_goals" else open_actions(goals))
    known = (await known_dates(turn.session, turn.user)
             if any(s.offer or s.note_after for s in script.steps) else {})
    return EngineContext(today=turn.today, lang=turn.lang, lexicon=turn.content.lexicon(turn.lang),
                         open_actions=items, known=known)


async def persist(
    turn: Turn, run: RunRecord, script: Dialog, before: RunState, outcome: engine.Outcome,
    message_id: int | None = None,
) -> None:
    """Answers, deletions and the new position, all in the caller's transaction."""
    # A mentor's own dialogs are never shared with a mentor of theirs; a note meant for the
    # mentor is shared while there is one.
    shares = turn.user.share_by_default and script.audience is Audience.MENTEE
    visibility = Visibility.SHARED if shares else Visibility.PRIVATE
    saves = dict(outcome.saves)
    meant = {k: saves.pop(k) for k in list(saves) if (script.name, k) in sharing.FOR_MENTOR}
    if meant:
        paired = await sharing.mentor_of(turn) is not None
        await save_answers(turn.session, run, meant, now=turn.now, message_id=message_id,
                           visibility=Visibility.SHARED if paired else visibility)
    await save_answers(turn.session, run, saves, visibility=visibility,
                               now=turn.now, message_id=message_id)
    await delete_answers(turn.session, run.id, outcome.deletes)
    state = remember_item_message(script, before, outcome, message_id)
    if state is not before and state != before:
        status = RunStatus.COMPLETED if outcome.finished else RunStatus.ACTIVE
        await save_run(turn.session, run.id, step=state.step, status=status,
                               state=state.to_json(), now=turn.now)
    if outcome.finished and not before.finished:
        changed = await apply_effects(turn.session, script, run, turn.user, outcome.state,
                                      visibility, turn.now)
        if changed:
            turn.became(replace(turn.user, **changed))
        if "relationship_ends_on" in changed:  # the ending's reminders follow the new date
            await replan(turn, turn.content.schedule)


def remember_item_message(
    script: Dialog, before: RunState, outcome: engine.Outcome, message_id: int | None
) -> RunState:
    """The new state, noting which item of a per-item step this message answered (a run's answer
    row knows one message per step; an edit of an earlier item's message must find its item)."""
    step = next((s for s in script.steps if s.key == before.step), None)
    saved = outcome.saves.get(before.step)
    if message_id is None or step is None or step.foreach is None or not isinstance(saved, list):
        return outcome.state
    answered = saved[before.index]
    item = {"step": step.key, "ref": answered.get("ref"), "item": answered.get("item")}
    kept = {key: value for key, value in outcome.state.item_messages.items() if value != item}
    return replace(outcome.state, item_messages={**kept, str(message_id): item})


async def render_outcome(
    turn: Turn, run_id: int, script: Dialog, outcome: engine.Outcome
) -> list[OutMessage]:
    """The engine's replies as messages; after the last answer, what to do next."""
    keys = reply_keys(script, outcome.replies)
    variables = await template_values(turn, script, outcome.state.answers, keys)
    variables.update(await reminders_of(turn, script, outcome.replies))
    messages = turn.render.replies(script, outcome.replies, run_id, variables)
    if outcome.finished:
        # A paired mentee is asked what to share; what to do next follows their answer.
        question = await sharing.consent_question(turn, run_id, script)
        if question is not None:
            messages.append(question)
            return messages
        said = "\n".join(message.text for message in messages)
        messages.extend(await suggestion(turn, after=script.name, said=said))
    return messages


async def reminders_of(turn: Turn, script: Dialog,
                       replies: Sequence[engine.Reply]) -> dict[str, Any]:
    """For a step's note about a new end date whose text says what reminders will come
    (`reminders`): the ending ladder's steps still ahead for that date, as its plan will have
    them (a date less than four weeks away gets no four weeks' notice)."""
    # the ending's schedule renders through the runs, which render through here: imported late
    from service.schedule.ending import steps_ahead

    for reply in replies:
        if (isinstance(reply, engine.Note) and reply.step is not None
                and "reminders" in template_names(turn.content.catalog, note_key(script, reply))):
            return {"reminders": await steps_ahead(turn, date.fromisoformat(str(reply.value)))}
    return {}


async def template_values(
    turn: Turn, script: Dialog, answers: Mapping[str, Any], keys: list[str]
) -> dict[str, Any]:
    """Template variables for the texts about to be rendered."""
    return await template_variables(turn.session, turn.content.catalog, script,
                                    turn.content.scripts.by_name, turn.user, answers,
                                    turn.today.isoformat(), keys)


async def answered_by(
    turn: Turn, message_id: int
) -> tuple[RunRecord, str, Mapping[str, Any] | None] | None:
    """The run and step a message answered, and which item when the step asks per item."""
    for run in reversed(await runs_of(turn.session, turn.user.id)):
        noted = run.state.get("item_messages")
        item = noted.get(str(message_id)) if isinstance(noted, dict) else None
        if isinstance(item, dict):
            return run, str(item.get("step")), item
    answer = await answer_by_message(turn.session, turn.user.id, message_id)
    answered = None if answer is None else await get_run(turn.session, answer.run_id)
    return None if answer is None or answered is None else (answered, answer.step_key, None)


def with_item(entries: Any, item: Mapping[str, Any], value: Any) -> list[Any] | None:
    """The per-item answers with one item's value changed (matched as the engine matches them:
    by reference and text, then by text); None when that item is no longer in the list."""
    if not isinstance(entries, list):
        return None
    changed = [dict(entry) if isinstance(entry, dict) else entry for entry in entries]
    same = [i for i, e in enumerate(changed) if isinstance(e, dict) and e.get("item") == item["item"]]
    index = next((i for i in same if changed[i].get("ref") == item["ref"]), None)
    index = index if index is not None else next(iter(same), None)
    if index is None:
        return None
    changed[index]["value"] = value
    return changed


async def edit_answer(turn: Turn, incoming: EditIn) -> Response:
    """An edited answer message updates the saved answer while its dialog is still open; for a
    step asked per item, the item that message answered."""
    found = await answered_by(turn, incoming.message_id)
    if found is None:
        return turn.message("common.edit.unknown")
    run, step_key, item = found
    if not run.status.is_open:
        return turn.message("common.edit.closed")
    script = turn.content.scripts.get(run.dialog)
    try:
        step = script.step(step_key)
        state = RunState.from_json(run.state)
    except (KeyError, StateError):
        return turn.message("common.edit.unknown")
    if (step.foreach is None) != (item is None):  # per item, but saved before items were noted
        return turn.message("common.edit.unknown")
    value, problem = engine.read_value(script, step, incoming.text,
                                       await engine_context(turn, script))
    if problem is not None:
        limits = {"max_length": step.max_length, "scale_min": step.scale_min,
                  "scale_max": step.scale_max, "min_items": step.min_items}
        return turn.message(f"common.problems.{problem}", **limits)
    if item is not None:
        value = with_item(state.answers.get(step.key), item, value)
        if value is None:
            return turn.message("common.edit.unknown")
    new_state = replace(state, answers={**state.answers, step.key: value})
    await save_answers(turn.session, run, {step.key: value}, visibility=Visibility.PRIVATE,
                               now=turn.now)
    await save_run(turn.session, run.id, step=new_state.step, status=run.status,
                           state=new_state.to_json(), now=turn.now, shown=run.shown)
    saved = turn.message("common.edit.saved", label=turn.render.label(script, step.key))
    signpost = await safety.after_answer(  # as for a new answer: its new words
        turn, {"typed": safety.typed_now(script, state.answers, {step.key: value})})
    return Response((*saved.messages, *signpost.messages), deliveries=signpost.deliveries)
