"""Conversation-level helper over the service: tests read like a chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.terminal import to_plain
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.inputs import CommandIn, Incoming, Person, PressIn, TextIn
from service.messages import Button, OutMessage, Response


def rendered(lang: str, key: str, **variables: Any) -> str:
    """A catalog text as the service returns it (Telegram HTML)."""
    return default_catalog().render(lang, key, **variables)


def shown(lang: str, key: str, **variables: Any) -> str:
    """A catalog text as the chat shows it (plain text)."""
    return to_plain(rendered(lang, key, **variables))


@dataclass
class Chat:
    """One user talking to the service; remembers the last buttons so `press` can find them."""

    service: ConversationService
    user_id: int = 1001
    language: str = "en"
    name: str = "Ana"
    log: list[Response] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)

    @property
    def person(self) -> Person:
        return Person(self.user_id, self.name, self.language)

    async def handle(self, incoming: Incoming) -> Response:
        response = await self.service.handle(self.person, incoming)
        self.log.append(response)
        for message in response.messages:
            if message.buttons:
                self.buttons = message.choices
            elif message.text:
                self.buttons = []
        return response

    async def send(self, text: str, message_id: int | None = None) -> Response:
        """Type a message; a leading slash makes it a command."""
        if text.startswith("/") and len(text) > 1:
            name, _, args = text[1:].partition(" ")
            return await self.handle(CommandIn(name, args))
        return await self.handle(TextIn(text, message_id))

    async def press(self, label: str | int) -> Response:
        """Press a button of the last keyboard, by index or by (part of) its label."""
        if isinstance(label, int):
            return await self.handle(PressIn(self.buttons[label].data))
        for button in self.buttons:
            if button.label == label or label in button.label:
                return await self.handle(PressIn(button.data))
        raise AssertionError(f"no button {label!r} in {[b.label for b in self.buttons]}")

    @property
    def last(self) -> OutMessage:
        """The last message the service sent."""
        for response in reversed(self.log):
            if response.messages:
                return response.messages[-1]
        raise AssertionError("no message yet")

    @property
    def last_text(self) -> str:
        """The last message as plain text."""
        return to_plain(self.last.text)

    def texts(self, response: Response) -> str:
        """All messages of a response as one plain text."""
        return "\n".join(to_plain(m.text) for m in response.messages)
