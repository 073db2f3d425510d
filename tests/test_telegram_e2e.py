"""coachbot end to end: the real python-telegram-bot Application polling a Bot API stub over HTTP.

Nothing of ``Bot`` is mocked. Each test injects what a Telegram user does (typing, tapping a
button, editing, sending a sticker) as updates, waits until the Application has processed them
(``settle``, never sleeps), and checks what the user sees in the chat (the stub renders the bot's
HTML to the plain text Telegram would show) and what the database holds. The ``e2e`` fixture
(tests/telegram/harness.py) fails a test when any exception reached the error handler.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.telegram.application import ALLOWED_UPDATES
from prompts.catalog import default_catalog
from tests.support.logs import logged, logging_as_run
from tests.telegram.client import ChatClient
from tests.telegram.harness import (
    ACTIONS,
    ANSWERS,
    E2E,
    GOALS,
    RUNS,
    TOKEN,
    UPDATES,
    Webhook,
    say,
)

# ---------------------------------------------------------------------------------------------
# Dialog walks: what the user does at each step, and the question the bot must be asking then.


@dataclass(frozen=True)
class Type:
    """The user types this text."""

    text: str


@dataclass(frozen=True)
class Tap:
    """The user taps the inline button with this label."""

    label: str


@dataclass(frozen=True)
class Step:
    """The bot asks ``<dialog>.steps.<key>.text`` (rendered with ``variables``); the user acts."""

    key: str
    action: Type | Tap
    variables: tuple[tuple[str, Any], ...] = ()


def question(lang: str, dialog: str, key: str, **variables: Any) -> str:
    """A step's question as the user sees it."""
    return say(lang, f"{dialog}.steps.{key}.text", **variables)


async def walk(client: ChatClient, lang: str, dialog: str, steps: list[Step]) -> None:
    """Answer a dialog step by step, checking before each action that its question is showing."""
    for step in steps:
        expected = question(lang, dialog, step.key, **dict(step.variables))
        assert expected in client.last_text, (
            f"{dialog}: expected the question of {step.key!r}, the chat shows {client.last_text!r}")
        if isinstance(step.action, Type):
            await client.send(step.action.text)
        else:
            await client.click(step.action.label)


AGREEMENT_TEXTS = {
    "en": {
        "purpose": "I want to grow into a team lead role",
        "success": "I lead a small team with confidence",
        "expect_mentor": "Honest feedback and good questions",
        "expect_self": "I prepare every meeting",
        "boundaries": "No calls on weekends",
        "confidentiality": "Everything stays between us",
        "sessions": "About ten",
        "end_date": "30.06.2027",
        "progress_check": "We look at my goals once a month",
    },
    "de": {
        "purpose": "Ich möchte in eine Teamleitung hineinwachsen",
        "success": "Ich leite ein kleines Team mit Zuversicht",
        "expect_mentor": "Ehrliches Feedback und gute Fragen",
        "expect_self": "Ich bereite jedes Treffen vor",
        "boundaries": "Keine Anrufe am Wochenende",
        "confidentiality": "Alles bleibt unter uns",
        "sessions": "Ungefähr zehn",
        "end_date": "30.06.2027",
        "progress_check": "Wir schauen einmal im Monat auf meine Ziele",
    },
}
AGREEMENT_CHOICES = {"mentor_sees": "share", "team_may_know": "no", "meeting_rhythm": "weekly",
                     "meeting_mode": "video"}


def agreement_steps(lang: str) -> list[Step]:
    texts = AGREEMENT_TEXTS[lang]
    steps = [Step(key, Type(texts[key])) for key in
             ("purpose", "success", "expect_mentor", "expect_self", "boundaries", "confidentiality")]
    steps += [Step(key, Tap(say(lang, f"agreement.steps.{key}.choices.{value}")))
              for key, value in AGREEMENT_CHOICES.items()]
    # Unpaired: the end question offers no planned end to keep.
    steps += [Step("sessions", Type(texts["sessions"])),
              Step("end_date", Type(texts["end_date"]), (("offered", None),)),
              Step("progress_check", Type(texts["progress_check"]))]
    return steps


def agreement_saved(lang: str) -> dict[str, Any]:
    """The answers the database must hold after ``agreement_steps``."""
    return {**AGREEMENT_TEXTS[lang], **AGREEMENT_CHOICES, "end_date": "2027-06-30"}


GROW_TEXTS = {
    "en": {
        "goal_wish": "I want to lead a team",
        "goal_specific": "Lead a team of five by the end of June",
        "goal_measurable": "The role is official and the team works with me",
        "goal_achievable": "I already led two projects",
        "goal_relevant": "It is my next career step",
        "goal_timebound": "30.06.2027",
        "reality_now": "I lead a small project",
        "reality_tried": "I took a course",
        "reality_missing": "Practice with people",
        "options": ["Talk to my manager", "Take a leadership course"],
        "obstacles": ["Too little time"],
        "obstacles_gone": "I would feel calmer",
        "stop_doing": "Saying yes to everything",
        "actions": ["Have the talk with my manager", "Book the leadership course"],
        "action_dates": ["15.01.2027", "01.03.2027"],
        "checkpoint": "15.02.2027",
        "support": "Feedback from my mentor",
    },
    "de": {
        "goal_wish": "Ich möchte ein Team leiten",
        "goal_specific": "Bis Ende Juni leite ich ein Team von fünf Leuten",
        "goal_measurable": "Die Rolle ist offiziell und das Team arbeitet mit mir",
        "goal_achievable": "Ich habe schon zwei Projekte geleitet",
        "goal_relevant": "Es ist mein nächster Schritt im Beruf",
        "goal_timebound": "30.06.2027",
        "reality_now": "Ich leite ein kleines Projekt",
        "reality_tried": "Einen Kurs besucht",
        "reality_missing": "Übung mit Menschen",
        "options": ["Mit meiner Chefin reden", "Einen Führungskurs machen"],
        "obstacles": ["Zu wenig Zeit"],
        "obstacles_gone": "Ich hätte mehr Ruhe",
        "stop_doing": "Zu allem Ja sagen",
        "actions": ["Gespräch mit der Chefin führen", "Führungskurs buchen"],
        "action_dates": ["15.01.2027", "01.03.2027"],
        "checkpoint": "15.02.2027",
        "support": "Feedback von meiner Mentorin",
    },
}
GROW_DUE = "2027-06-30"
CHECKPOINT = "2027-02-15"
ACTION_DUES = ["2027-01-15", "2027-03-01"]




