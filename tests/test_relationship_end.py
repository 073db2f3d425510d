"""One end for a relationship, one count of check-ins (a walk through "Frühling 2027").

The end: the programme's length counts calendar months ("6mo" from 1 December ends on 1 June,
not 180 days later) until the mentee's agreement names a date; from then on that date is the end
for the mentor's /mentees, the mentor's reflection, the mentee's ending reminders, the programme's
figures, CSV and report, and both people's exports. Once the pair ends, only the mentee's own
agreement still plans their ending. The count: the check-ins the mentees of open pairs completed in the last
four weeks, the same in /stats (en, de), `coachbot stats`, the CSV and the report, the mentor's own
check-in left out. On a SQLite file and on PostgreSQL, with the clock moved by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cohort_cli import describe
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.programmes.defaults import ProgrammeDefaults
from service.programmes.invites import programme_invite
from service.programmes.pairs import pair as pair_members
from service.programmes.pairs import unpair
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
from tests.support.chat import Chat, rendered, shown
from tests.support.clock import FakeClock
from tests.support.cohort import member, one_pass, pair, programme, seed_answer
from tests.test_export_pairings import exported
from tests.test_mentee_method import swapped
from tests.test_transcripts import transcript, walk

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Berlin
MENTOR, MENTEE, COORDINATOR = 101, 202, 303
AGREED = date(2027, 3, 31)
LADDER = ("ending_notice", "reflection_invite", "reflection_day", "reflection_reminder")
# 1 June 2027 (six months from 1 December) and its ladder, 10:00 in Berlin (summer time).
BY_LENGTH = "2027-06-01"
NOTICE_AT, INVITE_AT, DAY_AT, REMINDER_AT = (datetime(2027, month, day, 8, 0, tzinfo=UTC)
                                             for month, day in ((5, 4), (5, 25), (6, 1), (6, 8)))


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


async def planned_ladder(service: ConversationService) -> list[tuple[str, datetime, Any]]:
    """The mentee's pending ending reminders: which, when, and for which end."""
    async with service.sessionmaker.begin() as session:
        mentee = await get_user(session, MENTEE)
        assert mentee is not None
        items = await pending_items(session, mentee.id, LADDER)
    return [(item.kind, item.due_at, item.payload["ends"]) for item in items]


async def at(service: ConversationService, clock: FakeClock, moment: datetime) -> dict[int, str]:
    """The clock moved to `moment` and the dispatcher run: what each person got, by Telegram id."""
    clock.now = moment
    got: dict[int, str] = {}
    for delivery in await one_pass(service):
        got[delivery.recipient] = got.get(delivery.recipient, "") + "\n".join(
            message.text for message in delivery.messages)
    return got


async def paired_in_fruehling(service: ConversationService,
                              clock: FakeClock) -> tuple[ProgrammeRecord, Chat, Chat]:
    """Max and Ana joined "Frühling 2027" (6 months) and were paired on 1 December; the running
    bot introduced them."""
    clock.now = START
    made = await fruehling(service)
    mentor = await joined(service, made, Role.MENTOR, MENTOR, "Max Keller")
    mentee = await joined(service, made, Role.MENTEE, MENTEE, "Ana Lima")
    async with service.sessionmaker.begin() as session:  # coachbot pair "Frühling 2027" 101 202
        await pair_members(session, made, MENTOR, MENTEE, clock())
    await one_pass(service)
    return made, mentor, mentee


async def csv_ends(service: ConversationService, made: ProgrammeRecord) -> str:
    async with service.sessionmaker.begin() as session:
        figures = await programme_stats(session, made, service.clock())
    [row] = csv.DictReader(io.StringIO(to_csv(figures)))
    return row["ends_on"]


