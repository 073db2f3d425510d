"""A mentee closes and changes their goals (issue 8, item 9): from /goals a goal is marked reached,
set aside or opened again, a step done, dropped or opened again, reworded, given a new date, or
deleted after asking; the new wording or date is the next typed message, and it never takes an
answer meant for an open dialog. Only the owner's goals change. Running GROW again offers to revise
a goal instead of adding one. (The reflection's marks per goal are in its transcript.)"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.terminal import TerminalChat
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service import callbacks
from service.callbacks import StepOp
from service.conversation import ConversationService
from service.inputs import Person, PressIn
from service.messages import Response
from storage.answers import answers_of
from storage.goals import GoalRecord, add_actions, create_goal, goals_of, pending_edit
from storage.runs import active_run, create_run, set_run_status
from storage.users import get_user
from storage.vocabulary import ActionStatus, GoalStatus, RunStatus, Visibility
from tests.support.chat import Chat
from tests.support.chat import shown as say
from tests.test_mentee_method import walk_transcript
from tests.test_transcripts import LANGUAGES, SQLITE_ONLY, localize

CATALOG = default_catalog()
T = TypeVar("T")
TALK = "Talk to Sam about the team lead role"
COURSE = "Book a leadership course"


async def a_goal(service: ConversationService, chat: Chat, title: str = "Lead a team",
                 dialog: str = "grow") -> GoalRecord:
    """A goal of this chat's person, as a completed GROW leaves it, with two open steps."""
    await chat.send("/help")  # the person exists
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        assert user is not None
        run_id = await create_run(session, user_id=user.id, dialog=dialog, stage="establishing",
                                  step="_summary", state={}, now=now)
        await set_run_status(session, run_id, RunStatus.COMPLETED, now)
        goal_id = await create_goal(session, user_id=user.id, run_id=run_id, dialog=dialog,
                                    stage="establishing", title=title, details={},
                                    due_on=date(2027, 3, 31), visibility=Visibility.PRIVATE,
                                    now=now)
        await add_actions(session, goal_id=goal_id, user_id=user.id, now=now,
                          actions=[(TALK, date(2026, 12, 4)), (COURSE, None)])
    [goal] = [g for g in await goals(service, chat) if g.id == goal_id]
    return goal


async def of_person(service: ConversationService, chat: Chat,
                    query: Callable[[AsyncSession, int], Awaitable[T]]) -> T:
    """What a storage query says about this chat's person."""
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        assert user is not None
        return await query(session, user.id)


async def goals(service: ConversationService, chat: Chat) -> list[GoalRecord]:
    return await of_person(service, chat, goals_of)


async def waiting(service: ConversationService, chat: Chat) -> bool:
    """Whether the person's next typed message would be a step's new wording or date."""
    return await of_person(service, chat, pending_edit) is not None


async def answers(service: ConversationService, chat: Chat) -> dict[str, Any]:
    found = await of_person(service, chat, answers_of)
    return {a.step_key: a.value for a in found}


async def open_step(chat: Chat, number: int = 1) -> None:
    """/goals, the first goal, its step of this number."""
    await chat.send("/goals")
    await chat.press(0)  # the first goal
    await chat.press(number - 1)  # a step's number is its button's place


async def asked_for(service: ConversationService, lang: str, button: str, number: int = 1,
                    dialog: str | None = None) -> Chat:
    """A person with a goal (and `dialog` open) who pressed this button of a step."""
    chat = Chat(service, language=lang)
    await a_goal(service, chat)
    if dialog is not None:
        await chat.send(f"/{dialog}")
    await open_step(chat, number)
    await chat.press(say(lang, f"common.goals.buttons.{button}"))
    return chat


