"""What a mentor may read of a mentee: shared answers and shared goals, nothing else.

Every query here takes the mentor's id and the pairing, and joins the pairing so that it returns
nothing unless the pairing is the mentor's own and not ended; visibility is checked in the same
query. The mentor's view, digests and meeting briefs read through this module only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.answers import AnswerRecord
from storage.goals import GoalRecord, _goals
from storage.pairings import PairingRecord
from storage.rows import ACTIONS, ANSWERS, GOALS, HELP, ITEMS, PAIRINGS, RUNS, USERS, record
from storage.users import UserRecord
from storage.vocabulary import ItemStatus, PairingStatus, Role, RunStatus, Visibility

CHECKIN = "checkin"  # the dialog, and the kind of its scheduled invitation

#: A mentor's own dialogs (mentor_story, mentor_checkin, mentor_reflection) are never shown to
#: anyone, even when their author is someone's mentee too.
MENTOR_DIALOGS = "mentor_"
#: The mentee of a pairing, aliased once (see storage.pairings: an alias per call is garbage
#: with reference cycles).
_PAIRED = USERS.alias("mentee")
_PAIRED_COLUMNS = tuple(c.label(f"paired_{c.name}") for c in _PAIRED.c)
#: Not an answer of a mentor's own dialog (built once, for the same reason).
_NOT_MENTORS_OWN = ~ANSWERS.c.dialog.startswith(MENTOR_DIALOGS, autoescape=True)
#: A check-in invitation whose moment is over: sent, skipped or missed (an expanding IN).
_INVITATION_OVER = ITEMS.c.status.in_([ItemStatus.SENT.value, ItemStatus.SKIPPED.value,
                                       ItemStatus.MISSED.value])
#: The visibility of each answer of the runs that shaped a mentee's goals (one statement, its
#: list of runs bound at execution).
_GOAL_ANSWERS = (select(ANSWERS.c.run_id, ANSWERS.c.step_key, ANSWERS.c.visibility)
                 .where(ANSWERS.c.user_id == bindparam("mentee"),
                        ANSWERS.c.run_id.in_(bindparam("runs", expanding=True))))
#: Of some goals, those changed since a moment; of their steps, those changed since (built once).
_CHANGED_GOALS = select(GOALS.c.id).where(GOALS.c.id.in_(bindparam("goals", expanding=True)),
                                          GOALS.c.updated_at > bindparam("since"))
_CHANGED_ACTIONS = select(ACTIONS.c.id).where(
    ACTIONS.c.goal_id.in_(bindparam("goals", expanding=True)),
    ACTIONS.c.updated_at > bindparam("since"))


def _paired(mentor_id: int, pairing_id: int) -> ColumnElement[bool]:
    """The pairing is this one, the mentor's own, and not ended."""
    return and_(PAIRINGS.c.id == pairing_id, PAIRINGS.c.mentor_id == mentor_id,
                PAIRINGS.c.status != PairingStatus.ENDED.value)


async def shared_answers(session: AsyncSession, mentor_id: int, pairing_id: int, *,
                         since: datetime | None = None) -> list[AnswerRecord]:
    """The mentee's shared answers (changed since `since`), in the order they were given; empty
    unless the pairing is this mentor's and open."""
    query = (select(ANSWERS).join(PAIRINGS, PAIRINGS.c.mentee_id == ANSWERS.c.user_id)
             .where(_paired(mentor_id, pairing_id),
                    ANSWERS.c.visibility == Visibility.SHARED.value,
                    _NOT_MENTORS_OWN))
    if since is not None:
        query = query.where(ANSWERS.c.updated_at > since)
    rows = await session.execute(query.order_by(ANSWERS.c.run_id, ANSWERS.c.id))
    return [AnswerRecord.from_row(row) for row in rows]


@dataclass(frozen=True)
class GoalParts:
    """The steps of a dialog that a goal's date and action steps come from. The goal (its title)
    reaches the mentor by its own sharing; each part only while every answer it came from, in
    the run that shaped the goal last, is shared too: a part without such an answer (a step added
    in /goals to a goal whose steps were never answered) stays private."""

    due: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()
    action_dates: frozenset[str] = frozenset()


async def shared_goals(session: AsyncSession, mentor_id: int, pairing_id: int,
                       parts: Mapping[str, GoalParts]) -> list[GoalRecord]:
    """The mentee's shared goals with as much of their date and action steps as the answers they
    came from share (`parts`: by dialog); empty unless the pairing is this mentor's and open."""
    mentee = (await session.execute(select(PAIRINGS.c.mentee_id).where(
        _paired(mentor_id, pairing_id)))).scalar_one_or_none()
    if mentee is None:
        return []
    goals = await _goals(session, mentee, GOALS.c.visibility == Visibility.SHARED.value)
    runs = {goal.run_id for goal in goals if goal.run_id is not None}
    shared: dict[tuple[int | None, str], bool] = {}
    if runs:
        for run_id, step, visibility in await session.execute(
                _GOAL_ANSWERS, {"mentee": mentee, "runs": sorted(runs)}):
            shared[(run_id, step)] = visibility == Visibility.SHARED.value

    def shows(goal: GoalRecord, steps: frozenset[str]) -> bool:
        given = [shared[(goal.run_id, s)] for s in steps if (goal.run_id, s) in shared]
        return bool(given) and all(given)

    shown = []
    for goal in goals:
        part = parts.get(goal.dialog, GoalParts())
        actions = goal.actions if shows(goal, part.actions) else ()
        if not shows(goal, part.action_dates):
            actions = tuple(replace(action, due_on=None) for action in actions)
        shown.append(replace(goal, due_on=goal.due_on if shows(goal, part.due) else None,
                             actions=actions))
    return shown


