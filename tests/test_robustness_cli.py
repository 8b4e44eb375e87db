"""``clusterleap robustness`` on COINr's ASEM example: the files it writes, what they hold, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.cli import app
from tests.conftest import ROOT

runner = CliRunner()
RECIPE = ROOT / "docs" / "examples" / "asem" / "recipe.yaml"
SPACE = """\
name: cli-test
factors:
  - weights: {level: 1, noise: 0.25}
  - weights: {level: 2, noise: 0.25}
  - name: normalisation
    choice:
      stage: normalise
      options: [{method: minmax, lo: 1, hi: 100}, {method: zscore, mean: 10, sd: 2}]
  - name: aggregation
    choice: {stage: aggregate, options: [arithmetic, geometric]}
  - name: imputation
    switch: {stage: impute, p_on: 0.5}
"""


def run(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_monte_carlo_run_writes_every_table(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    meta, data = asem_paths
    space = tmp_path / "space.yaml"
    space.write_text(SPACE, encoding="utf-8")
    out = tmp_path / "out"
    res = run("robustness", "-f", meta, "-d", data, "-r", RECIPE, "-s", space, "-n", 64, "--seed", 5, "-o", out)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "Switzerland" in res.output and "64 Monte Carlo samples" in res.output  # type: ignore[attr-defined]
    assert sorted(p.name for p in out.iterdir()) == ["design.csv", "leave_one_out.csv", "rank_intervals.csv",
                                                     "summary.json"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["runs"] == 64 and summary["seed"] == 5 and summary["failed_runs"] == 0
    assert summary["factors"] == ["weights level 1", "weights level 2", "normalisation", "aggregation", "imputation"]
    intervals = pd.read_csv(out / "rank_intervals.csv")
    nominal = cl.evaluate(meta, data, RECIPE)
    index = intervals[intervals.node == "Index"].set_index("unit")
    assert len(intervals) == 11 * 51
    np.testing.assert_array_equal(index["nominal_rank"], nominal.rank().loc[index.index].to_numpy(dtype=float))
    assert (index["rank_p5"] <= index["median_rank"]).all() and (index["median_rank"] <= index["rank_p95"]).all()
    assert index.loc["CHE", "rank_p95"] <= 2  # Switzerland stays on top
    design = pd.read_csv(out / "design.csv")
    assert len(design) == 64 and set(design["aggregation"]) == {"arithmetic", "geometric"}
    loo = pd.read_csv(out / "leave_one_out.csv")
    assert len(loo) == 49 * 51 and (loo["shift"] == loo["rank"] - loo["nominal_rank"]).all()

    again = tmp_path / "again"
    run("robustness", "-f", meta, "-d", data, "-r", RECIPE, "-s", space, "-n", 64, "--seed", 5, "-o", again,
        "--no-leave-one-out", "--threads", 2, "--chunk", 9)
    pd.testing.assert_frame_equal(pd.read_csv(again / "rank_intervals.csv"), intervals)
    pd.testing.assert_frame_equal(pd.read_csv(again / "design.csv"), design)


def test_sobol_run(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    meta, data = asem_paths
    space = tmp_path / "space.yaml"
    space.write_text(SPACE, encoding="utf-8")
    out = tmp_path / "out"
    res = run("robustness", "-f", meta, "-d", data, "-r", RECIPE, "-s", space, "-n", 32, "--sobol",
              "--sobol-units", "--seed", 2, "--no-leave-one-out", "--chunk", 50, "-o", out)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["design"] == "saltelli" and summary["runs"] == 32 * 7 and summary["base_samples"] == 32
    sobol = pd.read_csv(out / "sobol.csv")
    assert list(sobol["factor"]) == summary["factors"]
    assert (sobol["ST"] >= 0).all() and sobol.set_index("factor").loc["aggregation", "ST"] > 0.3
    assert [row["factor"] for row in summary["sobol"]] == summary["factors"]
    units = pd.read_csv(out / "sobol_units.csv")
    assert len(units) == 5 * 51 and set(units["unit"]) >= {"CHE", "LUX"}
    assert "Sobol' indices" in res.output  # type: ignore[attr-defined]


def test_errors_are_one_line_and_leave_nothing_behind(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    meta, data = asem_paths
    bad = tmp_path / "bad.yaml"
    bad.write_text("factors:\n  - choice: {stage: normalize, options: [zscore]}\n", encoding="utf-8")
    out = tmp_path / "out"
    res = run("robustness", "-f", meta, "-d", data, "-s", bad, "-n", 8, "-o", out)
    assert res.exit_code == 2  # type: ignore[attr-defined]
    message = res.output.strip()  # type: ignore[attr-defined]
    assert "bad.yaml, factor 1 ('normalize'): stage 'normalize' cannot be varied" in message
    assert len(message.splitlines()) == 1 and not out.exists()
    missing = run("robustness", "-f", meta, "-d", data, "-s", tmp_path / "nope.yaml", "-n", 8, "-o", out)
    assert missing.exit_code == 2 and "nope.yaml: file not found" in missing.output  # type: ignore[attr-defined]
    units_only = run("robustness", "-f", meta, "-d", data, "-s", bad, "--sobol-units", "-o", out)
    assert units_only.exit_code == 2 and "--sobol-units needs --sobol" in units_only.output  # type: ignore


def test_compare_two_recipes(tmp_path: Path, asem_paths: tuple[Path, Path]) -> None:
    """--compare writes each unit's index under the second recipe beside the first, with the rank shift."""
    meta, data = asem_paths
    recipe = ROOT / "docs" / "examples" / "asem" / "recipe.yaml"
    other = tmp_path / "geometric.yaml"
    cl.Recipe.load(recipe).with_step("aggregate", "geometric").save(other)
    space = tmp_path / "space.yaml"
    space.write_text(SPACE, encoding="utf-8")
    res = CliRunner().invoke(app, ["robustness", "-f", str(meta), "-d", str(data), "-r", str(recipe), "-s",
                                   str(space), "-n", "20", "--seed", "2", "--no-leave-one-out", "--compare",
                                   str(other), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "Second recipe:" in res.output
    table = pd.read_csv(tmp_path / "out" / "compare_recipes.csv", index_col="unit")
    geo = cl.evaluate(meta, data, other)
    assert (table["rank_b"] == geo.rank("Index").astype(float).reindex(table.index)).all()
    assert (table["shift"] == table["rank_b"] - table["rank_a"]).all()
    assert (table["shift"] != 0).any()
