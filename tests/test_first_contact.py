"""A person's first minutes: text typed at the side question asks it again (with its buttons)
instead of making them a mentee, and a coordinator without a side gets a coordinator's start,
/help, menu and /settings, not the side question and the mentee journey."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.commands import Scope, menu
from service.conversation import ConversationService
from storage.database import create_sessionmaker
from storage.programmes import create_programme, grant
from storage.users import get_user
from storage.vocabulary import Role
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock

NEWCOMER, COORDINATOR, ADMIN = 601, 602, 603
LANGS = pytest.mark.parametrize("lang", ["en", "de"])


async def _role(service: ConversationService, user_id: int) -> tuple[Role, object]:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, user_id)
    assert user is not None
    return user.role, user.awaiting


def _asked_again(chat: Chat, lang: str, said: str) -> None:
    assert said == shown(lang, "mentors.roles.ask_again")
    assert [button.label for button in chat.buttons] == [shown(lang, "mentors.roles.mentee_button"),
                                         shown(lang, "mentors.roles.mentor_button")]


@LANGS
async def test_text_at_the_side_question_asks_it_again(service: ConversationService,
                                                       lang: str) -> None:
    chat = Chat(service, user_id=NEWCOMER, language=lang)
    await chat.send("/start")
    for text in ("hello", "I want to be coached"):
        _asked_again(chat, lang, chat.texts(await chat.send(text)))
    assert (await _role(service, NEWCOMER))[1] == {"for": "role"}  # still waiting
    chosen = chat.texts(await chat.press(shown(lang, "mentors.roles.mentee_button")))
    assert shown(lang, "common.service.welcome_new", name="Ana") in chosen
    assert shown(lang, "agreement.title") in chosen


async def test_text_before_start_gets_the_side_question(service: ConversationService) -> None:
    chat = Chat(service, user_id=NEWCOMER)
    said = chat.texts(await chat.send("hello"))
    assert said == shown("en", "mentors.roles.ask", name="Ana")
    assert shown("en", "common.service.not_in_dialog") not in said
    assert len(chat.buttons) == 2


@pytest.mark.parametrize(("lang", "typed"), [("en", "I'm a mentor"), ("en", "I’m a mentor"),
                                             ("de", "Ich bin Mentorin oder Mentor"),
                                             ("de", "Mentorin oder Mentor")])
async def test_the_mentor_buttons_words_typed_choose_the_mentor_side(
        service: ConversationService, lang: str, typed: str) -> None:
    chat = Chat(service, user_id=NEWCOMER, language=lang)
    await chat.send("/start")
    said = chat.texts(await chat.send(typed))
    assert shown(lang, "mentors.roles.mentor_welcome", name="Ana") in said
    assert await _role(service, NEWCOMER) == (Role.MENTOR, None)


@LANGS
async def test_someone_with_a_side_typing_outside_a_dialog_is_answered_as_before(
        service: ConversationService, lang: str) -> None:
    chat = Chat(service, user_id=NEWCOMER, language=lang)
    await chat.send("/start")
    await chat.press(shown(lang, "mentors.roles.mentee_button"))
    said = chat.texts(await chat.send("hello"))
    assert said.startswith(shown(lang, "common.service.not_in_dialog"))
    assert shown(lang, "mentors.roles.ask_again") not in said


async def _coordinating(service: ConversationService, telegram_id: int) -> None:
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        made = await create_programme(session, "Spring", {}, {}, now)
        assert made is not None
        await grant(session, made.id, telegram_id, now)


async def _coordinator_starts(chat: Chat, lang: str) -> None:
    """/start, /start again and a typed hello: the coordinator's start, never the side question
    or the first mentee dialog; the menu gets the coordinator's commands."""
    first = await chat.send("/start")
    assert chat.texts(first) == shown(lang, "mentors.roles.coordinator_start", name="Ana",
                                      again=False)
    assert first.menu is not None
    assert Scope.COORDINATOR in first.menu.scopes
    assert chat.texts(await chat.send("/start")) == chat.texts(first)
    hello = chat.texts(await chat.send("hello"))
    assert hello == shown(lang, "mentors.roles.coordinator_start", name="Ana", again=True)
    for said in (chat.texts(response) for response in chat.log):
        assert shown(lang, "mentors.roles.mentee_button") not in said
        assert shown(lang, "agreement.title") not in said
    assert not chat.buttons


@LANGS
async def test_a_granted_coordinator_gets_a_coordinators_start_and_may_take_a_side(
        service: ConversationService, lang: str) -> None:
    await _coordinating(service, COORDINATOR)
    chat = Chat(service, user_id=COORDINATOR, language=lang)
    await _coordinator_starts(chat, lang)
    said = chat.texts(await chat.send("/start mentor"))
    assert shown(lang, "mentors.roles.mentor_welcome", name="Ana") in said
    assert await _role(service, COORDINATOR) == (Role.MENTOR, None)
    back = chat.texts(await chat.send("/start"))
    assert back.startswith(shown(lang, "common.service.welcome_back", name="Ana"))


