"""Logging set up so that tokens and answers never reach a log, whatever the level asked for."""

from __future__ import annotations

import logging
import sys

# Loggers that print request URLs (with the bot token), Bot API or SQL parameters (with answer
# text) below these levels.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "telegram": logging.INFO,
         "apscheduler": logging.WARNING, "alembic": logging.WARNING,
         "sqlalchemy.engine": logging.WARNING, "aiosqlite": logging.INFO, "asyncpg": logging.INFO}


def configure_logging(level: str) -> None:
    """Log to stderr at `level`, with the leaking loggers held at a safe level."""
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hold_quiet_loggers()


def hold_quiet_loggers() -> None:
    """Keep the loggers that could leak at their safe level (also under a test's log capture)."""
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(floor)
