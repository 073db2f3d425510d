"""A cohort's broadcast dispatched in batches (`Dispatcher.open_many`), as its members notice it:
each gets their own invitation once, with its reminder and close planned; a programme's recurring
cohort check-in makes its next occurrence once, however many members reach it in one batch, with
one report per coordinator. What every member would read alike (their programme, its open
broadcasts, the occurrence) is read once for the batch and their follow-up items are written
together, so a batch of thirty costs the statements of a batch of three. On a SQLite file and on
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal import to_plain
from service.conversation import ConversationService
from service.programmes.broadcasts import REPORT, parse_at, schedule_broadcast
from service.schedule.checkins import CLOSE, REMINDER
from service.schedule.dispatch import Dispatcher, Opened
from service.schedule.rhythm import Rhythm
from storage.broadcasts import KIND
from storage.programmes import update_programme
from storage.rows import BROADCASTS
from storage.schedule import Claimed, pending_items
from storage.users import UserRecord
from tests.support.clock import FakeClock
from tests.support.cohort import member, programme, replan_people
from tests.support.schedule import statements

NAMES = ("Ana", "Ben", "Cem", "Dora", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jana", "Kai")


def wall(text: str) -> datetime:
    """A naive local wall time, as a coordinator gives it."""
    moment = parse_at(text)
    assert moment is not None
    return moment


async def members(service: ConversationService, programme_id: int, count: int,
                  first: int = 100) -> dict[int, UserRecord]:
    """`count` mentees in Berlin, by Telegram id, each with a name of their own."""
    return {telegram_id: await member(service, telegram_id,
                                      f"{NAMES[n % len(NAMES)]}{n} Muster",
                                      "Europe/Berlin", programme_id)
            for n, telegram_id in enumerate(range(first, first + count))}


async def claim_all(dispatcher: Dispatcher) -> list[Claimed]:
    claimed = await dispatcher.claim()
    assert all(c.telegram_id is not None for c in claimed)
    return claimed


def text_of(opened: Opened) -> str:
    [delivery] = opened.deliveries
    [message] = delivery.messages
    return to_plain(message.text)


async def test_a_broadcast_batch_invites_each_member_once_and_costs_no_statement_a_member(
        service: ConversationService, clock: FakeClock, engine: AsyncEngine) -> None:
    cohort = await programme(service)
    people = await members(service, cohort.id, 33)
    async with service.sessionmaker.begin() as session:
        planned = await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                           wall("2026-11-23 18:00"), created_by=None,
                                           policy=service.content.policy, now=clock())
    assert planned.members == 33
    clock.now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
    dispatcher = Dispatcher(service)
    claimed = await claim_all(dispatcher)
    assert len(claimed) == 33
    with statements(engine) as few:
        opened = await dispatcher.open_many(claimed[:3])
    with statements(engine) as many:
        opened += await dispatcher.open_many(claimed[3:])
    assert many == few  # thirty members cost what three do

    assert sorted(o.claimed.telegram_id for o in opened if o.claimed.telegram_id) == sorted(people)
    for one in opened:
        assert one.error is None
        telegram_id = one.claimed.telegram_id
        assert telegram_id is not None
        [delivery] = one.deliveries
        assert delivery.recipient == telegram_id
        first_name = people[telegram_id].name.split()[0]  # type: ignore[union-attr]
        assert first_name in text_of(one)
        assert "Spring cohort" in text_of(one)
        [[start, later, skip]] = delivery.messages[0].buttons
        assert (start.label, later.label, skip.label) == ("Start", "Later", "Skip this time")
    async with service.sessionmaker.begin() as session:
        for user in people.values():
            follow_ups = {item.kind: item for item in await pending_items(session, user.id)}
            assert set(follow_ups) == {REMINDER, CLOSE}, follow_ups
            assert follow_ups[CLOSE].due_at == clock.now + service.content.policy.answer_window
            [invitation] = [o for o in opened if o.claimed.telegram_id == user.telegram_id]
            assert follow_ups[CLOSE].payload == {"invitation": invitation.claimed.id}
    assert await dispatcher.claim() == []  # each was sent once


async def test_a_batch_reaching_the_next_cohort_check_in_makes_it_once_with_one_report_each(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service, coordinators=(900,))
    cora = await member(service, 900, "Cora", "Europe/Berlin", None)
    async with service.sessionmaker.begin() as session:
        rule = Rhythm(time(18, 0), frozenset({0})).to_json()  # Mondays 18:00
        await update_programme(session, cohort.id, clock(), defaults={"cohort_checkin": rule})
    people = await members(service, cohort.id, 12)
    await replan_people(service, *people)
    clock.now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # the first Monday, 18:00 in Berlin
    dispatcher = Dispatcher(service)
    claimed = [c for c in await claim_all(dispatcher) if c.kind == KIND]
    assert len(claimed) == 12
    opened = await dispatcher.open_many(claimed)
    assert all(one.error is None and len(one.deliveries) == 1 for one in opened)

    async with service.sessionmaker.begin() as session:
        made = (await session.execute(select(BROADCASTS.c.local_at).where(
            BROADCASTS.c.programme_id == cohort.id).order_by(BROADCASTS.c.local_at))).all()
        assert [row.local_at for row in made] == [wall("2026-11-23 18:00"),
                                                  wall("2026-11-30 18:00")]
        for user in people.values():
            [following] = await pending_items(session, user.id, [KIND])
            assert following.due_at == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
        reports = await pending_items(session, cora.id, [REPORT])
        assert len(reports) == 2  # one for each occurrence, not one for each member
        assert (await session.execute(select(func.count()).select_from(BROADCASTS))).scalar() == 2
    clock.advance(days=7)
    assert len([c for c in await dispatcher.claim() if c.kind == KIND]) == 12


async def test_what_a_batch_read_once_is_read_anew_by_the_next_batch(
        service: ConversationService, clock: FakeClock) -> None:
    """A shared read lives one transaction: a coordinator's cohort check-in set between two
    batches reaches everyone planned after it."""
    cohort = await programme(service)
    people = await members(service, cohort.id, 4)
    async with service.sessionmaker.begin() as session:
        await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                 wall("2026-11-23 18:00"),
                                 created_by=None, policy=service.content.policy, now=clock())
    clock.now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    dispatcher = Dispatcher(service)
    claimed = await claim_all(dispatcher)
    await dispatcher.open_many(claimed[:2])
    async with service.sessionmaker.begin() as session:
        rule = Rhythm(time(18, 0), frozenset({0})).to_json()
        await update_programme(session, cohort.id, clock(), defaults={"cohort_checkin": rule})
    await dispatcher.open_many(claimed[2:])
    async with service.sessionmaker.begin() as session:
        later = {telegram_id: len(await pending_items(session, user.id, [KIND]))
                 for telegram_id, user in people.items()}
    before = {c.telegram_id for c in claimed[:2]}  # planned before the rule: nothing
    assert later == {telegram_id: int(telegram_id not in before) for telegram_id in people}
