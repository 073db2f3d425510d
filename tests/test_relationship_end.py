"""One end for a relationship, one count of check-ins (a walk through "Frühling 2027").

The end: the programme's length counts calendar months ("6mo" from 1 December ends on 1 June,
not 180 days later) until the mentee's agreement names a date; from then on that date is the end
for the mentor's /mentees, the mentor's reflection, the programme's figures, CSV and report, and
both people's exports. The count: the check-ins the mentees of open pairs completed in the last
four weeks, the same in /stats (en, de), `coachbot stats`, the CSV and the report, the mentor's own
check-in left out. On a SQLite file and on PostgreSQL, with the clock moved by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cohort_cli import describe, stage_names
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.programmes.defaults import ProgrammeDefaults
from service.programmes.invites import programme_invite
from service.programmes.pairs import pair as pair_members
from service.programmes.report import report_page
from service.programmes.report_data import report_data
from service.programmes.stats import programme_stats, to_csv
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.pairings import create_pairing, pairing_of_mentee, set_pairing_status
from storage.programmes import ProgrammeRecord, create_programme, grant
from storage.rows import PAIRINGS
from storage.schedule import pending_items
from storage.users import create_user, get_user, update_user
from storage.vocabulary import PairingStatus, Role
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.cohort import member, one_pass, pair, programme, seed_answer
from tests.test_mentee_method import swapped
from tests.test_transcripts import transcript, walk

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Berlin
MENTOR, MENTEE, COORDINATOR = 101, 202, 303
AGREED = date(2027, 3, 31)


async def fruehling(service: ConversationService) -> ProgrammeRecord:
    """`coachbot programme create "Frühling 2027" --length 6mo --lang de --timezone Europe/Berlin`."""
    now = service.clock()
    defaults = ProgrammeDefaults.parse(today=now.date(), length="6mo", language="de",
                                       timezone="Europe/Berlin")
    async with service.sessionmaker.begin() as session:
        made = await create_programme(session, "Frühling 2027", defaults.to_json(), {}, now)
        assert made is not None
        await grant(session, made.id, COORDINATOR, now)
    return made


async def joined(service: ConversationService, made: ProgrammeRecord, role: Role,
                 telegram_id: int, name: str) -> Chat:
    """Someone who joined by the programme's invite link."""
    async with service.sessionmaker.begin() as session:
        invite = await programme_invite(session, made, role, uses=1, valid_for=timedelta(days=14),
                                        created_by=None, now=service.clock())
    chat = Chat(service, user_id=telegram_id, name=name, language="de")
    await chat.send(f"/start {invite.token}")
    return chat


async def agree(service: ConversationService, mentee: Chat, ends: str) -> None:
    """The mentee's agreement, to the end, naming `ends` as the planned end."""
    turns = swapped(transcript("agreement")["turns"], {"en": "end of June", "de": "Ende Juni"},
                    {"en": ends, "de": ends})
    await walk(service, mentee, "agreement", "de", turns)


async def planned_reflections(service: ConversationService) -> list[tuple[datetime, Any]]:
    """The mentor's pending reflections: when, and for which end."""
    async with service.sessionmaker.begin() as session:
        mentor = await get_user(session, MENTOR)
        assert mentor is not None
        items = await pending_items(session, mentor.id, ["mentor_reflection"])
    return [(item.due_at, item.payload["ends"]) for item in items]


async def csv_ends(service: ConversationService, made: ProgrammeRecord) -> str:
    async with service.sessionmaker.begin() as session:
        figures = await programme_stats(session, made, service.clock())
    [row] = csv.DictReader(io.StringIO(to_csv(figures)))
    return row["ends_on"]


async def exported(chat: Chat) -> tuple[dict[str, Any], str]:
    """The person's /export: the JSON data and the page."""
    response = await chat.send("/export")
    json_file, page = (message.document for message in response.messages)
    assert json_file is not None
    assert page is not None
    return json.loads(json_file.content), page.content.decode()


