"""Expert-judgement files, the questionnaire, the weight commands and weights explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.analysis import importance
from clusterleap.cli import app
from clusterleap.io import blocks_to_steps, read_judgements, write_questionnaire
from tests.conftest import ASEM_RECIPE

runner = CliRunner()
CONN = ["Physical", "ConEcFin", "Political", "Instit", "P2P"]

JUDGEMENTS = """\
judgements:
  - expert: Li
    weight: 2
    node: Conn
    criteria: [Physical, ConEcFin, Political, Instit, P2P]
    upper: [[3, 5, 1/2, 2], [2, 1/3, 3], [1/5, 1], [4]]
  - expert: Wang
    node: Conn
    criteria: [P2P, Physical, ConEcFin, Political, Instit]   # another order: reordered to the framework's
    upper: [[1/2, ~, 3, 1/3], [2, 4, 1], [2, 1/2], [1/4]]
  - expert: Zhao
    node: Index
    criteria: [Conn, Sust]
    matrix: [[1, 1/2], [2, 1]]
"""


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture()
def judgements(tmp_path: Path) -> Path:
    path = tmp_path / "judgements.yaml"
    path.write_text(JUDGEMENTS, encoding="utf-8")
    return path


# -- reading judgements ----------------------------------------------------------------------------------------------
def test_yaml_judgements_are_read_and_reordered(judgements: Path, asem: tuple[Any, Any]) -> None:
    fw, _ = asem
    blocks = read_judgements(judgements)
    assert [(b.expert, b.node, b.weight) for b in blocks] == [("Li", "Conn", 2.0), ("Wang", "Conn", 1.0),
                                                              ("Zhao", "Index", 1.0)]
    li = blocks[0].matrix
    assert li[0, 3] == 0.5 and li[3, 0] == 2.0 and li[4, 3] == 0.25
    steps = blocks_to_steps(blocks, fw)
    wang = steps["Conn"]["experts"][1]["matrix"]
    # Wang's P2P row (1/2, ~, 3, 1/3 against Physical, ConEcFin, Political, Instit) lands in the last row and column
    assert wang[4] == [0.5, None, 3.0, pytest.approx(1 / 3), 1.0]
    assert wang[0][4] == 2.0 and wang[1][4] is None
    assert steps["Conn"]["criteria"] == CONN and steps["Index"]["criteria"] == ["Conn", "Sust"]


@pytest.mark.parametrize(("edit", "message"), [
    (("upper: [[3, 5, 1/2, 2]", "upper: [[3, 5, 1/2, 12]"), r"judgement block 1: expert 'Li', node 'Conn', upper "
     r"row 1, entry 4 \(row 'Physical', column 'P2P'\): judgement 12 is outside Saaty's scale"),
    (("upper: [[3, 5, 1/2, 2]", "upper: [[3, 5, 0, 2]"), "judgement 0 is not positive"),
    (("upper: [[3, 5, 1/2, 2]", "upper: [[3, 5, 1/2]"), r"upper row 1 has 3 entries \(expected 4"),
    (("upper: [[3, 5, 1/2, 2]", "upper: [[3, five, 1/2, 2]"), "'five' is not a judgement"),
    (("matrix: [[1, 1/2], [2, 1]]", "matrix: [[1, 1/2], [3, 1]]"), "3 is not the reciprocal of 0.5"),
    (("matrix: [[1, 1/2], [2, 1]]", "matrix: [[1, 1/2, 1]]"), r"'matrix' has 1 rows \(expected 2"),
    (("    weight: 2\n", "    weight: -2\n"), "expert weight -2 is not a positive number"),
    (("    node: Index\n", "    nodes: Index\n"), "unknown key 'nodes'"),
])
def test_bad_yaml_judgements_name_the_place(judgements: Path, edit: tuple[str, str], message: str) -> None:
    text = judgements.read_text(encoding="utf-8")
    assert edit[0] in text
    judgements.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(cl.JudgementError, match=message) as exc:
        read_judgements(judgements)
    assert str(judgements) in str(exc.value)


@pytest.mark.parametrize(("edit", "message"), [
    (("criteria: [Conn, Sust]", "criteria: [Conn, Sustain]"), r"criterion 'Sustain' is not a child of 'Index' "
                                                              r"\(did you mean \"Sust\"\?\)"),
    (("node: Index", "node: Indx"), "'Indx' is not a node of framework"),
    (("node: Index\n    criteria: [Conn, Sust]", "node: Physical\n    criteria: [LPI, Flights]"),
     "child 'Ship' of 'Physical' is missing from the criteria"),
    (("  - expert: Wang\n", "  - expert: Li\n"), "expert 'Li' judges node 'Conn' twice"),
    (("upper: [[1/2, ~, 3, 1/3], [2, 4, 1], [2, 1/2], [1/4]]", "upper: [[~, ~, ~, ~], [2, 4, 1], [2, 1/2], [1/4]]"),
     "do not connect all criteria"),
])
def test_judgements_are_checked_against_the_framework(judgements: Path, asem: tuple[Any, Any],
                                                      edit: tuple[str, str], message: str) -> None:
    fw, _ = asem
    judgements.write_text(judgements.read_text(encoding="utf-8").replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(cl.JudgementError, match=message):
        blocks_to_steps(read_judgements(judgements), fw)


# -- the questionnaire -----------------------------------------------------------------------------------------------
def test_template_ahp_writes_the_questionnaire(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    res = run("template-ahp", asem_paths[0], "--out", out)
    assert res.exit_code == 0, res.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Instructions", "Index", "Conn", "Physical", "ConEcFin", "Political", "Instit",
                               "P2P", "Sust", "Environ", "Social", "SusEcFin"]
    text = " ".join(str(c) for row in book["Instructions"].iter_rows(values_only=True) for c in row if c)
    assert "Saaty" in text and "极端重要" in text and "Extreme importance" in text and "一致性比率" in text
    ws = book["Conn"]
    assert ws["B3"].value == "Conn"
    assert [ws.cell(5, 2 + j).value for j in range(5)] == CONN
    assert [ws.cell(6 + i, 1).value for i in range(5)] == CONN
    assert ws["B6"].value == 1 and str(ws["B7"].value).startswith("=")  # diagonal 1, lower triangle a formula
    assert "Economic and Financial (Con)" in [ws.cell(6 + i, 10).value for i in range(5)]  # the children listed


def test_filled_questionnaire_round_trip(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    fw = cl.read_imeta(asem_paths[0])
    out = write_questionnaire(fw, tmp_path / "q.xlsx")
    book = openpyxl.load_workbook(out)
    ws = book["Conn"]
    ws["B1"], ws["B2"] = "Li", 2
    upper = {(0, 1): 3, (0, 2): 5, (0, 3): "1/2", (0, 4): 2, (1, 2): 2, (1, 3): "1/3", (1, 4): 3, (2, 3): "1/5",
             (2, 4): 1, (3, 4): 4}
    for (i, j), v in upper.items():
        ws.cell(6 + i, 2 + j).value = v
    book.save(tmp_path / "li.xlsx")
    blocks = read_judgements(tmp_path / "li.xlsx")
    assert len(blocks) == 1  # the unanswered sheets are skipped
    b = blocks[0]
    assert (b.expert, b.node, b.weight, b.criteria) == ("Li", "Conn", 2.0, tuple(CONN))
    assert b.matrix[0, 3] == 0.5 and b.matrix[3, 0] == 2.0 and b.matrix[4, 3] == 0.25
    # the same judgements in YAML give the same matrix
    yaml_blocks = read_judgements(_yaml(tmp_path))
    np.testing.assert_allclose(b.matrix, yaml_blocks[0].matrix)
    ws["D7"] = 12
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(cl.JudgementError, match=r"sheet 'Conn': expert 'Li', node 'Conn', cell D7 \(row 'ConEcFin', "
                                                r"column 'Political'\): judgement 12 is outside Saaty's scale"):
        read_judgements(tmp_path / "bad.xlsx")


def _yaml(tmp_path: Path) -> Path:
    path = tmp_path / "li.yaml"
    path.write_text(JUDGEMENTS.split("  - expert: Wang")[0], encoding="utf-8")
    return path


def test_yaml_questionnaire_template(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    fw = cl.read_imeta(asem_paths[0])
    path = write_questionnaire(fw, tmp_path / "q.yaml")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    conn = next(b for b in doc["judgements"] if b["node"] == "Conn")
    assert conn["criteria"] == CONN and [len(r) for r in conn["upper"]] == [4, 3, 2, 1]
    with pytest.raises(cl.JudgementError, match="no judgements found"):
        read_judgements(path)  # an unfilled template holds no judgement yet


# -- the weights commands --------------------------------------------------------------------------------------------
def test_weights_ahp_prints_weights_and_cr_and_writes_a_fragment(judgements: Path, asem: tuple[Any, Any],
                                                                 asem_paths: tuple[Path, Path],
                                                                 tmp_path: Path) -> None:
    frag = tmp_path / "fragment.yaml"
    res = run("weights", "ahp", "--framework", asem_paths[0], "--judgements", judgements, "--out", frag)
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Conn: AHP weights (AIJ pooling of 2 experts)" in out and "Index" in out
    assert "CR" in out and "0.046" in out and "within Saaty's limit" in out
    # the fragment loads as a recipe, and evaluating with it uses the pooled weights the command printed
    rc = cl.Recipe.load(frag)
    assert dict(rc.weight.nodes)["Conn"].method == "ahp"
    fw, data = asem
    result = cl.evaluate(fw, data, rc)
    assert result.weights.loc["Sust", "used"] == pytest.approx(2 / 3)
    for code in CONN:
        assert f"{result.weights.loc[code, 'used']:.4f}" in out
    # merged into a base recipe, the other stages are kept
    base = tmp_path / "base.yaml"
    cl.Recipe.from_dict(ASEM_RECIPE).save(base)
    merged = tmp_path / "merged.yaml"
    assert run("weights", "ahp", "-f", asem_paths[0], "-j", judgements, "-r", base, "--pooling", "aip",
               "-o", merged).exit_code == 0
    m = cl.Recipe.load(merged)
    assert m.treat == cl.Recipe.from_dict(ASEM_RECIPE).treat
    assert dict(m.weight.nodes)["Conn"].kwargs["pooling"] == "aip"


def test_weights_ahp_flags_inconsistent_judgements(judgements: Path, asem_paths: tuple[Path, Path]) -> None:
    text = judgements.read_text(encoding="utf-8").replace("upper: [[3, 5, 1/2, 2], [2, 1/3, 3], [1/5, 1], [4]]",
                                                          "upper: [[9, 1/9, 1, 1], [9, 1, 1], [1, 1], [1]]")
    judgements.write_text(text, encoding="utf-8")
    res = run("weights", "ahp", "-f", asem_paths[0], "-j", judgements)
    assert res.exit_code == 0
    assert "CR > 0.1" in res.output and "Conn: Li" in res.output and "✗" in res.output


@pytest.mark.parametrize(("content", "message"), [
    ("judgements:\n  - expert: Li\n    node: Conn\n    criteria: [Physical, ConEcFin]\n    upper: [[30]]\n",
     "outside Saaty's scale"),
    ("judgements: [\n", "invalid YAML"),
    ("judgements:\n  - expert: Li\n    node: Nope\n    criteria: [a, b]\n    upper: [[3]]\n",
     "'Nope' is not a node of framework"),
])
def test_bad_judgement_files_give_one_line_and_exit_2(content: str, message: str, asem_paths: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    res = run("weights", "ahp", "-f", asem_paths[0], "-j", path)
    assert res.exit_code == 2
    err = res.stderr if hasattr(res, "stderr") and res.stderr else res.output
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert "Traceback" not in res.output


def test_missing_judgement_file_exits_2(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    res = run("weights", "ahp", "-f", asem_paths[0], "-j", tmp_path / "none.yaml")
    assert res.exit_code == 2 and "file not found" in (res.stderr or res.output)


# -- weights explained -----------------------------------------------------------------------------------------------
def test_importance_table(asem: tuple[Any, Any]) -> None:
    fw, data = asem
    res = cl.evaluate(fw, data, ASEM_RECIPE)
    df = importance(res)
    assert list(df.index) == list(fw.indicators)
    assert df["effective"].sum() == pytest.approx(1.0) and df["effective_nominal"].sum() == pytest.approx(1.0)
    # LPI: nominal 1/8 in Physical, 1/5 in Conn, 1/2 in Index -> 0.0125
    assert df.loc["LPI", "effective"] == pytest.approx(1 / 80)
    r = np.corrcoef(res.scores["LPI"], res.score())[0, 1]
    assert df.loc["LPI", "pearson"] == pytest.approx(r, abs=1e-12)
    assert df["importance"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(df["ratio"], df["importance"] / df["effective"])
    pillars = importance(res, level=2)
    assert list(pillars.index) == list(fw.at_level(2)) and pillars["effective"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"levels are 1\.\.3"):
        importance(res, level=4)


def test_weights_explain_command(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    cl.Recipe.from_dict({**ASEM_RECIPE, "weight": "entropy"}).save(recipe)
    csv = tmp_path / "explain.csv"
    res = run("weights", "explain", "-f", asem_paths[0], "-d", asem_paths[1], "-r", recipe, "-o", csv)
    assert res.exit_code == 0, res.output
    assert "Weights explained" in res.output and "LPI" in res.output
    df = pd.read_csv(csv, index_col="node")
    assert len(df) == 49 and df["effective"].sum() == pytest.approx(1.0)
    # entropy weights differ from the nominal ones
    assert (df["used"] - df["nominal"]).abs().max() > 0.01
    bad = run("weights", "explain", "-f", asem_paths[0], "-d", asem_paths[1], "--level", "9")
    assert bad.exit_code == 2
