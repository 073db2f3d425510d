"""The pure dialog engine: (script, run state, input, context) → (replies, new state, answers).

No Telegram, no database, no clock: whatever it needs comes in as an argument and whatever it
decides goes out as a return value, so every front-end can use it and property tests can hammer it.
The next question is *found* (the first applicable step after the current one), not hard-coded.

Over 300 lines on purpose: this is one state machine (ask, read, move on, back, skip, lists,
picks, foreach, summary), and its transitions call each other; split, a reader would chase one move
through several files. Its inputs, replies and context types sit at the top.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from dialogs.dates import parse_date
from dialogs.schema import Dialog, Step, StepKind
from dialogs.state import SUMMARY, Position, RunState

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INTEGER = re.compile(r"^\s*(-?\d{1,3})\s*(?:/\s*10)?\s*[.!]?\s*$")
_NUMBERS = re.compile(r"^[0-9]{1,3}(?:(?:\s*[,;&+/]\s*|\s+)[0-9]{1,3})*$")
_BULLET = re.compile(r"^(?:[-•*–]|[0-9]{1,2}[.)])\s+")
# An empty message on a step answered with buttons is asked to pick, not to "write a few words".
_EMPTY = {StepKind.CHOICE: "empty_choice", StepKind.PICK: "empty_choice",
          StepKind.YESNO: "not_yes_no", StepKind.SCALE: "not_a_number"}
LIST_DONE = "__done__"
KEEP = "__keep__"
OFFER = "__offer__"  # the button that takes the date a step offers (Step.offer)
CONFIRM = "confirm"
#: The number of the summary's save button where buttons are numbered (the terminal: its change
#: buttons carry the numbers of the answers they change), so typing it saves as pressing it does.
CONFIRM_NUMBER = "0"
EDIT_PREFIX = "edit:"


class Command(StrEnum):
    """Navigation a mentee can ask for inside a dialog."""

    SHOW = "show"
    SKIP = "skip"
    BACK = "back"
    DONE = "done"


@dataclass(frozen=True)
class Text:
    """A message the mentee typed."""

    text: str


@dataclass(frozen=True)
class Pick:
    """A button press: the step it was made for and the chosen value."""

    step: str
    value: str


Input = Text | Pick | Command


class Lexicon(Protocol):
    """Language knowledge the engine needs to read typed answers (implemented by the renderer)."""

    def choices_for(self, dialog: str, step: str, text: str) -> list[str]:
        """The choice values the text names: the one whose label it is, else every one whose
        label begins with it (so more than one is ambiguous, none is no choice)."""

    def means(self, word: str, text: str) -> bool:
        """Whether the text says `word` (yes, no, done, confirm, keep, skip) in the mentee's language."""

    def step_for_label(self, dialog: str, text: str) -> str | None:
        """The step whose short label matches the text (to pick an answer to change)."""

    def takes_offer(self, dialog: str, step: str, text: str) -> bool:
        """Whether the text asks for the date the step offers ("as the programme", "passt")."""

    def names(self, text: str, item: str) -> bool:
        """Whether typed text is the item's own text, read as typed choices are (letter case,
        accents, umlauts written out, ß as ss, spaces and punctuation aside): the whole of it."""


@dataclass(frozen=True)
class EngineContext:
    """Everything outside the script and state that a step may depend on."""

    today: date
    lang: str
    lexicon: Lexicon
    open_actions: tuple[Mapping[str, Any], ...] = ()
    #: Dates the service knows (ISO, by `KnownDate` name; absent when unknown): a step may offer
    #: one (Step.offer) or note a date after one (Step.note_after).
    known: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ask:
    """Ask a step (again). `problem` names what was wrong with the last input."""

    step: str
    index: int = 0
    count: int = 1
    item: str | None = None
    problem: str | None = None
    previous: Any = None
    collected: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    room: int | None = None  # a list near its end: how many more items fit (1, or 0 when full)
    offered: str | None = None  # the known date the step offers to keep (ISO; Step.offer)


@dataclass(frozen=True)
class Info:
    """Show an information step; the dialog goes on by itself."""

    step: str


@dataclass(frozen=True)
class Note:
    """A short remark that is not a question (e.g. 'this one can't be skipped'), with the value it
    speaks of, if any (the date a typed date was read as)."""

    code: str
    value: Any = None
    #: A note of one step's own (its text is `<dialog>.steps.<step>.notes.<code>`), and the known
    #: date it compares the value with (the date offered, the date it is after).
    step: str | None = None
    known: Any = None


