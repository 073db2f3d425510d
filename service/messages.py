"""What the conversation service hands to a front-end: HTML text, buttons, files. No Telegram types."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from dataclasses import dataclass, replace

from service.commands import Scope

MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Button:
    """An answer the mentee can tap: a plain-text label; `data` comes back verbatim (at most 64 bytes,
    as Telegram allows). Build it from a rendered catalog text with `button()`."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"button data over {MAX_CALLBACK_BYTES} bytes: {self.data!r}")


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """"1 day", "2 days": a count in the operator's shell lines (English only; what members read
    says its plurals in the catalog, per language)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def button(label_html: str, data: str) -> Button:
    """A button from rendered (HTML-escaped) catalog text: Telegram shows button labels as is."""
    return Button(html.unescape(label_html), data)


def plain(text_html: str) -> str:
    """Rendered catalog text for places that show plain text (a button-press notice)."""
    return html.unescape(text_html)


@dataclass(frozen=True)
class Document:
    """A file to send (the data export)."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Photo:
    """A picture to send (a chart, the vision map) and the name it is saved under; the message's
    text is its caption. It is drawn when it is sent (`drawn`), not when it is decided: drawing
    takes tenths of a second, which must neither hold the person's transaction (on SQLite, the
    write lock for everyone) nor stop the event loop."""

    filename: str
    draw: Callable[[], bytes]

    @property
    def content(self) -> bytes:
        """The PNG, drawn here and now (the terminal, tests)."""
        return self.draw()

    async def drawn(self) -> bytes:
        """The PNG, drawn in a worker thread."""
        return await asyncio.to_thread(self.draw)


@dataclass(frozen=True)
class Question:
    """The question of a dialog run a message shows: a step's key, or the summary."""

    run_id: int
    step: str


@dataclass(frozen=True)
class OutMessage:
    """One message to send: Telegram-HTML text, rows of buttons, or a document or a photo with a
    caption (and buttons).

    `free_text` says the answer is typed; its buttons (keep, skip, done) are shortcuts only.
    `question` names the run's question it shows: the one typed text answers while it is the
    question last shown (front-ends need not read it; tests check the rule by it).
    `first_number`: the number a front-end that numbers the buttons (the terminal) gives the first;
    a summary's save is 0, so its change buttons carry the numbers of the answers they change.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    free_text: bool = False
    photo: Photo | None = None
    question: Question | None = None
    first_number: int = 1

    @property
    def choices(self) -> list[Button]:
        """All buttons in reading order (the terminal numbers them)."""
        return [button for row in self.buttons for button in row]


@dataclass(frozen=True)
class MenuChange:
    """The person's roles (or language) changed: the command menu of their chat follows, with the
    commands of these scopes in this language (those for someone with a mentor only while
    `mentored`)."""

    scopes: frozenset[Scope]
    language: str
    mentored: bool = True


@dataclass(frozen=True)
class Delivery:
    """Messages for one person, addressed by their Telegram id: not necessarily whoever sent the
    update (a mentor's alert, a scheduled check-in). Front-ends send them in order. `menu`: what
    the messages tell changes that person's roles (a pairing ended): their chat's menu follows."""

    recipient: int
    messages: tuple[OutMessage, ...]
    menu: MenuChange | None = None


@dataclass(frozen=True)
class Response:
    """The service's answer to one input.

    `messages` go to the sender. `toast` is a short notice for a button press (Telegram's
    answerCallbackQuery); `accepted` says the press counted, so the front-end marks the choice on
    the pressed message and removes its keyboard. A stale or forged press is not accepted and
    changes nothing. `deliveries` go to other people. `menu` says the sender's command menu
    changed (their roles or language did).
    """

    messages: tuple[OutMessage, ...] = ()
    toast: str | None = None
    accepted: bool = False
    deliveries: tuple[Delivery, ...] = ()  # messages this input causes for other people
    menu: MenuChange | None = None


def with_note(response: Response, note: str) -> Response:
    """The response with a closing note: on its last message when that has buttons, so they stay
    the last ones shown, else on its own."""
    last = response.messages[-1] if response.messages else None
    if last is None or not last.buttons:
        return replace(response, messages=(*response.messages, OutMessage(note)))
    joined = replace(last, text=f"{last.text}\n\n{note}")
    return replace(response, messages=(*response.messages[:-1], joined))
