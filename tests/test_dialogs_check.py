"""`coachbot dialogs check` (service/content_check.py, dialogs/check.py): shipped content passes,
broken content is named by file and step, and the command exits 1."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from dialogs.registry import SCRIPTS_DIR
from prompts.catalog import PROMPTS_DIR
from service.content_check import check

ROOT = Path(__file__).resolve().parent.parent
Capsys = pytest.CaptureFixture[str]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", "dialogs", "check", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)


def test_shipped_content_has_no_problems() -> None:
    assert check() == []
    assert check(SCRIPTS_DIR, PROMPTS_DIR) == []


def test_cli_passes_on_shipped_content() -> None:
    result = cli()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "complete" in result.stdout


@dataclass
class Content:
    """A copy of the shipped scripts and prompts that a test may break."""

    scripts: Path
    prompts: Path

    def edit(self, path: Path, change: Callable[[Any], None]) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def script(self, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        self.edit(self.scripts / f"{name}.yaml", change)

    def texts(self, lang: str, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        self.edit(self.prompts / lang / f"{name}.yaml", change)

    def problems(self) -> list[str]:
        return [str(p) for p in check(self.scripts, self.prompts)]

    def run_cli(self) -> subprocess.CompletedProcess[str]:
        """`coachbot dialogs check --scripts X --prompts Y` in a fresh interpreter."""
        return cli("--scripts", str(self.scripts), "--prompts", str(self.prompts))

    def run_main(self, capsys: Capsys) -> tuple[int, str, str]:
        """The same command through the console script's entry point, in this process (faster)."""
        capsys.readouterr()
        code = main(["dialogs", "check", "--scripts", str(self.scripts), "--prompts", str(self.prompts)])
        out, err = capsys.readouterr()
        return code, out, err


@pytest.fixture
def content(tmp_path: Path) -> Content:
    copy = Content(tmp_path / "scripts", tmp_path / "prompts")
    shutil.copytree(SCRIPTS_DIR, copy.scripts)
    shutil.copytree(PROMPTS_DIR, copy.prompts, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def step_of(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(step for step in data["steps"] if step["key"] == key)


def assert_reported(
    content: Content, capsys: Capsys | None, *expected: str
) -> list[str]:
    """check() names the problem, and the command prints that line and exits 1 (run in a fresh
    interpreter when no capsys is given, else through `main` in this process)."""
    problems = content.problems()
    for part in expected:
        assert any(part in line for line in problems), (part, problems)
    if capsys is None:
        result = content.run_cli()
        code, out, err = result.returncode, result.stdout, result.stderr
    else:
        code, out, err = content.run_main(capsys)
    assert code == 1, out + err
    lines = out.splitlines()
    for part in expected:
        assert any(part in line for line in lines), (part, out)
    assert err.rstrip().endswith((" problem found.", " problems found."))
    return problems


def test_unchanged_copy_passes(content: Content) -> None:
    assert content.problems() == []
    result = content.run_cli()
    assert result.returncode == 0, result.stdout + result.stderr


def test_when_on_an_unknown_step(content: Content, capsys: Capsys) -> None:
    content.script("agreement", lambda d: step_of(d, "meeting_rhythm_other")["when"][0].update(
        step="meeting_rythm"))
    assert_reported(content, capsys, "agreement.yaml: step meeting_rhythm_other: condition refers to "
                             "'meeting_rythm', which is not an earlier step")


def test_when_on_a_later_step(content: Content, capsys: Capsys) -> None:
    def change(data: dict[str, Any]) -> None:
        step_of(data, "goal_wish")["when"] = [{"step": "commitment", "lt": 7}]

    content.script("grow", change)
    assert_reported(content, capsys, "grow.yaml: step goal_wish: condition refers to 'commitment'")


def test_unreachable_step(content: Content, capsys: Capsys) -> None:
    content.script("agreement", lambda d: step_of(d, "meeting_rhythm_other")["when"][0].update(
        eq="sometimes"))
    assert_reported(content, capsys, "agreement.yaml: step meeting_rhythm_other: unreachable")


def test_unreachable_scale_condition(content: Content, capsys: Capsys) -> None:
    content.script("grow", lambda d: step_of(d, "commitment_raise")["when"][0].update(lt=1))
    assert_reported(content, capsys, "grow.yaml: step commitment_raise: unreachable")


def test_step_without_german_text(content: Content, capsys: Capsys) -> None:
    content.texts("de", "grow", lambda d: d["steps"]["goal_measurable"].pop("text"))
    problems = assert_reported(content, capsys, "prompts/de/grow.yaml: step goal_measurable: text missing")
    assert not any(line.startswith("prompts/en/") for line in problems), problems


def test_template_syntax_error(content: Content, capsys: Capsys) -> None:
    content.texts("en", "grow", lambda d: d["steps"]["goal_wish"].update(text="{% if %}What?"))
    assert_reported(content, capsys, "prompts/en/grow.yaml: step goal_wish: template syntax error")


def test_variable_no_earlier_step_provides(content: Content, capsys: Capsys) -> None:
    content.texts("de", "grow", lambda d: d["steps"]["goal_wish"].update(
        text="Du sagtest {{ commitment }}. Was willst du?"))
    assert_reported(content, capsys, "prompts/de/grow.yaml: step goal_wish: variable 'commitment' is not "
                             "given by any earlier step")


def test_foreach_over_a_step_that_is_not_a_list(content: Content, capsys: Capsys) -> None:
    content.script("grow", lambda d: step_of(d, "action_dates")["foreach"].update(step="goal_wish"))
    assert_reported(content, capsys, "grow.yaml: step action_dates: foreach refers to 'goal_wish', which "
                             "is not an earlier list step")


def test_pick_from_a_step_that_is_not_an_earlier_list(content: Content, capsys: Capsys) -> None:
    content.script("grow", lambda d: step_of(d, "chosen_options").update(pick_from="goal_wish"))
    assert_reported(content, capsys, "grow.yaml: step chosen_options: pick_from refers to "
                             "'goal_wish', which is not an earlier list step")


def test_pick_step_without_a_list_to_pick_from(content: Content, capsys: Capsys) -> None:
    content.script("grow", lambda d: step_of(d, "chosen_options").pop("pick_from"))
    assert_reported(content, capsys, "grow.yaml", "pick_from")


def test_goal_marks_need_a_step_per_open_goal(content: Content, capsys: Capsys) -> None:
    content.script("reflection", lambda d: step_of(d, "goal_outcomes")["foreach"].update(
        context="open_actions"))
    assert_reported(content, capsys, "reflection.yaml: effects: update_goals needs a step with "
                             "foreach: {context: open_goals}")


def test_a_dialog_loops_over_one_context_at_most(content: Content, capsys: Capsys) -> None:
    def change(data: dict[str, Any]) -> None:
        step_of(data, "achieved")["foreach"] = {"context": "open_actions"}

    content.script("reflection", change)
    assert_reported(content, capsys, "reflection.yaml: a dialog loops over one context at most, "
                             "not open_actions and open_goals")


def test_invalid_yaml_in_a_script(content: Content, capsys: Capsys) -> None:
    path = content.scripts / "grow.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - key: [unclosed\n", encoding="utf-8")
    assert_reported(content, capsys, "grow.yaml: not valid YAML")


def test_invalid_yaml_in_texts_names_the_file(content: Content, capsys: Capsys) -> None:
    path = content.prompts / "de" / "grow.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nbroken: [unclosed\n", encoding="utf-8")
    code, out, _ = content.run_main(capsys)
    assert code == 1
    assert "grow.yaml" in out, out