def list_steps(lang: str, key: str, items: list[str]) -> list[Step]:
    """A list step: one item per message, then "That's all"."""
    steps = [Step(key, Type(item), (("collected", items[:i]),)) for i, item in enumerate(items)]
    steps.append(Step(key, Tap(say(lang, "common.buttons.done")), (("collected", items),)))
    return steps


def grow_steps(lang: str) -> list[Step]:
    texts = GROW_TEXTS[lang]
    steps = [Step(key, Type(texts[key])) for key in
             ("goal_wish", "goal_specific", "goal_measurable", "goal_achievable", "goal_relevant",
              "goal_timebound", "reality_now", "reality_tried", "reality_missing")]
    steps.append(Step("reality_position", Tap("5")))
    steps += list_steps(lang, "options", texts["options"])
    steps += list_steps(lang, "obstacles", texts["obstacles"])
    steps += [Step(key, Type(texts[key])) for key in ("obstacles_gone", "stop_doing")]
    # the first of the mentee's own options, on its button, then "That's all"
    steps += [Step("chosen_options", Tap(texts["options"][0])),
              Step("chosen_options", Tap(say(lang, "common.buttons.done")))]
    steps += list_steps(lang, "actions", texts["actions"])
    steps += [Step("action_dates", Type(when), (("item", item),))
              for item, when in zip(texts["actions"], texts["action_dates"], strict=True)]
    steps.append(Step("checkpoint", Type(texts["checkpoint"])))
    steps.append(Step("support", Type(texts["support"])))
    steps.append(Step("commitment", Tap("8")))  # 8 >= 7: commitment_raise does not apply
    return steps


async def start_agreement(client: ChatClient, lang: str) -> None:
    """/agreement: the intro, then the first question."""
    sent = await client.send("/agreement")
    assert question(lang, "agreement", "purpose") in sent[-1]


async def complete_agreement(client: ChatClient, lang: str, steps: list[Step] | None = None) -> None:
    """Start the agreement, answer everything, confirm the summary."""
    await start_agreement(client, lang)
    await walk(client, lang, "agreement", steps or agreement_steps(lang))
    await confirm_summary(client, lang, "agreement")


async def confirm_summary(client: ChatClient, lang: str, dialog: str) -> list[str]:
    """Tap "Looks good" under the summary (its last part, when it was split)."""
    header = say(lang, "common.summary.header", title=say(lang, f"{dialog}.title"))
    assert any(header in text for text in client.texts[-8:]), client.texts[-8:]
    assert client.last_buttons[0] == say(lang, "common.buttons.confirm")
    return await client.click(say(lang, "common.buttons.confirm"))


async def complete_grow(client: ChatClient, lang: str) -> list[str]:
    sent = await client.send("/grow")
    assert question(lang, "grow", "goal_wish") in sent[-1]
    await walk(client, lang, "grow", grow_steps(lang))
    return await confirm_summary(client, lang, "grow")


def words(text: str) -> str:
    """Text with whitespace runs folded (message splitting may cut at any space)."""
    return " ".join(text.split())


def sized_text(length: int, seed: str) -> str:
    """Text of exactly ``length`` characters: words separated by spaces, HTML-special characters."""
    vocabulary = [f"{seed}{i}" for i in range(40)] + ["R&D", "<b>bold?</b>", "a<b", "\"x\"", "{{ 7*7 }}"]
    parts: list[str] = []
    size = 0
    i = 0
    while size < length:
        word = vocabulary[i % len(vocabulary)]
        parts.append(word)
        size += len(word) + 1
        i += 1
    text = " ".join(parts)[:length].rstrip()
    return text + "z" * (length - len(text))


LANGS = ["en", "de"]
#: For tests parametrized with the ``e2e`` fixture: both languages on SQLite, English on PostgreSQL.
LANGS_AND_DATABASES = [("en", "sqlite"), ("de", "sqlite"),
                       pytest.param("en", "postgres", marks=pytest.mark.postgres, id="en-postgres")]
PRIVACY_WORD = {"en": "private", "de": "privat"}


# ---------------------------------------------------------------------------------------------
# 1. A new mentee: /start, the agreement, GROW, /goals


