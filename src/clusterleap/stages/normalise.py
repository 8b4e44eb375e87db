"""Normalise: bring indicators onto a common scale where higher is better.

The indicator's direction is applied first (values, goalposts and targets are multiplied by -1 for indicators where
lower is better), so every kernel sees "higher is better". Statistics (min, max, mean, sd, ranks) come from the rows
in ``ctx.fit`` (all units by default; one reference year or all years pooled when monitoring panels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..registry import Registry
from ._arrays import BoolArray, FloatArray, fit_rows, quiet, rank_ascending

METHODS = Registry("normalise", fixed=2)


@dataclass(frozen=True)
class NormContext:
    """Per-indicator inputs, already oriented so that higher is better; arrays are ``(samples or 1, indicators)``.

    ``lo``/``hi``/``cap``: goalposts (NaN where the framework gives none); ``target``: world-class targets (NaN where
    none); ``fit``: rows that statistics come from; ``units``: unit codes (for a reference unit)."""

    lo: FloatArray
    hi: FloatArray
    cap: BoolArray
    target: FloatArray
    fit: BoolArray | None
    units: tuple[str, ...]


def _b(a: FloatArray) -> FloatArray:
    """``(S, I)`` -> ``(S, 1, I)`` to broadcast over units."""
    return a[..., None, :]


def _minmax_stats(x: FloatArray, fit: BoolArray | None) -> tuple[FloatArray, FloatArray]:
    with quiet():
        ref = fit_rows(x, fit)
        return np.nanmin(ref, axis=-2, keepdims=True), np.nanmax(ref, axis=-2, keepdims=True)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


@METHODS.register("minmax", summary="linear rescaling of each indicator's observed range onto [lo, hi]",
                  reference="OECD/JRC Handbook (2008), section 1.6; COINr n_minmax",
                  validate=lambda p: None if p["lo"] < p["hi"] else "needs lo < hi")
def minmax(x: FloatArray, ctx: NormContext, *, lo: float = 0.0, hi: float = 100.0) -> FloatArray:
    """``(x - min) / (max - min) * (hi - lo) + lo``. An indicator with no spread gets ``(lo + hi) / 2``."""
    mn, mx = _minmax_stats(x, ctx.fit)
    y = _ratio(x - mn, mx - mn) * (hi - lo) + lo
    return np.where((mx == mn) & ~np.isnan(x), (lo + hi) / 2, y)


@METHODS.register("zscore", summary="standardise to a target mean and standard deviation",
                  reference="OECD/JRC Handbook (2008), section 1.6; COINr n_zscore",
                  validate=lambda p: None if p["sd"] > 0 else "needs sd > 0")
def zscore(x: FloatArray, ctx: NormContext, *, mean: float = 0.0, sd: float = 1.0) -> FloatArray:
    """``(x - mean(x)) / sd(x) * sd + mean``, with the sample standard deviation (n - 1). No spread -> ``mean``."""
    with quiet():
        ref = fit_rows(x, ctx.fit)
        m = np.nanmean(ref, axis=-2, keepdims=True)
        s = np.nanstd(ref, axis=-2, ddof=1, keepdims=True)
    y = _ratio(x - m, s) * sd + mean
    return np.where((s == 0) & ~np.isnan(x), mean, y)


@METHODS.register("goalposts", summary="distance between the framework's fixed goalposts, optionally capped",
                  reference="UNDP HDR technical note 1 (dimension indices); COINr n_goalposts")
def goalposts(x: FloatArray, ctx: NormContext, *, scale: float = 100.0, cap: bool | None = None) -> FloatArray:
    """``(x - lo) / (hi - lo) * scale`` with each indicator's goalposts; values beyond them are clamped to
    ``[0, scale]`` where the goalposts say ``cap`` (or everywhere / nowhere if ``cap`` is given)."""
    y = _ratio(x - _b(ctx.lo), _b(ctx.hi) - _b(ctx.lo))
    capped = ctx.cap[..., None, :] if cap is None else np.asarray(cap)
    return np.where(capped, np.clip(y, 0.0, 1.0), y) * scale


@METHODS.register("rank", summary="rank among units, higher value = higher rank",
                  reference="OECD/JRC Handbook (2008), section 1.6; COINr n_rank")
def rank(x: FloatArray, ctx: NormContext, *, ties: Literal["min", "average", "max", "dense"] = "min") -> FloatArray:
    return rank_ascending(x, ties, None if ctx.fit is None else np.where(ctx.fit[:, None], x, np.nan))


@METHODS.register("percentile", summary="percentile rank, (rank - 1) / (n - 1) * scale",
                  reference="OECD/JRC Handbook (2008), section 1.6; COINr n_prank")
def percentile(
    x: FloatArray, ctx: NormContext, *, ties: Literal["min", "average", "max"] = "min", scale: float = 100.0
) -> FloatArray:
    ref = x if ctx.fit is None else np.where(ctx.fit[:, None], x, np.nan)
    n = np.sum(~np.isnan(ref), axis=-2, keepdims=True)
    return _ratio(rank_ascending(x, ties, ref) - 1, n - 1.0) * scale


@METHODS.register("target", summary="distance to the framework's world-class target, 1 - (t - x) / (t - min)",
                  reference="OECD/JRC Handbook (2008), section 1.6 (distance to a target); COINr n_dist2targ")
def target(x: FloatArray, ctx: NormContext, *, scale: float = 100.0, cap: bool = True) -> FloatArray:
    """``(1 - (t - x) / (t - min)) * scale`` with ``t`` the indicator's target; at or beyond the target scores
    ``scale`` when ``cap``."""
    mn, _ = _minmax_stats(x, ctx.fit)
    t = _b(ctx.target)
    y = 1 - _ratio(t - x, t - mn)
    return (np.minimum(y, 1.0) if cap else y) * scale


@METHODS.register("frontier", summary="distance to the best unit, 1 - (max - x) / (max - min)",
                  reference="COINr n_dist2max")
def frontier(x: FloatArray, ctx: NormContext, *, scale: float = 100.0) -> FloatArray:
    mn, mx = _minmax_stats(x, ctx.fit)
    return (1 - _ratio(mx - x, mx - mn)) * scale


@METHODS.register("reference", summary="distance to a reference unit, 1 - (x_ref - x) / (x_ref - min)",
                  reference="COINr n_dist2ref")
def reference(x: FloatArray, ctx: NormContext, *, unit: str, scale: float = 100.0, cap: bool = False) -> FloatArray:
    mn, _ = _minmax_stats(x, ctx.fit)
    ref = x[..., ctx.units.index(unit) : ctx.units.index(unit) + 1, :]
    y = 1 - _ratio(ref - x, ref - mn)
    return (np.minimum(y, 1.0) if cap else y) * scale


@METHODS.register("proportion", summary="proportion of the maximum, x / max",
                  reference="COINr n_fracmax")
def proportion(x: FloatArray, ctx: NormContext, *, scale: float = 100.0) -> FloatArray:
    _, mx = _minmax_stats(x, ctx.fit)
    return _ratio(x, mx) * scale
