"""Every dialog walked to the end in English and German, driven by the transcripts in tests/transcripts/.

A transcript (one YAML file per dialog, see tests/transcripts/README.md) is a list of turns: an input
(typed text, a command, a button) and what must follow (the step now asked, a problem with the input,
the summary, the end). The walk goes through the real conversation service on both databases; the step
asked is read from the run stored in the database after every turn, and the saved answers, goals and
user settings are checked once the dialog is confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.registry import default_scripts
from dialogs.schema import Dialog, Step, StepKind
from dialogs.state import SUMMARY
from prompts.catalog import default_catalog
from service.callbacks import AnswerPress, SummaryPress, parse, summary_data
from service.conversation import ConversationService
from service.inputs import PressIn
from service.messages import OutMessage, Response
from storage.answers import answers_of
from storage.goals import add_actions, create_goal, goals_of
from storage.runs import RunRecord, active_run, create_run, runs_of, set_run_status
from storage.users import UserRecord, get_user, update_user
from storage.vocabulary import Role, RunStatus, Visibility
from tests.support.chat import Chat
from tests.support.clock import FakeClock

TRANSCRIPTS = Path(__file__).parent / "transcripts"
DIALOGS = ("agreement", "story", "vision", "grow", "checkin", "agenda", "reflection", "mentor_story",
           "mentor_checkin", "mentor_reflection")
LANGUAGES = ("en", "de")
CASES = [pytest.param(dialog, lang, id=f"{dialog}-{lang}") for dialog in DIALOGS for lang in LANGUAGES]
EXPECTATIONS = ("expect_step", "expect_problem", "expect_summary", "expect_finished")
INPUTS = ("send", "press", "change")
# Button words a transcript may press, by the catalog text of their label.
BUTTON_WORDS = {"done": "common.buttons.done", "keep": "common.buttons.keep",
                "skip": "common.buttons.skip", "confirm": "common.buttons.confirm",
                "yes": "common.buttons.yes", "no": "common.buttons.no"}
FINISHED = "_finished"

SCRIPTS = default_scripts()
CATALOG = default_catalog()


# ---------------------------------------------------------------------------------------------
# Reading transcripts


@cache
def transcript(dialog: str) -> Mapping[str, Any]:
    """The transcript of one dialog, as YAML data (both languages)."""
    data = yaml.safe_load((TRANSCRIPTS / f"{dialog}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{dialog}.yaml is not a mapping"
    assert data.get("dialog") == dialog, f"{dialog}.yaml names dialog {data.get('dialog')!r}"
    return data


def localize(value: Any, lang: str) -> Any:
    """The value for one language: `{en: ..., de: ...}` picks one, anything else is walked through."""
    if isinstance(value, Mapping):
        if set(value) == set(LANGUAGES):
            return localize(value[lang], lang)
        return {key: localize(item, lang) for key, item in value.items()}
    if isinstance(value, list):
        return [localize(item, lang) for item in value]
    return value


def typed_text(value: Any) -> str:
    """What a `send:` turn types: a string, or `{repeat: ..., times: n}` for long messages."""
    if isinstance(value, Mapping):
        return str(value["repeat"]) * int(value["times"])
    return str(value)


def normalize(value: Any) -> Any:
    """Expected values as the database returns them (YAML dates become ISO strings)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: normalize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalize(item) for item in value]
    return value


