"""Uncertainty analysis: spaces, sampling, propagation on the sample axis (checked against a loop of evaluate()
calls), rank intervals, grade probabilities, Sobol' indices on samples, leave-one-out and recipe comparison."""

from __future__ import annotations

import itertools
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clusterleap as cl
from clusterleap._framework import Framework, Goalposts, Node
from clusterleap.robustness import (
    FrameworkChoice,
    GoalpostRange,
    GoalpostRanges,
    MethodChoice,
    Problem,
    Samples,
    Space,
    WeightNoise,
    compare_recipes,
    grade_probabilities,
    leave_one_out,
    propagate,
    uncertainty_analysis,
)
from clusterleap.robustness._problem import _pick
from tests.conftest import ASEM_RECIPE, ROOT

AsemPair = tuple[cl.Framework, cl.Dataset]


# -- a small framework with goalposts, and another tree over the same indicators --------------------------------------
def tiny_framework() -> Framework:
    return Framework.from_nodes("tiny", [
        Node("Index", None),
        Node("A", "Index", weight=2.0),
        Node("B", "Index"),
        Node("a1", "A", kind="indicator", goalposts=Goalposts(0, 10)),
        Node("a2", "A", kind="indicator", direction=-1, goalposts=Goalposts(0, 100)),
        Node("b1", "B", kind="indicator", goalposts=Goalposts(1, 5)),
        Node("b2", "B", kind="indicator", weight=3.0, goalposts=Goalposts(-2, 2, cap=False)),
    ])


def alt_framework() -> Framework:
    return Framework.from_nodes("alt", [
        Node("Top", None),
        Node("X", "Top"),
        Node("Y", "Top", weight=0.5),
        Node("a1", "X", kind="indicator", goalposts=Goalposts(0, 10)),
        Node("b1", "X", kind="indicator", goalposts=Goalposts(1, 5)),
        Node("a2", "Y", kind="indicator", direction=-1, goalposts=Goalposts(0, 100)),
        Node("b2", "Y", kind="indicator", goalposts=Goalposts(-2, 2, cap=False)),
    ])


def tiny_data() -> cl.Dataset:
    rng = np.random.default_rng(3)
    n = 9
    df = pd.DataFrame({
        "unit": [f"U{i}" for i in range(n)],
        "a1": rng.uniform(0, 10, n).round(2),
        "a2": rng.uniform(0, 100, n).round(1),
        "b1": rng.uniform(1, 5, n).round(2),
        "b2": rng.normal(0, 1, n).round(2),
    })
    df.loc[2, "a2"] = np.nan
    return cl.read_data(df)


