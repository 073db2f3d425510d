"""The per-person update processor: waiting for one's own turn holds no concurrency slot, one
person's backlog is capped, and work that is not an update is never refused."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import Update

from bot.telegram.delivery import PersonWork
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
