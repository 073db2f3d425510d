"""Time zones named as people write places (service.timezones.zone_named, common.settings.places):
"Wien", "München", "Schweiz", "Munich", "UK", any case, accents or ae/oe/ue, wherever a zone is
taken: /settings and the check-ins' time zone question, en and de; the confirmation names the
IANA zone chosen."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from prompts.catalog import default_catalog, spellings
from service.conversation import ConversationService
from service.timezones import (
    PLACES,
    parse_timezone,
    places,
    zone_for_city,
    zone_label,
    zone_named,
)
from storage.users import get_user
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock

NAMED = [
    # German names of cities and countries
    ("Wien", "Europe/Vienna"), ("München", "Europe/Berlin"), ("Zürich", "Europe/Zurich"),
    ("Köln", "Europe/Berlin"), ("Rom", "Europe/Rome"), ("Prag", "Europe/Prague"),
    ("Warschau", "Europe/Warsaw"), ("Deutschland", "Europe/Berlin"),
    ("Österreich", "Europe/Vienna"), ("Schweiz", "Europe/Zurich"),
    # English ones
    ("Munich", "Europe/Berlin"), ("Germany", "Europe/Berlin"), ("Austria", "Europe/Vienna"),
    ("Switzerland", "Europe/Zurich"), ("UK", "Europe/London"), ("England", "Europe/London"),
    ("Japan", "Asia/Tokyo"), ("Poland", "Europe/Warsaw"),  # not the tz database's old "Japan"
    # umlauts written out or left off, any case, spaces around, joining marks
    ("Muenchen", "Europe/Berlin"), ("Zuerich", "Europe/Zurich"), ("Koeln", "Europe/Berlin"),
    ("OESTERREICH", "Europe/Vienna"), ("munchen", "Europe/Berlin"), ("  wien  ", "Europe/Vienna"),
    ("neu delhi", "Asia/Kolkata"), ("Neu-Delhi", "Asia/Kolkata"), ("São Paulo", "America/Sao_Paulo"),
    # what worked before still does
    ("Europe/Vienna", "Europe/Vienna"), ("europe/vienna", "Europe/Vienna"), ("london", "Europe/London"),
    ("New York", "America/New_York"), ("utc", "UTC"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "zone"), NAMED)
def test_a_place_names_its_zone(typed: str, zone: str) -> None:
    assert zone_named(typed, default_catalog()) == zone


#: Offsets as people write them (east of UTC is "+") → the tz database's zone, whose sign is
#: the other way round (POSIX): Etc/GMT-2 is two hours ahead.
OFFSETS = [("UTC+2", "Etc/GMT-2"), ("GMT+1", "Etc/GMT-1"), ("UTC-5", "Etc/GMT+5"),
           ("+02:00", "Etc/GMT-2"), ("utc +10", "Etc/GMT-10"), ("GMT\u22123", "Etc/GMT+3"),
           ("-0500", "Etc/GMT+5"), ("UTC+14", "Etc/GMT-14"), ("UTC-12", "Etc/GMT+12"),
           ("UTC+0", "UTC"), ("Etc/GMT-2", "Etc/GMT-2")]  # the IANA name keeps its own sign


@pytest.mark.parametrize(("typed", "zone"), OFFSETS)
def test_a_fixed_offset_names_the_etc_zone_of_that_offset(typed: str, zone: str) -> None:
    assert zone_named(typed, default_catalog()) == zone
    assert parse_timezone(typed) == zone


def test_a_fixed_offset_is_shown_as_people_write_it() -> None:
    assert [zone_label(zone) for zone in ("Etc/GMT-2", "Etc/GMT+5", "Etc/GMT-14", "UTC",
                                          "Europe/Berlin")] == [
        "UTC+2", "UTC-5", "UTC+14", "UTC", "Europe/Berlin"]


@pytest.mark.parametrize("typed", ["USA", "Atlantis", "", "   ", "Europe", "wien wien",
                                   "{{ 7*7 }}", "Wien" * 40, "+05:30", "UTC+15", "UTC-13", "UTC+"])
def test_no_zone_is_guessed(typed: str) -> None:
    """A country with several zones (USA) is no zone: the answer asks for a city instead."""
    assert zone_named(typed, default_catalog()) is None


def test_every_place_list_names_a_zone_and_no_name_two() -> None:
    """A list under a name that is no zone would be silently left out; a name (in any spelling,
    in any language) given to two zones, or to a zone other than the one its city names, would
    make what is chosen depend on the order of the files."""
    catalog = default_catalog()
    prefix = PLACES + "."
    seen: dict[str, str] = {}
    for lang, texts in catalog.texts.items():
        lists = {key.removeprefix(prefix): names for key, names in texts.items()
                 if key.startswith(prefix)}
        assert len(lists) > 40, lang
        for zone, names in lists.items():
            assert parse_timezone(zone) == zone, (lang, zone)
            assert "/" in zone, (lang, zone)
            for name in names:
                assert zone_named(str(name), catalog) == zone, (lang, name)
                assert zone_for_city(str(name)) in (None, zone), (lang, name)
                for form in spellings(str(name)):
                    assert seen.setdefault(form, zone) == zone, (lang, name)
    assert places(catalog) == seen


async def zone_of(service: ConversationService, telegram_id: int) -> str:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, telegram_id)
    assert user is not None
    return user.timezone


@pytest.mark.parametrize(("lang", "typed", "zone"), [
    ("de", "Wien", "Europe/Vienna"), ("de", "Zeitzone Muenchen", "Europe/Berlin"),
    ("de", "zeitzone Schweiz", "Europe/Zurich"), ("de", "Rom", "Europe/Rome"),
    ("en", "Munich", "Europe/Berlin"), ("en", "timezone UK", "Europe/London"),
    ("en", "time zone Austria", "Europe/Vienna"), ("en", "England", "Europe/London")])
async def test_settings_take_a_place_and_name_the_zone_chosen(
        service: ConversationService, clock: FakeClock, lang: str, typed: str, zone: str) -> None:
    chat = Chat(service, user_id=95, language=lang)
    reply = chat.texts(await chat.send(f"/settings {typed}"))
    assert await zone_of(service, 95) == zone
    local = clock.now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    assert reply == shown(lang, "common.settings.timezone_set", timezone=zone, local_time=local)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_country_of_several_zones_gets_asked_for_a_city(service: ConversationService,
                                                                lang: str) -> None:
    chat = Chat(service, user_id=96, language=lang)
    reply = chat.texts(await chat.send("/settings timezone USA"))
    assert reply == shown(lang, "common.settings.timezone_unknown", text="USA")
    assert ("your city" if lang == "en" else "deine Stadt") in reply
    assert await zone_of(service, 96) == "UTC"


@pytest.mark.parametrize(("lang", "typed", "zone"), [
    ("de", "Wien", "Europe/Vienna"), ("de", "Muenchen", "Europe/Berlin"),
    ("de", "Österreich", "Europe/Vienna"), ("en", "Munich", "Europe/Berlin"),
    ("en", "UK", "Europe/London"), ("en", "Europe/Zurich", "Europe/Zurich"),
    ("en", "10:00", "Europe/Berlin"),  # a time, as before: 09:00 UTC is 10:00 in Berlin
])
async def test_the_time_zone_question_takes_a_place_typed(
        service: ConversationService, lang: str, typed: str, zone: str) -> None:
    chat = Chat(service, user_id=97, language=lang)
    said = chat.texts(await chat.send("/checkins mo,do 08:15" if lang == "de" else
                                      "/checkins mon,thu 08:15"))
    assert shown(lang, "checkins.zone_question") in said  # they never chose a zone
    reply = chat.texts(await chat.send(typed))
    assert await zone_of(service, 97) == zone
    assert reply.startswith(shown(lang, "checkins.zone_set", zone=zone, next=None))
    assert zone in reply


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_text_at_the_time_zone_question_that_names_none_asks_again(
        service: ConversationService, lang: str) -> None:
    chat = Chat(service, user_id=98, language=lang)
    await chat.send("/checkins daily 18:30" if lang == "en" else "/checkins täglich 18:30")
    buttons = [b.label for b in chat.buttons]
    reply = chat.texts(await chat.send("USA"))
    assert reply == "\n".join((shown(lang, "checkins.typed.zone", text="USA"),
                               shown(lang, "checkins.zone_question")))
    assert [b.label for b in chat.buttons] == buttons
    assert await zone_of(service, 98) == "UTC"
    await chat.press(shown(lang, "checkins.buttons.clock", at="10:00"))  # Berlin's clock
    assert await zone_of(service, 98) == "Europe/Berlin"


@pytest.mark.parametrize(("lang", "typed", "zone", "shown_as"), [
    ("en", "UTC+2", "Etc/GMT-2", "UTC+2"), ("en", "timezone GMT-5", "Etc/GMT+5", "UTC-5"),
    ("de", "Zeitzone GMT+1", "Etc/GMT-1", "UTC+1"), ("de", "+02:00", "Etc/GMT-2", "UTC+2")])
async def test_settings_take_a_fixed_offset_and_say_it_keeps_no_summer_time(
        service: ConversationService, clock: FakeClock, lang: str, typed: str, zone: str,
        shown_as: str) -> None:
    chat = Chat(service, user_id=99, language=lang)
    reply = chat.texts(await chat.send(f"/settings {typed}"))
    assert await zone_of(service, 99) == zone
    local = clock.now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    assert reply == shown(lang, "common.settings.timezone_set", timezone=shown_as,
                          local_time=local, fixed=True)
    assert {"en": "summer time", "de": "Sommerzeit"}[lang] in reply
    assert "/settings Berlin" in reply
    assert f"{shown_as} (" in chat.texts(await chat.send("/settings"))
    city = chat.texts(await chat.send("/settings Berlin"))  # a city: no such note
    assert city == shown(lang, "common.settings.timezone_set", timezone="Europe/Berlin",
                         local_time="10:00")


@pytest.mark.parametrize(("lang", "typed"), [("en", "UTC-5"), ("de", "GMT-5")])
async def test_the_time_zone_question_takes_a_fixed_offset(
        service: ConversationService, lang: str, typed: str) -> None:
    chat = Chat(service, user_id=100, language=lang)
    await chat.send("/checkins mon,thu 08:15" if lang == "en" else "/checkins mo,do 08:15")
    reply = chat.texts(await chat.send(typed))
    assert await zone_of(service, 100) == "Etc/GMT+5"
    assert reply.startswith(shown(lang, "checkins.zone_set", zone="UTC-5", fixed=True, next=None))
    assert {"en": "summer time", "de": "Sommerzeit"}[lang] in reply
