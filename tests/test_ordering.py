"""The per-person update processor: waiting for one's own turn holds no concurrency slot, one
person's backlog is capped, and work that is not an update is never refused."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import Update

from bot.telegram.delivery import PeopleWork, PersonWork
from bot.telegram.ordering import PerUserUpdateProcessor
from service.conversation import ConversationService
from service.messages import Delivery

ANA, BEN = 4242, 4343
_ids = iter(range(1, 10_000))


def update_from(person: int) -> Update:
    update = Update.de_json({"update_id": next(_ids), "message": {
        "message_id": 1, "date": 0, "text": "hi", "chat": {"id": person, "type": "private"},
        "from": {"id": person, "is_bot": False, "first_name": "X"}}}, None)
    assert update is not None
    return update


async def _nothing(_service: ConversationService) -> tuple[Delivery, ...]:
    return ()


class Run:
    """Feeds items to a processor as the Application's update fetcher does (one task each)."""

    def __init__(self, processor: PerUserUpdateProcessor) -> None:
        self.processor = processor
        self.done: list[object] = []
        self.tasks: list[asyncio.Task[None]] = []

    def feed(self, item: object, gate: asyncio.Event | None = None) -> None:
        async def handle() -> None:
            if gate is not None:
                await gate.wait()
            self.done.append(item)

        self.tasks.append(asyncio.ensure_future(self.processor.process_update(item, handle())))

    async def finish(self) -> None:
        await asyncio.wait_for(asyncio.gather(*self.tasks), 5)


def refusals() -> tuple[list[tuple[int, bool]], Callable[[Update, bool], Awaitable[None]]]:
    seen: list[tuple[int, bool]] = []

    async def refuse(update: Update, first: bool) -> None:
        seen.append((update.update_id, first))

    return seen, refuse


async def test_a_person_waiting_for_their_turn_holds_no_slot() -> None:
    run = Run(PerUserUpdateProcessor(2))
    gate = asyncio.Event()
    for _ in range(10):  # Ana's first holds a slot until the gate opens; nine wait for her turn
        run.feed(update_from(ANA), gate)
    ben = update_from(BEN)
    run.feed(ben)
    await asyncio.wait_for(run.tasks[-1], 1)  # Ben got the second slot at once
    assert run.done == [ben]
    gate.set()
    await run.finish()
    assert len(run.done) == 11


async def test_a_backlog_over_the_cap_is_refused_once_per_burst_but_person_work_never() -> None:
    seen, refuse = refusals()
    run = Run(PerUserUpdateProcessor(8, max_backlog=3, refuse=refuse))
    gate = asyncio.Event()
    kept = [update_from(ANA) for _ in range(3)]
    over = [update_from(ANA) for _ in range(3)]
    work = PersonWork(ANA, _nothing)
    for update in kept:
        run.feed(update, gate)
    for update in over:
        run.feed(update)
    run.feed(work, gate)
    await asyncio.sleep(0)  # let every task reach its decision
    gate.set()
    await run.finish()
    assert run.done == [*kept, work]  # in order; the refused ones never ran
    assert seen == [(over[0].update_id, True), (over[1].update_id, False),
                    (over[2].update_id, False)]

    # The backlog emptied: the next burst over the cap is told again.
    gate = asyncio.Event()
    for _ in range(3):
        run.feed(update_from(ANA), gate)
    late = update_from(ANA)
    run.feed(late)
    await asyncio.sleep(0)
    gate.set()
    await run.finish()
    assert seen[-1] == (late.update_id, True)


async def test_a_handled_update_is_reported_finished_and_a_cancelled_one_is_not() -> None:
    finished: list[object] = []

    async def note(update: object) -> None:
        finished.append(update)

    processor = PerUserUpdateProcessor(4, finished=note)
    handled, cancelled = update_from(ANA), update_from(BEN)
    await processor.process_update(handled, asyncio.sleep(0))
    task = asyncio.ensure_future(processor.process_update(cancelled, asyncio.Event().wait()))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert finished == [handled]


# --- work for several people at once (the dispatcher's batch) ---------------------------------

CARL = 4444


async def _let_run() -> None:
    """Let every task that can go on do so (they wait for nothing but each other)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def _no_one(_service: ConversationService) -> tuple[PersonWork, ...]:
    return ()


async def test_people_work_holds_each_ones_turn_and_no_one_elses() -> None:
    """Ben's message waits until the batch holding his turn is over, then runs; Carl, not in the
    batch, is answered at once."""
    run = Run(PerUserUpdateProcessor(8))
    gate = asyncio.Event()
    batch = PeopleWork((BEN, ANA), _no_one)
    ben, carl = update_from(BEN), update_from(CARL)
    run.feed(batch, gate)  # holds Ana's and Ben's turns until the gate opens
    run.feed(ben)
    run.feed(carl)
    await asyncio.wait_for(run.tasks[-1], 1)  # Carl's: not kept waiting by the batch
    await _let_run()  # Ben's would run now, were it allowed to
    assert run.done == [carl]  # Ben's waits for the batch
    gate.set()
    await run.finish()
    assert run.done == [carl, batch, ben]  # after it, not during it


async def test_people_work_waits_for_an_update_in_flight_of_any_of_its_people() -> None:
    run = Run(PerUserUpdateProcessor(8))
    gate = asyncio.Event()
    ben = update_from(BEN)
    batch = PeopleWork((ANA, BEN), _no_one)
    run.feed(ben, gate)
    run.feed(batch)
    await _let_run()
    assert run.done == []  # Ben's turn is taken: the batch is not decided meanwhile
    gate.set()
    await run.finish()
    assert run.done == [ben, batch]


async def test_two_batches_of_the_same_people_in_opposite_orders_both_finish() -> None:
    """Each batch waits for Ana's and Ben's turns while both are busy; if one took Ana's first and
    the other Ben's, each would hold what the other waits for, forever."""
    run = Run(PerUserUpdateProcessor(8))
    ana_gate, ben_gate = asyncio.Event(), asyncio.Event()
    ana, ben = update_from(ANA), update_from(BEN)
    first, second = PeopleWork((ANA, BEN), _no_one), PeopleWork((BEN, ANA), _no_one)
    run.feed(ana, ana_gate)
    run.feed(ben, ben_gate)
    run.feed(first)
    run.feed(second)
    await asyncio.sleep(0)
    ana_gate.set()
    ben_gate.set()
    await asyncio.wait_for(asyncio.gather(*run.tasks), 2)
    assert sorted(map(id, run.done)) == sorted(map(id, [ana, ben, first, second]))
    assert run.done.index(first) < run.done.index(second)  # in the order they came