def test_invalid_yaml_in_texts_fails_the_check(content: Content, capsys: Capsys) -> None:
    path = content.prompts / "de" / "grow.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nbroken: [unclosed\n", encoding="utf-8")
    assert_reported(content, capsys, "prompts/de")


def test_choice_without_a_label(content: Content, capsys: Capsys) -> None:
    content.texts("de", "agreement", lambda d: d["steps"]["mentor_sees"]["choices"].pop("private"))
    assert_reported(content, capsys, "prompts/de/agreement.yaml: step mentor_sees: no label for choice "
                             "'private'")


def test_words_for_a_value_that_is_no_choice(content: Content, capsys: Capsys) -> None:
    content.texts("de", "agreement", lambda d: d["steps"]["meeting_rhythm"]["words"].update(
        daily=["täglich"]))
    assert_reported(content, capsys, "prompts/de/agreement.yaml: step meeting_rhythm: words for "
                             "'daily', which is not a choice")


def test_words_for_a_choice_are_a_list(content: Content, capsys: Capsys) -> None:
    content.texts("en", "agreement", lambda d: d["steps"]["meeting_rhythm"]["words"].update(
        weekly="weekly"))
    assert_reported(content, capsys, "prompts/en/agreement.yaml: step meeting_rhythm: words for "
                             "'weekly' must be a list of words")


def test_choice_step_with_one_choice_names_the_step(content: Content, capsys: Capsys) -> None:
    content.script("agreement", lambda d: step_of(d, "mentor_sees").update(choices=["share"]))
    assert_reported(content, capsys, "agreement.yaml: step mentor_sees")


def test_yes_no_of_a_choice_step_names_two_of_its_choices(content: Content, capsys: Capsys) -> None:
    content.script("agreement", lambda d: step_of(d, "mentor_sees").update(yes_no=["share", "all"]))
    assert_reported(content, capsys, "agreement.yaml: step mentor_sees", "yes_no")


def test_text_for_a_step_the_script_does_not_have(content: Content, capsys: Capsys) -> None:
    content.texts("en", "grow", lambda d: d["steps"].update(goal_extra={"label": "x", "text": "y"}))
    assert_reported(content, capsys, "prompts/en/grow.yaml: steps.goal_extra")


def test_several_problems_are_all_reported(content: Content) -> None:
    content.texts("en", "grow", lambda d: d["steps"]["goal_wish"].update(text="{% if %}"))
    content.texts("de", "agreement", lambda d: d["steps"]["mentor_sees"]["choices"].pop("share"))
    content.script("agreement", lambda d: step_of(d, "meeting_rhythm_other")["when"][0].update(
        eq="never"))
    problems = assert_reported(
        content, None, "prompts/en/grow.yaml: step goal_wish", "prompts/de/agreement.yaml: step mentor_sees",
        "agreement.yaml: step meeting_rhythm_other: unreachable")
    assert len(problems) >= 3


def test_a_step_that_offers_a_date_without_its_note(content: Content, capsys: Capsys) -> None:
    """The agreement's end offers the planned end: its "changed" note (and the other offer
    texts) must be there in every language."""
    content.texts("de", "agreement", lambda d: d["steps"]["end_date"]["notes"].pop("changed"))
    assert_reported(content, capsys, "prompts/de/agreement.yaml: step end_date: notes.changed missing")
