"""Sending the service's response the way Telegram wants it: HTML within limits, keyboards, files,
photos."""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import replace

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, EndPointNotFound, InvalidToken
from telegram.ext import Defaults, ExtBot
from telegram.helpers import escape
from telegram.warnings import PTBUserWarning

from service.inputs import valid_text
from service.messages import Button, OutMessage, Response

log = logging.getLogger(__name__)

LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)
_TAG = re.compile(r"<(/?)([a-z\-]+)([^>]*)>")
_ENTITY = re.compile(r"&[#a-z0-9]+;")
#: python-telegram-bot asks for `send_message` where `do_api_request("sendMessage")` is called;
#: `send_text` calls it on purpose (see there).
RAW_SEND_WARNING = r"Please use 'Bot\.sendMessage' instead of"
warnings.filterwarnings("ignore", RAW_SEND_WARNING, PTBUserWarning)


def _open_tags(html: str) -> list[tuple[str, str]]:
    """Tags still open at the end of an HTML fragment, outermost first (name, full opening tag)."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2)
        if closing:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i:]
                    break
        else:
            stack.append((name, match.group(0)))
    return stack


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts two).
    Measured on the HTML, which is never shorter than the text it shows."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fit(line: str, limit: int) -> int:
    """How many characters of the line fit in `limit` UTF-16 code units."""
    used = 0
    for index, char in enumerate(line):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(line)


def _pieces(text: str, limit: int) -> Iterator[tuple[str, str]]:
    """The text as (separator, piece) pairs: its lines, each after a line break, and any line longer
    than the limit cut after a space (or hard, never inside a tag or entity), its rest after ""."""
    for number, line in enumerate(text.split("\n")):
        separator = "\n" if number else ""
        while units(line) > limit:
            fits = _fit(line, limit)
            cut = line.rfind(" ", 0, fits) + 1
            cut = cut if cut > fits // 2 else fits
            for token in (_TAG, _ENTITY):
                for match in token.finditer(line):
                    if match.start() < cut < match.end():
                        cut = match.start()
            yield separator, line[:cut]
            separator, line = "", line[cut:]
        yield separator, line


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """Split Telegram HTML into messages of at most `limit` UTF-16 code units, on line boundaries
    where possible, closing tags at the end of a part and reopening them at the start of the next.

    Nothing but the separator where one part ends and the next begins is left out: the line break
    there, or nothing when a long line is cut. A part without visible text is not sent."""
    if units(text) <= limit:
        return [text]
    reserve = 64  # room for the closing and reopening tags
    parts: list[str] = []
    current = ""
    for separator, piece in _pieces(text, limit - reserve * 2):
        candidate = current + separator + piece
        if units(candidate) + reserve <= limit:
            current = candidate
            continue
        open_tags = _open_tags(current)
        parts.append(current + "".join(f"</{name}>" for name, _ in reversed(open_tags)))
        current = "".join(tag for _, tag in open_tags) + piece
    parts.append(current)
    return [part for part in parts if _TAG.sub("", part).strip()]


def keyboard(message: OutMessage) -> InlineKeyboardMarkup | None:
    """The message's buttons as an inline keyboard (labels are plain text)."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(valid_text(b.label), callback_data=b.data)
                                  for b in row] for row in message.buttons])


def keyboard_data(buttons: Sequence[Sequence[Button]]) -> dict[str, object] | None:
    """`keyboard` as the Bot API reads it (what python-telegram-bot would make of the markup),
    for `send_text`: without building the objects only to turn them back into this."""
    if not buttons:
        return None
    return {"inline_keyboard": [[{"text": valid_text(b.label), "callback_data": b.data}
                                 for b in row] for row in buttons]}


async def send_messages(bot: ExtBot[None], chat_id: int, messages: Sequence[OutMessage]) -> None:
    """Send messages in order; long texts are split, the keyboard goes on the last part. Text
    saved before inputs were made valid UTF-8 may hold a lone surrogate: it is shown as U+FFFD."""
    for message in messages:
        text = valid_text(message.text)
        if message.document is not None:
            document = message.document
            await bot.send_document(chat_id, InputFile(document.content, filename=document.filename),
                                    caption=text or None)
            continue
        if message.photo is not None:
            await send_photo(bot, chat_id, message, text)
            continue
        parts = split_html(text)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            await send_text(bot, chat_id, part, message.buttons if last else ())


async def send_text(bot: ExtBot[None], chat_id: int, text: str,
                    buttons: Sequence[Sequence[Button]] = ()) -> None:
    """One text message with its buttons, as `bot.send_message` sends it with the bot's defaults
    (HTML, no link previews), through its rate limiter, but with Telegram's answer left as it
    came: nothing here reads the `Message` that `send_message` would make of it, and making it
    costs python-telegram-bot more than the sending does (`do_api_request` without a return
    type; it takes the keyboard as the Bot API reads it, `keyboard_data`)."""
    data: dict[str, object] = {"chat_id": chat_id, "text": text, **_sent_with(bot.defaults)}
    markup = keyboard_data(buttons)
    if markup is not None:
        data["reply_markup"] = markup
    try:
        await bot.do_api_request("sendMessage", data)
    except EndPointNotFound as error:  # its name for a rejected token, as sendMessage exists
        if isinstance(error.__cause__, InvalidToken):
            raise error.__cause__ from None
        raise


@functools.lru_cache(maxsize=4)
def _sent_with(defaults: Defaults | None) -> dict[str, object]:
    """What `send_message` would add of the bot's defaults to a text message; HTML without any
    (every text the service makes is HTML)."""
    if defaults is None:
        return {"parse_mode": ParseMode.HTML}
    added: dict[str, object] = {}
    if defaults.parse_mode is not None:
        added["parse_mode"] = defaults.parse_mode
    if defaults.link_preview_options is not None:
        added["link_preview_options"] = defaults.link_preview_options.to_dict()
    return added


async def send_photo(bot: ExtBot[None], chat_id: int, message: OutMessage, text: str) -> None:
    """A picture with its caption and buttons; a caption longer than Telegram allows under a
    photo follows it as text, with the buttons."""
    assert message.photo is not None
    photo = InputFile(await message.photo.drawn(), filename=message.photo.filename)
    if units(text) <= CAPTION_LIMIT:
        await bot.send_photo(chat_id, photo, caption=text or None, reply_markup=keyboard(message))
        return
    await bot.send_photo(chat_id, photo)
    await send_messages(bot, chat_id, [replace(message, photo=None)])


async def settle_press(query: CallbackQuery, response: Response) -> None:
    """Answer the button press; when it counted, mark the choice and remove the keyboard.

    Marking is cosmetic and never stops the reply: a second tap finds the keyboard already gone
    ("message is not modified"), and a message may have been deleted meanwhile."""
    try:
        await query.answer(response.toast)
    except BadRequest as error:  # a redelivered or late press: Telegram takes no answer any more
        if "query is too old" not in error.message.lower():
            raise
    message = query.message
    if not response.accepted or not isinstance(message, Message) or message.reply_markup is None:
        return
    label = next((button.text for row in message.reply_markup.inline_keyboard
                  for button in row if button.callback_data == query.data), None)
    text = message.text_html or ""
    try:
        if label and text and units(text) + units(label) + 16 <= LIMIT:
            await query.edit_message_text(f"{text}\n\n→ <b>{escape(label)}</b>", reply_markup=None)
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:
        if "not modified" not in error.message.lower():  # not a second tap: say so, without text
            log.warning("could not mark the button user %s pressed", query.from_user.id)
