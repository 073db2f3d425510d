"""Scheduling, check-ins and cohorts as real people break them (both databases, the clock moved by
hand): stale and forged Start / Later / Skip presses, Later three times, quiet hours, DST in Berlin
and Auckland, Kolkata's half hour, odd typed /checkins forms, a broadcast to members who changed
zone, paused, blocked the bot, joined late or left, a personal check-in beside a cohort's, an
invitation amid a dialog, and a restart between claim and send."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal import to_plain
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.callbacks import item_data
from service.conversation import ConversationService
from service.inputs import PressIn
from service.programmes.broadcasts import parse_at, schedule_broadcast
from service.schedule.dispatch import Dispatcher
from storage.database import create_sessionmaker
from storage.programmes import programme_by_id, update_programme
from storage.runs import active_run as open_run
from storage.runs import runs_of
from storage.schedule import Claimed, item_by_key, listing, pending_items, rules_of
from storage.users import get_user, set_active, update_user
from storage.vocabulary import ItemStatus
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.cohort import member, one_pass, programme
from tests.support.schedule import dispatch_once
from tests.test_schedule_checkins import at, berlin, move_to, received, user_id

# The FakeClock starts on Saturday, 21 November 2026, 09:00 UTC; Monday is 23 November.
MONDAY = date(2026, 11, 23)
STALE = shown("en", "common.notes.stale_button")


async def invited(chat: Chat, clock: FakeClock) -> datetime:
    """A Berlin mentee with a Monday 10:00 rhythm, invited on Monday; when it came."""
    await berlin(chat)
    await chat.send("/checkins mon 10:00")
    sent = at("Europe/Berlin", MONDAY, 10)
    assert [b.label for b in (await move_to(chat, clock, sent))[0].choices] == [
        "Start", "Later", "Skip this time"]
    return sent


async def items(chat: Chat, kind: str) -> list[tuple[ItemStatus, datetime]]:
    async with chat.service.sessionmaker.begin() as session:
        return [(row.item.status, row.item.due_at)
                for row in await listing(session, user_id=chat.user_id) if row.item.kind == kind]


# --- Stale, repeated and forged presses --------------------------------------------------


async def test_skip_twice_then_start_and_later_are_stale(chat: Chat, clock: FakeClock) -> None:
    sent = await invited(chat, clock)
    buttons = chat.buttons
    await chat.press("Skip this time")
    assert chat.last_text == shown("en", "checkins.skipped")
    for label in ("Skip this time", "Start", "Later"):
        chat.buttons = buttons
        response = await chat.press(label)
        assert response.messages == ()
        assert response.toast == STALE
    assert await move_to(chat, clock, sent + timedelta(hours=72)) == []
    assert next(status for status, _ in await items(chat, "checkin")) is ItemStatus.SKIPPED
    assert await items(chat, "checkin_snooze") == []


async def test_presses_after_the_close_change_nothing(chat: Chat, clock: FakeClock) -> None:
    sent = await invited(chat, clock)
    buttons = chat.buttons
    await move_to(chat, clock, sent + timedelta(hours=72))  # the silent close
    for label in ("Later", "Skip this time", "Start"):
        chat.buttons = buttons
        response = await chat.press(label)
        assert response.toast == STALE, label
        assert response.messages == ()
    assert (await items(chat, "checkin"))[0][0] is ItemStatus.MISSED
    assert await items(chat, "checkin_snooze") == []
    async with chat.service.sessionmaker.begin() as session:
        assert await open_run(session, await user_id(chat)) is None


async def test_later_tapped_twice_comes_back_once_and_a_third_later_is_refused(
        chat: Chat, clock: FakeClock) -> None:
    sent = await invited(chat, clock)
    first = chat.buttons
    await chat.press("Later")
    assert "I'll come back to you today at 13:00." in chat.last_text
    chat.buttons = first
    await chat.press("Later")  # the same message again, quickly: the same return, said again
    assert "I'll come back to you today at 13:00." in chat.last_text
    back = await move_to(chat, clock, sent + timedelta(hours=3))
    assert len(back) == 1  # once, not twice
    assert [b.label for b in back[0].choices] == ["Start", "Later", "Skip this time"]
    await chat.press("Later")
    assert "I'll come back to you today at 16:00." in chat.last_text
    last = await move_to(chat, clock, sent + timedelta(hours=6))
    assert [len(last), [b.label for b in last[0].choices]] == [1, ["Start", "Skip this time"]]
    chat.buttons = first  # Later on the first message, a third time
    third = await chat.press("Later")
    assert third.messages == ()
    assert third.toast == shown("en", "checkins.no_more_later")
    assert await move_to(chat, clock, sent + timedelta(hours=9)) == []
    assert len(await items(chat, "checkin_snooze")) == 2


async def test_start_twice_quickly_runs_one_dialog(chat: Chat, clock: FakeClock) -> None:
    await invited(chat, clock)
    buttons = chat.buttons
    first = await chat.press("Start")
    chat.buttons = buttons
    await chat.press("Start")
    async with chat.service.sessionmaker.begin() as session:
        runs = await runs_of(session, await user_id(chat))
    assert [run.dialog for run in runs] == ["agreement"]  # a new mentee is asked to finish it
    assert shown("en", "agreement.steps.purpose.text") in chat.texts(first)
    await chat.send("To grow")
    async with chat.service.sessionmaker.begin() as session:
        run = await open_run(session, await user_id(chat))
    assert run is not None
    assert run.step != "purpose"


async def test_forged_presses_are_stale_and_change_nothing(
        service: ConversationService, clock: FakeClock) -> None:
    ana, ben = Chat(service, 1001, name="Ana"), Chat(service, 1002, name="Ben")
    for chat in (ana, ben):
        await berlin(chat)
        await chat.send("/checkins mon 10:00")
    clock.now = at("Europe/Berlin", MONDAY, 10)
    await one_pass(service)
    async with service.sessionmaker.begin() as session:
        [ana_item] = [row.item for row in await listing(session, user_id=1001)
                      if row.item.kind == "checkin" and row.item.status is ItemStatus.SENT]
    for data in (item_data(ana_item.id, "skip"), item_data(ana_item.id, "start"),
                 f"sc:{2**31}:skip", "sc:999999999999:start", f"sc:{ana_item.id}:explode",
                 f"sc:{ana_item.id}:", "sc:-1:skip"):
        response = await ben.handle(PressIn(data))
        assert response.messages == (), data
    own = await ana.handle(PressIn(item_data(ana_item.id, "explode")))
    assert own.toast == STALE
    assert (await items(ana, "checkin"))[0][0] is ItemStatus.SENT  # still Ana's to answer
    response = await ana.handle(PressIn(item_data(ana_item.id, "skip")))
    assert to_plain(response.messages[0].text) == shown("en", "checkins.skipped")


async def test_off_after_the_invitation_stops_its_reminder(chat: Chat, clock: FakeClock) -> None:
    sent = await invited(chat, clock)
    await chat.send("/checkins off")
    for hours in (24, 72, 24 * 7):
        assert await move_to(chat, clock, sent + timedelta(hours=hours)) == []


async def test_a_zone_change_after_the_invitation_keeps_its_buttons_working(
        chat: Chat, clock: FakeClock) -> None:
    sent = await invited(chat, clock)
    buttons = chat.buttons
    await chat.send("/settings timezone Asia/Kolkata")
    chat.buttons = buttons
    response = await chat.press("Later")
    assert "today at 17:30" in chat.texts(response)  # 13:00 Berlin, in Kolkata
    again = await move_to(chat, clock, sent + timedelta(hours=3))
    assert len(again) == 1
    # The next Monday 10:00 is Kolkata's now.
    assert await move_to(chat, clock, datetime(2026, 11, 30, 4, 29, tzinfo=UTC)) == []
    assert len(await move_to(chat, clock, datetime(2026, 11, 30, 4, 30, tzinfo=UTC))) == 1


# --- Local times: quiet hours, DST, Auckland, Kolkata -----------------------------------


async def test_a_check_in_inside_the_quiet_hours_comes_when_they_end(
        chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await chat.send("/checkins daily 23:30")
    assert await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 22), 7, 59)) == []
    assert len(await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 22), 8))) == 1
    assert await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 22), 23, 30)) == []
    assert len(await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 8))) == 1


async def test_quiet_hours_set_after_the_rhythm_move_the_next_check_in(
        chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await chat.send("/checkins mon 18:30")
    await chat.send("/settings quiet 18:00-19:00")
    assert await move_to(chat, clock, at("Europe/Berlin", MONDAY, 18, 30)) == []
    assert len(await move_to(chat, clock, at("Europe/Berlin", MONDAY, 19))) == 1
    await chat.send("/checkins")
    assert "Next check-in: Monday, 30 November 2026 at 19:00" in chat.last_text
    await chat.send("/settings quiet off")  # and back, before the next one
    await chat.send("/checkins")
    assert "Next check-in: Monday, 30 November 2026 at 18:30" in chat.last_text


@pytest.mark.parametrize(("zone", "start", "days", "local"), [
    ("Europe/Berlin", datetime(2027, 3, 26, 12, tzinfo=UTC), 4, "18:30"),  # spring, 28 March
    ("Europe/Berlin", datetime(2027, 10, 29, 12, tzinfo=UTC), 4, "18:30"),  # autumn, 31 October
    ("Pacific/Auckland", datetime(2027, 4, 1, 12, tzinfo=UTC), 5, "18:30"),  # autumn, 4 April
    ("Pacific/Auckland", datetime(2027, 9, 23, 12, tzinfo=UTC), 5, "18:30"),  # spring, 26 Sept
    ("Asia/Kolkata", datetime(2027, 3, 26, 12, tzinfo=UTC), 4, "18:30"),
])
async def test_a_daily_check_in_keeps_its_local_time_across_dst(
        service: ConversationService, clock: FakeClock, zone: str, start: datetime, days: int,
        local: str) -> None:
    clock.now = start
    chat = Chat(service)
    await chat.send(f"/settings timezone {zone}")
    await chat.send(f"/checkins daily {local}")
    arrived: list[datetime] = []
    end = start + timedelta(days=days)
    while clock.now < end:
        clock.advance(minutes=15)
        for _message in await received(chat):
            arrived.append(clock.now)
            await chat.press("Skip this time")
    walls = [moment.astimezone(ZoneInfo(zone)).strftime("%H:%M") for moment in arrived]
    assert walls == [local] * len(walls)
    assert len(arrived) in (days, days - 1)
    assert len({moment.astimezone(ZoneInfo(zone)).date() for moment in arrived}) == len(arrived)


async def test_a_wall_time_in_the_spring_gap_comes_once_an_hour_later(
        chat: Chat, clock: FakeClock) -> None:
    clock.now = datetime(2027, 3, 27, 12, tzinfo=UTC)
    await berlin(chat)
    await chat.send("/settings quiet off")
    await chat.send("/checkins daily 02:30")
    got = []
    while clock.now < datetime(2027, 3, 29, 12, tzinfo=UTC):
        clock.advance(minutes=15)
        if await received(chat):
            got.append(clock.now)
            await chat.press("Skip this time")
    assert got == [datetime(2027, 3, 28, 1, 30, tzinfo=UTC),  # 03:30 CEST: the gap's 02:30
                   datetime(2027, 3, 29, 0, 30, tzinfo=UTC)]


# --- Typed /checkins forms -----------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "🙂 daily 18:30", "<b>daily</b> 18:30", "{{ 7*7 }}", "{% for x in y %}", "daily 25:00",
    "mon,thu 08:75", "x" * 5000, "daily 18:30 " + "🙂" * 60, "every 99 weeks fri 17:00",
    "täglich 25 uhr", "&lt;script&gt;",
])
async def test_odd_typed_forms_are_refused_and_shown_as_typed(chat: Chat, typed: str) -> None:
    await berlin(chat)
    await chat.send("/checkins daily 18:30")
    before = await items(chat, "checkin")
    await chat.send(f"/checkins {typed}")
    assert chat.last_text == shown("en", "checkins.not_understood", text=typed.strip()[:64],
                                    side=None, word="")
    assert typed.strip()[:20] in chat.last_text
    assert "49" not in chat.last_text
    assert await items(chat, "checkin") == before
    async with chat.service.sessionmaker.begin() as session:
        rules = await rules_of(session, await user_id(chat))
    assert rules["checkin"] == {"at": "18:30"}


@pytest.mark.parametrize(("typed", "said"), [
    ("täglich 18:30", "jeden Tag um 18:30 Uhr"),
    ("Mo, Do 8.15 Uhr", "jeden Montag und Donnerstag um 08:15 Uhr"),
    ("ALLE 2 WOCHEN FREITAG 17 UHR", "alle zwei Wochen am Freitag um 17:00 Uhr"),
    ("  montags   um 7 uhr  ", "jeden Montag um 07:00 Uhr"),
])
async def test_german_forms_in_odd_spellings(service: ConversationService, typed: str,
                                             said: str) -> None:
    chat = Chat(service, language="de")
    await chat.send("/settings zeitzone Europe/Berlin")
    await chat.send(f"/checkins {typed}")
    assert said in chat.last_text


async def test_a_bare_checkins_with_blanks_shows_the_rhythm(chat: Chat) -> None:
    await chat.send("/checkins    ")
    assert chat.last_text.startswith("You have no check-in rhythm at the moment.")


# --- Broadcasts ---------------------------------------------------------------------------


async def broadcast(service: ConversationService, cohort_id: int, local: str,
                    audience: str = "mentees") -> int:
    local_at = parse_at(local)
    assert local_at is not None
    async with service.sessionmaker.begin() as session:
        cohort = await programme_by_id(session, cohort_id)
        assert cohort is not None
        planned = await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                           local_at, created_by=None,
                                           policy=service.content.policy, now=service.clock(),
                                           audience=audience)
    return planned.broadcast.id


async def walk(service: ConversationService, clock: FakeClock, until: datetime,
               step: timedelta = timedelta(minutes=15)) -> dict[int, list[tuple[datetime, str]]]:
    """Dispatch every `step` up to `until`: who got what, when."""
    got: dict[int, list[tuple[datetime, str]]] = {}
    while clock.now < until:
        clock.advance(seconds=step.total_seconds())
        for delivery in await one_pass(service):
            for message in delivery.messages:
                got.setdefault(delivery.recipient, []).append((clock.now, to_plain(message.text)))
    return got


async def test_a_member_who_changed_zone_gets_the_broadcast_at_their_new_1800(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service)
    await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    await broadcast(service, cohort.id, "2026-11-23 18:00")
    ana = Chat(service, 21)
    await ana.send("/settings timezone America/New_York")
    got = await walk(service, clock, datetime(2026, 11, 24, 1, tzinfo=UTC))
    assert [moment for moment, _ in got[21]] == [datetime(2026, 11, 23, 23, tzinfo=UTC)]


async def test_a_member_who_set_quiet_hours_gets_the_broadcast_when_they_end(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service)
    await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    await broadcast(service, cohort.id, "2026-11-23 18:00")
    ana = Chat(service, 21)
    await ana.send("/settings quiet 17:00-19:00")
    got = await walk(service, clock, datetime(2026, 11, 24, 1, tzinfo=UTC))
    assert [moment for moment, _ in got[21]] == [at("Europe/Berlin", MONDAY, 19)]


async def test_paused_blocked_late_and_leaving_members(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service, coordinators=(900,))
    await member(service, 900, "Cora", "Europe/Berlin", None)
    users = {n: await member(service, n, name, "Europe/Berlin", cohort.id)
             for n, name in ((21, "Ana"), (22, "Ben"), (23, "Cem"), (24, "Dan"))}
    broadcast_id = await broadcast(service, cohort.id, "2026-11-23 18:00")
    await Chat(service, 21).send("/pause 1 week")  # paused after it was planned
    async with service.sessionmaker.begin() as session:
        await set_active(session, 22, False, clock())  # blocked the bot
        await update_user(session, users[24].id, clock(), programme_id=None)  # left
    await Chat(service, 24).send("/settings timezone Europe/Berlin")  # any replan
    clock.now = at("Europe/Berlin", MONDAY, 18, 10)  # a late joiner, within the grace
    late = await member(service, 25, "Eva", "Europe/Berlin", cohort.id)
    await Chat(service, 25).send("/settings timezone Europe/Berlin")  # her first replan
    got = await walk(service, clock, clock.now + timedelta(days=4), timedelta(hours=1))
    assert set(got) - {900} == {23, 25}, got
    assert len(got[25]) == 2  # the invitation, then its one reminder
    assert got[25][0][1].startswith(shown("en", "programmes.broadcast.invite", name="Eva",
                                          title=shown("en", "checkin.title"),
                                          programme="Spring cohort", audience="mentees")[:10])
    [(_, report)] = got[900]
    assert "Paused: 1" in report
    assert "Unreachable: 1" in report
    assert "Dan" not in report
    async with service.sessionmaker.begin() as session:
        assert await item_by_key(session, f"broadcast:{broadcast_id}:{late.id}") is not None


async def test_skipping_ones_own_check_in_keeps_the_cohorts_reminder(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service)
    await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    ana = Chat(service, 21)
    await ana.send("/checkins daily 12:00")
    await broadcast(service, cohort.id, "2026-11-23 11:00")
    got = await walk(service, clock, at("Europe/Berlin", MONDAY, 11))
    assert got[21][-1][0] == at("Europe/Berlin", MONDAY, 11)
    clock.now = at("Europe/Berlin", MONDAY, 12)
    own = await received(ana)
    assert len(own) == 1
    await ana.press("Skip this time")  # her own check-in, not the cohort's
    later = await walk(service, clock, at("Europe/Berlin", date(2026, 11, 24), 11, 30))
    texts = [text for _, text in later.get(21, [])]
    assert any(text.startswith(shown("en", "checkins.reminder")) and "Spring cohort" in text
               for text in texts), texts


# --- An invitation amid a dialog, and a restart between claim and send -------------------


async def test_typed_text_after_an_invitation_amid_a_dialog_answers_the_right_question(
        chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await chat.send("/checkins mon 10:00")
    await chat.send("/agreement")
    clock.now = at("Europe/Berlin", MONDAY, 10)
    [invitation] = await received(chat)
    assert invitation.choices  # the invitation now stands below the dialog's question
    shown_again = chat.texts(await chat.send("To grow"))  # not taken for an answer unseen
    assert shown("en", "agreement.steps.purpose.text") in shown_again
    await chat.send("To grow")
    async with chat.service.sessionmaker.begin() as session:
        run = await open_run(session, await user_id(chat))
    assert run is not None
    assert run.dialog == "agreement"
    assert run.step != "purpose"
    await chat.send("/cancel")
    async with chat.service.sessionmaker.begin() as session:
        assert await open_run(session, await user_id(chat)) is None


async def test_a_restart_between_claim_and_send_sends_it_once(
        engine: AsyncEngine, service: ConversationService, clock: FakeClock) -> None:
    chat = Chat(service)
    await berlin(chat)
    await chat.send("/checkins mon 10:00")
    clock.now = at("Europe/Berlin", MONDAY, 10)
    first = Dispatcher(service)
    [claimed] = await first.claim()
    # The process dies; a new one starts on the same database.
    again = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                catalog=default_catalog(), clock=clock)
    second = Dispatcher(again)
    assert await second.claim() == []  # the lease still holds
    clock.advance(seconds=service.content.policy.lease.total_seconds() + 1)
    [reclaimed] = await second.claim()
    assert reclaimed.id == claimed.id
    sent = await second.open(reclaimed)
    assert [d.recipient for d in sent] == [chat.user_id]
    assert await first.open(claimed) == ()  # the dead one's claim is lost
    assert (await items(chat, "checkin"))[0][0] is ItemStatus.SENT
    assert len([s for s, _ in await items(chat, "checkin_close")]) == 1
    assert await received(chat) == []


def batches(claimed: list[Claimed]) -> list[list[Claimed]]:
    """The claimed items of people in batches of different people, as the dispatch job makes
    them: a person's nth item in the nth batch, after the one holding their earlier item."""
    made: list[list[Claimed]] = []
    seen: dict[int, int] = {}
    for item in claimed:
        if item.telegram_id is None:
            continue
        nth = seen.get(item.telegram_id, 0)
        seen[item.telegram_id] = nth + 1
        if nth == len(made):
            made.append([])
        made[nth].append(item)
    return made


