"""Typed text is only ever saved to the question last shown to this person, and every button press
gets a visible reply (issue 8, item 2).

A dialog's question stops being the question last shown when something else is asked after it:
the welcome's offer to continue, another dialog's switch question, /delete, a goal step's new
wording or its deletion, the news of a stage change. Text typed then is not saved: the question is
shown again first, and the next text answers it. Look-ups (/help, /journey, /goals, /answers,
/settings) ask nothing, so text typed after them still answers the open question.

The property test drives the service with random inputs (text, commands, media, presses of any
button seen before, stale ones included, and forged button data) and checks the rule from the
responses alone: the question last shown is the last message that shows a run's question, unless a
message asking something else came after it.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import callbacks
from service.callbacks import StepOp
from service.conversation import ConversationService
from service.inputs import CommandIn, Incoming, MediaIn, PressIn, TextIn
from service.messages import OutMessage, Response
from storage import migrate
from storage.answers import answers_of
from storage.database import create_engine, create_sessionmaker
from storage.runs import active_run, get_run
from storage.users import get_user
from tests.support.chat import Chat
from tests.support.chat import shown as say
from tests.support.clock import FakeClock
from tests.support.databases import mentee_mid_agreement_at_0003
from tests.test_goals import a_goal, open_step
from tests.test_transcripts import LANGUAGES, SQLITE_ONLY

Saved = dict[tuple[int, str], Any]
OTHER = "something else was asked"


async def saved(service: ConversationService, chat: Chat) -> Saved:
    """Every answer of this chat's person, by run and step."""
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        found = [] if user is None else await answers_of(session, user.id)
    return {(a.run_id, a.step_key): a.value for a in found}


async def current_step(service: ConversationService, chat: Chat) -> str | None:
    """The step the person's open dialog stands at."""
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        assert user is not None
        run = await active_run(session, user.id)
    return None if run is None else run.step


def asks_else(message: OutMessage) -> bool:
    """The message asks something other than a dialog's question: to continue or pause a dialog,
    to start one, to erase everything, to revise a goal, a step's new wording, its deletion."""
    for button in message.choices:
        press = callbacks.parse(button.data)
        if isinstance(press, callbacks.ContinuePress | callbacks.DialogPress
                      | callbacks.DismissPress | callbacks.DeletePress | callbacks.RevisePress):
            return True
        if isinstance(press, callbacks.StepPress) and press.op in (StepOp.KEEP,
                                                                    StepOp.DELETE_SURE):
            return True
    return False


def last_shown(response: Response, before: tuple[int, str] | str | None
               ) -> tuple[int, str] | str | None:
    """The question last shown after this response: a run's (id, step), OTHER, or as before."""
    for message in response.messages:
        if message.question is not None:
            before = (message.question.run_id, message.question.step)
        elif asks_else(message):
            before = OTHER
    return before


def shows_question_again(chat: Chat, response: Response, lang: str, key: str, question: str,
                         dialog: str = "agreement") -> None:
    """The response is a note (`key`) and then the question, nothing else."""
    texts = [chat.texts(Response((m,))) for m in response.messages]
    assert texts == [say(lang, key, title=say(lang, f"{dialog}.title")), question]


async def test_a_run_open_before_the_upgrade_counts_as_shown(empty_database_url: str) -> None:
    """Its question is what its person saw last: their next text still answers it."""
    engine = create_engine(empty_database_url)
    try:
        await mentee_mid_agreement_at_0003(engine, FakeClock()())
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            run = await get_run(session, 1)
        assert run is not None
        assert run.shown
    finally:
        await engine.dispose()


# --- The reported case ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_not_now_replies_and_the_next_text_is_saved_to_no_question(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=801, language=lang)
    await chat.send("/grow")
    await chat.send("Lead a team")
    await chat.send("/start")
    answers = await saved(service, chat)
    response = await chat.press(say(lang, "common.buttons.later"))
    assert chat.texts(response) == say(lang, "common.service.later")
    response = await chat.send("hello, I just want to see my goals")
    assert say(lang, "common.service.not_in_dialog") in chat.texts(response)
    assert await saved(service, chat) == answers


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_text_after_the_welcome_offer_shows_the_question_before_it_is_saved(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=802, language=lang)
    await chat.send("/grow")
    await chat.send("Lead a team")
    question = chat.last_text  # goal_specific
    await chat.send("/start")  # the offer to continue is left unanswered
    answers = await saved(service, chat)
    response = await chat.send("hello, I just want to see my goals")
    shows_question_again(chat, response, lang, "common.service.not_saved_yet", question, "grow")
    assert await saved(service, chat) == answers
    await chat.send("Lead a team of five by June")  # the question was shown: this answers it
    assert "Lead a team of five by June" in (await saved(service, chat)).values()
    assert await current_step(service, chat) == "goal_measurable"


