"""Telegram's text formatting rules, so the Bot API stub rejects what the real server rejects.

A bot that renders user input into HTML or MarkdownV2 breaks in production with
``Bad Request: can't parse entities`` long before anyone notices in a unit test. The stub runs
every ``text``/``caption`` through these parsers: malformed markup fails the request exactly like
Telegram does, and well-formed markup is reduced to the plain text the user actually sees.
"""

from __future__ import annotations

import html
import re

__all__ = ["EntityParseError", "to_plain_text"]

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "code",
        "del",
        "em",
        "i",
        "ins",
        "pre",
        "s",
        "span",
        "strike",
        "strong",
        "tg-emoji",
        "tg-spoiler",
        "tg-time",
        "u",
    }
)
_HTML_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_HTML_START_TAG = re.compile(r"([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^>]*)?/?\Z", re.DOTALL)

_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_ENTITY_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


class EntityParseError(ValueError):
    """Markup that Telegram refuses; ``str(err)`` is the text after ``can't parse entities: ``."""


def _byte_offset(text: str, index: int) -> int:
    """Telegram reports positions as UTF-8 byte offsets, not code points."""
    return len(text[:index].encode("utf-8"))


def to_plain_text(text: str, parse_mode: str | None) -> str:
    """The text as a Telegram client displays it; raises :class:`EntityParseError` like the API.

    ``parse_mode`` is matched case-insensitively (Telegram accepts ``html`` and ``HTML``).
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _html_to_plain(text)
    if mode == "markdownv2":
        return _markdown_v2_to_plain(text)
    if mode == "markdown":
        return _markdown_legacy_to_plain(text)
    if mode:
        raise EntityParseError(f"unsupported parse_mode {parse_mode!r}")
    return text


def _html_to_plain(text: str) -> str:
    """Telegram's HTML subset: only its tags, only &lt;/&gt;/&amp;/&quot; and numeric entities."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            end = text.find(">", i)
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of the tag at byte offset {_byte_offset(text, i)}"
                )
            inner = text[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise EntityParseError(
                        f"Unexpected end tag at byte offset {_byte_offset(text, i)}"
                    )
                if name and name != stack[-1]:
                    raise EntityParseError(
                        f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                        f'expected "</{stack[-1]}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                match = _HTML_START_TAG.match(inner)
                name = match.group(1).lower() if match else inner.split(" ", 1)[0]
                if match is None or name not in _HTML_TAGS:
                    raise EntityParseError(
                        f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
                    )
                stack.append(name)
            i = end + 1
        elif char == "&" and (entity := _HTML_ENTITY.match(text, i)):
            out.append(html.unescape(entity.group(0)))
            i = entity.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _find_closing(text: str, start: int, closing: str) -> int:
    """Index of ``closing`` at or after ``start``, skipping backslash escapes; -1 if absent."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(closing, i):
            return i
        i += 1
    return -1


def _unescape_backslashes(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def _markdown_v2_to_plain(text: str) -> str:
    """MarkdownV2: every reserved character outside markup must be escaped with a backslash."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                raise EntityParseError(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            out.append(text[i + 1])
            i += 2
        elif char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = _find_closing(text, i + len(fence), fence)
            if end == -1:
                kind = "Pre" if fence == "```" else "Code"
                raise EntityParseError(
                    f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}"
                )
            body = text[i + len(fence) : end]
            if fence == "```" and "\n" in body:
                first_line, rest = body.split("\n", 1)
                body = rest if first_line and " " not in first_line else body
            out.append(_unescape_backslashes(body))
            i = end + len(fence)
        elif char == "[":
            stack.append(("[", i))
            i += 1
        elif char == "]" and stack and stack[-1][0] == "[":
            if not text.startswith("(", i + 1):
                raise EntityParseError(
                    f"Can't find end of TextUrl entity at byte offset {_byte_offset(text, i)}"
                )
            end = _find_closing(text, i + 2, ")")
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {_byte_offset(text, i)}"
                )
            stack.pop()
            i = end + 1
        elif char == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # blockquote marker at the start of a line
        elif text.startswith("**>", i) and (i == 0 or text[i - 1] == "\n"):
            i += 3  # expandable blockquote
        elif char in "*_~|":
            marker = char
            if char in "_|" and text.startswith(char * 2, i):
                marker = char * 2
            elif char == "|":
                raise EntityParseError(
                    "Character '|' is reserved and must be escaped with the preceding '\\'"
                )
            if stack and stack[-1][0] == marker:
                stack.pop()
            elif any(open_marker == marker for open_marker, _ in stack):
                open_marker, position = stack[-1]
                raise EntityParseError(
                    f"Can't find end of {_MDV2_ENTITY_NAMES[open_marker]} entity at byte offset "
                    f"{_byte_offset(text, position)}"
                )
            else:
                stack.append((marker, i))
            i += len(marker)
        elif char in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.append(char)
            i += 1
    if stack:
        marker, position = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_ENTITY_NAMES[marker]} entity at byte offset "
            f"{_byte_offset(text, position)}"
        )
    return "".join(out)


def _markdown_legacy_to_plain(text: str) -> str:
    """Legacy Markdown: paired ``*``, ``_``, backticks and ``[text](url)``; unpaired ones fail."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            i += 2
        elif char in "*_`":
            fence = "```" if text.startswith("```", i) else char
            end = text.find(fence, i + len(fence))
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            out.append(text[i + len(fence) : end])
            i = end + len(fence)
        elif char == "[":
            close = text.find("](", i)
            end = text.find(")", close + 2) if close != -1 else -1
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            out.append(text[i + 1 : close])
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)
