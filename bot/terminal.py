"""`coachbot chat`: the same dialogs in a terminal. Reads stdin line by line when it is not a tty."""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import DBAPIError

from bot.failures import cannot_write, reason
from service.conversation import ConversationService
from service.inputs import CommandIn, Incoming, Person, PressIn, TextIn, valid_text
from service.messages import Button, Delivery, Document, OutMessage, Response
from service.schedule.dispatch import Dispatcher

_TAG = re.compile(r"</?(?:b|strong|i|em|u|ins|s|strike|del|code|pre|a|blockquote|tg-spoiler)\b[^>]*>")
_NUMBER = re.compile(r"^\s*/?(\d{1,2})\s*$")
PRESS = "/press"  # then a button's data: presses a button shown in a message for someone else
POLL_SECONDS = 20  # at a terminal, how often what came due meanwhile is looked for


@dataclass(frozen=True)
class NoChoice:
    """A number typed while the last reply shows no buttons and asks for nothing typed: it picks
    nothing, and nothing goes to the service (it would take it for an answer, or say answers
    are only saved in a dialog); the chat says so instead."""

    number: int


def to_plain(text: str, bold: Callable[[str], str] | None = None) -> str:
    """Telegram HTML as terminal text: tags dropped (or bold shown with ANSI), entities decoded."""
    if bold is not None:
        text = re.sub(r"<b>(.*?)</b>", lambda m: bold(m.group(1)), text, flags=re.S)
    return html.unescape(_TAG.sub("", text))


