"""`clusterleap indicators synth` and `build` as a user runs them: the data set they write is checked and evaluated
by `check` and `evaluate` directly; outputs are never replaced unasked; bad input is one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterleap.cli import app
from tests.conftest import ROOT

pytest.importorskip("ibis", reason="the records extra (ibis-framework with DuckDB) is not installed")

EXAMPLE = ROOT / "docs" / "examples" / "records"
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    r = runner.invoke(app, ["indicators", "synth", "--out", str(tmp / "records"), "--firms", "800", "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert "4,800 firm-years" in r.output and "invented records" in r.output
    r = runner.invoke(app, ["indicators", "build", "--spec", str(EXAMPLE / "spec.yaml"), "--records",
                            str(tmp / "records"), "--out", str(tmp / "built")])
    assert r.exit_code == 0, r.output
    assert "60 clusters x 5 years x 27 indicators (duckdb)" in " ".join(r.output.split())
    return tmp


def test_outputs_and_provenance(built: Path) -> None:
    out = built / "built"
    table = pd.read_csv(out / "indicators.csv")
    assert list(table.columns[:3]) == ["unit", "name", "year"] and len(table) == 60 * 5
    prov = json.loads((out / "provenance.json").read_text())
    assert {i["source"] for i in prov["inputs"]} == {"firms", "patents", "purchases"}
    assert prov["inputs"][0]["rows_read"] == 4800 and len(prov["spec"]["sha256"]) == 64
    assert prov["engine"].startswith("duckdb")
    cov = (out / "coverage.txt").read_text()
    assert "firms (firms.parquet): 4,800 read, 4,800 used" in cov and "Bad records\n  none" in cov


def test_check_and_evaluate_read_the_data_set(built: Path) -> None:
    data = str(built / "built" / "indicators.csv")
    r = runner.invoke(app, ["check", "-f", str(EXAMPLE / "framework.yaml"), "-d", data])
    assert r.exit_code == 0, r.output
    assert "fits framework 'world-class-records': 60 units, 22 indicators, years 2020-2024" in " ".join(
        r.output.split())
    r = runner.invoke(app, ["evaluate", "-f", str(EXAMPLE / "framework.yaml"), "-d", data, "-r",
                            str(EXAMPLE / "recipe.yaml"), "-o", str(built / "results")])
    assert r.exit_code == 0, r.output
    assert (built / "results" / "scores.csv").exists()


def test_never_overwrites_unasked(built: Path) -> None:
    before = (built / "built" / "indicators.csv").read_bytes()
    args = ["indicators", "build", "-s", str(EXAMPLE / "spec.yaml"), "-r", str(built / "records"),
            "-o", str(built / "built")]
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert "indicators.csv: exists (give --force to replace the outputs" in " ".join(r.output.split())
    assert (built / "built" / "indicators.csv").read_bytes() == before
    r = runner.invoke(app, ["indicators", "synth", "--out", str(built / "records")])
    assert r.exit_code == 2 and "regions.csv: exists" in r.output


def test_bad_input_is_one_line_and_nothing_written(built: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text((EXAMPLE / "spec.yaml").read_text().replace("{sum: rd}", "{sum: rdd}"), encoding="utf-8")
    r = runner.invoke(app, ["indicators", "build", "-s", str(spec), "-r", str(built / "records"),
                            "-o", str(tmp_path / "out")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "indicators.rd_intensity.numerator.sum: column 'rdd' is not declared in source 'firms'" in " ".join(
        r.output.split())
    assert not (tmp_path / "out").exists()
    r = runner.invoke(app, ["indicators", "build", "-s", str(EXAMPLE / "spec.yaml"), "-r", str(tmp_path),
                            "-o", str(tmp_path / "out")])
    assert r.exit_code == 2 and "regions.csv: file not found" in r.output and not (tmp_path / "out").exists()


def test_spark_properties_are_key_value_pairs_for_the_spark_engine(built: Path, tmp_path: Path) -> None:
    base = ["indicators", "build", "-s", str(EXAMPLE / "spec.yaml"), "-r", str(built / "records"),
            "-o", str(tmp_path / "out")]
    r = runner.invoke(app, [*base, "--engine", "spark", "--spark-conf", "spark.executor.memory"])
    assert r.exit_code == 2 and "--spark-conf 'spark.executor.memory': expected KEY=VALUE" in r.output
    r = runner.invoke(app, [*base, "--spark-conf", "spark.executor.memory=8g"])
    assert r.exit_code == 2 and "--spark-conf sets Spark properties: it needs --engine spark" in r.output
    assert not (tmp_path / "out").exists()