def stale(response: Response, lang: str) -> bool:
    """The answer to a press that does not count: a notice, no message."""
    return response.messages == () and response.toast == say(lang, "common.notes.stale_button") \
        and not response.accepted


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_goal_is_marked_reached_from_its_own_message_set_aside_and_opened_again(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, language=lang)
    goal = await a_goal(service, chat)
    listed = await chat.send("/goals")
    assert say(lang, "common.goals.list_hint") in chat.texts(listed)
    assert [b.label for b in chat.buttons] == ["1. Lead a team"]

    shown = chat.texts(await chat.press(0))
    assert f"1. ○ {TALK}" in shown
    assert f"2. ○ {COURSE}" in shown
    assert [b.label for b in chat.buttons] == [
        "1", "2", say(lang, "common.goals.buttons.achieved"),
        say(lang, "common.goals.buttons.dropped"), say(lang, "common.goals.buttons.all_goals")]
    reached = chat.buttons[2]

    response = await chat.press(say(lang, "common.goals.buttons.achieved"))
    assert response.messages[0].text.startswith(
        CATALOG.render(lang, "common.goals.goal_marked.achieved"))
    assert say(lang, "common.goals.goal_status.achieved") in chat.texts(response)
    assert [g.status for g in await goals(service, chat)] == [GoalStatus.ACHIEVED]
    assert stale(await chat.handle(PressIn(reached.data)), lang)  # tapped twice: once

    await chat.press(say(lang, "common.goals.buttons.reopen"))
    assert [g.status for g in await goals(service, chat)] == [GoalStatus.OPEN]
    await chat.press(say(lang, "common.goals.buttons.dropped"))
    assert [g.status for g in await goals(service, chat)] == [GoalStatus.DROPPED]
    await chat.press(say(lang, "common.goals.buttons.all_goals"))
    [line] = [line for line in chat.last_text.splitlines() if line.startswith(goal.title)]
    assert line.endswith(f" · {say(lang, 'common.goals.goal_status.dropped')}")


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_step_is_ticked_off_dropped_and_opened_again(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, language=lang)
    await a_goal(service, chat)
    await open_step(chat, 2)
    assert COURSE in chat.last_text
    done = next(b for b in chat.buttons if b.label == say(lang, "common.goals.buttons.done"))

    response = await chat.press(say(lang, "common.goals.buttons.done"))
    assert chat.texts(response).startswith(say(lang, "common.goals.step_marked.done"))
    assert f"2. ● {COURSE}" in chat.texts(response)  # back at the goal
    [goal] = await goals(service, chat)
    assert [a.status for a in goal.actions] == [ActionStatus.OPEN, ActionStatus.DONE]
    assert stale(await chat.handle(PressIn(done.data)), lang)

    await chat.press("2")
    await chat.press(say(lang, "common.goals.buttons.step_reopen"))
    await chat.press("2")
    await chat.press(say(lang, "common.goals.buttons.step_dropped"))
    [goal] = await goals(service, chat)
    assert [a.status for a in goal.actions] == [ActionStatus.OPEN, ActionStatus.DROPPED]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_new_wording_is_the_next_typed_message_and_only_that(
    service: ConversationService, lang: str
) -> None:
    chat = await asked_for(service, lang, "edit_text")
    asked = chat.log[-1]
    assert chat.texts(asked) == say(lang, "common.goals.ask_text", text=TALK)
    assert asked.messages[-1].free_text  # the terminal takes typed text as text

    saved = await chat.send("  Ask Sam about the team lead role on Monday ")
    wording = "Ask Sam about the team lead role on Monday"
    assert chat.texts(saved).startswith(say(lang, "common.goals.text_saved", text=wording))
    [goal] = await goals(service, chat)
    assert [a.text for a in goal.actions] == [wording, COURSE]

    after = await chat.send("And one more thing")  # nothing is asked any more
    assert chat.texts(after).startswith(say(lang, "common.service.not_in_dialog"))
    [goal] = await goals(service, chat)
    assert [a.text for a in goal.actions] == [wording, COURSE]


@pytest.mark.parametrize(("lang", "typed", "shown"), [("en", "next Friday", "27 November 2026"),
                                                     ("de", "nächsten Freitag", "27. November 2026")])