@dataclass(frozen=True)
class Summary:
    """The closing summary: every applicable answer, to confirm or pick one to change."""

    entries: tuple[tuple[str, Any], ...]
    problem: str | None = None


@dataclass(frozen=True)
class Finished:
    """The mentee confirmed; the dialog is complete."""


Reply = Ask | Info | Note | Summary | Finished


@dataclass(frozen=True)
class Outcome:
    """What one input did: the replies, the new state, and the answers to save or delete."""

    state: RunState
    replies: tuple[Reply, ...]
    saves: Mapping[str, Any] = field(default_factory=dict)
    deletes: tuple[str, ...] = ()
    #: Keys of `saves` that hold an earlier answer kept as it was (its keep button, "keep", a
    #: skip): saved again, but nothing in them was typed now.
    kept: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        """True once the mentee confirmed the last answer or summary."""
        return self.state.finished


# ---------------------------------------------------------------------------------------------
# Public API


def start(script: Dialog, ctx: EngineContext, earlier: Mapping[str, Any] | None = None,
          given: Mapping[str, str] | None = None) -> Outcome:
    """Open a dialog: find its first applicable step. `earlier` answers (of a run revised) are
    shown with each step and kept with the keep button, as after /back; they are saved only
    once kept or answered anew. `given` answers are known already (typed text, read as the step
    reads it: the date of the meeting an agenda was asked for): saved at once and not asked, but
    shown at the summary to change; one that does not read as its step's answer is asked."""
    keys = {step.key for step in script.answer_steps}
    answers = {key: value for key, value in (earlier or {}).items()
               if key in keys and value is not None}
    known: dict[str, Any] = {}
    for key, text in (given or {}).items():
        step = next((s for s in script.answer_steps if s.key == key and s.foreach is None), None)
        value, problem = read_value(script, step, text, ctx) if step else (None, "unknown")
        if problem is None:
            known[key] = value
    state = RunState(step=script.steps[0].key, answers={**answers, **known}, given=tuple(known))
    out = _forward(script, state, 0, ctx, ())
    return replace(out, saves={**known, **out.saves}) if known else out


def current(script: Dialog, state: RunState, ctx: EngineContext | None = None) -> tuple[Reply, ...]:
    """The question to show again (on resume), with the answer given earlier if any (and, with
    the context, the date it offers)."""
    if state.finished:
        return (Finished(),)
    if state.step == SUMMARY:
        return (_summary(script, state),)
    return (_ask(script, state, ctx=ctx),)


def advance(script: Dialog, state: RunState, event: Input, ctx: EngineContext) -> Outcome:
    """Apply one input to a run. Never raises on any input; a bad one leaves the state as it was."""
    if state.finished:
        return Outcome(state, (Finished(),))
    if event is Command.SHOW:
        return Outcome(state, current(script, state, ctx))
    if event is Command.BACK:
        return _back(script, state, ctx)
    if state.step == SUMMARY:
        return _at_summary(script, state, event, ctx)
    step = script.step(state.step)
    if isinstance(event, Text):
        event = _typed_button(script, state, step, event, ctx)
    if event is Command.SKIP and step.kind is StepKind.LIST and state.answers.get(step.key):
        event = Command.DONE  # "no more": the items so far are the answer
    if event is Command.SKIP:
        return _skip(script, state, step, ctx)
    if isinstance(event, Pick) and event.step != step.key:
        return Outcome(state, (Note("stale_button"), _ask(script, state, ctx=ctx)))
    if isinstance(event, Pick) and event.value == KEEP:
        return _keep(script, state, step, ctx)
    if isinstance(event, Pick) and event.value == OFFER:
        return _take_offer(script, state, step, ctx)
    if step.kind is StepKind.LIST:
        return _list_input(script, state, step, event, ctx)
    if step.kind is StepKind.PICK:
        return _pick_input(script, state, step, event, ctx)
    if event is Command.DONE:
        return Outcome(state, (Note("done_not_here"), _ask(script, state, ctx=ctx)))
    value, problem = _read(script, step, event, ctx)
    if problem is not None:
        return Outcome(state, (_ask(script, state, problem=problem, ctx=ctx),))
    out = _answered(script, state, step, value, ctx)
    if step.kind is StepKind.DATE:  # show which date was understood, and what it changes
        out = replace(out, replies=(*_date_notes(step, value, ctx, isinstance(event, Text)),
                                    *out.replies))
    return out


