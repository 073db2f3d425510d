"""The webhook server against bodies that are not Telegram updates: 400, nothing processed, nothing
of the body in the log; a good update right after still goes through."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from tests.telegram.harness import E2E, Webhook, say
from tests.test_telegram_e2e import free_port

SECRET = "hook-secret"
NOT_UPDATES = [
    pytest.param(b'{"update_id": 1, "message": {"text": "secret answer"', id="malformed JSON"),
    pytest.param(b'{"update_id": 2, "message": {"text": "secret \xff\xfe answer"}}', id="not UTF-8"),
    pytest.param(b'["secret answer"]', id="JSON that is not an object"),
    pytest.param(b'{"message": {"text": "secret answer"}}', id="an object that is not an update"),
]


@pytest.mark.parametrize("body", NOT_UPDATES)
async def test_a_body_that_is_not_an_update_gets_400_and_a_good_one_still_works(
    e2e: E2E, body: bytes, caplog: pytest.LogCaptureFixture,
) -> None:
    await e2e.stop()
    webhook = Webhook(port=free_port(), secret_token=SECRET)
    bot = await e2e.start(webhook=webhook)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    caplog.set_level(logging.DEBUG, logger="bot")
    async with aiohttp.ClientSession() as session:
        async with session.post(webhook.url, data=body, headers=headers) as response:
            assert response.status == 400
        await e2e.settle()
        assert bot.recorder.update_ids == []
        assert "secret" not in caplog.text

        update = e2e.stub.compose_user_message(6262, "/start", first_name="Ana")
        async with session.post(webhook.url, json=update,
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            assert response.status == 200
        await e2e.settle()
    assert bot.recorder.update_ids == [update["update_id"]]
    assert e2e.stub.chats[6262][0]["text"] == say("en", "mentors.roles.ask", name="Ana")
