"""Small array helpers shared by the kernels (NaN-aware, sample axis first)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the RuntimeWarnings of NaN-aware reductions over all-NaN slices (they return NaN, as we want)."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def fit_rows(x: FloatArray, fit: BoolArray | None) -> FloatArray:
    """The rows (units) that statistics are computed from: all, or those where ``fit`` is true."""
    return x if fit is None else x[..., fit, :]


def sample_moments(x: FloatArray, axis: int = -2) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bias-corrected sample skewness and excess kurtosis along ``axis``, ignoring NaN, and the count n.

    Skewness ``n / ((n-1)(n-2)) * sum(((x - m) / s)^3)`` and kurtosis
    ``n(n+1) / ((n-1)(n-2)(n-3)) * sum(((x - m) / s)^4) - 3 (n-1)^2 / ((n-2)(n-3))`` with ``s`` the sample
    standard deviation: the formulas of spreadsheet SKEW and KURT (and of e1071 type 2, which COINr uses).
    NaN where n < 3 (skewness) or n < 4 (kurtosis), or when the values do not vary.
    """
    present = ~np.isnan(x)
    with quiet():
        n = present.sum(axis=axis).astype(float)
        filled = np.where(present, x, 0.0)
        m = filled.sum(axis=axis, keepdims=True) / np.expand_dims(n, axis)
        d = np.where(present, x - m, 0.0)
        d2 = d * d
        s2 = d2.sum(axis=axis) / (n - 1)
        z3 = (d2 * d).sum(axis=axis) / s2**1.5
        z4 = (d2 * d2).sum(axis=axis) / s2**2
        skew = n / ((n - 1) * (n - 2)) * z3
        kurt = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * z4 - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
    skew = np.where(n >= 3, skew, np.nan)
    kurt = np.where(n >= 4, kurt, np.nan)
    return skew, kurt, n


def rank_ascending(x: FloatArray, ties: str = "min", ref: FloatArray | None = None) -> FloatArray:
    """Ranks along axis -2 (units), 1 for the smallest value, NaN kept. Ties: 'min' (1, 2, 2, 4), 'max',
    'average' (1, 2.5, 2.5, 4), 'dense' (1, 2, 2, 3). With ``ref`` (same layout, NaN where a row does not count)
    each value is ranked against the values of ``ref`` instead of its own column."""
    if ref is not None:
        return _rank_against(x, ref, ties)
    # units on the last, contiguous axis: sorting and scattering back are then plain row operations
    a = np.ascontiguousarray(np.moveaxis(x, -2, -1))
    n = a.shape[-1]
    rows = a.reshape(-1, n)
    # rows a block at a time: the sort's index arrays and the tie bookkeeping stay bounded (a few MB) however
    # many units or samples; rows are ranked independently, so blocking changes no value
    step = max(1, RANK_BLOCK_CELLS // max(n, 1))
    if step >= rows.shape[0]:
        out = _rank_rows(rows, ties)
    else:
        out = np.empty(rows.shape)
        for i in range(0, rows.shape[0], step):
            out[i : i + step] = _rank_rows(rows[i : i + step], ties)
    return np.moveaxis(out.reshape(a.shape), -1, -2)


#: Values ranked per block (8 MB of float64).
RANK_BLOCK_CELLS = 1 << 20


def _rank_rows(a: FloatArray, ties: str) -> FloatArray:
    """Ranks along the last axis of the rows ``a`` ``(rows, n)``."""
    # Equal values get equal ranks whatever their order after sorting, so an unstable (faster) sort will do.
    order = np.argsort(a, axis=-1)
    s = np.sort(a, axis=-1)  # the values in that order (NaN last), faster than gathering them through ``order``
    n = a.shape[-1]
    pos = np.broadcast_to(np.arange(n, dtype=float), s.shape)
    new = np.ones(s.shape, dtype=bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    if new.all():  # no ties (NaN never equals anything): every rule gives the position
        r = np.broadcast_to(np.arange(1.0, n + 1.0), s.shape)
    elif ties == "dense":
        r = np.cumsum(new, axis=-1).astype(float)
    else:
        first = np.maximum.accumulate(np.where(new, pos, 0.0), axis=-1) + 1
        if ties == "min":
            r = first
        else:
            end = np.ones(s.shape, dtype=bool)
            end[..., :-1] = new[..., 1:]
            last = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, n - 1.0), -1), axis=-1), -1) + 1
            r = last if ties == "max" else (first + last) / 2
    missing = np.isnan(s)
    if missing.any():
        r = np.where(missing, np.nan, r)
    # scatter back: row i's value at sorted position j belongs at column order[i, j] (flat indices, one pass)
    out = np.empty(a.size)
    out[(order + (np.arange(a.shape[0]) * n)[:, None]).ravel()] = np.broadcast_to(r, a.shape).ravel()
    return out.reshape(a.shape)


def _rank_against(x: FloatArray, ref: FloatArray, ties: str) -> FloatArray:
    out = np.full(x.shape, np.nan)
    lead = x.shape[:-2]
    for idx in np.ndindex(*lead, x.shape[-1]):
        *s, i = idx
        col = x[(*s, slice(None), i)]
        r = ref[(*s, slice(None), i)]
        r = np.sort(r[~np.isnan(r)])
        if ties == "dense":
            res = np.searchsorted(np.unique(r), col, side="left") + 1.0
        else:
            below = np.searchsorted(r, col, side="left").astype(float)
            upto = np.maximum(np.searchsorted(r, col, side="right").astype(float), below + 1)
            res = below + 1 if ties == "min" else upto if ties == "max" else (below + 1 + upto) / 2
        out[(*s, slice(None), i)] = np.where(np.isnan(col), np.nan, res)
    return out
