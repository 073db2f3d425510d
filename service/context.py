"""What templates and the engine may read besides the current answers, loaded only when needed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import meta
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.engine import Ask, Finished, Info, Note, Reply
from dialogs.schema import Dialog
from dialogs.state import RunState, StateError
from prompts.catalog import Catalog
from service.names import mentor_words
from service.programmes.defaults import ProgrammeDefaults
from service.render import note_key
from storage.answers import latest_answers
from storage.goals import GoalRecord, goals_of
from storage.pairings import pairing_of_mentee, planned_end
from storage.programmes import programme_by_id
from storage.runs import runs_of
from storage.users import UserRecord, first_name
from storage.vocabulary import ActionStatus, GoalStatus, RunStatus

# A check-in note the mentee chose to raise at the next meeting stays on the agenda (the agenda's
# texts show `to_raise`) until an agenda is completed after it.
RAISED_NOTE = ("checkin", "for_mentor", "raise_at_meeting")
AGENDA = "agenda"


@cache
def template_names(catalog: Catalog, key: str) -> frozenset[str]:
    """Every top-level variable the text with this key uses, in any language."""
    names: set[str] = set()
    for texts in catalog.texts.values():
        source = texts.get(key)
        if isinstance(source, str):
            names |= meta.find_undeclared_variables(catalog.env.parse(source))
    return frozenset(names)


def reply_keys(script: Dialog, replies: Iterable[Reply], intro: bool = False) -> list[str]:
    """The dialog texts these replies will render (what decides the variables to load)."""
    keys = [f"{script.name}.intro"] if intro else []
    for reply in replies:
        if isinstance(reply, Ask | Info):
            keys.append(f"{script.name}.steps.{reply.step}.text")
        elif isinstance(reply, Finished):
            keys.append(f"{script.name}.done")
        elif isinstance(reply, Note) and reply.step is not None:
            keys.append(note_key(script, reply))
    return keys


async def known_dates(session: AsyncSession, user: UserRecord) -> dict[str, str]:
    """The dates a dialog may offer or compare with (dialogs.schema.KnownDate), ISO, those there
    are: the relationship's planned end (as the mentor and the ending reminders see it), and the
    end the programme's length gives the mentee's open pairing."""
    pairing = await pairing_of_mentee(session, user.id)
    planned = user.relationship_ends_on if pairing is None else pairing.ends_on
    known = {"planned_end": planned.isoformat()} if planned is not None else {}
    programme = (await programme_by_id(session, pairing.programme_id)
                 if pairing is not None and pairing.programme_id is not None else None)
    if pairing is not None and programme is not None:
        ends = ProgrammeDefaults.of(programme.defaults).ends_on(pairing.started_on)
        if ends is not None:
            known["programme_end"] = ends.isoformat()
    return known


def goal_view(goal: GoalRecord) -> dict[str, Any]:
    """A goal as templates see it."""
    return {"title": goal.title, "due": goal.due_on.isoformat() if goal.due_on else None,
            "status": goal.status,
            "actions": [{"text": a.text, "due": a.due_on.isoformat() if a.due_on else None,
                         "status": a.status} for a in goal.actions]}


def open_actions(goals: list[GoalRecord]) -> list[dict[str, Any]]:
    """Open or partly done action steps of open goals, with the id check-ins update them by:
    those with a date first, the earliest first (what fell due since the last check-in leads the
    commitment loop), then the others in their goal's order."""
    steps = [(a, g) for g in goals if g.status is GoalStatus.OPEN
             for a in g.actions if a.status in (ActionStatus.OPEN, ActionStatus.PARTLY)]
    steps.sort(key=lambda pair: (pair[0].due_on is None, pair[0].due_on or date.min))
    return [{"ref": a.id, "text": a.text, "due": a.due_on.isoformat() if a.due_on else None,
             "goal": g.title} for a, g in steps]


def open_goals(goals: list[GoalRecord]) -> list[dict[str, Any]]:
    """Goals still being worked on (open or partly reached), with the id a reflection marks them
    by; `text` is the title, as the engine reads a context item."""
    return [{"ref": g.id, "text": g.title} for g in goals if g.is_open]


async def notes_to_raise(session: AsyncSession, user_id: int, closing: bool) -> list[str]:
    """The check-in notes marked for the next meeting since the last completed agenda, oldest
    first. `closing`: an agenda's closing text is rendered, so the agenda completed last is that
    one, and the notes it carried are those since the agenda before it."""
    dialog, note, flag = RAISED_NOTE
    completed = sorted(((run.completed_at, run.id, run) for run in await runs_of(session, user_id)
                        if run.status is RunStatus.COMPLETED and run.completed_at is not None),
                       key=lambda entry: (entry[0], entry[1]))
    agendas = [at for at, _, run in completed if run.dialog == AGENDA]
    since = agendas[-2 if closing else -1] if len(agendas) >= (2 if closing else 1) else None
    notes: list[str] = []
    for at, _, run in completed:
        if run.dialog != dialog or (since is not None and at <= since):
            continue
        try:
            answers = RunState.from_json(run.state).answers
        except StateError:
            continue
        if answers.get(flag) is True and answers.get(note):
            notes.append(str(answers[note]))
    return notes


async def last_completed(session: AsyncSession, user: UserRecord, dialog: str) -> str | None:
    """The day (on the person's calendar, ISO) a run of this dialog was last completed, if ever."""
    done = [run.completed_at for run in await runs_of(session, user.id)
            if run.dialog == dialog and run.status is RunStatus.COMPLETED and run.completed_at]
    return max(done).astimezone(ZoneInfo(user.timezone)).date().isoformat() if done else None


async def template_variables(
    session: AsyncSession, catalog: Catalog, script: Dialog, dialogs: Mapping[str, Dialog],
    user: UserRecord, answers: Mapping[str, Any], today_iso: str, keys: Iterable[str],
) -> dict[str, Any]:
    """Variables for the texts with these keys: this dialog's answers, and — only if those texts
    use them — quoted earlier dialogs, goals and open actions, so a plain step costs no query."""
    keys = list(keys)
    used: frozenset[str] = frozenset().union(*(template_names(catalog, key) for key in keys))
    variables: dict[str, Any] = {step.key: answers.get(step.key) for step in script.steps}
    earlier = [name for name in used if name in dialogs and name != script.name]
    if earlier:
        latest = await latest_answers(session, user.id, earlier)
        for name in earlier:
            variables[name] = {s.key: latest[name].get(s.key) for s in dialogs[name].steps}
    if "goals" in used or "open_actions" in used:
        goals = await goals_of(session, user.id)
        variables["goals"] = [goal_view(g) for g in goals]
        variables["open_actions"] = open_actions(goals)
    else:
        variables["goals"] = []
        variables["open_actions"] = []
    variables["to_raise"] = (await notes_to_raise(session, user.id, f"{AGENDA}.done" in keys)
                             if "to_raise" in used else [])
    variables["last_done"] = (await last_completed(session, user, script.name)
                              if "last_done" in used else None)
    variables["name"] = first_name(user.name)
    variables.update(await mentor_words(session, user.id) if used & {"paired", "mentor"}
                     else {"paired": False, "mentor": None})
    variables["today"] = today_iso
    ends = await planned_end(session, user) if "days_left" in used else None
    variables["days_left"] = (ends - date.fromisoformat(today_iso)).days if ends else None
    variables["programme_end"] = ((await known_dates(session, user)).get("programme_end")
                                  if "programme_end" in used else None)
    variables.setdefault("offered", None)  # a question's own (the renderer gives it)
    return variables
