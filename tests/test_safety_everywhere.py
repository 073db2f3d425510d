"""Safety signposting wherever a person types coaching text outside a dialog: a goal step's new
wording (/goals), a note for the mentor and the mentor's reply, a pulse comment. Words with a
crisis phrase are saved as they were typed and followed, after the usual reply, by the help
contacts; the coordinators hear of it under the same rules as for an answer (the programme's
policy and the person's agreement). Everyday words get nothing extra. The person's own export
lists the moments they were given help contacts, on their own clock, and never what they wrote."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal import to_plain
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.export_page import export_page
from service.messages import Response
from service.render import Renderer
from storage.database import create_sessionmaker
from storage.rows import HELP, PULSES
from storage.users import get_user, update_user
from storage.vocabulary import Role
from tests.support import cohort
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import pair
from tests.test_goals import COURSE, a_goal, asked_for, goals, open_step
from tests.test_help_alerts import alert_of
from tests.test_safety import COORDINATOR, CRISIS_DE, CRISIS_EN, _agree, _join

CATALOG = default_catalog()
CALM = "Ask Sam about the team lead role on Monday"
CRISIS = f"Ask Sam on Monday. {CRISIS_EN}"
MENTOR = 2001


def signpost(lang: str = "en") -> str:
    """The help contacts as the person reads them (no programme contacts of its own)."""
    return shown(lang, "safety.signpost",
                 contacts=CATALOG.render(lang, "safety.default_contacts"))


def plain(response: Response) -> list[str]:
    return [to_plain(m.text) for m in response.messages]


def to_coordinator(response: Response) -> list[str]:
    return [to_plain(m.text) for d in response.deliveries if d.recipient == COORDINATOR
            for m in d.messages]


# --- The paths: each leaves the chat's person where their next typed text is kept as theirs ----


@dataclass
class Path:
    """A place outside a dialog where typed text is kept: `reach` brings people there and returns
    the one whose everyday words come first (the chat's person, or for the pulse their mentor,
    asked too); `again` brings the chat's person back there; the usual reply to typed words; and
    what was kept last of what someone typed there."""

    reach: Callable[[ConversationService, Chat], Awaitable[Chat]]
    again: Callable[[Chat], Awaitable[None]]
    usual: Callable[[str], str]
    kept: Callable[[ConversationService, Chat], Awaitable[str | None]]


async def _edit_step(chat: Chat) -> None:
    """(The goal is made before the agreement opens: see `_member`.)"""
    await open_step(chat)
    await chat.press(shown("en", "common.goals.buttons.edit_text"))


async def _to_goal_step(_service: ConversationService, chat: Chat) -> Chat:
    await _edit_step(chat)
    return chat


async def _goal_step(service: ConversationService, chat: Chat) -> str | None:
    [goal] = await goals(service, chat)
    return goal.actions[0].text


async def _ask_note(chat: Chat) -> None:
    await chat.send("/askmentor")


async def _to_note(service: ConversationService, chat: Chat) -> Chat:
    await pair(Chat(service, MENTOR, name="Maria"), chat)
    await _ask_note(chat)
    return chat


async def _note(service: ConversationService, _chat: Chat) -> str | None:
    async with service.sessionmaker.begin() as session:
        return (await session.execute(select(HELP.c.note).order_by(HELP.c.id.desc()))).scalar()


async def _to_pulse(service: ConversationService, chat: Chat) -> Chat:
    """A programme pairing 30 days old: both sides are asked at 17:00, the mentor scores 3 and
    the chat's person 4; the mentor's chat is returned."""
    clock = service.clock
    assert isinstance(clock, FakeClock)
    async with service.sessionmaker.begin() as session:
        me = await get_user(session, chat.user_id)
    assert me is not None
    assert me.programme_id is not None
    mentor = await cohort.member(service, MENTOR, "Maria", "UTC", me.programme_id,
                                 role=Role.MENTOR)
    started = clock.now.date()
    await cohort.pair(service, mentor, me, me.programme_id, started)
    await cohort.replan_people(service, MENTOR, chat.user_id)
    clock.now = datetime.combine(started + timedelta(days=30), datetime.min.time(), UTC) \
        + timedelta(hours=17)
    sent = await cohort.one_pass(service)
    mentor_chat = Chat(service, MENTOR, name="Maria")
    for person, score in ((mentor_chat, "3"), (chat, "4")):
        [question] = [m for d in sent if d.recipient == person.user_id for m in d.messages
                      if [b.label for b in m.choices] == ["1", "2", "3", "4", "5"]]
        person.buttons = question.choices
        await person.press(score)
    return mentor_chat


async def _stay(_chat: Chat) -> None:
    """The chat's person is still asked for their comment."""


