"""The pure dialog engine (dialogs/engine.py) on small inline scripts and the shipped ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from dialogs.engine import (
    CONFIRM,
    EDIT_PREFIX,
    KEEP,
    LIST_DONE,
    OFFER,
    Ask,
    Command,
    EngineContext,
    Finished,
    Info,
    Input,
    Note,
    Outcome,
    Pick,
    Summary,
    Text,
    advance,
    current,
    start,
)
from dialogs.registry import default_scripts
from dialogs.schema import Dialog
from dialogs.state import SUMMARY, RunState
from prompts.catalog import CatalogLexicon, default_catalog

TODAY = date(2026, 11, 21)
OPEN_ACTIONS = ({"ref": 1, "text": "Call Sam"}, {"ref": 2, "text": "Draft CV"})


def context(lang: str = "en") -> EngineContext:
    steps = {name: [s.key for s in d.steps] for name, d in default_scripts().by_name.items()}
    return EngineContext(today=TODAY, lang=lang,
                         lexicon=CatalogLexicon(default_catalog(), lang, steps),
                         open_actions=OPEN_ACTIONS)


def dialog(steps: list[dict[str, Any]], summary: bool = True) -> Dialog:
    return Dialog.model_validate({"name": "demo", "stage": "establishing", "summary": summary,
                                  "steps": steps})


def shipped(name: str) -> Dialog:
    return default_scripts().get(name)


def as_input(event: Input | str) -> Input:
    """Commands and picks as they are; a plain str (Command is a str too) is typed text."""
    if isinstance(event, Command | Pick | Text):
        return event
    return Text(event)


def run(script: Dialog, inputs: Iterable[Input | str], lang: str = "en") -> Outcome:
    """Start the script and feed the inputs (a plain str is typed text); the last outcome."""
    ctx = context(lang)
    outcome = start(script, ctx)
    for event in inputs:
        outcome = advance(script, outcome.state, as_input(event), ctx)
    return outcome


def step_to(script: Dialog, inputs: Iterable[Input | str], lang: str = "en") -> RunState:
    return run(script, inputs, lang).state


def step_to_from(script: Dialog, state: RunState, inputs: Iterable[Input | str]) -> RunState:
    ctx = context()
    for event in inputs:
        state = advance(script, state, as_input(event), ctx).state
    return state


def only_ask(outcome: Outcome) -> Ask:
    asks = [r for r in outcome.replies if isinstance(r, Ask)]
    assert len(asks) == 1, outcome.replies
    return asks[0]


def notes(outcome: Outcome) -> list[str]:
    return [r.code for r in outcome.replies if isinstance(r, Note)]


THREE = dialog([
    {"key": "first", "kind": "text"},
    {"key": "middle", "kind": "text", "optional": True},
    {"key": "last", "kind": "text"},
])

BRANCH = dialog([
    {"key": "score", "kind": "scale"},
    {"key": "why", "kind": "text", "when": [{"step": "score", "lt": 7}]},
    {"key": "closing", "kind": "text"},
])


# --- back -------------------------------------------------------------------------------------------


def test_back_shows_the_previous_answer() -> None:
    state = step_to(THREE, ["one", "two"])
    assert state.step == "last"
    outcome = advance(THREE, state, Command.BACK, context())
    assert outcome.state.step == "middle"
    assert outcome.replies == (Ask("middle", previous="two"),)
    assert outcome.saves == {}
    again = advance(THREE, outcome.state, Command.BACK, context())
    assert again.state.step == "first"
    assert again.replies == (Ask("first", previous="one"),)
    assert dict(again.state.answers) == {"first": "one", "middle": "two"}


def test_back_then_keep_moves_on_with_the_same_answer() -> None:
    state = advance(THREE, step_to(THREE, ["one", "two"]), Command.BACK, context()).state
    outcome = advance(THREE, state, Pick("middle", KEEP), context())
    assert outcome.state.step == "last"
    assert outcome.saves == {"middle": "two"}


def test_a_revision_starts_with_the_earlier_answers_shown_and_saves_each_once_kept() -> None:
    outcome = start(THREE, context(), {"first": "one", "middle": "two", "unknown": "x"})
    assert outcome.replies == (Ask("first", previous="one"),)
    assert outcome.saves == {}
    assert dict(outcome.state.answers) == {"first": "one", "middle": "two"}
    kept = advance(THREE, outcome.state, Pick("first", KEEP), context())
    assert kept.saves == {"first": "one"}
    assert kept.replies == (Ask("middle", previous="two"),)
    changed = advance(THREE, kept.state, Text("2"), context())
    assert changed.saves == {"middle": "2"}


def test_back_at_first_step_gives_note_at_first() -> None:
    state = step_to(THREE, [])
    outcome = advance(THREE, state, Command.BACK, context())
    assert outcome.state == state
    assert outcome.replies[0] == Note("at_first")
    assert only_ask(outcome).step == "first"


# --- skip -------------------------------------------------------------------------------------------


def test_skip_on_a_required_step_gives_cannot_skip() -> None:
    state = step_to(THREE, [])
    outcome = advance(THREE, state, Command.SKIP, context())
    assert notes(outcome) == ["cannot_skip"]
    assert outcome.state == state
    assert outcome.saves == {}
    assert only_ask(outcome).step == "first"


def test_skip_on_an_optional_step_without_answer_moves_on() -> None:
    outcome = run(THREE, ["one", Command.SKIP])
    assert notes(outcome) == ["skipped"]
    assert outcome.state.step == "last"
    assert "middle" not in outcome.state.answers
    assert outcome.saves == {}


def test_skip_on_an_optional_step_keeps_an_earlier_answer() -> None:
    outcome = run(THREE, ["one", "two", Command.BACK, Command.SKIP])
    assert outcome.state.step == "last"
    assert outcome.state.answers["middle"] == "two"
    assert outcome.saves.get("middle", "two") == "two"


# --- branches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "next_step"), [("5", "why"), ("6", "why"), ("7", "closing"),
                                                  ("8", "closing")])
def test_branch_lt_7(score: str, next_step: str) -> None:
    outcome = run(BRANCH, [score])
    assert outcome.state.step == next_step
    assert outcome.saves == {"score": int(score)}


def test_changing_the_branching_answer_from_the_summary_drops_the_branched_answer() -> None:
    ctx = context()
    at_summary = run(BRANCH, ["5", "because", "bye"])
    assert at_summary.state.step == SUMMARY
    summary = at_summary.replies[-1]
    assert isinstance(summary, Summary)
    assert [k for k, _ in summary.entries] == ["score", "why", "closing"]

    edit = advance(BRANCH, at_summary.state, Pick(SUMMARY, EDIT_PREFIX + "score"), ctx)
    assert edit.replies == (Ask("score", previous=5),)
    assert edit.state.editing
    changed = advance(BRANCH, edit.state, Text("8"), ctx)
    assert changed.saves == {"score": 8}
    assert changed.deletes == ()
    assert changed.state.step == SUMMARY  # "closing" is answered, "why" no longer applies
    summary = changed.replies[-1]
    assert isinstance(summary, Summary)
    assert [k for k, _ in summary.entries] == ["score", "closing"]

    done = advance(BRANCH, changed.state, Pick(SUMMARY, CONFIRM), ctx)
    assert done.finished
    assert done.deletes == ("why",)
    assert dict(done.state.answers) == {"score": 8, "closing": "bye"}
    assert done.replies == (Finished(),)


def test_confirm_after_back_to_the_summary_cannot_skip_a_newly_required_step() -> None:
    ctx = context()
    state = step_to(BRANCH, ["8", "bye", Pick(SUMMARY, EDIT_PREFIX + "score"), "5"])
    assert state.step == "why"
    state = step_to_from(BRANCH, state, [Command.BACK, Command.BACK])
    assert state.step == SUMMARY
    outcome = advance(BRANCH, state, Pick(SUMMARY, CONFIRM), ctx)
    assert not outcome.finished or "why" in outcome.state.answers


def test_summary_edit_by_number_and_by_label() -> None:
    script = shipped("agenda")
    state = step_to(script, ["topic", Pick("topics", LIST_DONE), "a clear plan", Command.SKIP, Command.SKIP])
    assert state.step == SUMMARY
    by_number = advance(script, state, Text("2"), context())
    assert by_number.state.step == "want_from_meeting"
    label = default_catalog().raw("en", "agenda.steps.want_from_meeting.label")
    by_label = advance(script, state, Text(str(label).upper()), context())
    assert by_label.state.step == "want_from_meeting"
    confirm = advance(script, state, Text("looks good"), context())
    assert confirm.finished


def test_summary_refuses_forged_picks() -> None:
    state = step_to(THREE, ["one", "two", "three"])
    for value in ("edit:nonexistent", "edit:", "__keep__", "__done__", "confirmed"):
        outcome = advance(THREE, state, Pick(SUMMARY, value), context())
        assert outcome.state == state, value
        summary = outcome.replies[-1]
        assert isinstance(summary, Summary)
        assert summary.problem == "pick_or_confirm"
    stale = advance(THREE, state, Pick("first", "x"), context())
    assert stale.state == state
    assert stale.replies[0] == Note("stale_button")


# --- lists ------------------------------------------------------------------------------------------

LIST = dialog([
    {"key": "items", "kind": "list", "min_items": 2, "max_items": 3},
    {"key": "after", "kind": "text"},
])
GROW = shipped("grow")


def test_list_collects_items_and_done_finishes_it() -> None:
    ctx = context()
    first = run(LIST, ["alpha"])
    assert first.saves == {"items": ["alpha"]}
    assert first.state.step == "items"
    assert first.replies == (Ask("items", collected=("alpha",)),)
    second = advance(LIST, first.state, Text("beta"), ctx)
    assert second.saves == {"items": ["alpha", "beta"]}
    done = advance(LIST, second.state, Command.DONE, ctx)
    assert done.state.step == "after"
    assert done.saves == {"items": ["alpha", "beta"]}


@pytest.mark.parametrize("finish", [Command.DONE, Pick("items", LIST_DONE), "done", "That's all",
                                    "fertig"])
def test_list_is_finished_by_done_in_any_form(finish: Input | str) -> None:
    outcome = run(LIST, ["alpha", "beta", finish])
    assert outcome.state.step == "after"
    assert outcome.state.answers["items"] == ["alpha", "beta"]


@pytest.mark.parametrize(("lang", "finish"), [("en", Command.SKIP), ("en", "skip"),
                                              ("en", "Nothing"), ("en", "no"),
                                              ("de", "überspringen"), ("de", "nichts"),
                                              ("de", "Nein")])
def test_a_list_with_its_items_is_finished_by_skip_or_by_saying_nothing_more(
        lang: str, finish: Input | str) -> None:
    """ "Anything else?" answered with "no" or /skip: the list so far is the answer, never an
    item called "no" nor a "this can't be skipped" after the items were given."""
    state = step_to(LIST, ["alpha", "beta"])
    event = Text(finish) if isinstance(finish, str) else finish
    outcome = advance(LIST, state, event, context(lang))
    assert outcome.state.step == "after"
    assert outcome.state.answers["items"] == ["alpha", "beta"]


def test_skip_on_a_list_short_of_its_minimum_says_how_many_it_takes() -> None:
    state = step_to(LIST, ["alpha"])
    outcome = advance(LIST, state, Command.SKIP, context())
    assert outcome.replies == (Ask("items", problem="list_too_short", collected=("alpha",)),)


def test_list_min_items_is_enforced() -> None:
    state = step_to(LIST, ["alpha"])
    outcome = advance(LIST, state, Command.DONE, context())
    assert outcome.state == state
    assert outcome.replies == (Ask("items", problem="list_too_short", collected=("alpha",)),)


def test_one_item_before_the_end_the_question_says_one_more_fits() -> None:
    assert only_ask(run(LIST, ["a"])).room is None  # two more fit: nothing to warn of
    assert run(LIST, ["a", "b"]).replies == (Ask("items", collected=("a", "b"), room=1),)
    state = RunState(step="options")  # GROW's options, ten at most
    ctx = context()
    for number in range(1, 10):
        outcome = advance(GROW, state, Text(f"option {number}"), ctx)
        state = outcome.state
    assert only_ask(outcome).room == 1
    assert len(only_ask(outcome).collected) == 9


def test_a_full_list_waits_for_that_s_all_and_a_line_typed_after_is_not_the_next_answer() -> None:
    full = run(LIST, ["a", "b", "c"])
    assert full.state.step == "items"  # full: said so, and the list waits for "That's all"
    assert full.replies == (Ask("items", collected=("a", "b", "c"), room=0),)
    assert full.saves == {"items": ["a", "b", "c"]}
    more = advance(LIST, full.state, Text("d"), context())
    assert more.state == full.state  # not added, and not the answer to "after"
    assert more.replies == (Note("list_full", 1), Ask("items", collected=("a", "b", "c"), room=0))
    assert more.saves == {}
    done = advance(LIST, more.state, Text("That's all"), context())
    assert done.state.step == "after"
    assert done.state.answers == {"items": ["a", "b", "c"]}
    assert run(LIST, ["a", "b", "c", Command.SKIP]).state.step == "after"  # /skip: no more


def test_the_grow_options_list_full_keeps_the_eleventh_line_from_the_obstacles() -> None:
    """The walk: ten options, then an eleventh typed at once. It used to become the first
    obstacle; now it is said not added and the options wait for "That's all"."""
    ctx = context()
    state = RunState(step="options")
    for number in range(1, 12):
        outcome = advance(GROW, state, Text(f"option {number}"), ctx)
        state = outcome.state
    assert state.step == "options"
    assert state.answers == {"options": [f"option {n}" for n in range(1, 11)]}
    assert notes(outcome) == ["list_full"]
    state = advance(GROW, state, Pick("options", LIST_DONE), ctx).state
    assert state.step == "obstacles"
    assert "obstacles" not in state.answers


def test_a_full_list_takes_no_more_items_after_back() -> None:
    full = run(LIST, ["a", "b", "c", Command.DONE])
    assert full.state.step == "after"
    outcome = run(LIST, ["a", "b", "c", Command.DONE, Command.BACK, "d"])
    assert outcome.state.answers["items"] == ["a", "b", "c"]
    assert outcome.state.step == "items"
    assert notes(outcome) == ["list_full"]


def test_list_refuses_empty_items_and_other_buttons() -> None:
    state = step_to(LIST, ["alpha"])
    for event in (Text("   "), Text("\x00\x01"), Pick("items", "something")):
        outcome = advance(LIST, state, event, context())
        assert outcome.state == state
        assert only_ask(outcome).problem in ("empty", "not_understood")


@pytest.mark.parametrize("typed", ["\u200b", "\u200c \u200d", " \ufeff\u2060 \n\u200b "])
def test_only_invisible_characters_are_no_answer(typed: str) -> None:
    """Zero-width spaces and joiners, a word joiner or a BOM show nothing: asked again, as
    for a blank message, and nothing is saved."""
    for script, answered in ((THREE, []), (LIST, ["alpha"])):
        state = step_to(script, answered)
        outcome = advance(script, state, Text(typed), context())
        assert outcome.state == state
        assert outcome.saves == {}
        assert only_ask(outcome).problem == "empty"
    assert run(THREE, ["a\u200d\u200bb"]).saves == {"first": "a\u200d\u200bb"}  # inside text: kept


def test_a_message_of_several_lines_adds_one_item_per_line() -> None:
    outcome = run(LIST, ["- alpha\n\n2) beta  "])
    assert outcome.saves == {"items": ["alpha", "beta"]}
    assert outcome.state.step == "items"
    full = run(LIST, ["a\nb\nc\nd\ne"])  # what fits is added; the lines left out are said
    assert full.replies == (Note("list_cut", 2), Ask("items", collected=("a", "b", "c"), room=0))
    assert full.saves == {"items": ["a", "b", "c"]}
    assert full.state.step == "items"
    assert run(LIST, ["alpha", "x" * 4001 + "\nbeta"]).state.answers["items"] == ["alpha"]
    assert run(LIST, ["• gamma", "-", "-3 degrees"]).state.answers["items"] == ["gamma", "-",
                                                                              "-3 degrees"]


# --- pick: choosing from an earlier list ------------------------------------------------------------

PICK_SEVERAL = dialog([
    {"key": "ideas", "kind": "list"},
    {"key": "chosen", "kind": "pick", "pick_from": "ideas"},
    {"key": "after", "kind": "text"},
])
PICK_ONE = dialog([
    {"key": "ideas", "kind": "list"},
    {"key": "first", "kind": "pick", "pick_from": "ideas", "max_items": 1, "allow_new": True},
    {"key": "after", "kind": "text"},
])
IDEAS = ["Join a club\nTalk at work\nRead a book", Command.DONE]
TWO_CHOICES = dialog([{"key": "mode", "kind": "choice", "choices": ["call", "meet"]},
                      {"key": "after", "kind": "text"}])


@pytest.mark.parametrize(("script", "answered", "refused"), [
    (THREE, ["one"], [Command.SKIP, "", Command.DONE, Pick("last", "x")]),
    (TWO_CHOICES, ["2"], ["4", "", Command.SKIP]),
    (PICK_ONE, [*IDEAS, "2"], [Command.SKIP, "", "7", Command.DONE]),
])
def test_after_back_the_earlier_answer_and_keep_stay_through_refused_inputs(
    script: Dialog, answered: list[Input | str], refused: list[Input | str]
) -> None:
    state = step_to(script, [*answered, Command.BACK])
    earlier = only_ask(advance(script, state, Command.SHOW, context())).previous
    assert earlier is not None
    for event in refused:
        outcome = advance(script, state, as_input(event), context())
        assert outcome.state == state
        assert only_ask(outcome).previous == earlier
    kept = advance(script, state, Pick(state.step, KEEP), context())
    assert kept.saves == {state.step: earlier}
    assert kept.state.step != state.step


def test_pick_offers_the_items_of_the_earlier_list() -> None:
    outcome = run(PICK_SEVERAL, IDEAS)
    assert outcome.state.step == "chosen"
    assert only_ask(outcome) == Ask("chosen", options=("Join a club", "Talk at work", "Read a book"))


def test_pick_several_by_button_then_done() -> None:
    ctx = context()
    state = step_to(PICK_SEVERAL, [*IDEAS, Pick("chosen", "Read a book")])
    assert state.step == "chosen"
    assert state.answers["chosen"] == ["Read a book"]
    again = advance(PICK_SEVERAL, state, Pick("chosen", "Join a club"), ctx)
    assert only_ask(again).collected == ("Read a book", "Join a club")
    assert again.saves == {"chosen": ["Read a book", "Join a club"]}
    undone = advance(PICK_SEVERAL, again.state, Pick("chosen", "Read a book"), ctx)
    assert undone.state.answers["chosen"] == ["Join a club"]  # pressed again: removed
    done = advance(PICK_SEVERAL, undone.state, Pick("chosen", LIST_DONE), ctx)
    assert done.state.step == "after"
    assert done.saves == {"chosen": ["Join a club"]}


@pytest.mark.parametrize(("typed", "chosen"), [("1, 3", ["Join a club", "Read a book"]),
                                               ("3 1", ["Read a book", "Join a club"]),
                                               ("talk AT  work", ["Talk at work"])])
def test_pick_several_typed_by_number_or_text(typed: str, chosen: list[str]) -> None:
    outcome = run(PICK_SEVERAL, [*IDEAS, typed])
    assert outcome.state.answers["chosen"] == chosen
    assert outcome.state.step == "chosen"
    assert run(PICK_SEVERAL, [*IDEAS, typed, "done"]).state.step == "after"


def test_picking_every_item_ends_the_step() -> None:
    outcome = run(PICK_SEVERAL, [*IDEAS, "1, 2", Pick("chosen", "Read a book")])
    assert outcome.state.step == "after"
    assert outcome.saves == {"chosen": ["Join a club", "Talk at work", "Read a book"]}


@pytest.mark.parametrize("typed", ["4", "0", "1, 9", "Something else", "²", "1" * 5000])
def test_pick_refuses_what_is_not_on_the_list(typed: str) -> None:
    state = step_to(PICK_SEVERAL, IDEAS)
    outcome = advance(PICK_SEVERAL, state, Text(typed), context())
    assert outcome.state == state
    assert only_ask(outcome).problem == "not_a_choice"
    forged = advance(PICK_SEVERAL, state, Pick("chosen", "Not an idea"), context())
    assert forged.state == state


def test_pick_needs_one_before_done() -> None:
    state = step_to(PICK_SEVERAL, IDEAS)
    outcome = advance(PICK_SEVERAL, state, Command.DONE, context())
    assert outcome.state == state
    assert only_ask(outcome).problem == "list_too_short"


def test_pick_one_answers_at_once_by_button_number_or_a_new_item() -> None:
    assert run(PICK_ONE, [*IDEAS, Pick("first", "Talk at work")]).saves == {"first": ["Talk at work"]}
    assert run(PICK_ONE, [*IDEAS, "2"]).state.answers["first"] == ["Talk at work"]
    new = run(PICK_ONE, [*IDEAS, "Ask my boss"])
    assert new.state.step == "after"
    assert new.state.answers["first"] == ["Ask my boss"]
    assert only_ask(run(PICK_ONE, [*IDEAS, "1, 2"])).problem == "not_a_choice"


def test_pick_one_after_back_shows_and_keeps_the_earlier_pick() -> None:
    outcome = run(PICK_ONE, [*IDEAS, "2", Command.BACK])
    assert only_ask(outcome).previous == ["Talk at work"]
    kept = advance(PICK_ONE, outcome.state, Pick("first", KEEP), context())
    assert kept.state.step == "after"
    assert kept.state.answers["first"] == ["Talk at work"]


def test_pick_from_an_empty_list_is_left_out() -> None:
    script = dialog([
        {"key": "ideas", "kind": "list", "optional": True},
        {"key": "chosen", "kind": "pick", "pick_from": "ideas"},
        {"key": "after", "kind": "text"},
    ])
    outcome = run(script, [Command.SKIP])
    assert outcome.state.step == "after"
    assert run(script, [Command.SKIP, "fine", Pick(SUMMARY, CONFIRM)]).finished


# --- foreach ----------------------------------------------------------------------------------------

FOREACH = dialog([
    {"key": "steps", "kind": "list"},
    {"key": "dates", "kind": "date", "optional": True, "foreach": {"step": "steps"}},
    {"key": "after", "kind": "text"},
])


def test_foreach_over_a_list_asks_per_item_with_index_and_count() -> None:
    ctx = context()
    listed = run(FOREACH, ["call Sam", "draft CV", Command.DONE])
    assert listed.state.step == "dates"
    assert only_ask(listed) == Ask("dates", index=0, count=2, item="call Sam")
    first = advance(FOREACH, listed.state, Text("2026-12-01"), ctx)
    assert only_ask(first) == Ask("dates", index=1, count=2, item="draft CV")
    assert first.saves == {"dates": [{"ref": 0, "item": "call Sam", "value": "2026-12-01"},
                                     {"ref": 1, "item": "draft CV", "value": None}]}
    second = advance(FOREACH, first.state, Command.SKIP, ctx)
    assert second.state.step == "after"
    assert second.state.answers["dates"] == [
        {"ref": 0, "item": "call Sam", "value": "2026-12-01"},
        {"ref": 1, "item": "draft CV", "value": None}]


def test_foreach_back_returns_to_the_previous_item() -> None:
    state = step_to(FOREACH, ["a", "b", Command.DONE, "2026-12-01"])
    assert (state.step, state.index) == ("dates", 1)
    back = advance(FOREACH, state, Command.BACK, context())
    assert (back.state.step, back.state.index) == ("dates", 0)
    assert back.replies == (Ask("dates", 0, 2, "a", previous="2026-12-01"),)


def test_foreach_asks_about_an_item_added_to_the_list_from_the_summary() -> None:
    ctx = context()
    state = step_to(FOREACH, ["a", Command.DONE, "2026-12-01", "after"])
    assert state.step == SUMMARY
    state = step_to_from(FOREACH, state, [Pick(SUMMARY, EDIT_PREFIX + "steps"), "b"])
    done = advance(FOREACH, state, Command.DONE, ctx)
    assert done.state.step == "dates"
    assert only_ask(done) == Ask("dates", index=1, count=2, item="b")  # only the new one
    dated = advance(FOREACH, done.state, Text("2026-12-05"), ctx)
    assert dated.state.step == SUMMARY
    assert dated.state.answers["dates"] == [
        {"ref": 0, "item": "a", "value": "2026-12-01"},
        {"ref": 1, "item": "b", "value": "2026-12-05"}]


def test_foreach_asks_about_an_item_added_after_back() -> None:
    state = step_to(FOREACH, ["a", Command.DONE, "2026-12-01", Command.BACK, Command.BACK, "b",
                              Command.DONE])
    assert (state.step, state.index) == ("dates", 0)
    assert current(FOREACH, state) == (Ask("dates", 0, 2, "a", previous="2026-12-01"),)
    kept = advance(FOREACH, state, Pick("dates", KEEP), context())
    assert only_ask(kept) == Ask("dates", 1, 2, "b")
    assert kept.saves == {"dates": [{"ref": 0, "item": "a", "value": "2026-12-01"},
                                    {"ref": 1, "item": "b", "value": None}]}


def test_foreach_over_open_actions_in_the_checkin() -> None:
    script = shipped("checkin")
    ctx = context()
    opened = start(script, ctx)
    assert opened.replies[0] == Info("overview")
    assert opened.replies[1] == Ask("action_status", index=0, count=2, item="Call Sam")
    first = advance(script, opened.state, Text("1"), ctx)
    assert only_ask(first) == Ask("action_status", index=1, count=2, item="Draft CV")
    second = advance(script, first.state, Pick("action_status", "dropped"), ctx)
    assert second.state.step == "helped"
    assert second.state.answers["action_status"] == [
        {"ref": 1, "item": "Call Sam", "value": "done"},
        {"ref": 2, "item": "Draft CV", "value": "dropped"}]


def test_foreach_over_no_open_actions_is_left_out() -> None:
    script = shipped("checkin")
    ctx = EngineContext(today=TODAY, lang="en", lexicon=context().lexicon, open_actions=())
    opened = start(script, ctx)
    assert opened.state.step == "helped"


# --- fixing a list ----------------------------------------------------------------------------------

WITH_PICK_AND_DATES = dialog([
    {"key": "ideas", "kind": "list"},
    {"key": "chosen", "kind": "pick", "pick_from": "ideas"},
    {"key": "dates", "kind": "date", "optional": True, "foreach": {"step": "ideas"}},
    {"key": "after", "kind": "text"},
])
PICKED = [*IDEAS, "1, 2", Command.DONE, "2026-12-01", "2026-12-02", "2026-12-03", "after"]


def at_ideas_from_the_summary(lang: str) -> RunState:
    state = step_to(WITH_PICK_AND_DATES, PICKED, lang)
    assert state.step == SUMMARY
    return advance(WITH_PICK_AND_DATES, state, Text("1"), context(lang)).state


@pytest.mark.parametrize(("lang", "typed"), [
    ("en", "remove 2"), ("en", "Delete 2."), ("en", "remove #2"), ("de", "2 löschen"),
    ("de", "streiche 2"), ("de", "2 weg"), ("de", "remove 2")])
def test_an_item_of_a_list_is_taken_out_by_its_number_and_what_follows_the_list_loses_it(
        lang: str, typed: str) -> None:
    """A wrong item could only be added to, never taken out, and later picks still offered it."""
    state = at_ideas_from_the_summary(lang)
    assert only_ask(advance(WITH_PICK_AND_DATES, state, Command.SHOW, context(lang))).collected \
        == ("Join a club", "Talk at work", "Read a book")
    fixed = advance(WITH_PICK_AND_DATES, state, Text(typed), context(lang))
    assert fixed.replies == (Note("list_removed", ["Talk at work"]),
                             Ask("ideas", collected=("Join a club", "Read a book")))
    # one outcome (one transaction): the list, the pick from it and the per-item answers
    assert fixed.saves == {
        "ideas": ["Join a club", "Read a book"], "chosen": ["Join a club"],
        "dates": [{"ref": 0, "item": "Join a club", "value": "2026-12-01"},
                  {"ref": 1, "item": "Read a book", "value": "2026-12-03"}]}
    assert fixed.deletes == ()
    done = advance(WITH_PICK_AND_DATES, fixed.state, Command.DONE, context(lang))
    summary = done.replies[-1]
    assert isinstance(summary, Summary)
    assert dict(summary.entries)["chosen"] == ["Join a club"]
    pick = step_to_from(WITH_PICK_AND_DATES, done.state, [Pick(SUMMARY, EDIT_PREFIX + "chosen")])
    assert current(WITH_PICK_AND_DATES, pick)[0] == Ask(
        "chosen", collected=("Join a club",), options=("Join a club", "Read a book"))


def test_several_items_go_at_once_and_a_number_not_on_the_list_takes_none() -> None:
    state = at_ideas_from_the_summary("en")
    fixed = advance(WITH_PICK_AND_DATES, state, Text("remove 1 and 3"), context())
    assert fixed.state.answers["ideas"] == ["Talk at work"]
    assert fixed.replies[0] == Note("list_removed", ["Join a club", "Read a book"])
    for typed in ("remove 4", "remove 0", "remove"):
        refused = advance(WITH_PICK_AND_DATES, state, Text(typed), context())
        assert refused.state == state
        assert only_ask(refused).problem == "not_on_list"


@pytest.mark.parametrize(("lang", "typed"), [("en", "start over"), ("de", "neu"),
                                             ("de", "von vorn")])
def test_start_over_empties_the_list_and_the_picks_from_it_are_asked_again(
        lang: str, typed: str) -> None:
    state = at_ideas_from_the_summary(lang)
    emptied = advance(WITH_PICK_AND_DATES, state, Text(typed), context(lang))
    assert emptied.replies == (Note("list_emptied"), Ask("ideas"))
    assert emptied.saves == {}
    assert set(emptied.deletes) == {"ideas", "chosen", "dates"}
    assert only_ask(advance(WITH_PICK_AND_DATES, emptied.state, Command.DONE,
                            context(lang))).problem == "list_too_short"
    state = step_to_from(WITH_PICK_AND_DATES, emptied.state, ["Run a marathon", Command.DONE])
    assert current(WITH_PICK_AND_DATES, state) == (Ask("chosen", options=("Run a marathon",)),)


@pytest.mark.parametrize("typed", ["Remove barriers at work", "remove", "neu", "Delete 2 apps"])
def test_words_that_fix_a_list_are_items_when_there_is_nothing_to_fix_or_more_is_said(
        typed: str) -> None:
    first = run(LIST, [typed], "de")
    assert first.state.answers["items"] == [typed]
    more = advance(LIST, first.state, Text("Delete 2 apps"), context())
    assert more.state.answers["items"] == [typed, "Delete 2 apps"]


# --- reading answers --------------------------------------------------------------------------------

DATES = dialog([
    {"key": "ahead", "kind": "date"},
    {"key": "any", "kind": "date", "allow_past": True},
])


@pytest.mark.parametrize(("typed", "expected"), [
    ("in 3 weeks", "2026-12-12"),
    ("tomorrow", "2026-11-22"),
    ("14.03.2027", "2027-03-14"),
    ("today", "2026-11-21"),
])
def test_date_relative_and_absolute(typed: str, expected: str) -> None:
    outcome = run(DATES, [typed])
    assert outcome.saves == {"ahead": expected}


@pytest.mark.parametrize("typed", ["2020-01-01", "yesterday"])
def test_date_in_the_past_refused_unless_allowed(typed: str) -> None:
    state = step_to(DATES, [])
    refused = advance(DATES, state, Text(typed), context())
    assert refused.state == state
    assert refused.replies == (Ask("ahead", problem="date_past"),)
    allowed = run(DATES, ["2027-01-01", typed])
    assert allowed.saves["any"] < TODAY.isoformat()


@pytest.mark.parametrize("typed", ["31.02.2027", "someday", "x" * 300])
def test_not_a_date(typed: str) -> None:
    outcome = run(DATES, [typed])
    assert outcome.state.step == "ahead"
    assert only_ask(outcome).problem == "not_a_date"


def test_date_typed_in_german() -> None:
    outcome = run(DATES, ["in 3 Wochen"], lang="de")
    assert outcome.saves == {"ahead": "2026-12-12"}


SCALE = dialog([{"key": "level", "kind": "scale"}, {"key": "after", "kind": "text"}])


@pytest.mark.parametrize(("typed", "problem"), [
    ("11", "out_of_range"), ("0", "out_of_range"), ("-3", "out_of_range"),
    ("seven", "not_a_number"), ("7.5", "not_a_number"), ("", "not_a_number"),
])
def test_scale_refuses_out_of_range_and_non_numbers(typed: str, problem: str) -> None:
    state = step_to(SCALE, [])
    outcome = advance(SCALE, state, Text(typed), context())
    assert outcome.state == state
    assert outcome.replies == (Ask("level", problem=problem),)


@pytest.mark.parametrize(("typed", "value"), [("7", 7), (" 10 ", 10), ("7/10", 7), ("1", 1)])
def test_scale_accepts_numbers_in_range(typed: str, value: int) -> None:
    assert run(SCALE, [typed]).saves == {"level": value}


YESNO = dialog([{"key": "sure", "kind": "yesno"}, {"key": "after", "kind": "text"}])


@pytest.mark.parametrize(("typed", "lang", "value"), [
    ("ja", "de", True), ("Ja", "de", True), ("nein", "de", False), ("klar", "de", True),
    ("yes", "de", True), ("yes", "en", True), ("No", "en", False), ("yep", "en", True),
])
def test_yes_no_typed(typed: str, lang: str, value: bool) -> None:
    assert run(YESNO, [typed], lang=lang).saves == {"sure": value}


def test_yes_no_refuses_other_text() -> None:
    outcome = run(YESNO, ["vielleicht"], lang="de")
    assert outcome.state.step == "sure"
    assert only_ask(outcome).problem == "not_yes_no"


@pytest.mark.parametrize(("script", "answered", "problem"), [
    (TWO_CHOICES, [], "empty_choice"), (PICK_ONE, IDEAS, "empty_choice"),
    (PICK_SEVERAL, IDEAS, "empty_choice"), (YESNO, [], "not_yes_no"), (THREE, [], "empty"),
])
def test_an_empty_message_where_buttons_answer_asks_for_one_of_them(
    script: Dialog, answered: list[Input | str], problem: str
) -> None:
    state = step_to(script, answered)
    outcome = advance(script, state, Text(" \n "), context())
    assert outcome.state == state
    assert only_ask(outcome).problem == problem


def at_mentor_sees(lang: str) -> RunState:
    state = step_to(shipped("agreement"), ["p", "s", "em", "es", "b", Command.SKIP], lang=lang)
    assert state.step == "mentor_sees"
    return state


def typed_choice(state: RunState, typed: str, lang: str, value: str | None, problem: str) -> None:
    """Typed at the agreement's choice step `state` stands at: the value saved, or (None) the
    state kept and the question asked again with the problem."""
    outcome = advance(shipped("agreement"), state, Text(typed), context(lang))
    if value is None:
        assert outcome.state == state
        assert only_ask(outcome).problem == problem
    else:
        assert outcome.saves == {state.step: value}


@pytest.mark.parametrize(("typed", "lang", "value"), [
    ("1", "en", "share"), ("2", "en", "private"), ("2", "de", "private"),
    ("No, keep them private", "en", "private"), ("no keep them PRIVATE", "en", "private"),
    ("Nein, privat lassen", "de", "private"), ("nein privat lassen!", "de", "private"),
    ("ja teilen", "de", "share"), ("vielleicht", "de", None),
    ("Ja, teilen", "de", "share"), ("JA TEILEN!", "de", "share"),
    ("share", "de", "share"),
    # a yes/no-like choice (yes_no) takes yes and no words of the mentee's language and English
    ("yes", "en", "share"), ("Sure!", "en", "share"), ("nope", "en", "private"), ("ja", "de", "share"),
    ("Klar", "de", "share"), ("NEIN", "de", "private"), ("yes", "de", "share"), ("no", "de", "private"),
    # the beginning of a label, in any case
    ("yes, SHARE", "en", "share"), ("nein, priv", "de", "private"),
])
def test_choice_typed_by_number_and_label(typed: str, lang: str, value: str | None) -> None:
    typed_choice(at_mentor_sees(lang), typed, lang, value, "not_a_choice")


def at_meeting_mode(lang: str) -> RunState:
    script = shipped("agreement")
    state = advance(script, at_mentor_sees(lang), Text("2"), context(lang)).state
    state = advance(script, state, Text("2"), context(lang)).state  # the programme team: no
    state = advance(script, state, Text("1"), context(lang)).state
    assert state.step == "meeting_mode"
    return state


@pytest.mark.parametrize(("typed", "lang", "value"), [
    ("per", "de", None), ("Per v", "de", "video"), ("per TEL", "de", "phone"), ("vid", "en", "video"),
    ("a", "en", "mixed"), ("in", "en", "in_person"), ("personlich", "de", "in_person"),
])
def test_a_choice_by_the_beginning_of_its_label_unless_it_is_ambiguous(
    typed: str, lang: str, value: str | None
) -> None:
    typed_choice(at_meeting_mode(lang), typed, lang, value, "ambiguous_choice")


def at_meeting_rhythm(lang: str) -> RunState:
    script = shipped("agreement")
    state = advance(script, at_mentor_sees(lang), Text("2"), context(lang)).state
    state = advance(script, state, Text("2"), context(lang)).state  # the programme team: no
    assert state.step == "meeting_rhythm"
    return state


@pytest.mark.parametrize(("typed", "lang", "value"), [
    ("monatlich", "de", "monthly"), ("Monthly", "de", "monthly"), ("monthly", "en", "monthly"),
    ("wöchentlich", "de", "weekly"), ("once a week", "en", "weekly"),
    ("14-tägig", "de", "fortnightly"), ("alle 2 Wochen", "de", "fortnightly"),
    ("every other week", "en", "fortnightly"), ("biweekly", "en", "fortnightly"),
    ("monatlich", "en", None),  # another language's words are read as labels are: English only
])
def test_a_meeting_rhythm_said_in_a_word_of_its_own(typed: str, lang: str, value: str | None) -> None:
    """"monatlich" for „Einmal im Monat“ was refused: a choice's own words are read as its label."""
    typed_choice(at_meeting_rhythm(lang), typed, lang, value, "not_a_choice")