async def test_the_agreements_end_is_the_relationships_end_everywhere(
        service: ConversationService, clock: FakeClock) -> None:
    clock.now = START
    made = await fruehling(service)
    mentor = await joined(service, made, Role.MENTOR, MENTOR, "Max Keller")
    mentee = await joined(service, made, Role.MENTEE, MENTEE, "Ana Lima")
    async with service.sessionmaker.begin() as session:  # coachbot pair "Frühling 2027" 101 202
        await pair_members(session, made, MENTOR, MENTEE, clock())
    await one_pass(service)  # the running bot introduces them

    # Before the agreement: six calendar months from 1 December, 1 June 2027 (182 days).
    assert "182 Tage bis zum geplanten Ende" in mentor.texts(await mentor.send("/mentees"))
    assert await csv_ends(service, made) == "2027-06-01"
    assert await planned_reflections(service) == [(datetime(2027, 5, 25, 8, 0, tzinfo=UTC),
                                                   "2027-06-01")]

    await agree(service, mentee, "31.03.2027")

    async with service.sessionmaker.begin() as session:
        ana = await get_user(session, MENTEE)
        assert ana is not None
        assert ana.relationship_ends_on == AGREED
    text = mentor.texts(await mentor.send("/mentees"))
    assert "120 Tage bis zum geplanten Ende" in text
    assert "182 Tage" not in text
    assert await csv_ends(service, made) == "2027-03-31"
    # A week before the new end, 10:00 in Berlin; the one for 1 June is gone.
    assert await planned_reflections(service) == [(datetime(2027, 3, 24, 9, 0, tzinfo=UTC),
                                                   "2027-03-31")]
    for chat in (mentor, mentee):
        data, page = await exported(chat)
        assert [p["ends_on"] for p in data["pairings"]] == ["2027-03-31"]
        assert "geplant bis 31. März 2027" in page
        assert "2027-06-01" not in json.dumps(data)
        assert "1. Juni 2027" not in page

    clock.now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    assert "21 Tage bis zum geplanten Ende" in mentor.texts(await mentor.send("/mentees"))
    async with service.sessionmaker.begin() as session:
        figures = await programme_stats(session, made, clock())
        report = await report_data(session, made, clock())
    assert "  2027-03-31: Max & Ana" in describe(figures, stage_names("de"))  # coachbot stats
    assert [(e.ends_on, e.mentor, e.mentee) for e in report.endings] == [(AGREED, "Max", "Ana")]
    coordinator = Chat(service, user_id=COORDINATOR, name="Cora", language="de")
    assert "31. März 2027: Max & Ana" in coordinator.texts(await coordinator.send("/stats"))


async def test_six_months_are_calendar_months_and_a_year_a_calendar_year() -> None:
    def ends(length: str, started: date) -> date | None:
        return ProgrammeDefaults.parse(today=started, length=length).ends_on(started)

    assert ends("6mo", date(2026, 12, 1)) == date(2027, 6, 1)
    assert ends("6mo", date(2026, 8, 31)) == date(2027, 2, 28)  # the month's last day
    assert ends("1y", date(2028, 2, 29)) == date(2029, 2, 28)
    assert ends("26w", date(2026, 12, 1)) == date(2027, 6, 1)
    assert ends("180d", date(2026, 12, 1)) == date(2027, 5, 30)
    # A programme made before kept its length in days: it still reads.
    assert ProgrammeDefaults.of({"length_days": 180}).ends_on(date(2026, 12, 1)) == date(2027, 5, 30)