def assert_samples_equal_evaluate(samples: Samples, which: range | list[int]) -> None:
    """Every listed sample equals a separate evaluate() of its framework and recipe: ranks exactly, scores to
    1e-12; a sample that could not be evaluated (strict checks) must be a failed one."""
    data, year = samples.problem.data, samples.problem.year
    for s in which:
        fw, recipe = samples.case(s)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", cl.DataWarning)
                res = cl.evaluate(fw, data, recipe, year)
        except cl.RecipeError:
            assert samples.failed[s]
            continue
        cols = [fw.root.code if c == samples.problem.framework.root.code else c for c in samples.nodes]
        present = [c in fw.by_code for c in cols]
        want_scores = np.full((len(data.units), len(cols)), np.nan)
        want_ranks = np.full((len(data.units), len(cols)), np.nan)
        idx = [i for i, p in enumerate(present) if p]
        want_scores[:, idx] = res.scores[[cols[i] for i in idx]].to_numpy(dtype=float)
        want_ranks[:, idx] = res.ranks[[cols[i] for i in idx]].to_numpy(dtype=float)
        np.testing.assert_allclose(samples.scores[s], want_scores, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(samples.ranks[s], want_ranks)


@pytest.fixture(scope="module")
def asem_recipe() -> cl.Recipe:
    return cl.Recipe.from_dict(ASEM_RECIPE)


# -- no uncertainty ---------------------------------------------------------------------------------------------------
def test_empty_space_collapses_every_interval_to_evaluates_rank(asem: AsemPair, asem_recipe: cl.Recipe) -> None:
    fw, data = asem
    samples = uncertainty_analysis(fw, data, asem_recipe, Space(), samples=20, seed=1)
    nominal = cl.evaluate(fw, data, asem_recipe)
    expected = nominal.ranks[list(samples.nodes)].to_numpy(dtype=float)
    np.testing.assert_array_equal(samples.nominal_ranks, expected)
    assert (samples.ranks == expected[None]).all()
    ri = samples.rank_intervals()
    for col in ("median_rank", "rank_p5", "rank_p95"):
        np.testing.assert_array_equal(ri[col], ri["nominal_rank"])
    assert (ri["mean_abs_shift"] == 0).all()
    assert samples.nodes[0] == "Index" and set(samples.nodes) == set(fw.aggregates)
    assert not samples.failed.any()


def test_all_factors_fixed_collapse_too(asem: AsemPair, asem_recipe: cl.Recipe) -> None:
    fw, data = asem
    space = Space((
        WeightNoise(0.0, level=1), WeightNoise(0.0, level=2), WeightNoise(0.0, nodes=("Conn", "Sust")),
        MethodChoice("normalise", ("nominal",)),
        MethodChoice("aggregate", ("nominal", "geometric"), (1.0, 0.0)),
        Space.switch("impute", p_on=1.0),
    ))
    samples = uncertainty_analysis(fw, data, asem_recipe, space, samples=30, seed=2, nodes="all")
    assert (samples.ranks == samples.nominal_ranks[None]).all()
    assert (samples.scores == samples.nominal_scores[None]).all()


def test_fixed_goalpost_ranges_collapse() -> None:
    fw, data = tiny_framework(), tiny_data()
    recipe = {"normalise": "goalposts"}
    space = Space((GoalpostRanges((GoalpostRange("a1", (0, 0), (10, 10)), GoalpostRange("b2", hi=(2, 2)))),))
    samples = uncertainty_analysis(fw, data, recipe, space, samples=10, seed=0, nodes="all")
    np.testing.assert_array_equal(samples.scores, np.broadcast_to(samples.nominal_scores, samples.scores.shape))


# -- propagation equals a loop of evaluate() --------------------------------------------------------------------------
def test_asem_samples_equal_a_loop_of_evaluate(asem: AsemPair, asem_recipe: cl.Recipe) -> None:
    fw, data = asem
    space = Space((
        WeightNoise(0.25, level=1),
        WeightNoise(0.25, level=2),
        WeightNoise(0.5, nodes=("Conn", "Sust")),
        MethodChoice("normalise", ("nominal", {"method": "zscore", "mean": 10, "sd": 2}, "rank")),
        MethodChoice("aggregate", ("arithmetic", "geometric")),
        Space.switch("impute"),
    ))
    problem = Problem.build(fw, data, asem_recipe, space)
    samples = propagate(problem, problem.sample(12, seed=42), chunk=5, nodes="all")
    assert len(set(map(tuple, samples.options))) >= 6  # several batches
    assert_samples_equal_evaluate(samples, range(12))


def test_goalpost_ranges_normalise_per_sample() -> None:
    fw, data = tiny_framework(), tiny_data()
    space = Space((
        GoalpostRanges((GoalpostRange("a1", (-1, 1), (9, 12)), GoalpostRange("a2", hi=(80, 120)),
                        GoalpostRange("b2", (-3, -1), (1, 3)))),
        WeightNoise(0.3),
    ))
    problem = Problem.build(fw, data, {"normalise": "goalposts"}, space)
    u = problem.sample(16, seed=5)
    d = problem.decode(u)
    assert (d.lo[:, 0] >= -1).all() and (d.lo[:, 0] <= 1).all() and (d.hi[:, 1] >= 80).all()
    assert (d.lo[:, 1] == 0).all()  # a2's lo is the framework's
    samples = propagate(problem, u, nodes="all", chunk=3)
    assert_samples_equal_evaluate(samples, range(16))
    assert np.ptp(samples.scores[:, :, samples.nodes.index("a1")], axis=0).max() > 0


def test_framework_choice_reports_the_union_of_nodes_and_the_index() -> None:
    fw, data = tiny_framework(), tiny_data()
    space = Space((FrameworkChoice((None, alt_framework())), WeightNoise(0.2, level=1)))
    problem = Problem.build(fw, data, None, space)
    samples = propagate(problem, problem.sample(20, seed=8))
    assert samples.nodes == ("Index", "A", "B", "X", "Y")
    picked = samples.options[:, 0]
    assert set(picked) == {0, 1}
    assert np.isnan(samples.scores[picked == 1][:, :, 1:3]).all()  # A, B absent in alt
    assert np.isnan(samples.nominal_scores[:, 3:]).all()  # X, Y absent in the nominal framework
    assert not samples.failed.any()
    assert_samples_equal_evaluate(samples, range(20))


def test_impossible_combinations_give_nan_and_are_counted() -> None:
    fw, data = tiny_framework(), tiny_data()
    space = Space((MethodChoice("normalise", ("nominal", "zscore")), MethodChoice("aggregate", ("arithmetic",
                                                                                             "geometric"))))
    samples = uncertainty_analysis(fw, data, None, space, samples=40, seed=4)
    table = samples.design_table()
    bad = ((table["normalise"] == "zscore") & (table["aggregate"] == "geometric")).to_numpy()
    assert bad.any() and (~bad).any()
    np.testing.assert_array_equal(samples.failed, bad)
    assert np.isnan(samples.index_shift()[bad]).all() and np.isfinite(samples.index_shift()[~bad]).all()
    ri = samples.rank_intervals()
    n_valid = ri.loc[ri.node == "Index", "n_valid"].to_numpy()
    np.testing.assert_array_equal(n_valid, (~np.isnan(samples.scores[:, :, 0])).sum(axis=0))
    assert n_valid.min() == (~bad).sum() and n_valid.max() == len(bad)  # only units with a negative child fail
    assert samples.summary()["failed_runs"] == int(bad.sum())


def test_chunks_and_worker_processes_do_not_change_results() -> None:
    fw, data = tiny_framework(), tiny_data()
    space = Space((WeightNoise(0.3), MethodChoice("aggregate", ("arithmetic", "harmonic"))))
    problem = Problem.build(fw, data, None, space)
    u = problem.sample(50, seed=9)
    one = propagate(problem, u)
    small = propagate(problem, u, chunk=1)
    pool = propagate(problem, u, chunk=7, workers=2)
    calls: list[tuple[int, int]] = []
    propagate(problem, u, chunk=10, progress=lambda d, t: calls.append((d, t)))
    for other in (small, pool):
        np.testing.assert_array_equal(one.scores, other.scores)
        np.testing.assert_array_equal(one.ranks, other.ranks)
    assert calls[-1] == (50, 50) and all(b[0] > a[0] for a, b in itertools.pairwise(calls))


# -- sampling ---------------------------------------------------------------------------------------------------------
def test_monte_carlo_samples_are_reproducible_from_the_seed() -> None:
    fw, data = tiny_framework(), tiny_data()
    space = Space((WeightNoise(0.25), MethodChoice("normalise", ("minmax", "zscore", "rank"), (0.5, 0.25, 0.25))))
    a = uncertainty_analysis(fw, data, None, space, samples=30, seed=123)
    b = uncertainty_analysis(fw, data, None, space, samples=30, seed=123)
    c = uncertainty_analysis(fw, data, None, space, samples=30, seed=124)
    np.testing.assert_array_equal(a.uniforms, b.uniforms)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert not np.array_equal(a.uniforms, c.uniforms)
    assert a.seed == 123
    np.testing.assert_array_equal(a.uniforms, np.random.default_rng(123).random((30, a.problem.dims)))


def test_decoding_weights_and_choice_frequencies() -> None:
    fw, data = tiny_framework(), tiny_data()
    space = Space((WeightNoise(0.25, level=1), WeightNoise(0.1, nodes=("A",)),
                   MethodChoice("normalise", ("minmax", "zscore", "rank"), (0.5, 0.2, 0.3))))
    problem = Problem.build(fw, data, None, space)
    assert problem.weight_codes == ("a1", "a2", "b1", "b2", "A")
    assert problem.dims == 4 + 1 + 1
    u = problem.sample(20000, seed=1)
    d = problem.decode(u)
    np.testing.assert_allclose(d.mult[:, :4], 1 + 0.25 * (2 * u[:, :4] - 1))
    assert d.mult[:, :4].min() >= 0.75 and d.mult[:, :4].max() <= 1.25 and d.mult[:, 4].max() <= 1.1
    freq = np.bincount(d.cat[:, 1], minlength=3) / len(u)
    np.testing.assert_allclose(freq, [0.5, 0.2, 0.3], atol=0.015)
    fw_s, recipe_s = problem.case(u[0])
    assert fw_s.by_code["a1"].weight == pytest.approx(1 + 0.25 * (2 * u[0, 0] - 1))
    assert fw_s.by_code["A"].weight == pytest.approx(2 * (1 + 0.1 * (2 * u[0, 4] - 1)))
    assert recipe_s.normalise.default.method == ["minmax", "zscore", "rank"][int(d.cat[0, 1])]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=6).filter(lambda w: sum(w) > 0),
       st.floats(0, 1, exclude_max=True))
