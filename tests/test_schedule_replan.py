"""What the dispatcher plans after an item, and what it leaves alone: the planners of the item's
kind (and those that name it in `after`) run, every planner after a kind that replans all, no
other; so sending one kind never cancels or moves another's items, and every kind still gets its
next occurrence. Also how few statements one item costs (a dozen planners ran for each before)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from service.messages import OutMessage, Response
from service.schedule.dispatch import Dispatcher
from service.schedule.kinds import PersonKind, Planner
from service.schedule.plan import replan
from service.schedule.registry import default_registry
from service.turn import Turn
from storage.database import create_sessionmaker
from storage.schedule import ItemRecord, NewItem, listing, set_rule
from storage.vocabulary import ItemStatus, JSONObject
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.schedule import PING, Pings, dispatch_once, ping_at, ping_registry, statements

ANA = 4301
PONG = "pong"
#: Statements one ping item may cost in its turn (the user, the claim checked and marked sent,
#: the rules, the ping planner's cancel and insert), BEGIN included.
ITEM_BUDGET = 7


class Pongs:
    """A second test-only kind like ping, whose planner counts its runs."""

    def __init__(self) -> None:
        self.planned = 0

    async def due(self, _turn: Turn, item: ItemRecord) -> Response:
        return Response((OutMessage(f"pong {item.id}"),))

    async def plan(self, turn: Turn, rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
        self.planned += 1
        times = rules.get(PONG, {}).get("at", [])
        assert isinstance(times, list)
        return [NewItem(f"{PONG}:{turn.user.id}:{at}", PONG, turn.user.id,
                        datetime.fromisoformat(str(at)), {})
                for at in times if datetime.fromisoformat(str(at)) > turn.now]


@pytest.fixture
def pongs() -> Pongs:
    return Pongs()


@pytest.fixture
def service(engine: AsyncEngine, clock: FakeClock, pongs: Pongs) -> ConversationService:
    """The shipped kinds, ping, and pong."""
    registry = ping_registry(Pings()).add(PersonKind(PONG, pongs.due),
                                          Planner(frozenset({PONG}), pongs.plan))
    return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                               catalog=default_catalog(), clock=clock, schedule=registry)


async def pending(service: ConversationService) -> dict[int, tuple[str, datetime]]:
    """Every pending item of a person: id → (kind, due)."""
    async with service.sessionmaker.begin() as session:
        rows = await listing(session, status=ItemStatus.PENDING)
    return {row.item.id: (row.item.kind, row.item.due_at)
            for row in rows if row.item.user_id is not None}


async def pong_at(service: ConversationService, *times: datetime) -> None:
    async with service.turn_of(ANA) as turn:
        assert turn is not None
        await set_rule(turn.session, turn.user.id, PONG,
                       {"at": [moment.isoformat() for moment in times]}, turn.now)
    async with service.turn_of(ANA) as turn:  # plans with every planner, as a command does
        assert turn is not None
        await replan(turn, turn.content.schedule)


def test_the_planners_that_run_after_an_item_are_its_kinds_those_naming_it_or_all() -> None:
    registry = default_registry()

    def kinds_after(kind: str) -> list[frozenset[str]]:
        return [planner.kinds for planner in registry.planners_after(kind)]

    assert kinds_after("checkin") == [frozenset({"checkin"})]
    assert kinds_after("reflection_day") == [frozenset({"ending_notice", "reflection_invite",
                                                        "reflection_day", "reflection_reminder"})]
    # the mentor's brief for the next meeting follows the mentee's agenda request
    assert kinds_after("agenda_request") == [frozenset({"agenda_request"}), frozenset()]
    assert kinds_after("checkin_reminder") == []  # a follow-up plans nothing of its own
    assert registry.planners_after("introduction") == registry.planners  # made outside a turn
    assert registry.planners_after("no such kind") == []


async def test_an_item_sent_leaves_the_other_kinds_items_alone_and_each_kind_gets_its_next(
        service: ConversationService, clock: FakeClock, pongs: Pongs) -> None:
    await service.handle(Person(ANA, "Ana", "en"), CommandIn("start"))
    start = clock.now
    await ping_at(service, ANA, start + timedelta(hours=1), start + timedelta(hours=3))
    await pong_at(service, start + timedelta(hours=2), start + timedelta(hours=4))
    before = await pending(service)
    assert sorted(before.values()) == [(PING, start + timedelta(hours=1)),
                                       (PING, start + timedelta(hours=3)),
                                       (PONG, start + timedelta(hours=2)),
                                       (PONG, start + timedelta(hours=4))]
    runs = pongs.planned

    clock.advance(hours=1)
    [ping] = (await dispatch_once(service))[ANA]
    assert ping.startswith("ping ")
    after = await pending(service)
    assert pongs.planned == runs  # pong's planner did not run for a ping
    assert {i: v for i, v in after.items() if v[0] == PONG} == \
        {i: v for i, v in before.items() if v[0] == PONG}  # the same rows, untouched
    assert [v for v in after.values() if v[0] == PING] == [(PING, start + timedelta(hours=3))]

    clock.advance(hours=1)
    [pong] = (await dispatch_once(service))[ANA]
    assert pong.startswith("pong ")
    assert pongs.planned == runs + 1
    assert sorted((await pending(service)).values()) == [(PING, start + timedelta(hours=3)),
                                                         (PONG, start + timedelta(hours=4))]


async def test_a_check_in_sent_keeps_the_agenda_request_and_each_plans_its_next(
        service: ConversationService, chat: Chat, clock: FakeClock) -> None:
    """The shipped kinds: a daily check-in and a weekly meeting's agenda request, in Berlin."""
    clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
    await chat.send("/settings timezone Europe/Berlin")
    await chat.send("/checkins daily 18:30")
    await chat.send("/meeting every wednesday 17:00")  # the agenda request: Tuesdays at 17:00
    before = await pending(service)
    [agenda] = [i for i, (kind, _) in before.items() if kind == "agenda_request"]
    [checkin] = [i for i, (kind, _) in before.items() if kind == "checkin"]
    assert before[checkin][1] == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)

    clock.now = before[checkin][1]
    assert chat.user_id in await dispatch_once(service)
    after = await pending(service)
    assert after[agenda] == before[agenda]  # the same row, due as before
    assert [due for kind, due in after.values() if kind == "checkin"] == \
        [datetime(2026, 11, 24, 17, 30, tzinfo=UTC)]

    clock.now = before[agenda][1]  # Tuesday 17:00 local, an hour before that check-in
    assert chat.user_id in await dispatch_once(service)
    after = await pending(service)
    assert sorted(due for kind, due in after.values() if kind == "agenda_request") == \
        [datetime(2026, 12, 1, 16, 0, tzinfo=UTC)]  # a week later
    assert [due for kind, due in after.values() if kind == "checkin"] == \
        [datetime(2026, 11, 24, 17, 30, tzinfo=UTC)]  # still there


async def test_one_item_costs_a_handful_of_statements_and_a_claim_no_clean_up_insert(
        service: ConversationService, engine: AsyncEngine, clock: FakeClock) -> None:
    await service.handle(Person(ANA, "Ana", "en"), CommandIn("start"))
    await ping_at(service, ANA, clock.now + timedelta(minutes=1), clock.now + timedelta(hours=1))
    clock.advance(minutes=1)
    dispatcher = Dispatcher(service)
    with statements(engine) as first_claim:
        [claimed] = await dispatcher.claim()
    assert first_claim["INSERT"] == 1  # the first claim plans the daily clean-up
    with statements(engine) as opening:
        assert await dispatcher.open(claimed)
    assert sum(opening.values()) <= ITEM_BUDGET, opening
    with statements(engine) as later_claim:
        assert await dispatcher.claim() == []
    assert later_claim["INSERT"] == 0  # ... later ones do not again
