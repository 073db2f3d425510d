"""A Bot API server on 127.0.0.1 for end-to-end tests of a real python-telegram-bot Application.

The project never mocks ``Bot`` methods: the bot under test talks HTTP to this stub exactly as it
talks to api.telegram.org, so request encoding, rate limiting, retries and error mapping are all
exercised for real. The stub answers with Telegram's response shapes and error texts, keeps the
chat as the user would see it, lets a test inject user activity as updates for ``getUpdates``,
and injects failures (429 flood control, 403 blocked users, arbitrary status codes).

Synchronisation is event driven: every request and every state change wakes
:meth:`BotApiStub.wait_for`, so tests never sleep.

Usage::

    async with BotApiStub(token="123:ABC") as stub:
        app = ApplicationBuilder().token(stub.token).base_url(stub.base_url).build()
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.telegram.formatting import EntityParseError, to_plain_text

__all__ = ["BOT_USERNAME", "DEFAULT_ALLOWED_UPDATES", "ApiError", "BotApiStub"]

JSON = dict[str, Any]

BOT_USERNAME = "coachbot_test_bot"
BOT_FIRST_NAME = "CoachBot"

#: What Telegram delivers when ``allowed_updates`` was never set or set to an empty list.
DEFAULT_ALLOWED_UPDATES: frozenset[str] = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

# Parameters whose value is a plain string even when it looks like JSON ("42", "true", "[x]").
# PTB form-encodes strings verbatim and everything else with json.dumps.
_STRING_PARAMS = frozenset(
    {
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "emoji",
        "inline_message_id",
        "ip_address",
        "language_code",
        "message_effect_id",
        "name",
        "parse_mode",
        "secret_token",
        "short_description",
        "text",
        "title",
        "url",
    }
)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_BLOCKED = "Forbidden: bot was blocked by the user"
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: _BLOCKED,
    404: "Not Found",
    409: (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    ),
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")


class ApiError(Exception):
    """Raised by a method implementation to answer with Telegram's error shape."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Failure:
    """A queued injected failure for one method (see :meth:`BotApiStub.fail_next`)."""

    status: int
    retry_after: float
    times: int
    description: str | None
    #: Only calls whose parameters contain this text fail (None: any call).
    matching: str | None = None
    #: Instead of an error, the call succeeds but its answer arrives cut short (invalid JSON).
    truncated: bool = False

    def applies(self, params: JSON) -> bool:
        return self.matching is None or self.matching in json.dumps(
            params, ensure_ascii=False, default=str)

    def error(self) -> ApiError:
        if self.status == 429:
            retry = (
                int(self.retry_after) if float(self.retry_after).is_integer() else self.retry_after
            )
            return ApiError(
                429,
                self.description or f"Too Many Requests: retry after {retry}",
                {"retry_after": retry},
            )
        description = self.description or _DEFAULT_DESCRIPTIONS.get(
            self.status, f"Injected failure {self.status}"
        )
        return ApiError(self.status, description)


@dataclass
class _Queued:
    """An update waiting in the stub's getUpdates queue."""

    update: JSON
    delivered: bool = False


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[JSON]:
    """``bot_command`` entities like Telegram adds; PTB's CommandHandler relies on them."""
    entities = []
    for match in _COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group(0)),
            }
        )
    return entities


def _decode_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _inline_keyboard(markup: Any) -> list[list[JSON]] | None:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return rows if isinstance(rows, list) else None


