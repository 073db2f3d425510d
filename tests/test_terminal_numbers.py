"""`coachbot chat` numbers the buttons of one reply once, on from one message to the next, so a
number on screen is one button (/settings showed the languages and the end of a pairing both
from 1, and a number pressed only the last message's); a number typed when the reply shows no
buttons is told so, instead of being taken for an answer or told answers are only kept in a
dialog. A number typed for a question that takes text still is that text."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal import TerminalChat
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from storage.database import create_sessionmaker
from storage.rows import RUNS
from storage.vocabulary import Visibility
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import pair
from tests.test_consent import visibilities

NUMBERED = re.compile(r"^  /?(\d+)  (.+)$", re.M)


class Walk:
    """One terminal chat: type a line, read what it printed since."""

    def __init__(self, service: ConversationService, user_id: int, lang: str,
                 name: str = "Ana") -> None:
        self.out = io.StringIO()
        self.chat = TerminalChat(service, Person(user_id, name, lang), self.out)

    async def type(self, line: str) -> str:
        start = len(self.out.getvalue())
        await self.chat.send(self.chat.parse(line))
        return self.out.getvalue()[start:]


def numbers(printed: str) -> dict[int, str]:
    """The numbered buttons of a reply: number → label (a number twice fails)."""
    found = [(int(number), label) for number, label in NUMBERED.findall(printed)]
    assert len({number for number, _ in found}) == len(found), printed
    return dict(found)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_settings_number_every_button_once_and_each_number_presses_its_own(
        service: ConversationService, lang: str) -> None:
    await pair(Chat(service, 5101, name="Maria", language=lang),
               Chat(service, 5102, name="Ana", language=lang))
    walk = Walk(service, 5102, lang)
    buttons = numbers(await walk.type("/settings"))
    assert sorted(buttons) == list(range(1, len(buttons) + 1))
    end = shown(lang, "mentors.pairing.end_button", name="Maria", as_mentor=False)
    [number] = [n for n, label in buttons.items() if label == end]
    assert number > 1  # after the language and time zone buttons of the message above
    asked = await walk.type(str(number))
    assert shown(lang, "mentors.pairing.end_confirm", name="Maria", as_mentor=False) in asked
    kept = await walk.type("2")  # no, keep it: the reply's own numbers now
    assert shown(lang, "mentors.pairing.kept") in kept


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("line", ["1", "/1"])
async def test_a_number_with_no_buttons_on_screen_is_told_so_and_sends_nothing(
        service: ConversationService, lang: str, line: str) -> None:
    walk = Walk(service, 5201, lang)
    await walk.type("/start")
    offered = await walk.type("1")  # mentee: the agreement is offered with a button
    assert numbers(offered)
    await walk.type("/help")  # text only: no button is on screen any more
    said = await walk.type(line)
    assert said.strip() == shown(lang, "common.terminal.no_choice")
    assert shown(lang, "common.service.not_in_dialog") not in said
    async with service.sessionmaker.begin() as session:
        assert (await session.execute(select(RUNS.c.id))).first() is None  # nothing started


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_after_a_look_up_mid_dialog_a_number_is_not_saved_as_the_answer(
        service: ConversationService, lang: str) -> None:
    """"Still open: …" closes the look-up; the question is not on screen, so "1" picks nothing
    (it was saved as the answer to "Which experiences brought you here?")."""
    walk = Walk(service, 5301, lang)
    await walk.type("/start")
    await walk.type("1")  # mentee
    asked = await walk.type("/story")
    first = shown(lang, "story.steps.experiences.text")
    assert first in asked
    looked = await walk.type("/goals")
    assert shown(lang, "common.service.still_open", title=shown(lang, "story.title")) in looked
    said = await walk.type("1")
    assert said.strip() == shown(lang, "common.terminal.no_choice")
    assert first in await walk.type("/resume")  # still the first question: nothing answered


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_number_typed_where_text_is_asked_is_that_text(
        service: ConversationService, lang: str) -> None:
    walk = Walk(service, 5401, lang)
    await walk.type("/start")
    await walk.type("1")  # mentee
    await walk.type("/story")
    said = await walk.type("1")  # the question asks for text: "1" answers it
    assert shown(lang, "common.terminal.no_choice") not in said
    assert shown(lang, "story.steps.shaped.text") in said
    await walk.type("/cancel")
    lengths = numbers(await walk.type("/pause"))
    until = shown(lang, "calendar.pause.button_date")
    asked = await walk.type(str(next(n for n, label in lengths.items() if label == until)))
    assert shown(lang, "calendar.pause.ask_date") in asked
    again = await walk.type("xyz")
    assert shown(lang, "calendar.pause.unclear_date", text="xyz") in again
    said = await walk.type("15")  # a day is typed: the number goes to the question
    assert shown(lang, "common.terminal.no_choice") not in said
    assert shown(lang, "calendar.pause.unclear_date", text="15") in said


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("typed", ["number", "words"])
async def test_a_choice_shown_before_a_restart_still_takes_its_number_and_words(
        engine: AsyncEngine, clock: FakeClock, lang: str, typed: str) -> None:
    """`coachbot chat` quit at the sharing question and started again: its own /start ended the
    choice, so its number pressed the welcome's button and its words got "I only keep answers
    inside a dialog". The choice stands (it is kept with the person) and is shown again."""
    before = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                 catalog=default_catalog(), clock=clock)
    await pair(Chat(before, 5501, name="Maria", language=lang),
               Chat(before, 5502, name="Ana", language=lang))
    walk = Walk(before, 5502, lang)
    for line in ("/checkin", "Talking to Sam helped", "Too many meetings", "7",
                 "Finish the draft", "/skip"):
        await walk.type(line)
    asked = await walk.type("/0")  # the summary's "Looks good, save it": the question follows
    everything = shown(lang, "sharing.buttons.all", mentor="Maria", chosen=False)
    [number] = [n for n, label in numbers(asked).items() if label == everything]

    async def lines() -> AsyncIterator[str]:
        yield str(number) if typed == "number" else everything

    after = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                catalog=default_catalog(), clock=clock)  # a new process
    out = io.StringIO()
    await TerminalChat(after, Person(5502, "Ana", lang), out).run(
        lines(), CommandIn("start", ""), read_ahead=True)
    said = out.getvalue()
    assert shown(lang, "common.service.not_in_dialog") not in said
    assert shown(lang, "sharing.settled", shared=4, total=4, mentor="Maria",
                 title=shown(lang, "checkin.title")) in said
    assert set((await visibilities(after, 5502, "checkin")).values()) == {Visibility.SHARED}
