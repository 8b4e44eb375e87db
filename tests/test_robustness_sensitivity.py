"""Sobol' indices: the Saltelli design and the estimators, on the Ishigami function (analytic indices) and against
SALib on the same design."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clusterleap.errors import SpaceError
from clusterleap.robustness import SobolIndices, saltelli_design, sobol_indices


def ishigami(u: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami & Homma (1990) on x_i = -pi + 2 pi u_i."""
    x = -math.pi + 2 * math.pi * u
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic S1 and ST (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, section 4.9)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_analytic_ishigami_values_are_the_published_ones() -> None:
    s1, st = ishigami_indices()
    assert np.round(s1, 4).tolist() == [0.3139, 0.4424, 0.0]
    assert np.round(st, 4).tolist() == [0.5576, 0.4424, 0.2437]


@pytest.fixture(scope="module")
def ishigami_run() -> tuple[np.ndarray, SobolIndices]:
    u = saltelli_design(8192, ["x1", "x2", "x3"], seed=20240601)
    assert u.shape == (8192 * 5, 3)
    res = sobol_indices(ishigami(u), ["x1", "x2", "x3"], seed=7)
    return u, res


def test_ishigami_first_and_total_order(ishigami_run: tuple[np.ndarray, SobolIndices]) -> None:
    _, res = ishigami_run
    s1, st = ishigami_indices()
    assert np.abs(res.S1 - s1).max() < 0.02
    assert np.abs(res.ST - st).max() < 0.02
    # the bootstrap intervals are honest: they cover the truth and are narrow at n = 8192
    assert (np.abs(res.S1 - s1) < res.S1_conf + 0.005).all()
    assert (res.S1_conf < 0.05).all() and (res.ST_conf < 0.05).all()
    assert (res.S1_lo <= res.S1).all()
    assert (res.S1_hi >= res.S1).all()


def test_same_seed_same_indices_other_seed_other_indices() -> None:
    def run(seed: int) -> np.ndarray:
        u = saltelli_design(256, ["x1", "x2", "x3"], seed=seed)
        r = sobol_indices(ishigami(u), ["x1", "x2", "x3"], seed=seed)
        return np.concatenate([r.S1, r.ST, r.S1_conf, r.ST_conf])

    assert np.array_equal(run(3), run(3))
    assert not np.array_equal(run(3), run(4))


def test_design_and_point_estimates_equal_salib() -> None:
    salib_sample = pytest.importorskip("SALib.sample.sobol")
    salib_analyze = pytest.importorskip("SALib.analyze.sobol")
    problem = {"num_vars": 4, "names": ["a", "b", "c", "d"], "bounds": [[0, 1]] * 4, "groups": ["g1", "g2", "g1", "g3"]}
    mine = saltelli_design(64, ["g1", "g2", "g1", "g3"], seed=5)
    theirs = salib_sample.sample(problem, 64, calc_second_order=False, seed=5)
    assert np.array_equal(mine, theirs)
    u = saltelli_design(1024, ["x1", "x2", "x3"], seed=11)
    y = ishigami(u)
    ref = salib_analyze.analyze({"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * 3}, y,
                                calc_second_order=False, seed=1)
    res = sobol_indices(y, ["x1", "x2", "x3"])
    np.testing.assert_allclose(res.S1, ref["S1"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.ST, ref["ST"], rtol=0, atol=1e-12)


def test_categorical_factor_gets_its_analytic_index() -> None:
    """y = 2 c + x with c = floor(2 u1) in {0, 1} and x = u2: Var(2c) = 1, Var(x) = 1/12, so S_c = 12/13 and
    S_x = 1/13 (additive: first order = total)."""
    u = saltelli_design(4096, ["c", "x"], seed=2, categorical=[True, False])
    y = 2 * np.floor(2 * u[:, 0]) + u[:, 1]
    res = sobol_indices(y, ["c", "x"], seed=2)
    expected = np.array([12 / 13, 1 / 13])
    assert np.abs(res.S1 - expected).max() < 0.03
    assert np.abs(res.ST - expected).max() < 0.03
    blocks = u.reshape(4096, 4, 2)
    a_cat, b_cat = np.floor(2 * blocks[:, 0, 0]), np.floor(2 * blocks[:, 3, 0])
    assert 0.45 < np.mean(a_cat != b_cat) < 0.55  # A and B pick independently
    assert np.mean(a_cat) == 0.5  # stratified: exactly balanced


def test_categorical_columns_are_not_coupled_to_their_b_columns() -> None:
    """With 60 columns and 256 points, Sobol' dimensions 59 and 119 share their leading bit up to a flip, so a
    binary choice read from column 59 would take the same option in A and B (index 0) or always the other one
    (index doubled). y = 2 c + mean(59 uniforms): S_c = 1 / (1 + 1/708)."""
    groups = ["w"] * 59 + ["c"]
    raw = saltelli_design(256, groups, seed=1).reshape(256, 4, 60)
    differ = np.mean(np.floor(2 * raw[:, 0, 59]) != np.floor(2 * raw[:, 3, 59]))
    assert differ in (0.0, 1.0)  # the coupling the categorical draw avoids
    expected = 1 / (1 + 1 / 708)
    for seed in (1, 2, 3):
        u = saltelli_design(256, groups, seed=seed, categorical=[False] * 59 + [True])
        y = 2 * np.floor(2 * u[:, 59]) + u[:, :59].mean(axis=1)
        res = sobol_indices(y, ["w", "c"], seed=1)
        assert abs(res.ST[1] - expected) < 0.15
        assert abs(res.ST[1] - expected) < 2 * res.ST_conf[1]


def test_several_outputs_at_once_equal_one_by_one() -> None:
    u = saltelli_design(128, ["x1", "x2", "x3"], seed=9)
    y1, y2 = ishigami(u), ishigami(u, a=5, b=0.2)
    both = sobol_indices(np.column_stack([y1, y2]), ["x1", "x2", "x3"], seed=1)
    one = sobol_indices(y2, ["x1", "x2", "x3"], seed=1)
    np.testing.assert_allclose(both.S1[:, 1], one.S1, atol=1e-12)
    np.testing.assert_allclose(both.ST[:, 1], one.ST, atol=1e-12)
    df = both.to_frame(["y1", "y2"])
    assert list(df.columns[:2]) == ["output", "factor"] and len(df) == 6


def test_runs_with_nan_are_dropped_by_base_point() -> None:
    u = saltelli_design(64, ["x1", "x2", "x3"], seed=1)
    y = ishigami(u)
    y[[0, 6, 7]] = np.nan  # base point 0 (rows 0..4) and base point 1 (rows 5..9)
    res = sobol_indices(y, ["x1", "x2", "x3"], num_resamples=10)
    assert res.n_base == 62 and res.n_dropped == 2
    assert np.isfinite(res.S1).all()


def test_design_needs_factors_and_samples() -> None:
    with pytest.raises(SpaceError, match="at least one uncertain factor"):
        saltelli_design(8, [])
    with pytest.raises(SpaceError, match="at least 2 base samples"):
        saltelli_design(1, ["x"])
    with pytest.raises(ValueError, match="Saltelli layout"):
        sobol_indices(np.zeros(7), ["a", "b"])