async def test_a_new_date_is_read_like_a_dialogs_date_and_said_back(
    service: ConversationService, lang: str, typed: str, shown: str
) -> None:
    chat = await asked_for(service, lang, "edit_date", 2)

    wrong = chat.texts(await chat.send("whenever"))
    assert wrong.startswith(say(lang, "common.problems.not_a_date"))
    assert say(lang, "common.goals.buttons.keep") in [b.label for b in chat.buttons]
    past = chat.texts(await chat.send("1.1.2020"))
    assert past.startswith(say(lang, "common.problems.date_past"))

    saved = chat.texts(await chat.send(typed))  # the clock says Saturday 21 November 2026
    assert saved.startswith(say(lang, "common.goals.date_saved", due="2026-11-27"))
    assert shown in saved
    [goal] = await goals(service, chat)
    assert [a.due_on for a in goal.actions] == [date(2026, 12, 4), date(2026, 11, 27)]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_an_edit_in_the_middle_of_a_dialog_takes_one_message_and_hands_the_question_back(
    service: ConversationService, lang: str
) -> None:
    chat = await asked_for(service, lang, "edit_text", dialog="agenda")
    question = chat.log[1].messages[-1].text  # after /help, /agenda asked its first question

    response = await chat.send("Ask Sam on Monday")
    [goal] = await goals(service, chat)
    assert goal.actions[0].text == "Ask Sam on Monday"
    assert await answers(service, chat) == {}  # the agenda's question got nothing
    title = CATALOG.render(lang, "agenda.title")
    assert [m.text for m in response.messages[1:]] == [
        CATALOG.render(lang, "common.service.resumed", title=title), question]

    await chat.send("My promotion")  # the agenda's question is the one last shown again
    assert await answers(service, chat) == {"topics": ["My promotion"]}
    assert goal.actions[0].text == "Ask Sam on Monday"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_command_or_a_press_ends_the_wait_and_text_goes_where_it_belongs(
    service: ConversationService, lang: str
) -> None:
    chat = await asked_for(service, lang, "edit_text")
    await chat.send("/agenda")
    assert not await waiting(service, chat)
    await chat.send("My promotion")
    assert await answers(service, chat) == {"topics": ["My promotion"]}

    await open_step(chat)
    await chat.press(say(lang, "common.goals.buttons.edit_date"))
    await chat.press(say(lang, "common.goals.buttons.keep"))  # on the date prompt: leave it
    await chat.send("My network")
    assert await answers(service, chat) == {"topics": ["My promotion", "My network"]}
    [goal] = await goals(service, chat)
    assert [(a.text, a.due_on) for a in goal.actions] == [(TALK, date(2026, 12, 4)), (COURSE, None)]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_look_up_leaves_the_wait_and_says_so(service: ConversationService, lang: str) -> None:
    chat = await asked_for(service, lang, "edit_text")
    for look_up in ("/help", "/journey", "/goals", "/nonsense"):
        shown = chat.texts(await chat.send(look_up))
        assert shown.endswith(say(lang, "common.goals.waiting", field="text", text=TALK)), look_up
    await chat.send("Ask Sam on Monday")
    [goal] = await goals(service, chat)
    assert goal.actions[0].text == "Ask Sam on Monday"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_cancel_skip_or_leave_it_keeps_the_step_and_shows_the_open_question(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, language=lang)
    await a_goal(service, chat)
    await chat.send("/agenda")
    question = chat.last.text
    for leave in ("/cancel", "/skip", "/back", "button"):
        await open_step(chat)
        await chat.press(say(lang, "common.goals.buttons.edit_text"))
        keep = chat.buttons[0]
        if leave == "button":
            response = await chat.press(say(lang, "common.goals.buttons.keep"))
            assert response.accepted
            assert stale(await chat.handle(PressIn(keep.data)), lang)  # a second tap
        else:
            response = await chat.send(leave)
        assert chat.texts(response).startswith(say(lang, "common.goals.kept")), leave
        assert response.messages[-1].text == question, leave
        assert not await waiting(service, chat)
    run = await of_person(service, chat, active_run)
    assert run is not None  # /cancel left the step, not the dialog
    assert run.dialog == "agenda"
    assert run.step == "topics"
    [goal] = await goals(service, chat)
    assert [a.text for a in goal.actions] == [TALK, COURSE]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_press_that_does_not_count_changes_nothing_while_waiting(
    service: ConversationService, lang: str
) -> None:
    chat = await asked_for(service, lang, "edit_text")
    [goal] = await goals(service, chat)
    for data in ("as:999999:done", "go:999999:achieved", "a:999999:0:0:k", "nonsense",
                 callbacks.step_data(goal.actions[1].id, StepOp.KEEP)):
        assert stale(await chat.handle(PressIn(data)), lang), data
        assert await waiting(service, chat), data
    await chat.send("Ask Sam on Monday")
    [goal] = await goals(service, chat)
    assert [a.text for a in goal.actions] == ["Ask Sam on Monday", COURSE]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_step_is_deleted_only_after_asking(service: ConversationService, lang: str) -> None:
    chat = Chat(service, language=lang)
    await a_goal(service, chat)
    await open_step(chat)
    step_buttons = list(chat.buttons)
    asked = await chat.press(say(lang, "common.goals.buttons.delete"))
    assert chat.texts(asked) == say(lang, "common.goals.confirm_delete", text=TALK)
    await chat.press(say(lang, "common.goals.buttons.delete_no"))
    assert TALK in chat.last_text
    assert len((await goals(service, chat))[0].actions) == 2

    await chat.press(say(lang, "common.goals.buttons.delete"))
    sure = chat.buttons[0]
    deleted = await chat.press(say(lang, "common.goals.buttons.delete_yes"))
    assert chat.texts(deleted).startswith(say(lang, "common.goals.deleted"))
    assert f"1. ○ {COURSE}" in chat.texts(deleted)
    [goal] = await goals(service, chat)
    assert [a.text for a in goal.actions] == [COURSE]
    for old in (sure, *step_buttons[:-1]):  # the deleted step's buttons
        assert stale(await chat.handle(PressIn(old.data)), lang), old