@pytest.mark.parametrize(("typed", "lang", "value"), [
    ("gemischt", "de", "mixed"), ("beides", "de", "mixed"), ("mixed", "en", "mixed"),
    ("both", "en", "mixed"), ("online", "de", "video"), ("Online", "en", "video"),
    ("vor Ort", "de", "in_person"), ("face-to-face", "en", "in_person"),
    ("telefonisch", "de", "phone"), ("by phone", "en", "phone"),
])
def test_a_meeting_mode_said_in_a_word_of_its_own(typed: str, lang: str, value: str | None) -> None:
    typed_choice(at_meeting_mode(lang), typed, lang, value, "not_a_choice")


@pytest.mark.parametrize(("typed", "lang", "value"), [
    ("geschafft", "de", "done"), ("finished", "en", "done"), ("teilweise", "de", "partly"),
    ("partially", "en", "partly"), ("gestrichen", "de", "dropped"), ("irrelevant", "en", "dropped"),
])
def test_a_check_in_status_said_in_a_word_of_its_own(typed: str, lang: str, value: str) -> None:
    script = shipped("checkin")
    state = start(script, context(lang)).state
    assert state.step == "action_status"
    outcome = advance(script, state, Text(typed), context(lang))
    assert outcome.saves["action_status"][0]["value"] == value


