"""CSV cells that spreadsheets read as data, never as formulas.

Exports hold what residents and organisers wrote (answers, names, option labels). A cell that
starts like a formula (= + - @, a tab or a carriage return) would be run by Excel or LibreOffice
when the file is opened, so it is written with a leading apostrophe.
"""

from __future__ import annotations

import re

Cell = str | int | float | None
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def csv_cell(value: Cell) -> str:
    """One CSV cell, quoted where needed, with anything a spreadsheet would run made text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    if value.startswith(FORMULA):
        value = "'" + value
    if _NEEDS_QUOTES.search(value) is None:
        return value
    return '"' + value.replace('"', '""') + '"'
