"""Numbers as a report writes them: decimals, ranks, signed changes, rank intervals; '–' for anything missing.

Negative numbers carry the true minus sign (U+2212 "−", the typographic convention in both English and Chinese,
as wide as "+"), never the hyphen, and a value that rounds to zero carries no sign ("0.0", not "−0.0"). Shared by
the view and the writers (HTML, Excel) of the report package.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

__all__ = ["MINUS", "fmt", "fmt_rank", "fmt_signed", "interval", "minus_signs", "num"]

MINUS = "\u2212"
#: A hyphen that is a minus: before a digit, and not after a letter, digit or dot (so "E-019" and "2019-2024" stay).
_HYPHEN_MINUS = re.compile(r"(?<![\w.])-(?=\.?\d)")


def minus_signs(text: str) -> str:
    """``text`` with every negative number's hyphen made a true minus ("z -0.05" becomes "z −0.05"); codes and
    ranges written with hyphens are left as they are."""
    return _HYPHEN_MINUS.sub(MINUS, text)


def _signed(text: str) -> str:
    """A formatted number with a true minus, and no sign at all when it rounds to zero."""
    if not any(ch in "123456789" for ch in text):
        return text.lstrip("+-")
    return text.replace("-", MINUS)


def num(v: Any) -> float:
    """A float, NaN for anything missing or not numeric."""
    if v is None or v is pd.NA:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def fmt(v: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals; '–' when missing."""
    x = num(v)
    return "–" if math.isnan(x) else _signed(f"{x:.{digits}f}")


def fmt_rank(v: Any) -> str:
    x = num(v)
    return "–" if math.isnan(x) else _signed(f"{x:g}")


def fmt_signed(v: Any, digits: int = 1) -> str:
    """A number with its sign (+1.5, −2.0; 0.0 when it rounds to zero); '–' when missing."""
    x = num(v)
    return "–" if math.isnan(x) else _signed(f"{x:+.{digits}f}")


def interval(lo: float, hi: float) -> str:
    """A rank interval widened to whole ranks (floor of the lower, ceiling of the upper quantile), so that it
    covers at least the stated share of the samples."""
    if math.isnan(lo) or math.isnan(hi):
        return ""
    return f"{math.floor(lo + 1e-9)}–{math.ceil(hi - 1e-9)}"
