"""The scripts' own consistency: step references, reachable steps, conditions and effects.

The texts of every language are checked against these scripts in `service/content_check.py`; the
two together are `coachbot dialogs check`. Every problem names the file and the step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from dialogs.registry import ScriptProblem
from dialogs.schema import CONTEXT_NAMES, Condition, Dialog, Step, StepKind


def script_references(script: Dialog, scripts: Mapping[str, Dialog]) -> Iterator[ScriptProblem]:
    file = f"{script.name}.yaml"
    seen: dict[str, Step] = {}
    for step in script.steps:
        where = f"step {step.key}"
        if step.key in seen:
            yield ScriptProblem(file, where, "step key used twice")
        if step.key in scripts or step.key in CONTEXT_NAMES:
            yield ScriptProblem(file, where, "step key hides a dialog or context variable name")
        for condition in step.when:
            earlier = seen.get(condition.step)
            if earlier is None:
                yield ScriptProblem(file, where, f"condition refers to {condition.step!r}, "
                                    "which is not an earlier step")
            elif not _can_hold(condition, earlier):
                yield ScriptProblem(file, where, f"unreachable: no answer to {condition.step!r} "
                                    "can satisfy the condition")
        lists = (("foreach", step.foreach.step if step.foreach else None),
                 ("pick_from", step.pick_from))
        for field, key in lists:
            source = seen.get(key) if key is not None else None
            if key is not None and (source is None or source.kind is not StepKind.LIST):
                yield ScriptProblem(file, where, f"{field} refers to {key!r}, "
                                    "which is not an earlier list step")
        seen[step.key] = step
    contexts = {s.foreach.context for s in script.steps if s.foreach and s.foreach.context}
    if len(contexts) > 1:
        yield ScriptProblem(file, "", f"a dialog loops over one context at most, not "
                            f"{' and '.join(sorted(c for c in contexts if c))}")
    if not any(s.kind is not StepKind.INFO for s in script.steps):
        yield ScriptProblem(file, "", "a dialog needs at least one question")
    yield from _effect_references(script, seen)


def _can_hold(condition: Condition, step: Step) -> bool:
    """False when the condition can never be true for any valid answer of that step."""
    if condition.answered is not None:
        return condition.answered or step.optional or bool(step.when)
    if step.kind is StepKind.CHOICE:
        values = set(step.choices)
        if condition.eq is not None:
            return condition.eq in values
        if condition.one_of is not None:
            return bool(values & set(condition.one_of))
        return condition.ne is not None
    if step.kind is StepKind.YESNO:
        return isinstance(condition.eq, bool) or isinstance(condition.ne, bool)
    if step.kind is StepKind.SCALE:
        numbers = range(step.scale_min, step.scale_max + 1)
        return any(condition.holds({condition.step: n}) for n in numbers)
    return condition.eq is None and condition.one_of is None and condition.lt is None and \
        condition.le is None and condition.gt is None and condition.ge is None


def _effect_references(script: Dialog, steps: Mapping[str, Step]) -> Iterator[ScriptProblem]:
    file = f"{script.name}.yaml"

    def need(key: str | None, what: str, kinds: tuple[StepKind, ...]) -> Iterator[ScriptProblem]:
        if key is None:
            return
        step = steps.get(key)
        if step is None:
            yield ScriptProblem(file, "effects", f"{what} refers to unknown step {key!r}")
        elif step.kind not in kinds:
            yield ScriptProblem(file, "effects", f"{what} needs a {'/'.join(kinds)} step, "
                                f"{key!r} is {step.kind}")

    for effect in script.effects:
        if (goal := effect.create_goal) is not None:
            yield from need(goal.title, "create_goal.title", (StepKind.TEXT,))
            yield from need(goal.due, "create_goal.due", (StepKind.DATE,))
            for key in goal.details:
                yield from need(key, "create_goal.details", tuple(StepKind))
            for source in goal.actions:
                yield from need(source.items, "actions.items", (StepKind.LIST,))
                yield from need(source.text, "actions.text", (StepKind.TEXT, StepKind.PICK))
                yield from need(source.due, "actions.due", (StepKind.DATE,))
                due = steps.get(source.due or "")
                if source.items and due is not None and (
                        due.foreach is None or due.foreach.step != source.items):
                    yield ScriptProblem(file, "effects", f"actions.due {source.due!r} must be a "
                                        f"date step with foreach over {source.items!r}")
        updates = (("update_actions", effect.update_actions, "open_actions"),
                   ("update_goals", effect.update_goals, "open_goals"))
        for name, update, context in updates:
            if update is None:
                continue
            yield from need(update.step, f"{name}.step", (StepKind.CHOICE,))
            step = steps.get(update.step)
            if step is not None and (step.foreach is None or step.foreach.context != context):
                yield ScriptProblem(file, "effects", f"{name} needs a step with "
                                    f"foreach: {{context: {context}}}")
            if step is not None:
                for value in sorted(set(step.choices) - set(update.statuses)):
                    yield ScriptProblem(file, "effects", f"{name} has no status for "
                                        f"choice {value!r}")
        if (sharing := effect.set_sharing) is not None:
            yield from need(sharing.step, "set_sharing.step", (StepKind.CHOICE, StepKind.YESNO))
        if (end := effect.set_end_date) is not None:
            yield from need(end.step, "set_end_date.step", (StepKind.DATE,))