# ---------------------------------------------------------------------------------------------
# Reading one answer


def clean_text(text: str) -> str:
    """Free text as we keep it: control characters dropped, line ends unified, outer space
    trimmed; nothing but invisible format characters (a zero-width space or joiner, a BOM) with
    or without spaces is nothing typed, as empty as a blank line."""
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return "" if all(c.isspace() or unicodedata.category(c) == "Cf" for c in cleaned) else cleaned


def read_value(script: Dialog, step: Step, text: str, ctx: EngineContext) -> tuple[Any, str | None]:
    """Read typed text as a value of this step (used to apply an edited message), or the problem."""
    if step.kind in (StepKind.LIST, StepKind.INFO, StepKind.PICK):
        return None, "not_understood"
    return _read(script, step, Text(text), ctx)


def _read(script: Dialog, step: Step, event: Input, ctx: EngineContext) -> tuple[Any, str | None]:
    """Turn an input into the step's value, or name the problem."""
    if isinstance(event, Command):
        return None, "not_understood"
    raw = event.value if isinstance(event, Pick) else event.text
    text = clean_text(raw)
    if not text:
        return None, _EMPTY.get(step.kind, "empty")
    if step.kind is StepKind.TEXT:
        return (None, "too_long") if len(text) > step.max_length else (text, None)
    if step.kind is StepKind.CHOICE:
        return _read_choice(script, step, event, text, ctx)
    if step.kind is StepKind.SCALE:
        match = _INTEGER.match(text)
        if match is None:
            return None, "not_a_number"
        number = int(match.group(1))
        if not step.scale_min <= number <= step.scale_max:
            return None, "out_of_range"
        return number, None
    if step.kind is StepKind.YESNO:
        for word, value in (("yes", True), ("no", False)):
            if text == word or ctx.lexicon.means(word, text):
                return value, None
        return None, "not_yes_no"
    if step.kind is StepKind.DATE:
        if len(text) > 200:
            return None, "not_a_date"
        parsed = parse_date(text, ctx.today, ctx.lang)
        if parsed is None:
            return None, "not_a_date"
        if parsed < ctx.today and not step.allow_past:
            return None, "date_past"
        return parsed.isoformat(), None
    return None, "not_understood"


def _read_choice(
    script: Dialog, step: Step, event: Input, text: str, ctx: EngineContext
) -> tuple[Any, str | None]:
    if isinstance(event, Pick):
        return (text, None) if text in step.choices else (None, "stale_button")
    number = _list_number(text, len(step.choices))
    if number is not None:
        return step.choices[number - 1], None
    if len(text) > 200:
        return None, "not_a_choice"
    if step.yes_no is not None:
        for word, value in zip(("yes", "no"), step.yes_no, strict=True):
            if ctx.lexicon.means(word, text):
                return value, None
    values = [v for v in ctx.lexicon.choices_for(script.name, step.key, text) if v in step.choices]
    if len(values) > 1:
        return None, "ambiguous_choice"
    return (values[0], None) if values else (None, "not_a_choice")


# ---------------------------------------------------------------------------------------------
# Moving through the script


def _answered(
    script: Dialog, state: RunState, step: Step, value: Any, ctx: EngineContext
) -> Outcome:
    """Store a valid answer and move to the next applicable question."""
    history = (*state.history, Position(step.key, state.index))
    if step.foreach is not None:
        entries, missing = _loop_entries(state, step)
        entries[state.index] = {**entries[state.index], "value": value}
        stored: Any = entries
        state = replace(state, answers={**state.answers, step.key: stored}, history=history)
        later = [i for i in (missing if state.editing else range(len(entries))) if i > state.index]
        if later:
            state = replace(state, index=later[0])
            return Outcome(state, (_ask(script, state),), {step.key: stored})
    else:
        stored = value
        state = replace(state, answers={**state.answers, step.key: stored}, history=history)
    out = _forward(script, state, script.position(step.key) + 1, ctx, ())
    return replace(out, saves={step.key: stored, **out.saves})


