"""Safety signposting: an answer that sounds like a crisis is saved as usual and followed by the
help contacts; a programme's coordinators hear of it (a first name, never the words) only where
the programme says so and the person agreed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal import to_plain
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import EditIn
from service.messages import Response
from service.programmes.safety import (
    SafetyFileError,
    SafetySettings,
    matches,
    read_contacts,
    read_keywords,
    set_safety,
)
from service.programmes.stats import programme_stats
from storage.answers import answers_of
from storage.database import create_sessionmaker
from storage.programmes import coordinated_by, create_programme, grant
from storage.users import get_user, update_user
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock

START = FakeClock()()
COORDINATOR = 5001
CRISIS_EN = "Honestly, some days I don't want to live anymore"
CRISIS_DE = "Manchmal denke ich an Suizid"


def _signposted(response: Response) -> bool:
    return any("crisis lines" in m.text.lower() or "Krisentelefone" in m.text or "Call Mia" in m.text
               for m in response.messages)


async def _answers(engine: AsyncEngine, telegram_id: int) -> list[str]:
    async with create_sessionmaker(engine).begin() as session:
        user = await get_user(session, telegram_id)
        assert user is not None
        return [str(a.value) for a in await answers_of(session, user.id)]


async def _join(engine: AsyncEngine, clock: FakeClock, chat: Chat, *, alert: bool,
                contacts: str | None = None) -> None:
    """A programme with a coordinator, and the chat's person as its member."""
    async with create_sessionmaker(engine).begin() as session:
        programme = await create_programme(
            session, "Spring cohort", {"language": "en"},
            SafetySettings(contacts=contacts, alert=alert).to_json(), clock())
        assert programme is not None
        await grant(session, programme.id, COORDINATOR, clock())
        user = await get_user(session, chat.user_id)
        assert user is not None
        await update_user(session, user.id, clock(), programme_id=programme.id)


async def _agree(chat: Chat, consent: str | None) -> None:
    """The agreement up to the question whether the programme team may be told, answered."""
    await chat.send("/agreement")
    for text in ("To lead a team", "I lead a project", "Honest feedback", "I come prepared",
                 "No calls at night", "/skip", "yes"):
        await chat.send(text)
    await chat.send("/skip" if consent is None else consent)
    await chat.send("weekly")
    await chat.send("video")  # now at "sessions", an optional text


async def test_a_matching_answer_is_saved_and_followed_by_the_contacts(
        chat: Chat, engine: AsyncEngine) -> None:
    await chat.send("/agreement")
    response = await chat.send(CRISIS_EN)

    assert CRISIS_EN in await _answers(engine, chat.user_id)
    # The help contacts first, then the dialog goes on with its next question.
    assert to_plain(response.messages[0].text) == shown(
        "en", "safety.signpost", contacts=default_catalog().render("en", "safety.default_contacts"))
    assert "112" in response.messages[0].text
    assert "success" in to_plain(response.messages[-1].text).lower()
    assert response.messages[-1].question is not None
    assert not response.deliveries  # in no programme: nobody else hears of it


async def test_a_matching_answer_in_german(service: ConversationService,
                                           engine: AsyncEngine) -> None:
    chat = Chat(service, user_id=2002, language="de", name="Lena")
    await chat.send("/agreement")
    response = await chat.send(CRISIS_DE)

    assert CRISIS_DE in await _answers(engine, 2002)
    assert "TelefonSeelsorge" in response.messages[0].text
    assert to_plain(response.messages[0].text).startswith("Danke, dass du das in Worte fasst")
    assert response.messages[-1].question is not None  # the next question comes after it


@pytest.mark.parametrize("text", [
    "I want to nail my presentation, this deadline is killing me",
    "Sometimes I feel like giving up on spreadsheets",
    "Ich habe gewaltig viel zu tun",  # "Gewalt" only as a whole word
    "My grapes are a therapist's favourite",
])
async def test_an_everyday_answer_gets_no_signpost(chat: Chat, text: str) -> None:
    await chat.send("/agreement")
    response = await chat.send(text)
    assert not _signposted(response)
    assert len(response.messages) == 1  # just the next question