def test_pick_follows_cumulative_probabilities(weights: list[int], u: float) -> None:
    p = np.array(weights, dtype=float) / sum(weights)
    cum = np.cumsum(p)
    j = int(_pick(np.array([u]), cum)[0])
    lo = cum[j - 1] if j else 0.0
    assert p[j] > 0 and lo <= u < (cum[j] if j < len(p) - 1 else 1.0)


# -- outputs ----------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def noisy_tiny() -> Samples:
    space = Space((WeightNoise(0.5), MethodChoice("normalise", ("minmax", "zscore"))))
    return uncertainty_analysis(tiny_framework(), tiny_data(), None, space, samples=200, seed=11)


def test_rank_intervals_by_hand(noisy_tiny: Samples) -> None:
    s = noisy_tiny
    ri = s.rank_intervals().set_index(["node", "unit"])
    u = s.units.index("U4")
    ranks = s.ranks[:, u, 0]
    row = ri.loc[("Index", "U4")]
    assert row["median_rank"] == np.median(ranks)
    assert row["rank_p5"] == np.quantile(ranks, 0.05) and row["rank_p95"] == np.quantile(ranks, 0.95)
    assert row["mean_abs_shift"] == pytest.approx(np.mean(np.abs(ranks - s.nominal_ranks[u, 0])))
    assert row["nominal_rank"] == cl.evaluate(tiny_framework(), tiny_data()).rank("Index")["U4"]
    assert row["level"] == 3 and ri.loc[("A", "U4"), "level"] == 2
    shift = s.index_shift()
    assert shift[7] == pytest.approx(np.mean(np.abs(s.ranks[7, :, 0] - s.nominal_ranks[:, 0])))
    other = s.rank_intervals((0.25, 0.75)).set_index(["node", "unit"])
    assert other.loc[("Index", "U4"), "rank_p25"] == np.quantile(ranks, 0.25)


