"""Results: tables, export, provenance and regeneration."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clusterleap as cl
from tests.conftest import ASEM_RECIPE


@pytest.fixture(scope="module")
def result(asem):  # type: ignore[no-untyped-def]
    fw, data = asem
    return cl.evaluate(fw, data, ASEM_RECIPE)


def test_scores_and_ranks_cover_every_node(result: cl.Result) -> None:
    fw = result.framework
    assert list(result.scores.columns) == list(fw.order) and result.scores.shape == (51, 60)
    assert result.ranks.loc["CHE", "Index"] == 1
    pd.testing.assert_frame_equal(result.scores[list(fw.indicators)], result.stage("normalised"))


def test_tidy_frame(result: cl.Result) -> None:
    tidy = result.to_frame()
    assert list(tidy.columns) == ["unit", "name", "node", "level", "score", "rank"]
    assert len(tidy) == 51 * 60
    row = tidy[(tidy.unit == "CHE") & (tidy.node == "Index")].iloc[0]
    assert row["name"] == "Switzerland" and row["level"] == 4 and row["rank"] == 1
    assert row["score"] == result.scores.loc["CHE", "Index"]


def test_weights_table(result: cl.Result) -> None:
    w = result.weights
    assert w.loc["LPI", "parent"] == "Physical" and w.loc["LPI", "nominal"] == pytest.approx(1 / 8)
    # effective weight: product down the tree, 1/8 (pillar) * 1/5 (Conn has five pillars) * 1/2
    assert w.loc["LPI", "effective"] == pytest.approx(1 / 8 * 1 / 5 * 1 / 2)
    assert w.loc[list(result.framework.indicators), "effective"].sum() == pytest.approx(1.0)


def test_csv_and_parquet_export(result: cl.Result, tmp_path: Path) -> None:
    out = result.to_csv(tmp_path / "csv")
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"scores.csv", "ranks.csv", "weights.csv", "treatment.csv", "units.csv", "provenance.json",
            "stages/raw.csv", "stages/imputed.csv", "stages/imputed_mask.csv", "stages/treated_points.csv",
            "stages/normalised.csv", "stages/aggregated.csv"} <= names
    back = pd.read_csv(out / "scores.csv", index_col="unit")
    np.testing.assert_allclose(back.to_numpy(), result.scores.to_numpy(), rtol=1e-9)
    pq = result.to_parquet(tmp_path / "pq")
    pd.testing.assert_frame_equal(pd.read_parquet(pq / "scores.parquet"), result.scores)
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["recipe"]["impute"] == {"method": "group_mean", "group": "EurAsia_group"}
    assert prov["data_hash"] == result.data.hash and prov["year"] == 2018


def test_failed_export_leaves_nothing_behind(result: cl.Result, tmp_path: Path) -> None:
    from clusterleap._files import write_atomic_dir

    target = tmp_path / "out"

    def broken(d: Path) -> None:
        (d / "scores.csv").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic_dir(target, broken)
    assert not target.exists() or not any(target.iterdir())
    assert [p.name for p in tmp_path.iterdir()] in ([], ["out"])


def test_regenerating_from_provenance_is_identical(result: cl.Result, asem_paths) -> None:  # type: ignore[no-untyped-def]
    prov = json.loads(result.provenance.to_json())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        again = cl.regenerate(prov, cl.read_data(asem_paths[1]))
    assert np.array_equal(again.score_array, result.score_array, equal_nan=True)
    assert np.array_equal(again.rank_array, result.rank_array, equal_nan=True)
    assert again.provenance.framework_hash == result.provenance.framework_hash
    assert again.provenance.recipe_hash == result.provenance.recipe_hash


def test_regenerate_refuses_other_data(result: cl.Result, asem_paths) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_csv(asem_paths[1])
    df.loc[0, "LPI"] = 1.0
    with pytest.raises(cl.DataError, match="not the data the result was made from"):
        cl.regenerate(result.provenance, df)


def test_same_inputs_same_result_bit_for_bit(asem) -> None:  # type: ignore[no-untyped-def]
    fw, data = asem
    a = cl.evaluate(fw, data, ASEM_RECIPE)
    b = cl.evaluate(fw, data, ASEM_RECIPE)
    assert a.score_array.tobytes() == b.score_array.tobytes()


def test_panel_year_selection(asem_paths) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import shared_path

    panel = shared_path("asem", "ASEM_iData_p.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        fw = cl.read_imeta(asem_paths[0])
        data = cl.read_data(panel)
        assert data.years == (2018, 2019, 2020, 2021, 2022)
        latest = cl.evaluate(fw, data, ASEM_RECIPE)
        first = cl.evaluate(fw, data, ASEM_RECIPE, year=2018)
        locf = cl.evaluate(fw, data, {**ASEM_RECIPE, "impute": "locf"}, year=2022)
    assert latest.year == 2022 and first.year == 2018
    assert not np.allclose(latest.score_array, first.score_array, equal_nan=True)
    assert locf.stage("imputed").isna().sum().sum() <= latest.stage("denominated").isna().sum().sum()
    with pytest.raises(cl.DataError, match="no data for year 1999"):
        cl.evaluate(fw, data, year=1999)


def test_public_api_is_what_all_lists() -> None:
    assert set(cl.__all__) == {
        "Basis", "ClusterleapError", "DataError", "DataWarning", "Dataset", "Framework", "FrameworkError", "Goalposts",
        "GradingScheme", "JudgementError", "MemoryLimitError", "Node", "Plan", "Provenance", "Recipe", "RecipeError",
        "Result",
        "SpaceError", "Step", "__version__", "analyse", "builtin_frameworks", "calibrate", "evaluate", "load_framework",
        "profile",
        "read_data", "read_framework_yaml", "read_imeta", "regenerate", "trends",
    }
    for name in cl.__all__:
        assert hasattr(cl, name)
