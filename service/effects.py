"""What completing a dialog changes besides its answers: goals, action statuses, user settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.schema import ActionSource, CreateGoal, Dialog
from storage.answers import answers_of, delete_answers, save_answers
from storage.goals import add_actions, create_goal, set_action_status
from storage.runs import RunRecord
from storage.users import UserRecord, update_user
from storage.vocabulary import ActionStatus, Visibility


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


async def _create_goal(
    session: AsyncSession, effect: CreateGoal, run: RunRecord, user: UserRecord,
    answers: Mapping[str, Any], visibility: Visibility, now: datetime,
) -> None:
    title = answers.get(effect.title)
    if not title:
        return
    goal_id = await create_goal(
        session, user_id=user.id, run_id=run.id, dialog=run.dialog, stage=run.stage,
        title=str(title), details={k: answers.get(k) for k in effect.details},
        due_on=_date(answers.get(effect.due)) if effect.due else None,
        visibility=visibility, now=now)
    actions: dict[str, date | None] = {}
    for source in effect.actions:
        for text, due in _actions(source, answers):
            actions[text] = actions.get(text) or due  # once, in its first place
    await add_actions(session, goal_id=goal_id, user_id=user.id, actions=list(actions.items()),
                      now=now)


async def _set_run_visibility(session: AsyncSession, run: RunRecord, visibility: Visibility) -> None:
    """The answers of the run that made the sharing choice follow it. Saving keeps an answer's
    visibility, so each is written again: in its order, with its time and the message that gave
    it."""
    given = [a for a in await answers_of(session, run.user_id) if a.run_id == run.id]
    await delete_answers(session, run.id, [a.step_key for a in given])
    for answer in given:
        await save_answers(session, run, {answer.step_key: answer.value}, visibility=visibility,
                           now=answer.created_at, message_id=answer.message_id)


async def apply_effects(
    session: AsyncSession, script: Dialog, run: RunRecord, user: UserRecord,
    answers: Mapping[str, Any], visibility: Visibility, now: datetime,
) -> None:
    """Carry out every effect of a completed dialog, in the caller's transaction."""
    for effect in script.effects:
        if effect.create_goal is not None:
            await _create_goal(session, effect.create_goal, run, user, answers, visibility, now)
        elif effect.update_actions is not None:
            statuses = effect.update_actions.statuses
            for entry in answers.get(effect.update_actions.step) or []:
                status = statuses.get(str(entry.get("value")))
                if status is not None and isinstance(entry.get("ref"), int):
                    await set_action_status(session, user.id, entry["ref"], ActionStatus(status),
                                            now)
        elif effect.set_sharing is not None:
            shared = answers.get(effect.set_sharing.step) in effect.set_sharing.shared
            await update_user(session, user.id, now, share_by_default=shared)
            await _set_run_visibility(session, run,
                                      Visibility.SHARED if shared else Visibility.PRIVATE)
        elif effect.set_end_date is not None:
            ends = _date(answers.get(effect.set_end_date.step))
            if ends is not None:
                await update_user(session, user.id, now, relationship_ends_on=ends)
