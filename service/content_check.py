"""`coachbot dialogs check`: prove every script and every language complete before anything runs.

Finds what would otherwise surface in front of a mentee: unknown step references, steps no answer
can reach, texts missing in a language, template syntax errors, and variables no earlier step
provides. Every problem names the file and the step. It lives in the service because the texts are
checked against the scripts, and `dialogs` does not import `prompts`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError, meta, nodes

from dialogs.check import script_references
from dialogs.registry import SCRIPTS_DIR, ScriptProblem, read_scripts
from dialogs.schema import CONTEXT_NAMES, Dialog, Step
from prompts.catalog import LANGUAGES, PROMPTS_DIR, flatten, make_environment

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
        problems.extend(script_references(script, scripts))
        for lang, lang_texts in texts.items():
            problems.extend(_texts_of(script, scripts, lang, lang_texts))
    problems.extend(_parity(texts))
    return problems

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
        words = f"{name}.steps.{step.key}.words."
        for key, said in texts.items():
            value = key.removeprefix(words)
            if key.startswith(words) and value not in step.choices:
                yield ScriptProblem(file, where, f"words for {value!r}, which is not a choice")
            elif key.startswith(words) and not (isinstance(said, list) and all(
                    isinstance(word, str) for word in said)):
                yield ScriptProblem(file, where, f"words for {value!r} must be a list of words")
        source = texts.get(f"{name}.steps.{step.key}.text")
        if isinstance(source, str):
            yield from _template(file, where, source, earlier, scripts)
        yield from _offer_texts(file, f"{name}.steps.{step.key}", step, texts, earlier, scripts)
        earlier.add(step.key)
    prefix = f"{name}.steps."
    for key in texts:
        if key.startswith(prefix) and key.removeprefix(prefix).split(".")[0] not in all_keys:
            yield ScriptProblem(file, key.removeprefix(f"{name}."), "text for a step the script "
                                "does not have")


def _offer_texts(
    file: str, prefix: str, step: Step, texts: Mapping[str, Any], earlier: set[str],
    scripts: Mapping[str, Dialog],
) -> Iterator[ScriptProblem]:
    """A step that offers a known date has its button, its typed words and its notes (kept,
    changed); one that notes a date after a known one, that note."""
    where = f"step {step.key}"
    needed = (["offer_button", "notes.kept", "notes.changed"] if step.offer else []) + \
        (["notes.after"] if step.note_after else [])
    if step.offer and not isinstance(texts.get(f"{prefix}.offer_words"), list):
        yield ScriptProblem(file, where, "offer_words missing (a list)")
    for part in needed:
        source = texts.get(f"{prefix}.{part}")
        if not isinstance(source, str):
            yield ScriptProblem(file, where, f"{part} missing")
        else:  # a note is given the date (`value`), the known date it speaks of (`known`) and
            # the ending reminders still ahead for that date (`reminders`: service.answering)
            yield from _template(file, f"{where} {part}", source,
                                 earlier | {step.key, "value", "known", "reminders"}, scripts)


def _template(
    file: str, where: str, source: str, available: set[str], scripts: Mapping[str, Dialog]
) -> Iterator[ScriptProblem]:
    env = make_environment({})
    for name in ("date", "long_date", "json"):  # the catalog's own filters (prompts.catalog)
        env.filters[name] = str
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
