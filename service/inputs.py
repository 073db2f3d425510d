"""What a front-end hands to the conversation service: who is talking, and what they did.

Text is made valid UTF-8 here, once, as an input is built: every front-end (Telegram updates,
webhook posts, the terminal) passes this edge before anything is stored, so a lone surrogate (a
broken JSON escape, or bytes that were no UTF-8 read with surrogateescape) cannot reach the
database and break /export or /answers later; it becomes U+FFFD. So does a NUL character, which
PostgreSQL refuses in any text (the note, answer or reply holding it would fail to save).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
NUL = "\x00"


def valid_text(text: str) -> str:
    """The text with every lone surrogate and NUL replaced by U+FFFD (a proper pair becomes its
    character): what every database stores alike."""
    if NUL in text:
        text = text.replace(NUL, "\ufffd")
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class _ValidText:
    """Makes every text field of an input dataclass valid UTF-8 when it is built."""

    def __post_init__(self) -> None:
        instance: Any = self
        for field in fields(instance):
            value = getattr(self, field.name)
            if isinstance(value, str):
                object.__setattr__(self, field.name, valid_text(value))


@dataclass(frozen=True)
class Person(_ValidText):
    """Who is talking, as the front-end knows them (language is only a hint for new users)."""

    external_id: int
    name: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class TextIn(_ValidText):
    """A typed message (`message_id` lets a later edit of it update the answer). `whole`: the
    front-end never splits a long text into several messages (the terminal's line), so nothing
    typed after it can be its rest (service.long_text); Telegram does split one. `sent_at`:
    when the person sent it, where the front-end knows (Telegram's message date): after a
    restart, messages sent a minute apart may be handled a moment apart."""

    text: str
    message_id: int | None = None
    whole: bool = False
    sent_at: datetime | None = None


@dataclass(frozen=True)
class CommandIn(_ValidText):
    """A command such as /grow, without the slash, with whatever followed it."""

    name: str
    args: str = ""


@dataclass(frozen=True)
class PressIn(_ValidText):
    """A button press with its callback data, untrusted."""

    data: str


@dataclass(frozen=True)
class EditIn(_ValidText):
    """The mentee edited a message they sent earlier."""

    message_id: int
    text: str


@dataclass(frozen=True)
class MediaIn(_ValidText):
    """Something that is not text (a sticker, photo, voice note, location, file)."""

    kind: str


Incoming = TextIn | CommandIn | PressIn | EditIn | MediaIn