def _forward(
    script: Dialog, state: RunState, start_at: int, ctx: EngineContext, replies: tuple[Reply, ...]
) -> Outcome:
    """Go to the first applicable step at or after `start_at` (info steps are shown on the way)."""
    shown = list(replies)
    visited = {position.step for position in state.history}
    for step in script.steps[start_at:]:
        if not _applies(step, state.answers):
            continue
        if step.kind is StepKind.INFO:
            if not state.editing:
                shown.append(Info(step.key))
            continue
        if step.kind is StepKind.PICK and not _pick_options(step, state):
            continue
        index = 0
        if step.foreach is not None:
            items = _loop_items(step, state, ctx)
            if not items:
                continue
            state = replace(state, loops={**state.loops, step.key: items})
            _, missing = _loop_entries(state, step)
            if state.editing and not missing:
                continue
            index = missing[0] if state.editing else 0
        elif _passed_by(state, step, visited):
            continue
        state = replace(state, step=step.key, index=index)
        shown.append(_ask(script, state, ctx=ctx))
        return Outcome(state, tuple(shown))
    if script.summary and script.answer_steps:
        state = replace(state, step=SUMMARY, index=0, editing=False)
        shown.append(_summary(script, state))
        return Outcome(state, tuple(shown))
    return _finish(script, state, tuple(shown))


def _passed_by(state: RunState, step: Step, visited: set[str]) -> bool:
    """A step not asked on the way: its answer was given at the start, or while editing from
    the summary, one answered (or skipped) already."""
    if step.key in state.answers and step.key in state.given:
        return True
    return state.editing and (step.key in state.answers or step.key in visited)


def _finish(script: Dialog, state: RunState, replies: tuple[Reply, ...]) -> Outcome:
    """Complete the run; answers of steps that no longer apply (after a change) are dropped."""
    stale = tuple(
        key for key in state.answers
        if key in _step_keys(script) and not _applies(script.step(key), state.answers)
    )
    answers = {k: v for k, v in state.answers.items() if k not in stale}
    done = replace(state, answers=answers, finished=True, editing=False)
    return Outcome(done, (*replies, Finished()), deletes=stale)


def _back(script: Dialog, state: RunState, ctx: EngineContext) -> Outcome:
    """Return to the previous question, showing the answer given there."""
    if not state.history:
        return Outcome(state, (Note("at_first"), *current(script, state, ctx)))
    last = state.history[-1]
    state = replace(state, history=state.history[:-1], step=last.step, index=last.index)
    if last.step == SUMMARY:
        state = replace(state, editing=False)
    return Outcome(state, current(script, state, ctx))


def _skip(script: Dialog, state: RunState, step: Step, ctx: EngineContext) -> Outcome:
    """Move on without an answer (an earlier answer to this step is kept). A required step that
    offers a known date keeps its earlier answer, else takes that date: nothing changes."""
    if not step.optional and _offered(step, ctx) is not None:
        return _keep(script, state, step, ctx) if _earlier(state, step) is not None \
            else _take_offer(script, state, step, ctx)
    if not step.optional:
        return Outcome(state, (Note("cannot_skip"), _ask(script, state, ctx=ctx)))
    if step.foreach is not None:
        previous = _loop_entries(state, step)[0][state.index].get("value")
        return replace(_answered(script, state, step, previous, ctx), kept=(step.key,))
    if step.key in state.answers:
        return replace(_answered(script, state, step, state.answers[step.key], ctx),
                       kept=(step.key,))
    history = (*state.history, Position(step.key, state.index))
    state = replace(state, history=history)
    return _forward(script, state, script.position(step.key) + 1, ctx, (Note("skipped"),))


def _typed_button(
    script: Dialog, state: RunState, step: Step, event: Text, ctx: EngineContext
) -> Input:
    """A typed word that stands for a button: "skip" on any step (a message of only that word is
    no answer; a required step says it can't be skipped), "keep" where an earlier answer is shown
    with its keep button, and where a step offers a known date, the step's own words for it ("as
    the programme"), or "keep" when there is no earlier answer to keep."""
    text = clean_text(event.text)
    if len(text) > 40:
        return event
    if ctx.lexicon.means("skip", text):
        return Command.SKIP
    offered = _offered(step, ctx) is not None
    if offered and ctx.lexicon.takes_offer(script.name, step.key, text):
        return Pick(step.key, OFFER)
    keeps = step.kind is not StepKind.LIST and not (step.kind is StepKind.PICK and step.max_items > 1)
    if keeps and ctx.lexicon.means("keep", text):
        if _earlier(state, step) is not None:
            return Pick(step.key, KEEP)
        if offered:
            return Pick(step.key, OFFER)
    return event