@pytest.mark.parametrize("typed", ["0", "3", "maybe", "x" * 201])
def test_choice_refuses_other_text(typed: str) -> None:
    state = at_mentor_sees("en")
    outcome = advance(shipped("agreement"), state, Text(typed), context())
    assert outcome.state == state
    assert only_ask(outcome).problem == "not_a_choice"


def test_choice_pick_must_be_one_of_the_choices() -> None:
    state = at_mentor_sees("en")
    outcome = advance(shipped("agreement"), state, Pick("mentor_sees", "everyone"), context())
    assert outcome.state == state
    assert only_ask(outcome).problem == "stale_button"


@pytest.mark.parametrize("typed", ["²", "1" * 5000])
def test_choice_with_unreadable_digits_does_not_raise(typed: str) -> None:
    state = at_mentor_sees("en")
    outcome = advance(shipped("agreement"), state, Text(typed), context())
    assert outcome.state == state


@pytest.mark.parametrize("typed", ["³", "1" * 5000])
def test_summary_with_unreadable_digits_does_not_raise(typed: str) -> None:
    state = step_to(THREE, ["one", "two", "three"])
    assert state.step == SUMMARY
    outcome = advance(THREE, state, Text(typed), context())
    assert outcome.state == state


def test_text_is_kept_literally_but_cleaned() -> None:
    outcome = run(THREE, ["  {{ 7*7 }}\x00\x1b<b>x</b>\r\n  "])
    assert outcome.saves == {"first": "{{ 7*7 }}<b>x</b>"}


