"""The dispatcher as people notice it: what is due goes out once, in order, never early; a claim
holds while its lease runs; downtime past the grace window is recorded as missed; the daily
clean-up forgets old rows. On a SQLite file and on PostgreSQL, with the test-only ping kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from service.schedule.dispatch import Dispatcher
from service.schedule.maintenance import next_clean_up
from storage.database import create_sessionmaker
from storage.rows import ITEMS, UPDATES
from storage.schedule import ItemRecord, add_items, item_by_id, item_by_key, pending_items
from storage.vocabulary import ItemStatus
from tests.support.clock import FakeClock
from tests.support.schedule import PING, Pings, dispatch_once, ping_at, ping_registry, ping_text

ANA, BEN = 4101, 4102


@pytest.fixture
def pings() -> Pings:
    return Pings()


@pytest.fixture
def service(engine: AsyncEngine, clock: FakeClock, pings: Pings) -> ConversationService:
    """The service with the ping kind registered."""
    return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                               catalog=default_catalog(), clock=clock,
                               schedule=ping_registry(pings))


async def person(service: ConversationService, telegram_id: int) -> None:
    await service.handle(Person(telegram_id, "Ana", "en"), CommandIn("start"))


async def _uid(service: ConversationService, telegram_id: int) -> int:
    async with service.turn_of(telegram_id) as turn:
        assert turn is not None
        return turn.user.id


async def test_due_items_are_claimed_oldest_first_and_never_before_they_are_due(
        service: ConversationService, clock: FakeClock) -> None:
    await person(service, ANA)
    await person(service, BEN)
    start = clock.now
    await ping_at(service, ANA, start + timedelta(minutes=30), start + timedelta(hours=2))
    await ping_at(service, BEN, start + timedelta(minutes=10))

    assert await dispatch_once(service) == {}  # nothing is due yet

    clock.advance(minutes=9, seconds=59)
    assert await dispatch_once(service) == {}  # a second early is early

    clock.advance(minutes=25)
    claimed = await Dispatcher(service).claim()
    assert [(c.telegram_id, c.kind) for c in claimed] == [(BEN, PING), (ANA, PING)]  # oldest first


async def test_a_claim_holds_while_its_lease_runs_then_another_dispatcher_sends_it_once(
        service: ConversationService, clock: FakeClock) -> None:
    """A dispatcher killed between claim and send: its lease runs out, another one sends the item;
    the first, coming back late, no longer holds its claim and sends nothing."""
    await person(service, ANA)
    await ping_at(service, ANA, clock.now + timedelta(minutes=5))
    clock.advance(minutes=5)
    dead, alive = Dispatcher(service, owner="dead"), Dispatcher(service, owner="alive")

    [claimed] = await dead.claim()  # ... and the process dies here
    assert await alive.claim() == []  # the lease holds
    clock.advance(minutes=1)
    assert await dispatch_once(service, alive) == {}

    clock.advance(seconds=service.content.policy.lease.total_seconds())
    assert await dispatch_once(service, alive) == {ANA: [ping_text(claimed.id)]}
    assert await dead.open(claimed) == ()  # the slow owner lost its claim: holds() says None
    assert await dispatch_once(service, alive) == {}  # sent exactly once
    async with service.sessionmaker.begin() as session:
        item = await item_by_id(session, claimed.id)
    assert item is not None
    assert item.status is ItemStatus.SENT


@pytest.mark.parametrize(("late", "sent"), [(timedelta(hours=2), True),
                                            (timedelta(hours=7), False)])
async def test_an_item_whose_moment_passed_while_the_bot_was_down_is_sent_within_the_grace_window(
        service: ConversationService, clock: FakeClock, pings: Pings, late: timedelta,
        sent: bool) -> None:
    await person(service, ANA)
    await ping_at(service, ANA, clock.now + timedelta(minutes=1))
    clock.now += timedelta(minutes=1) + late  # the bot was down meanwhile

    got = await dispatch_once(service)

    async with service.sessionmaker.begin() as session:
        [item] = await _all_pings(session)
    if sent:
        assert got == {ANA: [ping_text(item.id)]}
        assert item.status is ItemStatus.SENT
        assert pings.missed == []
    else:  # last Monday's check-in is not sent on Thursday
        assert got == {}
        assert item.status is ItemStatus.MISSED
        assert pings.missed == [item.id]


async def _all_pings(session: AsyncSession) -> list[ItemRecord]:
    rows = await session.execute(select(ITEMS).where(ITEMS.c.kind == PING).order_by(ITEMS.c.id))
    return [ItemRecord.from_row(row) for row in rows]


async def test_a_sending_failure_is_retried_with_a_growing_pause_then_the_item_fails(
        service: ConversationService, clock: FakeClock) -> None:
    await person(service, ANA)
    await ping_at(service, ANA, clock.now + timedelta(minutes=1))
    clock.advance(minutes=1)
    dispatcher = Dispatcher(service)
    pauses = []
    for _ in range(service.content.policy.send_attempts):
        [claimed] = await dispatcher.claim()
        assert await dispatcher.open(claimed)  # decided; then the Bot API fails
        failed_at = clock.now
        await dispatcher.failed(claimed, ConnectionError("no route"))
        async with service.sessionmaker.begin() as session:
            item = await item_by_id(session, claimed.id)
        assert item is not None
        if item.status is ItemStatus.FAILED:
            break
        assert item.status is ItemStatus.PENDING
        pauses.append(item.due_at - failed_at)
        assert await dispatcher.claim() == []  # not before its pause is over
        clock.now = item.due_at
    assert item.status is ItemStatus.FAILED
    assert item.attempts == service.content.policy.send_attempts
    assert item.last_error == "ConnectionError"
    assert pauses == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120),
                      timedelta(seconds=240)]
    assert await dispatcher.claim() == []


async def test_an_item_planned_again_after_it_was_cancelled_is_sent_after_all(
        service: ConversationService, clock: FakeClock) -> None:
    """Blocking cancels what is pending; unblocking plans the same occurrences again."""
    await person(service, ANA)
    due = clock.now + timedelta(hours=1)
    await ping_at(service, ANA, due)
    await service.mark_unreachable(ANA)
    async with service.sessionmaker.begin() as session:
        assert await pending_items(session, await _uid(service, ANA)) == []
    await service.mark_reachable(ANA)
    clock.now = due
    [text] = (await dispatch_once(service))[ANA]
    assert text.startswith("ping ")


async def test_the_daily_clean_up_forgets_old_update_ids_and_old_finished_items(
        service: ConversationService, clock: FakeClock) -> None:
    policy = service.content.policy
    await person(service, ANA)
    await ping_at(service, ANA, clock.now + timedelta(minutes=1))
    clock.advance(minutes=1)
    assert ANA in await dispatch_once(service)  # a finished item, and the next clean-up planned

    # The bot was down for longer than finished items are kept: the clean-up it missed runs now.
    clock.now += policy.keep_finished + timedelta(days=1)
    assert await dispatch_once(service) == {}
    async with service.sessionmaker.begin() as session:
        assert await _all_pings(session) == []
        await session.execute(insert(UPDATES), [
            {"update_id": 1, "processed_at": clock.now - timedelta(days=3)},
            {"update_id": 2, "processed_at": clock.now}])

    clean_up = next_clean_up(clock.now)
    clock.now = clean_up.due_at - timedelta(seconds=1)
    await dispatch_once(service)
    async with service.sessionmaker.begin() as session:
        assert await session.scalar(select(func.count()).select_from(UPDATES)) == 2  # not yet

    clock.now = clean_up.due_at
    assert await dispatch_once(service) == {}
    async with service.sessionmaker.begin() as session:
        left = (await session.execute(select(UPDATES.c.update_id))).scalars().all()
        assert left == [2]  # only the recent one stays
        done = await item_by_key(session, clean_up.key)
        assert done is not None
        assert done.status is ItemStatus.SENT
        tomorrow = next_clean_up(clock.now)
        assert tomorrow.key != clean_up.key
        assert await item_by_key(session, tomorrow.key) is not None  # and again tomorrow
        assert await add_items(session, [tomorrow], clock.now) == 0  # planned once
