"""Help alerts as mentee and mentor live them: /askmentor with a note or alone, the alert at once
with a Reply button, the one reply back through the bot; the check-in's button when confidence is
low; an unpaired mentee told kindly; forged or stale reply data refused, nothing changed."""

from __future__ import annotations

import pytest

from service.callbacks import scheduling_data
from service.conversation import ConversationService
from service.inputs import PressIn
from service.messages import Response
from storage.help import help_asked_since
from storage.pairings import PairingRecord
from storage.users import get_user
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import pair, user_id


def alert_of(response: Response, chat: Chat) -> str:
    """The plain text delivered to `chat` by this response; its buttons become the chat's."""
    texts = []
    for delivery in response.deliveries:
        if delivery.recipient == chat.user_id:
            for message in delivery.messages:
                texts.append(chat.texts(Response((message,))))
                if message.buttons:
                    chat.buttons = message.choices
    return "\n".join(texts)


async def notes(service: ConversationService, pairing: PairingRecord) -> list[tuple[str, str | None]]:
    async with service.sessionmaker.begin() as session:
        found = await help_asked_since(session, pairing.mentor_id, pairing.id, None)
    return [(n.note, n.reply) for n in found]


async def test_note_alert_and_reply(service: ConversationService) -> None:
    mentor = Chat(service, 2001, name="Maria Meyer")
    mentee = Chat(service, 2002, name="Ana Lopez")
    pairing = await pair(mentor, mentee)
    sent = await mentee.send("/askmentor I'm stuck with my application <b>")
    assert mentee.last_text == shown("en", "alerts.sent", mentor="Maria")
    alert = alert_of(sent, mentor)
    assert "Ana is asking for your help" in alert
    assert "I'm stuck with my application <b>" in alert  # as written (and escaped as HTML)
    assert "Lopez" not in alert
    await mentor.press("Reply")
    assert mentor.last_text == shown("en", "alerts.ask_reply", mentee="Ana")
    replied = await mentor.send("Let's talk on Thursday.")
    assert mentor.last_text == shown("en", "alerts.reply_sent", mentee="Ana")
    back = alert_of(replied, mentee)
    assert "Maria replied" in back
    assert "Let's talk on Thursday." in back
    assert await notes(service, pairing) == [("I'm stuck with my application <b>",
                                              "Let's talk on Thursday.")]
    # One reply: the button no longer counts, and the next text is not passed on.
    await mentor.handle(PressIn(scheduling_data("help", "reply:1")))
    assert mentor.log[-1].toast is not None
    later = await mentor.send("another thought")
    assert later.deliveries == ()


async def test_askmentor_alone_asks_for_the_note_in_german(service: ConversationService) -> None:
    mentor = Chat(service, 2001, name="Maria", language="de")
    mentee = Chat(service, 2002, name="Ana", language="de")
    await pair(mentor, mentee)
    await mentee.send("/askmentor")
    assert mentee.last_text == shown("de", "alerts.ask_note", mentor="Maria")
    sent = await mentee.send("Ich brauche einen Rat.")
    assert mentee.last_text == shown("de", "alerts.sent", mentor="Maria")
    alert = alert_of(sent, mentor)
    assert "Ana bittet dich um Hilfe" in alert
    assert "Ich brauche einen Rat." in alert
    assert [b.label for b in mentor.buttons] == ["Antworten"]


