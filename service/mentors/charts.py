"""The confidence chart: one line per mentee over the check-ins they shared, as a PNG a phone
shows well. The mentor's view of one mentee and the digest send it; the data is read through
storage.shared only, so a chart never holds a mentee who is not the mentor's own, or an answer
that was not shared."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from prompts.catalog import Catalog
from service import drawing
from service.messages import OutMessage, Photo, plain
from service.names import mentee_names
from service.turn import Turn
from storage.pairings import pairings_of_mentor
from storage.shared import shared_step

#: The check-in's question whose answers the chart shows, and its scale.
CONFIDENCE = ("checkin", "confidence")
LOWEST, HIGHEST = 1, 10
WIDTH, HEIGHT = 800, 500  # pixels: readable on a phone without zooming
MAX_TICKS = 6
FILENAME = "confidence.png"
MARKERS = ("o", "s", "^", "D", "v", "P")


@dataclass(frozen=True)
class ChartLine:
    """One mentee's line: their name (service.names; "" without one: "your mentee") and
    (check-in day, confidence) pairs, oldest first."""

    name: str
    points: tuple[tuple[date, int], ...]


def confidence_chart(series: Sequence[ChartLine], lang: str, catalog: Catalog) -> bytes | None:
    """The chart as PNG bytes (WIDTH × HEIGHT), labels in `lang`; None when no line has a point.
    A single check-in is drawn as a point."""
    fig = confidence_figure(series, lang, catalog)
    return None if fig is None else drawing.png(fig)


def confidence_figure(series: Sequence[ChartLine], lang: str, catalog: Catalog) -> Figure | None:
    """The chart as a figure (one plotted line per mentee with a point), before it is drawn."""
    lines = [line for line in series if line.points]
    if not lines:
        return None

    def say(key: str, **variables: object) -> str:
        return drawing.drawable(plain(catalog.render(lang, f"pictures.chart.{key}", **variables)))

    fig = drawing.figure(WIDTH, HEIGHT)
    ax = fig.add_axes((0.09, 0.12, 0.88, 0.66))
    for number, line in enumerate(lines):
        xs = [day.toordinal() for day, _ in line.points]
        values = [min(max(value, LOWEST), HIGHEST) for _, value in line.points]
        ax.plot(xs, values, color=drawing.COLOURS[number % len(drawing.COLOURS)],
                marker=MARKERS[number // len(drawing.COLOURS) % len(MARKERS)], markersize=9,
                linewidth=3, label=drawing.drawable(line.name) or say("unnamed"))
    days = sorted({day for line in lines for day, _ in line.points})
    _date_axis(ax, days, lang, catalog)
    ax.set_ylim(LOWEST - 0.5, HIGHEST + 0.5)
    ax.set_yticks(range(LOWEST, HIGHEST + 1))
    ax.set_ylabel(say("axis"), **drawing.text_style(15, colour=drawing.MUTED))
    ax.tick_params(labelsize=14, colors=drawing.MUTED)
    ax.grid(axis="y", color="#dddddd", linewidth=1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.text(0.03, 0.94, say("title"), **drawing.text_style(20, bold=True))
    legend = ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), ncols=min(len(lines), 4),
                       frameon=False, fontsize=15, handlelength=1.8, borderaxespad=0.0)
    for text in legend.get_texts():
        text.set_parse_math(False)
    return fig


def _date_axis(ax: Axes, days: Sequence[date], lang: str, catalog: Catalog) -> None:
    """The check-in days along x: a few of them labelled like "12 Mar", a margin either side."""
    months = catalog.raw(lang, "pictures.chart.months") or []
    first, last = days[0].toordinal(), days[-1].toordinal()
    margin = max(1.0, (last - first) * 0.05)
    ax.set_xlim(first - margin, last + margin)
    gap = (last - first) / MAX_TICKS  # labels closer than this would overlap
    ticks: list[date] = []
    for day in days:
        if not ticks or day.toordinal() - ticks[-1].toordinal() >= gap:
            ticks.append(day)
    if ticks[-1] != days[-1]:  # the latest check-in is always labelled
        ticks[-1 if len(ticks) > 1 and last - ticks[-1].toordinal() < gap else len(ticks):] = [days[-1]]
    ax.set_xticks([day.toordinal() for day in ticks])
    ax.set_xticklabels([drawing.drawable(plain(catalog.render(
        lang, "pictures.chart.day", day=day.day,
        month=months[day.month - 1] if len(months) == 12 else day.month))) for day in ticks])


async def confidence_series(turn: Turn, pairing_id: int | None = None) -> list[ChartLine]:
    """The confidence each of the mentor's mentees (turn.user is the mentor), or one of them,
    shared at check-ins, by the day in the mentee's time zone, each named as everywhere a mentor
    reads of them (service.names: "" for a sole mentee without a name); mentees who shared none
    have no line. Only the mentor's own open pairings are read (storage.shared)."""
    dialog, step = CONFIDENCE
    answers = await shared_step(turn.session, turn.user.id, dialog, step, pairing_id=pairing_id)
    points: dict[int, list[tuple[date, int]]] = {}
    pairs = await pairings_of_mentor(turn.session, turn.user.id)
    mentees = {pairing.id: mentee for pairing, mentee in pairs}
    names = await mentee_names(turn.session, turn.say, turn.user.id, pairs)
    for paired, answer in answers:
        mentee = mentees.get(paired)
        if mentee is None or isinstance(answer.value, bool) or not isinstance(answer.value, int):
            continue
        day = answer.created_at.astimezone(ZoneInfo(mentee.timezone)).date()
        points.setdefault(paired, []).append((day, answer.value))
    return [ChartLine(names[paired] or "", tuple(points[paired]))
            for paired in mentees if paired in points]


async def confidence_message(turn: Turn, pairing_id: int | None = None) -> OutMessage | None:
    """The chart of the mentor's mentees (or of one) as a photo with its caption, in the mentor's
    language; None when nothing was shared to draw. The mentee detail and the digest send this."""
    series = await confidence_series(turn, pairing_id)
    if not any(line.points for line in series):
        return None
    lang, catalog = turn.lang, turn.content.catalog

    def draw() -> bytes:
        return confidence_chart(series, lang, catalog) or b""

    name = series[0].name if pairing_id is not None and series else None
    return OutMessage(turn.say("pictures.chart.caption", name=name, one=pairing_id is not None),
                      photo=Photo(FILENAME, draw))
