"""Spreadsheet formula injection (OWASP, "CSV Injection"): text a spreadsheet would run as a formula gets a
leading apostrophe in CSV and Excel's quote prefix in xlsx; numbers are never changed."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_START", "neutralise", "neutralise_workbook", "quote_cell"]

#: First characters that make a spreadsheet treat typed text as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBERLIKE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$|^[+-]?(inf|infinity|nan)$", re.IGNORECASE)


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula (it starts with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return and is not a plain number such as ``-1.5``); else unchanged."""
    if text.startswith(FORMULA_START) and not _NUMBERLIKE.match(text):
        return "'" + text
    return text


def quote_cell(cell: Any) -> Any:
    """An openpyxl cell whose text a spreadsheet would run as a formula made a plain string cell with Excel's
    quote prefix (the text itself is kept, and stays text when a user edits the cell); other cells unchanged."""
    value = cell.value
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def neutralise_workbook(book: Any) -> None:
    """Apply :func:`quote_cell` to every cell of an openpyxl workbook (before it is saved)."""
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                quote_cell(cell)
