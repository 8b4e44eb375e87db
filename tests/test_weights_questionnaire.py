"""The AHP questionnaire of the built-in world-class framework: nodes with a single child are left out, and a
questionnaire filled for some nodes only reads back as exactly those nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.ahp import step_panel
from clusterleap.cli import app
from clusterleap.io import load_framework
from clusterleap.io._judgements import blocks_to_steps, read_judgements
from clusterleap.io._questionnaire import (
    LABEL_CRITERIA,
    LABEL_EXPERT,
    LABEL_NODE,
    questionnaire_nodes,
    write_questionnaire,
)

runner = CliRunner()

# Consistent judgements a_ij = w_i / w_j for WCI's five dimensions with w = (4, 2, 2, 1, 1) / 10: the AHP priorities
# are exactly w (Saaty 1980: a consistent matrix's principal eigenvector is w, CR = 0).
WCI_WEIGHTS = np.array([4, 2, 2, 1, 1]) / 10


@pytest.fixture(scope="module")
def world_class() -> Any:
    return load_framework("world-class")


def fill(ws: Any, expert: str, upper: dict[tuple[int, int], Any]) -> None:
    """Fill a questionnaire sheet as a user would: the name in B1, the upper triangle from B6 (row i, column j)."""
    ws["B1"] = expert
    for (i, j), v in upper.items():
        assert i < j
        ws.cell(6 + i, 2 + j).value = v


def test_single_child_nodes_are_left_out(world_class: Any, tmp_path: Path) -> None:
    fw = world_class
    assert list(fw.children["AM2"]) == ["foundation_self_sufficiency"]
    asked = questionnaire_nodes(fw)
    assert "AM2" not in asked and "WCI" in asked and "PC1" in asked
    assert asked == [c for c in fw.order if len(fw.children[c]) >= 2] and len(asked) == 20
    book = openpyxl.load_workbook(write_questionnaire(fw, tmp_path / "q.xlsx"))
    assert book.sheetnames == ["Instructions", *asked]
    doc = yaml.safe_load(write_questionnaire(fw, tmp_path / "q.yaml").read_text(encoding="utf-8"))
    assert [b["node"] for b in doc["judgements"]] == asked
    res = runner.invoke(app, ["template-ahp", "world-class", "--out", str(tmp_path / "cli.xlsx")])
    assert res.exit_code == 0, res.output
    assert "20 node sheets" in res.output and "left out (a single child, nothing to compare): AM2" in res.output


def test_partially_filled_questionnaire_reads_back(world_class: Any, tmp_path: Path) -> None:
    fw = world_class
    book = openpyxl.load_workbook(write_questionnaire(fw, tmp_path / "q.xlsx"))
    wci = {(i, j): WCI_WEIGHTS[i] / WCI_WEIGHTS[j] for i in range(5) for j in range(i + 1, 5)}
    fill(book["WCI"], "Li Wei", {k: int(v) for k, v in wci.items()})  # 2, 2, 4, 4, 1, 2, 2, 2, 2, 1
    fill(book["PC1"], "Li Wei", {(0, 1): 3})
    book["PC2"]["B1"] = "Li Wei"  # a name but no judgement: still an unanswered sheet
    book.save(tmp_path / "li.xlsx")

    blocks = read_judgements(tmp_path / "li.xlsx")
    assert sorted(b.node for b in blocks) == ["PC1", "WCI"]
    steps = blocks_to_steps(blocks, fw)
    assert list(steps) == ["WCI", "PC1"]  # exactly the two filled nodes, in the framework's order
    np.testing.assert_allclose(step_panel(steps["WCI"]).weights, WCI_WEIGHTS, atol=1e-12)
    np.testing.assert_allclose(step_panel(steps["PC1"]).weights, [0.75, 0.25], atol=1e-12)  # a12 = 3
    assert steps["WCI"]["criteria"] == list(fw.children["WCI"])

    # the command reads it too and writes a recipe fragment with exactly those two nodes
    frag = tmp_path / "frag.yaml"
    res = runner.invoke(app, ["weights", "ahp", "--framework", "world-class", "--judgements", str(tmp_path / "li.xlsx"),
                              "--out", str(frag)])
    assert res.exit_code == 0, res.output
    assert sorted(dict(cl.Recipe.load(frag).weight.nodes)) == ["PC1", "WCI"]


def test_a_single_child_block_from_an_older_questionnaire_is_skipped(world_class: Any, tmp_path: Path) -> None:
    # A questionnaire written before single-child nodes were left out has a sheet for AM2; a name typed on it must not
    # make it a block (nothing can be compared), in Excel as in YAML.
    fw = world_class
    book = openpyxl.load_workbook(write_questionnaire(fw, tmp_path / "q.xlsx"))
    old = book.create_sheet("AM2")
    old["A1"], old["B1"], old["A3"], old["B3"], old["A5"] = LABEL_EXPERT, "Li Wei", LABEL_NODE, "AM2", LABEL_CRITERIA
    old["B5"], old["A6"], old["B6"] = "foundation_self_sufficiency", "foundation_self_sufficiency", 1
    fill(book["PC1"], "Li Wei", {(0, 1): "1/2"})
    book.save(tmp_path / "old.xlsx")
    assert [b.node for b in read_judgements(tmp_path / "old.xlsx")] == ["PC1"]

    kids = list(fw.children["PC1"])
    text = yaml.safe_dump({"judgements": [
        {"expert": "Li Wei", "node": "AM2", "criteria": ["foundation_self_sufficiency"], "upper": []},
        {"expert": "", "node": "AM2", "criteria": ["foundation_self_sufficiency"], "matrix": [[1]]},
        {"expert": "Li Wei", "node": "PC1", "criteria": kids, "upper": [[2]]},
    ]})
    path = tmp_path / "j.yaml"
    path.write_text(text, encoding="utf-8")
    blocks = read_judgements(path)
    assert [b.node for b in blocks] == ["PC1"]
    np.testing.assert_allclose(step_panel(blocks_to_steps(blocks, fw)["PC1"]).weights, [2 / 3, 1 / 3], atol=1e-12)


def test_a_filled_sheet_still_needs_the_expert_name(world_class: Any, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_questionnaire(world_class, tmp_path / "q.xlsx"))
    fill(book["PC1"], "", {(0, 1): 3})
    book.save(tmp_path / "anon.xlsx")
    with pytest.raises(cl.JudgementError, match=r"sheet 'PC1', cell B1: the expert name is empty \(node 'PC1'\)"):
        read_judgements(tmp_path / "anon.xlsx")
