"""A planned meeting is a moment agreed with the mentor: when the mentee's zone changes, it stays
at the same instant (a recurring one at its wall time in the zone it was agreed in), and its
agenda request and the mentor's brief stay planned from that instant, out of quiet hours as
always. Set before any zone was chosen, it is meant in the zone chosen after. Meetings planned
before the upgrade keep their person's zone (migration 0014)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from service.conversation import ConversationService
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.schedule import pending_items, rules_of
from tests.support.chat import Chat, rendered
from tests.support.clock import FakeClock
from tests.support.mentoring import pair, user_id

# The FakeClock starts on Saturday, 21 November 2026, 09:00 UTC (10:00 in Berlin).
LANGS = ["en", "de"]
ZONE = {"en": "/settings timezone {}", "de": "/settings zeitzone {}"}
TOMORROW = {"en": "/meeting tomorrow 14:40", "de": "/meeting morgen 14:40"}
MEETING = datetime(2026, 11, 22, 13, 40, tzinfo=UTC)  # Sunday 14:40 in Berlin


def at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


async def due(chat: Chat, kind: str) -> list[datetime]:
    """When the chat's person's pending items of this kind are due."""
    uid = await user_id(chat)
    async with chat.service.sessionmaker.begin() as session:
        return [item.due_at for item in await pending_items(session, uid, [kind])]


async def paired(service: ConversationService, lang: str) -> tuple[Chat, Chat]:
    """Maria mentors Ana; both in Berlin."""
    mentor = Chat(service, 2001, language=lang, name="Maria")
    mentee = Chat(service, 2002, language=lang, name="Ana")
    await pair(mentor, mentee)
    for chat in (mentor, mentee):
        await chat.send(ZONE[lang].format("Europe/Berlin"))
    return mentor, mentee


@pytest.mark.parametrize("lang", LANGS)
async def test_a_meeting_stays_at_its_moment_when_the_mentees_zone_changes(
        service: ConversationService, lang: str) -> None:
    """Tomorrow 14:40 in Berlin is 08:40 in New York: so it says there, and the agenda request
    (the day before, at the meeting's time) and the mentor's brief keep their instants."""
    mentor, mentee = await paired(service, lang)
    await mentee.send(TOMORROW[lang])
    request, brief = await due(mentee, "agenda_request"), await due(mentor, "meeting_brief")
    assert request == [at("Europe/Berlin", 2026, 11, 21, 14, 40)]
    assert brief == [at("Europe/Berlin", 2026, 11, 21, 18, 40)]  # 4 h after the request
    await mentee.send(ZONE[lang].format("America/New_York"))
    shown = (await mentee.send("/meeting")).messages[0].text
    assert shown == rendered(
        lang, "calendar.meeting.view", recurring=False, rhythm=None, paired=True,
        when={"en": "tomorrow at 08:40", "de": "morgen um 08:40 Uhr"}[lang],
        ask={"en": "today at 08:40", "de": "heute um 08:40 Uhr"}[lang])
    assert await due(mentee, "agenda_request") == request
    assert await due(mentor, "meeting_brief") == brief


@pytest.mark.parametrize("lang", LANGS)
async def test_the_agenda_request_and_brief_follow_the_moment_out_of_quiet_hours(
        service: ConversationService, lang: str) -> None:
    """In Tokyo the meeting is at 22:40: its request the evening before falls in the quiet hours
    (21:00-08:00) and comes at 08:00 the meeting's day; the brief follows it, at 08:00 Berlin
    time for the mentor (04:00 there is quiet too)."""
    mentor, mentee = await paired(service, lang)
    await mentee.send(TOMORROW[lang])
    await mentee.send(ZONE[lang].format("Asia/Tokyo"))
    assert await due(mentee, "agenda_request") == [at("Asia/Tokyo", 2026, 11, 22, 8)]
    assert await due(mentor, "meeting_brief") == [at("Europe/Berlin", 2026, 11, 22, 8)]
    shown = (await mentee.send("/meeting")).messages[0].text
    assert {"en": "tomorrow at 22:40", "de": "morgen um 22:40 Uhr"}[lang] in shown


@pytest.mark.parametrize("lang", LANGS)
async def test_a_recurring_meeting_keeps_the_wall_time_of_the_zone_it_was_agreed_in(
        service: ConversationService, lang: str) -> None:
    _mentor, mentee = await paired(service, lang)
    await mentee.send({"en": "/meeting every tuesday 17:00",
                       "de": "/meeting jeden Dienstag 17 Uhr"}[lang])
    await mentee.send(ZONE[lang].format("America/New_York"))
    shown = (await mentee.send("/meeting")).messages[0].text
    assert {"en": "Tuesday, 24 November 2026 at 11:00",
            "de": "Dienstag, 24. November 2026 um 11:00 Uhr"}[lang] in shown
    assert {"en": "every Tuesday at 17:00 in the Europe/Berlin time zone",
            "de": "jeden Dienstag um 17:00 Uhr in der Zeitzone Europe/Berlin"}[lang] in shown
    assert await due(mentee, "agenda_request") == [at("Europe/Berlin", 2026, 11, 23, 17)]


@pytest.mark.parametrize("lang", LANGS)
async def test_a_recurring_meeting_agreed_at_a_fixed_offset_names_it_as_people_write_it(
        service: ConversationService, lang: str) -> None:
    """Agreed in UTC+2 (kept as Etc/GMT-2, whose sign reads backwards), it says UTC+2."""
    _mentor, mentee = await paired(service, lang)
    await mentee.send(ZONE[lang].format("UTC+2"))
    await mentee.send({"en": "/meeting every tuesday 17:00",
                       "de": "/meeting jeden Dienstag 17 Uhr"}[lang])
    await mentee.send(ZONE[lang].format("Europe/Berlin"))
    shown = (await mentee.send("/meeting")).messages[0].text
    assert {"en": "every Tuesday at 17:00 in the UTC+2 time zone",
            "de": "jeden Dienstag um 17:00 Uhr in der Zeitzone UTC+2"}[lang] in shown
    assert "Etc/GMT" not in shown


@pytest.mark.parametrize("lang", LANGS)
async def test_a_meeting_set_before_a_zone_was_chosen_is_meant_in_the_zone_chosen(
        service: ConversationService, lang: str) -> None:
    mentee = Chat(service, 2002, language=lang)
    await mentee.send(TOMORROW[lang])  # no zone chosen yet
    await mentee.send(ZONE[lang].format("Europe/Berlin"))
    shown = (await mentee.send("/meeting")).messages[0].text
    assert {"en": "tomorrow at 14:40", "de": "morgen um 14:40 Uhr"}[lang] in shown
    assert await due(mentee, "agenda_request") == [at("Europe/Berlin", 2026, 11, 21, 14, 40)]


async def test_meetings_planned_before_the_upgrade_keep_their_persons_zone(
        empty_database_url: str) -> None:
    """Migration 0014 gives each meeting rule its person's zone; someone who never chose one
    (UTC) keeps a meeting meant in the zone they will choose."""
    engine = create_engine(empty_database_url)
    now = FakeClock()()
    try:
        await migrate.upgrade(engine, "0013")
        async with engine.begin() as connection:
            for uid, zone in ((1, "Europe/Berlin"), (2, "UTC")):
                await connection.execute(text(
                    "INSERT INTO users (id, telegram_id, language, timezone, role, stage, "
                    "share_by_default, created_at, updated_at) VALUES "
                    "(:id, :tg, 'en', :zone, 'mentee', 'maturing', false, :now, :now)"),
                    {"id": uid, "tg": 70 + uid, "zone": zone, "now": now})
                await connection.execute(text(
                    "INSERT INTO schedules (user_id, kind, rule, created_at, updated_at) VALUES "
                    "(:id, 'meeting', :rule, :now, :now)"),
                    {"id": uid, "rule": '{"once": "2026-11-22T14:40"}', "now": now})
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            assert (await rules_of(session, 1))["meeting"] == {"once": "2026-11-22T14:40",
                                                                "zone": "Europe/Berlin"}
            assert (await rules_of(session, 2))["meeting"] == {"once": "2026-11-22T14:40"}
    finally:
        await engine.dispose()
