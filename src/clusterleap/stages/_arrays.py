"""Small array helpers shared by the kernels (NaN-aware, sample axis first)."""

from __future__ import annotations

import itertools
import os
import sys
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


#: The RuntimeWarnings numpy gives for NaN-aware reductions over empty or all-NaN slices, which return NaN as the
#: kernels want; other RuntimeWarnings (an overflow, say) are not silenced.
EMPTY_SLICE_WARNINGS = ("Mean of empty slice", "All-NaN slice encountered", "All-NaN axis encountered",
                        "Degrees of freedom <= 0 for slice", "invalid value encountered", "divide by zero encountered")


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the RuntimeWarnings of NaN-aware reductions over all-NaN slices and of 0 / 0 (they give NaN, as we
    want), and those only."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        for message in EMPTY_SLICE_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=RuntimeWarning)
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

    Along the units axis of ``(samples, units, columns)`` with many columns, the work goes a block of columns at a
    time (a contiguous copy of each): the temporaries stay small however many units there are.
    """
    if axis in (-2, x.ndim - 2) and x.ndim == 3 and x.shape[-2] * x.shape[-1] > MOMENT_BLOCK_CELLS:
        step = max(MOMENT_BLOCK, MOMENT_BLOCK_CELLS // x.shape[-2])
        if step < x.shape[-1]:
            starts = list(range(0, x.shape[-1], step))
            if x.shape[-1] - starts[-1] == 1:
                starts.pop()  # a lone last column would be summed pairwise (a contiguous reduction), not in order
            ends = [*starts[1:], x.shape[-1]]
            parts = [_moments(np.ascontiguousarray(x[..., a:b]), -2) for a, b in zip(starts, ends, strict=True)]
            sk, ku, n = (np.concatenate([p[i] for p in parts], axis=-1) for i in range(3))
            return sk, ku, n
    return _moments(x, axis)


#: The table size (cells) from which :func:`sample_moments` works a block of columns at a time, and the fewest
#: columns per block (each block is reduced over units as the whole table would be). 24 MB, and 32 MB for the
#: fewest columns of a million units: under glibc's 32 MiB threshold, so that each block's temporaries reuse the
#: heap's pages instead of fresh ones the kernel must fault in and zero.
MOMENT_BLOCK_CELLS = 3 << 20
MOMENT_BLOCK = 4


def _moments(x: FloatArray, axis: int) -> tuple[FloatArray, FloatArray, FloatArray]:
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


def rank_ascending(x: FloatArray, ties: str = "min", ref: FloatArray | None = None, *,
                   descending: bool = False) -> FloatArray:
    """Ranks along axis -2 (units), 1 for the smallest value, NaN kept. Ties: 'min' (1, 2, 2, 4), 'max',
    'average' (1, 2.5, 2.5, 4), 'dense' (1, 2, 2, 3). With ``ref`` (same layout, NaN where a row does not count)
    each value is ranked against the values of ``ref`` instead of its own column. ``descending``: rank ``-x``
    (1 for the largest value) without making ``-x``.

    Work goes a block at a time (about 8 MB): the transposed copy, the sort's index arrays and the tie bookkeeping
    stay bounded however many units or samples; every column is ranked on its own, so blocking changes no value.
    Columns of :data:`LONG_COLUMN` units or more are sorted cache-aware (:func:`argsort_long`) and, when
    :func:`rank_threads` allows more than one thread, several columns at a time."""
    if ref is not None:
        return _rank_against(-x if descending else x, ref, ties)
    lead, (u, k) = x.shape[:-2], x.shape[-2:]
    x3 = x.reshape(-1, u, k)
    out = np.empty(x3.shape)
    per = u * k
    if per <= RANK_BLOCK_CELLS:  # whole (units, columns) tables, several samples per block
        step = max(1, RANK_BLOCK_CELLS // max(per, 1))
        for i in range(0, x3.shape[0], step):
            a = _transposed(x3[i : i + step], descending)
            out[i : i + step] = np.moveaxis(_rank_rows(a.reshape(-1, u), ties).reshape(a.shape), -1, -2)
    else:  # long columns: a few columns of one sample per block, in threads where allowed
        cols = max(1, LONG_BLOCK_CELLS // u) if u >= LONG_COLUMN else max(1, RANK_BLOCK_CELLS // max(u, 1))
        blocks = [(i, j) for i in range(x3.shape[0]) for j in range(0, k, cols)]

        def rank_block(block: tuple[int, int]) -> None:
            i, j = block
            if u >= LONG_COLUMN:
                _rank_long(x3[i, :, j : j + cols], out[i, :, j : j + cols], ties, descending)
                return
            a = _transposed(x3[i : i + 1, :, j : j + cols], descending)
            out[i : i + 1, :, j : j + cols] = np.moveaxis(_rank_rows(a.reshape(-1, u), ties).reshape(a.shape),
                                                          -1, -2)

        threads = min(_RANK_THREADS.get(), len(blocks)) if u >= LONG_COLUMN else 1
        if threads > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(rank_block, blocks))
        else:
            for block in blocks:
                rank_block(block)
    return out.reshape(*lead, u, k)


#: Values ranked per block (8 MB of float64).
RANK_BLOCK_CELLS = 1 << 20
#: Columns this long (units) or longer are sorted by :func:`argsort_long`, in threads where allowed, as many
#: columns per block as :data:`LONG_BLOCK_CELLS` values (16 MB: under glibc's 32 MiB threshold, so that the block's
#: transposed copy reuses the heap's pages instead of fresh ones, and several values of each unit's row are read).
LONG_COLUMN = 1 << 17
LONG_BLOCK_CELLS = 1 << 21

_RANK_THREADS: ContextVar[int] = ContextVar("rank_threads", default=1)


@contextmanager
def rank_threads(n: int | None) -> Iterator[None]:
    """Rank long columns (:data:`LONG_COLUMN` units or more) in up to ``n`` threads inside this block; ``None``:
    as many as there are cores, at most 2. numpy releases the GIL in its sorts and copies, and every column is
    ranked on its own, so the ranks are the same with any number of threads."""
    token = _RANK_THREADS.set(min(2, os.cpu_count() or 1) if n is None else max(1, n))
    try:
        yield
    finally:
        _RANK_THREADS.reset(token)


def _transposed(x: FloatArray, negate: bool) -> FloatArray:
    """``x`` ``(S, units, columns)`` as a C-contiguous ``(S, columns, units)`` copy, negated if asked."""
    a = np.empty((x.shape[0], x.shape[2], x.shape[1]))
    if negate:
        np.negative(np.moveaxis(x, -2, -1), out=a)
    else:
        a[...] = np.moveaxis(x, -2, -1)
    return a


def _rank_rows(a: FloatArray, ties: str) -> FloatArray:
    """Ranks along the last axis of the rows ``a`` ``(rows, n)``, a buffer of the caller's that is changed here.

    Missing values become +inf before sorting (unless a row holds a true +inf, which would tie with them): numpy
    sorts rows without NaN on its vectorised path, about twice as fast. They sort last either way and get no rank.
    """
    valid, clean = _missing_last(a)
    n = a.shape[-1]
    # Equal values get equal ranks whatever their order after sorting, so an unstable (faster) sort will do.
    order = np.argsort(a, axis=-1)
    flat = (order + (np.arange(a.shape[0]) * n)[:, None]).ravel()
    s = a.ravel()[flat].reshape(a.shape)  # the values in that order (missing last): one sort, then a gather
    r = ranks_of_sorted(s, ties, valid if clean else None)
    # scatter back: row i's value at sorted position j belongs at column order[i, j] (flat indices, one pass)
    out = np.empty(a.size)
    out[flat] = np.broadcast_to(r, a.shape).ravel()
    return out.reshape(a.shape)


def _missing_last(a: FloatArray) -> tuple[npt.NDArray[np.intp], bool]:
    """Make the missing values of the rows ``a`` +inf in place, so that they sort last without NaN (numpy's
    vectorised sort, and :func:`argsort_long`'s bit keys, need none); return each row's count of values that are
    not missing ``(rows, 1)``, and whether that was done (not where a true +inf would tie with them)."""
    missing = np.isnan(a)
    valid = a.shape[-1] - missing.sum(axis=-1, keepdims=True)
    if (valid == a.shape[-1]).all():
        return valid, True
    if np.isposinf(a).any():
        return valid, False  # NaN stays NaN, last in numpy's sort
    a[missing] = np.inf
    return valid, True


def _rank_long(x: FloatArray, out: FloatArray, ties: str, descending: bool) -> None:
    """Rank the long columns of ``x`` ``(units, columns)`` into ``out`` (same shape), one column at a time (each
    column's own temporaries, under 32 MiB, come back from the heap rather than from fresh pages), sorted by
    :func:`argsort_long`."""
    buf = _transposed(x[None], descending)[0]
    rk = np.empty(buf.shape[1])
    for c, row in enumerate(buf):
        valid, clean = _missing_last(row[None])
        if clean:
            order, s = argsort_long(row)
        else:
            order = np.argsort(row)
            s = row[order]
        rk[order] = ranks_of_sorted(s, ties, int(valid[0, 0]) if clean else None)
        del order, s
        out[:, c] = rk


#: Values per group that :func:`argsort_long` sorts at a time (about 64 KB of values: in a core's own cache).
SORT_GROUP = 8192


def argsort_long(v: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """An order that sorts the long vector ``v`` (no NaN) and the values in that order, sorting in cache-sized
    groups instead of the whole.

    A sort of a million values runs out of the cache: each pass of a quicksort goes to memory. Here the values are
    first put in order of their top 16 bits (sign, exponent and 4 bits of mantissa, mapped so that integer order is
    value order: a radix sort, numpy's stable sort of 16-bit keys, two passes in order), then consecutive
    buckets are merged into groups of about :data:`SORT_GROUP` values and each group is sorted on its own: value
    order within a group, and every value of a group below every value of the next. Ties may come in any order,
    as with numpy's default sort (the ranks of equal values do not depend on it)."""
    top = v.view(np.int16)[_TOP_HALF::4]  # the top 16 bits of each value, signed
    # non-negative values: set the top bit; negative ones (larger bits, smaller value): flip every bit
    key = (top ^ ((top >> 15) | np.int16(-32768))).view(np.uint16)
    by_key = np.argsort(key, kind="stable")
    counts = np.bincount(key, minlength=1 << 16)
    starts = (np.cumsum(counts) - counts)[counts > 0]
    group = starts // SORT_GROUP
    bounds = [*starts[np.flatnonzero(np.diff(group, prepend=-1))].tolist(), len(v)]
    grouped = v[by_key]
    order = np.empty(len(v), dtype=np.intp)
    for a, b in itertools.pairwise(bounds):
        if b - a > 1:
            local = np.argsort(grouped[a:b])
            order[a:b] = by_key[a:b][local]
            grouped[a:b] = grouped[a:b][local]
        else:
            order[a:b] = by_key[a:b]
    return order, grouped


#: Where a float64's top 16 bits sit among its four 16-bit words.
_TOP_HALF = 3 if sys.byteorder == "little" else 0


def ranks_of_sorted(s: FloatArray, ties: str, n_valid: npt.NDArray[np.intp] | int | None = None) -> FloatArray:
    """The rank of each position of the rows ``s`` ``(..., n)``, sorted ascending with NaN last (NaN gets NaN).
    Ties: 'min', 'max', 'average' or 'dense', as in :func:`rank_ascending`. ``n_valid`` (per row, broadcast as
    ``(..., 1)``): the positions from there on hold missing values that were sorted last as +inf; they tie with
    nothing and get no rank. Without ties or missing values this is a broadcast ``1 .. n`` (read-only)."""
    n = s.shape[-1]
    pos = np.broadcast_to(np.arange(n, dtype=float), s.shape)
    new = np.ones(s.shape, dtype=bool)
    np.not_equal(s[..., 1:], s[..., :-1], out=new[..., 1:])
    tail = None if n_valid is None else np.arange(n) >= np.asarray(n_valid)
    if tail is not None:
        new |= tail
    r: FloatArray
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
    missing = np.isnan(s) if tail is None else tail
    if missing.any():
        r = np.where(missing, np.nan, r)
    return r


def rank_order(x: FloatArray, ties: str = "min", *, descending: bool = False) -> tuple[npt.NDArray[np.intp],
                                                                                      FloatArray]:
    """Ranks of ``x`` ``(S, units, columns)`` along the units, as one sort leaves them: per sample and column the
    units in rank order and the rank at each position, both ``(S, columns, units)`` (rank NaN for a missing value,
    which sorts last). The ranks equal :func:`rank_ascending`'s, read through ``order``; nothing is scattered back
    to unit order, so a caller that only counts ranks (:mod:`clusterleap.robustness._streaming`) saves that pass and the
    transposition back. The sorted values are gathered through the sort's order (one sort, not two)."""
    a = _transposed(x, descending)
    u = a.shape[-1]
    rows = a.reshape(-1, u)
    order = np.argsort(rows, axis=-1)
    flat = order + (np.arange(rows.shape[0]) * u)[:, None]
    s = rows.ravel()[flat]
    return order.reshape(a.shape), ranks_of_sorted(s, ties).reshape(a.shape)


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
