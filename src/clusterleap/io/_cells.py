"""What a data cell holds and which column is which: numbers, missing-value markers, yes/no flags, unit and
year columns by their usual names, and a cell as a message shows it.

Missing-value markers (case-insensitive, surrounding spaces ignored): an empty cell, ``NA``, ``N/A``, ``NaN``,
``null``, ``None``, ``#N/A``, ``-``, ``--``, ``..``, ``...`` and ``.``. Any other cell in a numeric column must be a
plain decimal number with ``.`` as decimal separator (``1e3`` is fine); ``12,5%`` or ``1,234`` are errors, never
silently coerced.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "BENCHMARK_COLUMNS",
    "ILLUSTRATIVE_COLUMN",
    "INDICATOR_COLUMNS",
    "MISSING_MARKERS",
    "NAME_COLUMNS",
    "NO",
    "UNIT_COLUMNS",
    "VALUE_COLUMNS",
    "YEAR_COLUMNS",
    "YES",
    "cell_text",
    "find_column",
    "parse_cell",
    "show_cell",
]

MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "-", "--", "..", "...", "."})
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INF = re.compile(r"^[+-]?(inf|infinity)$", re.IGNORECASE)

UNIT_COLUMNS = ("unit", "uCode", "unit_code", "code")
NAME_COLUMNS = ("name", "uName", "unit_name")
YEAR_COLUMNS = ("year", "Time")
BENCHMARK_COLUMNS = ("benchmark",)
#: A yes/no column marking generated, illustrative data: results made from it say so.
ILLUSTRATIVE_COLUMN = "illustrative"
INDICATOR_COLUMNS = ("indicator", "iCode", "variable")
VALUE_COLUMNS = ("value", "Value")
#: The words of a yes/no column (benchmark, illustrative), lower case.
YES = frozenset({"1", "true", "yes", "y", "t", "1.0", "是"})
NO = frozenset({"0", "false", "no", "n", "f", "0.0", "", "否"})


def parse_cell(cell: Any) -> float | None:
    """A cell's number, NaN for a missing marker, or None if it is not a number."""
    if cell is None:
        return math.nan
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float | np.integer | np.floating):
        return float(cell)
    text = str(cell).strip()
    if text.lower() in MISSING_MARKERS:
        return math.nan
    if _NUMBER.match(text):
        return float(text)
    if _INF.match(text):
        return math.inf if not text.startswith("-") else -math.inf
    return None


def find_column(columns: Sequence[str], options: Sequence[str]) -> str | None:
    """The first of ``options`` among ``columns``, matched without regard to case, as the column is spelt."""
    lower = {c.lower(): c for c in columns}
    for opt in options:
        if opt.lower() in lower:
            return lower[opt.lower()]
    return None


def show_cell(v: Any) -> str:
    """A cell as a message shows it: dates as dates, text quoted, never a Python repr of an object."""
    if isinstance(v, dt.datetime | dt.date):
        return f"a date ({v.isoformat()[:10]})"
    if isinstance(v, float) and v.is_integer():
        return repr(int(v)) if abs(v) < 1e15 else repr(v)
    if isinstance(v, str | int | float | bool):
        return repr(v)
    return repr(str(v))


def cell_text(v: Any) -> str | None:
    """A cell as a code or label: stripped text, whole floats without '.0' (Excel's 2021.0), None when empty."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    return s or None

