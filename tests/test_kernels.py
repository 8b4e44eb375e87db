"""Stage kernels: hand-computed cases and properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterleap.stages import aggregate, impute, normalise, rank, treat
from clusterleap.stages._arrays import sample_moments
from clusterleap.stages.impute import ImputeContext
from clusterleap.stages.normalise import NormContext

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(0.01, 1e4, allow_nan=False, allow_infinity=False)


def ctx(n_ind: int, **kw: object) -> NormContext:
    lo = np.zeros((1, n_ind))
    base = {"lo": lo, "hi": lo + 1.0, "cap": np.ones((1, n_ind), bool), "target": lo + 1.0, "fit": None,
            "units": tuple(f"u{i}" for i in range(100))}
    base.update(kw)
    return NormContext(**base)  # type: ignore[arg-type]


def col(values: list[float]) -> np.ndarray:
    return np.array(values, dtype=float)[None, :, None]


# -- hand-computed cases ---------------------------------------------------------------------------------------
def test_sample_moments_match_spreadsheet_skew_and_kurt() -> None:
    # By hand: mean 4, deviations (-3, -2, -1, 0, 6), s^2 = 50 / 4, so SKEW = 5 / (4 * 3) * 180 / 12.5^1.5 = 1.6971
    x = np.array([1.0, 2, 3, 4, 10])
    n, m = 5, x.mean()
    s = x.std(ddof=1)
    skew = n / ((n - 1) * (n - 2)) * (((x - m) / s) ** 3).sum()
    kurt = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * (((x - m) / s) ** 4).sum() - 3 * (n - 1) ** 2 / (
        (n - 2) * (n - 3))
    sk, ku, count = sample_moments(x[:, None], axis=0)
    assert sk[0] == pytest.approx(skew, abs=1e-12) and ku[0] == pytest.approx(kurt, abs=1e-12) and count[0] == 5
    assert sk[0] == pytest.approx(1.6971, abs=1e-4)


def test_minmax_hand_case() -> None:
    out = normalise.minmax(col([2, 4, np.nan, 6]), ctx(1), lo=0, hi=100)
    np.testing.assert_allclose(out[0, :, 0], [0, 50, np.nan, 100])


def test_zscore_uses_sample_sd() -> None:
    out = normalise.zscore(col([1, 2, 3]), ctx(1), mean=10, sd=2)
    np.testing.assert_allclose(out[0, :, 0], [8, 10, 12])


def test_goalposts_cap_and_scale() -> None:
    out = normalise.goalposts(col([-1, 0.5, 2]), ctx(1), scale=100)
    np.testing.assert_allclose(out[0, :, 0], [0, 50, 100])
    uncapped = normalise.goalposts(col([-1, 0.5, 2]), ctx(1), scale=100, cap=False)
    np.testing.assert_allclose(uncapped[0, :, 0], [-100, 50, 200])


def test_distance_methods_hand_cases() -> None:
    x = col([2, 4, 6, 10])
    c = ctx(1, target=np.array([[8.0]]))
    np.testing.assert_allclose(normalise.target(x, c, scale=1)[0, :, 0], [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(normalise.target(x, c, scale=1, cap=False)[0, :, 0], [0, 1 / 3, 2 / 3, 4 / 3])
    np.testing.assert_allclose(normalise.frontier(x, c, scale=1)[0, :, 0], [0, 0.25, 0.5, 1])
    np.testing.assert_allclose(normalise.proportion(x, c, scale=1)[0, :, 0], [0.2, 0.4, 0.6, 1])
    np.testing.assert_allclose(normalise.reference(x, c, unit="u1", scale=1)[0, :, 0], [0, 1, 2, 4])
    np.testing.assert_allclose(normalise.percentile(x, c, scale=1)[0, :, 0], [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(normalise.rank(col([5, 1, 5, 3]), c)[0, :, 0], [3, 1, 3, 2])


def test_means_hand_cases() -> None:
    x = np.array([[[1.0, 4.0, np.nan]]])
    w = np.array([[[1.0, 3.0, 2.0]]])
    assert aggregate.arithmetic(x, w)[0, 0] == pytest.approx((1 + 12) / 4)
    assert np.isnan(aggregate.arithmetic(x, w, missing="propagate")[0, 0])
    assert aggregate.geometric(x, w)[0, 0] == pytest.approx((1 * 4**3) ** 0.25)
    assert aggregate.harmonic(x, w)[0, 0] == pytest.approx(4 / (1 + 3 / 4))
    assert aggregate.power(x, w, p=2)[0, 0] == pytest.approx(((1 + 3 * 16) / 4) ** 0.5)
    assert aggregate.power(x, w, p=0)[0, 0] == pytest.approx(aggregate.geometric(x, w)[0, 0])
    zero = np.array([[[0.0, 4.0]]])
    assert aggregate.geometric(zero, np.ones((1, 1, 2)))[0, 0] == 0
    assert aggregate.harmonic(zero, np.ones((1, 1, 2)))[0, 0] == 0


def test_rank_ties_and_rounding() -> None:
    x = np.array([[[0.9004], [0.9001], [0.8], [np.nan], [0.9004]]])
    np.testing.assert_array_equal(rank.descending(x, ties="min")[0, :, 0], [1, 3, 4, np.nan, 1])
    np.testing.assert_array_equal(rank.descending(x, ties="average")[0, :, 0], [1.5, 3, 4, np.nan, 1.5])
    np.testing.assert_array_equal(rank.descending(x, ties="dense")[0, :, 0], [1, 2, 3, np.nan, 1])
    np.testing.assert_array_equal(rank.descending(x, ties="min", decimals=3)[0, :, 0], [1, 1, 4, np.nan, 1])


def test_group_mean_and_panel_imputation() -> None:
    x = np.array([[[1.0], [np.nan], [3.0], [10.0], [np.nan], [np.nan]]])
    c = ImputeContext({"g": np.array([0, 0, 0, 1, 1, 2])})
    out = impute.group_mean(x, c, group="g")
    np.testing.assert_array_equal(out[0, :, 0], [1, 2, 3, 10, 10, np.nan])
    panel = np.array([[[1.0]], [[np.nan]], [[np.nan]], [[7.0]], [[np.nan]]])
    yc = ImputeContext({}, np.array([2019.0, 2020, 2021, 2022, 2023]))
    np.testing.assert_array_equal(impute.locf(panel, yc)[:, 0, 0], [1, 1, 1, 7, 7])
    np.testing.assert_allclose(impute.linear(panel, yc)[:, 0, 0], [1, 3, 5, 7, np.nan])
    uneven = ImputeContext({}, np.array([2000.0, 2001, 2002, 2010, 2011]))
    np.testing.assert_allclose(impute.linear(panel, uneven)[:, 0, 0], [1, 1.6, 2.2, 7, np.nan])


def test_skew_kurtosis_winsorises_then_falls_back_to_log() -> None:
    # one extreme point: a single winsorisation fixes it
    x = col([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 100])
    t = treat.skew_kurtosis(x)
    assert t.x[0, -1, 0] == 12 and t.points[0, -1, 0] == 1 and t.changed[0, 0] == 1 and t.rule[0, 0] == 1
    # seven outliers: five winsorised points are not enough, so the log fallback of the untreated values is used
    y = col([1] * 50 + [10, 20, 30, 40, 50, 60, 70])
    t = treat.skew_kurtosis(y)
    raw = y[0, :, 0]
    np.testing.assert_allclose(t.x[0, :, 0], np.log(raw - raw.min() + 0.01 * (raw.max() - raw.min())))
    assert t.rule[0, 0] == 2 and (t.points[0, :, 0] == 3).all()
    # with no fallback the winsorised values are kept
    kept = treat.skew_kurtosis(y, fallback="none")
    assert kept.rule[0, 0] == 1 and kept.changed[0, 0] == 5


def test_quantile_winsorisation() -> None:
    x = col(list(range(1, 21)))
    t = treat.winsorise(x, lower=0.1, upper=0.9)
    lo, hi = np.quantile(np.arange(1, 21), [0.1, 0.9])
    assert t.x[0, 0, 0] == lo and t.x[0, -1, 0] == hi and t.changed[0, 0] == 4


# -- properties ----------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(arrays(float, (1, 9, 3), elements=finite), st.floats(-50, 50), st.floats(1, 100))
def test_minmax_within_bounds(x: np.ndarray, lo: float, width: float) -> None:
    out = normalise.minmax(x, ctx(3), lo=lo, hi=lo + width)
    assert (out >= lo - 1e-9 * (1 + abs(lo))).all() and (out <= lo + width + 1e-9 * (1 + abs(lo + width))).all()


@settings(max_examples=60, deadline=None)
@given(arrays(float, (1, 8, 1), elements=finite, unique=True),
       st.sampled_from(["minmax", "zscore", "rank", "percentile", "frontier"]))
def test_monotone_normalisers_keep_the_order(x: np.ndarray, method: str) -> None:
    f = normalise.METHODS.get(method).func
    out = f(x, ctx(1))
    order = np.argsort(x[0, :, 0])
    assert (np.diff(out[0, order, 0]) >= -1e-9).all()


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 1e3), arrays(float, (1, 1, 4), elements=positive),
       st.sampled_from(["arithmetic", "geometric", "harmonic", "power"]))
def test_aggregating_equal_children_returns_that_value(v: float, w: np.ndarray, method: str) -> None:
    x = np.full((1, 5, 4), v)
    out = aggregate.METHODS.get(method).func(x, w)
    np.testing.assert_allclose(out, v, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(arrays(float, (1, 6, 4), elements=positive), arrays(float, (1, 1, 4), elements=positive),
       st.floats(0.01, 1e3), st.sampled_from(["arithmetic", "geometric", "harmonic", "power"]))
def test_weights_are_scale_invariant(x: np.ndarray, w: np.ndarray, c: float, method: str) -> None:
    f = aggregate.METHODS.get(method).func
    np.testing.assert_allclose(f(x, w), f(x, w * c), rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(float, (1, 6, 3), elements=positive), arrays(float, (1, 1, 3), elements=positive))
def test_mean_inequality(x: np.ndarray, w: np.ndarray) -> None:
    h, g, a = (aggregate.METHODS.get(m).func(x, w) for m in ("harmonic", "geometric", "arithmetic"))
    assert (h <= g * (1 + 1e-9)).all() and (g <= a * (1 + 1e-9)).all()


@settings(max_examples=80, deadline=None)
@given(arrays(float, (2, 25, 3), elements=st.floats(0, 1e3, allow_nan=False)),
       st.lists(st.tuples(st.integers(0, 1), st.integers(0, 24), st.integers(0, 2), st.floats(1e3, 1e6)),
                max_size=12))
def test_vectorised_treatment_equals_the_one_column_procedure(x: np.ndarray, spikes: list) -> None:  # type: ignore[type-arg]
    from tests.reference import coinr_treat

    for s, u, i, v in spikes:
        x[s, u, i] = v
    out = treat.skew_kurtosis(x).x
    for s in range(x.shape[0]):
        for i in range(x.shape[2]):
            np.testing.assert_allclose(out[s, :, i], coinr_treat(x[s, :, i].copy()), rtol=1e-12, atol=1e-12)