async def _pulse_comment(service: ConversationService, chat: Chat) -> str | None:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        assert user is not None
        return (await session.execute(select(PULSES.c.comment)
                                      .where(PULSES.c.user_id == user.id))).scalar_one()


PATHS = {
    "goal step": Path(_to_goal_step, _edit_step,
                      lambda typed: shown("en", "common.goals.text_saved", text=typed),
                      _goal_step),
    "note": Path(_to_note, _ask_note, lambda _: shown("en", "alerts.sent", mentor="Maria"), _note),
    "pulse comment": Path(_to_pulse, _stay, lambda _: shown("en", "programmes.pulse.thanks"),
                          _pulse_comment),
}


async def _member(chat: Chat, engine: AsyncEngine, clock: FakeClock, *, alert: bool,
                  consent: str | None) -> None:
    """The chat's person in a programme (alerting or not), with a goal, and with their agreement
    answered up to its next question (so a dialog is open meanwhile)."""
    await chat.send("/start")
    await _join(engine, clock, chat, alert=alert)
    await a_goal(chat.service, chat)
    await _agree(chat, consent)


# --- Signposting after typed text ----------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("alert", "consent", "alerted"), [
    (True, "yes", True), (True, "no", False), (True, None, False), (False, "yes", False),
])
async def test_crisis_words_typed_outside_a_dialog_get_the_contacts_and_alert_as_an_answer_does(
        service: ConversationService, chat: Chat, engine: AsyncEngine, clock: FakeClock,
        path: str, alert: bool, consent: str | None, alerted: bool) -> None:
    await _member(chat, engine, clock, alert=alert, consent=consent)
    way = PATHS[path]
    first = await way.reach(service, chat)

    calm = await first.send(CALM)  # everyday words: the usual reply, nothing else
    assert signpost() not in plain(calm)
    assert plain(calm)[0].startswith(way.usual(CALM))
    assert to_coordinator(calm) == []
    assert await way.kept(service, first) == CALM

    await way.again(chat)
    response = await chat.send(CRISIS)

    said = plain(response)
    assert said[0].startswith(way.usual(CRISIS))  # the usual reply first
    assert said[1] == signpost()  # then the help contacts
    assert await way.kept(service, chat) == CRISIS  # kept as typed
    told = to_coordinator(response)
    if not alerted:
        assert told == []
        return
    [alert_text] = told
    assert "Ana" in alert_text
    assert "Spring cohort" in alert_text
    assert "live" not in alert_text  # never what they wrote
    assert "Sam" not in alert_text


@pytest.mark.parametrize(("lang", "typed"), [("en", CRISIS), ("de", f"Sam fragen. {CRISIS_DE}")])
async def test_a_crisis_wording_in_the_middle_of_a_dialog_comes_before_its_question_again(
        service: ConversationService, lang: str, typed: str) -> None:
    chat = await asked_for(service, lang, "edit_text", dialog="agenda")
    question = chat.log[1].messages[-1].text  # after /help, /agenda asked its first question

    response = await chat.send(typed)

    said = plain(response)
    assert said[0].startswith(shown(lang, "common.goals.text_saved", text=typed))
    assert said[1] == signpost(lang)
    title = CATALOG.render(lang, "agenda.title")
    assert [m.text for m in response.messages[2:]] == [
        CATALOG.render(lang, "common.service.resumed", title=title), question]
    [goal] = await goals(service, chat)
    assert [a.text for a in goal.actions] == [typed, COURSE]
    assert response.deliveries == ()  # in no programme: nobody else hears of it

    await chat.send("My promotion")  # the agenda's question is still the one typed text answers
    assert [a.text for a in (await goals(service, chat))[0].actions] == [typed, COURSE]


