"""Answers that quote other answers, as their mentor may read them.

Some answers hold the words of another answer: the date of each of GROW's steps names the step
(`foreach: step`), the options chosen and the vision's first step are items of a list answered
before (`pick_from`), a check-in's progress names each action step (`foreach: context:
open_actions`) and a reflection's outcome each goal (`open_goals`). The rule: quoted words reach
the mentor only where the mentor reads them in their own place anyway, so a mentee who keeps
their steps private never finds them under a shared answer that quotes them:

- an item of an earlier answer of the same run, while that answer is shared and holds it;
- an action step, while a shared goal shows it (`storage.shared.shared_goals`: the goal is shared
  and so are the answers its steps came from);
- a goal, while it is shared.

Otherwise each quoted item is withheld (the renderer says "not shared") and the answer's own part
(the date, the status) stays: that is what the mentee shared. A pick's words typed anew cannot be
told apart from the private list's without reading it, so they are withheld with it. Applied to
everything the mentor's view, digest and brief show (`readable`), before any of it is rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from dialogs.registry import DialogNotFound, Scripts
from dialogs.schema import Step
from service.render import WITHHELD
from storage.answers import AnswerRecord
from storage.goals import GoalRecord
from storage.vocabulary import JSONValue


def readable(scripts: Scripts, answers: Sequence[AnswerRecord],
             goals: Iterable[GoalRecord]) -> list[AnswerRecord]:
    """The mentee's shared `answers` (all of them, so that the source of a quote is found even
    when only the quoting answer is new) with every quoted item the mentor may not read withheld;
    `goals`: the shared goals as the mentor sees them (`shared_goals`)."""
    sources = _Sources(answers, goals)
    result = []
    for answer in answers:
        try:
            step = scripts.get(answer.dialog).step(answer.step_key)
        except (DialogNotFound, KeyError):
            result.append(answer)
            continue
        value = answer.value
        masked: list[JSONValue]
        if step.foreach is not None and isinstance(value, list):
            masked = [entry if not isinstance(entry, dict) or sources.show(step, answer, entry)
                      else {"value": entry.get("value"), WITHHELD: True} for entry in value]
        elif step.pick_from is not None and isinstance(value, list):
            items = sources.items(answer.run_id, step.pick_from)
            masked = [item if str(item) in items else {WITHHELD: True} for item in value]
        else:
            masked = []
        result.append(replace(answer, value=masked) if masked and masked != value else answer)
    return result


class _Sources:
    """What the mentor reads in its own place: shared answers, and the shared goals' steps."""

    def __init__(self, answers: Sequence[AnswerRecord], goals: Iterable[GoalRecord]) -> None:
        self.values = {(answer.run_id, answer.step_key): answer.value for answer in answers}
        goals = list(goals)
        self.goals = {goal.id for goal in goals}
        self.actions = {action.id for goal in goals for action in goal.actions}

    def items(self, run_id: int, step_key: str) -> frozenset[str]:
        """The items of a shared list answer of the run (none when it is not shared)."""
        value = self.values.get((run_id, step_key))
        return frozenset(str(item) for item in value) if isinstance(value, list) else frozenset()

    def show(self, step: Step, answer: AnswerRecord, entry: Mapping[str, JSONValue]) -> bool:
        """The item a per-item answer's entry is about may be shown."""
        assert step.foreach is not None
        ref = entry.get("ref")
        if step.foreach.context == "open_actions":
            return isinstance(ref, int) and ref in self.actions
        if step.foreach.context == "open_goals":
            return isinstance(ref, int) and ref in self.goals
        return str(entry.get("item")) in self.items(answer.run_id, str(step.foreach.step))