def test_text_too_long_is_refused() -> None:
    script = dialog([{"key": "short", "kind": "text", "max_length": 5}])
    state = step_to(script, [])
    outcome = advance(script, state, Text("x" * 6), context())
    assert outcome.state == state
    assert only_ask(outcome).problem == "too_long"
    assert run(script, ["x" * 5]).saves == {"short": "xxxxx"}


def test_done_outside_a_list() -> None:
    state = step_to(THREE, [])
    outcome = advance(THREE, state, Command.DONE, context())
    assert outcome.state == state
    assert notes(outcome) == ["done_not_here"]


# --- stale input and the end ------------------------------------------------------------------------


@pytest.mark.parametrize("event", [Pick("last", "x"), Pick("_summary", "confirm"), Pick("nope", "1")])
def test_stale_pick_for_another_step_leaves_the_state_unchanged(event: Pick) -> None:
    state = step_to(THREE, ["one"])
    outcome = advance(THREE, state, event, context())
    assert outcome.state == state
    assert outcome.saves == {}
    assert outcome.deletes == ()
    assert outcome.replies == (Note("stale_button"), Ask("middle"))


def test_keep_without_an_earlier_answer_is_not_understood() -> None:
    state = step_to(THREE, [])
    outcome = advance(THREE, state, Pick("first", KEEP), context())
    assert outcome.state == state
    assert outcome.replies == (Ask("first", problem="not_understood"),)