@pytest.mark.parametrize(("lang", "typed", "no"), [("en", "mentor", "no"),
                                                ("de", "ich bin mentor", "nein")])
async def test_a_coordinator_typing_a_side_s_word_is_asked_before_gaining_it(
        service: ConversationService, lang: str, typed: str, no: str) -> None:
    """"mentor" typed in the chat (meant for someone else, maybe) is no side taken: asked first,
    with buttons that may be typed; no keeps them a coordinator without a side, yes adds it. An
    admin whose very first words are a side's is asked alike."""
    await _coordinating(service, COORDINATOR)
    chat = Chat(service, user_id=COORDINATOR, language=lang)
    await chat.send("/start")
    asked = await chat.send(typed)
    assert chat.texts(asked) == shown(lang, "mentors.roles.confirm_side", mentor=True)
    assert [b.label for b in chat.buttons] == [shown(lang, "mentors.roles.confirm_yes"),
                                              shown(lang, "mentors.roles.confirm_no")]
    assert asked.menu is None
    assert await _role(service, COORDINATOR) == (Role.MENTEE, {"for": "role", "confirm": "mentor"})
    kept = await chat.send(no)
    assert chat.texts(kept) == shown(lang, "mentors.roles.side_declined")
    assert await _role(service, COORDINATOR) == (Role.MENTEE, {"for": "role"})
    assert chat.texts(await chat.send("/start")) == shown(
        lang, "mentors.roles.coordinator_start", name="Ana", again=False)  # still without a side
    await chat.send(typed)
    added = await chat.press(shown(lang, "mentors.roles.confirm_yes"))
    assert shown(lang, "mentors.roles.mentor_welcome", name="Ana") in chat.texts(added)
    assert added.menu is not None
    assert added.menu.scopes == {Scope.MENTOR, Scope.COORDINATOR}
    assert await _role(service, COORDINATOR) == (Role.MENTOR, None)

    admin_service = ConversationService(service.sessionmaker, scripts=default_scripts(),
                                        catalog=default_catalog(), clock=service.clock,
                                        admins=(ADMIN,))
    admin = Chat(admin_service, user_id=ADMIN, language=lang)
    first = await admin.send(typed)
    assert admin.texts(first) == shown(lang, "mentors.roles.confirm_side", mentor=True)
    assert await _role(admin_service, ADMIN) == (Role.MENTEE, {"for": "role", "confirm": "mentor"})


@LANGS
async def test_an_admin_gets_a_coordinators_start_and_may_become_a_mentee(
        engine: AsyncEngine, clock: FakeClock, lang: str) -> None:
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock, admins=(ADMIN,))
    chat = Chat(service, user_id=ADMIN, language=lang)
    await _coordinator_starts(chat, lang)
    said = chat.texts(await chat.send("/start mentee"))
    assert shown(lang, "common.service.welcome_new", name="Ana") in said
    assert shown(lang, "agreement.title") in said
    assert await _role(service, ADMIN) == (Role.MENTEE, None)


async def test_a_coordinator_who_has_a_side_is_welcomed_back_on_it(
        service: ConversationService) -> None:
    chat = Chat(service, user_id=COORDINATOR)
    await chat.send("/start")
    await chat.press(shown("en", "mentors.roles.mentee_button"))
    await _coordinating(service, COORDINATOR)
    back = chat.texts(await chat.send("/start"))
    assert back.startswith(shown("en", "common.service.welcome_back", name="Ana"))
    assert shown("en", "agreement.title") in back


#: What a coordinator without a side may do, in menu order: the account's and the coordinator's.
COORDINATOR_MENU = ["start", "help", "settings", "export", "delete", "invite", "stats", "programme"]
MENTEE_ONLY = ("/journey", "/agreement", "/grow", "/goals", "/answers", "/checkins", "/pause",
               "/meeting", "/skip", "/back", "/cancel", "/resume", "/mentees", "/digest")


def _coordinators_help(lang: str, said: str) -> None:
    """/help as it fits a coordinator without a side: their commands and how to take a side."""
    lines = [shown(lang, "common.help.line", command=name, description=shown(lang, key))
             for name, key in (("settings", "common.mentor_commands.settings"),
                               ("export", "common.commands.export"),
                               ("delete", "common.commands.delete"),
                               ("invite", "common.coordinator_commands.invite"),
                               ("stats", "common.commands.stats"),
                               ("programme", "common.commands.programme"))]
    assert said == "\n".join([shown(lang, "common.help.header"), *lines, "",
                              shown(lang, "mentors.roles.take_side")])
    for mentees in MENTEE_ONLY:
        assert f"{mentees}:" not in said
    assert shown(lang, "common.help.in_dialog") not in said