async def test_the_agreements_end_is_the_relationships_end_everywhere(
        service: ConversationService, clock: FakeClock) -> None:
    made, mentor, mentee = await paired_in_fruehling(service, clock)

    # Before the agreement: six calendar months from 1 December, 1 June 2027 (182 days).
    assert "182 Tage bis zum geplanten Ende" in mentor.texts(await mentor.send("/mentees"))
    assert await csv_ends(service, made) == "2027-06-01"
    assert await planned_reflections(service) == [(datetime(2027, 5, 25, 8, 0, tzinfo=UTC),
                                                   "2027-06-01")]
    assert [ends for _, _, ends in await planned_ladder(service)] == [BY_LENGTH] * 4

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
    # Ana's reminders too: the week before is the same moment as Max's reflection.
    assert [(kind, due) for kind, due, ends in await planned_ladder(service)
            if ends == "2027-03-31"][1] == ("reflection_invite",
                                            datetime(2027, 3, 24, 9, 0, tzinfo=UTC))
    assert {ends for _, _, ends in await planned_ladder(service)} == {"2027-03-31"}
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
    assert "  2027-03-31: Max & Ana" in describe(figures, "de")  # coachbot stats
    assert [(e.ends_on, e.mentor, e.mentee) for e in report.endings] == [(AGREED, "Max", "Ana")]
    coordinator = Chat(service, user_id=COORDINATOR, name="Cora", language="de")
    assert "31. März 2027: Max & Ana" in coordinator.texts(await coordinator.send("/stats"))


async def test_a_programmes_end_brings_the_mentee_the_ending_without_an_agreement(
        service: ConversationService, clock: FakeClock) -> None:
    """Ana never named an end: the programme's 1 June is her end as it is Max's. Four weeks
    before she hears of it and her journey lets her move on from her recurring stage, the week
    before she is invited to the reflection at the moment Max is invited to his, on the day her
    reflection begins as the end of her mentoring."""
    _, _, mentee = await paired_in_fruehling(service, clock)
    assert await planned_ladder(service) == [(kind, due, BY_LENGTH) for kind, due in zip(
        LADDER, (NOTICE_AT, INVITE_AT, DAY_AT, REMINDER_AT), strict=True)]
    async with service.sessionmaker.begin() as session:
        ana = await get_user(session, MENTEE)
        assert ana is not None
        await update_user(session, ana.id, clock(), stage="maturing")
    all_done = shown("de", "common.journey.all_done")
    assert all_done not in mentee.texts(await mentee.send("/journey"))

    got = await at(service, clock, NOTICE_AT)
    assert rendered("de", "calendar.ending.notice", ends=BY_LENGTH) in got[MENTEE]
    assert "1. Juni 2027" in got[MENTEE]
    assert all_done in mentee.texts(await mentee.send("/journey"))
    got = await at(service, clock, INVITE_AT)
    assert rendered("de", "calendar.ending.invite", ends=BY_LENGTH) in got[MENTEE]
    assert rendered("de", "mentor_checkins.reflection", name="Max", ends=BY_LENGTH) in got[MENTOR]
    got = await at(service, clock, DAY_AT)
    assert rendered("de", "calendar.ending.day") in got[MENTEE]
    assert "Dein Mentoring geht zu Ende, Ana." in got[MENTEE]  # the reflection knows the end
    got = await at(service, clock, REMINDER_AT)
    assert rendered("de", "calendar.ending.reminder") in got[MENTEE]


async def test_when_the_coordinator_ends_the_pair_the_programmes_ending_stops(
        service: ConversationService, clock: FakeClock) -> None:
    """`coachbot unpair` in March: Ana's reminders for the programme's end are gone, Max's
    reflection too; nothing about 1 June comes."""
    made, _, _ = await paired_in_fruehling(service, clock)
    assert len(await planned_ladder(service)) == 4
    clock.now = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    async with service.sessionmaker.begin() as session:  # coachbot unpair "Frühling 2027" 202
        await unpair(session, made, MENTEE, clock())
    await one_pass(service)  # both are told

    assert await planned_ladder(service) == []
    assert await planned_reflections(service) == []
    for moment in (NOTICE_AT, INVITE_AT, DAY_AT):
        got = await at(service, clock, moment)
        assert BY_LENGTH not in "".join(got.values())
        assert "1. Juni 2027" not in "".join(got.values())
        assert "Heute ist das geplante Ende" not in got.get(MENTEE, "")