def matches(actual: Any, expected: Any) -> bool:
    """Equality, except that an expected mapping only names the fields that matter."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and matches(actual[key], item) for key, item in expected.items())
    if isinstance(expected, list):
        return (isinstance(actual, list | tuple) and len(actual) == len(expected)
                and all(matches(a, e) for a, e in zip(actual, expected, strict=True)))
    if isinstance(actual, date):
        actual = actual.isoformat()
    return bool(actual == normalize(expected))


def expected_step(turn: Mapping[str, Any], before: str | None) -> str | None:
    """The step a turn expects the bot to ask afterwards (a problem keeps the step)."""
    if "expect_step" in turn:
        return str(turn["expect_step"])
    if turn.get("expect_summary"):
        return SUMMARY
    if turn.get("expect_finished"):
        return FINISHED
    return before


def static_walk(turns: list[Mapping[str, Any]]) -> list[tuple[str | None, Mapping[str, Any]]]:
    """Each turn with the step asked when it is given, as the transcript itself says."""
    walk: list[tuple[str | None, Mapping[str, Any]]] = []
    at: str | None = None
    for turn in turns:
        walk.append((at, turn))
        at = expected_step(turn, at)
    return walk


# ---------------------------------------------------------------------------------------------
# The database and the messages


@dataclass(frozen=True)
class At:
    """Where a user's latest run stands, as stored."""

    run_id: int | None
    step: str | None
    index: int
    status: str | None


async def user_of(service: ConversationService, chat: Chat) -> UserRecord:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
    assert user is not None, "the user does not exist yet"
    return user


async def where(service: ConversationService, chat: Chat) -> At:
    """The active run's position, or else the latest run's (to see it completed)."""
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        if user is None:
            return At(None, None, 0, None)
        run: RunRecord | None = await active_run(session, user.id)
        if run is None:
            runs = await runs_of(session, user.id)
            run = runs[-1] if runs else None
    if run is None:
        return At(None, None, 0, None)
    return At(run.id, run.step, int(run.state.get("index", 0)), run.status)


def html_of(response: Response) -> str:
    return "\n".join(message.text for message in response.messages)


def plain_of(chat: Chat, response: Response) -> str:
    return chat.texts(response)


def problem_text(lang: str, code: str, step: Step | None) -> str:
    """The text a problem (or the cannot-skip note) is shown with, in that language."""
    limits: dict[str, Any] = {}
    if step is not None:
        limits = {"max_length": step.max_length, "scale_min": step.scale_min,
                  "scale_max": step.scale_max, "min_items": step.min_items,
                  "pick": step.kind is StepKind.PICK}
    for key in (f"common.problems.{code}", f"common.notes.{code}"):
        if CATALOG.has(lang, key):
            return CATALOG.render(lang, key, **limits)
    raise AssertionError(f"no problem or note text {code!r}")


def press_label(script: Dialog, step_key: str | None, value: Any, lang: str) -> str:
    """The label of the button a `press:` turn means at the current step."""
    if isinstance(value, bool):  # YAML reads a bare yes/no as a boolean
        value = "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if step_key not in (None, SUMMARY, FINISHED):
        step = script.step(str(step_key))
        if step.kind is StepKind.CHOICE and value in step.choices:
            return CATALOG.render(lang, f"{script.name}.steps.{step.key}.choices.{value}")
    if value in BUTTON_WORDS:
        return CATALOG.render(lang, BUTTON_WORDS[value])
    raise AssertionError(f"no button {value!r} at step {step_key!r}")


def picking(script: Dialog, step_key: str | None) -> bool:
    """Whether the step asked is a pick step (its buttons are the mentee's own items, in order)."""
    return step_key not in (None, SUMMARY, FINISHED) and \
        script.step(str(step_key)).kind is StepKind.PICK


def last_question(response: Response) -> OutMessage:
    assert response.messages, "the bot said nothing"
    return response.messages[-1]


def check_buttons(script: Dialog, message: OutMessage, at: At) -> None:
    """The buttons of the message just sent belong to the stored position."""
    for button in message.choices:
        press = parse(button.data)
        if isinstance(press, AnswerPress):
            assert press.run_id == at.run_id
            assert at.step not in (None, SUMMARY)
            assert press.position == script.position(str(at.step)), button
            assert press.index == at.index, button
        elif isinstance(press, SummaryPress):
            assert press.run_id == at.run_id
            assert at.step == SUMMARY, button


# ---------------------------------------------------------------------------------------------
# Setting up and walking