def _earlier(state: RunState, step: Step) -> Any:
    """The answer this step (this item of a per-item step) already has, if any."""
    if step.foreach is not None:
        entries = _loop_entries(state, step)[0]
        return entries[state.index].get("value") if state.index < len(entries) else None
    return state.answers.get(step.key)


def _keep(script: Dialog, state: RunState, step: Step, ctx: EngineContext) -> Outcome:
    """Keep the earlier answer of a step returned to with /back or from the summary."""
    earlier = _earlier(state, step)
    if earlier is None:
        return Outcome(state, (_ask(script, state, problem="not_understood", ctx=ctx),))
    out = replace(_answered(script, state, step, earlier, ctx), kept=(step.key,))
    if step.kind is StepKind.DATE and _offered(step, ctx) is not None:
        out = replace(out, replies=(*_date_notes(step, earlier, ctx, typed=False), *out.replies))
    return out


def _offered(step: Step, ctx: EngineContext) -> str | None:
    """The known date this step offers (ISO), if the service knows it and it reads as this
    step's answer (a planned end that has passed is not offered)."""
    known = ctx.known.get(step.offer) if step.offer is not None else None
    if not known:
        return None
    try:
        day = date.fromisoformat(known)
    except ValueError:
        return None
    return None if day < ctx.today and not step.allow_past else day.isoformat()


def _take_offer(script: Dialog, state: RunState, step: Step, ctx: EngineContext) -> Outcome:
    """Answer with the known date the step offers (its button, or a word typed for it)."""
    offered = _offered(step, ctx)
    if offered is None:  # the button of an offer that no longer stands
        return Outcome(state, (_ask(script, state, problem="not_understood", ctx=ctx),))
    out = _answered(script, state, step, offered, ctx)
    return replace(out, replies=(*_date_notes(step, offered, ctx, typed=False), *out.replies))


def _date_notes(step: Step, value: str, ctx: EngineContext, typed: bool) -> tuple[Note, ...]:
    """What a date answer is told: a typed date as it was understood; at a step that offers a
    known date, that it was kept, or that it changes that date; and after the date a step notes
    dates after (`note_after`), that it is after it."""
    offered = _offered(step, ctx)
    notes: list[Note] = []
    if offered is not None:
        notes.append(Note("kept" if value == offered else "changed", value, step.key, offered))
    elif typed:
        notes.append(Note("date_understood", value))
    after = ctx.known.get(step.note_after) if step.note_after is not None else None
    if after and value > after:  # ISO dates compare as the days they name
        notes.append(Note("after", value, step.key, after))
    return tuple(notes)


def _list_input(
    script: Dialog, state: RunState, step: Step, event: Input, ctx: EngineContext
) -> Outcome:
    """A list grows one message at a time until the mentee says done. Near its maximum the
    question says one more fits; full, it says so and waits for "That's all": more lines are
    said not added (a paste's lines beyond the maximum too), never taken for the next answer.
    With items, "remove 2" or "start over" fixes it instead (`_list_edit`)."""
    items: list[str] = list(state.answers.get(step.key) or [])
    wants_done = event is Command.DONE or (isinstance(event, Pick) and event.value == LIST_DONE)
    if isinstance(event, Text) and ctx.lexicon.means("done", clean_text(event.text)):
        wants_done = True
    if wants_done:
        if len(items) < step.min_items:
            return Outcome(state, (_ask(script, state, problem="list_too_short"),))
        return _answered(script, state, step, items, ctx)
    if not isinstance(event, Text):
        return Outcome(state, (_ask(script, state, problem="not_understood"),))
    if items:
        edited = _list_edit(script, state, step, items, event.text, ctx)
        if edited is not None:
            return edited
    values, problem = _read_list_items(step, event.text)
    if problem is not None:
        return Outcome(state, (_ask(script, state, problem=problem),))
    if len(items) >= step.max_items:  # full: what comes now is said not added, never an answer
        return Outcome(state, (Note("list_full", len(values)), _ask(script, state)))
    room = step.max_items - len(items)
    items.extend(values[:room])
    state = replace(state, answers={**state.answers, step.key: items})
    # Full, the list waits for "That's all": a line typed right after is not the next answer.
    left_out = (Note("list_cut", len(values) - room),) if len(values) > room else ()
    return Outcome(state, (*left_out, _ask(script, state)), {step.key: items})