async def test_an_unpair_as_the_notice_comes_due_sends_the_end_of_the_pair_not_the_notice(
        service: ConversationService, clock: FakeClock) -> None:
    """The coordinator ends the pair at the very moment the four weeks' notice is due: Ana hears
    that the pair ended, and no notice of an end that is no longer hers."""
    made, _, _ = await paired_in_fruehling(service, clock)
    assert (await planned_ladder(service))[0] == ("ending_notice", NOTICE_AT, BY_LENGTH)
    clock.now = NOTICE_AT
    async with service.sessionmaker.begin() as session:
        await unpair(session, made, MENTEE, clock())
    got = await at(service, clock, NOTICE_AT)
    assert "Frühling 2027" in got[MENTEE]  # the note that the pair ended
    assert rendered("de", "calendar.ending.notice", ends=BY_LENGTH) not in got[MENTEE]
    assert await planned_ladder(service) == []


async def test_the_mentees_own_agreement_keeps_her_ending_after_the_pair_ends(
        service: ConversationService, clock: FakeClock) -> None:
    """Ana's agreement named 31 March; Max ends the pair from /settings in February: her
    reminders for 31 March stay (it is her own date), and Max's reflection for it is gone."""
    _, mentor, mentee = await paired_in_fruehling(service, clock)
    await agree(service, mentee, "31.03.2027")
    clock.now = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    await mentor.send("/settings")
    await mentor.press("Verbindung mit")
    await mentor.press("Ja, beenden")

    assert {ends for _, _, ends in await planned_ladder(service)} == {"2027-03-31"}
    assert await planned_reflections(service) == []
    got = await at(service, clock, datetime(2027, 3, 3, 9, 0, tzinfo=UTC))  # four weeks before
    assert rendered("de", "calendar.ending.notice", ends="2027-03-31") in got[MENTEE]
    got = await at(service, clock, datetime(2027, 3, 24, 9, 0, tzinfo=UTC))
    assert rendered("de", "calendar.ending.invite", ends="2027-03-31") in got[MENTEE]
    assert MENTOR not in got


@pytest.mark.parametrize("ender", ["mentor", "mentee"])
async def test_when_either_ends_the_pair_in_the_bot_the_programmes_ending_is_gone_at_once(
        service: ConversationService, clock: FakeClock, ender: str) -> None:
    """No agreement: Max (or Ana) ends the pair from /settings; Ana's reminders for 1 June and
    Max's reflection are cancelled then and there (not left pending until each is due), and none
    comes."""
    _, mentor, mentee = await paired_in_fruehling(service, clock)
    clock.now = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    chat = mentor if ender == "mentor" else mentee
    await chat.send("/settings")
    await chat.press("Verbindung mit")
    await chat.press("Ja, beenden")
    assert await planned_ladder(service) == []
    assert await planned_reflections(service) == []
    got = await at(service, clock, NOTICE_AT)
    assert MENTEE not in got


async def test_a_mentor_who_erases_their_data_takes_the_programmes_ending_with_them(
        service: ConversationService, clock: FakeClock) -> None:
    """Max erases everything (/delete): the pair is gone with him, and so are Ana's reminders
    for its end."""
    _, mentor, _ = await paired_in_fruehling(service, clock)
    clock.now = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    await mentor.send("/delete")
    await mentor.press("Ja, alles löschen")
    assert await planned_ladder(service) == []
    assert MENTEE not in await at(service, clock, NOTICE_AT)


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
            "own): 1\n") in describe(figures, "en")
    pages = {lang: report_page(report, default_catalog(), lang) for lang in ("en", "de")}
    assert "<b>1</b>check-ins completed by paired mentees (last 4 weeks" in pages["en"]
    assert "<b>1</b>abgeschlossene Check-ins der Mentees in Tandems (letzte 4 Wochen" in pages["de"]
    coordinator = Chat(service, user_id=COORDINATOR, name="Cora")
    assert ("Check-ins completed by paired mentees in the last 4 weeks (invited or on their own): "
            "1\n") in coordinator.texts(await coordinator.send("/stats"))
    await coordinator.send("/settings language de")
    assert ("Abgeschlossene Check-ins der Mentees in Tandems, letzte 4 Wochen (eingeladen oder aus "
            "eigenem Antrieb): 1\n") in coordinator.texts(await coordinator.send("/stats"))