@LANGS
async def test_a_coordinator_without_a_side_gets_a_coordinators_help_menu_and_settings(
        service: ConversationService, lang: str) -> None:
    await _coordinating(service, COORDINATOR)
    chat = Chat(service, user_id=COORDINATOR, language=lang)
    started = await chat.send("/start")
    assert started.menu is not None
    assert [c.name for c in menu(started.menu.scopes, started.menu.mentored)] == COORDINATOR_MENU
    helped = await chat.send("/help")
    _coordinators_help(lang, chat.texts(helped))
    assert helped.menu == started.menu  # a menu left from before this change is set right
    settings = chat.texts(await chat.send("/settings"))
    assert shown(lang, "common.settings.sharing_off") not in settings  # no mentor to share with
    assert shown(lang, "common.settings.share_on_button") not in [b.label for b in chat.buttons]
    assert shown(lang, "mentors.roles.take_side") in chat.texts(
        await chat.send("/start"))  # still without a side: /start says the same

    asked = await chat.send(shown(lang, "mentors.roles.mentee_button"))  # the side, typed
    assert chat.texts(asked) == shown(lang, "mentors.roles.confirm_side", mentor=False)
    chosen = await chat.send({"en": "yes", "de": "ja"}[lang])  # confirmed, typed
    assert shown(lang, "common.service.welcome_new", name="Ana") in chat.texts(chosen)
    assert chosen.menu is not None  # the mentee's commands join the coordinator's
    assert chosen.menu.scopes == {Scope.MENTEE, Scope.COORDINATOR}
    assert {"journey", "grow", "checkins", "stats", "programme"} <= {
        c.name for c in menu(chosen.menu.scopes, chosen.menu.mentored)}
    said = chat.texts(await chat.send("/help"))
    assert "/journey: " in said
    assert "/grow: " in said
    assert "/stats: " in said
    assert shown(lang, "common.help.in_dialog") in said
    assert said.endswith(shown(lang, "mentors.roles.help_sides", side="mentee", primary=""))
    assert shown(lang, "mentors.roles.take_side") not in said
    assert shown(lang, "common.settings.sharing_off") in chat.texts(await chat.send("/settings"))


@LANGS
async def test_an_admin_whose_first_word_is_help_stays_without_a_side_until_they_choose(
        engine: AsyncEngine, clock: FakeClock, lang: str) -> None:
    """/help before /start: the coordinator's help, and the side question left open, so the
    next /help and /start say the same; choosing the mentor side gives the mentor's /help."""
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock, admins=(ADMIN,))
    chat = Chat(service, user_id=ADMIN, language=lang)
    first = await chat.send("/help")
    _coordinators_help(lang, chat.texts(first))
    assert first.menu is not None
    assert first.menu.scopes == {Scope.COORDINATOR}
    _coordinators_help(lang, chat.texts(await chat.send("/help")))
    assert chat.texts(await chat.send("/start")) == shown(
        lang, "mentors.roles.coordinator_start", name="Ana", again=False)
    chosen = await chat.send("/start mentor")
    assert chosen.menu is not None
    assert chosen.menu.scopes == {Scope.MENTOR, Scope.COORDINATOR}
    said = chat.texts(await chat.send("/help"))
    assert "/mentees: " in said
    assert "/story: " + shown(lang, "common.mentor_commands.story") in said
    assert "/invite: " + shown(lang, "common.commands.invite") in said  # their own mentee's link
    assert said.endswith(shown(lang, "mentors.roles.help_sides", side="mentor", primary=""))
    assert await _role(service, ADMIN) == (Role.MENTOR, None)


@LANGS
async def test_a_coordinator_who_opens_a_mentors_link_has_the_mentee_side_from_then_on(
        service: ConversationService, lang: str) -> None:
    """The link answers the side question: /help, the menu and typed text are a mentee's now,
    not a coordinator's without a side."""
    await _coordinating(service, COORDINATOR)
    ben = Chat(service, user_id=NEWCOMER, language=lang, name="Ben")
    await ben.send("/start")
    await ben.press(shown(lang, "mentors.roles.mentor_button"))
    code = re.search(r"/start ([A-Za-z0-9_-]{16,})", ben.texts(await ben.send("/invite")))
    assert code is not None
    chat = Chat(service, user_id=COORDINATOR, language=lang)
    await chat.send("/start")
    paired = await chat.send(f"/start {code.group(1)}")
    assert shown(lang, "mentors.pairing.paired_mentee", mentor="Ben") in chat.texts(paired)
    assert paired.menu is not None
    assert paired.menu.scopes == {Scope.MENTEE, Scope.COORDINATOR}
    assert "askmentor" in [c.name for c in menu(paired.menu.scopes, paired.menu.mentored)]
    assert await _role(service, COORDINATOR) == (Role.MENTEE, None)
    said = chat.texts(await chat.send("/help"))
    assert "/journey: " in said
    assert "/askmentor: " in said
    assert shown(lang, "mentors.roles.take_side") not in said
    hello = chat.texts(await chat.send("hello"))
    assert hello.startswith(shown(lang, "common.service.not_in_dialog"))