@pytest.mark.parametrize(("lang", "e2e"), LANGS_AND_DATABASES, indirect=["e2e"])
async def test_new_mentee_from_start_through_agreement_and_grow_to_goals(e2e: E2E, lang: str) -> None:
    client = e2e.client(lang=lang)

    [asked] = await client.send("/start")
    assert asked == say(lang, "mentors.roles.ask", name="Ana")
    greeting, offer = await client.click(say(lang, "mentors.roles.mentee_button"))
    assert greeting == say(lang, "common.service.welcome_new", name="Ana")
    assert len(greeting.splitlines()) == 3
    assert PRIVACY_WORD[lang] in greeting.splitlines()[2]
    title = say(lang, "agreement.title")
    assert offer == say(lang, "common.service.suggest", title=title, command="agreement",
                        description=say(lang, "agreement.description"))
    assert client.last_buttons == [say(lang, "common.buttons.start", title=title)]
    user = await e2e.user(client.user_id)
    assert user is not None
    assert user["language"] == lang

    sent = await client.click(0)
    assert sent[0] == say(lang, "agreement.intro", name="Ana")
    assert sent[1] == question(lang, "agreement", "purpose")
    await walk(client, lang, "agreement", agreement_steps(lang))
    summary = client.last_text
    for value in AGREEMENT_TEXTS[lang].values():
        if value != "30.06.2027":
            assert value in summary
    assert default_catalog().format_date(lang, "2027-06-30") in summary

    sent = await confirm_summary(client, lang, "agreement")
    assert say(lang, "agreement.done", name="Ana", end_date="2027-06-30", mentor_sees="share") in sent
    assert await e2e.answers(client.user_id, "agreement") == agreement_saved(lang)
    assert (await e2e.run(client.user_id, "agreement"))["status"] == "completed"
    user = await e2e.user(client.user_id)
    assert user is not None
    assert (user["relationship_ends_on"].isoformat(), user["share_by_default"]) == ("2027-06-30", True)

    texts = GROW_TEXTS[lang]
    sent = await client.send("/grow")
    assert say(lang, "common.service.other_stage",
               stage=say(lang, "common.stages.establishing.name")) in sent[0]
    await walk(client, lang, "grow", grow_steps(lang))
    summary_buttons = client.last_buttons
    assert say(lang, "common.buttons.confirm") == summary_buttons[0]
    assert len(summary_buttons) == 1 + len(await e2e.answers(client.user_id, "grow"))
    assert summary_buttons[1:] == [f"✏️ {number}" for number in range(1, len(summary_buttons))]
    sent = await confirm_summary(client, lang, "grow")
    assert say(lang, "grow.done", goal_specific=texts["goal_specific"], goal_timebound=GROW_DUE,
               actions=texts["actions"], checkpoint=CHECKPOINT) in sent
    assert (await e2e.run(client.user_id, "grow"))["status"] == "completed"

    [goals] = await client.send("/goals")
    legend = " · ".join(f"{say(lang, f'common.goals.markers.{status}')} "
                        f"{say(lang, f'common.goals.status.{status}')}"
                        for status in ("open", "partly", "done", "dropped"))
    expected = [say(lang, "common.goals.header"), legend, "",
                say(lang, "common.goals.goal", title=texts["goal_specific"], due=GROW_DUE,
                    status="open", status_label=say(lang, "common.goals.status.open"))]
    expected += [say(lang, "common.goals.action", text=action, due=due,
                     marker=say(lang, "common.goals.markers.open"))
                 for action, due in zip(texts["actions"], ACTION_DUES, strict=True)]
    expected += ["", say(lang, "common.goals.list_hint")]
    assert goals == "\n".join(expected)
    assert client.last_buttons == [say(lang, "common.goals.buttons.goal", number=1,
                                       title=texts["goal_specific"])]
    for due in (GROW_DUE, *ACTION_DUES):
        assert default_catalog().format_date(lang, due) in goals
    [goal_row] = await e2e.rows(GOALS)
    assert (goal_row["title"], goal_row["due_on"].isoformat()) == (texts["goal_specific"], GROW_DUE)
    actions = await e2e.rows(ACTIONS, goal_id=goal_row["id"])
    assert [(a["text"], a["due_on"].isoformat()) for a in actions] == list(
        zip(texts["actions"], ACTION_DUES, strict=True))


# ---------------------------------------------------------------------------------------------
# 2. /back and /skip


@pytest.mark.parametrize("lang", LANGS)
async def test_back_shows_earlier_answer_and_skip_works_only_on_optional_steps(
    e2e: E2E, lang: str
) -> None:
    client = e2e.client(lang=lang)
    texts = AGREEMENT_TEXTS[lang]
    await start_agreement(client, lang)
    await client.send(texts["purpose"])

    [back] = await client.send("/back")
    assert question(lang, "agreement", "purpose") in back
    assert say(lang, "common.ask.previous", previous=texts["purpose"]) in back
    assert client.last_buttons == [say(lang, "common.buttons.keep")]
    assert (await e2e.run(client.user_id, "agreement"))["step"] == "purpose"

    before = await e2e.snapshot()
    [refused] = await client.send("/skip")
    assert refused.startswith(say(lang, "common.notes.cannot_skip"))
    assert question(lang, "agreement", "purpose") in refused
    assert await e2e.snapshot() == before

    [success] = await client.click(say(lang, "common.buttons.keep"))
    assert success.startswith(question(lang, "agreement", "success"))
    for key in ("success", "expect_mentor", "expect_self", "boundaries"):
        await client.send(texts[key])
    optional = client.last_text
    assert question(lang, "agreement", "confidentiality") in optional
    assert say(lang, "common.ask.optional_hint") in optional

    [skipped] = await client.send("/skip")
    assert skipped.startswith(say(lang, "common.notes.skipped"))
    assert question(lang, "agreement", "mentor_sees") in skipped
    assert (await e2e.run(client.user_id, "agreement"))["step"] == "mentor_sees"
    assert await e2e.answers(client.user_id) == {
        key: texts[key] for key in ("purpose", "success", "expect_mentor", "expect_self", "boundaries")}


# ---------------------------------------------------------------------------------------------
# 3. Stale and forged button presses


