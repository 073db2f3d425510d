"""A dialog the bot invited to (a check-in's Start, the agenda request of a planned meeting, the
mentor's own check-in) is no choice of another stage: it opens without the note that says so,
which a dialog picked by hand still gets. The agenda of a planned meeting knows the meeting's day
and does not ask it (it shows at the summary, to change); its request and the agenda say "it's
your meeting" once between them. Someone without a mentor reads of their own meeting, not of
"ihr" or "your mentor"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.terminal import to_plain
from service.conversation import ConversationService
from service.inputs import PressIn
from service.messages import OutMessage
from storage.answers import answers_of
from tests.support.chat import Chat, rendered, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import one_pass, pair, to, user_id
from tests.test_schedule_checkins import add_goal

LANGS = ["en", "de"]
BERLIN = ZoneInfo("Europe/Berlin")
ZONE = {"en": "/settings timezone Europe/Berlin", "de": "/settings zeitzone Europe/Berlin"}
#: Monday 23 November 2026 at 17:00 in Berlin; its request comes the day before at 17:00.
MEETING = {"en": "/meeting 23.11. 17:00", "de": "/meeting 23.11. 17:00"}
REQUEST_AT = datetime(2026, 11, 22, 17, tzinfo=BERLIN).astimezone(UTC)


def stage_note(lang: str, stage: str = "maturing") -> str:
    return shown(lang, "common.service.other_stage",
                 stage=shown(lang, f"common.stages.{stage}.name"))


async def until(chat: Chat, clock: FakeClock, moment: datetime) -> list[OutMessage]:
    """Move the clock to `moment` and run one dispatch pass: what this chat got."""
    clock.now = moment
    return to(chat, await one_pass(chat.service))


def text_of(messages: list[OutMessage]) -> str:
    return "\n".join(to_plain(message.text) for message in messages)


async def press(chat: Chat, messages: list[OutMessage], key: str, lang: str) -> str:
    """Press the button with this label among the messages'."""
    label = shown(lang, key)
    for message in messages:
        for choice in message.choices:
            if to_plain(choice.label) == label:
                return chat.texts(await chat.handle(PressIn(choice.data)))
    raise AssertionError(f"no {label!r} in {messages}")


async def answers(chat: Chat, dialog: str) -> dict[str, object]:
    uid = await user_id(chat)
    async with chat.service.sessionmaker.begin() as session:
        return {a.step_key: a.value for a in await answers_of(session, uid) if a.dialog == dialog}


