"""Normalise: bring indicators onto a common scale where higher is better.

The indicator's direction is applied first (values, goalposts and targets are multiplied by -1 for indicators where
lower is better), so every kernel sees "higher is better". Statistics (min, max, mean, sd) come from the recipe's
scoring basis when it is comparable (``ctx.bounds``, ``ctx.moments``: fixed goalposts or a frozen reference), else
from the rows in ``ctx.fit`` (all units by default; one reference year or all years pooled when monitoring panels).

Edge cases, the same for every method: an indicator with no spread (min = max) scores the middle of the scale with
``minmax`` and ``zscore`` (no unit is better than another) and the top of the scale with ``frontier`` and
``proportion`` (every unit is at the frontier); a missing value stays missing. ``target`` needs a target above the
lowest value and ``reference`` a reference unit above it; the pipeline checks both before the kernels run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from .._registry import Registry
from ._arrays import BoolArray, FloatArray, fit_rows, quiet, rank_ascending

METHODS: Registry[NormaliseKernel] = Registry("normalise", fixed=2)


@dataclass(frozen=True)
class NormContext:
    """Per-indicator inputs, already oriented so that higher is better; arrays are ``(samples or 1, indicators)``.

    ``lo``/``hi``/``cap``: goalposts (NaN where the framework gives none); ``target``: world-class targets (NaN where
    none); ``fit``: rows that statistics come from; ``units``: unit codes (for a reference unit); ``bounds`` (min,
    max), ``moments`` (mean, sd) and ``clip``: the scoring basis's statistics, which replace the fit rows' when
    given (see :class:`clusterleap._recipe.Basis`)."""

    lo: FloatArray
    hi: FloatArray
    cap: BoolArray
    target: FloatArray
    fit: BoolArray | None
    units: tuple[str, ...]
    bounds: tuple[FloatArray, FloatArray] | None = None
    moments: tuple[FloatArray, FloatArray] | None = None
    clip: BoolArray | None = None

    def columns(self, idx: npt.NDArray[np.intp]) -> NormContext:
        """The context of a subset of the indicators."""
        def pick(pair: tuple[FloatArray, FloatArray] | None) -> tuple[FloatArray, FloatArray] | None:
            return None if pair is None else (pair[0][:, idx], pair[1][:, idx])

        return NormContext(self.lo[:, idx], self.hi[:, idx], self.cap[:, idx], self.target[:, idx], self.fit,
                           self.units, pick(self.bounds), pick(self.moments),
                           None if self.clip is None else self.clip[:, idx])


def _b(a: FloatArray) -> FloatArray:
    """``(S, I)`` -> ``(S, 1, I)`` to broadcast over units."""
    return a[..., None, :]


def _minmax_stats(x: FloatArray, ctx: NormContext) -> tuple[FloatArray, FloatArray]:
    """Each indicator's (min, max): the basis's bounds, else those of the fit rows; ``(S, 1, I)``."""
    if ctx.bounds is not None:
        return _b(ctx.bounds[0]), _b(ctx.bounds[1])
    with quiet():
        ref = fit_rows(x, ctx.fit)
        return np.nanmin(ref, axis=-2, keepdims=True), np.nanmax(ref, axis=-2, keepdims=True)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


@METHODS.register("minmax", summary="linear rescaling of each indicator's observed range onto [lo, hi]",
                  reference="OECD/JRC Handbook (2008), section 1.6; COINr n_minmax",
                  validate=lambda p: None if p["lo"] < p["hi"] else "needs lo < hi")
def minmax(x: FloatArray, ctx: NormContext, *, lo: float = 0.0, hi: float = 100.0) -> FloatArray:
    """``(x - min) / (max - min) * (hi - lo) + lo``. An indicator with no spread gets ``(lo + hi) / 2``."""
    mn, mx = _minmax_stats(x, ctx)
    # one buffer, worked in place (the same operations in the same order as the formula: the same bits)
    y = np.subtract(x, mn)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(y, mx - mn, out=y)
    np.multiply(y, hi - lo, out=y)
    np.add(y, lo, out=y)
    flat = mx == mn
    if flat.any():
        np.copyto(y, (lo + hi) / 2, where=flat & ~np.isnan(x))
    return y


@METHODS.register("zscore", summary="standardise to a target mean and standard deviation",
                  reference="OECD/JRC Handbook (2008), section 1.6; COINr n_zscore",
                  validate=lambda p: None if p["sd"] > 0 else "needs sd > 0")
def zscore(x: FloatArray, ctx: NormContext, *, mean: float = 0.0, sd: float = 1.0) -> FloatArray:
    """``(x - mean(x)) / sd(x) * sd + mean``, with the sample standard deviation (n - 1). No spread -> ``mean``."""
    if ctx.moments is not None:
        m, s = _b(ctx.moments[0]), _b(ctx.moments[1])
    else:
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


@METHODS.register("rank", relative=True,
                  summary="rank among units, higher value = higher rank",
                  reference="OECD/JRC Handbook (2008), section 1.6; COINr n_rank")
def rank(x: FloatArray, ctx: NormContext, *, ties: Literal["min", "average", "max", "dense"] = "min") -> FloatArray:
    return rank_ascending(x, ties, None if ctx.fit is None else np.where(ctx.fit[:, None], x, np.nan))


@METHODS.register("percentile", relative=True,
                  summary="percentile rank, (rank - 1) / (n - 1) * scale",
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
    """``(1 - (t - x) / (t - min)) * scale`` with ``t`` the indicator's target (above ``min``, which the pipeline
    checks); at or beyond the target scores ``scale`` when ``cap``."""
    mn, _ = _minmax_stats(x, ctx)
    t = _b(ctx.target)
    y = 1 - _ratio(t - x, t - mn)
    return (np.minimum(y, 1.0) if cap else y) * scale


@METHODS.register("frontier", summary="distance to the best unit, 1 - (max - x) / (max - min)",
                  reference="COINr n_dist2max")
def frontier(x: FloatArray, ctx: NormContext, *, scale: float = 100.0) -> FloatArray:
    """An indicator with no spread puts every unit at the frontier: ``scale``."""
    mn, mx = _minmax_stats(x, ctx)
    y = (1 - _ratio(mx - x, mx - mn)) * scale
    return np.where((mx == mn) & ~np.isnan(x), scale, y)


@METHODS.register("reference", relative=True,
                  summary="distance to a reference unit, 1 - (x_ref - x) / (x_ref - min)",
                  reference="COINr n_dist2ref")
def reference(x: FloatArray, ctx: NormContext, *, unit: str, scale: float = 100.0, cap: bool = False) -> FloatArray:
    """The reference unit's value must be above the lowest value (the pipeline checks it)."""
    mn, _ = _minmax_stats(x, ctx)
    ref = x[..., ctx.units.index(unit) : ctx.units.index(unit) + 1, :]
    y = 1 - _ratio(ref - x, ref - mn)
    return (np.minimum(y, 1.0) if cap else y) * scale


@METHODS.register("proportion", summary="proportion of the best value: x / max (higher is better) or min / x "
                  "(lower is better)", reference="COINr n_fracmax; OECD/JRC Handbook (2008), section 1.6")
def proportion(x: FloatArray, ctx: NormContext, *, scale: float = 100.0) -> FloatArray:
    """On oriented values: ``x / max`` where they are non-negative (higher is better) and ``max / x`` where they
    are non-positive (lower is better: ``min(b) / b`` on the original values ``b``), so the best unit scores
    ``scale`` and the order is kept either way. Values of mixed sign are refused by the pipeline."""
    _, mx = _minmax_stats(x, ctx)
    lower_better = mx < 0
    y = np.where(lower_better, _ratio(mx, x), _ratio(x, mx))
    return np.where((mx == 0) & (x == 0), 1.0, y) * scale


class NormaliseKernel(Protocol):
    """The signature of every normalise method (the values on a common scale); keyword arguments are its parameters."""

    def __call__(self, x: FloatArray, ctx: NormContext, /, **params: Any) -> FloatArray: ...