@pytest.mark.parametrize(("lang", "typed"), [("en", "yes"), ("de", "ja")])
async def test_a_typed_yes_at_the_delete_question_asks_it_again_and_answers_no_dialog(
    service: ConversationService, lang: str, typed: str
) -> None:
    chat = await asked_for(service, lang, "delete", dialog="agenda")
    question = chat.log[1].messages[-1].text  # after /help, /agenda asked its first question
    response = await chat.send(typed)
    assert chat.texts(response) == "\n".join((say(lang, "common.goals.tap_delete"),
                                             say(lang, "common.goals.confirm_delete", text=TALK)))
    assert [b.label for b in chat.buttons] == [say(lang, "common.goals.buttons.delete_yes"),
                                               say(lang, "common.goals.buttons.delete_no")]
    assert await answers(service, chat) == {}  # the agenda's question got nothing
    response = await chat.send("/cancel")  # the step stays, the dialog goes on
    assert chat.texts(response).startswith(say(lang, "common.goals.kept"))
    assert response.messages[-1].text == question
    assert len((await goals(service, chat))[0].actions) == 2
    await chat.send("My promotion")
    assert await answers(service, chat) == {"topics": ["My promotion"]}

    await open_step(chat)
    await chat.press(say(lang, "common.goals.buttons.delete"))
    await chat.send(typed)
    await chat.press(say(lang, "common.goals.buttons.delete_yes"))
    [goal] = await goals(service, chat)
    assert [a.text for a in goal.actions] == [COURSE]


async def test_another_persons_goals_and_steps_cannot_be_touched(
    service: ConversationService,
) -> None:
    owner = Chat(service, user_id=501)
    goal = await a_goal(service, owner)
    other = Chat(service, user_id=502)
    await a_goal(service, other, title="Run a marathon")
    step = goal.actions[0].id
    forged = [callbacks.goal_data(goal.id), callbacks.goal_data(goal.id, GoalStatus.ACHIEVED),
              callbacks.step_data(step), *(callbacks.step_data(step, op) for op in StepOp),
              callbacks.revise_data("grow", goal.id),
              f"go:{callbacks.MAX_ID + 1}:achieved", f"as:{10**12 - 1}:delete_sure"]
    for data in forged:
        assert stale(await other.handle(PressIn(data)), "en"), data
    assert await goals(service, owner) == [goal]
    assert not await waiting(service, other)
    assert not await waiting(service, owner)
    assert [g.title for g in await goals(service, other)] == ["Run a marathon"]


