"""`coachbot chat` with two terminals on one database: what goes to the other person is shown,
marked with who gets it (and how their chat presses its buttons), so the whole Reply path of a
help request can be rehearsed; a newcomer who skips the role question is asked again, not
welcomed "back"; someone without a name is "your mentee", never "…"."""

from __future__ import annotations

import io

import pytest

from bot.terminal import TerminalChat
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from tests.support.chat import Chat, shown
from tests.support.mentoring import pair


def terminal(service: ConversationService, chat: Chat) -> tuple[TerminalChat, io.StringIO]:
    out = io.StringIO()
    return TerminalChat(service, Person(chat.user_id, chat.name, chat.language), out), out


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_reply_path_in_two_terminals(service: ConversationService, lang: str) -> None:
    mentor_chat = Chat(service, 2001, name="Maria Meyer", language=lang)
    mentee_chat = Chat(service, 2002, name="Ana Lopez", language=lang)
    await pair(mentor_chat, mentee_chat)
    mentee, mentee_out = terminal(service, mentee_chat)
    mentor, mentor_out = terminal(service, mentor_chat)
    await mentee.send(mentee.parse("/askmentor I'm stuck"))
    said = mentee_out.getvalue()
    relation = shown(lang, "common.terminal.relation.mentor")
    assert shown(lang, "common.terminal.to_other", name="Maria", relation=relation,
                 id=2001) in said
    assert "   │ " in said
    assert "I'm stuck" in said.split(relation)[1]
    [press] = [line.split("]", 1)[1].strip() for line in said.splitlines() if "/press" in line]
    await mentor.send(mentor.parse(press))
    await mentor.send(mentor.parse("Let's talk on Thursday."))
    back = mentor_out.getvalue()
    assert shown(lang, "common.terminal.to_other", name="Ana",
                 relation=shown(lang, "common.terminal.relation.mentee"), id=2002) in back
    assert "Let's talk on Thursday." in back.split("→")[1]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_newcomer_who_skips_the_role_question_is_asked_again(
        service: ConversationService, lang: str) -> None:
    ben = Chat(service, 3001, name="Ben", language=lang)
    first = ben.texts(await ben.send("/start"))
    assert first == shown(lang, "mentors.roles.ask", name="Ben")
    again = ben.texts(await ben.send("/start"))
    assert again == shown(lang, "mentors.roles.ask", name="Ben")
    assert shown(lang, "common.service.welcome_back", name="Ben") not in again


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_someone_without_a_name_is_your_mentee(service: ConversationService,
                                                     lang: str) -> None:
    mentor = Chat(service, 2001, name="Maria", language=lang)
    await pair(mentor, Chat(service, 2002, name=""))
    text = mentor.texts(await mentor.handle(CommandIn("settings", "")))
    labels = [button.label for button in mentor.buttons]
    assert shown(lang, "mentors.pairing.end_button", name=None, as_mentor=True) in labels
    assert {"en": "your mentee", "de": "der Person, die du begleitest"}[lang] in labels[-1]
    assert "…" not in text
    assert not [label for label in labels if "…" in label]