async def set_up(service: ConversationService, chat: Chat, data: Mapping[str, Any], lang: str) -> None:
    """Create the user (through the service, with the language hint) and what the transcript needs."""
    chat.language = lang
    await chat.send("/help")
    user = await user_of(service, chat)
    assert user.language == lang
    role = data.get("role", "mentee")
    setup = localize(data.get("setup") or {}, lang)
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        if role != user.role:
            await update_user(session, user.id, now, role=Role(role))
        for goal in setup.get("goals", []):
            run_id = await create_run(
                session, user_id=user.id, dialog="grow", stage="establishing", step=SUMMARY,
                state={}, now=now)
            await set_run_status(session, run_id, RunStatus.COMPLETED, now)
            goal_id = await create_goal(
                session, user_id=user.id, run_id=run_id, dialog="grow", stage="establishing",
                title=goal["title"], details={}, due_on=_day(goal.get("due_on")),
                visibility=Visibility.PRIVATE, now=now)
            await add_actions(
                session, goal_id=goal_id, user_id=user.id, now=now,
                actions=[(a["text"], _day(a.get("due_on"))) for a in goal.get("actions", [])])


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


async def give(chat: Chat, script: Dialog, turn: Mapping[str, Any], at: At, lang: str) -> Response:
    """Send one turn's input to the service."""
    if "send" in turn:
        return await chat.send(typed_text(localize(turn["send"], lang)))
    if "press" in turn:
        value = localize(turn["press"], lang)
        if picking(script, at.step) and isinstance(value, int):  # the n-th of the mentee's items
            return await chat.press(value - 1)
        label = press_label(script, at.step, value, lang)
        labels = [button.label for button in chat.buttons]
        assert label in labels, f"no button {label!r} in {labels}"
        return await chat.press(labels.index(label))
    assert at.run_id is not None
    assert at.step == SUMMARY, "`change` works at the summary"
    data = summary_data(at.run_id, f"edit:{script.position(str(turn['change']))}")
    assert data in [button.data for button in chat.buttons], f"no change button for {turn['change']}"
    return await chat.handle(PressIn(data))


async def walk(service: ConversationService, chat: Chat, dialog: str, lang: str,
               turns: list[Mapping[str, Any]]) -> None:
    """Give every turn and check what the bot did after each."""
    script = SCRIPTS.get(dialog)
    after = await where(service, chat)
    clock = service.clock
    assert isinstance(clock, FakeClock)
    for number, turn in enumerate(turns, start=1):
        where_ = f"{dialog}/{lang} turn {number} {dict(turn)!r}"
        before = after
        clock.advance(seconds=30)  # writing takes a moment: no turn is the rest of a long paste
        response = await give(chat, script, turn, before, lang)
        after = await where(service, chat)
        text, plain = html_of(response), plain_of(chat, response)
        if "expect_problem" in turn:
            assert (after.run_id, after.step, after.index) == (before.run_id, before.step, before.index), \
                f"{where_}: the step changed to {after}"
            step = script.step(str(before.step)) if before.step not in (None, SUMMARY) else None
            problem = problem_text(lang, str(turn["expect_problem"]), step)
            assert problem in text, f"{where_}: problem text missing from {text!r}"
        elif turn.get("expect_finished"):
            assert after.status == "completed", f"{where_}: run is {after}"
            assert after.run_id == before.run_id
        else:
            wanted = expected_step(turn, before.step)
            assert after.status == "active", f"{where_}: run is {after}"
            assert after.step == wanted, f"{where_}: asks {after.step!r}, not {wanted!r}\n{plain}"
            if "expect_index" in turn:
                assert after.index == turn["expect_index"], f"{where_}: item {after.index}"
            if wanted == SUMMARY:
                header = CATALOG.render(lang, "common.summary.header",
                                        title=CATALOG.render(lang, f"{dialog}.title"))
                assert header in text, f"{where_}: no summary in {plain!r}"
        if after.status == "active":
            check_buttons(script, last_question(response), after)
        for shown in localize(turn.get("expect_shows", []), lang):
            assert str(shown) in plain, f"{where_}: {shown!r} not in {plain!r}"