async def changed_goals(session: AsyncSession, goals: Sequence[GoalRecord],
                        since: datetime) -> list[GoalRecord]:
    """Of the goals `shared_goals` gave, those new or changed since `since`: the goal, or one of
    the steps it shows."""
    ids = [goal.id for goal in goals]
    if not ids:
        return []
    bound = {"goals": ids, "since": since}
    changed = set((await session.execute(_CHANGED_GOALS, bound)).scalars())
    moved = set((await session.execute(_CHANGED_ACTIONS, bound)).scalars())
    return [goal for goal in goals
            if goal.id in changed or any(action.id in moved for action in goal.actions)]


async def shared_step(session: AsyncSession, mentor_id: int, dialog: str, step: str, *,
                      pairing_id: int | None = None) -> list[tuple[int, AnswerRecord]]:
    """One step's shared answers (e.g. the check-in's confidence) across the mentor's open
    pairings, or of one of them, as (pairing id, answer), oldest first: one query for a chart of
    all their mentees. Nothing of a pairing that is not this mentor's own and open."""
    query = (select(PAIRINGS.c.id.label("pairing_id"), ANSWERS)
             .join(PAIRINGS, PAIRINGS.c.mentee_id == ANSWERS.c.user_id)
             .where(PAIRINGS.c.mentor_id == mentor_id,
                    PAIRINGS.c.status != PairingStatus.ENDED.value,
                    ANSWERS.c.visibility == Visibility.SHARED.value,
                    ANSWERS.c.dialog == dialog, ANSWERS.c.step_key == step))
    if pairing_id is not None:
        query = query.where(PAIRINGS.c.id == pairing_id)
    rows = await session.execute(query.order_by(ANSWERS.c.created_at, ANSWERS.c.id))
    return [(row.pairing_id, AnswerRecord.from_row(row)) for row in rows]


async def paired_mentee(session: AsyncSession, mentor_id: int,
                        pairing_id: int) -> tuple[PairingRecord, UserRecord] | None:
    """The pairing and its mentee, if the pairing is this mentor's own and open; else None."""
    row = (await session.execute(
        select(PAIRINGS, *_PAIRED_COLUMNS)
        .join(_PAIRED, _PAIRED.c.id == PAIRINGS.c.mentee_id)
        .where(_paired(mentor_id, pairing_id)))).first()
    if row is None:
        return None
    return (PairingRecord.from_row(row), record(UserRecord, row, prefix="paired_", role=Role))


@dataclass(frozen=True)
class Activity:
    """What a mentor may know of a mentee's engagement without reading any answer: when they
    last completed a check-in, how the recent check-in invitations went (newest first), and
    how many notes asking for help wait for the mentor's reply."""

    last_checkin_at: datetime | None
    checkin_statuses: tuple[ItemStatus, ...]
    open_help: int


async def activity(session: AsyncSession, mentor_id: int, pairing_id: int, *,
                   recent: int = 10) -> Activity | None:
    """The mentee's engagement facts; None unless the pairing is this mentor's and open."""
    mentee = (await session.execute(select(PAIRINGS.c.mentee_id).where(
        _paired(mentor_id, pairing_id)))).scalar_one_or_none()
    if mentee is None:
        return None
    last = (await session.execute(select(func.max(RUNS.c.completed_at)).where(
        RUNS.c.user_id == mentee, RUNS.c.dialog == CHECKIN,
        RUNS.c.status == RunStatus.COMPLETED.value))).scalar_one_or_none()
    statuses = (await session.execute(
        select(ITEMS.c.status).where(ITEMS.c.user_id == mentee, ITEMS.c.kind == CHECKIN,
                                     _INVITATION_OVER)
        .order_by(ITEMS.c.due_at.desc(), ITEMS.c.id.desc()).limit(recent))).scalars()
    help_waiting = (await session.execute(select(func.count()).select_from(HELP).where(
        HELP.c.pairing_id == pairing_id, HELP.c.mentor_id == mentor_id,
        HELP.c.reply.is_(None)))).scalar_one()
    return Activity(last, tuple(ItemStatus(s) for s in statuses), int(help_waiting))


async def open_pairings(session: AsyncSession, mentor_id: int) -> list[int]:
    """The ids of the mentor's pairings that are not ended, oldest first."""
    rows = await session.execute(select(PAIRINGS.c.id).where(
        PAIRINGS.c.mentor_id == mentor_id, PAIRINGS.c.status != PairingStatus.ENDED.value)
        .order_by(PAIRINGS.c.id))
    return list(rows.scalars())
