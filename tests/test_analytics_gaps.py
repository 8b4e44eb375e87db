"""Gaps: parts add up exactly to the total gap; hand-computed arithmetic and geometric cases; Shapley values;
targets normalised like the data; references and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clusterleap as cl
from clusterleap.analysis._gaps import gaps, reaggregate, unit_hint
from clusterleap.analysis._shapley import _path_average, shapley
from clusterleap.errors import DataError
from clusterleap.stages.aggregate import arithmetic, geometric
from conftest import ASEM_RECIPE


def _flat(weights: tuple[float, float] = (1.0, 1.0), target: float | None = None) -> cl.Framework:
    return cl.Framework.from_nodes("flat", [
        cl.Node("I", None),
        cl.Node("x1", "I", kind="indicator", weight=weights[0], target=target),
        cl.Node("x2", "I", kind="indicator", weight=weights[1]),
    ])


def _data() -> cl.Dataset:
    # min-max over the units leaves these values unchanged: both indicators span 0..100
    df = pd.DataFrame({"unit": ["Z", "U", "R"], "x1": [0.0, 25.0, 100.0], "x2": [0.0, 100.0, 25.0],
                       "benchmark": [False, False, True]})
    return cl.read_data(df)


def test_arithmetic_parts_are_effective_weight_times_difference() -> None:
    r = cl.evaluate(_flat((1.0, 3.0)), _data())
    g = gaps(r, "R")
    # U: 0.25 * 25 + 0.75 * 100 = 81.25; R: 0.25 * 100 + 0.75 * 25 = 43.75
    assert g.summary.loc["U", "score"] == pytest.approx(81.25)
    assert g.summary.loc["U", "reference"] == pytest.approx(43.75)
    assert g.contribution.loc["U", "x1"] == pytest.approx(0.25 * 75)
    assert g.contribution.loc["U", "x2"] == pytest.approx(0.75 * -75)
    assert g.contribution.loc["U", "I"] == pytest.approx(-37.5)
    assert g.gap.loc["U", "I"] == pytest.approx(-37.5)


def test_geometric_parts_are_shapley_values() -> None:
    """Index = sqrt(x1 x2). U (25, 100) and R (100, 25) both score 50: the gap is 0, but x1 is worth
    ((100 - 50) + (50 - 25)) / 2 = 37.5 to U and x2 -37.5, the Shapley values of switching each indicator."""
    r = cl.evaluate(_flat(), _data(), cl.Recipe(aggregate="geometric"))
    g = gaps(r, "R")
    assert g.summary.loc["U", "gap"] == pytest.approx(0.0, abs=1e-12)
    assert g.contribution.loc["U", "x1"] == pytest.approx(37.5)
    assert g.contribution.loc["U", "x2"] == pytest.approx(-37.5)
    # and for Z (0, 0), the geometric mean stays 0 until both are switched: each gets half of the gap of 50
    assert g.contribution.loc["Z", "x1"] == pytest.approx(25.0)
    assert g.contribution.loc["Z", "x2"] == pytest.approx(25.0)


def test_shapley_and_path_average_sum_to_the_difference() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.uniform(1, 100, (6, 5)), rng.uniform(1, 100, (6, 5))
    w = np.array([[[1.0, 2, 3, 1, 1]]])
    for agg in (arithmetic, geometric):
        total = agg(b[None], w)[0] - agg(a[None], w)[0]
        for phi in (shapley(agg, a, b, w), _path_average(agg, a, b, w)):
            assert np.allclose(phi.sum(axis=1), total, atol=1e-10)
    # arithmetic: both are w_c (b_c - a_c) / sum(w)
    expect = (b - a) * w[0] / w.sum()
    assert np.allclose(shapley(arithmetic, a, b, w), expect)
    assert np.allclose(_path_average(arithmetic, a, b, w), expect)


def _tree(n_dims: int, n_ind: int) -> cl.Framework:
    nodes = [cl.Node("I", None)]
    for d in range(n_dims):
        nodes.append(cl.Node(f"D{d}", "I", weight=1.0 + d))
        for j in range(n_ind):
            nodes.append(cl.Node(f"x{d}_{j}", f"D{d}", kind="indicator", weight=1.0 + (j % 3)))
    return cl.Framework.from_nodes("tree", nodes)


def _random_data(fw: cl.Framework, seed: int, units: int = 8, missing: float = 0.0) -> cl.Dataset:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.lognormal(1, 0.7, (units, len(fw.indicators))), columns=list(fw.indicators))
    if missing:
        df = df.mask(rng.uniform(size=df.shape) < missing)
    df.insert(0, "unit", [f"u{i}" for i in range(units)])
    df["benchmark"] = [i < 2 for i in range(units)]
    return cl.read_data(df)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["arithmetic", "geometric", "harmonic"]),
       st.sampled_from(["median", "best", "u0"]), st.sampled_from([0.0, 0.1]))
def test_parts_add_up_exactly_to_the_total_gap(seed: int, agg: str, ref: str, missing: float) -> None:
    fw = _tree(3, 3)
    recipe = cl.Recipe(aggregate={"method": "arithmetic", "levels": {3: agg}},  # type: ignore[arg-type]
                       normalise={"method": "minmax", "lo": 1, "hi": 100})  # type: ignore[arg-type]
    r = cl.evaluate(fw, _random_data(fw, seed, missing=missing), recipe)
    g = gaps(r, ref)
    c = g.contribution
    total = g.gap["I"]
    ok = total.notna()
    assert np.allclose(c.loc[ok, list(fw.indicators)].sum(axis=1), total[ok], atol=1e-9)
    for node in fw.aggregates:  # every node's part is the sum of its children's
        kids = list(fw.children[node])
        assert np.allclose(c.loc[ok, kids].sum(axis=1), c.loc[ok, node], atol=1e-9)


def test_many_children_use_the_exact_path_average() -> None:
    fw = _tree(1, 16)  # 16 indicators under one aspect: more than the Shapley enumeration limit
    r = cl.evaluate(fw, _random_data(fw, 3), cl.Recipe(aggregate="geometric",
                                                       normalise={"method": "minmax", "lo": 1, "hi": 100}))  # type: ignore[arg-type]
    g = gaps(r, "best")
    assert np.allclose(g.contribution[list(fw.indicators)].sum(axis=1), g.gap["I"], atol=1e-9)


def test_reaggregate_reproduces_the_scores(asem: tuple[object, object]) -> None:
    fw, ds = asem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        r = cl.evaluate(fw, ds, ASEM_RECIPE)  # type: ignore[arg-type]
    again = reaggregate(r, r.prepared.normalised)[0]
    assert np.array_equal(np.isnan(again), np.isnan(r.score_array))
    assert np.nanmax(np.abs(again - r.score_array)) == 0.0
    g = gaps(r, "SGP")
    assert np.allclose(g.summary["gap"], r.scores.loc["SGP", "Index"] - r.scores["Index"], atol=1e-12)
    # all ASEM weights are 1 and aggregation arithmetic: parts are effective weights times differences
    eff = r.weights.loc[list(fw.indicators), "effective"].to_numpy()  # type: ignore[attr-defined]
    x = r.prepared.normalised[0]
    expect = eff * (x[r.units.index("SGP")] - x)
    assert np.allclose(g.contribution[list(fw.indicators)].to_numpy(), expect, atol=1e-10)


def test_targets_are_normalised_like_the_data() -> None:
    fw = _flat(target=50.0)
    df = pd.DataFrame({"unit": ["A", "B", "C"], "x1": [0.0, 100.0, 20.0], "x2": [0.0, 100.0, 40.0]})
    r = cl.evaluate(fw, cl.read_data(df))
    g = gaps(r, "targets")
    # x1's target 50 sits at 50 on the min-max scale of the data (0..100); x2 has no target and adds no gap
    assert g.reference.loc["C", "x1"] == pytest.approx(50.0)
    assert g.reference.loc["C", "x2"] == pytest.approx(40.0)
    assert g.contribution.loc["C", "x1"] == pytest.approx(0.5 * 30)
    assert g.contribution.loc["C", "x2"] == 0.0
    assert g.contribution.loc["B", "x1"] == pytest.approx(0.5 * -50)  # beyond the target: a negative gap


def test_for_unit_rows_and_errors() -> None:
    r = cl.evaluate(_flat((1.0, 3.0)), _data())
    g = gaps(r, "median")  # one benchmark: R itself
    rows = g.for_unit("U")
    assert rows.loc["x1", "contribution"] == g.contribution.loc["U", "x1"]
    assert rows.loc["I", "share"] == pytest.approx(1.0)
    with pytest.raises(DataError, match='did you mean "U"'):
        g.for_unit("UU")
    with pytest.raises(DataError, match="no unit 'Q'"):
        gaps(r, "Q")
    no_bench = cl.evaluate(_flat(), cl.read_data(pd.DataFrame({"unit": ["a", "b"], "x1": [1.0, 2], "x2": [1.0, 3]})))
    with pytest.raises(DataError, match="need benchmark units"):
        gaps(no_bench, "best")
    with pytest.raises(DataError, match="gives no world-class targets"):
        gaps(no_bench, "targets")
    sub = gaps(r, "R", units=["U"])
    assert list(sub.summary.index) == ["U"]


def test_aggregations_that_compare_units_are_decomposed_unit_by_unit() -> None:
    """TOPSIS scores a unit against the others: a unit's reference is scored in its place, the others unchanged."""
    from clusterleap.analysis import marginal_gains

    fw = _tree(2, 3)
    r = cl.evaluate(fw, _random_data(fw, 5), cl.Recipe(aggregate={"method": "arithmetic",  # type: ignore[arg-type]
                                                                   "levels": {3: "topsis"}}))
    g = gaps(r, "u0")
    assert np.allclose(g.contribution[list(fw.indicators)].sum(axis=1), g.gap["I"], atol=1e-9)
    assert g.gap.loc["u0", "I"] == pytest.approx(0.0, abs=1e-12)
    x = r.prepared.normalised.copy()
    x[0, 5] = x[0, 0]  # u5 with u0's normalised indicators, everyone else as they are
    assert g.reference.loc["u5", "I"] == pytest.approx(reaggregate(r, x)[0, 5, 0])
    gains = marginal_gains(r, delta=0.5)
    y = r.prepared.normalised.copy()
    y[0, 3, 2] += 0.5
    expect = (reaggregate(r, y)[0, 3, 0] - r.scores.loc["u3", "I"]) / 0.5
    assert gains.loc["u3", fw.indicators[2]] == pytest.approx(expect)


