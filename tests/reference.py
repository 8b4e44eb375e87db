"""Independent one-column reference implementations used by several tests."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats


def fails(v: np.ndarray) -> bool:
    """COINr's check_SkewKurt failing: |sample skewness| >= 2 and sample excess kurtosis >= 3.5."""
    v = v[~np.isnan(v)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # near-constant columns: scipy warns, the answer stands
        return bool(abs(stats.skew(v, bias=False)) >= 2 and stats.kurtosis(v, bias=False) >= 3.5)


def coinr_treat(x: np.ndarray) -> np.ndarray:
    """COINr's Treat() defaults, written out: winsorise one point at a time on the skewed side (ties together),
    at most 5 points, else log(x - min + 0.01 (max - min)) of the untreated values."""
    if not fails(x):
        return x
    v = x.copy()
    imax = imin = np.array([], dtype=int)
    while fails(v) and len(imax) + len(imin) < 5:
        if stats.skew(v[~np.isnan(v)], bias=False) >= 0:
            imax = np.flatnonzero(v == np.nanmax(v))
            v[imax] = np.nanmax(np.delete(v, imax))
        else:
            imin = np.flatnonzero(v == np.nanmin(v))
            v[imin] = np.nanmin(np.delete(v, imin))
    if fails(v):
        return np.log(x - np.nanmin(x) + 0.01 * (np.nanmax(x) - np.nanmin(x)))
    return v