async def test_a_note_with_crisis_words_reaches_the_mentor_as_written_and_the_mentee_gets_help(
        service: ConversationService) -> None:
    mentor, mentee = Chat(service, MENTOR, name="Maria"), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    await mentee.send("/agreement")  # a dialog is open meanwhile

    sent = await mentee.send(f"/askmentor {CRISIS_EN}")
    assert plain(sent) == [shown("en", "alerts.sent", mentor="Maria"), signpost()]
    assert CRISIS_EN in alert_of(sent, mentor)  # the mentor's alert is as before

    await mentee.send("/askmentor")
    typed = await mentee.send(CRISIS_EN)
    said = plain(typed)
    assert said[:2] == [shown("en", "alerts.sent", mentor="Maria"), signpost()]
    assert typed.messages[-1].question is not None  # the agreement's question comes last again

    calm = await mentee.send("/askmentor Can we meet on Thursday?")
    assert plain(calm) == [shown("en", "alerts.sent", mentor="Maria")]


async def test_a_mentor_s_reply_with_crisis_words_is_passed_on_and_the_mentor_gets_help(
        service: ConversationService) -> None:
    mentor, mentee = Chat(service, MENTOR, name="Maria"), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    alert_of(await mentee.send("/askmentor I'm stuck"), mentor)
    await mentor.press("Reply")

    replied = await mentor.send(f"Me too. {CRISIS_EN}")

    assert plain(replied) == [shown("en", "alerts.reply_sent", mentee="Ana"), signpost()]
    assert f"Me too. {CRISIS_EN}" in alert_of(replied, mentee)  # passed on as written


# --- The export ----------------------------------------------------------------------------


async def _export(chat: Chat) -> tuple[dict[str, Any], str]:
    data, page = (await chat.send("/export")).messages
    assert data.document is not None
    assert page.document is not None
    return json.loads(data.document.content), page.document.content.decode()


def _help_section(page: str) -> str:
    """The export page's section of help contacts ('' when it has none)."""
    found = re.search(r"<h2>Help contacts</h2>(.*?)<h2>", page, re.S)
    return found.group(1) if found else ""


async def test_the_export_lists_when_help_contacts_were_given_never_what_was_written(
        chat: Chat, engine: AsyncEngine, clock: FakeClock) -> None:
    await _member(chat, engine, clock, alert=True, consent="yes")
    async with create_sessionmaker(engine).begin() as session:
        user = await get_user(session, chat.user_id)
        assert user is not None
        await update_user(session, user.id, clock(), timezone="Asia/Kolkata")
    first = clock.now  # 09:00 UTC, 14:30 in Kolkata
    await chat.send(f"Four. {CRISIS_EN}")  # an answer
    clock.advance(hours=12)  # 02:30 the next day in Kolkata; within a day: counted, not told
    await _edit_step(chat)
    await chat.send(CRISIS)  # a step's new wording

    data, page = await _export(chat)

    assert data["help_contacts_shown"] == [
        {"at": first.isoformat(), "programme": "Spring cohort", "team_told": True},
        {"at": clock.now.isoformat(), "programme": "Spring cohort", "team_told": False}]
    section = to_plain(_help_section(page))
    assert shown("en", "common.export.help_contacts_intro") in section
    assert "21 November 2026, 14:30 · Spring cohort · your programme team was told" in section
    assert ("22 November 2026, 02:30 · Spring cohort · your programme team has not been told of "
            "it yet") in section
    for words in (CRISIS_EN, "live", "Sam"):  # neither what they wrote nor the phrase
        assert words not in section
        assert words not in json.dumps(data["help_contacts_shown"])

    german = export_page(data, default_scripts(), Renderer(CATALOG, "de"))
    assert "<h2>Hilfsangebote</h2>" in german
    assert "21. November 2026, 14:30 Uhr · Spring cohort · dein Programmteam hat davon erfahren" \
        in to_plain(german)


async def test_the_export_has_no_help_section_when_nothing_was_kept(
        chat: Chat, engine: AsyncEngine, clock: FakeClock) -> None:
    await _member(chat, engine, clock, alert=True, consent="no")
    await chat.send(f"Four. {CRISIS_EN}")  # signposted, but not kept: no agreement to tell

    data, page = await _export(chat)

    assert data["help_contacts_shown"] == []
    assert "<h2>Help contacts</h2>" not in page