async def test_a_person_in_one_batch_with_others_kinds_gets_each_once(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service)
    rule = {"at": "18:00", "weekdays": [0]}
    async with service.sessionmaker.begin() as session:
        await update_programme(session, cohort.id, clock(), defaults={"cohort_checkin": rule})
    for n in range(21, 27):
        await member(service, n, f"M{n}", "Europe/Berlin", cohort.id)
        await Chat(service, n).send("/settings timezone Europe/Berlin")
    await Chat(service, 30).send("/settings timezone Europe/Berlin")
    ben = Chat(service, 30)
    await ben.send("/checkins mon 18:00")  # not a member: his own check-in in the same batch
    for n in (21, 31):  # a member and an outsider invited on Sunday: reminded on Monday 18:00
        await Chat(service, n).send("/settings timezone Europe/Berlin")
        await Chat(service, n).send("/checkins sun 18:00")
    clock.now = at("Europe/Berlin", date(2026, 11, 22), 18)
    assert set(await dispatch_once(service)) == {21, 31}
    clock.now = at("Europe/Berlin", MONDAY, 18)
    dispatcher = Dispatcher(service)
    got: dict[int, list[str]] = {}
    while claimed := await dispatcher.claim():
        opened_all = [opened for batch in batches(claimed)
                      for opened in await dispatcher.open_many(batch)]
        for opened in opened_all:
            assert opened.error is None
            for delivery in opened.deliveries:
                got.setdefault(delivery.recipient, []).extend(
                    to_plain(m.text) for m in delivery.messages)
    assert set(got) == {*range(21, 27), 30, 31}
    reminder = shown("en", "checkins.reminder")
    assert len(got.pop(21)) == 2  # the cohort's invitation and her own reminder, each once
    assert [text.startswith(reminder) for text in got.pop(31)] == [True]
    assert all(len(texts) == 1 for texts in got.values())
    assert all("Spring cohort" in got[n][0] for n in range(22, 27))
    for n in range(21, 27):
        async with service.sessionmaker.begin() as session:
            user = await get_user(session, n)
            assert user is not None
            follow = await pending_items(session, user.id, ["checkin_reminder", "checkin_close"])
            nxt = await pending_items(session, user.id, ["broadcast"])
        own = ["checkin_close"] if n == 21 else []  # her Sunday invitation's still waits
        assert sorted(i.kind for i in follow) == [*own, "checkin_close", "checkin_reminder"]
        assert [i.due_at for i in nxt] == [at("Europe/Berlin", date(2026, 11, 30), 18)]


async def test_stopping_ones_own_check_ins_keeps_the_cohorts_reminder(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service)
    await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    ana = Chat(service, 21)
    await ana.send("/checkins daily 12:00")
    await broadcast(service, cohort.id, "2026-11-23 11:00")
    await walk(service, clock, at("Europe/Berlin", MONDAY, 11))
    await ana.send("/checkins off")  # her own rhythm; the programme's check-in still stands
    later = await walk(service, clock, at("Europe/Berlin", date(2026, 11, 24), 11, 30))
    texts = [text for _, text in later.get(21, [])]
    assert len(texts) == 1
    assert texts[0].startswith(shown("en", "checkins.reminder"))
    assert "Spring cohort" in texts[0]
