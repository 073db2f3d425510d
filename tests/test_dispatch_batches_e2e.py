"""The dispatcher's batches over the Bot API stub: the real Application, its JobQueue ticking the
dispatch job, which feeds small batches of different people (`PeopleWork`) into their turns. A
person with two items due at once gets both, once each, in the order they were due, beside
everyone else's; also while another person of the same batch is busy with their own message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.telegram.dispatching import JOB_NAME, DispatchJob
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import CommandIn, Person
from storage.database import create_sessionmaker
from storage.rows import ITEMS, USERS
from storage.vocabulary import ItemStatus
from tests.support.schedule import PING, ping_at, ping_registry, ping_text
from tests.telegram.harness import E2E

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def dispatching(e2e: E2E) -> ConversationService:
    """Restart the bot on a service that knows the ping kind, ticking every 50 ms."""
    await e2e.stop()
    e2e.service = ConversationService(
        create_sessionmaker(e2e.engine), scripts=default_scripts(), catalog=default_catalog(),
        clock=e2e.clock, schedule=ping_registry())
    await e2e.start(dispatch_every=0.05)
    return e2e.service


async def known(e2e: E2E, service: ConversationService, telegram_id: int) -> None:
    """Someone who said /start (to the stub too, so the bot may write to them)."""
    e2e.stub.compose_user_message(telegram_id, "/start")
    await service.handle(Person(telegram_id, "Ana", "en"), CommandIn("start"))


def pings_sent(e2e: E2E) -> list[tuple[int, str]]:
    """Every ping the bot sent, (chat, text), in the order they reached the chat (a message held
    back at the stub reaches it when it is let through)."""
    return [(int(message["chat_id"]), str(message["text"])) for message in e2e.stub.sent_messages
            if str(message["text"]).startswith(PING)]


async def items_by_due(e2e: E2E, telegram_id: int) -> list[dict[str, Any]]:
    [user] = await e2e.rows(USERS, telegram_id=telegram_id)
    return sorted(await e2e.rows(ITEMS, kind=PING, user_id=user["id"]),
                  key=lambda row: (row["due_at"], row["id"]))


def held_back(e2e: E2E, monkeypatch: pytest.MonkeyPatch,
              which: Callable[[int, str], bool]) -> asyncio.Event:
    """Messages `which(chat, text)` selects wait at the stub (Telegram slow to answer) until the
    returned event is set."""
    release = asyncio.Event()
    send = e2e.stub._methods["sendmessage"]

    async def slow(params: dict[str, Any]) -> Any:
        if which(int(params["chat_id"]), str(params["text"])):
            await release.wait()
        return await send(params)

    monkeypatch.setitem(e2e.stub._methods, "sendmessage", slow)
    return release


async def plan(e2e: E2E, service: ConversationService, people: Sequence[int],
               times: Callable[[int], Sequence[datetime]]) -> None:
    for telegram_id in people:
        await known(e2e, service, telegram_id)
        await ping_at(service, telegram_id, *times(telegram_id))


async def every_ping_once(e2e: E2E, people: Sequence[int]) -> dict[int, list[str]]:
    """Wait for each planned ping to arrive and be recorded as sent (no later tick can claim it
    again), then check none came twice. What each person got, in the order it reached them."""
    expected: dict[int, list[str]] = {}
    for telegram_id in people:
        expected[telegram_id] = [ping_text(row["id"])
                                 for row in await items_by_due(e2e, telegram_id)]
    total = sum(map(len, expected.values()))
    await e2e.stub.wait_for(lambda: len(pings_sent(e2e)) >= total, timeout=15,
                            what=f"{total} pings")
    for _ in range(500):  # ten seconds at most for the last ones to be recorded as sent
        if all(row["status"] == ItemStatus.SENT.value for row in await e2e.rows(ITEMS, kind=PING)):
            break
        await asyncio.sleep(0.02)
    await e2e.settle()
    got: dict[int, list[str]] = {telegram_id: [] for telegram_id in people}
    for chat, text in pings_sent(e2e):
        got[chat].append(text)
    assert sorted(pings_sent(e2e)) == sorted(
        (telegram_id, text) for telegram_id, texts in expected.items() for text in texts)  # once
    for telegram_id in people:
        assert [row["status"] for row in await items_by_due(e2e, telegram_id)] == \
            [ItemStatus.SENT.value] * len(expected[telegram_id])
    return got


@pytest.mark.parametrize("e2e", BACKENDS, indirect=True)
async def test_two_items_of_one_person_beside_many_others_arrive_once_each_in_due_order(
        e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty people's pings due at once, one person's two a minute apart, both among the first
    eight claimed: the first small batch (eight at first) leaves her later item for the next,
    which is fed while the first is still in flight. Telegram is slow to take her first."""
    service = await dispatching(e2e)
    start = e2e.clock.now
    ana, others = 5200, list(range(5201, 5220))
    first, second = start + timedelta(minutes=1), start + timedelta(minutes=2)
    await plan(e2e, service, [ana], lambda _: (first, second))
    await plan(e2e, service, others[:3], lambda _: (first + timedelta(seconds=20),))
    await plan(e2e, service, others[3:], lambda telegram_id: (
        second + timedelta(seconds=telegram_id % 3 * 20),))
    [earlier, _] = await items_by_due(e2e, ana)
    release = held_back(e2e, monkeypatch,
                        lambda chat, text: chat == ana and text == ping_text(earlier["id"]))
    e2e.clock.now = second + timedelta(minutes=1)  # all due at the same tick

    with contextlib.suppress(AssertionError):  # were her later ping sent meanwhile, it would be
        await e2e.stub.wait_for(lambda: _sent_to(e2e, ana), timeout=1)  # by then
    release.set()
    got = await every_ping_once(e2e, [ana, *others])

    rows = await items_by_due(e2e, ana)
    assert [row["due_at"] for row in rows] == [first, second]
    assert got[ana] == [ping_text(row["id"]) for row in rows]  # in the order they were due
    assert e2e.errors == []