class BotApiStub:
    """In-process Bot API over real HTTP; see the module docstring for why it exists.

    Public state a test may read (never mutate): :attr:`calls`, :attr:`chats`,
    :attr:`sent_messages`, :attr:`edits`, :attr:`callback_answers`, :attr:`documents`,
    :attr:`unknown_methods`, :attr:`dropped_updates`, :attr:`commands`, :attr:`menu_buttons`,
    :attr:`reply_keyboards`, :attr:`users`.
    """

    def __init__(self, token: str = "123:ABC", *, host: str = "127.0.0.1") -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        #: The moment a user's message is sent (its `date`), in seconds: a test that moves the
        #: service's clock moves this one with it.
        self.clock: Callable[[], float] = time.time
        self._host = host
        self._runner: web.AppRunner | None = None
        self.port: int = 0

        #: Every request in arrival order as ``(method, decoded params)``.
        self.calls: list[tuple[str, JSON]] = []
        #: Methods the bot called that this stub does not implement (should stay empty).
        self.unknown_methods: list[str] = []
        #: Bugs in the stub itself (answered 500); a fixture should assert this stays empty.
        self.internal_errors: list[tuple[str, BaseException]] = []
        #: ``chat_id`` -> the bot's messages currently visible in that chat, oldest first.
        self.chats: dict[int, list[JSON]] = {}
        #: Every bot message ever sent, in order (deleted ones stay here with ``deleted=True``).
        self.sent_messages: list[JSON] = []
        #: Every successful edit as ``{"chat_id", "message_id", "text", "reply_markup"}``.
        self.edits: list[JSON] = []
        #: Every answerCallbackQuery as ``{"callback_query_id", "user_id", "text", ...}``.
        self.callback_answers: list[JSON] = []
        #: Every uploaded file as ``{"chat_id", "message_id", "filename", "content", ...}``.
        self.documents: list[JSON] = []
        #: Every uploaded photo as ``{"chat_id", "message_id", "filename", "content", "width",
        #: "height", "caption"}`` (width and height read from the PNG's header).
        self.photos: list[JSON] = []
        #: Updates removed from the queue because ``allowed_updates`` excluded their type.
        self.dropped_updates: list[JSON] = []
        #: ``(scope as JSON text, language_code)`` -> commands, as setMyCommands stored them.
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        #: ``chat_id`` (``None`` = default) -> menu button.
        self.menu_buttons: dict[int | None, JSON] = {}
        #: ``chat_id`` -> the custom reply keyboard currently shown (absent when removed).
        self.reply_keyboards: dict[int, JSON] = {}
        #: ``user_id`` -> the Telegram User object used in that user's updates.
        self.users: dict[int, JSON] = {}
        self.webhook_url = ""
        #: The highest update_id handed out so far (0 before the first injection).
        self.last_update_id = 0

        self._blocked: set[int] = set()
        self._failures: dict[str, list[_Failure]] = {}
        self._queue: list[_Queued] = []
        self._update_ids = itertools.count(700_000_001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._user_messages: dict[tuple[int, int], JSON] = {}
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._open_queries: dict[str, int] = {}
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._dropped_ids: dict[int, str] = {}  # update_id -> why it was dropped
        self._max_offset = 0
        self._poll_generation = 0
        self._closing = False
        self._wakeup = asyncio.Event()
        self._methods: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (
                "getMe",
                "getUpdates",
                "deleteWebhook",
                "setWebhook",
                "getWebhookInfo",
                "sendMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "deleteMessage",
                "answerCallbackQuery",
                "setMyCommands",
                "getMyCommands",
                "deleteMyCommands",
                "setChatMenuButton",
                "getChatMenuButton",
                "sendDocument",
                "sendPhoto",
                "sendChatAction",
                "close",
                "logOut",
            )
        }

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True
        self._bump()  # release long polls so the server shuts down at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``, which appends the token itself."""
        return f"http://{self._host}:{self.port}/bot"

    @property
    def bot_user(self) -> JSON:
        """The bot as a Telegram User object (``from`` of every bot message)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }

    # ------------------------------------------------------------------ waiting

    def _bump(self) -> None:
        """Wake every waiter; each waits on the event current when it started."""
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def wait_for(
        self,
        predicate: Callable[[], object],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait is the point of the API
        *,
        what: str | None = None,
    ) -> None:
        """Return once ``predicate()`` is truthy, re-checking after every request or injection.

        Raises an AssertionError naming ``what`` and listing the last calls on timeout, so a
        failing e2e test says what the bot did instead.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                label = what or getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {label}; last calls:\n"
                    + self.format_calls()
                )
            event = self._wakeup
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_acked(self, update_id: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates with ``offset > update_id`` arrived (fetched and confirmed)."""
        await self.wait_for(
            lambda: self._raise_if_dropped(update_id) or self._max_offset > update_id,
            timeout,
            what=f"getUpdates to confirm update {update_id}",
        )

    async def wait_all_acked(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update (redeliveries included) was delivered and confirmed."""
        await self.wait_for(
            lambda: not self._queue,
            timeout,
            what="the bot to fetch and confirm updates "
            + str([q.update["update_id"] for q in self._queue]),
        )

    def dropped_reason(self, update_id: int) -> str | None:
        """Why Telegram would never deliver this update (allowed_updates, dropped pending)."""
        return self._dropped_ids.get(update_id)

    def _raise_if_dropped(self, update_id: int) -> bool:
        if update_id in self._dropped_ids:
            raise AssertionError(f"update {update_id} was dropped: {self._dropped_ids[update_id]}")
        return False

    def format_calls(self, last: int = 15) -> str:
        """The last requests, one per line, for assertion messages."""
        lines = []
        for method, params in self.calls[-last:]:
            shown = {
                key: (
                    f"<{len(value['content'])} bytes>"
                    if isinstance(value, dict) and "content" in value
                    else value
                )
                for key, value in params.items()
            }
            lines.append(f"  {method} {json.dumps(shown, ensure_ascii=False, default=str)[:300]}")
        return "\n".join(lines) or "  (no calls)"

    # ------------------------------------------------------------------ control

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: float = 1,
        times: int = 1,
        description: str | None = None,
        matching: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error instead of running it.

        429 carries ``parameters.retry_after``, which PTB turns into RetryAfter. It must be > 0
        (PTB ignores a falsy value); a float such as 0.5 works with PTB although Telegram itself
        only sends whole seconds. Other statuses use Telegram's usual description unless
        ``description`` is given (403 means blocked, 502 maps to NetworkError). With
        ``matching``, only calls whose parameters contain that text count.
        """
        self._failures.setdefault(method.lower(), []).append(
            _Failure(status, retry_after, times, description, matching)
        )

    def truncate_next(self, method: str, *, matching: str | None = None) -> None:
        """Run the next call of ``method`` (matching, as in :meth:`fail_next`), but answer with its
        JSON cut short, as a broken proxy would: done on Telegram's side, unreadable for the bot."""
        self._failures.setdefault(method.lower(), []).append(
            _Failure(200, 0, 1, None, matching, truncated=True)
        )

    def block_user(self, chat_id: int) -> None:
        """From now on every request for this chat answers 403 bot was blocked by the user."""
        self._blocked.add(chat_id)

    def unblock_user(self, chat_id: int) -> None:
        """Undo :meth:`block_user` (the user pressed Restart)."""
        self._blocked.discard(chat_id)

    def calls_of(self, method: str) -> list[JSON]:
        """Params of every call of ``method`` (case-insensitive, like Telegram)."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    # ------------------------------------------------------------------ injecting user activity

    def _user(self, user_id: int, first_name: str | None, language_code: str | None) -> JSON:
        user = self.users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": "en"}
        )
        if first_name is not None:
            user["first_name"] = first_name
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _chat(self, chat_id: int) -> JSON:
        user = self.users.get(chat_id, {})
        return {"id": chat_id, "type": "private", "first_name": user.get("first_name", "Ana")}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _enqueue(self, update: JSON) -> JSON:
        self._queue.append(_Queued(copy.deepcopy(update)))
        self.last_update_id = max(self.last_update_id, update["update_id"])
        self._bump()
        return update

    def _compose_message_update(
        self, user_id: int, first_name: str | None, language_code: str | None, content: JSON
    ) -> JSON:
        """A message from the user, remembered (so it can be edited) but not yet queued."""
        user = self._user(user_id, first_name, language_code)
        message = {
            "message_id": self._next_message_id(user_id),
            "from": dict(user),
            "chat": self._chat(user_id),
            "date": int(self.clock()),
            **content,
        }
        self._user_messages[(user_id, message["message_id"])] = message
        return {"update_id": next(self._update_ids), "message": message}

    def _user_message_update(
        self, user_id: int, first_name: str | None, language_code: str | None, content: JSON
    ) -> JSON:
        """A message from the user, queued for getUpdates."""
        return self._enqueue(self._compose_message_update(user_id, first_name, language_code, content))

    @staticmethod
    def _text_content(text: str) -> JSON:
        """Text, with bot_command entities for ``/commands`` as Telegram adds them."""
        content: JSON = {"text": text}
        if entities := _command_entities(text):
            content["entities"] = entities
        return content

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """The user types ``text``; ``/commands`` get bot_command entities like in Telegram.

        ``first_name``/``language_code`` default to what the user last had ("Ana", "en").
        """
        return self._user_message_update(user_id, first_name, language_code,
                                         self._text_content(text))

    def compose_user_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """Like :meth:`user_message`, but the update is returned instead of queued for getUpdates.

        For webhook tests, which POST the update themselves; the user becomes known to the stub
        (so the bot may answer them) and the message can be edited later.
        """
        return copy.deepcopy(self._compose_message_update(
            user_id, first_name, language_code, self._text_content(text)))

    def user_sticker(
        self,
        user_id: int,
        emoji: str = "👍",
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """The user sends a sticker (a common 'unexpected input' in a text dialogue)."""
        sticker = {
            "file_id": f"CAACAgIAAxkBAAI{next(self._update_ids)}",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "HotCherry",
            "file_size": 23_040,
        }
        return self._user_message_update(user_id, first_name, language_code, {"sticker": sticker})

    def user_photo(
        self,
        user_id: int,
        caption: str | None = None,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """The user sends a photo, optionally captioned."""
        tag = next(self._update_ids)
        content: JSON = {
            "photo": [
                {
                    "file_id": f"AgACAgIAAxkBAAI{tag}s",
                    "file_unique_id": "AQADs",
                    "width": 90,
                    "height": 67,
                    "file_size": 1_284,
                },
                {
                    "file_id": f"AgACAgIAAxkBAAI{tag}m",
                    "file_unique_id": "AQADm",
                    "width": 1280,
                    "height": 960,
                    "file_size": 98_112,
                },
            ]
        }
        if caption is not None:
            content["caption"] = caption
        return self._user_message_update(user_id, first_name, language_code, content)

    def user_voice(
        self,
        user_id: int,
        duration: int = 3,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """The user sends a voice note."""
        voice = {
            "file_id": f"AwACAgIAAxkBAAI{next(self._update_ids)}",
            "file_unique_id": "AgADvoice",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4_000 * duration,
        }
        return self._user_message_update(user_id, first_name, language_code, {"voice": voice})

    def user_location(
        self,
        user_id: int,
        latitude: float = 52.52,
        longitude: float = 13.405,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """The user shares a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message_update(user_id, first_name, language_code, {"location": location})

    def user_document(
        self,
        user_id: int,
        file_name: str = "notes.pdf",
        mime_type: str = "application/pdf",
        *,
        caption: str | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """The user sends a file."""
        content: JSON = {
            "document": {
                "file_id": f"BQACAgIAAxkBAAI{next(self._update_ids)}",
                "file_unique_id": "AgADdoc",
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": 12_345,
            }
        }
        if caption is not None:
            content["caption"] = caption
        return self._user_message_update(user_id, first_name, language_code, content)

    def edit_user_message(self, user_id: int, message_id: int, new_text: str) -> JSON:
        """The user edits a text message they sent earlier (an ``edited_message`` update)."""
        try:
            message = self._user_messages[(user_id, message_id)]
        except KeyError:
            raise AssertionError(f"user {user_id} never sent message {message_id}") from None
        if "text" not in message:
            raise AssertionError(f"message {message_id} of user {user_id} has no text to edit")
        message["text"] = new_text
        message["edit_date"] = int(time.time())
        message.pop("entities", None)
        if entities := _command_entities(new_text):
            message["entities"] = entities
        return self._enqueue(
            {"update_id": next(self._update_ids), "edited_message": copy.deepcopy(message)}
        )

    def press_button(
        self, user_id: int, message_id: int, callback_data: str, *, strict: bool = True
    ) -> JSON:
        """The user taps an inline button of a bot message still visible in their chat.

        With ``strict`` the message must currently show a button with that ``callback_data``
        (a user can only tap what is on screen); pass ``strict=False`` to forge data.
        """
        stored = self._find_message(user_id, message_id)
        if stored is None:
            raise AssertionError(f"message {message_id} is not in chat {user_id}")
        if strict:
            buttons = [b for row in _inline_keyboard(stored["reply_markup"]) or [] for b in row]
            if not any(b.get("callback_data") == callback_data for b in buttons):
                raise AssertionError(
                    f"message {message_id} has no button with callback_data {callback_data!r}; "
                    f"buttons: {buttons}"
                )
        return self._press(user_id, callback_data, message=self._render(stored),
                           chat_instance=f"-{user_id}000")

    def press_inline_button(self, user_id: int, callback_data: str) -> JSON:
        """The user taps a button of an inline-mode message: the query has no ``message``, only an
        ``inline_message_id`` (anyone can forge such a press with our bot's username)."""
        return self._press(user_id, callback_data, inline_message_id=f"AgAAAInline{user_id}",
                           chat_instance=f"-{user_id}001")

    def _press(self, user_id: int, callback_data: str, **where: Any) -> JSON:
        """Queue a callback query from this user, with where the pressed button was."""
        user = self._user(user_id, None, None)
        query_id = str(next(self._callback_ids))
        self._open_queries[query_id] = user_id
        query = {"id": query_id, "from": dict(user), **where, "data": callback_data}
        return self._enqueue({"update_id": next(self._update_ids), "callback_query": query})

    def redeliver(self, update: JSON) -> JSON:
        """Queue the very same update again (same update_id), as after a crash before confirm."""
        return self._enqueue(update)

    def raw_update(self, update: JSON) -> JSON:
        """Queue any update dict; an ``update_id`` is assigned when missing."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        return self._enqueue(update)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _decode(self, request: web.Request) -> JSON:
        params: JSON = {name: _decode_value(name, value) for name, value in request.query.items()}
        if request.method != "POST" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                for name, value in body.items():
                    params[name] = (
                        _decode_value(name, value)
                        if isinstance(value, str) and name == "reply_markup"
                        else value
                    )
            return params
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = {
                    "filename": value.filename,
                    "content": value.file.read(),
                    "mime_type": value.content_type,
                }
            elif isinstance(value, bytes | bytearray):
                params[name] = _decode_value(name, bytes(value).decode("utf-8"))
            else:
                params[name] = _decode_value(name, value)
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        truncate = False
        method = request.match_info["method"]
        params = await self._decode(request)
        self.calls.append((method, params))
        self._bump()
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            key = method.lower()
            failure = next((f for f in self._failures.get(key, []) if f.applies(params)), None)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures[key].remove(failure)
                if not failure.truncated:
                    raise failure.error()
                truncate = True
            if params.get("chat_id") in self._blocked:
                raise ApiError(403, _BLOCKED)
            implementation = self._methods.get(key)
            if implementation is None:
                self.unknown_methods.append(method)
                raise ApiError(404, "Not Found: method not found")
            result = await implementation(params)
            body: JSON = {"ok": True, "result": result}
            status = 200
        except ApiError as err:
            body, status = err.payload(), err.status
        except Exception as err:  # a stub bug must not look like a bot bug
            self.internal_errors.append((method, err))
            body, status = (
                ApiError(500, f"Internal Server Error: stub crashed: {err!r}").payload(),
                500,
            )
        finally:
            self._bump()
        if truncate:
            return web.Response(text=json.dumps(body)[:-7], status=status,
                                content_type="application/json")
        return web.json_response(body, status=status)

    # ------------------------------------------------------------------ helpers for methods

    @staticmethod
    def _require(params: JSON, name: str) -> Any:
        if params.get(name) in (None, ""):
            raise ApiError(400, f"Bad Request: {name} is empty")
        return params[name]

    def _known_chat(self, params: JSON) -> int:
        chat_id = self._require(params, "chat_id")
        if not isinstance(chat_id, int) or chat_id not in self.users:
            # A bot can only write to private chats of users who talked to it.
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _find_message(self, chat_id: int, message_id: Any) -> JSON | None:
        for message in self.chats.get(chat_id, []):
            if message["message_id"] == message_id:
                return message
        return None

    @staticmethod
    def _plain(text: str, parse_mode: str | None) -> str:
        try:
            return to_plain_text(text, parse_mode)
        except EntityParseError as err:
            raise ApiError(400, f"Bad Request: can't parse entities: {err}") from None

    def _checked_text(self, params: JSON) -> str:
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        text = self._plain(raw, params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: text must be non-empty")
        if _utf16_len(text) > MAX_TEXT_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> Any:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in _inline_keyboard(markup) or []:
            for button in row:
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and (
                    not data or len(str(data).encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
                ):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _note_reply_keyboard(self, chat_id: int, markup: Any) -> None:
        if isinstance(markup, dict) and "keyboard" in markup:
            self.reply_keyboards[chat_id] = markup
        elif isinstance(markup, dict) and markup.get("remove_keyboard"):
            self.reply_keyboards.pop(chat_id, None)

    def _render(self, stored: JSON) -> JSON:
        """A stored message as the Bot API Message object."""
        message: JSON = {
            "message_id": stored["message_id"],
            "from": self.bot_user,
            "chat": self._chat(stored["chat_id"]),
            "date": stored["date"],
        }
        if "edit_date" in stored:
            message["edit_date"] = stored["edit_date"]
        if stored.get("file_id") and stored.get("photo"):
            size = {"file_id": stored["file_id"], "file_unique_id": stored["file_id"][-12:],
                    "width": stored["photo"][0], "height": stored["photo"][1],
                    "file_size": len(stored.get("content") or b"")}
            message["photo"] = [size]
            if stored.get("text"):
                message["caption"] = stored["text"]
        elif stored.get("file_id"):
            message["document"] = {
                "file_name": stored.get("filename"),
                "mime_type": stored.get("mime_type") or "application/octet-stream",
                "file_id": stored["file_id"],
                "file_unique_id": stored["file_id"][-12:],
                "file_size": len(stored.get("content") or b""),
            }
            if stored.get("text"):
                message["caption"] = stored["text"]
        else:
            message["text"] = stored["text"]
        if _inline_keyboard(stored.get("reply_markup")) is not None:
            message["reply_markup"] = stored["reply_markup"]
        return message

    def _store(self, chat_id: int, record: JSON) -> JSON:
        record = {
            "message_id": self._next_message_id(chat_id),
            "chat_id": chat_id,
            "date": int(time.time()),
            **record,
        }
        self.chats.setdefault(chat_id, []).append(record)
        self.sent_messages.append(record)
        return record

    # ------------------------------------------------------------------ Bot API methods

    async def _api_getMe(self, _params: JSON) -> JSON:  # noqa: N802 - Bot API method name
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getUpdates(self, params: JSON) -> list[JSON]:  # noqa: N802
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        if "allowed_updates" in params:
            allowed = params["allowed_updates"]
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if isinstance(offset, int) and offset > 0:
            self._max_offset = max(self._max_offset, offset)
            # Confirm what was handed out before; never-delivered redeliveries stay queued.
            self._queue = [
                q for q in self._queue if not (q.delivered and q.update["update_id"] < offset)
            ]
        self._poll_generation += 1
        generation = self._poll_generation
        self._bump()  # a newer getUpdates ends an older long poll with 409, like Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
            ready = self._deliverable(limit)
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing:
                for queued in ready:
                    queued.delivered = True
                return [copy.deepcopy(q.update) for q in ready]
            event = self._wakeup
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

    def _deliverable(self, limit: int) -> list[_Queued]:
        """Queued updates the bot asked for; others are dropped like Telegram does."""
        ready: list[_Queued] = []
        for queued in list(self._queue):
            kind = next((k for k in queued.update if k != "update_id"), "")
            if kind not in self._allowed_updates:
                self._queue.remove(queued)
                self.dropped_updates.append(queued.update)
                self._dropped_ids[queued.update["update_id"]] = (
                    f"its type {kind!r} is not in allowed_updates {sorted(self._allowed_updates)}"
                )
            elif len(ready) < limit:
                ready.append(queued)
        return ready

    async def _api_deleteWebhook(self, params: JSON) -> bool:  # noqa: N802
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            for queued in self._queue:
                self.dropped_updates.append(queued.update)
                self._dropped_ids[queued.update["update_id"]] = (
                    "deleteWebhook(drop_pending_updates=True) discarded it"
                )
            self._queue.clear()
        return True

    async def _api_setWebhook(self, params: JSON) -> bool:  # noqa: N802
        self.webhook_url = str(params.get("url") or "")
        return True

    async def _api_getWebhookInfo(self, _params: JSON) -> JSON:  # noqa: N802
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    async def _api_sendMessage(self, params: JSON) -> JSON:  # noqa: N802
        chat_id = self._known_chat(params)
        text = self._checked_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        self._note_reply_keyboard(chat_id, markup)
        record = self._store(
            chat_id,
            {
                "text": text,
                "raw_text": params["text"],
                "parse_mode": params.get("parse_mode"),
                "link_preview_options": params.get("link_preview_options"),
                "reply_markup": markup,
            },
        )
        return self._render(record)

    def _editable(self, params: JSON) -> JSON:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._known_chat(params)
        stored = self._find_message(chat_id, params.get("message_id"))
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return stored

    @staticmethod
    def _content_key(message: JSON) -> tuple[Any, ...]:
        """What Telegram compares for 'not modified': visible text, formatting, keyboard."""
        formatting = message.get("raw_text") if message.get("parse_mode") else None
        return message.get("text"), formatting, message.get("reply_markup")

    def _apply_edit(self, stored: JSON, changes: JSON) -> JSON:
        if self._content_key({**stored, **changes}) == self._content_key(stored):
            raise ApiError(400, _NOT_MODIFIED)
        stored.update(changes)
        stored["edit_date"] = int(time.time())
        self.edits.append(
            {
                "chat_id": stored["chat_id"],
                "message_id": stored["message_id"],
                "text": stored["text"],
                "reply_markup": stored["reply_markup"],
            }
        )
        return self._render(stored)

    async def _api_editMessageText(self, params: JSON) -> JSON:  # noqa: N802
        stored = self._editable(params)
        if stored.get("file_id"):
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = self._checked_text(params)
        # Leaving out reply_markup removes the inline keyboard, as in Telegram.
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit(
            stored,
            {
                "text": text,
                "raw_text": params["text"],
                "parse_mode": params.get("parse_mode"),
                "reply_markup": markup,
            },
        )

    async def _api_editMessageReplyMarkup(self, params: JSON) -> JSON:  # noqa: N802
        stored = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit(stored, {"reply_markup": markup})

    async def _api_deleteMessage(self, params: JSON) -> bool:  # noqa: N802
        chat_id = self._known_chat(params)
        message_id = params.get("message_id")
        stored = self._find_message(chat_id, message_id)
        if stored is not None:
            self.chats[chat_id].remove(stored)
            stored["deleted"] = True
            return True
        if isinstance(message_id, int) and (chat_id, message_id) in self._user_messages:
            del self._user_messages[(chat_id, message_id)]  # bots may delete incoming messages
            return True
        raise ApiError(400, "Bad Request: message to delete not found")

    async def _api_answerCallbackQuery(self, params: JSON) -> bool:  # noqa: N802
        query_id = str(self._require(params, "callback_query_id"))
        user_id = self._open_queries.pop(query_id, None)
        if user_id is None:
            raise ApiError(400, _QUERY_INVALID)
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "user_id": user_id,
                "text": params.get("text"),
                "show_alert": bool(params.get("show_alert", False)),
                "url": params.get("url"),
            }
        )
        return True

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _api_setMyCommands(self, params: JSON) -> bool:  # noqa: N802
        commands = self._require(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _api_getMyCommands(self, params: JSON) -> list[JSON]:  # noqa: N802
        return self.commands.get(self._commands_key(params), [])

    async def _api_deleteMyCommands(self, params: JSON) -> bool:  # noqa: N802
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _api_setChatMenuButton(self, params: JSON) -> bool:  # noqa: N802
        self.menu_buttons[params.get("chat_id")] = params.get("menu_button") or {"type": "default"}
        return True

    async def _api_getChatMenuButton(self, params: JSON) -> JSON:  # noqa: N802
        chat_id = params.get("chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    async def _api_sendDocument(self, params: JSON) -> JSON:  # noqa: N802
        chat_id = self._known_chat(params)
        document = self._require(params, "document")
        caption = params.get("caption")
        if caption is not None:
            caption = self._plain(caption, params.get("parse_mode"))
            if _utf16_len(caption) > MAX_CAPTION_LENGTH:
                raise ApiError(400, "Bad Request: message caption is too long")
        markup = self._check_markup(params.get("reply_markup"))
        if isinstance(document, dict):  # uploaded as multipart
            if not document["content"]:
                raise ApiError(400, "Bad Request: file must be non-empty")
            upload = {
                "filename": document["filename"],
                "content": document["content"],
                "mime_type": document["mime_type"],
            }
        else:  # a file_id or URL sent as a string
            upload = {"filename": None, "content": None, "mime_type": None}
        record = self._store(
            chat_id,
            {
                "text": caption or "",
                "raw_text": params.get("caption"),
                "parse_mode": params.get("parse_mode"),
                "reply_markup": markup,
                "file_id": f"BQACAgIAAxkDAAI{next(self._update_ids)}",
                **upload,
            },
        )
        self.documents.append(
            {"chat_id": chat_id, "message_id": record["message_id"], **upload, "caption": caption}
        )
        return self._render(record)

    async def _api_sendPhoto(self, params: JSON) -> JSON:  # noqa: N802
        """A photo uploaded as multipart: Telegram takes JPEG, PNG, WebP of at most 10 MB with a
        caption of at most 1024 characters; the stub records the PNG's size from its header."""
        chat_id = self._known_chat(params)
        photo = self._require(params, "photo")
        caption = params.get("caption")
        if caption is not None:
            caption = self._plain(caption, params.get("parse_mode"))
            if _utf16_len(caption) > MAX_CAPTION_LENGTH:
                raise ApiError(400, "Bad Request: message caption is too long")
        markup = self._check_markup(params.get("reply_markup"))
        if not isinstance(photo, dict) or not photo["content"]:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        content = bytes(photo["content"])
        if len(content) > 10 * 1024 * 1024:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        if content[:8] != b"\x89PNG\r\n\x1a\n":  # the bot sends PNG only
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        size = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
        upload = {"filename": photo["filename"], "content": content,
                  "mime_type": photo["mime_type"]}
        record = self._store(
            chat_id,
            {
                "text": caption or "",
                "raw_text": params.get("caption"),
                "parse_mode": params.get("parse_mode"),
                "reply_markup": markup,
                "file_id": f"AgACAgIAAxkDAAI{next(self._update_ids)}",
                "photo": size,
                **upload,
            },
        )
        self.photos.append({"chat_id": chat_id, "message_id": record["message_id"], **upload,
                            "width": size[0], "height": size[1], "caption": caption})
        return self._render(record)

    async def _api_sendChatAction(self, params: JSON) -> bool:  # noqa: N802
        self._known_chat(params)
        self._require(params, "action")
        return True

    async def _api_close(self, _params: JSON) -> bool:
        return True

    async def _api_logOut(self, _params: JSON) -> bool:  # noqa: N802
        return True
