"""One person's flood must not stall everyone else: a thousand queued messages of one person leave
another person's /help about as quick as on an idle bot, and the flood itself is capped."""

from __future__ import annotations

import asyncio
import statistics

from storage.rows import INBOX
from tests.telegram.client import application_settler
from tests.telegram.harness import E2E, say

FLOOD = 1_000
FLOODER, OTHER = 1001, 2002


async def help_latency(e2e: E2E, person: int) -> float:
    """Seconds from /help reaching Telegram to its reply arriving in the chat."""
    loop = asyncio.get_running_loop()
    before = len(e2e.stub.chats.get(person, []))
    started = loop.time()
    e2e.stub.user_message(person, "/help")
    await e2e.stub.wait_for(lambda: len(e2e.stub.chats.get(person, [])) > before, timeout=120,
                            what="the reply to /help")
    return loop.time() - started


async def test_a_flood_of_one_person_does_not_stall_another_persons_reply(e2e: E2E) -> None:
    await e2e.client(OTHER).send("/start")
    await e2e.client(FLOODER).send("/start")
    idle = statistics.median([await help_latency(e2e, OTHER) for _ in range(3)])
    for number in range(FLOOD):
        e2e.stub.user_message(FLOODER, f"message {number}")
    await e2e.stub.wait_all_acked(timeout=60)  # all thousand are in the bot's queue now
    flooded = await help_latency(e2e, OTHER)
    print(f"/help of another person: idle {idle * 1e3:.0f} ms, during the flood "
          f"{flooded * 1e3:.0f} ms")
    assert flooded <= 10 * idle + 0.5
    slow_down = say("en", "common.service.slow_down")
    await e2e.stub.wait_for(lambda: slow_down in [m["text"] for m in e2e.stub.chats[FLOODER]],
                            timeout=10, what="the slow-down note")
    # The backlog it kept is handled: its ~100 replies at Telegram's 30 a second take over 3 s.
    await application_settler(e2e.bot.app, e2e.stub, timeout=20)()
    notes = [m for m in e2e.stub.chats[FLOODER] if m["text"] == slow_down]
    assert len(notes) == 1
    await e2e.stop()  # a graceful stop forgets what was handled
    assert await e2e.rows(INBOX) == []  # the refused ones are not taken up after a restart