@pytest.mark.parametrize("event", [Text("more"), Command.BACK, Command.SKIP, Command.DONE,
                                   Command.SHOW, Pick(SUMMARY, CONFIRM), Pick("first", "x")])
def test_a_finished_state_ignores_further_input(event: Input) -> None:
    done = run(THREE, ["one", "two", "three", Pick(SUMMARY, CONFIRM)])
    assert done.finished
    assert done.replies == (Finished(),)
    outcome = advance(THREE, done.state, event, context())
    assert outcome.state == done.state
    assert outcome.replies == (Finished(),)
    assert outcome.saves == {}
    assert outcome.deletes == ()
    assert current(THREE, done.state) == (Finished(),)


def test_without_summary_the_last_answer_finishes() -> None:
    script = dialog([{"key": "only", "kind": "text"}], summary=False)
    outcome = run(script, ["hello"])
    assert outcome.finished
    assert outcome.saves == {"only": "hello"}
    assert outcome.replies == (Finished(),)


def test_show_repeats_the_question_with_the_earlier_answer() -> None:
    state = advance(THREE, step_to(THREE, ["one", "two"]), Command.BACK, context()).state
    assert advance(THREE, state, Command.SHOW, context()).replies == (Ask("middle", previous="two"),)
    assert current(THREE, state) == (Ask("middle", previous="two"),)