def _list_edit(
    script: Dialog, state: RunState, step: Step, items: list[str], raw: str, ctx: EngineContext
) -> Outcome | None:
    """A message that fixes the list instead of adding to it: "remove 2" ("2 löschen", "delete 1
    and 3") takes out the items of those numbers, "start over" ("neu") empties it; None for a
    message that is an item."""
    text = clean_text(raw)
    if len(text) > 40 or "\n" in text:
        return None
    if ctx.lexicon.means("restart", text):
        numbers = set(range(1, len(items) + 1))
    else:
        numbers = {int(n) for n in re.findall(r"[0-9]+", text)}
        words = re.sub(r"[0-9]+|[,;&+/.#]|\b(?:and|und)\b", " ", text, flags=re.IGNORECASE)
        if not ctx.lexicon.means("remove", words):
            return None
        if not numbers or not all(1 <= n <= len(items) for n in numbers):
            return Outcome(state, (_ask(script, state, problem="not_on_list"),))
    removed = [item for n, item in enumerate(items, start=1) if n in numbers]
    kept = [item for n, item in enumerate(items, start=1) if n not in numbers]
    after = _follow_list(script, state, step, kept, removed)
    changed = {key: value for key, value in after.answers.items()
               if state.answers.get(key) != value}
    emptied = tuple(key for key in state.answers if key not in after.answers)
    note = Note("list_removed", removed) if kept else Note("list_emptied")
    return Outcome(after, (note, _ask(script, after)), changed, emptied)


def _follow_list(
    script: Dialog, state: RunState, step: Step, kept: list[str], removed: list[str]
) -> RunState:
    """The state with the list now `kept`: the answers that pick from it lose the items no longer
    on it, and those that go through its items the entries of items taken out, so later
    questions and the summary see the list as it is; an answer left empty is no answer."""
    answers: dict[str, Any] = {**state.answers, step.key: kept}
    loops = dict(state.loops)
    followers = [step.key]
    gone = [item for item in removed if item not in kept]
    for later in script.steps[script.position(step.key) + 1:]:
        if later.pick_from == step.key and isinstance(answers.get(later.key), list):
            answers[later.key] = [p for p in answers[later.key] if p not in gone]
            followers.append(later.key)
        elif later.foreach is not None and later.foreach.step == step.key and later.key in loops:
            loops[later.key] = tuple({"ref": i, "item": item} for i, item in enumerate(kept))
            entries, missing = _loop_entries(replace(state, answers=answers, loops=loops), later)
            if isinstance(answers.get(later.key), list):
                answers[later.key] = [e for i, e in enumerate(entries) if i not in missing]
            followers.append(later.key)
    answers = {k: v for k, v in answers.items() if k not in followers or v != []}
    # /back never returns to an item that is gone; a pick left with no answer counts as not
    # asked yet, so going on from a change at the summary asks it again
    history = tuple(p for p in state.history if p.step == step.key or p.step not in followers
                    or (p.step in answers and (p.step not in loops or p.index < len(kept))))
    return replace(state, answers=answers, loops=loops, history=history)


def _read_list_items(step: Step, raw: str) -> tuple[list[str], str | None]:
    """One item, or one per line when a message holds several lines, so a list written in one go
    takes one message; a leading bullet or number ("- ", "2. ") is dropped."""
    text = clean_text(raw)
    if not text:
        return [], "empty"
    lines = [line.strip() for line in text.split("\n") if line.strip()] if "\n" in text else [text]
    items = [_BULLET.sub("", line).strip() or line for line in lines]
    if any(len(item) > step.max_length for item in items):
        return [], "too_long"
    return items, None


