"""The dispatcher's batch (`Dispatcher.open_many`): several people's due items decided in one
transaction, as people notice it. Each person gets their own message once, their next occurrence
is planned once, and the outcome is the one opening the items one by one gives; a claim lost to
another dispatcher, a paused or blocked person, an item past the grace window or a kind that fails
for one person affect that item alone. A batch costs a fixed handful of statements, whatever its
size. On a SQLite file and on PostgreSQL, with the test-only ping kind."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal import to_plain
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from service.messages import Response
from service.schedule.dispatch import Dispatcher, Opened
from service.turn import Turn
from storage.database import create_sessionmaker
from storage.rows import ITEMS, RUNS, USERS
from storage.schedule import Claimed, ItemRecord, set_rule
from storage.vocabulary import ItemStatus
from tests.support.clock import FakeClock
from tests.support.schedule import PING, Pings, ping_at, ping_registry, ping_service, ping_text, statements

#: Statements a batch may cost, BEGIN included, whatever its size: what one item alone costs
#: (test_schedule_replan.ITEM_BUDGET). Measured for 4 and for 40 people (ping items, nobody amid a
#: dialog), the same both times: 7 on SQLite (BEGIN IMMEDIATE; the people locked, their active
#: runs, the claims checked and marked sent, their rules, the ping planner's cancel and its insert,
#: one executemany), 6 on PostgreSQL (its BEGIN is no cursor statement). Any statement more would
#: be one per item or a new round trip for every batch.
BATCH_BUDGET = 7


@pytest.fixture
def pings() -> Pings:
    return Pings()


@pytest.fixture
def service(engine: AsyncEngine, clock: FakeClock, pings: Pings) -> ConversationService:
    return ping_service(engine, clock, pings)


# --- helpers ----------------------------------------------------------------------------------


async def person(service: ConversationService, telegram_id: int, *,
                 dialog: str | None = None) -> None:
    """Someone who said /start (and, with `dialog`, is amid that dialog, its question shown)."""
    me = Person(telegram_id, "Ana", "en")
    await service.handle(me, CommandIn("start"))
    if dialog is not None:
        await service.handle(me, CommandIn(dialog))


async def user_id(service: ConversationService, telegram_id: int) -> int:
    async with service.turn_of(telegram_id) as turn:
        assert turn is not None
        return turn.user.id


async def change_rule(service: ConversationService, telegram_id: int, *times: datetime) -> None:
    """Set the ping rule without planning it: only the next replan (the dispatcher's, after the
    person's item) makes its items and cancels those no longer in it."""
    async with service.turn_of(telegram_id) as turn:
        assert turn is not None
        await set_rule(turn.session, turn.user.id, PING,
                       {"at": [moment.isoformat() for moment in times]}, turn.now)


async def items_of(service: ConversationService, telegram_id: int) -> list[ItemRecord]:
    """A person's ping items, by due time."""
    uid = await user_id(service, telegram_id)
    async with service.sessionmaker.begin() as session:
        rows = await session.execute(select(ITEMS).where(ITEMS.c.user_id == uid,
                                                         ITEMS.c.kind == PING)
                                     .order_by(ITEMS.c.due_at, ITEMS.c.id))
        return [ItemRecord.from_row(row) for row in rows]


async def row_of(service: ConversationService, item_id: int) -> dict[str, Any]:
    """An item's whole row (its claim too)."""
    async with service.sessionmaker.begin() as session:
        row = (await session.execute(select(ITEMS).where(ITEMS.c.id == item_id))).one()
    return dict(row._mapping)


async def set_user(service: ConversationService, telegram_id: int, **values: Any) -> None:
    """Change a person's row directly, as something between the claim and the batch would."""
    async with service.sessionmaker.begin() as session:
        await session.execute(update(USERS).where(USERS.c.telegram_id == telegram_id)
                              .values(**values))


def texts(opened: Opened) -> list[tuple[int, str]]:
    """What an opened item sends: (recipient, plain text) in order."""
    return [(delivery.recipient, to_plain(message.text))
            for delivery in opened.deliveries for message in delivery.messages]


def by_person(opened: Sequence[Opened]) -> dict[int, Opened]:
    found = {}
    for one in opened:
        assert one.claimed.telegram_id is not None
        found[one.claimed.telegram_id] = one
    return found


# --- a batch sends each person's message once and plans their next ----------------------------


async def test_a_batch_of_thirty_people_sends_each_their_own_message_once_and_plans_their_next(
        service: ConversationService, clock: FakeClock) -> None:
    start = clock.now
    people = list(range(6100, 6130))
    due, dropped = start + timedelta(minutes=1), start + timedelta(days=2)

    def following(n: int) -> datetime:  # each person's own next time
        return start + timedelta(hours=1, minutes=n)

    for n, telegram_id in enumerate(people):
        await person(service, telegram_id)
        await ping_at(service, telegram_id, due, dropped)
        # The rule changes (the later time replaced by another); nothing plans it until the
        # dispatcher's replan after the item that is due now.
        await change_rule(service, telegram_id, due, following(n))
    clock.now = due
    dispatcher = Dispatcher(service)
    claimed = await dispatcher.claim()
    assert sorted(c.telegram_id for c in claimed if c.telegram_id) == people
    batch = list(reversed([c for c in claimed if c.telegram_id is not None]))

    opened = await dispatcher.open_many(batch)

    assert [one.claimed for one in opened] == batch  # in the order given
    for one in opened:
        assert one.error is None
        assert texts(one) == [(one.claimed.telegram_id, ping_text(one.claimed.id))]
    for n, telegram_id in enumerate(people):
        items = await items_of(service, telegram_id)
        assert [(item.due_at, item.status) for item in items] == [
            (due, ItemStatus.SENT),
            (following(n), ItemStatus.PENDING),  # planned, once, at their own time
            (dropped, ItemStatus.CANCELLED),  # no longer in their rule
        ], telegram_id
        assert items[0].sent_at == due

    again = await dispatcher.open_many(batch)  # the same claims once more: never sent twice
    assert [(one.claimed, one.deliveries, one.error) for one in again] == \
        [(c, (), None) for c in batch]
    for n, telegram_id in enumerate(people):
        assert [(item.due_at, item.status) for item in await items_of(service, telegram_id)] == [
            (due, ItemStatus.SENT), (following(n), ItemStatus.PENDING),
            (dropped, ItemStatus.CANCELLED)]
    assert await dispatcher.claim() == []


# --- the same outcome as one by one -----------------------------------------------------------

#: The cases of one set of people, the same in both sets.
PLAIN, NEW_RULE, MID_DIALOG, PAUSED, INACTIVE, LATE = range(6)
CASES = (PLAIN, NEW_RULE, MID_DIALOG, PAUSED, INACTIVE, LATE)


async def test_a_batch_ends_as_opening_its_items_one_by_one_does(
        service: ConversationService, clock: FakeClock, pings: Pings) -> None:
    """Two sets of people alike in every way (one in each case below): the first set's items
    opened one by one, the second's as one batch. Each person ends with the same items, the same
    dialog state and the same messages as their twin."""
    start = clock.now
    now = start + timedelta(hours=7)  # the late ones' items are past the six-hour grace window
    ones, batch = [6200 + case for case in CASES], [6300 + case for case in CASES]
    for telegram_id, case in [*zip(ones, CASES, strict=True), *zip(batch, CASES, strict=True)]:
        await person(service, telegram_id, dialog="grow" if case == MID_DIALOG else None)
        first = start + timedelta(minutes=1) if case == LATE else now
        await ping_at(service, telegram_id, first, start + timedelta(hours=9))
        if case == NEW_RULE:
            await change_rule(service, telegram_id, first, start + timedelta(hours=8))
    clock.now = now
    dispatcher = Dispatcher(service)
    claimed = {c.telegram_id: c for c in await dispatcher.claim()}
    # Between the claim and the sending: one person paused, one blocked the bot.
    for telegram_id in (ones[PAUSED], batch[PAUSED]):
        await set_user(service, telegram_id, paused_until=now + timedelta(days=3))
    for telegram_id in (ones[INACTIVE], batch[INACTIVE]):
        await set_user(service, telegram_id, active=False)

    alone = {}
    for telegram_id in ones:
        alone[telegram_id] = await dispatcher.open(claimed[telegram_id])
    together = by_person(await dispatcher.open_many([claimed[t] for t in batch]))

    async def outcome(telegram_id: int, deliveries: Sequence[Any]) -> dict[str, Any]:
        item_id = claimed[telegram_id].id
        uid = await user_id(service, telegram_id)
        async with service.sessionmaker.begin() as session:
            runs = (await session.execute(select(RUNS.c.dialog, RUNS.c.status, RUNS.c.shown)
                                          .where(RUNS.c.user_id == uid)
                                          .order_by(RUNS.c.id))).all()
        return {
            "items": [(item.due_at, item.status, item.attempts, item.sent_at, item.last_error)
                      for item in await items_of(service, telegram_id)],
            "runs": [tuple(run) for run in runs],
            "got": [(d.recipient == telegram_id, [to_plain(m.text).replace(str(item_id), "#")
                                                  for m in d.messages]) for d in deliveries],
            "missed": item_id in pings.missed,
        }

    for case in CASES:
        assert together[batch[case]].error is None
        one, other = ones[case], batch[case]
        assert await outcome(other, together[other].deliveries) == \
            await outcome(one, alone[one]), case
    # ... and what each case is (so the comparison is not of two equally wrong outcomes):
    statuses = {case: [item.status for item in await items_of(service, batch[case])]
                for case in CASES}
    assert statuses == {
        PLAIN: [ItemStatus.SENT, ItemStatus.PENDING],
        NEW_RULE: [ItemStatus.SENT, ItemStatus.PENDING, ItemStatus.CANCELLED],
        MID_DIALOG: [ItemStatus.SENT, ItemStatus.PENDING],
        PAUSED: [ItemStatus.CANCELLED, ItemStatus.PENDING],
        INACTIVE: [ItemStatus.CANCELLED, ItemStatus.PENDING],
        LATE: [ItemStatus.MISSED, ItemStatus.PENDING],
    }
    uid = await user_id(service, batch[MID_DIALOG])
    async with service.sessionmaker.begin() as session:
        shown = await session.scalar(select(RUNS.c.shown).where(RUNS.c.user_id == uid))
    assert shown is False  # the ping arrived amid the dialog: typed text answers it no more


# --- what a batch costs -----------------------------------------------------------------------


async def test_a_batch_costs_a_fixed_handful_of_statements_whatever_its_size(
        service: ConversationService, engine: AsyncEngine, clock: FakeClock) -> None:
    start = clock.now
    small, large = list(range(6400, 6404)), list(range(6500, 6540))
    for telegram_id in (*small, *large):
        await person(service, telegram_id)
        await ping_at(service, telegram_id, start + timedelta(minutes=1),
                      start + timedelta(hours=1))
    clock.advance(minutes=1)
    dispatcher = Dispatcher(service)
    claimed = {c.telegram_id: c for c in await dispatcher.claim()}

    with statements(engine) as few:
        opened = await dispatcher.open_many([claimed[t] for t in small])
    assert all(one.deliveries for one in opened)
    with statements(engine) as many:
        opened = await dispatcher.open_many([claimed[t] for t in large])
    assert [texts(one) for one in opened] == \
        [[(t, ping_text(claimed[t].id))] for t in large]

    assert sum(many.values()) <= BATCH_BUDGET, many
    assert many == few  # ten times the people, not one statement more


async def test_people_amid_a_dialog_cost_a_batch_no_statement_each(
        service: ConversationService, engine: AsyncEngine, clock: FakeClock) -> None:
    """A ping that arrives amid a dialog hides its question (`Turn.hide_question`): that too is
    one statement for the batch, not one for each person."""
    start = clock.now
    people = list(range(6600, 6620))
    for telegram_id in people:
        await person(service, telegram_id, dialog="grow")
        await ping_at(service, telegram_id, start + timedelta(minutes=1))
    clock.advance(minutes=1)
    dispatcher = Dispatcher(service)
    claimed = await dispatcher.claim()

    with statements(engine) as seen:
        opened = await dispatcher.open_many([c for c in claimed if c.telegram_id is not None])
    assert all(one.deliveries for one in opened)
    assert sum(seen.values()) <= BATCH_BUDGET + 1, seen  # one UPDATE of their runs at most


# --- one item's trouble stays its own ---------------------------------------------------------


async def due_now(service: ConversationService, clock: FakeClock, people: Sequence[int],
                  dispatcher: Dispatcher) -> dict[int, Claimed]:
    """Each person with a ping due now and another in a day; their claims."""
    for telegram_id in people:
        await person(service, telegram_id)
        await ping_at(service, telegram_id, clock.now + timedelta(minutes=1),
                      clock.now + timedelta(days=1))
    clock.advance(minutes=1)
    return {c.telegram_id: c for c in await dispatcher.claim() if c.telegram_id is not None}


async def test_a_claim_taken_over_by_another_dispatcher_is_not_sent_by_this_one(
        service: ConversationService, clock: FakeClock) -> None:
    people = list(range(6700, 6706))
    lost = people[2]
    dispatcher = Dispatcher(service, owner="slow")
    claimed = await due_now(service, clock, people, dispatcher)
    # The slow dispatcher's lease ran out and another one claimed that item again.
    async with service.sessionmaker.begin() as session:
        await session.execute(update(ITEMS).where(ITEMS.c.id == claimed[lost].id).values(
            claimed_by="fast", lease_until=clock.now + timedelta(minutes=2)))

    opened = by_person(await dispatcher.open_many([claimed[t] for t in people]))

    assert opened[lost].deliveries == ()
    assert opened[lost].error is None
    row = await row_of(service, claimed[lost].id)
    assert (row["status"], row["claimed_by"], row["sent_at"]) == \
        (ItemStatus.CLAIMED.value, "fast", None)  # still the other one's to send
    for telegram_id in people:
        if telegram_id != lost:
            assert texts(opened[telegram_id]) == \
                [(telegram_id, ping_text(claimed[telegram_id].id))]
            assert (await items_of(service, telegram_id))[0].status is ItemStatus.SENT
    # The other dispatcher sends it, once.
    fast = Dispatcher(service, owner="fast")
    [delivery] = await fast.open(claimed[lost])
    assert delivery.recipient == lost
    assert (await items_of(service, lost))[0].status is ItemStatus.SENT


class Broken(Pings):
    """Ping, except that deciding one person's item fails."""

    def __init__(self, broken: int) -> None:
        super().__init__()
        self.broken = broken

    async def due(self, turn: Turn, item: ItemRecord) -> Response:
        if turn.user.telegram_id == self.broken:
            raise RuntimeError("this person's item cannot be decided")
        return await super().due(turn, item)


async def test_an_item_whose_kind_fails_fails_alone_and_is_retried_the_others_are_sent(
        engine: AsyncEngine, clock: FakeClock) -> None:
    people = list(range(6800, 6806))
    bad = people[3]
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock,
                                  schedule=ping_registry(Broken(bad)))
    start = clock.now
    dispatcher = Dispatcher(service)
    claimed = await due_now(service, clock, people, dispatcher)
    for telegram_id in people:  # the replan after each item would plan this, and cancel a day's
        await change_rule(service, telegram_id, start + timedelta(minutes=1),
                          start + timedelta(hours=2))
    batch = [claimed[t] for t in people]

    opened = await dispatcher.open_many(batch)

    assert [one.claimed for one in opened] == batch
    failed = by_person(opened)[bad]
    assert isinstance(failed.error, RuntimeError)
    assert failed.deliveries == ()
    for one in opened:
        if one is not failed:
            assert one.error is None
            assert texts(one) == [(one.claimed.telegram_id, ping_text(one.claimed.id))]
            assert one.claimed.telegram_id is not None
            assert [(item.due_at, item.status) for item in
                    await items_of(service, one.claimed.telegram_id)] == [
                (start + timedelta(minutes=1), ItemStatus.SENT),
                (start + timedelta(hours=2), ItemStatus.PENDING),
                (start + timedelta(days=1), ItemStatus.CANCELLED)]
    # Nothing of the failed item happened: still claimed (by this dispatcher), not sent, not
    # replanned.
    row = await row_of(service, claimed[bad].id)
    assert (row["status"], row["claimed_by"], row["sent_at"]) == \
        (ItemStatus.CLAIMED.value, dispatcher.owner, None)
    assert [(item.due_at, item.status) for item in await items_of(service, bad)] == [
        (start + timedelta(minutes=1), ItemStatus.CLAIMED),
        (start + timedelta(days=1), ItemStatus.PENDING)]

    await dispatcher.failed(failed.claimed, failed.error)  # as the dispatch job reports it
    [first, _] = await items_of(service, bad)
    assert (first.status, first.attempts, first.last_error, first.due_at) == \
        (ItemStatus.PENDING, 1, "RuntimeError", clock.now + timedelta(seconds=30))
    clock.advance(seconds=30)
    assert [c.id for c in await dispatcher.claim()] == [claimed[bad].id]  # tried again


