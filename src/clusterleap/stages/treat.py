"""Treat outliers: keep a few extreme values from dominating an indicator's normalised scale.

Kernels return the treated values and a record of what happened to every point (a code per value, see ``CODES``)
and per indicator (skewness and kurtosis before and after, points changed, the rule that was applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from .._registry import Registry
from ._arrays import BoolArray, FloatArray, quiet, sample_moments

METHODS: Registry[TreatKernel] = Registry("treat", fixed=1)

#: What happened to each point.
CODES = {0: "", 1: "winsorised high", 2: "winsorised low", 3: "log-transformed", 4: "clipped high", 5: "clipped low"}


@dataclass(frozen=True)
class Treated:
    """Treated values ``(samples, units, indicators)``; ``points`` codes per value; per-indicator details
    ``(samples, indicators)``: skewness and kurtosis before and after, points changed, and ``rule`` (0 untouched,
    1 winsorised or clipped, 2 log fallback)."""

    x: FloatArray
    points: npt.NDArray[np.int8]
    skew_before: FloatArray
    kurt_before: FloatArray
    skew_after: FloatArray
    kurt_after: FloatArray
    changed: npt.NDArray[np.int64]
    rule: npt.NDArray[np.int8]


def _record(x0: FloatArray, x: FloatArray, points: npt.NDArray[np.int8], rule: npt.NDArray[np.int8],
            before: tuple[FloatArray, FloatArray] | None = None,
            after: tuple[FloatArray, FloatArray] | None = None) -> Treated:
    """The record of a treatment; moments already computed by the kernel are passed in, not computed again."""
    sb, kb = before if before is not None else sample_moments(x0)[:2]
    if after is not None:
        sa, ka = after
    else:
        sa, ka = (sb, kb) if not rule.any() else sample_moments(x)[:2]
    return Treated(x, points, sb, kb, sa, ka, (points > 0).sum(axis=-2).astype(np.int64), rule)


def _moments_of(v: FloatArray, which: BoolArray, skew: FloatArray, kurt: FloatArray) -> None:
    """Recompute, in place, the skewness and kurtosis ``(samples, indicators)`` where ``which`` is true.

    The columns concerned are laid out as contiguous rows ``(samples, columns, units)`` and reduced along them, and
    only the cells asked for are written: each value depends on its own column of its own sample only, never on
    which other columns or samples are recomputed with it (a batch of samples decides exactly as each alone)."""
    idx = np.flatnonzero(which.any(axis=0))
    if idx.size == 0:
        return
    rows = np.ascontiguousarray(np.moveaxis(v[..., idx], -2, -1))
    sk, ku, _ = sample_moments(rows, axis=-1)
    mask = which[..., idx]
    skew[..., idx] = np.where(mask, sk, skew[..., idx])
    kurt[..., idx] = np.where(mask, ku, kurt[..., idx])


def _fails(skew: FloatArray, kurt: FloatArray, skew_max: float, kurt_max: float) -> BoolArray:
    with np.errstate(invalid="ignore"):
        out: BoolArray = (np.abs(skew) >= skew_max) & (kurt >= kurt_max)
    return out


@METHODS.register("none", summary="no outlier treatment")
def none(x: FloatArray) -> Treated:
    shape = x.shape[:1] + x.shape[2:]
    return _record(x, x.copy(), np.zeros(x.shape, dtype=np.int8), np.zeros(shape, dtype=np.int8))


@METHODS.register(
    "skew_kurtosis", relative=True,
    summary="COINr's default: winsorise while |skewness| and kurtosis are too high, else log fallback",
    reference="COINr Treat() defaults (winsorise, check_SkewKurt, log_CT); OECD/JRC Handbook (2008), section 1.5",
    validate=lambda p: None if p["max_points"] >= 0 else "max_points must be >= 0",
)
def skew_kurtosis(
    x: FloatArray,
    *,
    skew_max: float = 2.0,
    kurt_max: float = 3.5,
    max_points: int = 5,
    fallback: Literal["log", "none"] = "log",
) -> Treated:
    """Per indicator: while ``|skew| >= skew_max`` and ``kurtosis >= kurt_max`` and fewer than ``max_points``
    points are winsorised, give the most extreme value on the skewed side (high if skew >= 0) the next value in
    (tied extremes move together and all count). If the rule still fails, use ``log(x - min + 0.01 (max - min))``
    of the untreated values instead (``fallback='log'``) or keep the winsorised values (``fallback='none'``).

    All indicators and samples are treated at once; each column follows exactly the one-column procedure. The
    moments are computed once for every column, then again only for the columns a step changed."""
    v = x.copy()
    present = ~np.isnan(x)
    shape = x.shape[:1] + x.shape[2:]
    hi = np.zeros(x.shape, dtype=bool)
    lo = np.zeros(x.shape, dtype=bool)
    # COINr counts the points of the latest high and the latest low winsorisation: both sets hold every point moved
    # so far on their side, because moved points are tied with the next value in.
    n_hi = np.zeros(shape, dtype=np.int64)
    n_lo = np.zeros(shape, dtype=np.int64)
    skew0, kurt0, _ = sample_moments(x)
    skew, kurt = skew0.copy(), kurt0.copy()
    first = _fails(skew, kurt, skew_max, kurt_max)
    failing = first.copy()
    stuck = np.zeros(shape, dtype=bool)
    with quiet():
        while True:
            active = failing & ~stuck & (n_hi + n_lo < max_points)
            if not active.any():
                break
            up = active & (skew >= 0)
            down = active & ~(skew >= 0)
            mx = np.nanmax(v, axis=-2, keepdims=True)
            mn = np.nanmin(v, axis=-2, keepdims=True)
            at_max = (v == mx) & up[:, None, :]
            at_min = (v == mn) & down[:, None, :]
            next_hi = np.nanmax(np.where(v == mx, np.nan, v), axis=-2, keepdims=True)
            next_lo = np.nanmin(np.where(v == mn, np.nan, v), axis=-2, keepdims=True)
            # a column whose values are all tied cannot be winsorised further
            stuck |= (up & np.isnan(next_hi[:, 0, :])) | (down & np.isnan(next_lo[:, 0, :]))
            at_max &= ~stuck[:, None, :]
            at_min &= ~stuck[:, None, :]
            v = np.where(at_max, next_hi, np.where(at_min, next_lo, v))
            hi |= at_max
            lo |= at_min
            n_hi = np.where(up & ~stuck, at_max.sum(axis=-2), n_hi)
            n_lo = np.where(down & ~stuck, at_min.sum(axis=-2), n_lo)
            _moments_of(v, active & ~stuck, skew, kurt)
            now_failing = _fails(skew, kurt, skew_max, kurt_max)
            failing = np.where(active & ~stuck, now_failing, failing)
    points = np.where(hi, 1, np.where(lo, 2, 0)).astype(np.int8)
    rule = np.where(first, 1, 0).astype(np.int8)
    if fallback == "log":
        logged = first & failing
        with quiet():
            mn0 = np.nanmin(x, axis=-2, keepdims=True)
            mx0 = np.nanmax(x, axis=-2, keepdims=True)
            log_x = np.log(x - mn0 + 0.01 * (mx0 - mn0))
        v = np.where(logged[:, None, :], log_x, v)
        points = np.where(logged[:, None, :] & present, 3, points).astype(np.int8)
        rule = np.where(logged, 2, rule).astype(np.int8)
        _moments_of(v, logged, skew, kurt)
    return _record(x, v, points, rule, (skew0, kurt0), (skew, kurt))


@METHODS.register(
    "winsorise", relative=True,
    summary="clip each indicator to its lower and upper quantiles",
    reference="OECD/JRC Handbook (2008), section 1.5 (winsorisation)",
    validate=lambda p: None if 0 <= p["lower"] < p["upper"] <= 1 else "needs 0 <= lower < upper <= 1",
)
def winsorise(x: FloatArray, *, lower: float = 0.05, upper: float = 0.95) -> Treated:
    """Values below the ``lower`` quantile become that quantile, above the ``upper`` quantile likewise
    (quantiles by linear interpolation, NaN ignored)."""
    with quiet():
        lo = np.nanquantile(x, lower, axis=-2, keepdims=True)
        hi = np.nanquantile(x, upper, axis=-2, keepdims=True)
    points = np.where(x > hi, 4, np.where(x < lo, 5, 0)).astype(np.int8)
    out = np.clip(x, lo, hi)
    rule: npt.NDArray[np.int8] = np.asarray((points > 0).any(axis=-2), dtype=np.int8)
    return _record(x, np.where(np.isnan(x), np.nan, out), points, rule)


# -- Box-Cox -------------------------------------------------------------------------------------------------------
#: Point code of a value that the Box-Cox transformation changed, and the per-indicator rule code of it.
BOXCOX_POINT, BOXCOX_RULE = 6, 3
CODES[BOXCOX_POINT] = "Box-Cox transformed"


def boxcox_shift(x: FloatArray) -> FloatArray:
    """The shift ``(samples, 1, indicators)`` added to each column before a Box-Cox transformation, which needs
    positive values: 0 where the column's minimum is positive, else ``-min + 0.01 (max - min)`` (the rule of the log
    fallback of ``skew_kurtosis``: the smallest value becomes 1 % of the range above 0, so the shift scales with the
    data)."""
    with quiet():
        mn = np.nanmin(x, axis=-2, keepdims=True)
        mx = np.nanmax(x, axis=-2, keepdims=True)
    return np.where(mn > 0, 0.0, 0.01 * (mx - mn) - mn)


def boxcox_transform(x: FloatArray, lmbda: FloatArray) -> FloatArray:
    """``(x^lambda - 1) / lambda``, ``log x`` where ``lambda = 0``; ``lmbda`` broadcasts against positive ``x``."""
    lam = np.asarray(lmbda, dtype=float)
    with quiet():
        power = (np.power(x, lam) - 1.0) / np.where(lam == 0, 1.0, lam)
        return np.where(lam == 0, np.log(x), power)


def boxcox_lambda(x: FloatArray, only: BoolArray | None = None) -> FloatArray:
    """Per column of positive ``x`` ``(samples, units, indicators)`` (NaN ignored), the lambda that maximises the
    Box-Cox profile log-likelihood, ``(samples, indicators)``, as ``scipy.stats.boxcox`` finds it; NaN for a column
    with fewer than 3 values or no spread (nothing to estimate), and for columns ``only`` ``(samples, indicators)``
    leaves out."""
    from scipy import stats  # heavy, and needed by this method only

    out = np.full((x.shape[0], x.shape[-1]), np.nan)
    for s in range(x.shape[0]):
        for i in range(x.shape[-1]):
            if only is not None and not only[s, i]:
                continue
            v = x[s, :, i]
            v = v[~np.isnan(v)]
            if v.size >= 3 and v.max() > v.min():
                out[s, i] = float(stats.boxcox_normmax(v, method="mle"))
    return out


@METHODS.register(
    "boxcox", relative=True,
    summary="Box-Cox power transformation per indicator, lambda by maximum likelihood (or fixed), shifted to "
            "positive values where needed",
    reference="Box & Cox (1964) JRSS B 26, 211-252; scipy.stats.boxcox; COINr boxcox; OECD/JRC Handbook (2008), "
              "section 1.5",
)
def boxcox(
    x: FloatArray,
    *,
    lmbda: float | None = None,
    when: Literal["always", "skewed"] = "always",
    skew_max: float = 2.0,
    kurt_max: float = 3.5,
) -> Treated:
    """``(x^lambda - 1) / lambda`` (``log x`` for lambda 0) of each indicator, after :func:`boxcox_shift` where
    its minimum is not positive. ``lmbda``: a fixed lambda for every indicator, or None (default) for each
    indicator's maximum-likelihood lambda (:func:`boxcox_lambda`, as ``scipy.stats.boxcox``). ``when``: transform
    every indicator (``always``) or only those failing the skewness-kurtosis rule of ``skew_kurtosis``
    (``|skew| >= skew_max`` and ``kurtosis >= kurt_max``; ``skewed``). An indicator with fewer than 3 values or no
    spread is left as it is. The record marks every value of a transformed indicator ``Box-Cox transformed`` and
    its rule 3."""
    shift = boxcox_shift(x)
    pos = x + shift
    if when == "skewed":
        skew, kurt, _ = sample_moments(x)
        wanted: BoolArray | None = _fails(skew, kurt, skew_max, kurt_max)
    else:
        wanted = None
    if lmbda is None:
        lam = boxcox_lambda(pos, wanted)
    else:
        _, _, n = sample_moments(x)
        with quiet():
            spread = np.nanmax(x, axis=-2) > np.nanmin(x, axis=-2)
        lam = np.where((n >= 3) & spread, float(lmbda), np.nan)
    use = ~np.isnan(lam) if wanted is None else ~np.isnan(lam) & wanted
    lam_b = np.where(use, lam, 1.0)[:, None, :]
    y = np.where(use[:, None, :], boxcox_transform(np.where(use[:, None, :], pos, 1.0), lam_b), x)
    y = np.where(np.isnan(x), np.nan, y)
    points = np.where(use[:, None, :] & ~np.isnan(x), BOXCOX_POINT, 0).astype(np.int8)
    rule = np.where(use, BOXCOX_RULE, 0).astype(np.int8)
    return _record(x, y, points, rule)


class TreatKernel(Protocol):
    """The signature of every treat method (the values with outliers treated, and which points were);
    keyword arguments are its parameters."""

    def __call__(self, x: FloatArray, /, **params: Any) -> Treated: ...
