"""/settings as people type it: keywords in English or German, a bare zone, a city, a time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from prompts.catalog import default_catalog
from service import timezones
from service.conversation import ConversationService
from service.timezones import zone_for_local_time
from storage.users import get_user
from tests.support.chat import Chat
from tests.support.chat import shown as say
from tests.support.clock import FakeClock


async def user_field(service: ConversationService, user_id: int, field: str) -> object:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, user_id)
        assert user is not None
        return getattr(user, field)


@pytest.mark.parametrize(("typed", "zone"), [
    ("zeitzone Europe/Berlin", "Europe/Berlin"),
    ("Europe/Vienna", "Europe/Vienna"),
    ("timezone london", "Europe/London"),
    ("London", "Europe/London"),
    ("zeitzone new york", "America/New_York"),
    ("time zone Asia/Tokyo", "Asia/Tokyo"),
    ("tz 3", "Europe/Zurich"),  # the fourth common zone, as its button says
])
async def test_a_time_zone_by_keyword_bare_name_or_city(
    service: ConversationService, typed: str, zone: str
) -> None:
    chat = Chat(service, user_id=91, language="de")
    reply = chat.texts(await chat.send(f"/settings {typed}"))
    assert await user_field(service, 91, "timezone") == zone
    assert zone in reply


@pytest.mark.parametrize(("typed", "language"), [
    ("sprache en", "en"), ("language de", "de"), ("Deutsch", "de"), ("lang English", "en")])
async def test_the_language_by_keyword_code_or_name(
    service: ConversationService, typed: str, language: str
) -> None:
    chat = Chat(service, user_id=92, language="de" if language == "en" else "en")
    reply = chat.texts(await chat.send(f"/settings {typed}"))
    assert await user_field(service, 92, "language") == language
    assert reply == say(language, "common.settings.language_set")


async def test_sharing_and_local_time_in_german_words(service: ConversationService) -> None:
    chat = Chat(service, user_id=93, language="de")
    await chat.send("/settings teilen an")
    assert await user_field(service, 93, "share_by_default") is True
    await chat.send("/settings teilen aus")
    assert await user_field(service, 93, "share_by_default") is False
    reply = chat.texts(await chat.send("/settings uhrzeit 14:30"))
    zone = await user_field(service, 93, "timezone")
    assert isinstance(zone, str)
    assert reply.startswith(say("de", "common.settings.timezone_set", timezone=zone,
                                local_time="14:30")[:20])


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_what_cannot_be_read_is_explained_and_changes_nothing(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=94, language=lang)
    await chat.send("/start")
    before = await user_field(service, 94, "timezone")
    reply = chat.texts(await chat.send("/settings Atlantis"))
    assert reply == say(lang, "common.settings.not_understood", text="Atlantis")
    assert await user_field(service, 94, "timezone") == before
    reply = chat.texts(await chat.send("/settings language klingon"))
    assert reply == say(lang, "common.settings.language_unknown")
    assert await user_field(service, 94, "language") == lang


@pytest.mark.parametrize(("lang", "typed"), [("en", "time 11:15"), ("de", "zeit 11:15"),
                                             ("en", "11:15")])
async def test_a_time_no_zone_shows_now_says_so_and_how_to_name_the_zone(
    service: ConversationService, lang: str, typed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some clock is always within half an hour of any time: with clocks read to the minute,
    11:15 at 09:00 UTC is no zone's (none is at +2:15)."""
    monkeypatch.setattr(timezones, "NEAR", timedelta(0))
    chat = Chat(service, user_id=95, language=lang)
    await chat.send("/start")
    before = await user_field(service, 95, "timezone")
    reply = chat.texts(await chat.send(f"/settings {typed}"))
    assert reply == say(lang, "common.settings.time_no_zone", text="11:15", utc="09:00")
    assert await user_field(service, 95, "timezone") == before
    unreadable = chat.texts(await chat.send(f"/settings {typed.replace('11:15', '25:61')}"))
    assert "25:61" in unreadable
    assert unreadable != say(lang, "common.settings.time_no_zone", text="25:61", utc="09:00")


@pytest.mark.parametrize(("lang", "typed", "clock_time"), [
    ("en", "time 10am", "10:00"), ("en", "3pm", "15:00"), ("en", "time 3 pm", "15:00"),
    ("en", "3:30pm", "15:30"), ("en", "time 12pm", "12:00"), ("en", "12am", "00:00"),
    ("de", "zeit 10 Uhr", "10:00"), ("de", "15 Uhr", "15:00"), ("de", "Uhrzeit 15.30 Uhr", "15:30"),
    ("de", "11am", "11:00")])
async def test_a_local_time_written_with_am_pm_or_uhr_names_the_zone(
    service: ConversationService, clock: FakeClock, lang: str, typed: str, clock_time: str
) -> None:
    """The same zone as the time written HH:MM (09:00 UTC now: "10am" is Berlin's clock)."""
    chat = Chat(service, user_id=97, language=lang)
    reply = chat.texts(await chat.send(f"/settings {typed}"))
    zone = zone_for_local_time(clock_time, clock.now)
    assert zone is not None
    assert await user_field(service, 97, "timezone") == zone
    assert reply == say(lang, "common.settings.timezone_set", timezone=zone, local_time=clock_time)
    bare = chat.texts(await chat.send("/settings 8"))  # a number alone says too little
    assert bare == say(lang, "common.settings.not_understood", text="8")


@pytest.mark.parametrize(("lang", "typed"), [
    ("en", "time 5pm"), ("en", "5 pm"), ("en", "time 17:30"), ("de", "17 Uhr"), ("de", "zeit 17:00"),
    ("de", "Uhrzeit 17.30 Uhr")])
async def test_a_round_or_half_hour_names_the_zone_whose_clock_is_nearest(
    service: ConversationService, clock: FakeClock, lang: str, typed: str
) -> None:
    """At 16:21 UTC in November Berlin's clock shows 17:21: "5pm" and "17:30" mean it (they
    were refused: no zone showed 5pm to the minute)."""
    clock.advance(hours=7, minutes=21)
    chat = Chat(service, user_id=98, language=lang)
    reply = chat.texts(await chat.send(f"/settings {typed}"))
    assert await user_field(service, 98, "timezone") == "Europe/Berlin"
    assert reply == say(lang, "common.settings.timezone_set", timezone="Europe/Berlin",
                        local_time="17:21")


GERMAN_EXAMPLES = sorted({found.group(1) for text in default_catalog().texts["de"].values()
                          if isinstance(text, str)
                          for found in re.finditer(r"<code>/settings ([^<{]+)</code>", text)})


def test_german_examples_write_the_settings_nouns_capitalised() -> None:
    """"/settings Zeitzone Europe/Berlin", as German writes the noun, not "zeitzone"."""
    assert len(GERMAN_EXAMPLES) > 5
    lower = re.compile(r"^(?:zeitzone|zeit|uhrzeit|ortszeit|sprache|ruhezeit|ruhezeiten|ruhe)\b")
    assert [example for example in GERMAN_EXAMPLES if lower.match(example)] == []


@pytest.mark.parametrize("example", GERMAN_EXAMPLES)
async def test_each_german_example_typed_as_shown_or_in_lower_case_is_understood(
    service: ConversationService, example: str
) -> None:
    chat = Chat(service, user_id=96, language="de")
    for typed in (example, example.lower()):
        reply = chat.texts(await chat.send(f"/settings {typed}"))  # a refusal shows an example
        assert "/settings" not in reply, typed