def test_grade_probabilities_with_a_threshold_grader(noisy_tiny: Samples) -> None:
    s = noisy_tiny

    def grader(frame: pd.DataFrame) -> pd.Series:
        return pd.Series(np.where(frame["Index"] >= 50, "high", "low"), index=frame.index)

    probs = grade_probabilities(s, grader, labels=["top", "high", "low"])
    high = (s.scores[:, :, 0] >= 50).mean(axis=0)
    np.testing.assert_allclose(probs["high"], high)
    np.testing.assert_allclose(probs["high"] + probs["low"], 1.0)
    assert (probs["top"] == 0).all() and list(probs.columns) == ["nominal", "top", "high", "low"]
    assert list(probs["nominal"]) == list(np.where(s.nominal_scores[:, 0] >= 50, "high", "low"))


def test_sobol_on_samples_zero_for_a_factor_that_does_nothing() -> None:
    fw, data = tiny_framework(), tiny_data()
    space = Space((WeightNoise(0.4, level=1), WeightNoise(0.0, level=2, name="still"),
                   MethodChoice("aggregate", ("arithmetic", "geometric"))))
    samples = uncertainty_analysis(fw, data, None, space, samples=64, seed=3, sobol=True)
    assert samples.n == 64 * 5 and len(samples.rows) == 128
    table = samples.sobol().set_index("factor")
    assert list(table.index) == ["weights level 1", "still", "aggregate"]
    assert table.loc["still", "S1"] == 0 and table.loc["still", "ST"] == 0
    assert table.loc["weights level 1", "ST"] > 0 and table.loc["aggregate", "ST"] > 0
    units = samples.sobol("units")
    assert len(units) == 3 * len(data.units) and set(units["unit"]) == set(data.units)
    again = uncertainty_analysis(fw, data, None, space, samples=64, seed=3, sobol=True).sobol()
    pd.testing.assert_frame_equal(again, samples.sobol())
    with pytest.raises(cl.SpaceError, match="Saltelli"):
        uncertainty_analysis(fw, data, None, space, samples=4, seed=3).sobol()