def test_unknown_units_get_a_hint_not_every_code() -> None:
    codes = [f"U{i:03d}" for i in range(200)]
    hint = unit_hint("NOPE", codes, ("best", "median", "targets"))
    assert hint == (" (expected best, median, targets or one of the 200 unit codes: U000, U001, U002, U003, U004, "
                    "U005, U006, U007, ...)")
    assert unit_hint("U0077", codes) == ' (did you mean "U077"?)'
    assert unit_hint("medain", codes, ("best", "median", "targets")) == ' (did you mean "median"?)'
    assert unit_hint("Q", ["A", "B"]) == " (expected one of the 2 unit codes: A, B)"
    df = pd.DataFrame({"unit": codes, "x1": np.arange(200.0), "x2": np.arange(200.0)[::-1]})
    r = cl.evaluate(_flat(), cl.read_data(df))
    with pytest.raises(DataError) as err:
        gaps(r, "NOPE")
    assert "200 unit codes" in str(err.value) and "U008" not in str(err.value)


def test_the_reference_is_described_in_both_languages() -> None:
    df = pd.DataFrame({"unit": ["Z", "U", "R"], "name": ["Zed", "You", "Ref"], "name_zh": ["甲", "乙", "标杆丙"],
                       "x1": [0.0, 25.0, 100.0], "x2": [0.0, 100.0, 25.0], "benchmark": [False, False, True]})
    r = cl.evaluate(_flat(), cl.read_data(df))
    named = gaps(r, "R")
    assert named.description == named.describe("en") == "benchmark R (Ref)"
    assert named.description_zh == named.describe("zh") == "标杆集群 R（标杆丙）"  # the name_zh column
    med = gaps(r, "median")
    assert med.describe("zh") == "各指标的标杆集群中位数" and med.describe() == "the benchmark median on each indicator"
