"""Treat outliers: keep a few extreme values from dominating an indicator's normalised scale.

Kernels return the treated values and a record of what happened to every point (a code per value, see ``CODES``)
and per indicator (skewness and kurtosis before and after, points changed, the rule that was applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..registry import Registry
from ._arrays import FloatArray, quiet, sample_moments

METHODS = Registry("treat", fixed=1)

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


def _record(x0: FloatArray, x: FloatArray, points: npt.NDArray[np.int8], rule: npt.NDArray[np.int8]) -> Treated:
    sb, kb, _ = sample_moments(x0)
    sa, ka, _ = sample_moments(x)
    return Treated(x, points, sb, kb, sa, ka, (points > 0).sum(axis=-2).astype(np.int64), rule)


@METHODS.register("none", summary="no outlier treatment")
def none(x: FloatArray) -> Treated:
    shape = x.shape[:1] + x.shape[2:]
    return _record(x, x.copy(), np.zeros(x.shape, dtype=np.int8), np.zeros(shape, dtype=np.int8))


def _fails(v: FloatArray, skew_max: float, kurt_max: float) -> bool:
    s, k, _ = sample_moments(v[:, None], axis=0)
    # COINr's check_SkewKurt passes when |skew| < threshold OR kurtosis < threshold, so it fails at >= both.
    return bool(abs(s[0]) >= skew_max and k[0] >= kurt_max)


@METHODS.register(
    "skew_kurtosis",
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
    of the untreated values instead (``fallback='log'``) or keep the winsorised values (``fallback='none'``)."""
    out = x.copy()
    points = np.zeros(x.shape, dtype=np.int8)
    rule = np.zeros(x.shape[:1] + x.shape[2:], dtype=np.int8)
    for s in range(x.shape[0]):
        for i in range(x.shape[2]):
            col = x[s, :, i]
            ok = ~np.isnan(col)
            v = col[ok].copy()
            if v.size < 4 or not _fails(v, skew_max, kurt_max):
                continue
            hi = np.zeros(v.size, dtype=bool)
            lo = np.zeros(v.size, dtype=bool)
            last_hi = last_lo = np.zeros(v.size, dtype=bool)
            failing = True
            while failing and last_hi.sum() + last_lo.sum() < max_points:
                skew = sample_moments(v[:, None], axis=0)[0][0]
                if skew >= 0:
                    last_hi = v == v.max()
                    if last_hi.all():
                        break
                    v[last_hi] = v[~last_hi].max()
                    hi |= last_hi
                else:
                    last_lo = v == v.min()
                    if last_lo.all():
                        break
                    v[last_lo] = v[~last_lo].min()
                    lo |= last_lo
                failing = _fails(v, skew_max, kurt_max)
            col_points = np.zeros(v.size, dtype=np.int8)
            col_points[hi] = 1
            col_points[lo] = 2
            if failing and fallback == "log":
                raw = col[ok]
                v = np.log(raw - raw.min() + 0.01 * (raw.max() - raw.min()))
                col_points[:] = 3
                rule[s, i] = 2
            else:
                rule[s, i] = 1
            out[s, ok, i] = v
            points[s, ok, i] = col_points
    return _record(x, out, points, rule)


@METHODS.register(
    "winsorise",
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
