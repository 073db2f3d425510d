"""Logging set up so that tokens and answers never reach a log, whatever the level asked for.

Two layers. Loggers that print request URLs (with the bot token), Bot API or SQL parameters (with
answer text) are held at a level where they do not. And every log record, from any logger, is made
safe as it is created (a record factory, so no handler, formatter or test capture sees the
original):
- an exception is rendered at once as its type and traceback frames (file, line, code), with
  database error codes; its message is kept only for coachbot's own exception classes, because
  the message of a library's exception may quote anything: a NetworkError holds the whole
  outgoing message, a driver error the value it refused, InvalidToken the token;
- arguments of library loggers are kept only when they are numbers (a webhook handler logs the
  whole update it could not read), and exceptions given as arguments become their type;
- the text of those exceptions is cut out of the message too (asyncio's "Task exception was never
  retrieved" quotes the task with its exception), and asyncio keeps only its first line.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import Any

# Loggers that print request URLs (with the bot token), Bot API or SQL parameters (with answer
# text) below these levels.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "telegram": logging.INFO,
         "apscheduler": logging.WARNING, "alembic": logging.WARNING,
         "sqlalchemy.engine": logging.WARNING, "aiosqlite": logging.INFO, "asyncpg": logging.INFO}

#: Our packages: their loggers and exception classes say nothing private (we write them so).
OURS = frozenset({"bot", "service", "dialogs", "prompts", "storage", "coachbot"})
#: Attributes of database errors that name what went wrong without quoting data.
_CODES = ("sqlstate", "sqlite_errorname", "code")
_CODE = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_WITHHELD = "<withheld>"
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"

RecordFactory = Callable[..., logging.LogRecord]


def configure_logging(level: str) -> None:
    """Log to stderr at `level`, with the leaking loggers held at a safe level."""
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    protect_logs()


def protect_logs() -> None:
    """Hold the leaking loggers at their safe level and make every record safe as it is made."""
    hold_quiet_loggers()
    current = logging.getLogRecordFactory()
    if not getattr(current, "coachbot_safe", False):
        logging.setLogRecordFactory(_safe_factory(current))


def hold_quiet_loggers() -> None:
    """Keep the loggers that could leak at their safe level (also under a test's log capture)."""
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(floor)


def _safe_factory(make: RecordFactory) -> RecordFactory:
    def safe_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            _make_safe(record)
        except Exception:  # logging must go on, without what could not be checked
            record.msg, record.args = "log record withheld: it could not be checked", ()
            record.exc_info, record.exc_text = None, None
        return record

    safe_record.coachbot_safe = True  # type: ignore[attr-defined]
    return safe_record


def _ours(name: str) -> bool:
    return name.split(".")[0] in OURS


def _make_safe(record: logging.LogRecord) -> None:
    ours = _ours(record.name)
    exception = record.exc_info[1] if record.exc_info else None
    quoted = [e for e in _chain(exception) if not _ours(type(e).__module__)]
    if isinstance(record.args, Mapping):  # logging's `log.info("%(name)s", {"name": …})`
        args = list(record.args.values())
        record.args = {key: _safe_arg(value, ours) for key, value in record.args.items()}
    else:
        args = list(record.args or ())
        record.args = tuple(_safe_arg(arg, ours) for arg in args)
    quoted += [arg for arg in args if isinstance(arg, BaseException)]
    message = record.getMessage()
    for error in quoted:
        for text in sorted({repr(error), str(error)}, key=len, reverse=True):
            if text:
                message = message.replace(text, type(error).__name__)
    if record.name.startswith("asyncio"):
        message = re.sub(r"[(<].*", "…", message.split("\n")[0])
    record.msg, record.args = message, ()
    if exception is not None:
        record.exc_text = safe_traceback(exception)
        record.exc_info = None


def _safe_arg(arg: object, ours: bool) -> object:
    if isinstance(arg, BaseException):
        return type(arg).__name__
    if ours or arg is None or isinstance(arg, int | float):
        return arg
    return _WITHHELD


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    """An exception, what caused it or happened before it, and the members of a group."""
    seen: set[int] = set()
    pending = [error] if error is not None else []
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        elif current.__context__ is not None and not current.__suppress_context__:
            pending.append(current.__context__)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)


def describe(error: BaseException) -> str:
    """The exception's class and codes; its message only when the class is coachbot's own."""
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    codes = [str(code) for code in (getattr(error, attribute, None) for attribute in _CODES)
             if isinstance(code, str) and _CODE.match(code)]
    if codes:
        name += f" [{', '.join(dict.fromkeys(codes))}]"
    return f"{name}: {error}" if _ours(kind.__module__) else name


def safe_traceback(error: BaseException, _seen: frozenset[int] = frozenset()) -> str:
    """The traceback as Python prints it (causes first), with each message as `describe` says."""
    seen = _seen | {id(error)}
    text = ""
    cause, context = error.__cause__, error.__context__
    if cause is not None and id(cause) not in seen:
        text = f"{safe_traceback(cause, seen)}\n\n{_CAUSE}\n\n"
    elif context is not None and not error.__suppress_context__ and id(context) not in seen:
        text = f"{safe_traceback(context, seen)}\n\n{_CONTEXT}\n\n"
    frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
    text += f"Traceback (most recent call last):\n{frames}{describe(error)}"
    if isinstance(error, BaseExceptionGroup):
        for number, member in enumerate(error.exceptions, start=1):
            member_text = safe_traceback(member, seen).replace("\n", "\n  | ")
            text += f"\n  +---------------- {number} ----------------\n  | {member_text}"
    return text
