"""Property tests of the dialog engine: no input sequence breaks a run or its saved answers.

Any sequence of inputs (random text, numbers, commands, empty strings, 10,000 characters, control
characters, emoji, right-to-left text, HTML, `{{ 7*7 }}`, forged button presses) never raises,
never loses or alters a saved answer (but for a list the mentee fixes with "remove 2" or "start
over", and the answers that pick from it or go through its items), and always leaves a valid
state. Template syntax in an answer is shown literally, never evaluated.

The saved answers are modelled the way the conversation service keeps them: every outcome's
`saves` are upserted and its `deletes` removed (service/conversation.py `persist`).
"""

from __future__ import annotations

import html
import json
import random
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dialogs.engine import (
    CONFIRM,
    EDIT_PREFIX,
    KEEP,
    LIST_DONE,
    Ask,
    Command,
    EngineContext,
    Finished,
    Input,
    Note,
    Outcome,
    Pick,
    Reply,
    Summary,
    Text,
    advance,
    clean_text,
    current,
    start,
)
from dialogs.registry import default_scripts
from dialogs.schema import Dialog, Step, StepKind
from dialogs.state import SUMMARY, RunState
from prompts.catalog import CatalogLexicon, default_catalog
from service.render import Renderer

TODAY = date(2026, 11, 21)
SCRIPTS = default_scripts()
NAMES = sorted(SCRIPTS.by_name)
CATALOG = default_catalog()
STEP_KEYS = {name: [s.key for s in d.steps] for name, d in SCRIPTS.by_name.items()}
LANGS = ("en", "de")
CONTEXTS = {
    lang: EngineContext(today=TODAY, lang=lang, lexicon=CatalogLexicon(CATALOG, lang, STEP_KEYS),
                        open_actions=({"ref": 1, "text": "Call Sam"}, {"ref": 2, "text": "Draft CV"}))
    for lang in LANGS
}
RENDERERS = {lang: Renderer(CATALOG, lang) for lang in LANGS}

TEMPLATE = "{{ 7*7 }}"
NASTY = [
    "", "   ", "x" * 10000, "\x00\x01\x1b[31m", "🙂👩🏽‍💻", "שלום עולם", "<b>bold</b><script>",
    TEMPLATE, "{% for x in y %}", "7", "11", "0", "-3", "yes", "ja", "done", "fertig",
    "in 3 weeks", "next friday", "31.02.2027", "2020-01-01",
    # a few more of the same spirit
    "no", "nein", "1", "2", "3", "10", "7/10", "looks good", "passt", "that's all",
    "&amp; &lt;", "}}{{", "{{ ''.__class__ }}", "\r\n\r\n", "a\u202eb", "\u200b", "14.03.2027",
    f"<i>{TEMPLATE}</i> and more", "None", "null", "edit:goal_wish", "__keep__", "__done__",
    # a list fixed: items taken out by number, or all of them
    "remove 1", "2 löschen", "delete 1 and 3", "remove 9", "neu", "start over",
]
FORGED_VALUES = [KEEP, LIST_DONE, CONFIRM, "edit:nonexistent", "edit:", "edit", "yes", "no", "y",
                 "n", "ja", "0", "7", "11", "-1", "", TEMPLATE, "<b>", "done", "other"]

# Notes of a list fixed ("remove 2", "start over"): the list shrinks, and so do answers from it.
LIST_FIXES = {"list_removed", "list_emptied"}
# Notes and problems that mean "input refused, nothing changed".
REFUSAL_NOTES = {"at_first", "cannot_skip", "stale_button", "done_not_here"}


random_text = st.text(max_size=80)


