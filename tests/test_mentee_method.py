"""What the coaching method asks of a mentee's dialogs beyond one transcript: the GROW closing
words, the vision map quoting the story, the check-in note raised at the next meeting, and the
reflection speaking of the end only when it is near."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from dialogs.registry import default_scripts
from dialogs.schema import Audience
from dialogs.state import SUMMARY
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from storage.goals import goals_of
from storage.runs import create_run, set_run_status
from storage.users import update_user
from storage.vocabulary import RunStatus
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.test_transcripts import (
    LANGUAGES,
    SQLITE_ONLY,
    localize,
    set_up,
    transcript,
    user_of,
    walk,
)

CHECKPOINT = {"en": "5 December 2026", "de": "5. Dezember 2026"}


async def walk_transcript(
    service: ConversationService, chat: Chat, dialog: str, lang: str,
    turns: list[Mapping[str, Any]] | None = None,
) -> Mapping[str, Any]:
    """A new user walks a dialog's transcript (or these turns of it); its data is returned."""
    data = transcript(dialog)
    await set_up(service, chat, data, lang)
    await walk(service, chat, dialog, lang, data["turns"] if turns is None else turns)
    return data


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_grow_closes_with_the_first_step_and_the_checkpoint(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    data = await walk_transcript(service, chat, "grow", lang)
    done = chat.texts(chat.log[-1])
    first_step = localize(data["answers"]["actions"][0], lang)
    assert f": {first_step}\n" in done, done
    assert CHECKPOINT[lang] in done, done


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_vision_map_quotes_what_the_story_said_the_mentee_is_proud_of(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    await set_up(service, chat, {}, lang)
    first = chat.texts(await chat.send("/vision"))
    assert {"en": "make you proud", "de": "bist du stolz"}[lang] in first  # no story yet: asked here
    await chat.send("/cancel")
    story = transcript("story")
    await walk(service, chat, "story", lang, story["turns"])
    proud = localize(story["answers"]["proud"], lang)
    first = chat.texts(await chat.send("/vision"))
    assert proud in first
    assert {"en": "make you proud", "de": "bist du stolz"}[lang] not in first
    assert "proud" not in {step.key for step in default_scripts().get("vision").steps}


COMING_TO_AN_END = {"en": "coming to an end", "de": "geht zu Ende"}
REACHED_THE_END = {"en": "reached its planned end", "de": "geplanten Ende angekommen"}


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("ends_in_days", "near", "past"),
                         [(None, False, False), (200, False, False), (29, False, False),
                          (28, True, False), (0, True, False), (-3, False, True)])
async def test_the_reflection_speaks_of_the_end_only_when_it_is_near(
    service: ConversationService, chat: Chat, lang: str, ends_in_days: int | None, near: bool,
    past: bool,
) -> None:
    await set_up(service, chat, {}, lang)
    if ends_in_days is not None:
        ends = service.clock().date() + timedelta(days=ends_in_days)
        async with service.sessionmaker.begin() as session:
            user = await user_of(service, chat)
            await update_user(session, user.id, service.clock(), relationship_ends_on=ends)
    intro = chat.texts(await chat.send("/reflect"))
    assert (COMING_TO_AN_END[lang] in intro) is near, intro
    assert (REACHED_THE_END[lang] in intro) is past, intro


async def plan_agenda(chat: Chat, *typed: str) -> str:
    """Start /agenda (its first question is returned), then type the rest of it."""
    first = chat.texts(await chat.send("/agenda"))
    for text in typed:
        await chat.send(text)
    return first


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_check_in_note_raised_at_the_next_meeting_is_on_the_agenda_until_it_is_held(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    data = await walk_transcript(service, chat, "checkin", lang)  # the note, raised: yes
    note = localize(data["answers"]["for_mentor"], lang)
    assert "/agenda" in chat.texts(chat.log[-1])
    clock.advance(days=1)
    first = await plan_agenda(chat, {"en": "That's all", "de": "Das war's"}[lang],
                              "Clear next steps", "/skip", "/skip")
    assert note in first
    done = chat.texts(await chat.send({"en": "yes", "de": "ja"}[lang]))
    assert note in done
    clock.advance(days=1)
    assert note not in await plan_agenda(chat)  # it was on the agenda of the meeting held


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_without_a_mentor_the_note_is_for_ones_own_next_meeting(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    await walk_transcript(service, chat, "checkin", lang)  # alone: no mentor here
    done = chat.texts(chat.log[-1])
    assert {"en": "Your note is on the agenda for your next meeting",
            "de": "Deine Notiz steht auf der Liste für dein nächstes Treffen"}[lang] in done
    assert {"en": "your mentor", "de": "euer"}[lang] not in done.lower()


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_check_in_note_kept_from_the_meeting_is_not_on_the_agenda(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    turns = [{**turn, "press": "no"} if turn.get("press") == "yes" else turn
             for turn in transcript("checkin")["turns"]]
    data = await walk_transcript(service, chat, "checkin", lang, turns)
    clock.advance(days=1)
    assert localize(data["answers"]["for_mentor"], lang) not in await plan_agenda(chat)


NEW_FIRST_STEP = {"en": "Book a call with HR", "de": "Einen Termin mit der Personalabteilung machen"}
STEPS_DONE = {"en": "0 of {count} steps done", "de": "0 von {count} Schritten erledigt"}


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("new_first_step", [False, True])
async def test_each_step_of_the_vision_map_is_one_action_checked_in_and_counted_once(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str, new_first_step: bool
) -> None:
    """The first step is chosen from the steps (the transcript) or is a new one; either way it is
    the first action, dated, and no step is stored twice."""
    data = transcript("vision")
    steps = localize(data["answers"]["steps"], lang)
    turns = list(data["turns"])
    if new_first_step:  # at the summary's change of the first step, a new one instead of a listed one
        at = max(n for n, turn in enumerate(turns) if turn.get("send") == data["answers"]["steps"][0])
        turns[at] = {"send": NEW_FIRST_STEP, "expect_summary": True}
    await walk_transcript(service, chat, "vision", lang, turns)
    first = NEW_FIRST_STEP[lang] if new_first_step else steps[0]
    expected = [first, *(step for step in steps if step != first)]
    async with service.sessionmaker.begin() as session:
        [goal] = await goals_of(session, (await user_of(service, chat)).id)
    assert [action.text for action in goal.actions] == expected
    assert [action.due_on is not None for action in goal.actions] == [True] + [False] * (len(expected) - 1)
    clock.advance(days=1)
    counter = default_catalog().render(lang, "common.ask.counter", index=1, count=len(expected))
    assert counter in chat.texts(await chat.send("/checkin"))
    await chat.send("/cancel")
    assert STEPS_DONE[lang].format(count=len(expected)) in chat.texts(await chat.send("/reflect"))


MENTEE_DIALOGS = ("agreement", "story", "vision", "grow", "checkin", "agenda", "reflection")


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("dialog", MENTEE_DIALOGS)
async def test_what_comes_next_is_said_once_after_a_dialog(
    service: ConversationService, chat: Chat, lang: str, dialog: str
) -> None:
    """The closing words and the next-step suggestion after them name each command once (the
    dialogs before this one in its stage are done, so the suggestion is the one after it)."""
    data = transcript(dialog)
    await set_up(service, chat, data, lang)
    scripts = default_scripts()
    stage = scripts.get(dialog).stage
    before = [d.name for d in scripts.for_stage(stage, Audience.MENTEE)]
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        user = await user_of(service, chat)
        await update_user(session, user.id, now, stage=stage.value)
        for name in before[:before.index(dialog)]:
            run_id = await create_run(session, user_id=user.id, dialog=name, stage=stage.value,
                                      step=SUMMARY, state={}, now=now)
            await set_run_status(session, run_id, RunStatus.COMPLETED, now)
    await walk(service, chat, dialog, lang, data["turns"])
    closing = chat.texts(chat.log[-1])
    commands = re.findall(r"/[a-z]+\b", closing)
    assert len(commands) == len(set(commands)), closing


GOAL_WITH_A_FULL_STOP = {"en": "Lead a team of five by the end of next year.",
                         "de": "Bis Ende nächsten Jahres ein Team von fünf Leuten leiten."}


def swapped(value: Any, old: Any, new: Any) -> Any:
    """Turns (or any YAML data) with every occurrence of one value replaced."""
    if value == old:
        return new
    if isinstance(value, Mapping):
        return {key: swapped(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [swapped(item, old, new) for item in value]
    return value


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("dialog", "step"), [("vision", "future"), ("grow", "goal_specific")])
async def test_a_goal_with_its_own_full_stop_is_quoted_on_a_line_of_its_own(
    service: ConversationService, chat: Chat, lang: str, dialog: str, step: str
) -> None:
    data = transcript(dialog)
    turns = swapped(data["turns"], data["answers"][step], GOAL_WITH_A_FULL_STOP)
    await walk_transcript(service, chat, dialog, lang, turns)
    closing = chat.texts(chat.log[-1])
    assert f"\n{GOAL_WITH_A_FULL_STOP[lang]}\n" in closing, closing


SINCE_LAST_CHECK_IN = {"en": "Since your last check-in on 21 November 2026",
                       "de": "seit deinem letzten Check-in am 21. November 2026"}
LAST_CHECK_IN = {"en": "last check-in", "de": "letzten Check-in"}


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_only_a_later_check_in_speaks_of_the_last_one(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    data = transcript("checkin")
    turns = data["turns"]
    helped = next(n for n, turn in enumerate(turns) if turn.get("expect_step") == "helped")
    await walk_transcript(service, chat, "checkin", lang, turns[:helped + 1])
    assert LAST_CHECK_IN[lang] not in chat.last_text
    await walk(service, chat, "checkin", lang, turns[helped + 1:])
    clock.advance(days=7)
    await chat.send("/checkin")
    for _ in range(2):  # the two steps still open: partly done, not yet
        await chat.send("1")
    assert SINCE_LAST_CHECK_IN[lang] in chat.last_text


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_summary_of_a_long_dialog_is_compact(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    """One short line per answer, numbered; the change buttons are those numbers, five a row."""
    turns = transcript("grow")["turns"]
    at_summary = next(n for n, turn in enumerate(turns, start=1) if turn.get("expect_summary"))
    await walk_transcript(service, chat, "grow", lang, turns[:at_summary])
    summary = chat.last
    rows = summary.buttons
    count = len(rows[1:]) and sum(len(row) for row in rows[1:])
    assert count >= 15
    assert [len(row) for row in rows] == [1, *[5] * (count // 5), *([count % 5] if count % 5 else [])]
    assert [b.label for row in rows[1:] for b in row] == [f"✏️ {n}" for n in range(1, count + 1)]
    lines = [line for line in chat.last_text.splitlines() if line.strip()]
    for number in range(1, count + 1):
        assert sum(line.startswith(f"{number}. ") for line in lines) == 1, lines
    assert len(lines) <= count + 4, lines  # the title, the header, the entries, the question
    assert max(len(line) for line in lines) <= 140, lines