async def test_a_paused_or_blocked_persons_item_is_cancelled_a_late_one_missed_the_rest_sent(
        service: ConversationService, clock: FakeClock, pings: Pings) -> None:
    start = clock.now
    paused, blocked, late = 6901, 6902, 6903
    others = [6904, 6905, 6906]
    now = start + timedelta(hours=7)
    for telegram_id in (paused, blocked, late, *others):
        await person(service, telegram_id)
        first = start + timedelta(minutes=1) if telegram_id == late else now
        await ping_at(service, telegram_id, first, now + timedelta(days=1))
    clock.now = now  # the late one's item is seven hours late: past the grace window
    dispatcher = Dispatcher(service)
    claimed = {c.telegram_id: c for c in await dispatcher.claim() if c.telegram_id is not None}
    await set_user(service, paused, paused_until=now + timedelta(days=2))
    await set_user(service, blocked, active=False)

    opened = by_person(await dispatcher.open_many(
        [claimed[t] for t in (paused, *others[:2], blocked, late, others[2])]))

    for telegram_id in (paused, blocked, late):
        assert (opened[telegram_id].deliveries, opened[telegram_id].error) == ((), None)
    assert (await items_of(service, paused))[0].status is ItemStatus.CANCELLED
    assert (await items_of(service, blocked))[0].status is ItemStatus.CANCELLED
    assert (await items_of(service, late))[0].status is ItemStatus.MISSED
    assert pings.missed == [claimed[late].id]  # the kind was told
    for telegram_id in others:
        assert texts(opened[telegram_id]) == [(telegram_id, ping_text(claimed[telegram_id].id))]
        assert [item.status for item in await items_of(service, telegram_id)] == \
            [ItemStatus.SENT, ItemStatus.PENDING]


async def test_a_batch_with_two_items_of_one_person_or_one_of_nobody_is_refused(
        service: ConversationService, clock: FakeClock) -> None:
    ana, ben = 6951, 6952
    for telegram_id in (ana, ben):
        await person(service, telegram_id)
    await ping_at(service, ana, clock.now + timedelta(minutes=1), clock.now + timedelta(minutes=2))
    await ping_at(service, ben, clock.now + timedelta(minutes=1))
    clock.advance(minutes=2)
    dispatcher = Dispatcher(service)
    claimed = [c for c in await dispatcher.claim() if c.telegram_id is not None]
    assert sorted(c.telegram_id or 0 for c in claimed) == [ana, ana, ben]

    with pytest.raises(ValueError, match="different people"):
        await dispatcher.open_many(claimed)
    nobody = dataclasses.replace(claimed[-1], telegram_id=None)
    with pytest.raises(ValueError, match="no person"):
        await dispatcher.open_many([nobody])
    # Refused before anything happened: all three are still claimed, none sent.
    for item in claimed:
        assert (await row_of(service, item.id))["status"] == ItemStatus.CLAIMED.value
