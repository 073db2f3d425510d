"""A mentee walking `coachbot chat` in German and in English: what they type after what they see
does what the words on screen say."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.terminal import TerminalChat
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from service.messages import Response
from service.schedule.dispatch import Dispatcher
from service.schedule.kinds import PersonKind
from service.schedule.registry import default_registry
from service.turn import Turn
from storage.answers import answers_of
from storage.schedule import ItemRecord, NewItem, add_items, latest_items, pending_items
from storage.users import get_user
from storage.vocabulary import ItemStatus
from tests.support.chat import shown
from tests.support.clock import FakeClock


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
async def test_words_that_are_no_time_ask_the_time_again_and_answer_no_other_question(
        service: ConversationService, lang: str) -> None:
    walk = await mid_agreement(service, lang)
    await walk.type("/checkins")
    await walk.type("1")
    await walk.type("1")
    said = await walk.type("after dinner")
    assert shown(lang, "checkins.typed.time", text="after dinner") in said
    assert shown(lang, "checkins.which_time", side=None, word="") in said
    again = await walk.type("/resume")
    second = shown(lang, "agreement.steps.success.text").splitlines()[0]
    assert second in again  # the agreement's question, still unanswered
    assert "after dinner" not in again


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_fortnightly_rhythm_said_back_is_read_as_fortnightly(
        service: ConversationService, lang: str) -> None:
    """The words the bot uses for every other Friday, typed back, mean every other Friday (in
    German, "jeden zweiten Freitag" is read as the second Friday of the month)."""
    walk = await mid_agreement(service, lang)
    said = await walk.type({"en": "/checkins every 2 weeks fri 17:00",
                            "de": "/checkins alle 2 wochen fr 17:00"}[lang])
    words = {"en": "every other Friday at 17:00", "de": "alle zwei Wochen am Freitag um 17:00 Uhr"}
    assert words[lang] in said
    again = await walk.type(f"/checkins {words[lang]}")
    assert words[lang] in again
    assert {"en": "of each month", "de": "im Monat"}[lang] not in again


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_regular_meeting_example_says_what_it_does(
        service: ConversationService, lang: str) -> None:
    walk = await mid_agreement(service, lang)
    asked = await walk.type("/meeting")
    example = asked.split("/meeting ")[-1].split(".\n")[0]  # the regular meeting's, last
    said = await walk.type(f"/meeting {example}")
    assert {"en": "second Tuesday of each month at 17:00",
            "de": "am zweiten Dienstag im Monat um 17:00 Uhr"}[lang] in said
    assert {"en": "of the month", "de": "im Monat"}[lang] in example


async def test_german_settings_name_the_german_words_and_they_work(
        service: ConversationService) -> None:
    walk = await mid_agreement(service, "de")
    shown_settings = await walk.type("/settings")
    assert "/settings timezone" not in shown_settings
    assert "/settings time " not in shown_settings
    assert "/settings Zeitzone Europe/Berlin" in shown_settings
    assert "/settings Zeit 14:30" in shown_settings
    said = await walk.type("/settings Zeitzone Europe/Berlin")
    assert "Deine Zeitzone ist jetzt Europe/Berlin" in said
    unclear = await walk.type("/settings zeit halb drei")
    assert "/settings Zeit 14:30" in unclear



@pytest.mark.parametrize("save", ["/0", "0"])
@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_number_typed_at_the_summary_changes_the_answer_shown_with_it(
        service: ConversationService, lang: str, save: str) -> None:
    """The summary numbers the answers 1, 2…; /2 changes answer 2 (save, the first button, does
    not take the number 1 from the first answer), and save has its own number: typed with its
    slash or without, as a change's number is (a bare "0" was told to tap “Looks good”)."""
    walk = Walk(service, 4102, lang)
    await walk.type("/start")
    await walk.type("1")  # mentee
    await walk.type("/agenda")
    await walk.type("my career")
    await walk.type("/1")  # that's all
    await walk.type("advice")
    await walk.type("/skip")
    summary = await walk.type("/skip")
    label = shown(lang, "agenda.steps.want_from_meeting.label")
    assert f"2. {label}: advice" in summary
    asked = await walk.type("/2")
    assert shown(lang, "agenda.steps.want_from_meeting.text") in asked
    summary = await walk.type("clear next steps")
    assert f"2. {label}: clear next steps" in summary
    assert f"/2  {shown(lang, 'common.buttons.change', number=2)}" in summary
    assert f"/0  {shown(lang, 'common.buttons.confirm')}" in summary
    saved = await walk.type(save)
    assert shown(lang, "common.problems.pick_or_confirm") not in saved
    assert shown(lang, "agenda.done", topics=["my career"], to_raise=[],
                 meeting_date=None) in saved


