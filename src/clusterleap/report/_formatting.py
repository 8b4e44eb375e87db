"""Numbers as a report writes them: decimals, ranks, signed changes, rank intervals; '–' for anything missing.

Shared by the view and the writers (HTML, Excel) of the report package.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["fmt", "fmt_rank", "fmt_signed", "interval", "num"]


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
    return "–" if math.isnan(x) else f"{x:.{digits}f}"


def fmt_rank(v: Any) -> str:
    x = num(v)
    return "–" if math.isnan(x) else f"{x:g}"


def fmt_signed(v: Any, digits: int = 1) -> str:
    """A number with its sign (+1.5, −2.0); '–' when missing."""
    x = num(v)
    return "–" if math.isnan(x) else f"{x:+.{digits}f}".replace("-", "−")


def interval(lo: float, hi: float) -> str:
    """A rank interval widened to whole ranks (floor of the lower, ceiling of the upper quantile), so that it
    covers at least the stated share of the samples."""
    if math.isnan(lo) or math.isnan(hi):
        return ""
    return f"{math.floor(lo + 1e-9)}–{math.ceil(hi - 1e-9)}"
