"""The vision map as a picture: drawn when the vision dialog is done (a photo over Telegram, a file
in the terminal), and sent to the mentor with one tap, only while they are paired."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from bot.terminal import TerminalChat
from prompts.catalog import default_catalog
from service.callbacks import vision_map_data
from service.conversation import ConversationService
from service.inputs import PressIn
from service.messages import OutMessage, Response
from service.vision_map import HEIGHT, WIDTH, VisionMap, vision_picture
from storage.pairings import create_pairing, set_pairing_status
from storage.users import UserRecord, create_user, get_user
from storage.vocabulary import PairingStatus, Role
from tests.support.chat import Chat, shown
from tests.telegram.harness import E2E, say
from tests.test_charts import png_size
from tests.test_mentee_method import walk_transcript
from tests.test_transcripts import LANGUAGES, SQLITE_ONLY

CATALOG = default_catalog()
ANSWERS = {
    "milestones": ["Ausbildung zur Mechanikerin", "Abendkurse in Technik"],
    "present": "Technikerin in einer kleinen Werkstatt",
    "future": "Das Wartungsteam leiten",
    "steps": ["Ein kleines Projekt leiten dürfen", "Einen Führungskurs besuchen"],
    "first_step": ["Einen Führungskurs besuchen"],
    "first_step_date": "2026-12-12",
}


def photos(response: Response) -> list[OutMessage]:
    return [message for message in response.messages if message.photo is not None]


def test_the_map_holds_the_three_places_and_the_steps_first_step_first() -> None:
    vision = VisionMap.from_answers(ANSWERS)
    assert vision.came_from == ("Ausbildung zur Mechanikerin", "Abendkurse in Technik")
    assert (vision.am, vision.going) == ("Technikerin in einer kleinen Werkstatt",
                                         "Das Wartungsteam leiten")
    assert vision.steps == ("Einen Führungskurs besuchen", "Ein kleines Projekt leiten dürfen")
    assert vision.first_by == "2026-12-12"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_picture_is_a_portrait_png_with_umlauts_and_long_answers_without_warnings(
    lang: str,
) -> None:
    """pytest turns warnings into errors: a glyph the font lacks or an overflow would fail."""
    answers = {**ANSWERS, "present": "Größe üben 🎉 " * 30, "steps": ["$5 a day " * 20] * 12}
    picture = vision_picture(VisionMap.from_answers(answers), lang, CATALOG, "Jürgen")
    assert png_size(picture) == (WIDTH, HEIGHT) == (800, 1000)


def test_an_empty_map_still_draws() -> None:
    assert png_size(vision_picture(VisionMap.from_answers({}), "en", CATALOG)) == (WIDTH, HEIGHT)


# --- Through the service ----------------------------------------------------------------------


async def a_mentor(service: ConversationService, telegram_id: int, name: str, lang: str) -> UserRecord:
    async with service.sessionmaker.begin() as session:
        user, _ = await create_user(session, telegram_id, name=name, language=lang,
                                    timezone="Europe/Berlin", now=service.clock(), role=Role.MENTOR)
    return user


async def pair_with(service: ConversationService, mentor: UserRecord, mentee_telegram_id: int) -> int:
    async with service.sessionmaker.begin() as session:
        mentee = await get_user(session, mentee_telegram_id)
        assert mentee is not None
        pairing = await create_pairing(session, mentor.id, mentee.id, today=date(2026, 11, 21),
                                       ends_on=None, now=service.clock())
    return pairing.id


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_done_vision_map_comes_as_a_photo_and_reaches_the_mentor_only_when_paired(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    await walk_transcript(service, chat, "vision", lang)
    [photo] = photos(chat.log[-1])
    assert photo.photo is not None
    assert png_size(photo.photo.content) == (WIDTH, HEIGHT)
    assert [b.label for b in photo.choices] == [shown(lang, "pictures.vision.share", mentor=None)]

    share = PressIn(photo.choices[0].data)
    alone = await chat.handle(share)  # no mentor yet: nothing sent, the button stays for later
    assert alone.deliveries == ()
    assert not alone.accepted
    assert alone.toast == shown(lang, "pictures.vision.not_paired")

    mentor = await a_mentor(service, 2002, "Maria", "de" if lang == "en" else "en")
    pairing_id = await pair_with(service, mentor, chat.user_id)
    sent = await chat.handle(share)  # the same button, once paired
    assert sent.accepted
    assert chat.texts(sent) == shown(lang, "pictures.vision.sent", mentor="Maria")
    [delivery] = sent.deliveries
    assert delivery.recipient == 2002
    [to_mentor] = delivery.messages
    assert to_mentor.photo is not None
    assert png_size(to_mentor.photo.content) == (WIDTH, HEIGHT)
    assert to_mentor.text == CATALOG.render(mentor.language, "pictures.vision.received", name="Ana")

    async with service.sessionmaker.begin() as session:  # the pairing ended: nothing goes out
        await set_pairing_status(session, pairing_id, PairingStatus.ENDED, service.clock())
    ended = await chat.handle(share)
    assert ended.deliveries == ()


@SQLITE_ONLY
async def test_after_pairing_the_photo_names_the_mentor_and_a_forged_press_sends_nothing(
    service: ConversationService, chat: Chat
) -> None:
    await chat.send("/help")
    mentor = await a_mentor(service, 2002, "Maria", "en")
    await pair_with(service, mentor, chat.user_id)
    await walk_transcript(service, chat, "vision", "en")
    [photo] = photos(chat.log[-1])
    assert [b.label for b in photo.choices] == ["Send to Maria"]
    assert "Maria" in photo.text
    run_press = photo.choices[0].data

    stranger = Chat(service, user_id=3003, name="Eve")
    await stranger.send("/help")
    other = await a_mentor(service, 2003, "Otto", "en")
    await pair_with(service, other, 3003)
    forged = await stranger.handle(PressIn(run_press))  # Ana's run, pressed by someone else
    assert forged.deliveries == ()
    assert forged.toast == shown("en", "common.notes.stale_button")
    not_a_run = await stranger.handle(PressIn(vision_map_data(999_999)))
    assert not_a_run.deliveries == ()


@SQLITE_ONLY
async def test_in_the_terminal_the_picture_is_saved_as_a_file_and_its_place_said(
    service: ConversationService, chat: Chat, tmp_path: Path
) -> None:
    await walk_transcript(service, chat, "vision", "en")
    out = io.StringIO()
    terminal = TerminalChat(service, chat.person, out, files=tmp_path)
    terminal.show(chat.log[-1])
    saved = tmp_path / "vision-map.png"
    assert png_size(saved.read_bytes()) == (WIDTH, HEIGHT)
    assert f"→ {saved.resolve()}" in out.getvalue()
    assert "Send to my mentor" in out.getvalue()  # its button, pressed by number


# --- Over the Bot API stub --------------------------------------------------------------------


async def test_over_telegram_the_map_arrives_as_a_photo_and_the_button_sends_it_to_the_mentor(
    e2e: E2E,
) -> None:
    maria = e2e.client(5005, first_name="Maria")
    await maria.send("/start")  # she talked to the bot, so it may write to her
    ana = e2e.client(4242, first_name="Ana")
    await ana.send("/start")
    async with e2e.service.sessionmaker.begin() as session:
        mentor = await get_user(session, 5005)
        assert mentor is not None
    await pair_with(e2e.service, mentor, 4242)

    await ana.send("/vision")
    for text in ("Apprenticeship as a mechanic", "Evening classes in engineering"):
        await ana.send(text)
    await ana.click(say("en", "common.buttons.done"))
    await ana.send("Technician in a small workshop")
    await ana.send("/skip")
    for text in ("Leading the maintenance team", "No management experience yet",
                 "Ask to lead a small project", "Take a leadership course", "that's all", "1",
                 "in 3 weeks", "We look at the map at every second meeting"):
        await ana.send(text)
    await ana.click(say("en", "common.buttons.confirm"))

    [photo] = [p for p in e2e.stub.photos if p["chat_id"] == 4242]
    assert (photo["width"], photo["height"]) == (WIDTH, HEIGHT)
    assert photo["filename"] == "vision-map.png"
    assert "Maria" in photo["caption"]
    assert ana.last_buttons == ["Send to Maria"]

    await ana.click("Send to Maria")
    assert ana.new_messages[-1]["text"] == say("en", "pictures.vision.sent", mentor="Maria")
    [shared] = [p for p in e2e.stub.photos if p["chat_id"] == 5005]
    assert (shared["width"], shared["height"]) == (WIDTH, HEIGHT)
    assert shared["caption"] == say("en", "pictures.vision.received", name="Ana")
    assert "photo" in maria.last_message
    assert e2e.errors == []