# The agreement's question about the end, for a mentee whose programme gives one.
PROGRAMME_ENDS = {"en": "The programme ends on 1 June 2027", "de": "Das Programm endet am 1. Juni 2027"}
KEEP_PROGRAMME_END = {"en": "Keep 1 June 2027", "de": "1. Juni 2027 behalten"}
KEPT = {"en": "Tuesday, 1 June 2027 stays the planned end for you and Max. Nothing changes.",
        "de": "Dienstag, 1. Juni 2027 bleibt das geplante Ende, für dich und Max. Es ändert sich "
              "nichts."}
CHANGED = {"en": ("Wednesday, 31 March 2027, instead of 1 June 2027. Once you save the agreement",
                  "for both of you: your pairing with Max ends on that day, and Max sees the new "
                  "date", "four weeks before and again one week before"),
           "de": ("Mittwoch, 31. März 2027 statt 1. Juni 2027. Sobald du die Vereinbarung "
                  "speicherst", "für euch beide: Eure Verbindung endet dann, und Max sieht das "
                  "neue Datum", "vier Wochen vorher und noch einmal eine Woche vorher")}
AFTER_PROGRAMME = {"en": "that's after the programme's end on 1 June 2027",
                   "de": "Das liegt nach dem Ende des Programms am 1. Juni 2027"}


async def at_the_end_question(service: ConversationService, mentee: Chat,
                              lang: str) -> list[dict[str, Any]]:
    """Ana (in `lang`) walks her agreement to the question about the end; the turns after the
    transcript's answer to it are returned (the last question and the summary's confirm)."""
    if lang != "de":
        await mentee.send(f"/settings language {lang}")
    turns = transcript("agreement")["turns"]
    asks = next(n for n, turn in enumerate(turns) if turn.get("expect_step") == "end_date")
    answered = next(n for n, turn in enumerate(turns) if turn.get("expect_step") == "progress_check")
    await walk(service, mentee, "agreement", lang, turns[:asks + 1])
    return turns[answered + 1:]