# --- Each place that asks something else --------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_text_after_a_switch_question_is_not_saved_to_the_open_dialog(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=803, language=lang)
    await chat.send("/agreement")
    question = chat.last_text
    await chat.send("/grow")  # continue the agreement, or pause it and start GROW?
    response = await chat.send("Lead a team")
    shows_question_again(chat, response, lang, "common.service.not_saved_yet", question)
    assert await saved(service, chat) == {}
    await chat.send("More clarity at work")
    assert list((await saved(service, chat)).values()) == ["More clarity at work"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_text_after_delete_is_not_saved_and_no_shows_the_question(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=804, language=lang)
    await chat.send("/agreement")
    question = chat.last_text
    delete = chat.texts(await chat.send("/delete"))
    response = await chat.send("yes")  # only a button answers /delete: it is asked again
    assert chat.texts(response) == "\n".join((say(lang, "common.delete.tap"), delete))
    assert await saved(service, chat) == {}

    response = await chat.press(say(lang, "common.delete.no_button"))  # the question again
    assert chat.texts(response) == "\n".join((say(lang, "common.delete.kept"), question))
    await chat.send("More clarity at work")
    assert list((await saved(service, chat)).values()) == ["More clarity at work"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_skip_and_back_after_delete_show_the_question_first(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=805, language=lang)
    await chat.send("/agreement")
    await chat.send("More clarity at work")
    question = chat.last_text  # success
    for command in ("/skip", "/back"):
        await chat.send("/delete")
        response = await chat.send(command)
        shows_question_again(chat, response, lang, "common.service.before_moving", question)
        assert await current_step(service, chat) == "success"
    await chat.send("/back")  # shown: now it goes back
    assert await current_step(service, chat) == "purpose"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_text_after_moving_the_journey_on_mid_dialog_is_not_saved(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=806, language=lang)
    await chat.send("/agreement")
    question = chat.last_text
    await chat.send("/journey")
    await chat.press(say(lang, "common.buttons.stage_next", stage="").split(":")[0])
    response = await chat.send("More clarity at work")
    shows_question_again(chat, response, lang, "common.service.not_saved_yet", question)
    assert await saved(service, chat) == {}


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_text_after_a_goal_steps_wording_was_asked_and_left_is_not_saved_to_the_dialog(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=807, language=lang)
    await a_goal(service, chat)
    await chat.send("/agreement")
    question = chat.last_text
    await open_step(chat)
    await chat.press(say(lang, "common.goals.buttons.edit_text"))  # "send the new wording"
    await chat.send("/goals")  # a look-up: the wording is still asked
    await chat.press(0)  # a goal's button: the wording is no longer asked
    response = await chat.send("More clarity at work")
    shows_question_again(chat, response, lang, "common.service.not_saved_yet", question)
    assert await saved(service, chat) == {}
    await chat.send("More clarity at work")
    assert list((await saved(service, chat)).values()) == ["More clarity at work"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_text_after_a_goal_steps_deletion_was_asked_is_not_saved_to_the_dialog(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=808, language=lang)
    await a_goal(service, chat)
    await chat.send("/agreement")
    await open_step(chat)
    asked = chat.texts(await chat.press(say(lang, "common.goals.buttons.delete")))
    response = await chat.send("yes")  # only a button answers "delete this step?": asked again
    assert chat.texts(response) == "\n".join((say(lang, "common.goals.tap_delete"), asked))
    assert await saved(service, chat) == {}


@pytest.mark.parametrize("look_up", ["/help", "/journey", "/goals", "/answers", "/settings"])
async def test_text_after_a_look_up_still_answers_the_open_question(
    service: ConversationService, look_up: str
) -> None:
    chat = Chat(service, user_id=809)
    await chat.send("/agreement")
    await chat.send(look_up)
    await chat.send("More clarity at work")
    assert list((await saved(service, chat)).values()) == ["More clarity at work"]
    assert await current_step(service, chat) == "success"


async def test_a_press_on_the_question_itself_still_counts_after_something_else_was_asked(
    service: ConversationService,
) -> None:
    """The buttons are on the question: whoever presses one sees what it answers."""
    chat = Chat(service, user_id=810)
    await a_goal(service, chat)
    await chat.send("/checkin")  # how is each open step going? (a button per status)
    choices = [b.data for b in chat.buttons]
    assert choices, "the check-in begins with a question answered by a button"
    await chat.send("/delete")
    response = await chat.handle(PressIn(choices[0]))
    assert response.accepted
    assert response.messages
    assert len(await saved(service, chat)) == 1


# --- The property ------------------------------------------------------------------------------

TEXTS = st.one_of(
    st.sampled_from(["Lead a team", "hello, I just want to see my goals", "7", "next Tuesday"]),
    st.sampled_from(["yes", "ja", "no", "nein", "1", "2", "3", "skip", "überspringen", "keep",
                     "behalten", "done", "fertig", "2027-03-31", "confirm", ""]),
    st.text(max_size=20),
)
DIALOGS = ["grow", "story", "agreement", "checkin"]
ASKING = ["start", "delete"]  # their replies ask something else while a dialog is open
OTHERS = ["help", "journey", "goals", "answers", "settings", "cancel", "resume", "back", "skip"]
FORGED = st.one_of(
    st.sampled_from(["a:1:0:0:0", "a:1:0:0:y", "a:2:1:0:k", "a:999999:0:0:s", "s:1:confirm",
                     "s:2:edit:0", "r:1", "r:2", "r:999999", "p:grow", "g:agreement",
                     "g:nothing", "x", "del:no", "j:+1", "j:-1", "gl", "go:1", "go:1:achieved",
                     "as:1", "as:1:text", "as:1:keep", "as:1:delete_sure", "rv:grow:new",
                     "rv:grow:1", "set:lang:de", "set:lang:xx", "set:lang:de:j", "set:lang:xx:j",
                     "set:tz:99", "set:share:1",
                     "a:99999999999999:0:0:0", "garbage", ""]),
    st.text(max_size=70),
)
Step = tuple[str, Any]
TEXT = st.tuples(st.just("text"), TEXTS)
KINDS: dict[str, st.SearchStrategy[Step]] = {
    "text": TEXT,
    "dialog": st.tuples(st.just("command"), st.sampled_from(DIALOGS)),
    "asking": st.tuples(st.just("command"), st.sampled_from(ASKING)),
    "other": st.tuples(st.just("command"), st.sampled_from(OTHERS)),
    "press": st.tuples(st.just("press"), st.integers(0, 999)),  # any button seen so far
    "recent": st.tuples(st.just("recent"), st.integers(0, 99)),  # a button of the last keyboard
    "forged": st.tuples(st.just("forged"), FORGED),
    "media": st.tuples(st.just("media"), st.just("sticker")),
}
ONE = st.sampled_from(  # weighted by repetition
    ["text"] * 3 + ["dialog", "asking", "other", "press"] + ["recent"] * 2 + ["forged", "media"]
).flatmap(KINDS.__getitem__)
# A move is one input, or one followed at once by text: the transitions that matter (text right
# after something else was asked, after a press, after a dialog opened) come often.
MOVES = st.one_of(ONE.map(lambda step: [step]), st.tuples(ONE, TEXT).map(list))


def flat(moves: list[list[Step]]) -> list[Step]:
    return [step for move in moves for step in move]


PEOPLE = itertools.count(10_000)


def incoming(kind: str, value: Any, seen: list[str], recent: list[str]) -> Incoming:
    """The input one drawn step stands for."""
    if kind == "text":
        return TextIn(str(value))
    if kind == "command":
        return CommandIn(str(value))
    if kind == "media":
        return MediaIn(str(value))
    if kind == "press" and seen:
        return PressIn(seen[int(value) % len(seen)])
    if kind == "recent" and recent:
        return PressIn(recent[int(value) % len(recent)])
    return PressIn(str(value) if kind == "forged" else "x")


@SQLITE_ONLY
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=st.sampled_from(DIALOGS), moves=st.lists(MOVES, min_size=1, max_size=10))
async def test_text_is_only_ever_saved_to_the_question_last_shown(
    service: ConversationService, first: str, moves: list[list[Step]]
) -> None:
    """Each example opens a dialog first, then anything may happen."""
    chat = Chat(service, user_id=next(PEOPLE))
    seen: list[str] = []
    recent: list[str] = []
    shown: tuple[int, str] | str | None = None
    known: Saved | None = None  # the answers as they were after the last text, if it was last
    for kind, value in [("command", first), *flat(moves)]:
        event = incoming(kind, value, seen, recent)
        before: Saved = {}
        if isinstance(event, TextIn):
            before = known if known is not None else await saved(service, chat)
        response = await chat.handle(event)
        known = None
        if isinstance(event, PressIn):
            assert response.messages or response.toast, f"no reply to the press {event.data!r}"
        if isinstance(event, TextIn):
            known = await saved(service, chat)
            changed = {key for key, answer in known.items() if before.get(key, ...) != answer}
            assert all(key == shown for key in changed), (
                f"{event.text!r} saved to {changed}, but the question last shown was {shown}")
        shown = last_shown(response, shown)
        for message in response.messages:
            data = [b.data for b in message.choices]
            seen.extend(d for d in data if d not in seen)
            if data:
                recent = data