@pytest.mark.parametrize("lang", LANGS)
async def test_stale_and_forged_button_presses_are_explained_and_change_nothing(
    e2e: E2E, lang: str
) -> None:
    client = e2e.client(lang=lang)
    texts = AGREEMENT_TEXTS[lang]
    await start_agreement(client, lang)
    for key in ("purpose", "success", "expect_mentor", "expect_self", "boundaries"):
        await client.send(texts[key])
    await client.send("/skip")
    mentor_sees = client.last_message
    assert question(lang, "agreement", "mentor_sees") in mentor_sees["text"]
    await client.send("2")  # typed instead of tapped: the keyboard of that question stays
    await client.send("/skip")  # whether the programme team may know: no
    assert question(lang, "agreement", "meeting_rhythm") in client.last_text
    current = client.last_message
    run = await e2e.run(client.user_id, "agreement")
    before = await e2e.snapshot()
    assert before["answers"][-1]["value"] == "private"

    share = mentor_sees["reply_markup"]["inline_keyboard"][0][0]
    assert share["text"] == say(lang, "agreement.steps.mentor_sees.choices.share")
    presses = [(mentor_sees["message_id"], share["callback_data"], True)]
    forged = [
        "a:999:0:0:0",  # another run
        f"a:{run['id']}:9:0:1",  # a later step of this run
        f"a:{run['id']}:8:0:9",  # the current step, a choice that does not exist
        f"s:{run['id']}:confirm",  # the summary, which is not showing
        "s:1:confirm",
        f"r:{run['id'] + 1000}",  # continue a run that is not theirs
        "garbage",
        "",
        "#$%&/()=" * 8,  # 64 bytes of junk
        "a:" + "9" * 62,
    ]
    assert len(forged[-2].encode()) == 64
    presses += [(current["message_id"], data, False) for data in forged]
    stale = say(lang, "common.notes.stale_button")
    for message_id, data, strict in presses:
        sent_mark, answered = len(e2e.stub.sent_messages), len(e2e.stub.callback_answers)
        update = e2e.stub.press_button(client.user_id, message_id, data, strict=strict)
        await e2e.settle()
        answers = e2e.stub.callback_answers[answered:]
        assert [a["callback_query_id"] for a in answers] == [update["callback_query"]["id"]], data
        assert answers[0]["text"] == stale, data
        assert e2e.stub.sent_messages[sent_mark:] == [], data
        assert e2e.stub.edits == [], data
    assert await e2e.snapshot() == before
    assert client.last_message["reply_markup"] == current["reply_markup"]  # still answerable
    await client.click(say(lang, "agreement.steps.meeting_rhythm.choices.monthly"))
    assert (await e2e.answers(client.user_id))["meeting_rhythm"] == "monthly"


# ---------------------------------------------------------------------------------------------
# 4. Stickers, photos, voice notes, locations and files on a text step


async def test_every_text_goes_out_as_html_without_a_link_preview_and_its_buttons_work(
        e2e: E2E) -> None:
    """The bot's texts reach Telegram as `send_message` with the bot's defaults would send them
    (bot.telegram.sending.send_text): HTML, no link previews, the keyboard as Telegram reads it."""
    client = e2e.client(lang="en")
    await client.send("/start")
    assert client.last_buttons, "the welcome has no buttons"
    await start_agreement(client, "en")
    await client.send("My purpose is on <https://example.org/a?b=1&c=2> & {{ not a template }}")
    assert len(client.messages) >= 3
    for message in client.messages:
        assert message["parse_mode"] == "HTML"
        assert message["link_preview_options"] == {"is_disabled": True}
    answers = await e2e.answers(client.user_id)
    assert answers["purpose"] == "My purpose is on <https://example.org/a?b=1&c=2> & {{ not a template }}"


@pytest.mark.parametrize("lang", LANGS)
async def test_media_on_a_text_step_gets_a_kind_note_and_the_same_question(e2e: E2E, lang: str) -> None:
    client = e2e.client(lang=lang)
    await start_agreement(client, lang)
    await client.send(AGREEMENT_TEXTS[lang]["purpose"])
    asked = client.last_text
    assert question(lang, "agreement", "success") in asked
    before = await e2e.snapshot()

    for send in (client.send_sticker, client.send_photo, client.send_voice, client.send_location,
                 client.send_document, lambda: client.send_photo("my answer as a caption")):
        sent = await send()
        assert sent == [say(lang, "common.media.unsupported"), asked], send

    assert await e2e.snapshot() == before
    await client.send(AGREEMENT_TEXTS[lang]["success"])
    assert (await e2e.answers(client.user_id))["success"] == AGREEMENT_TEXTS[lang]["success"]


# ---------------------------------------------------------------------------------------------
# 5. Edited answer messages


async def test_editing_an_answer_updates_it_while_the_dialog_is_open_and_not_after(e2e: E2E) -> None:
    client = e2e.client()
    steps = agreement_steps("en")
    await start_agreement(client, "en")
    await client.send("First version of my purpose")
    assert client.last_update is not None
    purpose_message = client.last_update["message"]["message_id"]
    await client.send(AGREEMENT_TEXTS["en"]["success"])
    success_message = client.last_update["message"]["message_id"]

    sent = await client.edit(purpose_message, "Better version of my purpose")
    assert sent == [say("en", "common.edit.saved", label=say("en", "agreement.steps.purpose.label"))]
    answers = await e2e.answers(client.user_id)
    assert answers["purpose"] == "Better version of my purpose"
    assert answers["success"] == AGREEMENT_TEXTS["en"]["success"]
    assert (await e2e.run(client.user_id, "agreement"))["step"] == "expect_mentor"

    await client.send(AGREEMENT_TEXTS["en"]["expect_mentor"])  # the question is still above
    await walk(client, "en", "agreement", steps[3:])
    assert "Better version of my purpose" in client.last_text  # the summary
    await confirm_summary(client, "en", "agreement")
    before = await e2e.snapshot()

    for message_id in (purpose_message, success_message):
        sent = await client.edit(message_id, "Too late")
        assert sent == [say("en", "common.edit.closed")]
    assert await e2e.snapshot() == before
    assert (await e2e.answers(client.user_id))["purpose"] == "Better version of my purpose"


# ---------------------------------------------------------------------------------------------
# 6. Markup in answers is shown literally and saved exactly