def test_leave_one_out_equals_evaluate_without_the_indicator(asem: AsemPair, asem_recipe: cl.Recipe) -> None:
    fw, data = asem
    table = leave_one_out(fw, data, asem_recipe)
    assert len(table) == len(fw.indicators) * len(data.units)
    nominal = cl.evaluate(fw, data, asem_recipe)
    for code in ("LPI", "TBTs", "Forest"):
        reduced = Framework.from_nodes(fw.name, [n for n in fw.nodes if n.code != code])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cl.DataWarning)
            res = cl.evaluate(reduced, data, asem_recipe)
        rows = table[table.removed == code].set_index("unit")
        np.testing.assert_array_equal(rows["rank"], res.rank().loc[rows.index].to_numpy(dtype=float))
        np.testing.assert_allclose(rows["score"], res.score().loc[rows.index], rtol=0, atol=1e-12)
        np.testing.assert_array_equal(rows["shift"], rows["rank"] - nominal.rank().loc[rows.index].to_numpy())


def test_leave_one_out_prunes_an_aggregate_left_empty() -> None:
    fw = Framework.from_nodes("t", [
        Node("I", None), Node("P", "I"), Node("Q", "I"),
        Node("p1", "P", kind="indicator"), Node("p2", "P", kind="indicator"), Node("q1", "Q", kind="indicator"),
    ])
    data = cl.read_data(pd.DataFrame({"unit": list("abcde"), "p1": [1, 2, 3, 4, 5], "p2": [5, 3, 4, 1, 2],
                                      "q1": [2, 2, 9, 1, 0]}))
    table = leave_one_out(fw, data).set_index(["removed", "unit"])
    # without q1, Q is empty and goes: the index is the mean of p1 and p2's min-max scores, i.e. P
    p = cl.evaluate(fw, data).score("P")
    np.testing.assert_allclose(table.loc["q1", "score"].to_numpy(), p.to_numpy())


def test_compare_two_recipes(asem: AsemPair, asem_recipe: cl.Recipe) -> None:
    fw, data = asem
    other = cl.Recipe.from_dict({**ASEM_RECIPE, "normalise": {"method": "zscore"}})
    table = compare_recipes(fw, data, asem_recipe, other)
    a, b = cl.evaluate(fw, data, asem_recipe), cl.evaluate(fw, data, other)
    assert list(table.index[:3]) == list(a.ranking().index[:3])
    np.testing.assert_array_equal(table["rank_b"], b.rank().loc[table.index].to_numpy(dtype=float))
    np.testing.assert_array_equal(table["shift"], table["rank_b"] - table["rank_a"])
    assert table["shift"].abs().sum() > 0
    names = dict(zip(a.data.units, a.data.names, strict=True))
    assert list(table["name"]) == [names[u] for u in table.index]  # each name beside its own unit


# -- spaces: files, and errors that name the place --------------------------------------------------------------------
def test_space_from_yaml_and_back(tmp_path: Any) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(
        "name: s\nfactors:\n"
        "  - weights: {level: 1, noise: 0.2}\n"
        "  - {name: norm, choice: {stage: normalise, options: [nominal, {method: zscore, mean: 10, sd: 2}],"
        " probabilities: [0.7, 0.3]}}\n"
        "  - switch: impute\n"
        "  - frameworks: {options: [nominal, alt.yaml]}\n"
        "  - goalposts: {a1: {lo: [0, 1], hi: [9, 10]}}\n",
        encoding="utf-8",
    )
    (tmp_path / "alt.yaml").write_text(
        "name: alt\ntree:\n  code: Top\n  children:\n    - {code: X, children: [a1, b1]}\n"
        "    - {code: Y, children: [a2, b2]}\nindicators:\n  a1: {goalposts: [0, 10]}\n  b1: {}\n"
        "  a2: {direction: -1}\n  b2: {}\n", encoding="utf-8")
    space = Space.from_yaml(path)
    assert space.labels == ("weights level 1", "norm", "impute", "framework", "goalposts")
    choice = space.factors[1]
    assert isinstance(choice, MethodChoice) and choice.probabilities == (0.7, 0.3)
    assert space.factors[2].probabilities == (0.5, 0.5)  # type: ignore[union-attr]
    again = Space.from_dict({"factors": [f for f in space.to_dict()["factors"] if "frameworks" not in f]})
    assert again.labels == ("weights level 1", "norm", "impute", "goalposts")
    problem = Problem.build(tiny_framework(), tiny_data(), None, space)
    assert [f.name for f in problem.frameworks] == ["tiny", "alt"]


def _space_blocks() -> list[str]:
    text = (ROOT / "docs" / "robustness.md").read_text(encoding="utf-8")
    return re.findall(r"<!-- example: space -->\s*```yaml\n(.*?)```", text, re.S)