@pytest.mark.parametrize("text", [
    "I don\u2019t want to live",  # a typographic apostrophe
    "there is DOMESTIC   VIOLENCE at home",  # any case, any spacing
    "Mein Partner schlägt mich",
    "ich kann nicht mehr.",
])
def test_phrases_match_as_whole_words_in_any_case(text: str) -> None:
    assert matches(default_catalog(), SafetySettings(), [text])


def test_a_programme_s_own_phrases_are_added_to_the_shipped_ones() -> None:
    own = SafetySettings(keywords={"en": ("burnt out",)})
    assert matches(default_catalog(), own, ["I am completely burnt out"])
    assert matches(default_catalog(), own, ["I feel suicidal"])
    assert not matches(default_catalog(), SafetySettings(), ["I am completely burnt out"])


def test_a_phrase_without_a_letter_or_digit_saved_before_matches_nothing() -> None:
    """"(" was once taken as a phrase: an everyday answer with a bracket is no crisis."""
    own = SafetySettings.from_json({"keywords": {"en": ["(", "burnt out"], "de": ["?!"]}})
    assert not matches(default_catalog(), own, ["We met (finally) and it went well ?!"])
    assert matches(default_catalog(), own, ["I am burnt out (again)"])


async def test_a_programme_s_contacts_are_given_escaped(
        chat: Chat, engine: AsyncEngine, clock: FakeClock) -> None:
    await chat.send("/start")
    await _join(engine, clock, chat, alert=False, contacts="Call Mia <programme office>: 0301 234")
    await chat.send("/agreement")
    response = await chat.send(CRISIS_EN)
    assert "Call Mia &lt;programme office&gt;: 0301 234" in response.messages[0].text
    assert "findahelpline" not in response.messages[0].text


@pytest.mark.parametrize(("alert", "consent", "alerted"), [
    (True, "yes", True), (True, "no", False), (True, None, False), (False, "yes", False),
])
async def test_the_coordinator_is_alerted_only_with_policy_and_consent(
        chat: Chat, engine: AsyncEngine, clock: FakeClock, alert: bool, consent: str | None,
        alerted: bool) -> None:
    await chat.send("/start")
    await _join(engine, clock, chat, alert=alert)
    await _agree(chat, consent)
    response = await chat.send(f"About ten. {CRISIS_EN}")

    assert _signposted(response)
    assert f"About ten. {CRISIS_EN}" in await _answers(engine, chat.user_id)
    if not alerted:
        assert not response.deliveries
        return
    [delivery] = response.deliveries
    assert delivery.recipient == COORDINATOR
    alert_text = to_plain(delivery.messages[0].text)
    assert "Spring cohort" in alert_text
    assert "Ana" in alert_text
    assert "live" not in alert_text  # never what they wrote
    assert "About ten" not in alert_text


async def test_the_alert_speaks_the_coordinator_s_language(
        chat: Chat, service: ConversationService, engine: AsyncEngine, clock: FakeClock) -> None:
    await Chat(service, user_id=COORDINATOR, language="de", name="Jo").send("/start")
    await chat.send("/start")
    await _join(engine, clock, chat, alert=True)
    await _agree(chat, "yes")
    response = await chat.send(CRISIS_EN)
    [delivery] = response.deliveries
    assert "braucht vielleicht Unterstützung" in delivery.messages[0].text


def test_shipped_phrases_and_contacts_exist_in_every_language() -> None:
    catalog = default_catalog()
    for lang in ("en", "de"):
        assert len(catalog.texts[lang]["safety.keywords"]) > 20
        assert catalog.render(lang, "safety.default_contacts")


