"""What every picture the bot draws shares: matplotlib's object API on the Agg canvas (no pyplot,
no GUI, nothing global switched), one font that has German umlauts (DejaVu Sans ships with
matplotlib), and text from people that cannot break the drawing (no math markup, no glyph the
font lacks)."""

from __future__ import annotations

import io
import textwrap
from functools import cache
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font

FONT = "DejaVu Sans"
DPI = 100
#: Colours that stay apart for people with the common colour-vision deficiencies (Okabe–Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
INK = "#222222"
MUTED = "#666666"


@cache
def _glyphs() -> frozenset[int]:
    """The code points the font can draw."""
    path = findfont(FontProperties(family=FONT), fallback_to_default=False)
    return frozenset(FT2Font(path).get_charmap())


def drawable(text: str) -> str:
    """Text as the font can draw it: characters it lacks (most emoji) are left out, so a name or
    an answer never draws empty boxes or warns; line breaks and tabs become spaces."""
    glyphs = _glyphs()
    kept = "".join(" " if char in "\n\r\t" else char for char in text if char in "\n\r\t"
                   or ord(char) in glyphs)
    return " ".join(kept.split())


def wrapped(text: str, width: int, max_lines: int) -> str:
    """Drawable text wrapped to `width` characters, at most `max_lines` lines (the last one ends
    with … when something was left out)."""
    lines = textwrap.wrap(drawable(text), width, break_long_words=True) or [""]
    if len(lines) <= max_lines:
        return "\n".join(lines)
    kept = lines[:max_lines]
    kept[-1] = kept[-1][:width - 2].rstrip() + " …"
    return "\n".join(kept)


def figure(width_px: int, height_px: int) -> Figure:
    """A blank figure of this size in pixels, drawn in the shared font, with text taken literally
    (a `$` in someone's words is a dollar sign, not math)."""
    fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, exactly its size (no tight bounding box)."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()


def text_style(size: float, *, bold: bool = False, colour: str = INK) -> dict[str, Any]:
    """Keyword arguments for one text: the shared font, literal (no math), this size."""
    return {"fontfamily": FONT, "fontsize": size, "fontweight": "bold" if bold else "normal",
            "color": colour, "parse_math": False}
