"""The report's charts as shapes: where each bar, point and label goes. The template draws them as
inline SVG (no script, no picture file), so the page stays one self-contained, printable file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Okabe–Ito colours, as in service/drawing.py (apart for the common colour-vision deficiencies).
BLUE, ORANGE, GREEN = "#0072B2", "#E69F00", "#009E73"
WIDTH = 640


@dataclass(frozen=True)
class Bar:
    """One bar with its label and the figure written beside it."""

    label: str
    figure: str
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class Point:
    """One point of a line, with its figure and its label under the axis."""

    label: str
    figure: str
    x: float
    y: float


@dataclass(frozen=True)
class Grid:
    """A horizontal guide line with its value."""

    label: str
    y: float


@dataclass(frozen=True)
class Chart:
    """Everything one chart draws; `title` is its accessible name."""

    title: str
    width: int
    height: int
    bars: tuple[Bar, ...] = ()
    points: tuple[Point, ...] = ()
    grid: tuple[Grid, ...] = ()
    baseline: float = 0.0

    @property
    def line(self) -> str:
        """The points as an SVG polyline's `points`."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def horizontal_bars(title: str, rows: Sequence[tuple[str, int]]) -> Chart:
    """A bar per row, longest for the largest count (the stage distribution)."""
    label_width, row_height, bar_height = 170, 28, 18
    longest = max((count for _, count in rows), default=0) or 1
    room = WIDTH - label_width - 50
    bars = tuple(Bar(label, str(count), label_width, i * row_height + 5,
                     room * count / longest, bar_height, BLUE)
                 for i, (label, count) in enumerate(rows))
    return Chart(title, WIDTH, max(len(rows), 1) * row_height + 10, bars=bars)


def percent_columns(title: str, columns: Sequence[tuple[str, float | None]]) -> Chart:
    """A column per week, 0–100 % (the response rate); a week with nothing sent has no column."""
    top, plot, bottom = 20, 160, 30
    step = (WIDTH - 40) / max(len(columns), 1)
    grid = tuple(Grid(f"{p} %", top + plot * (1 - p / 100)) for p in (0, 50, 100))
    bars = tuple(Bar(label, "–" if rate is None else f"{round(rate * 100)} %",
                     40 + i * step + step * 0.15, top + plot * (1 - (rate or 0)),
                     step * 0.7, plot * (rate or 0), ORANGE)
                 for i, (label, rate) in enumerate(columns))
    return Chart(title, WIDTH, top + plot + bottom, bars=bars, grid=grid, baseline=top + plot)


def scale_line(title: str, values: Sequence[tuple[str, float, str]], low: int = 1,
               high: int = 5) -> Chart:
    """A line through averages on a `low`–`high` scale (the relationship pulse); each value comes
    with its label and its figure as written."""
    top, plot, bottom = 20, 140, 30
    step = (WIDTH - 60) / max(len(values), 1)

    def y(value: float) -> float:
        return top + plot * (high - value) / (high - low)

    grid = tuple(Grid(str(mark), y(mark)) for mark in range(low, high + 1))
    points = tuple(Point(label, figure, 50 + i * step + step / 2, y(value))
                   for i, (label, value, figure) in enumerate(values))
    return Chart(title, WIDTH, top + plot + bottom, points=points, grid=grid,
                 baseline=top + plot)
