"""What a front-end hands to the conversation service: who is talking, and what they did."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """Who is talking, as the front-end knows them (language is only a hint for new users)."""

    external_id: int
    name: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class TextIn:
    """A typed message (`message_id` lets a later edit of it update the answer)."""

    text: str
    message_id: int | None = None


@dataclass(frozen=True)
class CommandIn:
    """A command such as /grow, without the slash, with whatever followed it."""

    name: str
    args: str = ""


@dataclass(frozen=True)
class PressIn:
    """A button press with its callback data, untrusted."""

    data: str


@dataclass(frozen=True)
class EditIn:
    """The mentee edited a message they sent earlier."""

    message_id: int
    text: str


@dataclass(frozen=True)
class MediaIn:
    """Something that is not text (a sticker, photo, voice note, location, file)."""

    kind: str


Incoming = TextIn | CommandIn | PressIn | EditIn | MediaIn
