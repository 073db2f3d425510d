"""Button presses Telegram delivers in awkward shapes: a second tap after the keyboard is gone, a
press on a message that never had buttons, a press from an inline message (no `message` at all),
forged ids beyond the database's integer range. Each gets its answer; nothing reaches the error
handler (the `e2e` fixture fails the test otherwise) or the ERROR log."""

from __future__ import annotations

import logging

import pytest

from tests.telegram.harness import E2E, RUNS, say
from tests.test_telegram_e2e import question, start_agreement


def answered(e2e: E2E, *updates: dict[str, object]) -> bool:
    """Whether the bot answered the callback query of each of these updates."""
    ids = {answer["callback_query_id"] for answer in e2e.stub.callback_answers}
    return all(update["callback_query"]["id"] in ids for update in updates)  # type: ignore[index]


async def test_a_double_tap_on_start_answers_both_taps_and_starts_the_dialog_once(e2e: E2E) -> None:
    client = e2e.client()
    await client.send("/start")
    await client.click(say("en", "mentors.roles.mentee_button"))  # a newcomer: which side?
    offer = client.last_message
    [[start]] = offer["reply_markup"]["inline_keyboard"]
    sent_mark = len(e2e.stub.sent_messages)

    # Both taps leave the phone before the bot removed the keyboard after the first.
    first = e2e.stub.press_button(client.user_id, offer["message_id"], start["callback_data"])
    second = e2e.stub.press_button(client.user_id, offer["message_id"], start["callback_data"])
    await e2e.settle()

    assert answered(e2e, first, second)
    texts = [message["text"] for message in e2e.stub.sent_messages[sent_mark:]]
    purpose = question("en", "agreement", "purpose")
    title = say("en", "agreement.title")
    assert texts == [say("en", "agreement.intro", name="Ana"), purpose,
                     say("en", "common.service.resumed", title=title), purpose]
    assert len(await e2e.rows(RUNS)) == 1
    assert offer["reply_markup"] is None
    assert offer["text"].endswith(f"→ {start['text']}")  # the choice is marked once


async def test_a_forged_press_on_a_message_without_buttons_gets_its_reply(e2e: E2E) -> None:
    client = e2e.client()
    await client.send("/start")
    await client.click(say("en", "mentors.roles.mentee_button"))  # a newcomer: which side?
    *_, greeting, offer = client.messages
    [[start]] = offer["reply_markup"]["inline_keyboard"]
    assert greeting["reply_markup"] is None

    update = e2e.stub.press_button(client.user_id, greeting["message_id"], start["callback_data"],
                                   strict=False)
    await e2e.settle()

    assert answered(e2e, update)
    assert client.last_text == question("en", "agreement", "purpose")
    assert greeting["reply_markup"] is None


async def test_a_press_from_an_inline_message_is_answered_in_the_private_chat(e2e: E2E) -> None:
    client = e2e.client()
    await client.send("/start")
    sent_mark = len(e2e.stub.sent_messages)

    forged = e2e.stub.press_inline_button(client.user_id, "a:1:0:0:0")
    await e2e.settle()
    assert answered(e2e, forged)
    assert e2e.stub.callback_answers[-1]["text"] == say("en", "common.notes.stale_button")
    assert e2e.stub.sent_messages[sent_mark:] == []

    start = e2e.stub.press_inline_button(client.user_id, "g:agreement")
    await e2e.settle()
    assert answered(e2e, start)
    assert client.last_text == question("en", "agreement", "purpose")


async def test_when_a_press_fails_after_its_answer_the_user_still_gets_the_error_note(
    e2e: E2E,
) -> None:
    client = e2e.client()
    await client.send("/start")
    await client.click(say("en", "mentors.roles.mentee_button"))  # a newcomer: which side?
    e2e.stub.fail_next("sendMessage", status=400, description="Bad Request: injected failure")

    sent = await client.click(0)

    assert sent == [say("en", "common.service.error")]
    [(_, error)] = e2e.bot.recorder.errors
    assert type(error).__name__ == "BadRequest"
    e2e.bot.recorder.errors.clear()  # the one error this test expects
    assert await client.send("/resume")
    assert client.last_text == question("en", "agreement", "purpose")


@pytest.mark.parametrize("e2e", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_forged_ids_beyond_the_integer_columns_are_stale_on_postgresql(
    e2e: E2E, caplog: pytest.LogCaptureFixture
) -> None:
    client = e2e.client()
    await start_agreement(client, "en")
    current = client.last_message
    before = await e2e.snapshot()
    stale = say("en", "common.notes.stale_button")

    with caplog.at_level(logging.DEBUG):
        for data in ("r:2147483648", "a:2147483648:0:0:0", "s:2147483648:confirm",
                     "r:999999999999", "a:99999999999:0:0:k"):
            sent_mark = len(e2e.stub.sent_messages)
            update = e2e.stub.press_button(client.user_id, current["message_id"], data, strict=False)
            await e2e.settle()
            assert answered(e2e, update), data
            assert e2e.stub.callback_answers[-1]["text"] == stale, data
            assert e2e.stub.sent_messages[sent_mark:] == [], data

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await e2e.snapshot() == before
