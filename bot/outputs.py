"""Where a command writes its file (`stats --csv`, `report -o`, `export -o`): the path given, or
standard output for "-", as cat, tar -f - and curl -o - read it: the data alone on stdout, so a
pipe gets clean CSV or HTML, and whatever the command says about it on stderr. A file read
(`pair --csv`) takes "-" as standard input the same way."""

from __future__ import annotations

import sys
from pathlib import Path

STDOUT = "-"


def to_stdout(path: Path) -> bool:
    """Whether `path` is "-", standard output (./- is a file called "-")."""
    return str(path) == STDOUT


def write_output(path: Path, text: str) -> str | None:
    """Write `text` into the file at `path`, or to standard output for "-"; why it could not be
    written (one line), or None. A reader of stdout gone early raises BrokenPipeError, which
    `coachbot`'s main ends quietly."""
    if to_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        return f"cannot write {path}: {error.strerror}"
    return None


def source_name(path: Path) -> str:
    """How a file read is named in what the command says: "standard input" for "-"."""
    return "standard input" if to_stdout(path) else str(path)


def read_input(path: Path) -> str:
    """The UTF-8 text of the file at `path`, or of standard input for "-" (a spreadsheet's "CSV
    UTF-8" byte order mark dropped); ValueError with one line saying why it could not be read."""
    try:
        data = sys.stdin.buffer.read() if to_stdout(path) else path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {source_name(path)}: {error.strerror}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{source_name(path)} is not UTF-8 text") from error
