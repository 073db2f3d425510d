"""One clear line for what stops a command or an input: never a traceback, a token, a password,
SQL or its parameters (which carry answers)."""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from storage.database import sqlite_file

#: SQLite's primary result codes that mean "the file cannot take this write".
_CANNOT_WRITE = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
                 sqlite3.SQLITE_PERM}


class DatabaseProblem(Exception):
    """The database cannot be opened, written, or is not a coachbot database (yet); the message
    is the one line the operator reads."""


def where(database_url: str) -> str:
    """The database as the operator knows it: the SQLite file, or the URL without its password."""
    path = sqlite_file(database_url)
    if path is not None:
        return str(path)
    return make_url(database_url).render_as_string(hide_password=True)


def reason(error: BaseException) -> str:
    """What went wrong, in the driver's or the system's words: the first line of its message
    (a DBAPIError's own text would add the SQL statement)."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def cannot_write(error: BaseException) -> bool:
    """A read-only file or a full disk (as opposed to a bug or a conflict)."""
    if isinstance(error, DBAPIError):
        code = getattr(error.orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _CANNOT_WRITE
    return isinstance(error, PermissionError)


def database_problem(error: OSError | SQLAlchemyError, database_url: str) -> DatabaseProblem:
    """The line for a database that failed while a command was opening or using it."""
    verb = "cannot write to" if cannot_write(error) else "cannot use"
    return DatabaseProblem(f"{verb} the database at {where(database_url)}: {reason(error)}")