async def mentor_sees_days_left(mentor: Chat, days: int) -> None:
    """Max's /mentees (he reads German) counts down to this many days."""
    text = mentor.texts(await mentor.send("/mentees"))
    assert f"{days} Tage bis zum geplanten Ende" in text, text


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("how", ["button", "typed", "skip"])
async def test_the_agreement_offers_the_programmes_end_and_keeps_it_with_one_tap(
        service: ConversationService, clock: FakeClock, lang: str, how: str) -> None:
    """The question names the programme's end and keeps it with a button ("Keep 1 June 2027"),
    with words typed for it ("as the programme", "passt") or with /skip: the pairing's end, the
    mentor's view and the reminders stay as the programme set them."""
    _, mentor, mentee = await paired_in_fruehling(service, clock)
    rest = await at_the_end_question(service, mentee, lang)
    assert PROGRAMME_ENDS[lang] in mentee.last_text
    assert KEEP_PROGRAMME_END[lang] in [button.label for button in mentee.buttons]
    typed = {"en": "as the programme", "de": "passt"}[lang]
    said = (await mentee.press(KEEP_PROGRAMME_END[lang]) if how == "button"
            else await mentee.send(typed if how == "typed" else "/skip"))
    assert KEPT[lang] in mentee.texts(said)
    await walk(service, mentee, "agreement", lang, rest)

    await mentor_sees_days_left(mentor, 182)
    assert await planned_ladder(service) == [(kind, due, BY_LENGTH) for kind, due in zip(
        LADDER, (NOTICE_AT, INVITE_AT, DAY_AT, REMINDER_AT), strict=True)]
    assert await planned_reflections(service) == [(INVITE_AT, BY_LENGTH)]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_an_earlier_date_changes_the_end_for_both_and_says_so(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """Ana and Max agree on 31 March: typed, it is confirmed as a change of the programme's
    1 June, for both of them, with when the reminders come; saved, it is the pairing's end."""
    _, mentor, mentee = await paired_in_fruehling(service, clock)
    rest = await at_the_end_question(service, mentee, lang)
    said = mentee.texts(await mentee.send("31.03.2027"))
    for part in CHANGED[lang]:
        assert part in said, said
    assert AFTER_PROGRAMME[lang] not in said
    await mentor_sees_days_left(mentor, 182)  # not before the agreement is saved
    await walk(service, mentee, "agreement", lang, rest)

    await mentor_sees_days_left(mentor, 120)
    assert {ends for _, _, ends in await planned_ladder(service)} == {"2027-03-31"}
    assert await planned_reflections(service) == [(datetime(2027, 3, 24, 9, 0, tzinfo=UTC),
                                                   "2027-03-31")]


# A new end date nearer than the ladder's first steps (the clock: 1 December 2026, 10:00 in
# Berlin, after the 09:00 of the reminders): what the change promises, in each language, and the
# reminders that are then planned.
NEAR = {
    "2026-12-20": ({"en": "as that's less than four weeks away, I'll get in touch one week before",
                    "de": "Da es keine vier Wochen mehr bis dahin sind, melde ich mich eine Woche "
                          "vorher"}, ["reflection_invite", "reflection_day", "reflection_reminder"]),
    "2026-12-04": ({"en": "As that's less than a week away, I'll get in touch on the day itself",
                    "de": "Da es keine Woche mehr bis dahin ist, melde ich mich am Tag selbst"},
                   ["reflection_day", "reflection_reminder"]),
    "2026-12-01": ({"en": "A week after it, I'll remind you to look back",
                    "de": "Eine Woche danach erinnere ich dich an deinen Rückblick"},
                   ["reflection_reminder"]),
}


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("ends", list(NEAR))
async def test_a_near_date_promises_only_the_reminders_that_will_come(
        service: ConversationService, clock: FakeClock, lang: str, ends: str) -> None:
    """Less than four weeks (or a week, or no time) before the new end, the steps whose moment
    passed are not planned: the confirmation says only what will come, and so it does."""
    _, _, mentee = await paired_in_fruehling(service, clock)
    rest = await at_the_end_question(service, mentee, lang)
    promise, kinds = NEAR[ends]
    said = mentee.texts(await mentee.send(date.fromisoformat(ends).strftime("%d.%m.%Y")))
    assert promise[lang] in said, said
    assert CHANGED[lang][2] not in said  # not "four weeks before and again one week before"
    await walk(service, mentee, "agreement", lang, rest)
    assert [kind for kind, _, _ in await planned_ladder(service)] == kinds


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_date_after_the_programmes_end_is_taken_with_a_note(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """30 June, after the programme's 1 June: taken (the end is the pair's to agree, and the
    coordinators see it), with a note that it is after the programme's end."""
    made, mentor, mentee = await paired_in_fruehling(service, clock)
    rest = await at_the_end_question(service, mentee, lang)
    said = mentee.texts(await mentee.send("30.06.2027"))
    assert AFTER_PROGRAMME[lang] in said, said
    assert CHANGED[lang][1] in said
    await walk(service, mentee, "agreement", lang, rest)

    await mentor_sees_days_left(mentor, 211)
    assert await csv_ends(service, made) == "2027-06-30"


async def test_without_a_planned_end_the_question_offers_nothing(chat: Chat) -> None:
    """No programme, no earlier agreement: the question asks for a date as before, and "keep"
    or "as the programme" is not a date."""
    turns = transcript("agreement")["turns"]
    asks = next(n for n, turn in enumerate(turns) if turn.get("expect_step") == "end_date")
    await walk(chat.service, chat, "agreement", "en", turns[:asks + 1])
    assert "By which date would you like the mentoring to come to its end?" in chat.last_text
    assert not chat.buttons
    said = chat.texts(await chat.send("as the programme"))
    assert shown("en", "common.problems.not_a_date") in said
