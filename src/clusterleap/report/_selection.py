"""Which clusters get a profile: the reader's choice of the report's length.

A profile takes half a page to a page; a report of 90 clusters with every profile runs past a hundred pages. The
choice is one of: ``all``; ``domestic`` (benchmarks, which are references, left out); ``none``; ``top:N`` (the N
highest-ranked clusters); ``domestic:N`` (the N highest-ranked domestic clusters); or a list of unit codes (a
sequence, or one string with the codes separated by commas).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._result import Result
from ..errors import ReportError

__all__ = ["PROFILE_CHOICES", "select_profiles"]

PROFILE_CHOICES = "all, domestic, none, top:N, domestic:N or a list of unit codes"


def _count(spec: str, text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 1:
        raise ReportError(f"profiles {spec!r}: expected a whole number of clusters >= 1 after the colon (choices: "
                          f"{PROFILE_CHOICES})")
    return n


def select_profiles(result: Result, spec: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The unit codes whose profiles a report shows, in rank order, or None for every unit (``spec`` 'all' or
    None). Unknown codes and malformed choices are errors that say what was expected."""
    if spec is None or spec == "all":
        return None
    ranked = [str(u) for u in result.ranking().index]
    bench = np.zeros(len(result.units), dtype=bool) if result.data.benchmark is None else np.asarray(
        result.data.benchmark, dtype=bool)
    is_bench = dict(zip(result.units, bench.tolist(), strict=True))
    if isinstance(spec, str):
        head, _, tail = spec.partition(":")
        if spec == "none":
            return ()
        if spec == "domestic":
            return tuple(u for u in ranked if not is_bench[u])
        if head == "top" and tail:
            return tuple(ranked[:_count(spec, tail)])
        if head == "domestic" and tail:
            return tuple([u for u in ranked if not is_bench[u]][:_count(spec, tail)])
        codes = [c.strip() for c in spec.split(",") if c.strip()]
    else:
        codes = [str(c) for c in spec]
    unknown = [c for c in codes if c not in is_bench]
    if unknown or not codes:
        what = f"unit {unknown[0]!r} is not in the data" if unknown else "no unit codes given"
        raise ReportError(f"profiles {spec!r}: {what} (choices: {PROFILE_CHOICES})")
    wanted = set(codes)
    return tuple(u for u in ranked if u in wanted)
