"""`coachbot dialogs check`: prove every script and every language complete before anything runs.

Finds what would otherwise surface in front of a mentee: unknown step references, steps no answer
can reach, texts missing in a language, template syntax errors, and variables no earlier step
provides. Every problem names the file and the step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError, meta, nodes

from coachbot.dialogs.registry import SCRIPTS_DIR, ScriptProblem, read_scripts
from coachbot.dialogs.schema import Condition, Dialog, Step, StepKind
from coachbot.prompts.catalog import LANGUAGES, PROMPTS_DIR, flatten, make_environment
from coachbot.service.context import CONTEXT_NAMES

REQUIRED_DIALOG_TEXTS = ("title", "description", "done")


def check(scripts_dir: Path = SCRIPTS_DIR, prompts_dir: Path = PROMPTS_DIR) -> list[ScriptProblem]:
    """Every problem in the scripts and texts under these directories (empty when all is well)."""
    scripts, problems = read_scripts(scripts_dir)
    texts: dict[str, dict[str, Any]] = {}
    for lang in LANGUAGES:
        folder = prompts_dir / lang
        if not folder.is_dir():
            problems.append(ScriptProblem(f"prompts/{lang}", "", "language folder missing"))
            continue
        texts[lang] = {}
        for path in sorted(folder.glob("*.yaml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                problems.append(ScriptProblem(f"prompts/{lang}/{path.name}", "",
                                              f"not valid YAML: {exc}"))
                continue
            if not isinstance(data, dict):
                problems.append(ScriptProblem(f"prompts/{lang}/{path.name}", "",
                                              "must be a mapping of keys to texts"))
                continue
            texts[lang].update(flatten(data, path.stem))
    for script in scripts.values():
        problems.extend(_script_references(script, scripts))
        for lang, lang_texts in texts.items():
            problems.extend(_texts_of(script, scripts, lang, lang_texts))
    problems.extend(_parity(texts))
    return problems


# --- references inside one script ----------------------------------------------------------------


def _script_references(script: Dialog, scripts: Mapping[str, Dialog]) -> Iterator[ScriptProblem]:
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
        if step.foreach is not None and step.foreach.step is not None:
            source = seen.get(step.foreach.step)
            if source is None or source.kind is not StepKind.LIST:
                yield ScriptProblem(file, where, f"foreach refers to {step.foreach.step!r}, "
                                    "which is not an earlier list step")
        seen[step.key] = step
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
                yield from need(source.text, "actions.text", (StepKind.TEXT,))
                yield from need(source.due, "actions.due", (StepKind.DATE,))
                due = steps.get(source.due or "")
                if source.items and due is not None and (
                        due.foreach is None or due.foreach.step != source.items):
                    yield ScriptProblem(file, "effects", f"actions.due {source.due!r} must be a "
                                        f"date step with foreach over {source.items!r}")
        if (update := effect.update_actions) is not None:
            yield from need(update.step, "update_actions.step", (StepKind.CHOICE,))
            step = steps.get(update.step)
            if step is not None and (step.foreach is None or step.foreach.context != "open_actions"):
                yield ScriptProblem(file, "effects", "update_actions needs a step with "
                                    "foreach: {context: open_actions}")
            if step is not None:
                for value in set(step.choices) - set(update.statuses):
                    yield ScriptProblem(file, "effects", f"update_actions has no status for "
                                        f"choice {value!r}")
        if (sharing := effect.set_sharing) is not None:
            yield from need(sharing.step, "set_sharing.step", (StepKind.CHOICE, StepKind.YESNO))
        if (end := effect.set_end_date) is not None:
            yield from need(end.step, "set_end_date.step", (StepKind.DATE,))


# --- texts -----------------------------------------------------------------------------------------


def _texts_of(
    script: Dialog, scripts: Mapping[str, Dialog], lang: str, texts: Mapping[str, Any]
) -> Iterator[ScriptProblem]:
    file = f"prompts/{lang}/{script.name}.yaml"
    name = script.name
    for key in REQUIRED_DIALOG_TEXTS:
        if not isinstance(texts.get(f"{name}.{key}"), str):
            yield ScriptProblem(file, key, "text missing")
    all_keys = {s.key for s in script.steps}
    for template_key in ("intro", "done"):
        source = texts.get(f"{name}.{template_key}")
        if isinstance(source, str):
            yield from _template(file, template_key, source, all_keys, scripts)
    earlier: set[str] = set()
    for step in script.steps:
        where = f"step {step.key}"
        for part in ("label", "text"):
            if not isinstance(texts.get(f"{name}.steps.{step.key}.{part}"), str):
                yield ScriptProblem(file, where, f"{part} missing")
        for value in step.choices:
            if not isinstance(texts.get(f"{name}.steps.{step.key}.choices.{value}"), str):
                yield ScriptProblem(file, where, f"no label for choice {value!r}")
        source = texts.get(f"{name}.steps.{step.key}.text")
        if isinstance(source, str):
            yield from _template(file, where, source, earlier, scripts)
        earlier.add(step.key)
    prefix = f"{name}.steps."
    for key in texts:
        if key.startswith(prefix) and key.removeprefix(prefix).split(".")[0] not in all_keys:
            yield ScriptProblem(file, key.removeprefix(f"{name}."), "text for a step the script "
                                "does not have")


def _template(
    file: str, where: str, source: str, available: set[str], scripts: Mapping[str, Dialog]
) -> Iterator[ScriptProblem]:
    env = make_environment({})
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        yield ScriptProblem(file, where, f"template syntax error on line {exc.lineno}: "
                            f"{exc.message}")
        return
    for variable in sorted(meta.find_undeclared_variables(tree)):
        if variable in available or variable in CONTEXT_NAMES:
            continue
        if variable in scripts:
            continue
        yield ScriptProblem(file, where, f"variable {variable!r} is not given by any earlier step")
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name in scripts:
            keys = {s.key for s in scripts[node.node.name].steps}
            if node.attr not in keys:
                yield ScriptProblem(file, where, f"{node.node.name}.{node.attr}: dialog "
                                    f"{node.node.name!r} has no step {node.attr!r}")


def _parity(texts: Mapping[str, Mapping[str, Any]]) -> Iterator[ScriptProblem]:
    """Every language has every key that another has."""
    all_keys = set().union(*(set(t) for t in texts.values())) if texts else set()
    for lang, lang_texts in texts.items():
        for key in sorted(all_keys - set(lang_texts)):
            file, _, rest = key.partition(".")
            yield ScriptProblem(f"prompts/{lang}/{file}.yaml", rest, "missing in this language")
