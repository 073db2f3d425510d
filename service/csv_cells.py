"""CSV for spreadsheets, written safely: every CSV the bot writes goes through `csv_text`.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or carriage
return) as a formula, so a member whose first name is `=HYPERLINK("http://evil","x")` would run
in the coordinator's spreadsheet (CSV injection). OWASP's advice: start such a text cell with a
single quote, which shows it as text. Numbers (and text that is just a number, such as "-3" or
"0.50") stay numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

#: The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def safe_cell(value: object) -> object:
    """The value as a spreadsheet should read it: a number unchanged, text that a spreadsheet
    would run as a formula prefixed with a single quote, None as an empty cell."""
    if isinstance(value, int | float):  # bool too: csv writes True/False, no formula
        return value
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """A header and one line per row, every cell made safe (`safe_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(column) for column in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(column)) for column in columns])
    return out.getvalue()