async def check_saved(service: ConversationService, chat: Chat, dialog: str, lang: str,
                      data: Mapping[str, Any]) -> None:
    """The completed run's answers, the goals and the user as the transcript says."""
    script = SCRIPTS.get(dialog)
    expected = normalize(localize(data["answers"], lang))
    user = await user_of(service, chat)
    async with service.sessionmaker.begin() as session:
        runs = [run for run in await runs_of(session, user.id) if run.dialog == dialog]
        answers = [a for a in await answers_of(session, user.id) if a.dialog == dialog]
        goals = await goals_of(session, user.id)
    assert len(runs) == 1
    assert runs[0].status == "completed"
    assert runs[0].completed_at is not None
    assert runs[0].stage == script.stage.value
    for answer in answers:
        assert answer.run_id == runs[0].id
        assert (answer.dialog, answer.stage) == (dialog, script.stage.value), answer
    saved = {answer.step_key: answer.value for answer in answers}
    assert len(saved) == len(answers), "one answer row per step"
    assert sorted(saved) == sorted(expected), "answered steps differ"
    for key, value in expected.items():
        assert matches(saved[key], value), f"{key}: saved {saved[key]!r}, expected {value!r}"
    for key in data.get("absent", []):
        assert key not in saved, f"{key} was skipped but is saved"
    for field, value in localize(data.get("user", {}), lang).items():
        assert matches(getattr(user, field), value), f"user.{field} is {getattr(user, field)!r}"
    if "goals" in data:
        actual = [{**goal.__dict__, "actions": [a.__dict__ for a in goal.actions]} for goal in goals]
        assert matches(actual, localize(data["goals"], lang)), actual
        if dialog == "checkin":  # answers point at the action steps they updated
            refs = [entry["ref"] for entry in saved["action_status"]]
            assert refs == [action.id for action in goals[0].actions]


# ---------------------------------------------------------------------------------------------
# The transcripts


@pytest.mark.parametrize(("dialog", "lang"), CASES)
async def test_transcript(service: ConversationService, chat: Chat, dialog: str, lang: str) -> None:
    data = transcript(dialog)
    await set_up(service, chat, data, lang)
    await walk(service, chat, dialog, lang, data["turns"])
    await check_saved(service, chat, dialog, lang, data)


def test_every_dialog_has_a_transcript() -> None:
    assert set(DIALOGS) == set(SCRIPTS.by_name)
    assert {path.stem for path in TRANSCRIPTS.glob("*.yaml")} == set(DIALOGS)


@pytest.mark.parametrize("dialog", DIALOGS)
def test_transcript_covers_the_requirements(dialog: str) -> None:
    """Each transcript skips, goes back, branches, gets a bad answer, a typed choice, and confirms.

    Dialogs with no `when` step branch through the summary: a change picked there by number or
    label. Dialogs with no choice step type their number and label choices at the summary.
    """
    data = transcript(dialog)
    script = SCRIPTS.get(dialog)
    path = static_walk(data["turns"])
    when_steps = {step.key for step in script.steps if step.when}
    has_choices = any(step.kind is StepKind.CHOICE for step in script.steps)
    choosing_at = {s.key for s in script.steps if s.kind is StepKind.CHOICE} if has_choices else {SUMMARY}
    found: set[str] = set()
    for at, turn in path:
        assert sum(key in turn for key in INPUTS) == 1, f"one input per turn: {turn}"
        assert sum(key in turn for key in EXPECTATIONS) == 1, f"one expectation per turn: {turn}"
        assert set(turn) <= {*INPUTS, *EXPECTATIONS, "expect_index", "expect_shows"}, turn
        sent = turn.get("send")
        skip = sent == "/skip" or turn.get("press") == "skip"
        problem = turn.get("expect_problem")
        if problem is not None:
            assert CATALOG.has("en", f"common.problems.{problem}") or problem == "cannot_skip"
        step = script.step(at) if at not in (None, SUMMARY, FINISHED) else None
        if skip and step is not None and step.optional and problem is None:
            found.add("skip optional")
        if skip and step is not None and not step.optional and problem == "cannot_skip":
            found.add("cannot skip")
        if sent == "/back" and turn.get("expect_shows"):
            found.add("back shows the earlier answer")
        if problem not in (None, "cannot_skip"):
            found.add("invalid answer")
        if turn.get("expect_step") in when_steps:
            found.add("branch")
        if not when_steps and at == SUMMARY and "expect_step" in turn:
            found.add("branch")
        typed = [localize(sent, lang) for lang in LANGUAGES] if sent is not None else []
        accepted = problem is None and not turn.get("expect_finished")
        if (all(isinstance(t, str) and not t.startswith("/") for t in typed) and typed and accepted
                and at in choosing_at and (at != SUMMARY or "expect_step" in turn)):
            kind = "number" if all(t.isdigit() for t in typed) else "label"
            found.add(f"typed choice by {kind}")
    assert path[0][1].get("send", "").startswith("/"), "a transcript starts with a command"
    assert path[-1][0] == SUMMARY, "the last turn is at the summary"
    assert path[-1][1] == {"press": "confirm", "expect_finished": True}
    assert found == {"skip optional", "cannot skip", "back shows the earlier answer", "invalid answer",
                     "branch", "typed choice by number", "typed choice by label"}, found
    answered = set(data["answers"])
    for step in script.answer_steps:
        if not step.optional and not step.when:
            assert step.key in answered, f"required step {step.key} has no expected answer"
    assert answered.isdisjoint(data.get("absent", [])), "a step cannot be both answered and absent"
    assert set(data.get("absent", [])) <= {s.key for s in script.steps if s.optional}