class TerminalChat:
    """Prints responses and turns typed lines into service inputs (numbers press buttons). With a
    `dispatcher`, what the schedule has for this person comes too (`deliver_due`).

    The buttons of one reply (all its messages) are numbered once, on from one message to the
    next, so every number on screen is one button; a number typed presses the button it stands
    beside in the last reply. A reply without buttons leaves none to press: a number typed then
    is told so (`NoChoice`), unless the reply asks for typed text (a question, a note)."""

    def __init__(self, service: ConversationService, person: Person, out: TextIO,
                 ansi: bool = False, err: TextIO | None = None, files: Path | None = None,
                 dispatcher: Dispatcher | None = None) -> None:
        self.service = service
        self.dispatcher = dispatcher
        self.person = person
        self.out = out
        self.err = err if err is not None else sys.stderr
        self.files = files if files is not None else Path.cwd()  # where files and pictures go
        self.ansi = ansi
        self.choices: dict[int, Button] = {}  # the last reply's buttons, by their number
        self.free_text = True  # the last reply takes typed text: a bare number is text

    def show(self, response: Response, addressees: Mapping[int, str] | None = None) -> None:
        """Print the messages; remember the last buttons so a number can press one. Messages for
        other people follow, each under who it goes to (`addressees`), indented, so both sides
        of a pair can be rehearsed in two chats on one database."""
        if response.toast:
            self._print(f"({response.toast})")
        if response.messages or any(d.recipient == self.person.external_id
                                    for d in response.deliveries):
            self.choices, self.free_text = {}, False  # a new reply: its own buttons only
        for message in response.messages:
            self._show_message(message)
        for delivery in response.deliveries:
            if delivery.recipient == self.person.external_id:
                for message in delivery.messages:
                    self._show_message(message)
                continue
            self._print((addressees or {}).get(delivery.recipient, f"→ {delivery.recipient}:"))
            for message in delivery.messages:
                text = to_plain(message.text) if message.text else "…"
                self._print("\n".join(f"   │ {line}" for line in text.splitlines()))
                for button in message.choices:  # their chat presses it by typing this line
                    self._print(f"   │   [{button.label}]  {PRESS} {button.data}")
            self._print("")
        self.out.flush()

    def _show_message(self, message: OutMessage) -> None:
        bold = (lambda s: f"\033[1m{s}\033[0m") if self.ansi else None
        if message.text or (message.document is None and message.photo is None):
            self._print(to_plain(message.text, bold))
        if message.document is not None:
            self._print(f"  → {save_document(message.document, self.files)}")
        if message.photo is not None:  # a picture is a file here, saved like a document
            photo = Document(message.photo.filename, message.photo.content)
            self._print(f"  → {save_document(photo, self.files)}")
        # text is typed here: an open question, a prompt for a note (its buttons are shortcuts)
        self.free_text = self.free_text or message.free_text or (
            message.question is not None and not message.buttons)
        if message.buttons:
            # numbered on after the reply's earlier buttons: a summary's save keeps its 0 alone
            first = message.first_number if not self.choices else max(
                message.first_number, max(self.choices) + 1)
            prefix = "/" if message.free_text else ""
            for number, button in enumerate(message.choices, start=first):
                self.choices[number] = button
                self._print(f"  {prefix}{number}  {button.label}")
        self._print("")

    def _print(self, text: str) -> None:
        print(valid_text(text), file=self.out)

    @property
    def buttons(self) -> list[Button]:
        """The last reply's buttons, in the order of their numbers."""
        return [self.choices[number] for number in sorted(self.choices)]

    def parse(self, line: str) -> Incoming | NoChoice:
        """A typed line as the service input it means (`NoChoice`: a number with nothing to
        press, which `send` answers itself)."""
        if line.strip().startswith(f"{PRESS} "):  # a button shown in someone else's message
            return PressIn(line.strip().removeprefix(PRESS).strip())
        number = _NUMBER.match(line)
        slashed = line.strip().startswith("/")
        if number and (slashed or not self.free_text):
            button = self.choices.get(int(number.group(1)))
            if button is not None:
                return PressIn(button.data)
            if not self.choices:
                return NoChoice(int(number.group(1)))
        stripped = line.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            name, _, args = stripped[1:].partition(" ")
            return CommandIn(name.split("@")[0], args.strip())
        return TextIn(line.rstrip("\n"), whole=True)  # a line is never split

    async def send(self, incoming: Incoming | NoChoice) -> None:
        """Hand one input to the service and print what comes back. If the service fails, its
        transaction was rolled back: say so in one line, and let the person go on."""
        if isinstance(incoming, NoChoice):
            await self._no_choice()
            return
        try:
            response = await self.service.handle(self.person, incoming)
            addressees = await self._addressees(response.deliveries)
        except Exception as error:
            print(f"coachbot: {_what_failed(error)}; that input was not saved and you are still "
                  "at the same step.", file=self.err, flush=True)
            return
        self.show(response, addressees)

    async def _no_choice(self) -> None:
        """A number typed with no buttons to press: one line in the person's language."""
        try:
            lang = await self.service.language_for(self.person)
        except Exception as error:
            print(f"coachbot: {_what_failed(error)}", file=self.err, flush=True)
            return
        self._print(to_plain(self.service.catalog.render(lang, "common.terminal.no_choice")))
        self._print("")
        self.out.flush()

    async def _addressees(self, deliveries: Sequence[Delivery]) -> dict[int, str]:
        """Who each delivery for someone else goes to, in this person's words (`show`)."""
        others = {d.recipient for d in deliveries} - {self.person.external_id}
        return {r: await self.service.addressee(self.person, r) for r in others}

    async def deliver_due(self) -> None:
        """Show this person's scheduled items that are due (a check-in's invitation, its
        reminder, a digest), each marked sent as the dispatcher of `coachbot run` would: in a
        terminal, too, the bot comes back on its own. A failure is one line, and the item is
        tried again later."""
        if self.dispatcher is None:
            return
        try:
            claimed = await self.dispatcher.claim_of(self.person.external_id)
        except Exception as error:
            print(f"coachbot: {_what_failed(error)}; scheduled messages come later.",
                  file=self.err, flush=True)
            return
        for item in claimed:
            try:
                deliveries = await self.dispatcher.open(item)
                addressees = await self._addressees(deliveries)
            except Exception as error:  # its transaction was rolled back: it stays due
                print(f"coachbot: {_what_failed(error)}; a scheduled message comes later.",
                      file=self.err, flush=True)
                with contextlib.suppress(Exception):  # else its claim simply runs out
                    await self.dispatcher.failed(item, error)
                continue
            self.show(Response(deliveries=tuple(deliveries)), addressees)

    async def run(self, lines: AsyncIterator[str], first: Incoming, *,
                  poll_every: float | None = None, read_ahead: bool = False) -> None:
        """Talk until the input ends; every answer is already saved, so the end needs no goodbye.
        What is due is shown after each reply, and every `poll_every` seconds while waiting.
        With `read_ahead` (the input is no terminal, so nobody waits for the greeting) a /start
        on the first line is the person's own first message, said once instead of `first`."""
        automatic = first
        if read_ahead:
            first, lines = await self._own_start(lines, first)
        await self._begin(first, own=first is not automatic)
        await self.deliver_due()
        polling = None if poll_every is None else asyncio.create_task(self._poll(poll_every))
        try:
            async for line in lines:
                if line.strip().lower() in ("/quit", "/exit"):
                    break
                await self.send(self.parse(line))
                await self.deliver_due()
        finally:
            if polling is not None:
                polling.cancel()

    async def _begin(self, first: Incoming, own: bool) -> None:
        """Send `first`; the chat's own bare /start (not one the person typed) leaves a choice
        shown before a restart standing and shows it again, so its numbers and words still press
        it, as its buttons still do on Telegram (`ConversationService.reopen`)."""
        if not own and first == CommandIn("start", ""):
            try:
                response = await self.service.reopen(self.person)
                addressees = None if response is None else await self._addressees(
                    response.deliveries)
            except Exception as error:
                print(f"coachbot: {_what_failed(error)}", file=self.err, flush=True)
                return
            if response is not None:
                self.show(response, addressees)
                return
        await self.send(first)

    async def _own_start(self, lines: AsyncIterator[str], first: Incoming
                         ) -> tuple[Incoming, AsyncIterator[str]]:
        """`first` and the lines after it: a typed /start on the first line replaces an automatic
        /start (its payload, if any, wins over the chosen side), as on Telegram, where a new
        person's first /start is their own; any other first line stays to be read."""
        line = await anext(lines, None)
        typed = None if line is None else self.parse(line)
        if isinstance(first, CommandIn) and first.name == "start" \
                and isinstance(typed, CommandIn) and typed.name == "start":
            return CommandIn("start", typed.args or first.args), lines
        return first, _after(line, lines)

    async def _poll(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await self.deliver_due()


async def _after(line: str | None, lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """`line` (None: the input had ended) and then the rest of `lines`."""
    if line is None:
        return
    yield line
    async for later in lines:
        yield later


def save_document(document: Document, folder: Path) -> Path:
    """Write a file the bot sends into `folder`, never over an existing one; where it went."""
    path = folder / document.filename
    stem, suffix, number = path.stem, path.suffix, 1
    while path.exists():
        number += 1
        path = folder / f"{stem} ({number}){suffix}"
    path.write_bytes(document.content)
    return path.resolve()


def _what_failed(error: Exception) -> str:
    """The database's own words for a database failure; only the kind of anything else (its
    message could quote what the person typed)."""
    if cannot_write(error):
        return f"the database cannot be written ({reason(error)})"
    if isinstance(error, DBAPIError):
        return f"the database failed ({reason(error)})"
    return f"something went wrong ({type(error).__name__})"


async def stdin_lines(interactive: bool) -> AsyncIterator[str]:
    """Lines from stdin: with a prompt at a terminal, plainly from a pipe; stops at end of input.

    A daemon thread reads one line each time the chat asks for the next, so the prompt follows the
    bot's reply, and Ctrl-C ends the chat at once: nobody waits for a thread blocked in input().
    """
    if isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are no UTF-8 become U+FFFD
        sys.stdin.reconfigure(errors="replace")
    loop = asyncio.get_running_loop()
    asked = threading.Semaphore(0)
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        line: str | None = ""
        while line is not None:
            asked.acquire()
            try:
                line = input("> ") if interactive else (sys.stdin.readline() or None)
            except EOFError:
                line = None
            loop.call_soon_threadsafe(lines.put_nowait, line)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    while True:
        asked.release()
        line = await lines.get()
        if line is None:
            return
        yield line
