"""SQLite's checkpoints off the writers' path.

In WAL mode every commit appends to the write-ahead log, and by default the commit that takes the
log past 1,000 pages also copies it back into the database file (a checkpoint, with its fsyncs)
before it returns: a busy bot's transactions, and everyone waiting behind SQLite's one writer,
would wait for it. The bot's process checkpoints in the background instead (`Checkpointer`, on a
connection of its own, in a worker thread: SQLite does the work with the GIL released), and its
writers checkpoint only past `BACKSTOP_PAGES`, should the background ever fall behind. A short-lived
command needs no checkpointer: the last connection to close checkpoints the log.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

#: Where a writer checkpoints by itself (pages of the log, about 4 KiB each): far past what the
#: background lets the log grow to, so only a stalled background reaches it.
BACKSTOP_PAGES = 16_000


class Checkpointer:
    """Copies the log of one SQLite file back into it without waiting for anyone (PASSIVE: what
    a reader still needs stays in the log for a later checkpoint), one run at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def run(self) -> None:
        """One checkpoint, in a worker thread."""
        async with self._lock:
            await asyncio.to_thread(self._checkpoint)

    def _checkpoint(self) -> None:
        if self._connection is None:
            self._connection = sqlite3.connect(self.path, isolation_level=None,
                                               check_same_thread=False)
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def close(self) -> None:
        """Close its connection (after the last run)."""
        async with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