def _pick_input(
    script: Dialog, state: RunState, step: Step, event: Input, ctx: EngineContext
) -> Outcome:
    """Choose from the items of an earlier list. A single pick answers at once. For several, each
    button adds its item (pressed again, removes it) and a typed message adds the items it names
    ("1, 3", an item's text); "done", or picking every item, ends the step."""
    options = _pick_options(step, state)
    single = step.max_items == 1
    picked = [] if single else [str(p) for p in state.answers.get(step.key) or []]
    wants_done = event is Command.DONE or (isinstance(event, Pick) and event.value == LIST_DONE)
    if isinstance(event, Text) and ctx.lexicon.means("done", clean_text(event.text)):
        wants_done = True
    if wants_done and single:
        return Outcome(state, (Note("done_not_here"), _ask(script, state)))
    if wants_done:
        if len(picked) < step.min_items:
            return Outcome(state, (_ask(script, state, problem="list_too_short"),))
        return _answered(script, state, step, picked, ctx)
    if isinstance(event, Pick):
        if event.value not in options:
            return Outcome(state, (_ask(script, state, problem="not_a_choice"),))
        chosen = [event.value]
        if event.value in picked:
            picked.remove(event.value)
            chosen = []
    elif isinstance(event, Text):
        chosen, problem = _read_picks(step, options, event.text, ctx.lexicon)
        if problem is None and single and len(chosen) > 1:
            problem = "not_a_choice"
        if problem is not None:
            return Outcome(state, (_ask(script, state, problem=problem),))
    else:
        return Outcome(state, (_ask(script, state, problem="not_understood"),))
    picked.extend(item for item in dict.fromkeys(chosen) if item not in picked)
    if single or len(picked) >= step.max_items or set(options) <= set(picked):
        return _answered(script, state, step, picked[:step.max_items], ctx)
    state = replace(state, answers={**state.answers, step.key: picked})
    return Outcome(state, (_ask(script, state),), {step.key: picked})


def _read_picks(
    step: Step, options: list[str], raw: str, lexicon: Lexicon
) -> tuple[list[str], str | None]:
    """The items a typed message names: numbers ("1, 3"), an item's whole text as a typed choice
    is read (`Lexicon.names`), or (if the step allows it) a new item."""
    text = clean_text(raw)
    if not text:
        return [], _EMPTY[StepKind.PICK]
    if len(text) <= 200 and _NUMBERS.match(text):
        numbers = [int(n) for n in re.findall(r"[0-9]+", text)]
        if all(1 <= n <= len(options) for n in numbers):
            return [options[n - 1] for n in numbers], None
        return [], "not_a_choice"
    folded = " ".join(text.casefold().split())  # also an item of emoji only, which forms drop
    for option in options:
        if " ".join(option.casefold().split()) == folded or lexicon.names(text, option):
            return [option], None
    if not step.allow_new:
        return [], "not_a_choice"
    if len(text) > step.max_length:
        return [], "too_long"
    return [text], None


def _confirm(script: Dialog, state: RunState, ctx: EngineContext) -> Outcome:
    """Finish, unless a required question is still open: then ask it first."""
    missing = _first_missing(script, state)
    if missing is None:
        return _finish(script, state, ())
    history = (*state.history, Position(SUMMARY, 0))
    state = replace(state, step=missing[0], index=missing[1], editing=True, history=history)
    return Outcome(state, (_ask(script, state, ctx=ctx),))


def _at_summary(script: Dialog, state: RunState, event: Input, ctx: EngineContext) -> Outcome:
    """At the summary: confirm, or pick a step to change."""
    entries = _summary(script, state).entries
    target: str | None = None
    if isinstance(event, Pick):
        if event.step != SUMMARY:
            return Outcome(state, (Note("stale_button"), _summary(script, state)))
        if event.value == CONFIRM:
            return _confirm(script, state, ctx)
        target = event.value.removeprefix(EDIT_PREFIX) if event.value.startswith(EDIT_PREFIX) else None
    elif isinstance(event, Text):
        text = clean_text(event.text)
        if text == CONFIRM_NUMBER or ctx.lexicon.means("confirm", text) \
                or ctx.lexicon.means("yes", text):
            return _confirm(script, state, ctx)
        number = _list_number(text, len(entries))
        if number is not None:
            target = entries[number - 1][0]
        elif len(text) <= 200:
            target = ctx.lexicon.step_for_label(script.name, text)
    if target is None or target not in {key for key, _ in entries}:
        return Outcome(state, (_summary(script, state, problem="pick_or_confirm"),))
    history = (*state.history, Position(SUMMARY, 0))
    state = replace(state, step=target, index=0, editing=True, history=history)
    return Outcome(state, (_ask(script, state, ctx=ctx),))


# ---------------------------------------------------------------------------------------------
# Helpers


