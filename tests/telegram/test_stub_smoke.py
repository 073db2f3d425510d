"""Proves the Bot API stub and ChatClient drive a real polling Application end to end.

The Application under test here is a tiny echo bot, not coachbot: these tests pin down the
harness itself (request decoding, update delivery, failure injection, settling) so the bot's
e2e tests can rely on it.
"""

from __future__ import annotations

import datetime as dtm
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.telegram.client import ChatClient, application_settler
from tests.telegram.stub import BotApiStub

TOKEN = "123:ABC"
USER = 4242

App = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class Observed:
    """What the test bot's handlers saw, for assertions the chat alone cannot show."""

    errors: list[BaseException] = field(default_factory=list)
    forbidden: list[Forbidden] = field(default_factory=list)
    seen_update_ids: list[int] = field(default_factory=list)


@dataclass
class Harness:
    """A running Application wired to the stub."""

    app: App
    stub: BotApiStub
    client: ChatClient
    observed: Observed


def _build_app(stub: BotApiStub, observed: Observed) -> App:
    """A small bot exercising every harness feature; what it sees lands in ``observed``."""
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(stub.base_url)
        .rate_limiter(AIORateLimiter(max_retries=2))
        .build()
    )

    async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Yes, let's go", callback_data="go:yes")],
                [InlineKeyboardButton("Not now", callback_data="go:no")],
            ]
        )
        await update.effective_message.reply_text(
            "<b>Ready?</b>", parse_mode="HTML", reply_markup=keyboard
        )

    async def pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noted")
        await query.edit_message_text(f"You chose {query.data}")

    async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_document(
            update.effective_chat.id,
            document=io.BytesIO(b"week 1: done\n"),
            filename="report.txt",
            caption="Your report",
        )

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        assert update.effective_message.text is not None
        observed.seen_update_ids.append(update.update_id)
        try:
            await update.effective_message.reply_text(f"echo: {update.effective_message.text}")
        except Forbidden as exc:
            observed.forbidden.append(exc)

    async def on_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        observed.errors.append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("report", report))
    app.add_handler(CallbackQueryHandler(pressed, pattern=r"^go:"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(on_error)
    return app


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    async with BotApiStub(token=TOKEN) as running:
        yield running


@pytest.fixture
async def harness(stub: BotApiStub, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    # PTB 22 warns on int time periods (RetryAfter.retry_after) unless opted in to timedelta;
    # filterwarnings=error would turn that warning into the exception.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    observed = Observed()
    app = _build_app(stub, observed)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=5))
    settle = application_settler(app, stub)
    harness = Harness(
        app=app,
        stub=stub,
        client=ChatClient(stub, USER, settle=settle),
        observed=observed,
    )
    try:
        yield harness
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    if observed.errors:
        pytest.fail(f"the application raised: {observed.errors!r}")
    assert stub.unknown_methods == [], f"unimplemented Bot API methods: {stub.unknown_methods}"
    assert stub.internal_errors == [], "the stub itself crashed"


async def test_echo_round_trip(harness: Harness) -> None:
    client = harness.client

    assert await client.send("hello there") == ["echo: hello there"]
    assert await client.send("/start") == ["Ready?"]

    stub = harness.stub
    assert [m["message_id"] for m in stub.chats[USER]] == [2, 4]  # user and bot share ids
    assert stub.chats[USER][-1]["raw_text"] == "<b>Ready?</b>"
    assert client.last_buttons == ["Yes, let's go", "Not now"]
    sent = stub.calls_of("sendMessage")[-1]
    assert sent["chat_id"] == USER
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go:yes"


async def test_button_press_answers_and_edits(harness: Harness) -> None:
    client = harness.client
    await client.send("/start")

    assert await client.click("let's go") == []
    assert client.callback_answers == ["Noted"]
    assert client.edited == ["You chose go:yes"]
    assert client.last_text == "You chose go:yes"
    assert client.last_buttons == []  # editMessageText without reply_markup drops the keyboard
    assert len(client.messages) == 1


async def test_document_upload_is_recorded(harness: Harness) -> None:
    assert await harness.client.send("/report") == ["Your report"]

    document = harness.client.last_message
    assert (document["filename"], document["content"]) == ("report.txt", b"week 1: done\n")
    assert harness.stub.documents[0]["mime_type"] == "text/plain"


async def test_flood_control_is_retried_by_the_rate_limiter(harness: Harness) -> None:
    harness.stub.fail_next("sendMessage", status=429, retry_after=1)

    assert await harness.client.send("still there?") == ["echo: still there?"]
    assert len(harness.stub.calls_of("sendMessage")) == 2


async def test_blocked_user_raises_forbidden_in_handler(harness: Harness) -> None:
    harness.stub.block_user(USER)

    assert await harness.client.send("anyone?") == []
    assert len(harness.observed.forbidden) == 1
    assert harness.observed.forbidden[0].message == "Forbidden: bot was blocked by the user"


async def test_redelivered_update_reaches_get_updates_twice(harness: Harness) -> None:
    client = harness.client
    await client.send("once")
    assert client.last_update is not None

    harness.stub.redeliver(client.last_update)
    await client.settle()

    update_id = client.last_update["update_id"]
    assert harness.observed.seen_update_ids == [update_id, update_id]
    assert client.texts == ["echo: once", "echo: once"]