async def test_cancel_drops_the_note(service: ConversationService) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002)
    pairing = await pair(mentor, mentee)
    await mentee.send("/askmentor")
    await mentee.send("/cancel")
    assert mentee.last_text == shown("en", "alerts.dropped")
    response = await mentee.send("just talking")
    assert response.deliveries == ()
    assert await notes(service, pairing) == []


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_cancel_inside_a_checkin_asks_its_question_again(
        service: ConversationService, lang: str) -> None:
    mentor = Chat(service, 2001, language=lang)
    mentee = Chat(service, 2002, language=lang)
    await pair(mentor, mentee)
    await mentee.send("/checkin")
    question = mentee.last_text
    await mentee.send("/askmentor")
    response = await mentee.send("/cancel")
    assert mentee.texts(response).startswith(shown(lang, "alerts.dropped"))
    assert mentee.last_text == question


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_note_or_reply_of_only_invisible_characters_is_nothing_typed(
        service: ConversationService, lang: str) -> None:
    """Zero-width spaces and joiners, a word joiner or a BOM, with or without spaces, are no
    note and no reply (as in a dialog): /askmentor with them asks for the note as /askmentor
    alone does, and nothing is sent or saved."""
    mentor = Chat(service, 2001, name="Maria", language=lang)
    mentee = Chat(service, 2002, name="Ana", language=lang)
    pairing = await pair(mentor, mentee)
    asked = await mentee.send("/askmentor \u200b \u2060")
    assert asked.deliveries == ()
    assert mentee.last_text == shown(lang, "alerts.ask_note", mentor="Maria")
    typed = await mentee.send("\u200c \u200d\ufeff")
    assert typed.deliveries == ()
    assert shown(lang, "alerts.sent", mentor="Maria") not in mentee.texts(typed)
    assert await notes(service, pairing) == []
    assert "Help, please" in alert_of(await mentee.send("/askmentor Help, please"), mentor)
    await mentor.press(0)
    replied = await mentor.send(" \ufeff\u200b ")
    assert replied.deliveries == ()
    assert await notes(service, pairing) == [("Help, please", None)]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_note_or_reply_too_long_is_asked_for_again_shorter_and_nothing_is_cut(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """Over 2,000 characters: nothing is sent or saved, the person is asked for it shorter
    (amid a check-in too: the dialog's question waits until the note is sent); what Telegram
    split off it, a moment later, is not the note; the next text is it, whole."""
    mentor = Chat(service, 2001, name="Maria", language=lang)
    mentee = Chat(service, 2002, name="Ana", language=lang)
    pairing = await pair(mentor, mentee)
    await mentee.send("/checkin")
    question = mentee.last_text
    await mentee.send("/askmentor")
    long = "Lots to say. " * 200
    response = await mentee.send(long)
    assert response.deliveries == ()
    assert mentee.texts(response) == shown(lang, "alerts.too_long", limit=2000)
    assert await notes(service, pairing) == []
    clock.advance(seconds=1)
    rest = await mentee.send("and the rest of it, split off by Telegram")
    assert rest.deliveries == ()
    assert mentee.texts(rest) == shown(lang, "common.service.rest_not_kept")
    assert await notes(service, pairing) == []
    clock.advance(minutes=1)
    note = long[:1990].strip()
    sent = await mentee.send(note)
    assert note in alert_of(sent, mentor)
    assert mentee.last_text == question  # the note sent, the check-in goes on
    await mentor.press(0)
    replied = await mentor.send("Sure. " * 400)
    assert replied.deliveries == ()
    assert mentor.last_text == shown(lang, "alerts.too_long", limit=2000)
    clock.advance(minutes=1)
    replied = await mentor.send("Let's talk on Thursday.")
    assert "Let's talk on Thursday." in alert_of(replied, mentee)
    assert await notes(service, pairing) == [(note, "Let's talk on Thursday.")]


async def test_unpaired_mentee_is_told_kindly(chat: Chat) -> None:
    await chat.send("/askmentor help me")
    assert chat.last_text == shown("en", "alerts.unpaired")
    await chat.send("/askmentor")
    assert chat.last_text == shown("en", "alerts.unpaired")
    async with chat.service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
    assert user is not None
    assert user.awaiting is None


async def test_forged_reply_data_for_another_mentors_request_is_refused(
        service: ConversationService) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002)
    other, stranger = Chat(service, 2003), Chat(service, 2004)
    pairing = await pair(mentor, mentee)
    await pair(other, stranger)
    await mentee.send("/askmentor private worry")
    forged = await other.handle(PressIn(scheduling_data("help", "reply:1")))
    assert forged.toast is not None
    assert not forged.accepted
    answered = await other.send("I read your note")
    assert answered.deliveries == ()
    assert "private worry" not in other.texts(forged) + other.texts(answered)
    assert await notes(service, pairing) == [("private worry", None)]
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, other.user_id)
    assert user is not None
    assert user.awaiting is None


async def test_low_confidence_in_the_check_in_offers_the_button(
        service: ConversationService) -> None:
    mentor, mentee = Chat(service, 2001, name="Maria"), Chat(service, 2002, name="Ana")
    pairing = await pair(mentor, mentee)
    await user_id(mentee)
    await mentee.send("/checkin")
    for answer in ("fine", "my friends", "work"):
        if "confident" in mentee.last_text:
            break
        await mentee.send(answer)
    assert "confident" in mentee.last_text
    await mentee.send("3")
    assert "What would help you right now?" in mentee.last_text
    assert "Ask my mentor for help" in [b.label for b in mentee.buttons]
    await mentee.press("Ask my mentor for help")
    assert mentee.last_text == shown("en", "alerts.ask_note", mentor="Maria")
    sent = await mentee.send("Could we meet earlier?")
    assert "Could we meet earlier?" in alert_of(sent, mentor)
    assert "What would help you right now?" in mentee.last_text  # the check-in goes on
    await mentee.send("a walk")
    assert "What do you want to focus on" in mentee.last_text
    assert await notes(service, pairing) == [("Could we meet earlier?", None)]
