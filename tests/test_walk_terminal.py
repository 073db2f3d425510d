"""A mentee walking `coachbot chat` in German and in English: what they type after what they see
does what the words on screen say."""

from __future__ import annotations

import io

import pytest

from bot.terminal import TerminalChat
from service.conversation import ConversationService
from service.inputs import Person
from tests.support.chat import shown


class Walk:
    """One terminal chat: type a line as the mentee would, read what it printed since."""

    def __init__(self, service: ConversationService, user_id: int, lang: str) -> None:
        self.out = io.StringIO()
        self.chat = TerminalChat(service, Person(user_id, "Ana", lang), self.out)

    async def type(self, line: str) -> str:
        start = len(self.out.getvalue())
        await self.chat.send(self.chat.parse(line))
        return self.out.getvalue()[start:]


async def mid_agreement(service: ConversationService, lang: str) -> Walk:
    """A mentee who has answered the agreement's first question and sees its second."""
    walk = Walk(service, 4101, lang)
    await walk.type("/start")
    await walk.type("1")  # mentee
    await walk.type("1")  # start the agreement
    await walk.type("I want to lead a team")
    return walk


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_time_typed_at_the_check_in_time_picker_sets_it(
        service: ConversationService, lang: str) -> None:
    walk = await mid_agreement(service, lang)
    await walk.type("/checkins")
    await walk.type("1")  # set a rhythm
    await walk.type("2")  # weekly
    asked = await walk.type("5")  # Friday
    assert shown(lang, "checkins.which_time", side=None, word="") in asked
    assert "/checkins" not in asked.split("\n")[0]
    said = await walk.type("18:45")
    friday = {"en": "every Friday at 18:45", "de": "jeden Freitag um 18:45 Uhr"}[lang]
    assert friday in said
    again = await walk.type("/resume")
    assert "18:45" not in again  # the agreement's question was not answered with the time


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_daily_time_typed_is_daily(service: ConversationService, lang: str) -> None:
    walk = await mid_agreement(service, lang)
    await walk.type("/checkins")
    await walk.type("1")
    await walk.type("1")  # daily
    said = await walk.type({"en": "7:30 pm", "de": "19.30"}[lang])
    assert {"en": "every day at 19:30", "de": "jeden Tag um 19:30 Uhr"}[lang] in said


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_words_that_are_no_time_do_not_answer_a_question_no_longer_shown(
        service: ConversationService, lang: str) -> None:
    walk = await mid_agreement(service, lang)
    await walk.type("/checkins")
    await walk.type("1")
    await walk.type("1")
    said = await walk.type("after dinner")
    title = shown(lang, "agreement.title")
    assert shown(lang, "common.service.not_saved_yet", title=title) in said
    second = shown(lang, "agreement.steps.success.text").splitlines()[0]
    assert second in said  # the agreement's question again, still unanswered