@pytest.mark.parametrize("lang", LANGS)
async def test_html_and_template_syntax_in_answers_are_shown_literally_and_saved_exactly(
    e2e: E2E, lang: str
) -> None:
    client = e2e.client(lang=lang)
    tricky = {
        "purpose": "<b>x</b> & {{ 7*7 }}",
        "success": "{% if true %}yes{% endif %} &amp; <i>not italic</i> a<b",
        "expect_mentor": "<script>alert('hi')</script> {{ name }} ${7*7} #{7*7}",
    }
    steps = [Step(step.key, Type(tricky[step.key])) if step.key in tricky else step
             for step in agreement_steps(lang)]
    await start_agreement(client, lang)
    await walk(client, lang, "agreement", steps[:3])

    [back] = await client.send("/back")
    assert say(lang, "common.ask.previous", previous=tricky["expect_mentor"]) in back
    assert tricky["expect_mentor"] in back
    await client.click(say(lang, "common.buttons.keep"))
    await walk(client, lang, "agreement", steps[3:])
    summary = client.last_text
    for value in tricky.values():
        assert value in summary
    assert "49" not in summary
    await confirm_summary(client, lang, "agreement")

    answers = await e2e.answers(client.user_id)
    for key, value in tricky.items():
        assert answers[key] == value
    shown = "\n".join(await client.send("/answers"))
    for value in tricky.values():
        assert value in shown
    assert "49" not in shown
    for message in e2e.stub.sent_messages:
        assert "49" not in message["text"]


# ---------------------------------------------------------------------------------------------
# 7. Long answers and a summary longer than one Telegram message


async def test_long_answers_are_saved_whole_summarised_short_and_shown_whole_split_losslessly(
    e2e: E2E
) -> None:
    client = e2e.client()
    long_texts = {"purpose": sized_text(4000, "purpose"), "success": sized_text(4000, "success"),
                  "expect_mentor": sized_text(3000, "mentor")}
    assert [len(text) for text in long_texts.values()] == [4000, 4000, 3000]
    steps = [Step(step.key, Type(long_texts[step.key])) if step.key in long_texts else step
             for step in agreement_steps("en")]
    await start_agreement(client, "en")
    await walk(client, "en", "agreement", steps)

    answers = await e2e.answers(client.user_id)
    for key, text in long_texts.items():
        assert answers[key] == text
    assert len(answers["purpose"]) == 4000

    [summary] = client.new_messages  # compact: each long answer by its beginning
    assert len(summary["raw_text"]) < 2000
    for text in long_texts.values():
        assert words(text)[:80] in words(summary["text"])
    await confirm_summary(client, "en", "agreement")
    assert (await e2e.run(client.user_id, "agreement"))["status"] == "completed"

    await client.send("/answers")  # every answer whole: one message per stage, split
    header, *parts = client.new_messages
    assert header["text"] == say("en", "common.answers.header")
    assert len(parts) >= 3, [len(part["text"]) for part in parts]
    for part in parts:
        assert part["parse_mode"] == "HTML"
        assert len(part["raw_text"]) <= 4096
    joined = words(" ".join(part["text"] for part in parts))
    position = 0
    for step in steps:  # every typed answer, whole and in order
        if isinstance(step.action, Type) and step.key != "end_date":
            found = joined.find(words(step.action.text), position)
            assert found >= 0, f"{step.key} is missing or cut in the split answers"
            position = found