@pytest.mark.parametrize("lang", LANGS)
async def test_the_agenda_of_a_planned_meeting_opens_without_the_stage_note_and_knows_its_day(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    chat = Chat(service, language=lang)  # in the first stage: the agenda belongs to a later one
    await chat.send(ZONE[lang])
    await chat.send(MEETING[lang])
    request = await until(chat, clock, REQUEST_AT)
    assert text_of(request) == shown(lang, "calendar.meeting.agenda_request", paired=False,
                                     when={"en": "tomorrow at 17:00",
                                           "de": "morgen um 17:00 Uhr"}[lang])
    started = await press(chat, request, "calendar.meeting.agenda_button", lang)
    assert stage_note(lang) not in started
    assert shown(lang, "agenda.intro") in started
    # Said once between the request and the agenda's intro.
    mine = {"en": "It's your meeting", "de": "Es ist dein Treffen"}[lang]
    assert (text_of(request) + started).count(mine) == 1
    assert (await answers(chat, "agenda"))["meeting_date"] == "2026-11-23"

    await chat.send({"en": "My CV", "de": "Mein Lebenslauf"}[lang])
    await chat.press(shown(lang, "common.buttons.done"))
    await chat.send({"en": "Clear next steps", "de": "Klare nächste Schritte"}[lang])
    summary = chat.texts(await chat.send("/skip"))  # what to prepare; the day is not asked
    assert shown(lang, "agenda.steps.meeting_date.text") not in summary
    assert {"en": "Meeting date:", "de": "Datum des Treffens:"}[lang] in summary
    assert {"en": "23 November 2026", "de": "23. November 2026"}[lang] in summary
    done = chat.texts(await chat.press(shown(lang, "common.buttons.confirm")))
    assert {"en": "for the meeting on", "de": "für das Treffen am"}[lang] in done
    assert (await answers(chat, "agenda"))["meeting_date"] == "2026-11-23"


@pytest.mark.parametrize("lang", LANGS)
async def test_an_agenda_picked_by_hand_still_says_its_stage_and_asks_the_day(
        service: ConversationService, lang: str) -> None:
    chat = Chat(service, language=lang)
    await chat.send(ZONE[lang])
    await chat.send(MEETING[lang])
    started = chat.texts(await chat.send("/agenda"))
    assert stage_note(lang) in started
    await chat.press(shown(lang, "common.buttons.done"))
    await chat.send({"en": "Clear next steps", "de": "Klare nächste Schritte"}[lang])
    asked = chat.texts(await chat.send("/skip"))
    assert shown(lang, "agenda.steps.meeting_date.text") in asked


@pytest.mark.parametrize("lang", LANGS)
async def test_with_another_dialog_open_the_agenda_started_from_its_request_still_knows_its_day(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    chat = Chat(service, language=lang)
    await chat.send(ZONE[lang])
    await chat.send(MEETING[lang])
    await chat.send("/story")  # open when the request arrives
    request = await until(chat, clock, REQUEST_AT)
    await press(chat, request, "calendar.meeting.agenda_button", lang)  # continue or switch?
    started = chat.texts(await chat.press(to_plain(rendered(
        lang, "common.buttons.pause_and_start", title=rendered(lang, "agenda.title")))))
    assert stage_note(lang) not in started
    assert (await answers(chat, "agenda"))["meeting_date"] == "2026-11-23"


@pytest.mark.parametrize("lang", LANGS)
async def test_a_checkpoints_check_in_opens_without_the_stage_note(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """The check-in belongs to "maturing"; someone in the first stage invited to it by a GROW
    checkpoint is not told so (typed with no invitation standing, it is: the agenda's test)."""
    chat = Chat(service, language=lang)
    await chat.send(ZONE[lang])
    await add_goal(chat, [("Run 5 km", None)], details={"checkpoint": "2026-11-25"})
    await chat.send({"en": "/checkins mon 10:00", "de": "/checkins mo 10:00"}[lang])
    assert await until(chat, clock, datetime(2026, 11, 23, 10, tzinfo=BERLIN))  # the agreement's
    checkpoint = await until(chat, clock, datetime(2026, 11, 25, 10, tzinfo=BERLIN))
    started = await press(chat, checkpoint, "checkins.buttons.start", lang)
    assert stage_note(lang) not in started
    assert "Run 5 km" in started


@pytest.mark.parametrize("lang", LANGS)
async def test_the_mentors_own_check_in_opens_without_the_stage_note(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    mentor = Chat(service, 2001, language=lang, name="Maria")
    mentee = Chat(service, 2002, language=lang, name="Ana")
    await pair(mentor, mentee)
    await mentor.send(ZONE[lang])
    friday = datetime(2026, 11, 27, 15, tzinfo=BERLIN)  # every other Friday at 15:00
    invitation = await until(mentor, clock, friday)
    if not invitation:
        invitation = await until(mentor, clock, friday + timedelta(weeks=1))
    assert invitation
    started = await press(mentor, invitation, "mentor_checkins.buttons.start", lang)
    assert stage_note(lang) not in started
    assert shown(lang, "mentor_checkin.intro", name="Maria") in started


MEETING_WORDS = {  # (with a mentor, without one)
    "en": {"set": ("Noted: your next meeting is", "Noted: your next meeting is"),
           "request": ("Your meeting with your mentor is tomorrow at 17:00.",
                       "Your meeting is tomorrow at 17:00."),
           "ask_time": ("At what time do you meet tomorrow?", "At what time is your meeting tomorrow?"),
           "none": ("No meeting is planned with your mentor at the moment.",
                    "No meeting is planned at the moment.")},
    "de": {"set": ("Notiert: Euer nächstes Treffen ist", "Notiert: Dein nächstes Treffen ist"),
           "request": ("Ihr trefft euch morgen um 17:00 Uhr.", "Dein Treffen ist morgen um 17:00 Uhr."),
           "ask_time": ("Um wie viel Uhr trefft ihr euch morgen?",
                        "Um wie viel Uhr ist dein Treffen morgen?"),
           "none": ("Gerade ist kein Treffen mit deiner Mentorin oder deinem Mentor geplant.",
                    "Gerade ist kein Treffen geplant.")}}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("with_mentor", [True, False])
async def test_the_meeting_is_theirs_together_only_with_a_mentor(
        service: ConversationService, clock: FakeClock, lang: str, with_mentor: bool) -> None:
    chat = Chat(service, 2002, language=lang, name="Ana")
    if with_mentor:
        await pair(Chat(service, 2001, language=lang), chat)
    words = {key: pair_[0 if with_mentor else 1] for key, pair_ in MEETING_WORDS[lang].items()}
    await chat.send(ZONE[lang])
    assert words["none"] in chat.texts(await chat.send("/meeting"))
    assert chat.texts(await chat.send({"en": "/meeting tomorrow",
                                       "de": "/meeting morgen"}[lang])).startswith(words["ask_time"])
    await chat.send("/cancel")
    assert chat.texts(await chat.send(MEETING[lang])).startswith(words["set"])
    request = await until(chat, clock, REQUEST_AT)
    assert text_of(request).startswith(words["request"])
    other = {"en": "your mentor", "de": "euer"}[lang]
    if not with_mentor:
        assert other not in text_of(request).lower()
        assert other not in chat.texts(await chat.send("/meeting")).lower()


@pytest.mark.parametrize("lang", LANGS)
async def test_a_check_in_without_a_mentor_plans_for_ones_own_next_meeting(lang: str) -> None:
    said = rendered(lang, "checkin.done", name="Ana", raise_at_meeting=True, confidence=3,
                    paired=False, goals=[])
    assert {"en": "your mentor", "de": "euer"}[lang] not in said.lower()
    together = rendered(lang, "checkin.done", name="Ana", raise_at_meeting=False, confidence=3,
                        paired=True, goals=[])
    assert {"en": "with your mentor", "de": "für euer nächstes Treffen"}[lang] in together


def test_the_meeting_command_is_described_for_someone_alone_too() -> None:
    for lang in LANGS:
        described = rendered(lang, "common.commands.meeting").lower()
        assert "euer" not in described
        assert "your mentor" not in described

