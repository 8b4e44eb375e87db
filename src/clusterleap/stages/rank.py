"""Rank: order units by score, best first."""

from __future__ import annotations

from typing import Any, Literal, Protocol

import numpy as np

from .._registry import Registry
from ._arrays import FloatArray, rank_ascending

METHODS: Registry[RankKernel] = Registry("rank", fixed=1)


@METHODS.register("descending", summary="rank 1 = highest score; ties min, average or dense; optional rounding",
                  reference="UNDP HDR technical note 1 (ranks of the rounded HDI); COINr rank(-x, ties = 'min')",
                  validate=lambda p: None if p["decimals"] is None or p["decimals"] >= 0 else "decimals must be >= 0")
def descending(
    x: FloatArray, *, ties: Literal["min", "average", "dense"] = "min", decimals: int | None = None
) -> FloatArray:
    """Ranks along axis -2 (units) of ``x`` ``(samples, units, nodes)``; scores are first rounded to ``decimals``
    (half to even, as published indices are) when given. Missing scores get no rank (NaN)."""
    if decimals is not None:
        x = np.round(x, decimals)
    return rank_ascending(x, ties, descending=True)


class RankKernel(Protocol):
    """The signature of every rank method (the ranks of the scores); keyword arguments are its parameters."""

    def __call__(self, scores: FloatArray, /, **params: Any) -> FloatArray: ...
