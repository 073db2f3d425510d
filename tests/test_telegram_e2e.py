"""coachbot end to end: the real python-telegram-bot Application polling a Bot API stub over HTTP.

Nothing of ``Bot`` is mocked. Each test injects what a Telegram user does (typing, tapping a
button, editing, sending a sticker) as updates, waits until the Application has processed them
(``settle``, never sleeps), and checks what the user sees in the chat (the stub renders the bot's
HTML to the plain text Telegram would show) and what the database holds. The ``e2e`` fixture
(tests/telegram/harness.py) fails a test when any exception reached the error handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from coachbot.prompts.catalog import default_catalog
from tests.telegram.client import ChatClient
from tests.telegram.harness import E2E, e2e, say, stub

__all__ = ["e2e", "stub"]  # the fixtures, re-exported for pytest

# ---------------------------------------------------------------------------------------------
# Dialog walks: what the user does at each step, and the question the bot must be asking then.


@dataclass(frozen=True)
class Type:
    """The user types this text."""

    text: str


@dataclass(frozen=True)
class Tap:
    """The user taps the button labelled with this catalog text (rendered in the user's language)."""

    key: str


@dataclass(frozen=True)
class Step:
    """The bot asks ``dialog.steps.<key>.text`` (rendered with ``variables``); the user acts."""

    key: str
    action: Type | Tap
    variables: tuple[tuple[str, Any], ...] = ()


def button(lang: str, key: str, **variables: Any) -> str:
    """A button label as Telegram shows it (buttons are plain text, not HTML)."""
    return say(lang, key, **variables)


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
            await client.click(button(lang, step.action.key))


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
AGREEMENT_CHOICES = {"mentor_sees": "share", "meeting_rhythm": "weekly", "meeting_mode": "video"}


def agreement_steps(lang: str) -> list[Step]:
    texts = AGREEMENT_TEXTS[lang]
    steps = [Step(key, Type(texts[key])) for key in
             ("purpose", "success", "expect_mentor", "expect_self", "boundaries", "confidentiality")]
    steps += [Step(key, Tap(f"agreement.steps.{key}.choices.{value}"))
              for key, value in AGREEMENT_CHOICES.items()]
    steps += [Step(key, Type(texts[key])) for key in ("sessions", "end_date", "progress_check")]
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
        "support": "Feedback von meiner Mentorin",
    },
}
GROW_DUE = "2027-06-30"
ACTION_DUES = ["2027-01-15", "2027-03-01"]


def grow_steps(lang: str) -> list[Step]:
    texts = GROW_TEXTS[lang]
    steps = [Step(key, Type(texts[key])) for key in
             ("goal_wish", "goal_specific", "goal_measurable", "goal_achievable", "goal_relevant",
              "goal_timebound", "reality_now", "reality_tried", "reality_missing")]
    steps.append(Step("reality_position", Tap("common.buttons.done"))) if False else None
    steps = steps  # (scale buttons are numbers, tapped below)
    return steps


def list_steps(key: str, items: list[str]) -> list[Step]:
    """A list step: one item per message, then "That's all"."""
    steps = [Step(key, Type(item), (("collected", items[:i]),)) for i, item in enumerate(items)]
    steps.append(Step(key, Tap("common.buttons.done"), (("collected", items),)))
    return steps
