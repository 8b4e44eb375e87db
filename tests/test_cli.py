"""The command line: every command, the template round trip, and the error paths (one line, exit code 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterleap.cli import app
from clusterleap.cli.core import demo_recipe_path
from tests.conftest import ROOT

runner = CliRunner()
CORPUS = ROOT / "tests" / "corpus"
MINI = ROOT / "docs" / "examples" / "mini"


def run(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_methods_lists_every_stage() -> None:
    out = run("methods").output  # type: ignore[attr-defined]
    for name in ("denominate", "skew_kurtosis", "minmax", "goalposts", "geometric", "descending"):
        assert name in out


def test_show_and_frameworks() -> None:
    out = run("show", MINI / "framework.yaml").output  # type: ignore[attr-defined]
    assert "INDEX" in out and "rd_intensity" in out and "w=0.667" in out
    zh = run("show", MINI / "framework.yaml", "--lang", "zh").output  # type: ignore[attr-defined]
    assert "研发投入强度" in zh
    listed = run("frameworks").output  # type: ignore[attr-defined]
    assert all(name in listed for name in ("world-class", "nie-five-features", "chen-local-global"))


def test_evaluate_writes_tables_and_prints_the_ranking(tmp_path: Path) -> None:
    res = run("evaluate", "-f", MINI / "framework.yaml", "-d", MINI / "data.csv", "-r", MINI / "recipe.yaml",
              "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "Benchmark 01" in res.output  # type: ignore[attr-defined]
    scores = pd.read_csv(tmp_path / "out" / "scores.csv", index_col="unit")
    ranks = pd.read_csv(tmp_path / "out" / "ranks.csv", index_col="unit")
    assert list(scores.columns) == ["INDEX", "TI", "rd_intensity", "invention_patents", "GO", "energy_intensity",
                                    "exports"]
    assert ranks.loc["B01", "INDEX"] == 1
    assert (tmp_path / "out" / "stages" / "normalised.csv").exists()
    assert (tmp_path / "out" / "provenance.json").exists()


def test_evaluate_reproduces_the_asem_index(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    meta, data = asem_paths
    res = run("evaluate", "-f", meta, "-d", data, "-r", ROOT / "docs" / "examples" / "asem" / "recipe.yaml",
              "-o", tmp_path)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    scores = pd.read_csv(tmp_path / "scores.csv", index_col="unit")
    ranks = pd.read_csv(tmp_path / "ranks.csv", index_col="unit")
    # COINr vignette "Presenting Results": CHE 68.38, NLD 64.82, DNK 64.80, NOR 64.47, BEL 63.54, SWE 63.00
    published = {"CHE": 68.38, "NLD": 64.82, "DNK": 64.80, "NOR": 64.47, "BEL": 63.54, "SWE": 63.00}
    for unit, value in published.items():
        assert round(scores.loc[unit, "Index"], 2) == value
    assert list(ranks.sort_values("Index").index[:6]) == list(published)


def test_template_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    res = run("template", MINI / "framework.yaml", "--out", path)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["data", "indicators"]
    header = [c.value for c in book["data"][1]]
    assert header[:6] == ["unit", "name", "sector", "region", "benchmark", "year"]
    assert {"rd_intensity", "invention_patents", "energy_intensity", "exports", "revenue"} <= set(header)
    info = pd.read_excel(path, sheet_name="indicators")
    assert info.set_index("code").loc["energy_intensity", "direction"] == "lower is better"
    # fill the template the way a user would, in the workbook itself
    filled = pd.read_csv(MINI / "data.csv")
    ws = book["data"]
    for row in filled.itertuples(index=False):
        ws.append([getattr(row, h) for h in header])
    book.save(path)
    check = run("check", "-f", MINI / "framework.yaml", "-d", path)
    assert check.exit_code == 0, check.output  # type: ignore[attr-defined]
    assert "fits framework 'mini-clusters'" in " ".join(check.output.split())  # type: ignore[attr-defined]
    out = tmp_path / "out"
    ev = run("evaluate", "-f", MINI / "framework.yaml", "-d", path, "-r", MINI / "recipe.yaml", "-o", out)
    assert ev.exit_code == 0, ev.output  # type: ignore[attr-defined]
    direct = run("evaluate", "-f", MINI / "framework.yaml", "-d", MINI / "data.csv", "-r", MINI / "recipe.yaml",
                 "-o", tmp_path / "direct")
    assert direct.exit_code == 0
    a = pd.read_csv(out / "scores.csv", index_col="unit")
    b = pd.read_csv(tmp_path / "direct" / "scores.csv", index_col="unit")
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())


def test_csv_template(tmp_path: Path) -> None:
    res = run("template", MINI / "framework.yaml", "--format", "csv", "--out", tmp_path / "t.csv")
    assert res.exit_code == 0
    assert (tmp_path / "t-indicators.csv").exists()
    assert "rd_intensity" in (tmp_path / "t.csv").read_text()


def test_check_reports_coverage_and_outlier_flags() -> None:
    res = run("check", "-f", MINI / "framework.yaml", "-d", MINI / "data.csv")
    text = " ".join(res.output.split())  # type: ignore[attr-defined]
    assert res.exit_code == 0 and "1 missing values" in text and "rd_intensity" in text


@pytest.mark.parametrize(("args", "message"), [
    (["evaluate", "-f", "no-such-framework", "-d", "x.csv", "-o", "out"], "is neither a built-in framework"),
    (["evaluate", "-f", MINI / "framework.yaml", "-d", CORPUS / "data_non_numeric.csv", "-o", "out"],
     "no column for indicator"),
    (["evaluate", "-f", CORPUS / "mini.yaml", "-d", CORPUS / "data_non_numeric.csv", "-o", "OUT"],
     "line 3, column \"a\": '12,5%' is not a number"),
    (["evaluate", "-f", CORPUS / "mini.yaml", "-d", CORPUS / "good.csv", "-r", CORPUS / "recipe_unknown_method.yaml",
      "-o", "OUT"], "unknown normalise method 'minmx' (did you mean \"minmax\"?)"),
    (["evaluate", "-f", CORPUS / "fw_bad_direction.yaml", "-d", CORPUS / "good.csv", "-o", "OUT"],
     "node 'a': direction is 2"),
    (["evaluate", "-f", CORPUS / "mini.yaml", "-d", CORPUS / "missing.csv", "-o", "OUT"],
     "missing.csv: file not found"),
    (["check", "-f", CORPUS / "mini.yaml", "-d", CORPUS / "data_duplicate_unit.csv"], "already appears in line 2"),
    (["show", CORPUS / "imeta_cycle.csv"], "nodes form a cycle P -> Q -> P"),
    (["template", CORPUS / "fw_invalid_yaml.yaml", "--out", "t.xlsx"], "invalid YAML"),
    (["evaluate", "-f", CORPUS / "mini.yaml", "-d", CORPUS / "good.csv", "-o", "OUT", "--year", "1990"],
     "no data for year 1990"),
])
def test_bad_input_gives_one_line_and_exit_code_2(args: list[object], message: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = run(*map(str, args))
    assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
    err = res.stderr.strip()  # type: ignore[attr-defined]
    assert err.startswith("error: ") and "Traceback" not in res.output  # type: ignore[attr-defined]
    # one line, one message
    assert len(err.splitlines()) == 1 and err.count("error:") == 1, err
    assert message in " ".join(err.split()), err
    # nothing half-written is left behind
    assert not (tmp_path / "OUT").exists() and not (tmp_path / "out").exists() and not (tmp_path / "t.xlsx").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_demo_writes_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = run("demo")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    out = tmp_path / "clusterleap-demo"
    for name in ("scores.csv", "ranks.csv", "provenance.json", "illustrative-data.csv", "recipe.yaml",
                 "analytics/grades.csv", "analytics/types.csv", "analytics/actions.csv", "trends/index.csv",
                 "trends/disparity.csv"):
        assert (out / name).exists(), name
    text = " ".join(res.output.split())  # type: ignore[attr-defined]
    assert "Illustrative data" in text
    assert "illustrative" in (out / "provenance.json").read_text().lower()
    # grades with their reasons, types, short boards with actions, and the leap over the years
    assert "Grades, types and why" in text and "kept from" in text
    # on an 80-column console every score of the ranking is still there, nothing cut off at the edge
    from rich.cells import cell_len

    from clusterleap.cli.app import console

    assert max(cell_len(line) for line in res.output.splitlines()) <= console.width  # type: ignore[attr-defined]
    ranks = pd.read_csv(out / "ranks.csv", index_col="unit")
    top = ranks["WCI"].idxmin()
    assert f"{pd.read_csv(out / 'scores.csv', index_col='unit').loc[top, 'WCI']:.1f}" in text
    assert "short boards and policy actions" in text and "below the peer median" in text
    assert "The leap, 2019-2024" in text and "Gini" in text
    grades = pd.read_csv(out / "analytics" / "grades.csv", index_col="unit", keep_default_na=False)
    ranks = pd.read_csv(out / "ranks.csv", index_col="unit")
    units = pd.read_csv(out / "units.csv", index_col="unit")
    # benchmarks lead the ranking as references, ungraded; the best domestic cluster is graded world-class
    assert units.loc[ranks["WCI"].idxmin(), "benchmark"] and grades.loc[ranks["WCI"].idxmin(), "grade"] == ""
    best_domestic = ranks.loc[~units["benchmark"], "WCI"].idxmin()
    assert grades.loc[best_domestic, "grade"] == "world-class"
    assert "scores on fixed goalposts" in " ".join(text.split())
    zh = run("demo", "--lang", "zh", "--out", "zh")
    assert zh.exit_code == 0 and "分级理由" in zh.output and "示意数据" in zh.output and "集群E-019" in zh.output


def test_check_with_coherence(asem_paths: tuple[Path, Path]) -> None:
    meta, data = asem_paths
    res = run("check", "-f", meta, "-d", data, "--coherence", "-r", ROOT / "docs" / "examples" / "asem" / "recipe.yaml")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    text = " ".join(res.output.split())  # type: ignore[attr-defined]
    assert "fits framework" in text and "alpha" in text and "Flagged pairs" in text
    # flags come from the values the treatment sees: Goods is skewed in dollars, not once divided by GDP
    assert "Goods" not in text.split("Indicators with missing values")[1].split("Units with")[0]


def test_outputs_get_ordinary_permissions_and_warnings_print_once(tmp_path: Path) -> None:
    import os
    import stat

    umask = os.umask(0)
    os.umask(umask)
    out = tmp_path / "t.xlsx"
    assert run("template", MINI / "framework.yaml", "--out", out).exit_code == 0  # type: ignore[attr-defined]
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    df = pd.read_csv(MINI / "data.csv")
    df["extra"] = 1.0
    df.to_csv(tmp_path / "d.csv", index=False)
    res = run("check", "-f", MINI / "framework.yaml", "-d", tmp_path / "d.csv", "--coherence")
    assert res.stderr.count("are ignored: extra") == 1  # type: ignore[attr-defined]


def test_brackets_in_user_data_print_as_they_are(tmp_path: Path) -> None:
    df = pd.read_csv(MINI / "data.csv")
    df.loc[0, "name"] = "[/b]Swiss [red]cluster"
    df.to_csv(tmp_path / "d.csv", index=False)
    res = run("evaluate", "-f", MINI / "framework.yaml", "-d", tmp_path / "d.csv", "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "[/b]Swiss [red]cluster" in res.output  # type: ignore[attr-defined]
    df["rd_intensity"] = df["rd_intensity"].astype(object)
    df.loc[1, "rd_intensity"] = "[bold]7"
    df.to_csv(tmp_path / "bad.csv", index=False)
    res = run("evaluate", "-f", MINI / "framework.yaml", "-d", tmp_path / "bad.csv", "-o", tmp_path / "out2")
    assert res.exit_code == 2 and "'[bold]7' is not a number" in res.stderr  # type: ignore[attr-defined]
    assert "[lo, hi]" in run("methods").output  # type: ignore[attr-defined]


def test_ragged_csv_and_unwritable_output_give_one_line(tmp_path: Path) -> None:
    (tmp_path / "ragged.csv").write_text("unit,a,b\nu1,1,2\nu2,1,2,3\n", encoding="utf-8")
    res = run("check", "-f", MINI / "framework.yaml", "-d", tmp_path / "ragged.csv")
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1  # type: ignore[attr-defined]
    (tmp_path / "file").write_text("x")
    res = run("evaluate", "-f", MINI / "framework.yaml", "-d", MINI / "data.csv", "-o", tmp_path / "file")
    assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
    assert str(tmp_path / "file") in res.stderr and "Traceback" not in res.output  # type: ignore[attr-defined]
    assert (tmp_path / "file").read_text() == "x"


def test_an_unfilled_template_says_so(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert run("template", "world-class", "--out", out).exit_code == 0  # type: ignore[attr-defined]
    res = run("check", "-f", "world-class", "-d", out)
    assert res.exit_code == 2 and "sheet 'data': no data rows" in res.stderr  # type: ignore[attr-defined]


def test_every_output_folder_from_illustrative_data_says_so(tmp_path: Path) -> None:
    from clusterleap._result import ILLUSTRATIVE_FILE
    from clusterleap.illustrative import illustrative_frame

    data = tmp_path / "d.csv"
    illustrative_frame(n_domestic=12, n_benchmark=2, years=range(2022, 2025)).to_csv(data, index=False)
    space = ROOT / "docs" / "examples" / "world-class" / "space.yaml"
    commands = {
        "evaluate": ["evaluate", "-f", "world-class", "-d", data, "-o", tmp_path / "evaluate"],
        "grades": ["grades", "-f", "world-class", "-d", data, "--out", tmp_path / "grades"],
        "gaps": ["gaps", "-f", "world-class", "-d", data, "--out", tmp_path / "gaps"],
        "trends": ["trends", "-f", "world-class", "-d", data, "-r", demo_recipe_path(), "--out", tmp_path / "trends"],
        "profile": ["profile", "CN001", "-f", "world-class", "-d", data, "--out", tmp_path / "profile"],
        "robustness": ["robustness", "-f", "world-class", "-d", data, "-s", space, "-n", "20", "--seed", "1",
                       "--no-leave-one-out", "-o", tmp_path / "robustness"],
    }
    for name, args in commands.items():
        res = run(*args)
        assert res.exit_code == 0, (name, res.output)  # type: ignore[attr-defined]
        assert (tmp_path / name / ILLUSTRATIVE_FILE).exists(), name
    assert '"illustrative": true' in (tmp_path / "robustness" / "summary.json").read_text()


def test_template_explains_and_checks_its_columns(tmp_path: Path) -> None:
    """Each indicator's header carries a comment with its name, unit and definition; the indicator columns accept
    numbers only, the year whole years and the benchmark flag the values the data reader reads as yes or no."""
    from clusterleap.io._framework_files import load_framework
    from clusterleap.io._template import BENCHMARK_VALUES, ROWS

    path = tmp_path / "template.xlsx"
    assert run("template", MINI / "framework.yaml", "--out", path).exit_code == 0  # type: ignore[attr-defined]
    fw = load_framework(MINI / "framework.yaml")
    ws = openpyxl.load_workbook(path)["data"]
    header = {c.value: c for c in ws[1]}
    for code in fw.indicators:
        n = fw.by_code[code]
        note = header[code].comment.text
        assert n.name_en in note and n.unit in note and n.definition in note, code
    assert header["unit"].comment is None and header["benchmark"].comment is None
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    letter = {name: c.column_letter for name, c in header.items()}
    for code in fw.indicators:
        dv = rules[f"{letter[code]}2:{letter[code]}{ROWS + 1}"]
        assert dv.type == "decimal" and dv.allow_blank and dv.showErrorMessage
    bench = rules[f"{letter['benchmark']}2:{letter['benchmark']}{ROWS + 1}"]
    assert bench.type == "list" and bench.formula1 == '"' + ",".join(BENCHMARK_VALUES) + '"'
    assert rules[f"{letter['year']}2:{letter['year']}{ROWS + 1}"].type == "whole"
    assert not any(letter[c] in key for c in ("unit", "name", "sector", "region") for key in rules)
    # every value the list offers is one the data reader accepts
    from clusterleap.io._cells import NO, YES

    assert set(BENCHMARK_VALUES) <= YES | NO
