"""Regression tests for method defects: AHP beyond 15 criteria, optimised weights that miss their target, the gap
decomposition beyond 14 children and its memory, coupling coordination on recipes without a fixed range, warnings
that were swallowed, and linear panel imputation on unequally spaced years."""

from __future__ import annotations

import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap import ahp
from clusterleap.analysis import _gaps as gaps_mod
from clusterleap.analysis import _shapley as shapley_mod
from clusterleap.analysis import coupling_coordination, dimension_scale, trends
from clusterleap.cli import app
from clusterleap.cli.app import shown_once
from clusterleap.errors import MethodWarning
from clusterleap.stages import impute
from clusterleap.stages import weight as W
from clusterleap.stages._arrays import quiet
from clusterleap.stages.aggregate import arithmetic, geometric
from clusterleap.stages.impute import ImputeContext


# -- AHP beyond Saaty's table ----------------------------------------------------------------------------------------
def _perturbed(n: int, spread: float, seed: int) -> np.ndarray:
    """A reciprocal matrix from priorities 1..n with multiplicative noise on the judgements, kept on Saaty's scale."""
    rng = np.random.default_rng(seed)
    w = np.linspace(1, 3, n)
    a = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            v = float(np.clip(w[i] / w[j] * np.exp(rng.normal(0, spread)), 1 / 9, 9))
            a[i, j], a[j, i] = v, 1 / v
    return a


def test_random_index_beyond_fifteen_is_alonso_lamata() -> None:
    assert ahp.random_index(15) == 1.59  # Saaty's table as before
    for n in (16, 20, 40):
        assert ahp.random_index(n) == pytest.approx((1.7699 * n - 4.3513) / (n - 1))
    assert ahp.random_index(16) == pytest.approx(1.5978, abs=1e-4)
    # the formula meets Saaty's table where it ends
    assert ahp.alonso_lamata_ri(15) == pytest.approx(1.59, abs=0.005)


def test_inconsistent_matrices_of_many_criteria_are_not_acceptable() -> None:
    bad = ahp.priorities(_perturbed(18, 1.5, 1))
    assert np.isfinite(bad.cr) and bad.cr > 0.1 and not bad.acceptable
    good = ahp.priorities(_perturbed(18, 0.0, 1))
    assert good.cr == pytest.approx(0.0, abs=1e-9) and good.acceptable
    # a CR that is not a number is never acceptable
    nan = ahp.Judged(np.ones(3) / 3, np.nan, np.nan, np.nan, np.eye(3), 0)
    assert not nan.acceptable


def test_weight_stage_flags_inconsistency_of_sixteen_children() -> None:
    n = 16
    kids = tuple(f"c{i}" for i in range(n))
    m = _perturbed(n, 1.5, 2)
    params = {"criteria": list(kids), "experts": [{"name": "A", "matrix": m.tolist()}]}
    step = cl.Recipe(weight={"method": "ahp", **params}).weight.default  # type: ignore[arg-type]
    with pytest.warns(cl.DataWarning, match=r"node 'P', ahp: judgements fail Saaty's consistency rule .*CR \d"):
        W.ahp(np.ones((1, 3, n)), np.ones((1, n)), W.WeightContext("P", kids), **step.kwargs)


# -- optimised weights -------------------------------------------------------------------------------------------------
def _correlated(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=40)
    return np.c_[base + rng.normal(size=40) * 0.5, base + rng.normal(size=40) * 0.5, rng.normal(size=40),
                 rng.normal(size=40)] * 10 + 50


