"""The dispatcher as people notice it: what is due goes out once, in order, never early; a claim
holds while its lease runs; downtime past the grace window is recorded as missed; the daily
clean-up forgets old rows. On a SQLite file and on PostgreSQL, with the test-only ping kind."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.telegram.dispatching import JOB_NAME
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from service.schedule.dispatch import Dispatcher
from service.schedule.maintenance import next_clean_up
from storage.database import create_sessionmaker
from storage.rows import ITEMS, UPDATES
from storage.schedule import (
    ItemRecord,
    NewItem,
    add_items,
    cancel_unplanned,
    item_by_id,
    item_by_key,
    pending_items,
    set_status,
)
from storage.vocabulary import ItemStatus
from tests.support.clock import FakeClock
from tests.support.schedule import PING, Pings, dispatch_once, ping_at, ping_registry, ping_service, ping_text
from tests.telegram.harness import E2E

ANA, BEN = 4101, 4102
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pings() -> Pings:
    return Pings()


@pytest.fixture
def service(engine: AsyncEngine, clock: FakeClock, pings: Pings) -> ConversationService:
    return ping_service(engine, clock, pings)


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


# --- over the Bot API stub, with the real Application and its JobQueue ------------------------


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll a database condition that the bot reaches on its own (a job, not an update), for at
    most ten seconds."""
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def dispatching(e2e: E2E, pings: Pings | None = None) -> ConversationService:
    """Restart the bot on a service that knows the ping kind, ticking every 50 ms."""
    await e2e.stop()
    e2e.service = ConversationService(
        create_sessionmaker(e2e.engine), scripts=default_scripts(), catalog=default_catalog(),
        clock=e2e.clock, schedule=ping_registry(pings))
    await e2e.start(dispatch_every=0.05)
    return e2e.service


async def statuses(e2e: E2E) -> list[ItemStatus]:
    """The ping items' statuses, by due time."""
    rows = sorted(await e2e.rows(ITEMS, kind=PING), key=lambda row: row["due_at"])
    return [ItemStatus(row["status"]) for row in rows]


async def test_the_jobqueue_tick_sends_an_item_once_the_clock_passes_its_time(e2e: E2E) -> None:
    service = await dispatching(e2e)
    client = e2e.client()
    await client.send("/start")
    await ping_at(service, client.user_id, e2e.clock.now + timedelta(hours=1))
    e2e.clock.advance(minutes=59)
    job_queue = e2e.bot.app.job_queue
    assert job_queue is not None
    [job] = job_queue.get_jobs_by_name(JOB_NAME)
    for _ in range(3):  # ticks go by (run here: a busy machine may hold the JobQueue's back)
        await job.run(e2e.bot.app)
    await e2e.settle()
    assert not any(text.startswith("ping") for text in client.texts)

    e2e.clock.advance(minutes=1)
    await e2e.stub.wait_for(lambda: client.texts[-1].startswith("ping "), what="the ping")
    await e2e.settle()
    assert [text for text in client.texts if text.startswith("ping")] == [client.texts[-1]]
    assert await statuses(e2e) == [ItemStatus.SENT]


async def test_a_failing_send_is_retried_then_failed_and_listed(e2e: E2E, tmp_path: Path) -> None:
    service = await dispatching(e2e)
    client = e2e.client()
    await client.send("/start")
    await ping_at(service, client.user_id, e2e.clock.now + timedelta(minutes=1))
    attempts = service.content.policy.send_attempts
    e2e.stub.fail_next("sendMessage", status=500, times=attempts, matching="ping")
    e2e.clock.advance(minutes=1)

    async def tried(times: int) -> bool:
        [row] = await e2e.rows(ITEMS, kind=PING)
        return bool(row["attempts"] == times and row["status"] != ItemStatus.CLAIMED.value)

    for attempt in range(1, attempts + 1):
        await eventually(lambda n=attempt: tried(n), f"attempt {attempt}")  # type: ignore[misc]
        [row] = await e2e.rows(ITEMS, kind=PING)
        if attempt < attempts:
            assert row["status"] == ItemStatus.PENDING.value
            e2e.clock.now = row["due_at"]  # its pause is over
    assert await statuses(e2e) == [ItemStatus.FAILED]
    assert not any(text.startswith("ping") for text in client.texts)

    listed = await coachbot(tmp_path, e2e.database_url, "schedule", "list", "--status", "failed")
    assert listed.returncode == 0, listed.stderr
    [header, row_text] = listed.stdout.splitlines()
    assert "due (UTC)" in header
    assert PING in row_text
    assert str(client.user_id) in row_text
    assert "failed" in row_text
    assert "NetworkError" in row_text  # the last error, by its kind (never message text)


async def test_a_blocked_person_is_marked_inactive_and_their_items_come_back_when_they_write(
        e2e: E2E) -> None:
    service = await dispatching(e2e)
    client = e2e.client()
    await client.send("/start")
    start = e2e.clock.now
    await ping_at(service, client.user_id, *(start + timedelta(hours=h) for h in (1, 2, 3)))
    e2e.stub.block_user(client.user_id)
    e2e.clock.advance(hours=1)

    async def inactive() -> bool:
        user = await e2e.user(client.user_id)
        return user is not None and not user["active"]

    await eventually(inactive, "the person marked unreachable")  # Telegram answered 403
    await eventually(lambda: _is(statuses(e2e), [ItemStatus.CANCELLED] * 3), "items cancelled")
    [first, *_] = sorted(await e2e.rows(ITEMS, kind=PING), key=lambda row: row["due_at"])
    assert first["last_error"] == "Forbidden"  # never reached them: not counted as sent

    e2e.stub.unblock_user(client.user_id)
    await client.send("hello again")  # writing again replans the rule
    assert await statuses(e2e) == [ItemStatus.CANCELLED, ItemStatus.PENDING, ItemStatus.PENDING]
    e2e.clock.advance(hours=1)
    await e2e.stub.wait_for(lambda: client.texts[-1].startswith("ping "), what="the ping")