def turns_until(dialog: str, last: int) -> list[Mapping[str, Any]]:
    """The first turns of a transcript, up to and including turn number `last` (1-based)."""
    return list(transcript(dialog)["turns"][:last])


def first_summary(dialog: str) -> int:
    """The number of the turn that first reaches the summary."""
    turns = transcript(dialog)["turns"]
    return next(n for n, turn in enumerate(turns, start=1) if turn.get("expect_summary"))


async def saved_answers(service: ConversationService, chat: Chat, dialog: str) -> dict[str, Any]:
    user = await user_of(service, chat)
    async with service.sessionmaker.begin() as session:
        answers = await answers_of(session, user.id)
    return {answer.step_key: answer.value for answer in answers if answer.dialog == dialog}


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_change_at_the_summary_saves_the_new_answer(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    """Change buttons at the summary: a choice (which drops the branch it opened) and a text."""
    data = transcript("agreement")
    await set_up(service, chat, data, lang)
    old_rhythm = localize(data["answers"]["meeting_rhythm_other"], lang)
    old_progress = localize(data["answers"]["progress_check"], lang)
    new_progress = {"en": "We check my goals at every meeting",
                    "de": "Wir prüfen bei jedem Treffen meine Ziele"}
    changes: list[Mapping[str, Any]] = [
        {"change": "meeting_rhythm", "expect_step": "meeting_rhythm",
         "expect_shows": [{"en": "Something else", "de": "Etwas anderes"}]},
        {"press": "weekly", "expect_summary": True,
         "expect_shows": [{"en": "Every week", "de": "Jede Woche"}]},
        {"change": "progress_check", "expect_step": "progress_check", "expect_shows": [old_progress]},
        {"send": new_progress, "expect_summary": True, "expect_shows": [new_progress]},
    ]
    await walk(service, chat, "agreement", lang, [*data["turns"][:-1], *changes])
    summary = chat.last_text
    assert old_rhythm not in summary, "the branch answer no longer applies"
    assert old_progress not in summary
    assert localize(data["answers"]["purpose"], lang) in summary
    before = await saved_answers(service, chat, "agreement")
    assert before["meeting_rhythm"] == "weekly"  # saved as soon as it was given
    await walk(service, chat, "agreement", lang, [{"press": "confirm", "expect_finished": True}])
    saved = await saved_answers(service, chat, "agreement")
    assert saved["meeting_rhythm"] == "weekly"
    assert "meeting_rhythm_other" not in saved
    assert saved["progress_check"] == new_progress[lang]
    assert old_progress not in saved.values()
    assert old_rhythm not in saved.values()
    expected = {**localize(data["answers"], lang), "meeting_rhythm": "weekly",
                "progress_check": new_progress[lang]}
    del expected["meeting_rhythm_other"]
    assert saved == expected


PAYLOAD = "<b>x</b> {{ 7*7 }} {% if %}"
ESCAPED = "&lt;b&gt;x&lt;/b&gt; {{ 7*7 }} {% if %}"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_markup_and_template_syntax_are_kept_and_shown_literally(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    await set_up(service, chat, {}, lang)
    steps: list[Mapping[str, Any]] = [
        {"send": "/agenda", "expect_step": "topics"},
        {"send": PAYLOAD, "expect_step": "topics"},
        {"press": "done", "expect_step": "want_from_meeting"},
        {"send": PAYLOAD, "expect_step": "prepare"},
        {"send": "/back", "expect_step": "want_from_meeting"},
        {"press": "keep", "expect_step": "prepare"},
        {"send": "/skip", "expect_step": "meeting_date"},
        {"send": "/skip", "expect_summary": True},
    ]
    shown: list[str] = []
    for turn in steps:
        await walk(service, chat, "agenda", lang, [turn])
        shown.append(chat.last.text)
    list_so_far, previous, summary = shown[1], shown[4], shown[-1]
    for text in (list_so_far, previous, summary):
        assert ESCAPED in text
        assert "<b>x</b>" not in text
        assert "49" not in text
    assert summary.count(ESCAPED) == 2
    assert PAYLOAD in chat.last_text  # what a person reads
    await walk(service, chat, "agenda", lang, [{"press": "confirm", "expect_finished": True}])
    response = await chat.send("/answers")
    assert ESCAPED in html_of(response)
    assert "49" not in html_of(response)
    assert await saved_answers(service, chat, "agenda") == {"topics": [PAYLOAD],
                                                            "want_from_meeting": PAYLOAD}


# ---------------------------------------------------------------------------------------------
# Regressions of bugs found by walking the dialogs. They do not depend on the database, so one
# backend is enough.

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
async def test_summary_labels_and_buttons_are_plain_text(
    service: ConversationService, chat: Chat
) -> None:
    await set_up(service, chat, transcript("story"), "en")
    await walk(service, chat, "story", "en", turns_until("story", first_summary("story")))
    labels = [button.label for button in chat.buttons]
    assert "✏️ 3" in labels, labels
    assert "3. What I'm proud of: " in chat.last_text


@SQLITE_ONLY
async def test_a_change_at_the_summary_goes_back_to_the_summary(
    service: ConversationService, chat: Chat
) -> None:
    await set_up(service, chat, transcript("story"), "en")
    await walk(service, chat, "story", "en", turns_until("story", first_summary("story")))
    # turning_points (after `shaped`) was skipped; changing `shaped` should not ask it again
    await walk(service, chat, "story", "en", [
        {"change": "shaped", "expect_step": "shaped"},
        {"send": "They taught me patience", "expect_summary": True},
    ])


@SQLITE_ONLY
async def test_an_action_added_after_back_is_asked_for_its_date(
    service: ConversationService, chat: Chat
) -> None:
    await set_up(service, chat, transcript("grow"), "en")
    turns = transcript("grow")["turns"]
    first_date = next(n for n, t in enumerate(turns, start=1) if t.get("expect_index") == 1)
    await walk(service, chat, "grow", "en", turns_until("grow", first_date))
    await walk(service, chat, "grow", "en", [
        {"send": "/back", "expect_step": "action_dates"},
        {"send": "/back", "expect_step": "actions"},
        {"send": "Ask for a slot at the team meeting", "expect_step": "actions"},
        {"press": "done", "expect_step": "action_dates", "expect_index": 0},
        {"press": "keep", "expect_step": "action_dates", "expect_index": 1},
        {"press": "skip", "expect_step": "action_dates", "expect_index": 2,
         "expect_shows": ["Ask for a slot at the team meeting"]},
    ])