def test_keyword_files_are_checked() -> None:
    assert read_keywords("en: [burnt out]\nde: [ausgebrannt]") == {
        "en": ("burnt out",), "de": ("ausgebrannt",)}
    for bad in ("fr: [x]", "en: burnt out", "- a list", "en: [", ""):
        with pytest.raises(SafetyFileError):
            read_keywords(bad)
    with pytest.raises(SafetyFileError):
        read_contacts("  \n ")


async def test_an_answer_edited_into_a_crisis_phrase_is_signposted_and_alerted_too(
        chat: Chat, engine: AsyncEngine, clock: FakeClock) -> None:
    await chat.send("/start")
    await _join(engine, clock, chat, alert=True)
    await _agree(chat, "yes")
    response = await chat.send("About ten", message_id=77)
    assert not _signposted(response)
    assert not response.deliveries

    edited = await chat.handle(EditIn(77, f"About ten. {CRISIS_EN}"))
    assert to_plain(edited.messages[0].text).startswith("I've updated your answer")
    assert _signposted(edited)
    assert f"About ten. {CRISIS_EN}" in await _answers(engine, chat.user_id)
    [delivery] = edited.deliveries
    assert delivery.recipient == COORDINATOR
    assert "live" not in to_plain(delivery.messages[0].text)

    calm = await chat.handle(EditIn(77, "About eight"))  # an everyday edit: just saved
    assert len(calm.messages) == 1
    assert not calm.deliveries


async def test_alerts_come_at_most_once_a_day_per_person_and_count_every_match(
        chat: Chat, service: ConversationService, engine: AsyncEngine, clock: FakeClock) -> None:
    await chat.send("/start")
    await _join(engine, clock, chat, alert=True)
    await _agree(chat, "yes")
    await chat.send("About ten", message_id=77)
    alerts: list[str] = []

    async def crisis_edit(text: str) -> None:
        response = await chat.handle(EditIn(77, text))
        assert _signposted(response)  # the person always gets the contacts
        alerts.extend(to_plain(d.messages[0].text) for d in response.deliveries)

    await crisis_edit(CRISIS_EN)
    assert len(alerts) == 1
    assert "Ana" in alerts[0]
    assert "Since the last alert" not in alerts[0]
    for hours in (1, 10, 22):  # within 24 hours of the alert: counted, not alerted
        clock.advance(hours=hours - (clock.now - START).total_seconds() / 3600)
        await crisis_edit(f"{CRISIS_EN} ({hours})")
    assert len(alerts) == 1

    async with create_sessionmaker(engine).begin() as session:
        [programme] = await coordinated_by(session, COORDINATOR)
        figures = await programme_stats(session, programme, clock(), clock().date())
    assert (figures.safety_matches, figures.safety_people) == (4, 1)  # nothing lost
    coordinator = Chat(service, user_id=COORDINATOR, name="Jo")
    await coordinator.send("/start")
    stats = coordinator.texts(await coordinator.send("/stats"))
    assert "Messages with safety phrases in the last 4 weeks" in stats
    assert ": 4, from 1 person" in stats
    assert CRISIS_EN not in stats

    clock.now = START + timedelta(hours=24, minutes=1)
    await crisis_edit(CRISIS_EN)
    assert len(alerts) == 2
    assert "Since the last alert about them, 4 of their messages matched" in alerts[1]
    assert "live" not in alerts[1]
    clock.advance(hours=1)
    await crisis_edit(CRISIS_EN)
    assert len(alerts) == 2  # the interval starts again from the second alert


async def test_a_programme_may_alert_at_every_match(
        chat: Chat, engine: AsyncEngine, clock: FakeClock) -> None:
    await chat.send("/start")
    await _join(engine, clock, chat, alert=True)
    async with create_sessionmaker(engine).begin() as session:
        [programme] = await coordinated_by(session, COORDINATOR)
        await set_safety(session, programme, clock(), alert_hours=0)
    await _agree(chat, "yes")
    await chat.send("About ten", message_id=77)
    for _ in range(2):
        assert len((await chat.handle(EditIn(77, CRISIS_EN))).deliveries) == 1