def utf16_length(text: str) -> int:
    """The length the Bot API limits: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


async def test_emoji_heavy_answers_are_split_by_utf16_length(e2e: E2E) -> None:
    client = e2e.client()
    emoji = {"purpose": "👍🏽 " * 1333, "success": "😀🇩🇪 " * 999, "expect_mentor": "❤️ ok " * 600}
    emoji = {key: text.strip() for key, text in emoji.items()}
    assert all(len(text) <= 4000 for text in emoji.values())
    steps = [Step(step.key, Type(emoji[step.key])) if step.key in emoji else step
             for step in agreement_steps("en")]
    await start_agreement(client, "en")
    await walk(client, "en", "agreement", steps)
    await confirm_summary(client, "en", "agreement")

    await client.send("/answers")
    parts = client.new_messages
    assert all(utf16_length(part["text"]) <= 4096 for part in parts)
    joined = words(" ".join(part["text"] for part in parts))
    for text in emoji.values():
        assert words(text) in joined
    assert (await e2e.answers(client.user_id))["purpose"] == emoji["purpose"]


# ---------------------------------------------------------------------------------------------
# 8. The bot process restarts mid-dialog


async def test_a_restarted_bot_resumes_the_dialog_at_the_same_step(e2e: E2E) -> None:
    client = e2e.client()
    texts = AGREEMENT_TEXTS["en"]
    await start_agreement(client, "en")
    await client.send(texts["purpose"])
    await client.send(texts["success"])
    before = await e2e.snapshot()
    first_app = e2e.bot.app

    await e2e.restart()
    assert e2e.bot.app is not first_app

    greeting, offer = await client.send("/start")
    title = say("en", "agreement.title")
    assert greeting == say("en", "common.service.welcome_back", name="Ana")
    assert offer == say("en", "common.service.resume_offer", title=title)
    assert client.last_buttons == [say("en", "common.buttons.continue", title=title),
                                   say("en", "common.buttons.later")]
    sent = await client.click(say("en", "common.buttons.continue", title=title))
    assert sent == [say("en", "common.service.resumed", title=title),
                    question("en", "agreement", "expect_mentor")]
    assert await e2e.snapshot() == before
    await client.send(texts["expect_mentor"])
    assert await e2e.answers(client.user_id) == {
        key: texts[key] for key in ("purpose", "success", "expect_mentor")}


# ---------------------------------------------------------------------------------------------
# 9. A redelivered update


async def test_a_redelivered_update_is_processed_once(e2e: E2E) -> None:
    client = e2e.client()
    await start_agreement(client, "en")
    [reply] = await client.send("My purpose")
    assert question("en", "agreement", "success") in reply
    assert client.last_update is not None
    update = client.last_update
    sent_mark = len(e2e.stub.sent_messages)

    e2e.stub.redeliver(update)
    await e2e.settle()

    assert e2e.bot.recorder.update_ids.count(update["update_id"]) == 2  # it did arrive twice
    assert e2e.stub.sent_messages[sent_mark:] == []
    assert await e2e.answers(client.user_id) == {"purpose": "My purpose"}
    assert len(await e2e.rows(ANSWERS)) == 1
    assert (await e2e.run(client.user_id, "agreement"))["step"] == "success"
    assert len(await e2e.rows(UPDATES, update_id=update["update_id"])) == 1


async def test_a_redelivered_button_press_is_processed_once(e2e: E2E) -> None:
    client = e2e.client()
    texts = AGREEMENT_TEXTS["en"]
    await start_agreement(client, "en")
    for key in ("purpose", "success", "expect_mentor", "expect_self", "boundaries",
                "confidentiality"):
        await client.send(texts[key])
    await client.click(say("en", "agreement.steps.mentor_sees.choices.share"))
    assert client.last_update is not None
    press = client.last_update
    before = await e2e.snapshot()
    sent_mark, edits = len(e2e.stub.sent_messages), len(e2e.stub.edits)

    e2e.stub.redeliver(press)
    await e2e.settle()

    assert e2e.bot.recorder.update_ids.count(press["update_id"]) == 2
    assert e2e.stub.sent_messages[sent_mark:] == []
    assert e2e.stub.edits[edits:] == []
    assert await e2e.snapshot() == before


# ---------------------------------------------------------------------------------------------
# 10. Two quick messages from one user


async def test_quick_messages_from_one_user_answer_consecutive_steps_in_order(e2e: E2E) -> None:
    client = e2e.client()
    other = e2e.client(5151, first_name="Ben")
    await start_agreement(client, "en")
    await start_agreement(other, "en")
    keys = ["purpose", "success", "expect_mentor", "expect_self", "boundaries", "confidentiality"]

    # Two quick messages, then four: injected before the bot polls, so they arrive in one batch,
    # together with another user's, and run concurrently except for one user's own updates.
    done = 0
    for burst in (2, 4):
        sent_mark = len(e2e.stub.sent_messages)
        for key in keys[done:done + burst]:
            e2e.stub.user_message(client.user_id, f"quick {key}")
            e2e.stub.user_message(other.user_id, f"Ben: {key}")
        await e2e.settle()
        done += burst

        expected = {key: f"quick {key}" for key in keys[:done]}
        assert await e2e.answers(client.user_id) == expected
        assert await e2e.answers(other.user_id) == {key: f"Ben: {key}" for key in keys[:done]}
        replies = [m["text"] for m in e2e.stub.sent_messages[sent_mark:]
                   if m["chat_id"] == client.user_id]
        assert len(replies) == burst
        asked_next = [*keys, "mentor_sees"][done - burst + 1:done + 1]
        for reply, key in zip(replies, asked_next, strict=True):
            assert question("en", "agreement", key) in reply
    assert (await e2e.run(client.user_id, "agreement"))["step"] == "mentor_sees"


# ---------------------------------------------------------------------------------------------
# 11. /export


async def test_export_sends_typing_then_a_json_and_an_html_document(e2e: E2E) -> None:
    client = e2e.client()
    steps = [Step("purpose", Type("<b>x</b> & more")) if step.key == "purpose" else step
             for step in agreement_steps("en")]
    await complete_agreement(client, "en", steps)
    await complete_grow(client, "en")
    calls_mark = len(e2e.stub.calls)

    sent = await client.send("/export")

    assert sent == [say("en", "common.export.ready"), ""]
    methods = [(name, params) for name, params in e2e.stub.calls[calls_mark:]
               if name in ("sendChatAction", "sendDocument", "sendMessage")]
    assert [name for name, _ in methods] == ["sendChatAction", "sendDocument", "sendDocument"]
    assert methods[0][1] == {"chat_id": client.user_id, "action": "typing"}
    json_file, html_file = e2e.stub.documents[-2:]
    assert json_file["filename"].endswith(".json")
    assert html_file["filename"].endswith(".html")

    data = json.loads(json_file["content"])
    assert data["user"]["telegram_id"] == client.user_id
    [agreement] = data["answers"]["initiation"]["agreement"]
    assert agreement["status"] == "completed"
    expected = {**agreement_saved("en"), "purpose": "<b>x</b> & more"}
    assert {a["step"]: a["value"] for a in agreement["answers"]} == expected
    [grow] = data["answers"]["establishing"]["grow"]
    grow_answers = {a["step"]: a["value"] for a in grow["answers"]}
    assert grow_answers["goal_specific"] == GROW_TEXTS["en"]["goal_specific"]
    assert grow_answers["reality_position"] == 5
    [goal] = data["goals"]
    assert (goal["title"], goal["due_on"]) == (GROW_TEXTS["en"]["goal_specific"], GROW_DUE)
    assert [(a["text"], a["due_on"]) for a in goal["actions"]] == list(
        zip(GROW_TEXTS["en"]["actions"], ACTION_DUES, strict=True))

    page = html_file["content"].decode()
    assert page.startswith("<!doctype html>")
    assert GROW_TEXTS["en"]["goal_specific"] in page
    assert "&lt;b&gt;x&lt;/b&gt; &amp; more" in page
    assert "<b>x</b>" not in page


# ---------------------------------------------------------------------------------------------
# 12. /delete


async def test_delete_asks_first_and_then_erases_every_row_of_the_user(e2e: E2E) -> None:
    client = e2e.client()
    bystander = e2e.client(5151, first_name="Ben")
    await start_agreement(bystander, "en")
    await bystander.send("Ben's purpose")
    await complete_agreement(client, "en")
    await complete_grow(client, "en")
    user = await e2e.user(client.user_id)
    assert user is not None
    owned = {"dialog_runs": RUNS, "answers": ANSWERS, "goals": GOALS, "action_steps": ACTIONS}
    for table in owned.values():
        assert await e2e.rows(table, user_id=user["id"]), table.name
    before = await e2e.snapshot()

    [question_text] = await client.send("/delete")
    assert question_text == say("en", "common.delete.confirm")
    assert client.last_buttons == [say("en", "common.delete.yes_button"),
                                   say("en", "common.delete.no_button")]
    kept = await client.click(say("en", "common.delete.no_button"))
    assert kept == [say("en", "common.delete.kept")]
    assert await e2e.snapshot() == before
    assert client.last_buttons == []

    await client.send("/delete")
    sent = await client.click(say("en", "common.delete.yes_button"))
    assert sent == [say("en", "common.delete.done")]

    assert await e2e.user(client.user_id) is None
    for name, table in owned.items():
        assert await e2e.rows(table, user_id=user["id"]) == [], name
    assert await e2e.answers(bystander.user_id) == {"purpose": "Ben's purpose"}
    [asked] = await client.send("/start")
    assert asked == say("en", "mentors.roles.ask", name="Ana")


# ---------------------------------------------------------------------------------------------
# 13. Flood control


async def test_a_429_on_send_message_is_waited_out_and_the_message_arrives(e2e: E2E) -> None:
    client = e2e.client()
    await start_agreement(client, "en")
    e2e.stub.fail_next("sendMessage", status=429, retry_after=0.5)
    loop = asyncio.get_running_loop()
    began = loop.time()

    sent = await client.send("My purpose")

    assert loop.time() - began >= 0.5  # retry_after was respected, not hammered
    assert len(sent) == 1
    assert question("en", "agreement", "success") in sent[0]
    attempts = [c for c in e2e.stub.calls_of("sendMessage") if c["chat_id"] == client.user_id]
    assert attempts[-1]["text"] == attempts[-2]["text"]  # the refused one, then the retry
    assert await e2e.answers(client.user_id) == {"purpose": "My purpose"}


# ---------------------------------------------------------------------------------------------
# 14. A user who blocked the bot


async def test_a_blocked_user_is_marked_inactive_and_active_again_when_they_return(e2e: E2E) -> None:
    client = e2e.client()
    await start_agreement(client, "en")
    e2e.stub.block_user(client.user_id)

    assert await client.send("My purpose") == []
    user = await e2e.user(client.user_id)
    assert user is not None
    assert user["active"] is False
    assert await client.send("/goals") == []  # a command that shows "typing…" first
    assert e2e.errors == []

    e2e.stub.unblock_user(client.user_id)
    greeting, _ = await client.send("/start")
    assert greeting == say("en", "common.service.welcome_back", name="Ana")
    user = await e2e.user(client.user_id)
    assert user is not None
    assert user["active"] is True


# ---------------------------------------------------------------------------------------------
# 15. Webhook mode


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_webhook_rejects_a_wrong_secret_and_processes_the_right_one(e2e: E2E) -> None:
    await e2e.stop()
    webhook = Webhook(port=free_port(), secret_token="s3cret-token")
    bot = await e2e.start(webhook=webhook)
    [registered] = e2e.stub.calls_of("setWebhook")
    assert registered["url"] == webhook.url
    assert registered["secret_token"] == "s3cret-token"
    assert registered["allowed_updates"] == list(ALLOWED_UPDATES)
    user_id = 6161

    async with aiohttp.ClientSession() as session:
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            update = e2e.stub.compose_user_message(user_id, "/start", first_name="Ana")
            async with session.post(webhook.url, json=update, headers=headers) as response:
                assert response.status == 403
            await e2e.settle()
        assert bot.recorder.update_ids == []
        assert e2e.stub.chats.get(user_id, []) == []
        assert await e2e.user(user_id) is None

        update = e2e.stub.compose_user_message(user_id, "/start", first_name="Ana")
        async with session.post(webhook.url, json=update,
                                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}) as response:
            assert response.status == 200
        await e2e.settle()

    assert bot.recorder.update_ids == [update["update_id"]]
    greeting = e2e.stub.chats[user_id][0]["text"]
    assert greeting == say("en", "mentors.roles.ask", name="Ana")
    assert await e2e.user(user_id) is not None


# ---------------------------------------------------------------------------------------------
# 16. The command menu


# The mentee's menu, in DESIGN.md's order.
MENTEE_MENU = ("start", "help", "journey", "agreement", "story", "vision", "grow", "checkin",
               "agenda", "reflect", "goals", "answers", "settings", "checkins", "pause",
               "meeting", "askmentor", "skip", "back", "cancel",
               "resume", "export", "delete")


async def test_the_command_menu_is_set_in_english_by_default_and_in_german(e2e: E2E) -> None:
    default_scope = json.dumps({"type": "default"}, sort_keys=True)
    assert set(e2e.stub.commands) == {(default_scope, ""), (default_scope, "de")}
    for lang, code in (("en", ""), ("de", "de")):
        assert e2e.stub.commands[(default_scope, code)] == [
            {"command": name, "description": say(lang, f"common.commands.{name}")}
            for name in MENTEE_MENU]
    calls = e2e.stub.calls_of("setMyCommands")
    assert ["language_code" in call for call in calls] == [False, True]


# ---------------------------------------------------------------------------------------------
# 17. /settings


async def test_settings_language_timezone_local_time_and_sharing(e2e: E2E) -> None:
    client = e2e.client()
    now = e2e.clock.now
    [view] = await client.send("/settings")
    assert view == say("en", "common.settings.view", language="English", timezone="UTC",
                       local_time=now.strftime("%H:%M"),
                       sharing=say("en", "common.settings.sharing_off"), quiet="21:00–08:00")

    sent = await client.click("Deutsch")
    assert sent == [say("de", "common.settings.language_set")]
    user = await e2e.user(client.user_id)
    assert user is not None
    assert user["language"] == "de"
    [help_text] = await client.send("/help")
    assert help_text.startswith(say("de", "common.help.header"))
    assert f"/journey: {say('de', 'common.commands.journey')}" in help_text

    [view] = await client.send("/settings")
    assert view.startswith(say("de", "common.settings.view", language="Deutsch", timezone="UTC",
                                local_time=now.strftime("%H:%M"),
                                sharing=say("de", "common.settings.sharing_off"),
                                quiet="21:00–08:00").split("\n")[0])
    sent = await client.click(say("de", "common.settings.timezone_button", zone="Europe/London"))
    london = now.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
    assert sent == [say("de", "common.settings.timezone_set", timezone="Europe/London",
                        local_time=london)]
    assert (await e2e.user(client.user_id) or {})["timezone"] == "Europe/London"

    sent = await client.send("/settings timezone Europe/Vienna")
    vienna = now.astimezone(ZoneInfo("Europe/Vienna")).strftime("%H:%M")
    assert sent == [say("de", "common.settings.timezone_set", timezone="Europe/Vienna",
                        local_time=vienna)]
    assert (await e2e.user(client.user_id) or {})["timezone"] == "Europe/Vienna"

    sent = await client.send("/settings time 14:30")
    told = datetime.combine(now.date(), time(14, 30), tzinfo=UTC)
    offset = told - now  # 14:30 while it is 09:00 UTC: five and a half hours ahead
    assert offset == timedelta(hours=5, minutes=30)
    zone = (await e2e.user(client.user_id) or {})["timezone"]
    assert now.astimezone(ZoneInfo(zone)).utcoffset() == offset
    assert sent == [say("de", "common.settings.timezone_set", timezone=zone, local_time="14:30")]

    await client.send("/settings")
    sent = await client.click(say("de", "common.settings.share_on_button"))
    assert sent == [say("de", "common.settings.share_set_on")]
    assert (await e2e.user(client.user_id) or {})["share_by_default"] is True
    [view] = await client.send("/settings")
    assert say("de", "common.settings.sharing_on") in view
    sent = await client.click(say("de", "common.settings.share_off_button"))
    assert sent == [say("de", "common.settings.share_set_off")]
    assert (await e2e.user(client.user_id) or {})["share_by_default"] is False


# ---------------------------------------------------------------------------------------------
# 18. `coachbot run` without a token


def test_run_without_a_token_explains_botfather_and_points_to_chat(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "COACHBOT_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert "BotFather" in result.stderr
    assert "coachbot chat" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------------
# 19. A failure inside an update: the user is reassured, nothing is lost, nothing private is logged


#: The database itself refuses to move a dialog run to another step. In the service's transaction
#: the answer row is written first, so a half-saved answer would show; the message holds no answer.
REFUSE_STEP_CHANGE = {
    "sqlite": ["CREATE TRIGGER refuse_step BEFORE UPDATE OF step ON dialog_runs "
               "WHEN NEW.step <> OLD.step BEGIN SELECT RAISE(ABORT, 'refused_by_test_trigger'); END"],
    "postgresql": ["CREATE FUNCTION refuse_step() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'refused_by_test_trigger'; END $$",
                   "CREATE TRIGGER refuse_step BEFORE UPDATE OF step ON dialog_runs FOR EACH ROW "
                   "WHEN (NEW.step IS DISTINCT FROM OLD.step) EXECUTE FUNCTION refuse_step()"],
}
ALLOW_STEP_CHANGE = {
    "sqlite": ["DROP TRIGGER refuse_step"],
    "postgresql": ["DROP TRIGGER refuse_step ON dialog_runs", "DROP FUNCTION refuse_step()"],
}


async def _execute(e2e: E2E, statements: dict[str, list[str]]) -> None:
    from sqlalchemy import text

    async with e2e.engine.begin() as connection:
        for statement in statements[connection.dialect.name]:
            await connection.execute(text(statement))


@pytest.mark.parametrize(("lang", "e2e"), LANGS_AND_DATABASES, indirect=["e2e"])
async def test_a_failing_update_reassures_the_user_keeps_the_state_and_logs_no_answer(
    e2e: E2E, lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = e2e.client(lang=lang)
    texts = AGREEMENT_TEXTS[lang]
    await start_agreement(client, lang)
    await client.send(texts["purpose"])
    before = await e2e.snapshot()
    secret = "my very private answer 4711"

    await _execute(e2e, REFUSE_STEP_CHANGE)
    with logging_as_run(), caplog.at_level("DEBUG"):  # as `coachbot run` sets logging up
        [reply] = await client.send(secret)
    await _execute(e2e, ALLOW_STEP_CHANGE)

    assert reply == say(lang, "common.service.error")
    assert "Traceback" not in reply
    assert "refused_by_test_trigger" not in reply
    assert await e2e.snapshot() == before  # the answer row written before the refusal is gone too
    log = logged(caplog)
    [(_, error)] = e2e.bot.recorder.errors
    assert type(error).__name__ in log  # the error is logged, with our frames ...
    assert "service/conversation.py" in log
    assert secret not in log  # ... without the answer text
    assert "refused_by_test_trigger" not in log  # ... or the database's message, which may quote it
    assert TOKEN not in log  # ... and never the token
    [(_, error)] = e2e.bot.recorder.errors
    assert "refused_by_test_trigger" in str(error)
    e2e.bot.recorder.errors.clear()  # the one error this test expects

    [next_question] = await client.send(texts["success"])
    assert question(lang, "agreement", "expect_mentor") in next_question
    assert (await e2e.answers(client.user_id))["success"] == texts["success"]