def test_every_shipped_dialog_can_be_completed() -> None:
    answers = {
        "text": "something", "choice": "1", "scale": "5", "yesno": "yes", "date": "in 3 weeks",
        "pick": "1",
    }
    for script in default_scripts().ordered():
        ctx = context()
        outcome = start(script, ctx)
        for _ in range(200):
            if outcome.finished:
                break
            state = outcome.state
            if state.step == SUMMARY:
                event: Input = Pick(SUMMARY, CONFIRM)
            else:
                kind = script.step(state.step).kind.value
                if kind == "list":
                    event = Command.DONE if state.answers.get(state.step) else Text("an item")
                else:
                    event = Text(answers[kind])
            outcome = advance(script, state, event, ctx)
        assert outcome.finished, script.name


# --- Answers given at the start ---------------------------------------------------------------

GIVEN = [{"key": "topic", "kind": "text"}, {"key": "day", "kind": "date", "optional": True},
         {"key": "note", "kind": "text", "optional": True}]


def test_a_given_answer_is_saved_at_the_start_and_never_asked_but_changed_at_the_summary() -> None:
    script, ctx = dialog(GIVEN), context()
    opened = start(script, ctx, given={"day": "2026-11-23"})
    assert opened.saves == {"day": "2026-11-23"}
    assert [r.step for r in opened.replies if isinstance(r, Ask)] == ["topic"]
    asked = advance(script, opened.state, Text("My CV"), ctx)
    assert [r.step for r in asked.replies if isinstance(r, Ask)] == ["note"]  # not "day"
    at_summary = advance(script, asked.state, Command.SKIP, ctx)
    [summary] = [r for r in at_summary.replies if isinstance(r, Summary)]
    assert ("day", "2026-11-23") in summary.entries
    back = advance(script, at_summary.state, Command.BACK, ctx)  # back goes to what was asked
    assert [r.step for r in back.replies if isinstance(r, Ask)] == ["note"]
    edit = advance(script, at_summary.state, Pick(SUMMARY, f"{EDIT_PREFIX}day"), ctx)
    assert [r.step for r in edit.replies if isinstance(r, Ask)] == ["day"]
    changed = advance(script, edit.state, Text("2026-11-30"), ctx)
    assert changed.saves == {"day": "2026-11-30"}
    assert RunState.from_json(changed.state.to_json()) == changed.state


