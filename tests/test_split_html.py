"""Long replies split into Telegram messages: each part well formed, within the limit, nothing lost.

`split_html` cuts the text into pieces: its lines, and lines too long for one message cut after a
space (or hard, never inside a tag or an entity). A part holds consecutive pieces, rejoined exactly
as they were; where one part ends and the next begins, the line break between them (or nothing,
inside a cut line) is left out, and so is a stretch of nothing but line breaks, which Telegram
would refuse as an empty message. So the invariant, on the text Telegram shows (tags removed,
entities decoded): original == s_0 + part_1 + s_1 + … + part_n + s_n with every s_i line breaks only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from typing_extensions import override

from bot.telegram.sending import LIMIT, split_html

#: What a mentee may type: letters, markup characters, emoji (some of several code points).
GLYPHS = ["a", "Z", "ß", "é", " ", " ", "<", ">", "&", '"', "'", "{{", "😀", "👍🏽", "❤️", "🇩🇪"]


@dataclass
class _Shown(HTMLParser):
    """A part as Telegram reads it: its text (tags removed, entities decoded), tags left open."""

    text: str = ""
    open: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.stray.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def utf16_length(text: str) -> int:
    """The length Telegram measures: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def shown(html: str) -> _Shown:
    parsed = _Shown()
    parsed.feed(html)
    parsed.close()
    return parsed


# What the renderer produces: escaped user text (repeated into long runs; never a line of only
# spaces), line breaks and paragraphs, and <b>, <i>, <code> around them, nested up to three deep.
user_text = st.builds(lambda glyphs, times: str(escape("".join(glyphs))) * times,
                      st.lists(st.sampled_from(GLYPHS), min_size=1, max_size=12)
                      .filter(lambda glyphs: "".join(glyphs).strip()),
                      st.integers(1, 300))
leaf = st.one_of(user_text, st.just("\n"), st.just("\n\n"))


def tagged(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(leaf, st.builds(lambda tag, children: f"<{tag}>{''.join(children)}</{tag}>",
                                     st.sampled_from(["b", "i", "code"]),
                                     st.lists(inner, min_size=1, max_size=5)))


rendered = st.lists(tagged(tagged(tagged(leaf))), min_size=1, max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(rendered)
@example("word " * 800 + "\n" + "x" * 300)  # a cut line fitting one part: no line break inserted
@example("ab  " * 1100)  # cut after a run of spaces: none is lost
@example("\n\n<code>\n<code>\n\n</code></code><b>\n" + "aaaaaaaa&lt;&lt;&lt;{{" * 184 + "</b>")
@example("<b>" + "&amp;" * 900 + "</b>\n\n<i>" + "x" * 4000 + "</i>")  # entities, a paragraph
@example("😀" * 4000)  # 8,000 UTF-16 units in one line without a space
@example(("👍🏽 " * 700 + "\n") * 3)  # emoji-heavy lines within the code point limit
def test_split_parts_are_balanced_within_the_limit_and_lose_only_the_separators(html: str) -> None:
    original = shown(html).text
    assume(original.strip())  # a blank reply is never sent

    parts = [shown(part) for part in split_html(html)]

    for part in parts:
        assert part.stray == []  # every tag closed in the same part, in order ...
        assert part.open == []  # ... and none left open
        assert part.text.strip()  # no empty message
        assert utf16_length(part.text) <= LIMIT  # Telegram counts UTF-16 code units
    # Line breaks only between parts, or around a stretch of nothing but line breaks (never sent).
    pattern = "\n*" + "(\n*)".join(re.escape(part.text) for part in parts) + "\n*"
    separators = re.fullmatch(pattern, original)
    assert separators is not None, [part.text[:40] + "…" + part.text[-40:] for part in parts]


def test_a_stretch_without_visible_text_is_not_sent_as_an_empty_message() -> None:
    html = "x" * 3960 + "\n<b>" + " " * 100 + "</b>\n" + "y" * 3960

    parts = split_html(html)

    assert [shown(part).text for part in parts] == ["x" * 3960, "y" * 3960]