@pytest.mark.parametrize(("lang", "remove"), [("en", "remove 2"), ("de", "2 löschen")])
async def test_a_wrong_item_is_taken_out_of_a_list_changed_at_the_summary(
        service: ConversationService, lang: str, remove: str) -> None:
    """Changing a list from the summary shows its items numbered and takes one out by its number
    (a wrong item could only be added to, and stayed in the saved answer)."""
    walk = Walk(service, 4103, lang)
    await walk.type("/start")
    await walk.type("1")  # mentee
    await walk.type("/agenda")
    await walk.type("my career")
    await walk.type("wrong topic")
    await walk.type("/1")  # that's all
    await walk.type("advice")
    await walk.type("/skip")
    await walk.type("/skip")
    asked = await walk.type("1")  # change the topics
    assert shown(lang, "common.ask.list_so_far", items="1. my career\n2. wrong topic",
                 count=2) in asked
    fixed = await walk.type(remove)
    assert fixed.startswith(shown(lang, "common.notes.list_removed", value=["wrong topic"]))
    assert shown(lang, "common.ask.list_so_far", items="1. my career", count=1) in fixed
    summary = await walk.type("/1")  # that's all
    assert "wrong topic" not in summary
    assert "my career" in summary
    await walk.type("0")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 4103)
        assert user is not None
        saved = {answer.step_key: answer.value for answer in await answers_of(session, user.id)}
    assert saved["topics"] == ["my career"]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_after_back_the_earlier_answer_and_keep_stay_until_answered(
        service: ConversationService, lang: str) -> None:
    walk = await mid_agreement(service, lang)
    for line in ("x", "x", "x", "x", "/skip", "2"):  # up to "should your mentor see them": no
        await walk.type(line)
    earlier = shown(lang, "common.ask.previous",
                    previous=shown(lang, "agreement.steps.mentor_sees.choices.private"))
    keep = shown(lang, "common.buttons.keep")
    assert earlier in await walk.type("/back")
    for refused in ("/skip", "", "4"):
        again = await walk.type(refused)
        assert earlier in again
        assert f"  {keep}" in again
    kept = await walk.type("3")  # the keep button, under the two choices
    assert shown(lang, "agreement.steps.team_may_know.text").splitlines()[0] in kept


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_an_empty_line_at_a_choice_asks_to_pick_one_of_the_options(
        service: ConversationService, lang: str) -> None:
    walk = await mid_agreement(service, lang)
    for line in ("x", "x", "x", "x", "/skip"):
        await walk.type(line)
    said = await walk.type("")
    assert shown(lang, "common.problems.empty_choice") in said
    assert shown(lang, "common.problems.empty") not in said


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_line_of_only_invisible_characters_is_no_answer(
        service: ConversationService, lang: str) -> None:
    """Zero-width spaces, joiners, a word joiner or a BOM (with spaces or not) are as empty as a
    blank line: the same polite reply, and nothing saved; the next words answer the question."""
    walk = await mid_agreement(service, lang)
    for line in ("\u200b", "\u200c \u200d", " \ufeff\u2060\u200b "):
        said = await walk.type(line)
        assert shown(lang, "common.problems.empty") in said
        assert shown(lang, "agreement.steps.success.text").splitlines()[0] in said
    await walk.type("A team of five that trusts me")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 4101)
        assert user is not None
        saved = {answer.step_key: answer.value for answer in await answers_of(session, user.id)}
    assert saved == {"purpose": "I want to lead a team", "success": "A team of five that trusts me"}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_too_long_answer_is_asked_shorter_not_split(
        service: ConversationService, lang: str) -> None:
    """A second message would answer the next question, so the bot never suggests one. A line
    is never split (unlike a Telegram message), so the next line, however soon, is the answer."""
    walk = await mid_agreement(service, lang)
    said = await walk.type("x" * 4001)
    assert shown(lang, "common.problems.too_long", max_length=4000) in said
    assert {"en": "two messages", "de": "zwei Nachrichten"}[lang] not in said
    assert {"en": "split", "de": "verteil"}[lang] not in said
    said = await walk.type("I lead a small team")  # at once: the clock has not moved
    assert shown(lang, "common.service.rest_not_kept") not in said
    assert shown(lang, "agreement.steps.expect_mentor.text") in said