def test_a_given_answer_that_does_not_read_as_the_step_reads_it_is_asked() -> None:
    script, ctx = dialog(GIVEN), context()
    opened = start(script, ctx, given={"day": "2020-01-01", "nothing": "x"})  # past; no such step
    assert opened.saves == {}
    asked = advance(script, opened.state, Text("My CV"), ctx)
    assert [r.step for r in asked.replies if isinstance(r, Ask)] == ["day"]


def offering(known: dict[str, str]) -> EngineContext:
    """The context of a mentee whose planned end (and programme's end) the service knows."""
    return replace(context(), known=known)


def test_a_known_date_is_offered_kept_with_its_button_and_a_later_one_is_noted() -> None:
    """A date step that offers the planned end: asked with it, its button (or "keep", with no
    earlier answer) answers with it; another date is a change of it, and one after the date
    the step notes is taken with that note. A planned end that has passed is not offered."""
    script = dialog([{"key": "ends", "kind": "date", "offer": "planned_end",
                      "note_after": "programme_end"}])
    ctx = offering({"planned_end": "2027-06-01", "programme_end": "2027-06-01"})
    opened = start(script, ctx)
    assert opened.replies == (Ask("ends", offered="2027-06-01"),)
    for event in (Pick("ends", OFFER), Text("keep"), Command.SKIP):
        kept = advance(script, opened.state, event, ctx)
        assert kept.saves == {"ends": "2027-06-01"}
        assert kept.replies[0] == Note("kept", "2027-06-01", "ends", "2027-06-01")
    later = advance(script, opened.state, Text("30.06.2027"), ctx)
    assert later.saves == {"ends": "2027-06-30"}
    assert later.replies[:2] == (Note("changed", "2027-06-30", "ends", "2027-06-01"),
                                 Note("after", "2027-06-30", "ends", "2027-06-01"))
    passed = offering({"planned_end": (TODAY - timedelta(days=1)).isoformat()})
    assert start(script, passed).replies == (Ask("ends"),)
    assert advance(script, start(script, passed).state, Command.SKIP, passed).replies[0] == \
        Note("cannot_skip")
