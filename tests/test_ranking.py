"""The ranking kernel against scipy.stats.rankdata on random data with ties, NaN, infinities and signed zeros: the
short-column path, and the long-column path (cache-sized groups after a radix pass on the top 16 bits, in threads),
made to run on small columns by lowering its thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from clusterleap.stages import _arrays
from clusterleap.stages._arrays import argsort_long, rank_ascending, rank_threads


def _expected(x: np.ndarray, ties: str, descending: bool) -> np.ndarray:
    """scipy's ranks of every column of every sample, NaN where the value is missing."""
    y = -x if descending else x
    out = np.full(x.shape, np.nan)
    for s in range(x.shape[0]):
        for k in range(x.shape[2]):
            out[s, :, k] = rankdata(y[s, :, k], method=ties, nan_policy="omit")
    return out


def _data(seed: int, samples: int, units: int, cols: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kind = seed % 4
    if kind == 0:  # few levels: many ties
        x = rng.integers(-3, 4, (samples, units, cols)).astype(float)
    elif kind == 1:  # continuous over many orders of magnitude, both signs
        x = rng.choice([-1.0, 1.0], (samples, units, cols)) * rng.lognormal(0, 8, (samples, units, cols))
    elif kind == 2:  # scores rounded to one decimal (published indices)
        x = np.round(rng.uniform(0, 100, (samples, units, cols)), 1)
    else:  # signed zeros, infinities and values that share their top 16 bits
        x = rng.choice([0.0, -0.0, 1.0, 1.0 + 2**-40, -1.0, np.inf, -np.inf], (samples, units, cols))
    x[rng.random(x.shape) < 0.1] = np.nan
    return x


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(1, 300), st.integers(1, 12),
       st.sampled_from(["min", "average", "dense", "max"]), st.booleans(), st.sampled_from([1, 2]))
def test_long_column_ranks_equal_scipy(seed: int, samples: int, units: int, cols: int, ties: str,
                                       descending: bool, threads: int) -> None:
    x = _data(seed, samples, units, cols)
    want = _expected(x, ties, descending)
    short = rank_ascending(x, ties, descending=descending)
    np.testing.assert_array_equal(short, want)
    with pytest.MonkeyPatch.context() as mp, rank_threads(threads):
        mp.setattr(_arrays, "RANK_BLOCK_CELLS", 0)  # one column (block) at a time,
        mp.setattr(_arrays, "LONG_COLUMN", 1)  # every column taking the long path
        mp.setattr(_arrays, "SORT_GROUP", 4)  # in groups of a few values
        long = rank_ascending(x, ties, descending=descending)
    np.testing.assert_array_equal(long, want)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 500), st.sampled_from([1, 3, 64, 8192]))
def test_argsort_long_sorts(seed: int, n: int, group: int) -> None:
    x = _data(seed, 1, n, 1)[0, :, 0]
    x = x[~np.isnan(x)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_arrays, "SORT_GROUP", group)
        order, values = argsort_long(x)
    assert sorted(order.tolist()) == list(range(len(x)))  # a permutation
    np.testing.assert_array_equal(values, x[order])
    np.testing.assert_array_equal(values, np.sort(x))  # in value order (-0.0 and 0.0 compare equal)


def test_long_columns_of_a_real_size() -> None:
    """Two columns past the threshold, with NaN (sorted last as +inf) and ties, on one and two threads."""
    rng = np.random.default_rng(7)
    n = _arrays.LONG_COLUMN + 1000
    x = np.round(rng.lognormal(0, 2, (1, n, 2)), 3)
    x[rng.random(x.shape) < 0.03] = np.nan
    want = _expected(x, "min", True)
    for threads in (1, 2):
        with rank_threads(threads):
            np.testing.assert_array_equal(rank_ascending(x, "min", descending=True), want)
