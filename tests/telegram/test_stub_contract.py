"""The stub's Bot API contract, checked through a real ``telegram.Bot`` over HTTP.

E2e tests trust the stub to fail where Telegram fails; these tests pin the error paths and the
getUpdates semantics so a regression in the stub cannot hide a bug in the bot.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter

from tests.telegram.formatting import EntityParseError, to_plain_text
from tests.telegram.stub import BOT_USERNAME, BotApiStub

TOKEN = "987:XYZ"
USER = 555


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    async with BotApiStub(token=TOKEN) as running:
        running.user_message(USER, "/start")  # the user must have talked to the bot first
        yield running


@pytest.fixture
async def bot(stub: BotApiStub, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # see test_stub_smoke.harness
    async with Bot(TOKEN, base_url=stub.base_url) as running:
        yield running


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    assert (bot.id, bot.username, bot.can_join_groups) == (987, BOT_USERNAME, True)


async def test_get_updates_confirms_by_offset_and_long_polls(bot: Bot, stub: BotApiStub) -> None:
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first if u.message] == ["/start"]
    assert len(await bot.get_updates(timeout=0)) == 1  # not confirmed yet: delivered again

    poll = asyncio.create_task(bot.get_updates(offset=first[-1].update_id + 1, timeout=5))
    await stub.wait_acked(first[-1].update_id)
    injected = stub.user_message(USER, "hi")
    updates = await asyncio.wait_for(poll, 2)  # returned on injection, not after 5 s

    assert [u.update_id for u in updates] == [injected["update_id"]]
    assert updates[0].message is not None
    assert updates[0].message.from_user is not None
    assert updates[0].message.from_user.first_name == "Ana"


async def test_allowed_updates_drop_other_types(bot: Bot, stub: BotApiStub) -> None:
    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])

    assert stub.dropped_updates[0]["message"]["text"] == "/start"
    with pytest.raises(AssertionError, match="not in allowed_updates"):
        await stub.wait_acked(stub.last_update_id)


async def test_edit_errors_match_telegram(bot: Bot, stub: BotApiStub) -> None:
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)

    sent = await bot.send_message(USER, "same")
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_text("same", chat_id=USER, message_id=sent.message_id)

    await bot.delete_message(USER, sent.message_id)
    assert stub.chats[USER] == []
    assert stub.sent_messages[-1]["deleted"] is True
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(USER, sent.message_id)


async def test_markup_is_echoed_and_validated(bot: Bot, stub: BotApiStub) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard)
    assert sent.reply_markup == keyboard
    assert stub.chats[USER][-1]["reply_markup"] == keyboard.to_dict()

    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "pick", reply_markup=too_long)


async def test_parse_errors_and_unknown_chats_fail_like_telegram(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
        await bot.send_message(USER, "line<br>line", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(USER, "Done.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(777, "who?")

    sent = await bot.send_message(USER, "<i>a &lt; b</i>", parse_mode="HTML")
    assert sent.text == "a < b"


async def test_injected_failures(bot: Bot, stub: BotApiStub) -> None:
    stub.fail_next("sendMessage", status=429, retry_after=0.5)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(USER, "x")
    assert flood.value.retry_after == dtm.timedelta(seconds=0.5)

    stub.fail_next("sendChatAction", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_chat_action(USER, "typing")
    assert await bot.send_chat_action(USER, "typing") is True

    stub.block_user(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")


async def test_unknown_methods_are_recorded(bot: Bot, stub: BotApiStub) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", {"chat_id": USER})
    assert stub.unknown_methods == ["sendTelepathy"]


async def test_commands_round_trip(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("grow", "Next step")], language_code="de")

    assert await bot.get_my_commands() == ()
    assert await bot.get_my_commands(language_code="de") == (BotCommand("grow", "Next step"),)


async def test_wait_for_timeout_names_what_and_shows_calls(stub: BotApiStub) -> None:
    with pytest.raises(AssertionError, match=r"(?s)waiting for a miracle; last calls:"):
        await stub.wait_for(lambda: False, timeout=0.05, what="a miracle")


@pytest.mark.parametrize(
    ("text", "mode", "plain"),
    [
        ("<b>Hi</b> &amp; <a href='https://x.y'>link</a>", "HTML", "Hi & link"),
        ("*bold* _it_ __u__ ||sp|| [t](https://x.y/a\\)b) \\.", "MarkdownV2", "bold it u sp t ."),
        ("```python\nprint(1)```", "MarkdownV2", "print(1)"),
        ("*bold* [t](https://x.y)", "Markdown", "bold t"),
        ("plain <b>", None, "plain <b>"),
    ],
)
def test_plain_text_rendering(text: str, mode: str | None, plain: str) -> None:
    assert to_plain_text(text, mode) == plain


@pytest.mark.parametrize(
    ("text", "mode"),
    [("<b>open", "HTML"), ("<b>x</i>", "HTML"), ("*open", "MarkdownV2"), ("a-b", "MarkdownV2")],
)
def test_malformed_markup_is_rejected(text: str, mode: str) -> None:
    with pytest.raises(EntityParseError):
        to_plain_text(text, mode)