def as_json(value: Any) -> Any:
    """A value the way the database gives it back (JSON types only)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def template_variables(script: Dialog, state: RunState) -> dict[str, Any]:
    """What the service gives the templates, with no goals and no earlier dialogs answered."""
    variables: dict[str, Any] = {
        name: dict.fromkeys(keys) for name, keys in STEP_KEYS.items() if name != script.name
    }
    variables.update({"goals": [], "open_actions": [], "name": None, "today": TODAY.isoformat(),
                      "days_left": None, "to_raise": [], "last_done": None,
                      "paired": False, "mentor": None})
    variables.update({step.key: state.answers.get(step.key) for step in script.steps})
    return variables


def item_key(entry: Mapping[str, Any]) -> tuple[Any, str]:
    return entry.get("ref"), str(entry.get("item"))


def entry_values(entries: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, str], Any]:
    """A foreach answer as {(ref, item): value}."""
    found = {item_key(entry): entry.get("value") for entry in entries}
    assert len(found) == len(entries), "two entries for one item"
    return found


def applies(step: Step, answers: Mapping[str, Any]) -> bool:
    return all(condition.holds(dict(answers)) for condition in step.when)


# --- one run, checked after every input -------------------------------------------------------------


class CheckedRun:
    """A dialog run whose every outcome is saved like the service does and checked."""

    def __init__(self, script: Dialog, lang: str) -> None:
        self.script = script
        self.lang = lang
        self.ctx = CONTEXTS[lang]
        self.saved: dict[str, Any] = {}
        self.typed: list[str] = []
        self.outcome = start(script, self.ctx)
        assert self.outcome.deletes == ()
        assert self.outcome.saves == {}
        self._save(self.outcome)
        self._check_state()
        self._check_rendering(self.outcome.replies)

    @property
    def state(self) -> RunState:
        return self.outcome.state

    def feed(self, event: Input) -> Outcome:
        before, saved_before = self.state, dict(self.saved)
        if isinstance(event, Text):
            self.typed.append(event.text)
        elif isinstance(event, Pick):
            self.typed.append(event.value)
        outcome = advance(self.script, before, event, self.ctx)
        for key in outcome.deletes:
            assert key in saved_before, f"deletes {key!r}, which was never saved"
        self.outcome = outcome
        self._save(outcome)
        self._check_transition(before, event, outcome, saved_before)
        self._check_state()
        self._check_rendering(outcome.replies)
        return outcome

    def _save(self, outcome: Outcome) -> None:
        for key, value in outcome.saves.items():
            self.saved[key] = as_json(value)
        for key in outcome.deletes:
            self.saved.pop(key, None)

    def _skips(self, event: Input, before: RunState) -> bool:
        """A typed word that means skip, at a question: the same as /skip."""
        text = clean_text(event.text) if isinstance(event, Text) else ""
        return (not before.finished and before.step != SUMMARY and 0 < len(text) <= 40
                and self.ctx.lexicon.means("skip", text))

    def _keeps(self, event: Input, before: RunState) -> bool:
        """The keep button, or a typed word that means it where the button is shown: at a step
        (not a list, not a pick of several) that has an answer for the item asked."""
        if isinstance(event, Pick):
            return event.value == KEEP
        if not isinstance(event, Text) or before.finished or before.step == SUMMARY:
            return False
        text = clean_text(event.text)
        if len(text) > 40 or not self.ctx.lexicon.means("keep", text):
            return False
        step = self.script.step(before.step)
        if step.kind is StepKind.LIST or (step.kind is StepKind.PICK and step.max_items > 1):
            return False
        earlier = before.answers.get(step.key)
        if step.foreach is not None:
            asked = item_key(before.loops[step.key][before.index])
            earlier = entry_values(earlier or []).get(asked)
        return earlier is not None

    # -- invariants ------------------------------------------------------------------------------

    def _check_state(self) -> None:
        state, script = self.state, self.script
        data = state.to_json()
        text = json.dumps(data, ensure_ascii=False)
        assert RunState.from_json(json.loads(text)) == state
        assert RunState.from_json(data) == state
        keys = {s.key for s in script.steps}
        assert state.step in keys | {SUMMARY}
        assert all(p.step in keys | {SUMMARY} and p.index >= 0 for p in state.history)
        assert set(state.answers) <= {s.key for s in script.answer_steps}
        assert set(state.loops) <= {s.key for s in script.steps if s.foreach is not None}
        if state.step == SUMMARY:
            assert state.index == 0
            assert not state.editing
        elif not state.finished:
            step = script.step(state.step)
            assert step.kind is not StepKind.INFO
            if step.foreach is not None:
                assert 0 <= state.index < len(state.loops[step.key])
            else:
                assert state.index == 0
        # the service's copy of the answers and the run's own agree exactly
        assert as_json(dict(state.answers)) == self.saved
        # nothing is evaluated: "49" only shows up if somebody typed it
        if "49" in json.dumps(self.saved, ensure_ascii=False):
            assert any("49" in typed for typed in self.typed)

    def _check_transition(
        self, before: RunState, event: Input, outcome: Outcome, saved_before: dict[str, Any]
    ) -> None:
        script, after = self.script, outcome.state
        if before.finished:
            assert after == before
            assert outcome.replies == (Finished(),)
        asking = not before.finished and before.step != SUMMARY
        if any(isinstance(r, Note) and r.code in LIST_FIXES for r in outcome.replies):
            self._check_list_fix(before, outcome, saved_before)
            return
        assert set(outcome.saves) <= ({before.step} if asking else set())
        assert not set(outcome.saves) & set(outcome.deletes)
        if outcome.deletes:
            assert outcome.finished
            assert not before.finished
            for key in outcome.deletes:
                assert not applies(script.step(key), after.answers)
        if outcome.finished and not before.finished:
            assert outcome.replies[-1] == Finished()
        refused = any(
            (isinstance(r, Note) and r.code in REFUSAL_NOTES)
            or (isinstance(r, Ask | Summary) and r.problem is not None)
            for r in outcome.replies
        )
        if refused:
            assert after == before
            assert outcome.saves == {}
            assert outcome.deletes == ()
        if event in (Command.BACK, Command.SHOW):
            assert outcome.saves == {}
            assert outcome.deletes == ()
            assert dict(after.answers) == dict(before.answers)

        keeping = isinstance(event, Command) or self._skips(event, before) or self._keeps(event, before)
        for key, old in saved_before.items():
            if key in outcome.deletes:
                continue
            new = self.saved[key]
            if new == old:
                continue
            # an earlier answer changes only at the current step, and only by a new answer
            assert key == before.step, f"{key!r} changed while at {before.step!r}"
            step = script.step(key)
            if step.foreach is not None:
                self._check_foreach_change(step, before, old, new, keeping)
                continue
            assert not keeping, f"{event!r} changed {key!r}"
            if step.kind is StepKind.LIST:
                assert new[:len(old)] == old, "a list only grows"
            if step.kind is StepKind.PICK:
                assert set(new) ^ set(old) <= set(self.state.answers.get(step.pick_from or "") or []) \
                    or step.allow_new, "only the items of the list are picked"

        if asking and before.step in outcome.saves and isinstance(event, Text | Pick) \
                and not self._skips(event, before):
            self._check_value(script.step(before.step), before, event, saved_before)

    def _check_list_fix(
        self, before: RunState, outcome: Outcome, saved_before: dict[str, Any]
    ) -> None:
        """"remove 2" or "start over" at a list: only the list and the answers that follow it
        change; the list loses the items the note names and keeps the others in order; a pick
        from it loses only items no longer on it; per-item answers keep the values of the items
        left."""
        script = self.script
        step = script.step(before.step)
        assert step.kind is StepKind.LIST
        assert outcome.state.step == before.step
        old: list[str] = saved_before.get(step.key) or []
        new: list[str] = self.saved.get(step.key) or []
        note = outcome.replies[0]
        assert isinstance(note, Note)
        removed = list(note.value) if note.code == "list_removed" else list(old)
        assert removed
        left = list(old)
        for item in removed:
            left.remove(item)
        assert new == left
        followers = {s.key for s in script.steps
                     if s.pick_from == step.key or (s.foreach and s.foreach.step == step.key)}
        changed = {key for key in saved_before.keys() | self.saved.keys()
                   if saved_before.get(key) != self.saved.get(key)}
        assert changed <= followers | {step.key}
        for key in changed - {step.key}:
            was, now = saved_before.get(key) or [], self.saved.get(key) or []
            if script.step(key).foreach is None:
                assert [p for p in was if p in now] == now
                assert all(p in removed and p not in new for p in was if p not in now)
            else:
                kept = [(e["item"], e["value"]) for e in was]
                for entry in now:
                    assert entry["item"] in new
                    assert (entry["item"], entry["value"]) in kept

    def _check_foreach_change(
        self, step: Step, before: RunState, old: list[dict[str, Any]], new: list[dict[str, Any]],
        keeping: bool,
    ) -> None:
        """Per item: only the asked item's value changes, by a new answer; other items keep theirs,
        and items new to the list (added after /back) come in unanswered."""
        asked = item_key(before.loops[step.key][before.index])
        old_values, new_values = entry_values(old), entry_values(new)
        for item, value in old_values.items():
            assert item in new_values, f"{step.key}: the answer for {item!r} was lost"
            if item != asked or keeping:
                assert new_values[item] == value, f"{step.key}: the answer for {item!r} changed"
        for item in new_values.keys() - old_values.keys():
            assert item == asked or new_values[item] is None

    def _check_value(
        self, step: Step, before: RunState, event: Text | Pick, saved_before: dict[str, Any]
    ) -> None:
        """A typed or picked answer is stored as given (cleaned), never evaluated."""
        raw = clean_text(event.text if isinstance(event, Text) else event.value)
        value = self.saved[step.key]
        earlier = saved_before.get(step.key)
        if step.foreach is not None:
            item = item_key(before.loops[step.key][before.index])
            value = entry_values(value)[item]
            earlier = entry_values(earlier or []).get(item)
        if self._keeps(event, before):
            assert value == earlier
            assert value is not None
            return
        if step.kind is StepKind.TEXT:
            assert value == raw
            assert 0 < len(value) <= step.max_length
        elif step.kind is StepKind.LIST:
            old = earlier or []
            assert value[:len(old)] == old, "a list only grows"
            added = value[len(old):]
            for item in added:
                assert item
                assert item in raw
                assert len(item) <= step.max_length
            assert len(value) <= step.max_items
            assert len(value) >= step.min_items or added
        elif step.kind is StepKind.PICK:
            options = before.answers.get(step.pick_from or "") or []
            assert len(value) == len(set(value)) <= step.max_items
            assert all(item in options or step.allow_new for item in value)
            assert len(value) >= step.min_items or len(value) != len(earlier or [])
        elif step.kind is StepKind.CHOICE:
            assert value in step.choices
        elif step.kind is StepKind.SCALE:
            assert type(value) is int
            assert step.scale_min <= value <= step.scale_max
        elif step.kind is StepKind.YESNO:
            assert type(value) is bool
        elif step.kind is StepKind.DATE:
            day = date.fromisoformat(value)
            assert step.allow_past or day >= TODAY

    def _check_rendering(self, replies: Sequence[Reply]) -> None:
        renderer = RENDERERS[self.lang]
        variables = template_variables(self.script, self.state)
        shown = renderer.replies(self.script, replies, 1, variables)
        shown += renderer.replies(self.script, current(self.script, self.state), 1, variables)
        typed_49 = any("49" in typed for typed in self.typed)
        for message in shown:
            assert message.text
            assert "49" not in message.text or typed_49, message.text
            for row in message.buttons:
                for button in row:
                    assert button.label
        for reply in (*replies, *current(self.script, self.state)):
            if isinstance(reply, Summary):
                text = renderer.summary(self.script, reply, 1).text
                literal = sum(  # as each answer is shown there (a long one is cut)
                    html.unescape(renderer.short_value(self.script, self.script.step(k), v))
                    .count(TEMPLATE) for k, v in reply.entries)
                assert text.count(TEMPLATE) >= literal, text
                if literal:
                    assert TEMPLATE in text


# --- what a mentee may send ------------------------------------------------------------------------


def valid_inputs(script: Dialog, state: RunState, lang: str) -> list[Input]:
    """Inputs that answer the current question (or confirm / change at the summary)."""
    if state.finished:
        return [Command.SHOW]
    if state.step == SUMMARY:
        confirm = "looks good" if lang == "en" else "passt"
        return [Pick(SUMMARY, CONFIRM), Text(confirm), Text("ja" if lang == "de" else "yes")]
    step = script.step(state.step)
    found: list[Input] = []
    if step.kind is StepKind.TEXT:
        found = [Text(t) for t in NASTY if clean_text(t) and len(clean_text(t)) <= step.max_length]
    elif step.kind is StepKind.LIST:
        items = list(state.answers.get(step.key) or [])
        if len(items) < step.min_items:
            found = [Text(t) for t in ("one idea", TEMPLATE, "🙂 <b>x</b>", "שלום")]
        else:
            found = [Command.DONE, Pick(step.key, LIST_DONE), Text("fertig" if lang == "de" else "done"),
                     Text("another idea"), Text(TEMPLATE)]
    elif step.kind is StepKind.CHOICE:
        found = [Pick(step.key, c) for c in step.choices]
        found += [Text(str(i)) for i in range(1, len(step.choices) + 1)]
        found += [Text(str(CATALOG.raw(lang, f"{script.name}.steps.{step.key}.choices.{c}")))
                  for c in step.choices]
    elif step.kind is StepKind.SCALE:
        found = [Pick(step.key, str(n)) for n in (step.scale_min, step.scale_max)]
        found += [Text(str(n)) for n in range(step.scale_min, step.scale_max + 1)]
    elif step.kind is StepKind.YESNO:
        found = [Pick(step.key, "yes"), Pick(step.key, "no"), Text("ja"), Text("Nein"), Text("yes")]
    elif step.kind is StepKind.DATE:
        found = [Text(t) for t in ("in 3 weeks", "next friday", "14.03.2027", "tomorrow")]
    elif step.kind is StepKind.PICK:
        options = [str(o) for o in state.answers.get(step.pick_from or "") or []]
        found = [Pick(step.key, o) for o in options] + [Text("1"), Text(options[-1].upper())]
        if len(options) > 1:
            found.append(Text(f"1, {len(options)}"))
        if len(state.answers.get(step.key) or []) >= step.min_items:
            found += [Command.DONE, Pick(step.key, LIST_DONE)]
    if step.optional:
        found.append(Command.SKIP)
    earlier = current(script, state)[0]
    if isinstance(earlier, Ask) and earlier.previous is not None:
        found.append(Pick(step.key, KEEP))
    return found


def forged_picks(script: Dialog, state: RunState) -> st.SearchStrategy[Input]:
    keys = [s.key for s in script.steps]
    values = [*FORGED_VALUES, *(EDIT_PREFIX + k for k in keys)]
    if state.step != SUMMARY and not state.finished:
        step = script.step(state.step)
        values += step.choices
        values += [str(n) for n in range(step.scale_min - 1, step.scale_max + 2)]
    step_names = st.one_of(st.just(state.step), st.just(SUMMARY),
                           st.sampled_from([*keys, "nonexistent", ""]))
    return st.builds(Pick, step_names, st.one_of(st.sampled_from(values), random_text))


def any_input(script: Dialog, state: RunState, lang: str) -> st.SearchStrategy[Input]:
    return st.one_of(
        st.builds(Text, random_text),
        st.builds(Text, st.sampled_from(NASTY)),
        forged_picks(script, state),
        st.sampled_from(list(Command)),
        st.sampled_from(valid_inputs(script, state, lang) or [Command.SHOW]),
    )


# --- the properties -------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), lang=st.sampled_from(LANGS), data=st.data())
def test_any_inputs_keep_the_run_valid_and_the_answers_intact(
    name: str, lang: str, data: st.DataObject
) -> None:
    run = CheckedRun(SCRIPTS.get(name), lang)
    count = data.draw(st.integers(0, 40), label="inputs")
    for _ in range(count):
        run.feed(data.draw(any_input(run.script, run.state, lang), label="input"))


def walk(run: CheckedRun, rnd: random.Random, limit: int) -> None:
    """Mostly valid answers, some noise: back, show, skip, nasty text, forged presses, edits."""
    for _ in range(limit):
        if run.state.finished:
            return
        state = run.state
        roll = rnd.random()
        if state.step == SUMMARY and roll < 0.25:
            entries = [k for k in STEP_KEYS[run.script.name] if k in state.answers]
            event: Input = Pick(SUMMARY, EDIT_PREFIX + rnd.choice(entries)) if entries else Command.SHOW
        elif roll < 0.85:
            event = rnd.choice(valid_inputs(run.script, state, run.lang))
        elif roll < 0.90:
            event = rnd.choice([Command.BACK, Command.SHOW, Command.SKIP, Command.DONE])
        elif roll < 0.95:
            event = Text(rnd.choice(NASTY))
        else:
            event = Pick(rnd.choice([state.step, SUMMARY, "nonexistent"]), rnd.choice(FORGED_VALUES))
        run.feed(event)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), lang=st.sampled_from(LANGS), seed=st.integers(0, 2**32))
def test_a_long_mostly_valid_walk_reaches_the_end(name: str, lang: str, seed: int) -> None:
    script = SCRIPTS.get(name)
    run = CheckedRun(script, lang)
    walk(run, random.Random(seed), limit=2000)
    assert run.outcome.finished
    assert run.state.finished
    # every answer kept at the end belongs to a step that applies
    for key in run.saved:
        assert applies(script.step(key), run.saved)
    # after the end, nothing changes any more
    finished = run.state
    for event in (Text(TEMPLATE), Command.BACK, Pick(SUMMARY, CONFIRM), Command.SKIP):
        assert run.feed(event).state == finished


@pytest.mark.parametrize("lang", LANGS)
def test_template_syntax_in_answers_is_shown_literally(lang: str) -> None:
    """grow with `{{ 7*7 }}` everywhere: saved, summarised and confirmed literally."""
    script = SCRIPTS.get("grow")
    run = CheckedRun(script, lang)
    typed = {StepKind.TEXT: TEMPLATE, StepKind.DATE: "in 3 weeks", StepKind.SCALE: "5",
             StepKind.PICK: "1"}
    for _ in range(100):
        state = run.state
        if state.step == SUMMARY:
            break
        step = script.step(state.step)
        if step.kind is StepKind.LIST:
            run.feed(Command.DONE if state.answers.get(step.key) else Text(f"<b>{TEMPLATE}</b>"))
        else:
            run.feed(Text(typed[step.kind]))
    assert run.state.step == SUMMARY
    assert run.saved["goal_specific"] == TEMPLATE
    assert run.saved["actions"] == [f"<b>{TEMPLATE}</b>"]
    summary = current(script, run.state)[0]
    assert isinstance(summary, Summary)
    text = RENDERERS[lang].summary(script, summary, 1).text
    assert "49" not in text
    assert f"&lt;b&gt;{TEMPLATE}&lt;/b&gt;" in text
    assert text.count(TEMPLATE) >= 10
    done = run.feed(Pick(SUMMARY, CONFIRM))
    assert done.finished
    messages = RENDERERS[lang].replies(script, done.replies, 1, template_variables(script, run.state))
    assert TEMPLATE in messages[-1].text
    assert "49" not in messages[-1].text


# Digits that str.isdigit() accepts but int() cannot read.
UNREADABLE = st.one_of(
    st.text(st.characters(categories=["No"]).filter(lambda c: c.isdigit()), min_size=1, max_size=3),
    st.just("1" * 5000),
)


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(name=st.sampled_from(NAMES), lang=st.sampled_from(LANGS), text=UNREADABLE,
       seed=st.integers(0, 2**32))
def test_unreadable_digits_never_raise(name: str, lang: str, text: str, seed: int) -> None:
    run = CheckedRun(SCRIPTS.get(name), lang)
    rnd = random.Random(seed)
    for _ in range(300):
        if run.state.finished:
            break
        run.feed(Text(text))  # raises at the first choice step, else at the summary
        run.feed(rnd.choice(valid_inputs(run.script, run.state, lang)))