def _list_number(text: str, count: int) -> int | None:
    """A typed number 1..count picking an entry (plain digits only: no '²', no 5,000 digits)."""
    if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= count:
        return int(text)
    return None


def _first_missing(script: Dialog, state: RunState) -> tuple[str, int] | None:
    """The first required question that applies but has no answer (possible after a change at the
    summary turned a condition true and the mentee went back without answering it)."""
    for step in script.answer_steps:
        if step.optional or not _applies(step, state.answers):
            continue
        if step.foreach is not None:
            if state.loops.get(step.key):
                _, missing = _loop_entries(state, step)
                if missing:
                    return step.key, missing[0]
        elif step.kind is StepKind.PICK and not _pick_options(step, state):
            continue
        elif step.key not in state.answers:
            return step.key, 0
    return None


def _applies(step: Step, answers: Mapping[str, Any]) -> bool:
    return all(condition.holds(dict(answers)) for condition in step.when)


def _step_keys(script: Dialog) -> set[str]:
    return {step.key for step in script.steps}


def _pick_options(step: Step, state: RunState) -> list[str]:
    """The items a pick step offers: the current items of the list it picks from."""
    return [str(item) for item in state.answers.get(step.pick_from or "") or []]


def _loop_items(step: Step, state: RunState, ctx: EngineContext) -> tuple[dict[str, Any], ...]:
    """The items a foreach step asks about: the current items of the list it follows (so an item
    added after /back is asked too), or the open actions as they were when first reached."""
    assert step.foreach is not None
    if step.foreach.step is not None:
        source = state.answers.get(step.foreach.step) or []
        return tuple({"ref": i, "item": str(text)} for i, text in enumerate(source))
    if step.key in state.loops:
        return state.loops[step.key]
    return tuple({"ref": a.get("ref"), "item": str(a.get("text", ""))} for a in ctx.open_actions)


def _loop_entries(state: RunState, step: Step) -> tuple[list[dict[str, Any]], list[int]]:
    """One entry per current item with its saved value (matched by ref and text, then by text),
    and the indexes of items that have no saved entry yet."""
    items = state.loops.get(step.key, ())
    saved = state.answers.get(step.key)
    pool = [dict(e) for e in saved if isinstance(e, dict)] if isinstance(saved, list) else []
    entries: list[dict[str, Any]] = []
    missing: list[int] = []
    for index, item in enumerate(items):
        match = next((e for e in pool if e.get("ref") == item.get("ref")
                      and e.get("item") == item.get("item")), None)
        match = match or next((e for e in pool if e.get("item") == item.get("item")), None)
        if match is None:
            missing.append(index)
            entries.append({**item, "value": None})
        else:
            pool.remove(match)
            entries.append({**item, "value": match.get("value")})
    return entries, missing


def _ask(script: Dialog, state: RunState, problem: str | None = None,
         ctx: EngineContext | None = None) -> Ask:
    """The step's question, always with the answer it already has (reached with /back, from the
    summary, or a revised run's): a refused input must not take away the keep button. With the
    context, a step that offers a known date offers it."""
    step = script.step(state.step)
    earlier: Any = state.answers.get(step.key)
    if step.foreach is not None:
        items = state.loops.get(step.key, ())
        entries, _ = _loop_entries(state, step)
        earlier = entries[state.index].get("value") if entries else None
        return Ask(step.key, state.index, len(items), items[state.index]["item"] if items else None,
                   problem, earlier)
    if step.kind is StepKind.LIST:
        collected = tuple(earlier or ())
        room = step.max_items - len(collected)
        return Ask(step.key, problem=problem, collected=collected,
                   room=max(room, 0) if collected and room <= 1 else None)
    if step.kind is StepKind.PICK:
        options = tuple(_pick_options(step, state))
        if step.max_items == 1:
            return Ask(step.key, problem=problem, previous=earlier, options=options)
        return Ask(step.key, problem=problem, collected=tuple(earlier or ()), options=options)
    offered = _offered(step, ctx) if ctx is not None else None
    return Ask(step.key, problem=problem, previous=earlier, offered=offered)


def _summary(script: Dialog, state: RunState, problem: str | None = None) -> Summary:
    entries = tuple(
        (step.key, state.answers[step.key]) for step in script.answer_steps
        if step.key in state.answers and state.answers[step.key] is not None
        and _applies(step, state.answers)
    )
    return Summary(entries, problem)
