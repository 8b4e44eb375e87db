"""Properties of the kernels that vectorised propagation leans on: a sample's scores do not depend on how many other
samples are computed with it (bit for bit), and ranks agree with scipy's rankdata."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from clusterleap._framework import Framework, Node
from clusterleap._pipeline import aggregate_tree, node_weights
from clusterleap._recipe import Plan, Recipe, Step
from clusterleap.stages._arrays import rank_ascending
from clusterleap.stages.aggregate import METHODS as AGGREGATE

MEANS = ["arithmetic", "geometric", "harmonic", "power"]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(2, 9), st.integers(0, 2**32 - 1), st.booleans(),
       st.sampled_from(["reweight", "propagate"]), st.sampled_from(MEANS))
def test_a_sample_scores_the_same_alone_or_in_a_batch(children: int, samples: int, seed: int, gaps: bool,
                                                      missing: str, method: str) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (1, 7, children))
    if gaps:
        x[rng.random(x.shape) < 0.2] = np.nan
    w = rng.uniform(0.5, 1.5, (samples, 1, children))
    w /= w.sum(axis=-1, keepdims=True)
    func = AGGREGATE.get(method).func
    batch = func(x, w, missing=missing)
    assert batch.shape == (samples, 7)
    for s in range(samples):
        np.testing.assert_array_equal(func(x, w[s : s + 1], missing=missing)[0], batch[s])
        # the same sample with its children laid out per sample (as a gather from a score table gives them)
        full = np.ascontiguousarray(np.broadcast_to(x, (1, 7, children)))
        np.testing.assert_array_equal(func(full, w[s : s + 1], missing=missing)[0], batch[s])


def test_weighted_means_by_hand() -> None:
    x = np.array([[[1.0, 4.0, 16.0], [2.0, np.nan, 8.0]]])
    w = np.array([[[0.25, 0.25, 0.5]]])
    arith = AGGREGATE.get("arithmetic").func(x, w)
    geo = AGGREGATE.get("geometric").func(x, w)
    assert arith[0, 0] == pytest.approx(0.25 + 1 + 8)
    assert arith[0, 1] == pytest.approx((0.5 + 4) / 0.75)
    assert geo[0, 0] == pytest.approx(1**0.25 * 4**0.25 * 16**0.5)
    assert geo[0, 1] == pytest.approx((2**0.25 * 8**0.5) ** (1 / 0.75))
    assert np.isnan(AGGREGATE.get("arithmetic").func(x, w, missing="propagate")[0, 1])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 40), st.integers(1, 6), st.integers(0, 2**32 - 1),
       st.sampled_from(["min", "max", "average", "dense"]))
def test_ranks_agree_with_scipy(samples: int, units: int, levels: int, seed: int, ties: str) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, (samples, units, 3)).astype(float)  # few levels: many ties
    x[rng.random(x.shape) < 0.15] = np.nan
    if seed % 2:
        x += rng.random(x.shape) * 1e-3  # and, half the time, no ties at all
    r = rank_ascending(x, ties)
    for s in range(samples):
        for k in range(3):
            col = x[s, :, k]
            want = rankdata(col, method=ties, nan_policy="omit")
            np.testing.assert_array_equal(r[s, :, k], want)


def wide_framework() -> tuple[Framework, int]:
    """Index -> A (9 indicators), B (12 indicators), C (2 indicators): sums over 8 or more children are where
    numpy's summation order depends on array layout."""
    nodes = [Node("I", None), Node("A", "I"), Node("B", "I", weight=2.0), Node("C", "I")]
    sizes = {"A": 9, "B": 12, "C": 2}
    for parent, n in sizes.items():
        nodes += [Node(f"{parent.lower()}{i}", parent, kind="indicator", weight=1.0 + i / 10) for i in range(n)]
    return Framework.from_nodes("wide", nodes), sum(sizes.values())


@pytest.mark.parametrize("method", [*MEANS, "topsis", "vikor", "copeland"])
@pytest.mark.parametrize("gaps", [False, True])
def test_aggregate_tree_scores_a_sample_the_same_alone_or_in_a_batch(method: str, gaps: bool) -> None:
    """Per-sample weights with indicator values shared by all samples (what propagation passes)."""
    fw, n_ind = wide_framework()
    rng = np.random.default_rng(5)
    normalised = rng.uniform(1, 100, (1, 15, n_ind))
    if gaps:
        normalised[rng.random(normalised.shape) < 0.1] = np.nan
    recipe = Recipe(aggregate=Plan(Step(method)))
    weights = node_weights(fw) * rng.uniform(0.75, 1.25, (40, len(fw.order)))
    batch, _ = aggregate_tree(fw, normalised, recipe, weights, strict=False)
    assert batch.shape == (40, 15, len(fw.order))
    for s in range(40):
        alone, _ = aggregate_tree(fw, normalised, recipe, weights[s : s + 1], strict=False)
        if method in MEANS:
            np.testing.assert_array_equal(alone[0], batch[s])
        else:
            np.testing.assert_allclose(alone[0], batch[s], rtol=0, atol=1e-12)