@pytest.mark.parametrize("e2e", BACKENDS, indirect=True)
async def test_a_persons_later_item_does_not_overtake_the_earlier_one_held_up_by_someone_else(
        e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch with Ana's earlier item also holds Ben's, and Ben is busy: the bot's answer to
    his own message is slow to reach Telegram, so his turn is taken. Ana's later item is in the
    next batch, which does not need Ben: it must still not reach her before her earlier one."""
    service = await dispatching(e2e)
    start = e2e.clock.now
    ben, ana, others = 5300, 5301, list(range(5302, 5312))
    first, second = start + timedelta(minutes=1), start + timedelta(minutes=2)
    await plan(e2e, service, [ben], lambda _: (first,))
    await plan(e2e, service, [ana], lambda _: (first, second))
    await plan(e2e, service, others, lambda _: (first + timedelta(seconds=30),))

    # Ben's answer to /help waits at the stub until the test lets it through.
    release = held_back(e2e, monkeypatch,
                        lambda chat, text: chat == ben and not text.startswith(PING))
    e2e.stub.user_message(ben, "/help")
    await e2e.stub.wait_for(lambda: any(int(call["chat_id"]) == ben
                                        for call in e2e.stub.calls_of("sendMessage")),
                            what="the bot answering Ben")
    e2e.clock.now = second  # Ben's, Ana's two and the others' all due at once

    with contextlib.suppress(AssertionError):  # were Ana's later ping sent now, it would be by
        await e2e.stub.wait_for(lambda: _sent_to(e2e, ana), timeout=1)  # then: a second at most
    release.set()
    got = await every_ping_once(e2e, [ben, ana, *others])

    rows = await items_by_due(e2e, ana)
    assert got[ana] == [ping_text(row["id"]) for row in rows]  # in the order they were due


def _sent_to(e2e: E2E, telegram_id: int) -> bool:
    return any(chat == telegram_id for chat, _ in pings_sent(e2e))


@pytest.mark.parametrize("e2e", BACKENDS, indirect=True)
async def test_one_slow_send_holds_up_nobody_else_of_its_batch(
        e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forty people's pings due at once, sent a few people side by side (`SENDERS`): Telegram
    keeps Ana's waiting, and the other thirty-nine still get theirs meanwhile; hers follows once
    it is let through, and nobody gets anything twice."""
    service = await dispatching(e2e)
    ana, others = 5300, list(range(5301, 5340))
    due = e2e.clock.now + timedelta(minutes=1)
    await plan(e2e, service, [ana, *others], lambda _: (due,))
    release = held_back(e2e, monkeypatch, lambda chat, _text: chat == ana)
    e2e.clock.now = due + timedelta(seconds=30)

    await e2e.stub.wait_for(lambda: {chat for chat, _ in pings_sent(e2e)} == set(others),
                            timeout=15, what="the others' pings while Ana's waits")
    assert ana not in {chat for chat, _ in pings_sent(e2e)}
    release.set()
    got = await every_ping_once(e2e, [ana, *others])
    assert all(len(texts) == 1 for texts in got.values())
    assert e2e.errors == []


@pytest.mark.parametrize("e2e", ["sqlite"], indirect=True)
async def test_ticks_merged_into_a_long_pass_are_not_logged_as_warnings(
        e2e: E2E, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A pass longer than the tick (a busy hour) merges the ticks that come meanwhile, by design:
    the log keeps its warnings for real problems, and another job's skipped runs still show."""
    slow_passes = 0

    async def slow_tick(_self: DispatchJob, _context: object) -> None:
        nonlocal slow_passes
        slow_passes += 1
        await asyncio.sleep(0.3)

    monkeypatch.setattr(DispatchJob, "tick", slow_tick)
    await e2e.stop()
    running = await e2e.start(dispatch_every=0.05)
    assert running.app.job_queue is not None
    running.app.job_queue.run_repeating(lambda _context: asyncio.sleep(0.3), interval=0.05,
                                    name="another-job", job_kwargs={"max_instances": 1})
    with caplog.at_level(logging.WARNING, logger="apscheduler"):
        await asyncio.sleep(0.8)
    skipped = [r.getMessage() for r in caplog.records if "maximum number of running" in r.getMessage()]
    assert slow_passes >= 2
    assert skipped, "the other job's skipped runs are still logged"
    assert not any(JOB_NAME in message for message in skipped), skipped
