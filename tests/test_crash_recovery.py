"""`kill -9` of `coachbot run` in the middle of a burst loses nothing: after a restart every answer is
saved exactly once and every person got their reply, in polling and in webhook mode.

40 people each have an agreement open and answer its question at the same moment. Telegram
(the stub) forgets an update once the bot confirmed it (polling: a later getUpdates offset;
webhook: a 200), so whatever the bot confirmed but had not finished when it died must come back
from the bot's own database.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from storage.database import create_engine
from storage.rows import ANSWERS, USERS
from tests.support.process import TOKEN, coachbot_run, free_port, listening
from tests.telegram.harness import say
from tests.telegram.stub import JSON, BotApiStub

PEOPLE = range(5001, 5041)
SECRET = "crash-test-secret"
#: (step answered, the question that answers it) for each burst; one burst per kill.
BURSTS = [("purpose", "success"), ("success", "expect_mentor")]
QUIET = {"COACHBOT_LOG_LEVEL": "WARNING"}


def question(step: str) -> str:
    return say("en", f"agreement.steps.{step}.text")


def answer(person: int, step: str) -> str:
    return f"{step} of person {person}"


def asked(stub: BotApiStub, person: int, step: str) -> bool:
    return any(question(step) in message.get("text", "") for message in stub.chats.get(person, []))


def all_asked(stub: BotApiStub, step: str) -> bool:
    return all(asked(stub, person, step) for person in PEOPLE)


async def saved(tmp_path: Path, step: str) -> dict[int, list[Any]]:
    """Each person's saved answers to one agreement step, as the answers table holds them."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(USERS.c.telegram_id, ANSWERS.c.value).join(USERS)
                .where(ANSWERS.c.dialog == "agreement", ANSWERS.c.step_key == step)
                .order_by(ANSWERS.c.id))
            found: dict[int, list[Any]] = {}
            for telegram_id, value in rows:
                found.setdefault(telegram_id, []).append(value)
            return found
    finally:
        await engine.dispose()


async def check_recovered(stub: BotApiStub, tmp_path: Path, step: str, reply: str) -> None:
    """After the restart: every answer of the burst saved once, every person asked the next question."""
    with contextlib.suppress(AssertionError):  # the figures below say what is missing
        await stub.wait_for(lambda: all_asked(stub, reply), timeout=12, what="every reply")
    answers = await saved(tmp_path, step)
    lost = [p for p in PEOPLE if not answers.get(p)]
    doubled = [p for p in PEOPLE if len(answers.get(p, [])) > 1]
    wrong = [p for p in PEOPLE if answers.get(p, [answer(p, step)])[0] != answer(p, step)]
    unanswered = [p for p in PEOPLE if not asked(stub, p, reply)]
    assert (lost, doubled, wrong, unanswered) == ([], [], [], []), (
        f"{step}: {len(lost)} answers lost, {len(doubled)} doubled, {len(wrong)} misplaced, "
        f"{len(unanswered)} people without a reply")


async def test_polling_kill_minus_nine_mid_burst_loses_no_answer_and_no_reply(tmp_path: Path) -> None:
    async with BotApiStub(token=TOKEN) as stub:
        async with coachbot_run(stub, tmp_path, **QUIET) as first:
            for person in PEOPLE:
                stub.user_message(person, "/agreement")
            await stub.wait_for(lambda: all_asked(stub, "purpose"), timeout=15, what="40 agreements")
            step, reply = BURSTS[0]
            burst = [stub.user_message(p, answer(p, step))["update_id"] for p in PEOPLE]
            # Moment 1: the getUpdates that confirmed the whole burst has just arrived.
            await stub.wait_acked(burst[-1], timeout=10)
            first.kill()
            await first.wait()
        assert sum(asked(stub, p, reply) for p in PEOPLE) < len(PEOPLE), "killed too late"
        async with coachbot_run(stub, tmp_path, **QUIET) as second:
            await check_recovered(stub, tmp_path, step, reply)
            step, reply = BURSTS[1]
            for person in PEOPLE:
                stub.user_message(person, answer(person, step))
            # Moment 2: mid-processing, a quarter of the replies are out.
            await stub.wait_for(lambda: sum(asked(stub, p, reply) for p in PEOPLE) >= 10,
                                timeout=10, what="10 replies")
            second.kill()
            await second.wait()
        assert sum(asked(stub, p, reply) for p in PEOPLE) < len(PEOPLE), "killed too late"
        async with coachbot_run(stub, tmp_path, **QUIET):
            await check_recovered(stub, tmp_path, step, reply)


async def _post(session: aiohttp.ClientSession, url: str, update: JSON) -> bool:
    """POST one update as Telegram does; True when the bot answered 200 (Telegram then forgets it)."""
    try:
        async with session.post(url, json=update,
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def _post_all(session: aiohttp.ClientSession, url: str, updates: list[JSON]) -> None:
    """POST updates at once and retry the refused ones, as Telegram retries."""
    while updates:
        results = await asyncio.gather(*(_post(session, url, update) for update in updates))
        updates = [update for update, ok in zip(updates, results, strict=True) if not ok]


async def test_webhook_kill_minus_nine_mid_burst_loses_no_acknowledged_update(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    args = ("--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port))
    async with BotApiStub(token=TOKEN) as stub, aiohttp.ClientSession() as session:
        async with coachbot_run(stub, tmp_path, *args,
                                COACHBOT_WEBHOOK_SECRET=SECRET, **QUIET) as first:
            await listening(port)
            await _post_all(session, url, [stub.compose_user_message(p, "/agreement") for p in PEOPLE])
            await stub.wait_for(lambda: all_asked(stub, "purpose"), timeout=15, what="40 agreements")
            step, reply = BURSTS[0]
            burst = [stub.compose_user_message(p, answer(p, step)) for p in PEOPLE]
            posts = [asyncio.ensure_future(_post(session, url, update)) for update in burst]
            # Killed once half of the burst got its 200, the rest still on the wire.
            accepted = 0
            for post in asyncio.as_completed(posts):
                accepted += await post
                if accepted >= len(PEOPLE) // 2:
                    break
            first.kill()
            await first.wait()
            results = await asyncio.gather(*posts)
        assert sum(asked(stub, p, reply) for p in PEOPLE) < len(PEOPLE), "killed too late"
        async with coachbot_run(stub, tmp_path, *args,
                                COACHBOT_WEBHOOK_SECRET=SECRET, **QUIET):
            await listening(port)
            await _post_all(session, url, [u for u, ok in zip(burst, results, strict=True) if not ok])
            await check_recovered(stub, tmp_path, step, reply)
