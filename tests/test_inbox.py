"""The inbox: an update Telegram handed over is saved before Telegram is told it arrived, and what
a crash left there is handled at the next start, in order, once.

A crash is played by stopping the bot and leaving rows in the inbox as a killed process would have
(tests/test_crash_recovery.py kills a real `coachbot run`)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.telegram.inbox import MAX_REPLAYS
from storage.inbox import keep_update, take_up_leftovers
from storage.rows import INBOX
from tests.telegram.client import ChatClient
from tests.telegram.harness import E2E, say
from tests.telegram.stub import JSON

pytestmark = pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)


def question(step: str) -> str:
    return say("en", f"agreement.steps.{step}.text")


async def agreement_open(e2e: E2E, *people: int) -> list[ChatClient]:
    clients = [e2e.client(person) for person in people]
    for client in clients:
        assert question("purpose") in (await client.send("/agreement"))[-1]
    return clients


async def crash_leaving(e2e: E2E, *updates: JSON) -> None:
    """Stop the bot with these updates in its inbox (Telegram has forgotten them)."""
    await e2e.stop()
    async with e2e.service.sessionmaker.begin() as session:
        for update in updates:
            person = update["message"]["from"]["id"]
            assert await keep_update(session, update["update_id"], person, update, e2e.clock())


def new_texts(client: ChatClient, seen: int) -> list[str]:
    return [message["text"] for message in client.messages[seen:]]


async def test_updates_a_crash_left_are_handled_at_start_up_in_order_and_once(e2e: E2E) -> None:
    ana, ben = await agreement_open(e2e, 4242, 4343)
    seen = {client.user_id: len(client.messages) for client in (ana, ben)}
    compose = e2e.stub.compose_user_message
    await crash_leaving(e2e, compose(4242, "Ana's purpose"), compose(4343, "Ben's purpose"),
                        compose(4242, "Ana's success"))

    await e2e.restart()
    await e2e.settle()

    assert new_texts(ana, seen[4242]) == [question("success"), question("expect_mentor")]
    assert new_texts(ben, seen[4343]) == [question("success")]
    assert await e2e.answers(4242) == {"purpose": "Ana's purpose", "success": "Ana's success"}
    assert await e2e.answers(4343) == {"purpose": "Ben's purpose"}
    await e2e.stop()  # a graceful stop forgets what was handled
    assert await e2e.rows(INBOX) == []


async def test_an_answer_saved_before_the_crash_is_not_saved_again_and_its_reply_is_made_up_for(
    e2e: E2E,
) -> None:
    ana, ben = await agreement_open(e2e, 4242, 4343)
    await ana.send("Ana's purpose")  # handled, reply sent, but the crash came before it was forgotten
    handled_ana = ana.last_update
    await ben.send("Ben's purpose")
    handled_ben = ben.last_update
    assert handled_ana is not None
    assert handled_ben is not None
    seen = {client.user_id: len(client.messages) for client in (ana, ben)}
    await crash_leaving(e2e, handled_ana, handled_ben,
                        e2e.stub.compose_user_message(4343, "Ben's success"))

    await e2e.restart()
    await e2e.settle()

    # Ana's last update was handled: a note and her open question; Ben's newer one answers him.
    assert new_texts(ana, seen[4242]) == [say("en", "common.service.restarted"),
                                          question("success")]
    assert new_texts(ben, seen[4343]) == [question("expect_mentor")]
    assert await e2e.answers(4242) == {"purpose": "Ana's purpose"}
    assert await e2e.answers(4343) == {"purpose": "Ben's purpose", "success": "Ben's success"}
    await e2e.stop()  # a graceful stop forgets what was handled
    assert await e2e.rows(INBOX) == []


async def test_an_update_that_never_gets_through_is_given_up_after_a_few_start_ups(
    e2e: E2E, caplog: pytest.LogCaptureFixture
) -> None:
    [ana] = await agreement_open(e2e, 4242)
    seen = len(ana.messages)
    poison = e2e.stub.compose_user_message(4242, "Ana's purpose")
    await crash_leaving(e2e, poison)
    for _ in range(MAX_REPLAYS):  # start-ups that died while handling it
        async with e2e.service.sessionmaker.begin() as session:
            await take_up_leftovers(session)

    with caplog.at_level(logging.WARNING):
        await e2e.restart()
        await e2e.settle()

    assert new_texts(ana, seen) == []
    assert await e2e.answers(4242) == {}
    await e2e.stop()  # a graceful stop forgets what was handled
    assert await e2e.rows(INBOX) == []
    assert f"update {poison['update_id']} given up" in caplog.text
    assert "Ana's purpose" not in caplog.text


async def test_an_update_whose_handling_failed_is_not_taken_up_again(e2e: E2E) -> None:
    [ana] = await agreement_open(e2e, 4242)
    e2e.stub.fail_next("sendMessage", status=400, description="Bad Request: test failure")
    await ana.send("Ana's purpose")
    assert ana.last_text == say("en", "common.service.error")
    [(_, error)] = e2e.bot.recorder.errors
    e2e.bot.recorder.errors.clear()  # the one error this test expects
    assert str(error) == "Test failure"
    seen = len(ana.messages)

    await e2e.restart()
    await e2e.settle()

    assert new_texts(ana, seen) == []
    await e2e.stop()  # a graceful stop forgets what was handled
    assert await e2e.rows(INBOX) == []


class _Seen(logging.Handler):
    """Sets an event when a record with this text is logged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.event = text, asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


async def test_an_update_the_inbox_cannot_save_stays_with_telegram_until_it_can(e2e: E2E) -> None:
    [ana] = await agreement_open(e2e, 4242)
    seen = len(ana.messages)
    polling_failed = _Seen("Exception happened while polling for updates")
    logging.getLogger("telegram.ext").addHandler(polling_failed)
    try:
        async with e2e.engine.begin() as connection:
            await connection.exec_driver_sql("ALTER TABLE inbox RENAME TO inbox_away")
        update = e2e.stub.user_message(4242, "Ana's purpose")
        await asyncio.wait_for(polling_failed.event.wait(), 10)
        async with e2e.engine.begin() as connection:
            await connection.exec_driver_sql("ALTER TABLE inbox_away RENAME TO inbox")
    finally:
        logging.getLogger("telegram.ext").removeHandler(polling_failed)

    await e2e.stub.wait_acked(update["update_id"], timeout=10)  # fetched again, saved, confirmed
    await e2e.settle()
    assert new_texts(ana, seen) == [question("success")]
    assert await e2e.answers(4242) == {"purpose": "Ana's purpose"}
