"""`coachbot run` as an operator starts it: a real process talking HTTP to the Bot API stub."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from tests.support.process import TOKEN, coachbot_run, free_port, listening
from tests.telegram.stub import BotApiStub


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_polling_process_answers_sets_the_menu_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    async with BotApiStub(token=TOKEN) as stub, coachbot_run(stub, tmp_path) as process:
        await stub.wait_for(lambda: stub.calls_of("getUpdates"), timeout=30, what="polling")
        stub.user_message(31, "/start", first_name="Ana", language_code="de")
        await stub.wait_for(lambda: stub.chats.get(31), timeout=15, what="the greeting")
        assert stub.chats[31][0]["text"].startswith("Hallo Ana!")
        menus = {call.get("language_code") for call in stub.calls_of("setMyCommands")}
        assert menus == {None, "de"}
        stub.user_message(31, "/agreement")
        await stub.wait_for(lambda: len(stub.chats[31]) >= 3, timeout=15, what="the first question")
        code, stderr = await _stop(process)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert TOKEN not in stderr  # DEBUG logging, and still no token ...
    assert "Hallo Ana" not in stderr  # ... and no message text


async def test_webhook_process_refuses_a_wrong_secret(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    async with BotApiStub(token=TOKEN) as stub, coachbot_run(
            stub, tmp_path, "--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port),
            COACHBOT_WEBHOOK_SECRET="process-secret") as process:
        await stub.wait_for(lambda: stub.calls_of("setWebhook"), timeout=30, what="setWebhook")
        [registered] = stub.calls_of("setWebhook")
        assert registered["url"] == url
        assert registered["secret_token"] == "process-secret"
        async with aiohttp.ClientSession() as session:
            update = stub.compose_user_message(41, "/start", first_name="Ben")
            await listening(port)
            async with session.post(url, json=update, headers={
                    "X-Telegram-Bot-Api-Secret-Token": "wrong"}) as response:
                assert response.status == 403
            async with session.post(url, json=update, headers={
                    "X-Telegram-Bot-Api-Secret-Token": "process-secret"}) as response:
                assert response.status == 200
        await stub.wait_for(lambda: stub.chats.get(41), timeout=15, what="the greeting")
        assert stub.chats[41][0]["text"].startswith("Hello Ben!")
        code, stderr = await _stop(process)
    assert code == 0, stderr