def test_optimised_weights_say_when_the_target_is_not_reached() -> None:
    xs = _correlated()
    ctx = W.WeightContext("P", ("a", "b", "c", "d"))
    with pytest.warns(MethodWarning) as got:
        w = W.optimised(xs[None], np.ones((1, 4)), ctx, target=(0.7, 0.1, 0.1, 0.1))
    assert len(got) == 1
    msg = str(got[0].message)
    o = W.optimise_weights(xs, np.array([0.7, 0.1, 0.1, 0.1]))
    np.testing.assert_array_equal(w[0, 0], o.weights)
    assert np.max(np.abs(o.importances - o.target)) > 0.1  # what the data allow is far from the target
    achieved = "(" + ", ".join(f"{v:.2f}" for v in o.importances) + ")"
    assert "weight, node 'P', optimised" in msg and "(0.70, 0.10, 0.10, 0.10)" in msg and achieved in msg
    assert "because no non-negative weights give these importances" in msg
    # a reachable target: no warning
    x = np.array([[[1.0, 2.0], [2.0, 4.0], [3.0, 0.0], [4.0, 3.0], [5.0, 1.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", MethodWarning)
        W.optimised(x, np.ones((1, 2)), W.WeightContext("Q", ("a", "b")), target=(3.0, 1.0))


def test_optimised_warns_once_for_many_samples() -> None:
    xs = np.stack([_correlated(s) for s in range(3)])
    with pytest.warns(MethodWarning) as got:
        W.optimised(xs, np.ones((3, 4)), W.WeightContext("P", ("a", "b", "c", "d")), target=(0.7, 0.1, 0.1, 0.1))
    assert len(got) == 1 and "not reached in 3 of 3 samples" in str(got[0].message)


# -- gaps ----------------------------------------------------------------------------------------------------------
def _tree(n_ind: int) -> cl.Framework:
    nodes = [cl.Node("I", None), cl.Node("D", "I")]
    nodes += [cl.Node(f"x{j}", "D", kind="indicator", weight=1.0 + (j % 3)) for j in range(n_ind)]
    return cl.Framework.from_nodes("tree", nodes)


def _result(n_ind: int) -> cl.Result:
    fw = _tree(n_ind)
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.lognormal(1, 0.7, (8, n_ind)), columns=list(fw.indicators))
    df.insert(0, "unit", [f"u{i}" for i in range(8)])
    df["benchmark"] = [i < 2 for i in range(8)]
    return cl.evaluate(fw, cl.read_data(df), cl.Recipe(aggregate="geometric",  # type: ignore[arg-type]
                                                      normalise={"method": "minmax", "lo": 1, "hi": 100}))  # type: ignore[arg-type]


def test_gaps_name_the_path_average_beyond_fourteen_children() -> None:
    with pytest.warns(MethodWarning, match=r"gaps: the parts of D \(16 children, geometric aggregation\) .* not by "
                                           r"Shapley values .* add up to the gap$"):
        g = gaps_mod.gaps(_result(16), "best")
    assert g.decomposition == {"I": "Shapley", "D": "path average"}
    assert g.approximated == ["D"]
    assert np.allclose(g.contribution[[f"x{j}" for j in range(16)]].sum(axis=1), g.gap["I"], atol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MethodWarning)
        small = gaps_mod.gaps(_result(5), "best")
    assert small.decomposition == {"I": "Shapley", "D": "Shapley"} and small.approximated == []


def test_shapley_enumeration_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    c, u = 12, 100
    a, b = rng.uniform(1, 100, (u, c)), rng.uniform(1, 100, (u, c))
    w = np.ones((1, 1, c))
    whole = shapley_mod.shapley(geometric, a, b, w)  # the default bound holds 2^12 x 100 x 12 at once (39 MB)
    budget = 4 * 2**20
    monkeypatch.setattr(shapley_mod, "MAX_SHAPLEY_BYTES", budget)
    tracemalloc.start()
    try:
        chunked = shapley_mod.shapley(geometric, a, b, w)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-12)
    assert peak < 4 * budget, f"peak {peak / 2**20:.1f} MiB for a bound of {budget / 2**20:.0f} MiB"
    # per-unit weights are chunked with their units
    wu = rng.uniform(0.5, 2, (1, u, c))
    np.testing.assert_allclose(shapley_mod.shapley(arithmetic, a, b, wu), (b - a) * wu[0] / wu[0].sum(axis=1,
                               keepdims=True), rtol=1e-9)


def test_in_place_shapley_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Aggregations that compare units evaluate every mix with all units: those arrays are chunked as well."""
    rng = np.random.default_rng(2)
    c, u = 10, 200
    a, b = rng.uniform(1, 100, (u, c)), rng.uniform(1, 100, (u, c))
    w = np.ones((1, 1, c))
    whole = shapley_mod.shapley_in_place(arithmetic, a, b, w, 7)
    budget = 2**20
    monkeypatch.setattr(shapley_mod, "MAX_SHAPLEY_BYTES", budget)
    tracemalloc.start()
    try:
        chunked = shapley_mod.shapley_in_place(arithmetic, a, b, w, 7)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-12)
    assert peak < 6 * budget, f"peak {peak / 2**20:.1f} MiB (2^{c} x {u} x {c} would be 16 MiB)"


# -- coupling coordination -------------------------------------------------------------------------------------------
def _panel() -> tuple[cl.Framework, cl.Dataset]:
    fw = cl.Framework.from_nodes("p", [cl.Node("I", None), cl.Node("D1", "I"), cl.Node("D2", "I"),
                                       cl.Node("x", "D1", kind="indicator"), cl.Node("z", "D1", kind="indicator"),
                                       cl.Node("y", "D2", kind="indicator")])
    rng = np.random.default_rng(5)
    units = [f"u{i}" for i in range(10)]
    df = pd.DataFrame({"unit": units * 3, "year": np.repeat([2020, 2021, 2022], 10),
                       "x": rng.normal(10, 3, 30), "z": rng.normal(5, 1, 30), "y": rng.normal(50, 10, 30)})
    return fw, cl.read_data(df)


def test_coupling_uses_the_observed_range_for_zscores_and_says_so() -> None:
    fw, ds = _panel()
    recipe = cl.Recipe(normalise="zscore")  # type: ignore[arg-type]
    with pytest.warns(MethodWarning, match=r"coupling coordination: the indicators of D1, D2 are normalised without "
                                           r"a fixed range"):
        tr = trends(fw, ds, recipe, reference="pooled")
    # by hand: pooled z-scores, each dimension mapped by the observed range of the indicators under it
    v = ds.values[:, :, [ds.variables.index(c) for c in ("x", "z", "y")]].reshape(30, 3)
    zs = (v - v.mean(axis=0)) / v.std(axis=0, ddof=1)
    d1, d2 = zs[:, :2].mean(axis=1), zs[:, 2]
    u1 = (d1 - zs[:, :2].min()) / (zs[:, :2].max() - zs[:, :2].min())
    u2 = (d2 - d2.min()) / (d2.max() - d2.min())
    np.testing.assert_allclose(tr.coupling["T"].to_numpy(), (u1 + u2) / 2, rtol=1e-12)
    # the z-scores used to be read as 0-100 scores: most unit-years fell in the lowest band or had none
    assert (tr.coupling["class"] == "").sum() == 0
    assert (tr.coupling["class"] == "extreme imbalance").sum() <= 2


def test_coupling_keeps_the_recipe_scale_where_it_has_one() -> None:
    fw, ds = _panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error", MethodWarning)
        tr = trends(fw, ds, cl.Recipe(normalise={"method": "minmax", "lo": 0, "hi": 10}),  # type: ignore[arg-type]
                    reference="pooled")
        ranked = trends(fw, ds, cl.Recipe(normalise="rank"), reference="pooled")  # type: ignore[arg-type]
    dims = tr.scores[["D1", "D2"]].to_numpy() / 10
    np.testing.assert_allclose(tr.coupling["T"].to_numpy(), dims.mean(axis=1), rtol=1e-12)
    # ranks pooled over 3 years of 10 units run from 1 to 30
    rk = (ranked.scores[["D1", "D2"]].to_numpy() - 1) / 29
    np.testing.assert_allclose(ranked.coupling["T"].to_numpy(), rk.mean(axis=1), rtol=1e-12)
    lo, hi, relative = dimension_scale(fw, cl.Recipe(), np.zeros((1, 4, 3)), ["D1", "D2"])
    assert list(lo) == [0, 0] and list(hi) == [100, 100] and relative == []


def test_coupling_of_all_zero_systems_is_zero() -> None:
    c, t, d = coupling_coordination(np.array([[0.0, 0.0], [0.0, 0.5], [np.nan, 0.2]]))
    assert np.isnan(c[0]) and t[0] == 0 and d[0] == 0
    assert c[1] == 0 and d[1] == 0
    assert np.isnan(d[2])


# -- warnings a user must see ----------------------------------------------------------------------------------------
def test_dagum_failures_are_said() -> None:
    fw = cl.Framework.from_nodes("p", [cl.Node("I", None), cl.Node("D1", "I"), cl.Node("D2", "I"),
                                       cl.Node("x", "D1", kind="indicator"), cl.Node("y", "D2", kind="indicator")])
    df = pd.DataFrame({"unit": ["A", "B", "C"] * 2, "year": [2020] * 3 + [2021] * 3, "region": ["e", "w", "e"] * 2,
                       "x": [0.0, 10, 5, 10, 20, 5], "y": [0.0, 10, 5, 10, 20, 5], "benchmark": [0, 0, 1] * 2})
    with pytest.warns(MethodWarning, match=r"Dagum's decomposition .* by 'region' could not be made for 2020"
                                           r": Dagum decomposition needs values with a positive mean"):
        tr = trends(fw, cl.read_data(df), reference=2021)  # 2020 scored on 2021 bounds: A -33, B 33
    assert np.isnan(tr.disparity.loc[2020, "within"]) and np.isfinite(tr.disparity.loc[2021, "within"])


def test_kernels_silence_empty_slices_only() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with quiet():
            assert np.isnan(np.nanmean(np.full(3, np.nan)))
            assert np.isnan(np.nanmax(np.full(3, np.nan)))
            assert np.isnan(np.nanvar(np.array([1.0]), ddof=1))
            assert np.isnan(np.array([0.0]) / 0.0).all()
    with pytest.warns(RuntimeWarning, match="overflow"), quiet():
        np.exp(np.array([1000.0]))


def test_the_cli_shows_method_warnings_once(tmp_path: Path) -> None:
    mini = Path(__file__).resolve().parents[1] / "docs" / "examples" / "mini"
    data = pd.read_csv(mini / "data.csv")
    later = data.assign(year=2024, rd_intensity=data["rd_intensity"] * 1.1)
    pd.concat([data, later]).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "recipe.yaml").write_text("impute: {method: group_mean, group: sector}\nnormalise: zscore\n"
                                          "aggregate: arithmetic\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["trends", "-f", str(mini / "framework.yaml"), "-d", str(tmp_path / "panel.csv"),
                                   "-r", str(tmp_path / "recipe.yaml"), "--reference", "pooled"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if "coupling coordination" in ln and ln.startswith("warning:")]
    assert len(lines) == 1, res.output


# -- linear panel imputation -----------------------------------------------------------------------------------------
def test_linear_imputation_needs_the_years_and_weights_by_distance() -> None:
    panel = np.array([[[1.0]], [[np.nan]], [[7.0]]])
    with pytest.raises(cl.DataError, match=r"impute, linear: 0 years given for 3"):
        impute.linear(panel, ImputeContext())
    with pytest.raises(cl.DataError, match="not strictly increasing"):
        impute.linear(panel, ImputeContext({}, np.array([2020.0, 2020, 2021])))
    out = impute.linear(panel, ImputeContext({}, np.array([2015.0, 2016, 2020])))
    assert out[1, 0, 0] == pytest.approx(1 + 6 * 1 / 5)


def test_linear_imputation_on_unequally_spaced_years_in_an_evaluation() -> None:
    fw = cl.Framework.from_nodes("t", [cl.Node("I", None), cl.Node("a", "I", kind="indicator"),
                                       cl.Node("b", "I", kind="indicator")])
    df = pd.DataFrame({"unit": ["u", "v"] * 3, "year": [2015, 2015, 2016, 2016, 2020, 2020],
                       "a": [10.0, 1, np.nan, 2, 60, 3], "b": [1.0, 2, 3, 4, 5, 6]})
    r = cl.evaluate(fw, cl.read_data(df), cl.Recipe(impute="linear"), year=2016)  # type: ignore[arg-type]
    assert r.stage("imputed").loc["u", "a"] == pytest.approx(10 + 50 / 5)


def test_the_cli_flags_an_inconsistent_node_of_seventeen_children(tmp_path: Path) -> None:
    n = 17
    kids = [f"k{i}" for i in range(n)]
    fw = {"name": "wide", "indicators": {k: {"direction": 1} for k in kids},
          "tree": {"code": "I", "children": [{"code": "D", "children": kids}]}}
    (tmp_path / "wide.yaml").write_text(yaml.safe_dump(fw), encoding="utf-8")
    a = _perturbed(n, 1.5, 1)
    up = [[round(v) if v >= 1 else f"1/{round(1 / v)}" for v in a[i, i + 1 :]] for i in range(n - 1)]
    blocks = {"judgements": [{"expert": "Li", "node": "D", "criteria": kids, "upper": up}]}
    (tmp_path / "j.yaml").write_text(yaml.safe_dump(blocks), encoding="utf-8")
    res = CliRunner().invoke(app, ["weights", "ahp", "-f", str(tmp_path / "wide.yaml"), "-j", str(tmp_path / "j.yaml")],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "CR > 0.1" in res.output and "D: Li" in res.output and "n/a" not in res.output
    assert "within Saaty's limit" not in res.output


def test_method_warnings_are_shown_once_per_place() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for s in range(3):
            warnings.warn(f"weight, node 'P', optimised: missed by 0.{s}", MethodWarning, stacklevel=1)
        warnings.warn("weight, node 'P', optimised: missed by 0.0", MethodWarning, stacklevel=1)
        warnings.warn("gaps: path average at D", MethodWarning, stacklevel=1)
        warnings.warn("data.csv: column 'x' ignored", cl.DataWarning, stacklevel=1)
        warnings.warn("data.csv: column 'x' ignored", cl.DataWarning, stacklevel=1)
        warnings.warn("numpy noise", RuntimeWarning, stacklevel=1)
    assert shown_once(caught) == ["data.csv: column 'x' ignored",
                                  "weight, node 'P', optimised: missed by 0.0 (and 2 more like it)",
                                  "gaps: path average at D"]


def test_optimised_names_a_child_that_does_not_vary() -> None:
    x = np.array([[[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]]])
    with pytest.warns(MethodWarning, match=r"because 'b' does not vary over the units"):
        W.optimised(x, np.ones((1, 2)), W.WeightContext("Q", ("a", "b")))