async def typed(clock: FakeClock, steps: list[str | timedelta]) -> AsyncIterator[str]:
    """The lines a person types, with time passing between some of them."""
    for step in steps:
        if isinstance(step, timedelta):
            clock.advance(seconds=step.total_seconds())
        else:
            yield step


@pytest.mark.parametrize(("lang", "rhythm"), [("en", "/checkins daily 18:00"),
                                               ("de", "/checkins täglich 18:00")])
async def test_a_check_in_that_comes_due_shows_in_the_terminal_once_and_its_start_works(
        service: ConversationService, clock: FakeClock, lang: str, rhythm: str) -> None:
    out = io.StringIO()
    chat = TerminalChat(service, Person(4103, "Ana", lang), out, dispatcher=Dispatcher(service))
    invitation = shown(lang, "checkins.invite.initiation", name="Ana")
    await chat.run(typed(clock, ["1", "/cancel", rhythm]), CommandIn("start", ""))
    assert invitation not in out.getvalue()  # 09:00: not yet

    before = len(out.getvalue())
    await chat.run(typed(clock, [timedelta(hours=10), "/help"]), CommandIn("help", ""))
    shown_now = out.getvalue()[before:]
    assert shown_now.count(invitation) == 1  # after the first reply once it is due
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 4103)
        assert user is not None
        [sent] = await latest_items(session, user.id, "checkin", limit=1)
        assert sent.status is ItemStatus.SENT

    start = shown(lang, "checkins.buttons.start")
    number = next(line.split()[0] for line in shown_now.splitlines()
                  if line.endswith(f"  {start}"))
    before = len(out.getvalue())
    await chat.run(typed(clock, ["/help"]), chat.parse(number))  # Start
    assert invitation not in out.getvalue()[before:]  # never again
    async with service.sessionmaker.begin() as session:
        [started] = await latest_items(session, user.id, "checkin", limit=1)
        assert started.payload.get("started") is True


class Watched(io.StringIO):
    """A terminal's output that says when a text has appeared in it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.appeared = asyncio.Event()

    def write(self, written: str) -> int:
        count = super().write(written)
        if self.text in self.getvalue():
            self.appeared.set()
        return count


async def test_at_a_terminal_what_comes_due_while_nobody_types_shows_without_a_keypress(
        service: ConversationService, clock: FakeClock) -> None:
    invitation = shown("en", "checkins.invite.initiation", name="Ana")
    out = Watched(invitation)
    chat = TerminalChat(service, Person(4104, "Ana", "en"), out, dispatcher=Dispatcher(service))
    await chat.run(typed(clock, ["1", "/cancel", "/checkins daily 18:00"]),
                   CommandIn("start", ""))

    async def waiting() -> AsyncIterator[str]:
        """Nobody types: the day passes, and the next line comes only after the invitation."""
        clock.advance(hours=10)
        await out.appeared.wait()
        yield "/quit"

    await asyncio.wait_for(chat.run(waiting(), CommandIn("help", ""), poll_every=0.001), 10)
    assert out.getvalue().count(invitation) == 1


async def test_a_scheduled_item_that_fails_is_one_line_and_stays_to_be_tried_again(
        service: ConversationService, clock: FakeClock) -> None:
    async def broken(_turn: Turn, _item: ItemRecord) -> Response:
        raise RuntimeError("the kind's own words, which could quote an answer")

    failing = ConversationService(service.sessionmaker, scripts=service.scripts,
                                  catalog=service.catalog, clock=clock,
                                  schedule=default_registry().add(PersonKind("broken", broken)))
    out, err = io.StringIO(), io.StringIO()
    chat = TerminalChat(failing, Person(4105, "Ana", "en"), out, err=err,
                        dispatcher=Dispatcher(failing))
    await chat.send(CommandIn("start", ""))
    async with failing.sessionmaker.begin() as session:
        user = await get_user(session, 4105)
        assert user is not None
        await add_items(session, [NewItem("broken:1", "broken", user.id, clock(), {})], clock())

    await chat.run(typed(clock, ["1"]), CommandIn("help", ""))
    assert err.getvalue().splitlines() == [  # once: the retry waits, the chat goes on
        "coachbot: something went wrong (RuntimeError); a scheduled message comes later."]
    assert "quote an answer" not in out.getvalue() + err.getvalue()
    async with failing.sessionmaker.begin() as session:
        [item] = await pending_items(session, user.id, ["broken"])
        assert item.attempts == 1
        assert item.due_at > clock()  # tried again later, not lost