async def test_a_my_chat_member_kick_cancels_items_and_a_new_member_update_replans(
        e2e: E2E) -> None:
    service = await dispatching(e2e)
    client = e2e.client()
    await client.send("/start")
    await ping_at(service, client.user_id, e2e.clock.now + timedelta(hours=1))

    e2e.stub.raw_update(member_update(e2e, client.user_id, "member", "kicked"))
    await e2e.settle()
    user = await e2e.user(client.user_id)
    assert user is not None
    assert user["active"] is False
    assert await statuses(e2e) == [ItemStatus.CANCELLED]

    e2e.stub.raw_update(member_update(e2e, client.user_id, "kicked", "member"))
    await e2e.settle()
    user = await e2e.user(client.user_id)
    assert user is not None
    assert user["active"] is True
    assert await statuses(e2e) == [ItemStatus.PENDING]


async def _is(value: Awaitable[list[ItemStatus]], expected: list[ItemStatus]) -> bool:
    return await value == expected


def member_update(e2e: E2E, user_id: int, old: str, new: str) -> dict[str, Any]:
    """A my_chat_member update: the person blocked (kicked) or unblocked (member) the bot."""
    user = e2e.stub.users[user_id]
    return {"my_chat_member": {
        "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
        "from": user, "date": int(time.time()),
        "old_chat_member": {"status": old, "user": e2e.stub.bot_user,
                            **({"until_date": 0} if old == "kicked" else {})},
        "new_chat_member": {"status": new, "user": e2e.stub.bot_user,
                            **({"until_date": 0} if new == "kicked" else {})}}}


async def coachbot(tmp_path: Path, database_url: str, *args: str,
                   **env: str) -> subprocess.CompletedProcess[str]:
    """The `coachbot` command as an operator runs it, without blocking this event loop (the stub
    runs in it)."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "COACHBOT_", "DATABASE_URL"))}
    environment.update(DATABASE_URL=database_url, PYTHONPATH=str(ROOT), **env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.schedule", *args, cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())


async def test_a_bot_stopped_mid_batch_stops_and_what_it_had_not_sent_goes_out_once_later(
        e2e: E2E) -> None:
    """A fan-out larger than a second's budget is being fed when the bot stops: the stop
    completes (nothing more is claimed or fed), and after a restart each person gets their item
    exactly once (what stayed claimed is reclaimed when its lease ends)."""
    service = await dispatching(e2e)
    people = list(range(5000, 5045))  # 45 messages: more than the 30 a second the limiter allows
    for telegram_id in people:
        e2e.stub.compose_user_message(telegram_id, "/start")  # the stub knows their chat
        await person(service, telegram_id)
        await ping_at(service, telegram_id, e2e.clock.now + timedelta(minutes=1))
    e2e.clock.advance(minutes=1)
    await e2e.stub.wait_for(lambda: e2e.stub.calls_of("sendMessage"), what="the first ping")
    await asyncio.wait_for(e2e.stop(), timeout=10)
    before = len([c for c in e2e.stub.calls_of("sendMessage") if c["text"].startswith("ping")])
    assert before < len(people)

    e2e.clock.advance(seconds=service.content.policy.lease.total_seconds() + 1)
    await dispatching(e2e)

    def pinged() -> list[int]:
        return [int(c["chat_id"]) for c in e2e.stub.calls_of("sendMessage")
                if c["text"].startswith("ping")]

    await e2e.stub.wait_for(lambda: len(pinged()) >= len(people), timeout=20, what="every ping")
    await e2e.settle()
    assert sorted(pinged()) == people  # each once
    assert await statuses(e2e) == [ItemStatus.SENT] * len(people)


async def test_a_batchs_replanning_cancels_only_its_peoples_unplanned_pending_items_of_its_kinds(
        service: ConversationService, clock: FakeClock) -> None:
    for telegram_id in (ANA, BEN, 4103):
        await person(service, telegram_id)
    ana, ben, other = [await _uid(service, t) for t in (ANA, BEN, 4103)]
    due = clock.now + timedelta(days=1)
    planned = {f"{kind}:{user}:{n}": NewItem(f"{kind}:{user}:{n}", kind, user, due, {})
               for kind in (PING, "other") for user in (ana, ben, other) for n in (1, 2)}
    async with service.sessionmaker.begin() as session:
        await add_items(session, planned.values(), clock.now)
        sent = await item_by_key(session, f"{PING}:{ben}:2")
        assert sent is not None
        await set_status(session, sent.id, ItemStatus.SENT, clock.now)
        cancelled = await cancel_unplanned(session, [ana, ben], [PING],
                                           [f"{PING}:{ana}:1", f"{PING}:{other}:1"], clock.now)
    async with service.sessionmaker.begin() as session:
        statuses = {key: (await item_by_key(session, key)) for key in planned}
    assert cancelled == 2  # Ana's second and Ben's first: Ben's second was sent already
    assert {key for key, item in statuses.items()
            if item is not None and item.status is ItemStatus.CANCELLED} == {
        f"{PING}:{ana}:2", f"{PING}:{ben}:1"}
    assert statuses[f"{PING}:{ben}:2"].status is ItemStatus.SENT  # type: ignore[union-attr]
