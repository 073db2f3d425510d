"""Logging in tests as `coachbot run` sets it up, and the captured log as one searchable text."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.logs import QUIET, protect_logs


@contextmanager
def logging_as_run() -> Iterator[None]:
    """The leaking loggers held and every record made safe, as `coachbot run` does; undone after."""
    factory = logging.getLogRecordFactory()
    levels = {name: logging.getLogger(name).level for name in QUIET}
    protect_logs()
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the captured records would print: messages and tracebacks."""
    return "\n".join(f"{record.levelname} {record.name}: {record.getMessage()}\n"
                     f"{record.exc_text or ''}" for record in caplog.records)
