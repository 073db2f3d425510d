"""What completing a dialog changes besides its answers: goals (new or revised), action and goal
statuses, user settings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.registry import Scripts
from dialogs.schema import ActionSource, CreateGoal, Dialog, UpdateActions, UpdateGoals
from dialogs.state import RunState, StateError
from storage.answers import set_run_visibility
from storage.goals import (
    GoalRecord,
    add_actions,
    create_goal,
    edit_action,
    goal_of,
    revise_goal,
    set_action_status,
    set_goal_status,
)
from storage.pairings import set_relationship_end
from storage.runs import RunRecord, get_run
from storage.shared import GoalParts
from storage.users import UserChanges, UserRecord, update_user
from storage.vocabulary import ActionStatus, GoalStatus, JSONObject, Visibility


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _actions(source: ActionSource, answers: Mapping[str, Any]) -> list[tuple[str, date | None]]:
    """Action steps named by one source: every item of a list (with its foreach date) or one step
    (a text, or the item picked from a list)."""
    if source.text is not None:
        value = answers.get(source.text)
        due = _date(answers.get(source.due)) if source.due else None
        texts = value if isinstance(value, list) else [value]
        return [(str(text), due) for text in texts if text and str(text).strip()]
    items = answers.get(source.items or "") or []
    dates = answers.get(source.due or "") or []
    due_by_ref = {entry.get("ref"): _date(entry.get("value")) for entry in dates
                  if isinstance(entry, dict)}
    return [(str(item), due_by_ref.get(i)) for i, item in enumerate(items) if str(item).strip()]


def goal_parts(scripts: Scripts) -> dict[str, GoalParts]:
    """By dialog, the steps a goal's date and action steps come from (what the mentor may see of a
    shared goal follows their answers' sharing)."""
    parts: dict[str, GoalParts] = {}
    for script in scripts.by_name.values():
        for effect in script.effects:
            if (goal := effect.create_goal) is not None:
                parts[script.name] = GoalParts(
                    due=frozenset(key for key in (goal.due,) if key),
                    actions=frozenset(a.items or a.text or "" for a in goal.actions) - {""},
                    action_dates=frozenset(a.due for a in goal.actions if a.due))
    return parts


def unique_actions(effect: CreateGoal, answers: Mapping[str, Any]) -> list[tuple[str, date | None]]:
    """Every action step the effect's sources name, each once, in its first place (with the first
    date it was given)."""
    actions: dict[str, date | None] = {}
    for source in effect.actions:
        for text, due in _actions(source, answers):
            actions[text] = actions.get(text) or due
    return list(actions.items())


async def _create_goal(
    session: AsyncSession, effect: CreateGoal, run: RunRecord, user: UserRecord,
    state: RunState, visibility: Visibility, now: datetime,
) -> None:
    answers = state.answers
    title = answers.get(effect.title)
    if not title:
        return
    details: JSONObject = {k: answers.get(k) for k in effect.details}
    due = _date(answers.get(effect.due)) if effect.due else None
    actions = unique_actions(effect, answers)
    revised = None if state.revises is None else await goal_of(session, user.id, state.revises)
    if revised is not None:
        earlier = await _answers_of_run(session, user.id, revised.run_id)
        await revise_goal(session, user.id, revised.id, run_id=run.id, title=str(title),
                          details=details, due_on=due, now=now)
        base = unique_actions(effect, earlier)
        await _merge_actions(session, user.id, revised, base, actions, now)
        return
    goal_id = await create_goal(
        session, user_id=user.id, run_id=run.id, dialog=run.dialog, stage=run.stage,
        title=str(title), details=details, due_on=due, visibility=visibility, now=now)
    await add_actions(session, goal_id=goal_id, user_id=user.id, actions=actions, now=now)


async def _answers_of_run(
    session: AsyncSession, user_id: int, run_id: int | None
) -> Mapping[str, Any]:
    """The answers of the run that shaped a goal before (empty when it is gone or unreadable)."""
    run = None if run_id is None else await get_run(session, run_id)
    if run is None or run.user_id != user_id:
        return {}
    try:
        return RunState.from_json(run.state).answers
    except StateError:
        return {}


def _same(text: str) -> str:
    return " ".join(text.split()).casefold()


async def _merge_actions(
    session: AsyncSession, user_id: int, goal: GoalRecord, base: list[tuple[str, date | None]],
    revised: list[tuple[str, date | None]], now: datetime,
) -> None:
    """A revision's steps merged into the goal's steps as /goals left them: a step the revision
    adds (not in the run it revised) is added, a date it changes is set, and what was ticked off,
    dropped, reworded or deleted in /goals stays so. Removing a step is done in /goals."""
    before = {_same(text): due for text, due in base}
    current = {_same(action.text): action for action in goal.actions}
    added: list[tuple[str, date | None]] = []
    for text, due in revised:
        key = _same(text)
        action = current.get(key)
        if action is None:
            if key not in before and key not in {_same(new) for new, _ in added}:
                added.append((text, due))
        elif due is not None and due != before.get(key) and due != action.due_on:
            await edit_action(session, user_id, action.id, now, due_on=due)
    start = max((action.position for action in goal.actions), default=-1) + 1
    await add_actions(session, goal_id=goal.id, user_id=user_id, actions=added, now=now,
                      start=start)


def _per_item(
    answers: Mapping[str, Any], update: UpdateActions | UpdateGoals
) -> Iterator[tuple[int, str]]:
    """(id, new status) for each item of a per-item choice step whose answer names a status."""
    for entry in answers.get(update.step) or []:
        status = update.statuses.get(str(entry.get("value")))
        if status is not None and isinstance(entry.get("ref"), int):
            yield entry["ref"], status


async def apply_effects(
    session: AsyncSession, script: Dialog, run: RunRecord, user: UserRecord, state: RunState,
    visibility: Visibility, now: datetime,
) -> UserChanges:
    """Carry out every effect of a completed dialog, in the caller's transaction; what changed on
    the user (a new end date replans what is scheduled: the caller does that)."""
    answers = state.answers
    changed: UserChanges = {}
    for effect in script.effects:
        if effect.create_goal is not None:
            await _create_goal(session, effect.create_goal, run, user, state, visibility, now)
        elif effect.update_actions is not None:
            for ref, status in _per_item(answers, effect.update_actions):
                await set_action_status(session, user.id, ref, ActionStatus(status), now)
        elif effect.update_goals is not None:
            for ref, status in _per_item(answers, effect.update_goals):
                await set_goal_status(session, user.id, ref, GoalStatus(status), now)
        elif effect.set_sharing is not None:
            shared = answers.get(effect.set_sharing.step) in effect.set_sharing.shared
            await update_user(session, user.id, now, share_by_default=shared)
            changed["share_by_default"] = shared
            # The answers of the run that made the choice follow it.
            await set_run_visibility(session, run.id,
                                     Visibility.SHARED if shared else Visibility.PRIVATE)
        elif effect.set_end_date is not None:
            ends = _date(answers.get(effect.set_end_date.step))
            if ends is not None and ends != user.relationship_ends_on:
                # The relationship's end: the mentee's own and their pairing's, for their mentor.
                await set_relationship_end(session, user.id, ends, now)
                changed["relationship_ends_on"] = ends
    return changed
