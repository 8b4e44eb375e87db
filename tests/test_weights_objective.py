"""Data-driven weights: entropy, CRITIC, PCA, benefit of the doubt, optimised and combined."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import clusterleap as cl
from clusterleap.stages import weight as W
from tests.conftest import ASEM_RECIPE

CTX3 = W.WeightContext("P", ("a", "b", "c"))


def call(method: str, x: np.ndarray, **params: Any) -> np.ndarray:
    """A weight method through a checked recipe step, as the pipeline calls it."""
    step = cl.Recipe.from_dict({"weight": {"method": method, **params}}).weight.default
    c = x.shape[-1]
    ctx = W.WeightContext("P", tuple(f"c{j}" for j in range(c)))
    return np.asarray(W.METHODS.get(method).func(x, np.ones((x.shape[0], c)), ctx, **step.kwargs))


# -- entropy ---------------------------------------------------------------------------------------------------------
def test_entropy_published_example() -> None:
    # Elsayed, Dawood & Karthikeyan (2017) "Evaluating alternatives through the application of TOPSIS method with
    # entropy weight", Int. J. Eng. Trends Technol. 46(2), 60-66: 12 alternatives x 5 criteria, entropy weights
    # 0.104991, 0.069124, 0.071373, 0.449937, 0.304575 (six decimals, as also used by pymcdm's tests).
    m = np.array([[7, 312, 1891, 6613, 163], [72, 88, 728, 941804, 1078], [10, 252, 2594, 3466, 117471],
                  [10, 145, 980, 2371, 86329], [65, 54, 350, 501, 29897], [29, 48, 380, 912, 34051],
                  [7, 476, 3300, 78470, 2212], [70, 87, 650, 733, 819000], [4, 86, 591, 3015, 103],
                  [12, 79, 579, 3240, 96098], [21, 45, 261, 1253, 453], [1, 72, 530, 4333, 0.1048]], dtype=float)
    w = call("entropy", m[None])[0, 0]
    np.testing.assert_allclose(w, [0.104991, 0.069124, 0.071373, 0.449937, 0.304575], atol=5e-7)


def test_entropy_hand_computed_with_zero_and_missing() -> None:
    # Hand-computed: column a = (1, 1, 2) -> p = (1/4, 1/4, 1/2), e = 1.5 ln2 / ln3; column b = (0, 0, 5) -> p = (0, 0,
    # 1), e = 0 (0 ln 0 = 0); column c = (2, nan, 2): constant over the 2 units present -> e = 1, d = 0.
    x = np.array([[[1.0, 0.0, 2.0], [1.0, 0.0, np.nan], [2.0, 5.0, 2.0]]])
    e_a = 1.5 * np.log(2) / np.log(3)
    d = np.array([1 - e_a, 1.0, 0.0])
    np.testing.assert_allclose(W.entropy(x, np.ones((1, 3)), CTX3)[0, 0], d / d.sum(), atol=1e-12)


def test_entropy_refuses_negative_scores() -> None:
    x = np.array([[[1.0, -2.0, 3.0], [2.0, 1.0, 1.0]]])
    with pytest.raises(cl.RecipeError, match=r"node 'P': the entropy method needs non-negative scores.*'b'"):
        W.entropy(x, np.ones((1, 3)), CTX3)


matrices = arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(2, 6)), elements=st.floats(0.01, 100))


@settings(max_examples=60, deadline=None)
@given(matrices, st.floats(0.01, 1000), st.data())
def test_entropy_invariant_to_positive_scaling_of_a_column(m: np.ndarray, k: float, data: st.DataObject) -> None:
    j = data.draw(st.integers(0, m.shape[1] - 1))
    scaled = m.copy()
    scaled[:, j] *= k
    np.testing.assert_allclose(W.entropy_weights(scaled[None]), W.entropy_weights(m[None]), atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(matrices, st.sampled_from(["entropy", "critic", "pca", "equal", "optimised"]))
def test_weights_sum_to_one_per_parent(m: np.ndarray, method: str) -> None:
    w = call(method, m[None])
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-9)
    assert (w >= 0).all()


# -- CRITIC ----------------------------------------------------------------------------------------------------------
def test_critic_published_example() -> None:
    # Tuş & Adalı (2019) "The new combination with CRITIC and WASPAS methods for the time and attendance software
    # selection problem", Opsearch 56(2), 528-538: CRITIC weights 0.157, 0.249, 0.168, 0.121, 0.154, 0.151.
    m = np.array([[5000, 3, 3, 4, 3, 2], [680, 5, 3, 2, 2, 1], [2000, 3, 2, 3, 4, 3], [600, 4, 3, 1, 2, 2],
                  [800, 2, 4, 3, 3, 4]], dtype=float)
    w = call("critic", m[None])[0, 0]
    np.testing.assert_allclose(w, [0.157, 0.249, 0.168, 0.121, 0.154, 0.151], atol=5e-4)


def test_critic_hand_computed() -> None:
    # Hand-computed: a = (0, 1, 2) and b = (0, 2, 4) are perfectly correlated (conflict 0 each with the other),
    # c = (2, 0, 1) has r = -0.5 with both. Min-max scaled: a = b = (0, .5, 1), c = (1, 0, .5), all with sd 0.5.
    # C_a = C_b = 0.5 * (0 + 1.5) = 0.75; C_c = 0.5 * (1.5 + 1.5) = 1.5 -> w = (0.25, 0.25, 0.5).
    x = np.array([[[0.0, 0.0, 2.0], [1.0, 2.0, 0.0], [2.0, 4.0, 1.0]]])
    np.testing.assert_allclose(W.critic(x, np.ones((1, 3)), CTX3)[0, 0], [0.25, 0.25, 0.5], atol=1e-12)


def test_critic_constant_child_gets_zero_and_is_left_out() -> None:
    x = np.array([[[0.0, 0.0, 7.0], [1.0, 2.0, 7.0], [2.0, 1.0, 7.0]]])
    w = W.critic(x, np.ones((1, 3)), CTX3)[0, 0]
    assert w[2] == 0 and w[0] == pytest.approx(w[1])


# -- PCA -------------------------------------------------------------------------------------------------------------
def exact_corr_data(r: np.ndarray, n: int = 40, seed: int = 3) -> np.ndarray:
    """Data whose sample correlation matrix is exactly ``r``."""
    z = np.random.default_rng(seed).normal(size=(n, r.shape[0]))
    z -= z.mean(axis=0)
    q, _ = np.linalg.qr(z)
    return q @ np.linalg.cholesky(r).T * 10 + 50


def test_pca_weights_hand_computed_two_blocks() -> None:
    # Hand-computed (OECD/JRC Handbook 2008, section 6.1 procedure): corr = two independent blocks with r = 0.8 and
    # 0.6 -> eigenvalues 1.8, 1.6, 0.4, 0.2; two factors retained (> 1 and > 10 %), loadings sqrt(0.9) and
    # sqrt(0.8) on their own block (already a simple structure; varimax keeps it). Squared loadings scaled to unity
    # within each factor: 0.5 each; factor shares 1.8/3.4 and 1.6/3.4 -> w = (0.9, 0.9, 0.8, 0.8) / 3.4.
    r = np.array([[1, 0.8, 0, 0], [0.8, 1, 0, 0], [0, 0, 1, 0.6], [0, 0, 0.6, 1]])
    x = exact_corr_data(r)
    np.testing.assert_allclose(W.pairwise_corr(x[None])[0], r, atol=1e-12)
    w = call("pca", x[None])[0, 0]
    np.testing.assert_allclose(w, np.array([0.9, 0.9, 0.8, 0.8]) / 3.4, atol=1e-9)


@pytest.mark.parametrize("angle", [0.3, 0.7, -0.4, 1.2])
def test_varimax_undoes_a_rotation(angle: float) -> None:
    # Varimax (Kaiser 1958) depends only on the subspace of the loadings: rotating them first changes nothing but
    # the order and signs of the factors; and it moves a near-simple structure to its simplest form.
    load = np.array([[0.9, 0.1], [0.85, 0.05], [0.1, 0.8], [0.0, 0.7]])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    ref = np.abs(W.varimax(load))
    back = np.abs(W.varimax(load @ rot))
    if abs(back[0, 0] - ref[0, 0]) > 0.1:
        back = back[:, ::-1]
    np.testing.assert_allclose(back, ref, atol=1e-6)
    assert (ref[:2, 0] > 0.85).all() and (ref[2:, 1] > 0.69).all() and (ref[:2, 1] < 0.1).all()


def test_pca_retention_rule() -> None:
    # one dominant factor (all r = 0.7 among 4): eigenvalues 3.1, 0.3 x 3 -> only the first is retained and the
    # weights are equal; with min_eigenvalue 0 and min_share 0 all four are retained.
    r = np.full((4, 4), 0.7) + 0.3 * np.eye(4)
    x = exact_corr_data(r)
    np.testing.assert_allclose(call("pca", x[None])[0, 0], 0.25, atol=1e-9)
    assert call("pca", x[None], min_eigenvalue=0, min_share=0)[0, 0].sum() == pytest.approx(1.0)


def test_pca_cumulative_rule_changes_the_number_of_factors() -> None:
    # Hand-computed: a, b correlated r = 0.7, c independent -> eigenvalues 1.7, 1.0, 0.3 (shares 56.7 %, 33.3 %,
    # 10 %). Rules (i) and (ii) with an eigenvalue threshold of 1.2 retain the first factor only, which explains
    # 56.7 % < 60 %: rule (iii) (OECD/JRC Handbook 2008, section 6.1: the factors retained explain more than 60 % of
    # the variance together) adds the second (90 %). Loadings: sqrt(0.85) on a and b (factor 1), 1 on c (factor 2);
    # a simple structure already. One factor: squared loadings scaled to unity (0.5, 0.5, 0), c gets nothing. Two
    # factors: factor shares 1.7/2.7 and 1/2.7 -> w = (0.85, 0.85, 1) / 2.7.
    r = np.array([[1, 0.7, 0], [0.7, 1, 0], [0, 0, 1]])
    x = exact_corr_data(r)
    np.testing.assert_allclose(call("pca", x[None], min_eigenvalue=1.2, min_cumulative=0)[0, 0], [0.5, 0.5, 0],
                               atol=1e-9)
    np.testing.assert_allclose(call("pca", x[None], min_eigenvalue=1.2)[0, 0], np.array([0.85, 0.85, 1]) / 2.7,
                               atol=1e-9)
    np.testing.assert_allclose(call("pca", x[None], min_eigenvalue=1.2, min_cumulative=0.55)[0, 0], [0.5, 0.5, 0],
                               atol=1e-9)  # 56.7 % already exceeds 55 %


def test_retained_factors_combines_the_three_rules() -> None:
    # Eigenvalues 2.5, 1.5, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.6, 0.6 of 10 indicators: shares 25, 15, 9.5, 9, ... %.
    # Rules (i)-(ii) retain 2 (40 %); rule (iii) needs 5 (cumulative 25, 40, 49.5, 58.5, 67 %).
    vals = np.array([2.5, 1.5, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.6, 0.6])
    assert W.retained_factors(vals, 10) == 5
    assert W.retained_factors(vals, 10, min_cumulative=0) == 2
    assert W.retained_factors(vals, 10, min_cumulative=0.45) == 3
    # "more than": shares 25, 25, 18.75 % (exact in binary); a cumulative 50 % is not more than 50 %
    assert W.retained_factors(np.array([2, 2, 1.5, 1, 0.5, 0.5, 0.25, 0.25]), 8, min_eigenvalue=5,
                              min_cumulative=0.5) == 3
    # OECD/JRC Handbook (2008) Table 16, TAI: variance shares 41.9, 21.8, 12.3, 11.1, 6.0, 3.7, 2.2, 0.9 % of 8
    # indicators. Strictly, eigenvalue > 1 keeps 2 (the third is 0.98), already above 60 % (63.7 %). The Handbook
    # retains four factors (87.2 %): by the variance shares alone (min_eigenvalue 0) rules (ii) and (iii) give four,
    # as rule (iii) never drops a factor that the other rules keep.
    tai = np.array([41.9, 21.8, 12.3, 11.1, 6.0, 3.7, 2.2, 0.9]) / 100 * 8
    assert W.retained_factors(tai, 8) == 2
    assert W.retained_factors(tai, 8, min_eigenvalue=0) == 4
    # at least the first factor, even when nothing passes
    assert W.retained_factors(np.array([1.0, 1.0]), 2, min_eigenvalue=5, min_cumulative=0) == 1


def test_pca_parameters_are_checked() -> None:
    with pytest.raises(cl.RecipeError, match="min_cumulative must be in"):
        cl.Recipe.from_dict({"weight": {"method": "pca", "min_cumulative": 1.0}})


# -- benefit of the doubt --------------------------------------------------------------------------------------------
def test_bod_scores_hand_computed() -> None:
    # Hand-computed: A (1, .2), B (.5, .5), C (.2, 1), D (.4, .4). A and C are on the frontier with one-sided weights;
    # B's best weights are w = (1/1.2, 1/1.2) (A's and C's constraints bind) -> 0.5 * 2/1.2 = 5/6; D = 0.8 B = 2/3.
    x = np.array([[[1, 0.2], [0.5, 0.5], [0.2, 1], [0.4, 0.4]]])
    np.testing.assert_allclose(W.bod_scores(x)[0], [1, 5 / 6, 1, 2 / 3], atol=1e-9)
    w = W.bod(x, np.ones((1, 2)), W.WeightContext("P", ("a", "b")))
    assert w.shape == (1, 4, 2)
    np.testing.assert_allclose(w[0, 1], [0.5, 0.5], atol=1e-9)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0)


def test_bod_share_bounds() -> None:
    x = np.array([[[1, 0.2], [0.5, 0.5], [0.2, 1], [0.4, 0.4]]])
    w = call("bod", x, lower=0.3, upper=0.7)
    assert (w >= 0.3 - 1e-9).all() and (w <= 0.7 + 1e-9).all()
    # A (1, .2) now has to give b at least 30 %: its best is w_a / sum = 0.7
    np.testing.assert_allclose(w[0, 0], [0.7, 0.3], atol=1e-9)
    with pytest.raises(cl.RecipeError, match="cannot sum to 1"):
        call("bod", np.ones((1, 3, 4)), lower=0.3)
    with pytest.raises(cl.RecipeError, match="lower <= upper"):
        cl.Recipe.from_dict({"weight": {"method": "bod", "lower": 0.6, "upper": 0.5}})


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 4)),
              elements=st.one_of(st.just(0.0), st.floats(0.01, 100))),
       st.sampled_from([(0.0, 1.0), (0.1, 0.9), (0.2, 1.0)]))
def test_bod_scores_at_most_one_with_a_unit_on_the_frontier(m: np.ndarray, bounds: tuple[float, float]) -> None:
    lo, hi = bounds
    if m.shape[1] * lo > 1 or m.shape[1] * hi < 1 or not (m > 0).any():
        return
    s = W.bod_scores(m[None], lo, hi)[0]
    assert (s <= 1 + 1e-9).all()
    assert np.isclose(s.max(), 1.0, atol=1e-7)


# -- optimised -------------------------------------------------------------------------------------------------------
def test_optimised_equal_importance_hand_computed() -> None:
    # Hand-computed: two uncorrelated children with standard deviations 2 and 1. corr(x_j, w1 x1 + w2 x2) is
    # proportional to w_j sd_j, so equal importance needs w1 * 2 = w2 * 1 -> w = (1/3, 2/3).
    a = np.array([1, -1, 1, -1, 1, -1, 1, -1.0]) * 2 + 10
    b = np.array([1, 1, -1, -1, 1, 1, -1, -1.0]) + 10
    x = np.stack([a, b], axis=1)[None]
    np.testing.assert_allclose(call("optimised", x)[0, 0], [1 / 3, 2 / 3], atol=1e-5)
    # a target importance of 3:1 -> w1 * 2 / (w2 * 1) = 3 -> w = (0.6, 0.4)
    np.testing.assert_allclose(call("optimised", x, target=[3, 1])[0, 0], [0.6, 0.4], atol=1e-5)


def test_optimised_target_must_fit_the_children() -> None:
    with pytest.raises(cl.RecipeError, match="one non-negative importance per child"):
        call("optimised", np.ones((1, 4, 3)) + np.arange(12).reshape(1, 4, 3) ** 2, target=[1, 2])


# -- combined --------------------------------------------------------------------------------------------------------
def test_combined_product_and_convex() -> None:
    x = np.array([[[1.0, 0.0, 2.0], [1.0, 0.0, 3.0], [2.0, 5.0, 2.0]]])
    nominal = np.array([[1.0, 2.0, 1.0]])
    a = nominal / nominal.sum()
    b = W.entropy_weights(x)
    rc = cl.Recipe.from_dict({"weight": {"method": "combined", "subjective": "framework",
                                         "objective": {"method": "entropy"}}})
    w = W.combined(x, nominal, CTX3, **rc.weight.default.kwargs)
    np.testing.assert_allclose(w[0, 0], (a * b / (a * b).sum())[0], atol=1e-12)
    w2 = W.combined(x, nominal, CTX3, subjective="framework", objective="critic", rule="convex", share=0.3)
    np.testing.assert_allclose(w2[0, 0], (0.3 * a + 0.7 * W.critic_weights(x))[0], atol=1e-12)


def test_combined_nests_an_ahp_step() -> None:
    spec = {"method": "combined", "rule": "convex", "share": 0.5,
            "subjective": {"method": "ahp", "criteria": ["a", "b", "c"],
                           "experts": [{"matrix": [[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]}]},
            "objective": "equal"}
    rc = cl.Recipe.from_dict({"weight": spec})
    w = W.combined(np.ones((1, 2, 3)), np.ones((1, 3)), CTX3, **rc.weight.default.kwargs)
    np.testing.assert_allclose(w[0, 0], 0.5 * np.array([4, 2, 1]) / 7 + 0.5 / 3, atol=1e-12)
    assert cl.Recipe.from_dict(rc.to_dict()) == rc


@pytest.mark.parametrize(("spec", "message"), [
    ({"subjective": "entorpy"}, "did you mean \"entropy\""),
    ({"objective": {"method": "bod", "lower": 2}}, "lower <= upper"),
    ({"objective": "combined"}, "cannot itself be 'combined'"),
    ({"share": 1.5}, "share must be between 0 and 1"),
])
def test_combined_checks_its_nested_steps(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(cl.RecipeError, match=message):
        cl.Recipe.from_dict({"weight": {"method": "combined", **spec}})


# -- end to end on ASEM ----------------------------------------------------------------------------------------------
def test_asem_entropy_weights_end_to_end(asem: tuple[Any, Any]) -> None:
    fw, data = asem
    res = cl.evaluate(fw, data, {**ASEM_RECIPE, "weight": "entropy"})
    for node in ("Physical", "Conn", "Index"):
        kids = list(fw.children[node])
        expect = W.entropy_weights(res.scores[kids].to_numpy()[None])[0]
        np.testing.assert_allclose(res.weights.loc[kids, "used"], expect, atol=1e-12)
        np.testing.assert_allclose(res.score(node), res.scores[kids].to_numpy() @ expect, rtol=1e-12)
    assert res.weights.loc[list(fw.indicators), "effective"].sum() == pytest.approx(1.0)
    # entropy moves weight: the used weights are not all equal within Physical
    assert res.weights.loc[list(fw.children["Physical"]), "used"].std() > 0.01


def test_asem_data_driven_methods_run_per_level(asem: tuple[Any, Any]) -> None:
    fw, data = asem
    rc = {**ASEM_RECIPE, "weight": {"method": "framework", "levels": {2: "critic", 3: "pca"},
                                    "nodes": {"Sust": {"method": "bod", "lower": 0.1}}}}
    res = cl.evaluate(fw, data, rc)
    kids = list(fw.children["Environ"])
    np.testing.assert_allclose(res.weights.loc[kids, "used"],
                               W.critic_weights(res.scores[kids].to_numpy()[None])[0], atol=1e-12)
    assert res.weights_used["Sust"].shape == (1, 51, 3)
    assert (res.weights_used["Sust"] >= 0.1 - 1e-9).all()
    assert np.isfinite(res.score()).all()
