"""Multi-criteria aggregators (TOPSIS, VIKOR, Copeland) and the batch contract of every weight and aggregate method."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import clusterleap as cl
from clusterleap._registry import Method
from clusterleap.stages import aggregate as A
from clusterleap.stages import weight as W
from tests.conftest import ASEM_RECIPE

# Hwang & Yoon (1981) Multiple Attribute Decision Making, Springer LNEMS 186, the fighter-aircraft example (p. 133):
# 4 aircraft x 6 attributes (max speed, ferry range, max payload, acquisition cost [a cost], reliability,
# manoeuvrability), weights (.2, .1, .1, .1, .2, .3); published relative closeness C* = .643, .268, .613, .312.
AIRCRAFT = np.array([[2.0, 1500, 20000, 5.5, 5, 9], [2.5, 2700, 18000, 6.5, 3, 5], [1.8, 2000, 21000, 4.5, 7, 7],
                     [2.2, 1800, 20000, 5.0, 5, 5]])
AIRCRAFT_W = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.3])


def oriented(m: np.ndarray, cost: list[int]) -> np.ndarray:
    """Children are 'higher is better' in clusterleap: a cost criterion enters negated."""
    out = m.astype(float).copy()
    out[:, cost] *= -1
    return out[None]


def test_topsis_hwang_yoon_aircraft() -> None:
    c = A.topsis_closeness(oriented(AIRCRAFT, [3]), AIRCRAFT_W[None, None])[0]
    # the book rounds its normalised matrix to 4 digits, hence the 1e-3 tolerance (A3: 0.6135 unrounded)
    np.testing.assert_allclose(c, [0.643, 0.268, 0.613, 0.312], atol=1e-3)
    scores = A.topsis(oriented(AIRCRAFT, [3]), AIRCRAFT_W[None, None])
    np.testing.assert_allclose(scores, c[None] * 100)
    assert list(np.argsort(-c)) == [0, 2, 3, 1]  # A1 > A3 > A4 > A2, as published


# Opricovic & Tzeng (2004) EJOR 156, 445-455, section 4 example: A1 (1, 3000), A2 (2, 3750), A3 (5, 4500), f1 to
# be minimised, f2 maximised, equal weights.
OT = np.array([[1.0, 3000], [2, 3750], [5, 4500]])


def test_topsis_minmax_hand_computed() -> None:
    # Hand-computed on the Opricovic & Tzeng data with linear (min-max) normalisation: weighted r = A1 (.5, 0),
    # A2 (.375, .25), A3 (0, .5); D+ = (.5, .2795, .5), D- = (.5, .4507, .5) -> C = (.5, .6172, .5).
    c = A.topsis_closeness(oriented(OT, [0]), np.array([0.5, 0.5])[None, None], "minmax")[0]
    d_plus, d_minus = np.hypot(0.125, 0.25), np.hypot(0.375, 0.25)
    np.testing.assert_allclose(c, [0.5, d_minus / (d_plus + d_minus), 0.5], atol=1e-12)


def test_vikor_opricovic_tzeng() -> None:
    # Opricovic & Tzeng (2004): S = (.5, .375, .5), R = (.5, .25, .5), Q (v = .5) = (1, 0, 1): A2 is the compromise.
    s, r, q = A.vikor_srq(oriented(OT, [0]), np.array([0.5, 0.5])[None, None])
    np.testing.assert_allclose(s[0], [0.5, 0.375, 0.5])
    np.testing.assert_allclose(r[0], [0.5, 0.25, 0.5])
    np.testing.assert_allclose(q[0], [1, 0, 1])
    np.testing.assert_allclose(A.vikor(oriented(OT, [0]), np.array([0.5, 0.5])[None, None])[0], [0, 100, 0])


def test_vikor_yang_wu() -> None:
    # Yang & Wu (2020) "A new improvement method to avoid rank reversal in VIKOR", IEEE Access 8, 21261-21271: five
    # alternatives, four benefit criteria, equal weights, v = 0.5 -> Q = .5679, .7667, 1, .7493, 0.
    m = np.array([[78, 56, 34, 6], [4, 45, 3, 97], [18, 2, 50, 63], [9, 14, 11, 92], [85, 9, 100, 29]], dtype=float)
    q = A.vikor_srq(m[None], np.full((1, 1, 4), 0.25))[2][0]
    np.testing.assert_allclose(q, [0.5679, 0.7667, 1.0, 0.7493, 0.0], atol=5e-5)


def test_copeland_hand_computed() -> None:
    # Hand-computed: A (3, 1, 1), B (1, 2, 2), C (2, 2, 0). Weights (.6, .2, .2): A is ahead of B on x1 (.6 > .5)
    # and of C on x1 and x3 (.8); C is ahead of B on x1 (.6). Net wins - losses: A +2, B -2, C 0 -> scaled to
    # [0, 100] over n = 3 units: 100, 0, 50.
    x = np.array([[[3.0, 1, 1], [1, 2, 2], [2, 2, 0]]])
    np.testing.assert_allclose(A.copeland_net(x, np.array([0.6, 0.2, 0.2])[None, None])[0], [2, -2, 0])
    np.testing.assert_allclose(A.copeland(x, np.array([0.6, 0.2, 0.2])[None, None])[0], [100, 0, 50])
    # Weights (.5, .3, .2): A vs B is a draw (A ahead on x1, .5; B on x2 and x3, .5); A beats C (.7 against .3);
    # B vs C: C ahead on x1 (.5), B on x3 (.2), tied on x2 (.3, half to each side) -> e_CB = .65 > 1/2, C wins.
    # Net A +1, B -1, C 0 -> 75, 25, 50.
    w = np.array([0.5, 0.3, 0.2])[None, None]
    np.testing.assert_allclose(A.copeland_net(x, w)[0], [1, -1, 0])
    np.testing.assert_allclose(A.copeland(x, w)[0], [75, 25, 50])


def test_copeland_ties_count_half_for_each_side() -> None:
    # Munda & Nardo (2009), Applied Economics 41, 1513-1523 (also the OECD/JRC Handbook 2008, section 6.2): the
    # outranking matrix is e_ab = sum of the weights of the children where a is ahead + half the weights of the
    # children where a and b tie, and a beats b when e_ab > 1/2. Min-max normalised scores (0 and 100 at the ends)
    # tie often. Hand case, equal weights 1/4 on four children:
    #   P (100, 100, 0, 60), Q (100, 100, 40, 20), R (0, 100, 100, 20)
    # P vs Q: tied on 2 (1/2), P ahead on 1, Q ahead on 1 -> e_PQ = 1/4 + 1/4 = 1/2: a draw.
    # P vs R: tied on 1, P ahead on 2 (x1, x4), R ahead on 1 -> e_PR = 1/2 + 1/8 = 5/8 > 1/2: P wins.
    # Q vs R: tied on 2 (x2, x4), Q ahead on x1, R on x3 -> e_QR = 1/2: a draw.
    # Net P +1, Q 0, R -1 -> 75, 50, 25 over n = 3 units. The rule without the half-ties (a beats b only when the
    # children where a is strictly ahead weigh more than 1/2) finds no winner at all (every unit 50): P's 1/2
    # against R is not more than 1/2.
    x = np.array([[[100.0, 100, 0, 60], [100, 100, 40, 20], [0, 100, 100, 20]]])
    w = np.full((1, 1, 4), 0.25)
    np.testing.assert_allclose(A.copeland_net(x, w)[0], [1, 0, -1])
    np.testing.assert_allclose(A.copeland(x, w)[0], [75, 50, 25])
    # e_ab + e_ba = 1, so a win for one side is a loss for the other: the net wins sum to 0
    rng = np.random.default_rng(5)
    z = rng.integers(0, 3, size=(2, 7, 5)).astype(float) * 50  # many ties, as after min-max with capped goalposts
    wz = rng.uniform(0.1, 1, size=(1, 1, 5))
    np.testing.assert_allclose(A.copeland_net(z, wz).sum(axis=-1), 0, atol=0)
    # weights that tie only up to rounding (.1 + .2 against .3) make a draw, not a win
    y = np.array([[[1.0, 1, 0], [0, 0, 1]]])
    np.testing.assert_allclose(A.copeland_net(y, np.array([0.1, 0.2, 0.3])[None, None])[0], [0, 0])


def test_copeland_missing_child_is_left_out_of_the_contest() -> None:
    x = np.array([[[3.0, np.nan], [1, 5], [2, 0]]])
    w = np.array([0.5, 0.5])[None, None]
    # A vs B: only x1 is common -> A wins; A vs C: only x1 -> A wins; B vs C: x1 C (.5), x2 B (.5) -> tie
    np.testing.assert_allclose(A.copeland_net(x, w)[0], [2, -1, -1])
    assert np.isnan(A.copeland(x, w, missing="propagate")[0, 0])


def test_topsis_and_vikor_reweight_missing_children() -> None:
    x = np.array([[[1.0, 2.0], [2.0, np.nan], [3.0, 1.0]]])
    w = np.array([0.5, 0.5])[None, None]
    for f in (A.topsis, A.vikor):
        out = f(x, w)
        assert np.isfinite(out).all()
        assert np.isnan(f(x, w, missing="propagate")[0, 1])
    # unit 2 has only x1, which is middling: its TOPSIS closeness there is (r - r-) / (r+ - r-) on x1 alone
    r = np.array([1.0, 2.0, 3.0]) / np.sqrt(14)
    assert A.topsis(x, w)[0, 1] == pytest.approx(100 * (r[1] - r[0]) / (r[2] - r[0]))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 10), st.integers(1, 5)), elements=st.floats(0.01, 100)),
       st.data())
def test_topsis_vector_normalisation_is_invariant_to_column_scaling(m: np.ndarray, data: st.DataObject) -> None:
    k = np.array(data.draw(st.lists(st.floats(0.001, 1000), min_size=m.shape[1], max_size=m.shape[1])))
    w = np.array(data.draw(st.lists(st.floats(0.05, 1), min_size=m.shape[1], max_size=m.shape[1])))[None, None]
    np.testing.assert_allclose(A.topsis((m * k)[None], w), A.topsis(m[None], w), atol=1e-9)
    # min-max TOPSIS and VIKOR are invariant to a positive affine change (in exact arithmetic: a spread near the
    # rounding level of the shifted values, e.g. two values one ulp apart, can collapse or grow under m * k + shift)
    shift = np.array(data.draw(st.lists(st.floats(-50, 50), min_size=m.shape[1], max_size=m.shape[1])))
    t = m * k + shift
    spread, t_spread = np.ptp(m, axis=0), np.ptp(t, axis=0)
    assume((((spread == 0) & (t_spread == 0)) | (t_spread > 1e-5 * np.abs(t).max(axis=0))).all())
    np.testing.assert_allclose(A.topsis((m * k + shift)[None], w, normalisation="minmax"),
                               A.topsis(m[None], w, normalisation="minmax"), atol=1e-8)
    np.testing.assert_allclose(A.vikor((m * k + shift)[None], w), A.vikor(m[None], w), atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 10), st.integers(1, 5)), elements=st.floats(0, 100)))
def test_mcda_scores_stay_in_range(m: np.ndarray) -> None:
    w = np.ones((1, 1, m.shape[1]))
    for f in (A.topsis, A.vikor, A.copeland):
        out = f(m[None], w)
        assert ((out >= -1e-9) & (out <= 100 + 1e-9)).all()
    q = A.vikor_srq(m[None], w)[2]
    assert ((q >= 0) & (q <= 1)).all()


def test_mcda_parameters_are_checked() -> None:
    with pytest.raises(cl.RecipeError, match="0 <= v <= 1"):
        cl.Recipe.from_dict({"aggregate": {"method": "vikor", "v": 1.5}})
    with pytest.raises(cl.RecipeError, match="normalisation"):
        cl.Recipe.from_dict({"aggregate": {"method": "topsis", "normalisation": "sum"}})


def test_asem_with_topsis_at_the_pillar_level(asem: tuple[Any, Any]) -> None:
    fw, data = asem
    rc = {**ASEM_RECIPE, "aggregate": {"method": "arithmetic", "levels": {2: {"method": "topsis"}}}}
    res = cl.evaluate(fw, data, rc)
    kids = list(fw.children["Physical"])
    x = res.scores[kids].to_numpy()
    # textbook TOPSIS by hand (equal weights, vector normalisation, all benefit criteria; no missing after imputation)
    assert not np.isnan(x).any()
    v = x / np.sqrt((x**2).sum(axis=0)) / len(kids)
    d_plus = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    np.testing.assert_allclose(res.score("Physical"), 100 * d_minus / (d_plus + d_minus), rtol=1e-12)
    # the levels above stay arithmetic means of the TOPSIS pillar scores
    conn = list(fw.children["Conn"])
    np.testing.assert_allclose(res.score("Conn"), res.scores[conn].mean(axis=1), rtol=1e-12)
    assert res.rank().min() == 1


# -- batch contract: every weight and aggregate method, a batch of samples = each sample alone ------------------------
PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("weight", "ahp"): {"criteria": ["c0", "c1", "c2"], "experts": [
        {"name": "A", "matrix": [[1, 3, None], [1 / 3, 1, 2], [None, 1 / 2, 1]]},
        {"name": "B", "weight": 2, "matrix": [[1, 1 / 2, 4], [2, 1, 3], [1 / 4, 1 / 3, 1]]}]},
    ("weight", "combined"): {"subjective": "framework", "objective": {"method": "critic"}},
    ("weight", "bod"): {"lower": 0.1, "upper": 0.8},
}


def _all(stage: str) -> list[Method]:
    reg = W.METHODS if stage == "weight" else A.METHODS
    return list(reg)


@pytest.mark.parametrize(("stage", "method"), [(s, m) for s in ("weight", "aggregate") for m in _all(s)],
                         ids=lambda v: getattr(v, "name", v))
def test_batch_of_samples_equals_each_sample_alone(stage: str, method: Method) -> None:
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 100, size=(4, 9, 3))
    x[1, 3, 0] = np.nan
    x[2, :, 2] = 50.0  # a child that does not vary in one sample
    step = cl.Recipe.from_dict({stage: {"method": method.name, **PARAMS.get((stage, method.name), {})}})
    params = step.plan(stage).default.kwargs
    if stage == "weight":
        ctx = W.WeightContext("P", ("c0", "c1", "c2"))
        nominal = np.tile([1.0, 2.0, 1.0], (4, 1))
        batch = method.func(x, nominal, ctx, **params)
        alone = [method.func(x[s : s + 1], nominal[s : s + 1], ctx, **params) for s in range(4)]
        np.testing.assert_allclose(batch.sum(axis=-1), 1.0, atol=1e-9)
    else:
        w = rng.uniform(0.5, 2, size=(4, 1, 3))
        batch = method.func(x, w, **params)
        alone = [method.func(x[s : s + 1], w[s : s + 1], **params) for s in range(4)]
    for s in range(4):
        np.testing.assert_array_equal(batch[s : s + 1], alone[s], err_msg=f"{stage}.{method.name}, sample {s}")
