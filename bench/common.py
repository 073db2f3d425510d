"""Helpers shared by the benchmarks: latency statistics, the environment header, tables, and a
fresh migrated database with the conversation service on it."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_service
from bot.settings import Settings
from service.conversation import ConversationService
from storage import migrate
from storage.database import create_engine

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000


# --- statistics ----------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[int], fraction: float) -> int:
    """Nearest-rank percentile of already sorted values (fraction in 0..1)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = min(len(sorted_values), max(1, math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]


@dataclass
class Timing:
    """Per-operation latencies of one measured section, plus the wall time of its timed loops."""

    label: str
    latencies_ns: list[int]
    wall_ns: int = 0

    def add(self, latencies_ns: Sequence[int], wall_ns: int) -> None:
        """Fold in one more chunk (sections run in interleaved rounds)."""
        self.latencies_ns.extend(latencies_ns)
        self.wall_ns += wall_ns

    @property
    def count(self) -> int:
        return len(self.latencies_ns)

    @property
    def per_second(self) -> float:
        """Operations per second over the wall time of the timed loops."""
        return self.count * NS_PER_S / self.wall_ns if self.wall_ns else 0.0

    def quantile_ms(self, fraction: float) -> float:
        return percentile(sorted(self.latencies_ns), fraction) / NS_PER_MS

    @property
    def mean_ms(self) -> float:
        return sum(self.latencies_ns) / self.count / NS_PER_MS if self.count else 0.0


# --- output --------------------------------------------------------------------------------------


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def environment_lines() -> list[str]:
    """What the figures depend on: interpreter, libraries, SQLite, machine."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return [
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.machine()}",
        f"SQLAlchemy {package_version('SQLAlchemy')}, aiosqlite {package_version('aiosqlite')}, "
        f"SQLite {sqlite3.sqlite_version}",
        f"CPUs: {os.cpu_count()} (usable by this process: {usable}); load average {load_average()}",
    ]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def timing_rows(timings: Sequence[Timing]) -> list[list[str]]:
    return [[t.label, f"{t.count:,}", f"{t.per_second:,.1f}", f"{t.quantile_ms(0.5):.2f}",
             f"{t.quantile_ms(0.99):.2f}", f"{t.mean_ms:.2f}"] for t in timings]


TIMING_HEADERS = ("section", "n", "per s", "p50 ms", "p99 ms", "mean ms")


def mebibytes(size: float) -> str:
    return f"{size / 1024 / 1024:.2f} MiB"


def emit_json(data: dict[str, object]) -> None:
    """One JSON line on stdout (how a child process hands figures to its parent)."""
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


# --- databases -----------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@asynccontextmanager
async def migrated_engine(path: Path) -> AsyncIterator[AsyncEngine]:
    """The app's engine (WAL, busy timeout, foreign keys, BEGIN IMMEDIATE) on a fresh, migrated
    SQLite file; disposed on exit."""
    engine = create_engine(sqlite_url(path), background_checkpoints=True)
    try:
        await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


def service_on(engine: AsyncEngine, path: Path) -> ConversationService:
    """The conversation service wired exactly as the bot wires it (`build_service`)."""
    return build_service(engine, Settings(database_url=sqlite_url(path)))