async def test_the_upgrade_brings_open_pairings_in_line_with_the_agreement(
        empty_database_url: str) -> None:
    """A pairing made before its mentee's agreement named an end kept the programme's date: the
    upgrade gives it the agreement's. An ended pairing, and an agreement's date from before a
    pairing started (an earlier relationship's), change nothing."""
    engine = create_engine(empty_database_url)
    now = START
    try:
        await migrate.upgrade(engine, "0012")
        async with create_sessionmaker(engine).begin() as session:
            ids = {}
            for telegram_id, role in ((1, Role.MENTOR), (2, Role.MENTEE), (3, Role.MENTEE),
                                      (4, Role.MENTEE)):
                user, _ = await create_user(session, telegram_id, name=f"P{telegram_id}",
                                            language="de", timezone="Europe/Berlin", now=now,
                                            role=role)
                ids[telegram_id] = user.id
            for telegram_id, ends in ((2, date(2027, 5, 30)), (3, date(2027, 5, 30)),
                                      (4, date(2027, 5, 30))):
                await create_pairing(session, ids[1], ids[telegram_id], today=now.date(),
                                     ends_on=ends, now=now)
            ended = await pairing_of_mentee(session, ids[3])
            assert ended is not None
            await set_pairing_status(session, ended.id, PairingStatus.ENDED, now)
            for telegram_id, agreed in ((2, AGREED), (3, AGREED), (4, date(2026, 6, 30))):
                await update_user(session, ids[telegram_id], now, relationship_ends_on=agreed)
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            open_one = await pairing_of_mentee(session, ids[2])
            earlier = await pairing_of_mentee(session, ids[4])
            assert open_one is not None
            assert earlier is not None
            assert open_one.ends_on == AGREED
            assert earlier.ends_on == date(2027, 5, 30)
            kept = await session.scalar(select(PAIRINGS.c.ends_on).where(
                PAIRINGS.c.id == ended.id))
        assert kept == date(2027, 5, 30)
    finally:
        await engine.dispose()


async def test_check_ins_count_the_same_in_stats_the_cli_the_csv_and_the_report(
        engine: AsyncEngine, clock: FakeClock) -> None:
    """Ana (paired with Max) did one check-in, Max his own mentor check-in: one check-in, in every
    place a coordinator reads it, and the CSV's column sums to it."""
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock)
    made = await programme(service, "Spring", coordinators=(COORDINATOR,))
    max_ = await member(service, MENTOR, "Max Keller", "Europe/Berlin", made.id, role=Role.MENTOR)
    ana = await member(service, MENTEE, "Ana Lima", "Europe/Berlin", made.id)
    await pair(service, max_, ana, made.id, clock().date())
    clock.advance(days=3)
    await seed_answer(service, ana, "Ana's own check-in")
    await seed_answer(service, max_, "Max's capacity", dialog="mentor_checkin", step="capacity")
    async with service.sessionmaker.begin() as session:
        figures = await programme_stats(session, made, clock())
        report = await report_data(session, made, clock())
    rows = list(csv.DictReader(io.StringIO(to_csv(figures))))
    assert [row["mentee_checkins_done_4w"] for row in rows] == ["1"]
    assert figures.completed == report.completed == 1
    assert ("check-ins completed by paired mentees in the last 4 weeks (invited or on their "
            "own): 1\n") in describe(figures, stage_names("en"))
    pages = {lang: report_page(report, default_catalog(), lang) for lang in ("en", "de")}
    assert "<b>1</b>check-ins completed by paired mentees (last 4 weeks" in pages["en"]
    assert "<b>1</b>abgeschlossene Check-ins der Mentees in Tandems (letzte 4 Wochen" in pages["de"]
    coordinator = Chat(service, user_id=COORDINATOR, name="Cora")
    assert ("Check-ins completed by paired mentees in the last 4 weeks (invited or on their own): "
            "1\n") in coordinator.texts(await coordinator.send("/stats"))
    await coordinator.send("/settings language de")
    assert ("Abgeschlossene Check-ins der Mentees in Tandems, letzte 4 Wochen (eingeladen oder aus "
            "eigenem Antrieb): 1\n") in coordinator.texts(await coordinator.send("/stats"))
