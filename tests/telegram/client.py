"""Conversation-level helpers so e2e tests read like a chat transcript.

``ChatClient`` plays one Telegram user against :class:`~tests.telegram.stub.BotApiStub`: it
injects the user's action as an update, waits (via ``settle``) until the real Application has
finished reacting, and returns what appeared in the chat. ``application_settler`` builds the
``settle`` callable for a running polling Application without changing how the app is built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import Application

from tests.telegram.stub import JSON, BotApiStub

__all__ = ["ChatClient", "Settle", "application_settler"]

#: Returns once the bot has fetched, confirmed and completely processed every queued update.
Settle = Callable[[], Awaitable[None]]


def application_settler(
    app: Application[Any, Any, Any, Any, Any, Any], stub: BotApiStub, *, timeout: float = 5.0
) -> Settle:
    """``settle`` for a polling Application: ack, then queue drained, then handler tasks done.

    1. ``stub.wait_all_acked()``: the Updater has fetched every queued update and confirmed it
       with a later ``getUpdates`` offset. The Updater puts fetched updates on
       ``app.update_queue`` *before* it polls again, so they are now on that queue.
    2. ``app.update_queue.join()``: PTB calls ``task_done()`` only after an update's blocking
       handlers (and blocking error handlers) have returned, also with concurrent updates.
    3. Tasks started with ``Application.create_task`` (``block=False`` handlers, non-blocking
       error handlers, concurrent update processing, the bot's own ``create_task`` calls) are
       awaited; PTB keeps them in the private set it gathers in ``Application.stop()``. Steps
       2-3 repeat until nothing new appeared.

    Job-queue jobs are not covered: wait for their effect with ``stub.wait_for``.
    """

    def pending_tasks() -> set[asyncio.Task[Any]]:
        tracked: set[asyncio.Task[Any]] = app._Application__create_task_tasks  # type: ignore[attr-defined]
        current = asyncio.current_task()
        return {task for task in tracked if not task.done() and task is not current}

    async def drain() -> None:
        while True:
            await app.update_queue.join()
            tasks = pending_tasks()
            if not tasks and app.update_queue.empty():
                return
            if tasks:
                await asyncio.wait(tasks)

    async def settle() -> None:
        await stub.wait_all_acked(timeout=timeout)
        try:
            await asyncio.wait_for(drain(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"application still busy after {timeout}s: {app.update_queue.qsize()} queued "
                f"updates, {len(pending_tasks())} running tasks; last calls:\n"
                + stub.format_calls()
            ) from None

    return settle


class ChatClient:
    """One user's side of a private chat with the bot.

    Every action returns the texts of the bot messages *sent* to this chat while the bot
    processed it (documents contribute their caption, "" without one). Edits the bot made during
    the action are in :attr:`edited`, the full message dicts in :attr:`new_messages`.
    """

    def __init__(
        self,
        stub: BotApiStub,
        user_id: int,
        *,
        language_code: str = "en",
        first_name: str = "Ana",
        settle: Settle,
    ) -> None:
        self.stub = stub
        self.user_id = user_id
        self.language_code = language_code
        self.first_name = first_name
        self.settle = settle
        #: Full records of the bot messages the last action produced.
        self.new_messages: list[JSON] = []
        #: Texts of bot messages edited by the last action (their text after the edit).
        self.edited: list[str] = []
        #: The update the last action injected.
        self.last_update: JSON | None = None

    # ------------------------------------------------------------------ reading the chat

    @property
    def messages(self) -> list[JSON]:
        """The bot's messages currently visible in this chat, oldest first."""
        return self.stub.chats.get(self.user_id, [])

    @property
    def texts(self) -> list[str]:
        """Texts of :attr:`messages`."""
        return [message["text"] for message in self.messages]

    @property
    def last_message(self) -> JSON:
        """The newest visible bot message (AssertionError when the chat is empty)."""
        if not self.messages:
            raise AssertionError(f"the bot has no messages in chat {self.user_id}")
        return self.messages[-1]

    @property
    def last_text(self) -> str:
        """Text of the newest visible bot message."""
        text: str = self.last_message["text"]
        return text

    @property
    def last_buttons(self) -> list[str]:
        """Labels of the newest message's inline keyboard, row by row ([] without one)."""
        return [button["text"] for button in _buttons(self.last_message)]

    @property
    def callback_answers(self) -> list[str | None]:
        """Texts of the bot's answerCallbackQuery calls for this user (None = silent answer)."""
        return [a["text"] for a in self.stub.callback_answers if a["user_id"] == self.user_id]

    # ------------------------------------------------------------------ acting

    async def _act(self, inject: Callable[[], JSON]) -> list[str]:
        sent_mark = len(self.stub.sent_messages)
        edit_mark = len(self.stub.edits)
        self.last_update = inject()
        await self.settle()
        reason = self.stub.dropped_reason(self.last_update["update_id"])
        if reason is not None:
            raise AssertionError(f"the bot never received {self.last_update}: {reason}")
        self.new_messages = [
            message
            for message in self.stub.sent_messages[sent_mark:]
            if message["chat_id"] == self.user_id
        ]
        self.edited = [
            edit["text"] for edit in self.stub.edits[edit_mark:] if edit["chat_id"] == self.user_id
        ]
        return [message["text"] for message in self.new_messages]

    def _who(self) -> dict[str, str]:
        return {"first_name": self.first_name, "language_code": self.language_code}

    async def send(self, text: str) -> list[str]:
        """The user types ``text`` (``/commands`` included)."""
        return await self._act(lambda: self.stub.user_message(self.user_id, text, **self._who()))

    async def send_sticker(self, emoji: str = "👍") -> list[str]:
        """The user sends a sticker."""
        return await self._act(lambda: self.stub.user_sticker(self.user_id, emoji, **self._who()))

    async def send_photo(self, caption: str | None = None) -> list[str]:
        """The user sends a photo."""
        return await self._act(lambda: self.stub.user_photo(self.user_id, caption, **self._who()))

    async def send_voice(self, duration: int = 3) -> list[str]:
        """The user sends a voice note."""
        return await self._act(lambda: self.stub.user_voice(self.user_id, duration, **self._who()))

    async def send_location(self, latitude: float = 52.52, longitude: float = 13.405) -> list[str]:
        """The user shares a location."""
        return await self._act(
            lambda: self.stub.user_location(self.user_id, latitude, longitude, **self._who())
        )

    async def send_document(
        self, file_name: str = "notes.pdf", mime_type: str = "application/pdf"
    ) -> list[str]:
        """The user sends a file."""
        return await self._act(
            lambda: self.stub.user_document(self.user_id, file_name, mime_type, **self._who())
        )

    async def edit(self, message_id: int, text: str) -> list[str]:
        """The user edits their earlier message ``message_id`` (see ``last_update``)."""
        return await self._act(lambda: self.stub.edit_user_message(self.user_id, message_id, text))

    async def click(self, button: str | int, *, require_answer: bool = True) -> list[str]:
        """Tap a button on the newest bot message that has an inline keyboard.

        ``button`` is an index into the flattened keyboard, an exact label, or a substring
        matching exactly one label. With ``require_answer`` the bot must have answered the
        callback query (otherwise the user's client shows a spinner until it times out).
        """
        message = next((m for m in reversed(self.messages) if _buttons(m)), None)
        if message is None:
            raise AssertionError(f"no bot message with an inline keyboard; chat: {self.texts}")
        chosen = _pick(_buttons(message), button)
        if "callback_data" not in chosen:
            raise AssertionError(f"button {chosen['text']!r} is not a callback button: {chosen}")
        answered_before = len(self.stub.callback_answers)
        result = await self._act(
            lambda: self.stub.press_button(
                self.user_id, message["message_id"], chosen["callback_data"]
            )
        )
        if require_answer:
            assert self.last_update is not None
            query_id = self.last_update["callback_query"]["id"]
            answers = self.stub.callback_answers[answered_before:]
            if not any(a["callback_query_id"] == query_id for a in answers):
                raise AssertionError(f"the bot did not answer the callback query of {chosen}")
        return result


def _buttons(message: JSON) -> list[JSON]:
    markup = message.get("reply_markup")
    if not isinstance(markup, dict):
        return []
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def _pick(buttons: list[JSON], wanted: str | int) -> JSON:
    labels = [button["text"] for button in buttons]
    if isinstance(wanted, int):
        if not -len(buttons) <= wanted < len(buttons):
            raise AssertionError(f"no button #{wanted}; buttons: {labels}")
        return buttons[wanted]
    exact = [button for button in buttons if button["text"] == wanted]
    if exact:
        return exact[0]
    partial = [button for button in buttons if wanted in button["text"]]
    if len(partial) != 1:
        problem = "ambiguous" if partial else "no"
        raise AssertionError(f"{problem} button matching {wanted!r}; buttons: {labels}")
    return partial[0]