def test_docs_space_examples_load() -> None:
    import yaml

    blocks = _space_blocks()
    assert blocks
    for block in blocks:
        assert Space.from_dict(yaml.safe_load(block)).factors


@pytest.mark.parametrize(("spec", "message"), [
    ([], "expected a mapping with a 'factors' list"),
    ({"factor": []}, "unknown key 'factor' (did you mean \"factors\"?)"),
    ({"factors": [{"wieghts": {"noise": 0.1}}]}, "factor 1: unknown key 'wieghts' (did you mean \"weights\"?)"),
    ({"factors": [{"weights": {"level": 1}}]}, "factor 1, weights: no 'noise'"),
    ({"factors": [{"weights": {"noise": 1.5}}]}, "factor 1 ('weights'): noise 1.5 must be a number in [0, 1)"),
    ({"factors": [{"weights": {"noise": 0.1, "level": 1, "nodes": ["A"]}}]}, "either 'level' or 'nodes'"),
    ({"factors": [{"choice": {"stage": "normalize", "options": ["zscore"]}}]},
     "stage 'normalize' cannot be varied (did you mean \"normalise\"?)"),
    ({"factors": [{"choice": {"stage": "normalise", "options": ["zscor"]}}]},
     "unknown normalise method 'zscor'"),
    ({"factors": [{"choice": {"stage": "normalise", "options": ["minmax", "zscore"], "probabilities": [0.5, 0.6]}}]},
     "probabilities sum to 1.1 (expected 1)"),
    ({"factors": [{"choice": {"stage": "normalise", "options": ["minmax"], "probabilities": [0.5, 0.5]}}]},
     "2 probabilities for 1 options"),
    ({"factors": [{"switch": {"stage": "normalise"}}]}, "stage 'normalise' cannot be switched off"),
    ({"factors": [{"choice": {"stage": "aggregate", "options": ["geometric"]}},
                  {"choice": {"stage": "aggregate", "options": ["harmonic"]}}]},
     "space.yaml: two factors are named 'aggregate'"),
    ({"factors": [{"goalposts": {"a1": {"lo": [0, 5], "hi": [4, 10]}}}]}, "overlaps hi range"),
    ({"factors": [{"choice": {"stage": "normalise"}}]}, "needs 'stage' and 'options'"),
    ({"factors": [{"weights": {"noise": 0.1}, "choice": {}}]}, "expected exactly one of the keys"),
    ({"factors": [{"frameworks": {"options": ["no-such-framework"]}}]}, "factor 1, frameworks, option 1"),
    ({"factors": [{"choice": {"stage": "normalise", "options": ["nominal", {"method": "minmax", "lo": 5, "hi": 1}]}}]},
     "factor 1 ('normalise'), option 2: method 'minmax': needs lo < hi"),
    ({"factors": [{"choice": {"stage": "treat", "options": [{"method": "winsorise", "upper": "high"}]}}]},
     "parameter 'upper' is 'high' (expected float)"),
])
def test_space_errors_name_the_place(spec: Any, message: str) -> None:
    with pytest.raises(cl.SpaceError) as exc:
        Space.from_dict(spec, "space.yaml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("space.yaml")


@pytest.mark.parametrize(("factor", "message"), [
    (WeightNoise(0.1, level=3), "no weighted node at level 3"),
    (WeightNoise(0.1, nodes=("Z",)), "node 'Z' is in no framework"),
    (WeightNoise(0.1, nodes=("Index",)), "'Index' is the root"),
    (GoalpostRanges((GoalpostRange("zz", (0, 1), (2, 3)),)), "'zz' is not an indicator"),
    (GoalpostRanges((GoalpostRange("a1", hi=(-1, 0)),)), "reaches hi range"),
    (MethodChoice("aggregate", ({"method": "arithmetic", "nodes": {"a1": "geometric"}},)), "is an indicator"),
])
def test_space_errors_against_the_framework(factor: Any, message: str) -> None:
    space = Space((WeightNoise(0.1, nodes=("a1",), name="w"), factor))
    with pytest.raises(cl.SpaceError, match=re.escape(message)):
        Problem.build(tiny_framework(), tiny_data(), None, space)


def test_overlapping_weight_factors_are_an_error() -> None:
    space = Space((WeightNoise(0.1, level=1), WeightNoise(0.2, nodes=("b1",))))
    with pytest.raises(cl.SpaceError, match="the weight of 'b1' is already varied by factor 'weights level 1'"):
        Problem.build(tiny_framework(), tiny_data(), None, space)