# ---------------------------------------------------------------------------------------------
# GROW again: revise a goal instead of adding one


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_grow_again_revises_the_goal_and_keeps_what_goals_changed(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    data = await walk_transcript(service, chat, "grow", lang)
    first, second = (localize(item, lang) for item in data["answers"]["actions"])
    [goal] = await goals(service, chat)
    await open_step(chat)  # reworded in /goals before the revision
    await chat.press(say(lang, "common.goals.buttons.edit_text"))
    await chat.send("Reworded first step")
    await open_step(chat, 2)  # and one ticked off
    await chat.press(say(lang, "common.goals.buttons.done"))

    offer = await chat.send("/grow")
    assert chat.texts(offer) == say(lang, "common.goals.revise", count=1)
    revise = say(lang, "common.goals.buttons.revise", title=goal.title)
    assert [b.label for b in chat.buttons] == [revise, say(lang, "common.goals.buttons.new_goal")]
    started = await chat.press(revise)
    assert say(lang, "common.goals.revising", goal=goal.title) in chat.texts(started)
    assert localize(data["answers"]["goal_measurable"], lang) in chat.texts(started)  # the summary

    specific = {"en": "Lead the platform team by the end of 2027",
                "de": "Bis Ende 2027 das Plattform-Team leiten"}[lang]
    await chat.handle(PressIn(_change(chat, "goal_specific")))
    await chat.send(specific)
    await chat.handle(PressIn(_change(chat, "actions")))
    await chat.send("Shadow the current team lead")
    await chat.send(CATALOG.raw(lang, "common.words.done")[0])
    await chat.send("/skip")  # the new step's date (the earlier ones keep theirs)
    await chat.press(say(lang, "common.buttons.confirm"))

    [revised] = await goals(service, chat)
    assert revised.id == goal.id
    assert revised.title == specific
    assert revised.details["goal_wish"] == localize(data["answers"]["goal_wish"], lang)
    assert [(a.text, a.status) for a in revised.actions] == [
        ("Reworded first step", ActionStatus.OPEN), (second, ActionStatus.DONE),
        ("Shadow the current team lead", ActionStatus.OPEN)]
    assert first not in [a.text for a in revised.actions]

    await chat.send("/grow")  # revised again: from the revision's answers
    started = await chat.press(say(lang, "common.goals.buttons.revise", title=specific))
    assert specific in chat.texts(started)


def _change(chat: Chat, step: str) -> str:
    """The data of the summary's change button for a GROW step."""
    position = default_scripts().get("grow").position(step)
    [data] = [b.data for b in chat.buttons if b.data.endswith(f":edit:{position}")]
    return data


@SQLITE_ONLY
async def test_a_new_goal_instead_and_an_offer_that_no_longer_stands(
    service: ConversationService, chat: Chat
) -> None:
    await a_goal(service, chat)
    await a_goal(service, chat, title="Draw a vision", dialog="vision")
    await chat.send("/grow")
    offer = list(chat.buttons)
    assert len(offer) == 2  # the GROW goal and a new one: the vision map's goal is its own
    started = await chat.press(say("en", "common.goals.buttons.new_goal"))
    assert say("en", "grow.intro", name="Ana") in chat.texts(started)
    for old in offer:  # GROW is open now
        assert stale(await chat.handle(PressIn(old.data)), "en"), old
    await chat.send("/cancel")
    assert stale(await chat.handle(PressIn(offer[0].data)), "en")  # GROW is paused: /grow resumes
    await chat.send("I want to lead")
    assert len(await goals(service, chat)) == 2


@SQLITE_ONLY
async def test_a_revision_without_earlier_answers_asks_everything_again(
    service: ConversationService, chat: Chat
) -> None:
    goal = await a_goal(service, chat)  # its run kept no answers
    await chat.send("/grow")
    started = await chat.press(0)
    assert say("en", "common.goals.revising_fresh", goal=goal.title) in chat.texts(started)
    run = await of_person(service, chat, active_run)
    assert run is not None
    assert (run.step, run.state["revises"]) == ("goal_wish", goal.id)


# ---------------------------------------------------------------------------------------------
# The terminal: buttons are numbers


@SQLITE_ONLY
async def test_goals_change_by_typed_numbers_in_the_terminal(service: ConversationService) -> None:
    out = io.StringIO()
    terminal = TerminalChat(service, Person(77, "Ana", "en"), out)
    chat = Chat(service, user_id=77)
    await a_goal(service, chat)
    for line in ("/goals", "1", "2", "1", "1", "4", "next Friday", "/goals"):
        await terminal.send(terminal.parse(line))
    [goal] = await goals(service, chat)
    assert [(a.status, a.due_on) for a in goal.actions] == [
        (ActionStatus.OPEN, date(2026, 11, 27)), (ActionStatus.DONE, None)]
    assert say("en", "common.goals.date_saved", due="2026-11-27") in out.getvalue()
