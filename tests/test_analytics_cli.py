"""The analytics commands: profile, grades, gaps, trends, their CSV output and their error paths (exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterleap.cli import app

runner = CliRunner()

FRAMEWORK = """\
name: mini
name_en: Mini cluster index
name_zh: 迷你集群指数
tree:
  code: I
  name_en: Mini index
  children:
    - code: TI
      name_en: Technology innovation
      name_zh: 技术创新
      children: [rd, pat]
    - code: ES
      name_en: Ecosystem support
      name_zh: 生态支撑
      children: [vc]
indicators:
  rd: {name_en: R&D intensity, name_zh: 研发强度, unit: "%", target: 5}
  pat: {name_en: Patents, name_zh: 专利}
  vc: {name_en: Venture capital, name_zh: 风险投资}
"""


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    fw = tmp_path / "mini.yaml"
    fw.write_text(FRAMEWORK, encoding="utf-8")
    rows = []
    for k, year in enumerate((2022, 2023, 2024)):
        for i, u in enumerate(["C1", "C2", "C3", "C4", "C5", "B1"]):
            rows.append({"unit": u, "name": f"cluster {u}", "year": year, "sector": "s" if i % 2 else "t",
                         "region": "east" if i < 3 else "west", "benchmark": u == "B1",
                         "rd": 1.0 + i + k, "pat": 10.0 * ((i * 7) % 6) + k, "vc": 5.0 + ((i * 5) % 6) + 2 * k})
    data = tmp_path / "data.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    return fw, data


def test_profile_command(files: tuple[Path, Path], tmp_path: Path) -> None:
    fw, data = files
    out = tmp_path / "out"
    res = runner.invoke(app, ["profile", "C2", "-f", str(fw), "-d", str(data), "--peer", "sector", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "C2 cluster C2  2024" in res.output
    assert "grade:" in res.output and "Short boards" in res.output
    prof = json.loads((out / "profile-C2.json").read_text(encoding="utf-8"))
    scores = pd.read_csv(out / "standing.csv", index_col=[0, 1])
    assert prof["score"] == pytest.approx(scores.loc[("C2", "I"), "score"])
    grades = pd.read_csv(out / "grades.csv", index_col=0)
    assert prof["grade"]["reason"] == grades.loc["C2", "reason"]
    zh = runner.invoke(app, ["profile", "C2", "-f", str(fw), "-d", str(data), "--lang", "zh"])
    assert zh.exit_code == 0 and "等级" in zh.output


def test_grades_command(files: tuple[Path, Path], tmp_path: Path) -> None:
    fw, data = files
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text("tiers:\n  - {code: high, name_en: high, name_zh: 高, min_score: 50}\n"
                      "  - {code: low, name_en: low, name_zh: 低}\n", encoding="utf-8")
    res = runner.invoke(app, ["grades", "-f", str(fw), "-d", str(data), "--scheme", str(scheme), "-o",
                              str(tmp_path / "g")])
    assert res.exit_code == 0, res.output
    g = pd.read_csv(tmp_path / "g" / "grades.csv", index_col=0)
    assert set(g["tier"]) <= {"high", "low"}
    assert ((g["score"] >= 50) == (g["tier"] == "high")).all()


def test_gaps_command(files: tuple[Path, Path], tmp_path: Path) -> None:
    fw, data = files
    res = runner.invoke(app, ["gaps", "-f", str(fw), "-d", str(data), "-b", "B1", "-u", "C1", "-o",
                              str(tmp_path / "gp")])
    assert res.exit_code == 0, res.output
    assert "benchmark B1 (cluster B1)" in res.output
    summary = pd.read_csv(tmp_path / "gp" / "gaps" / "summary.csv", index_col=0)
    assert summary["gap"].to_numpy() == pytest.approx(summary["sum_of_parts"].to_numpy())
    assert runner.invoke(app, ["gaps", "-f", str(fw), "-d", str(data), "-b", "targets"]).exit_code == 0


def test_trends_command(files: tuple[Path, Path], tmp_path: Path) -> None:
    fw, data = files
    res = runner.invoke(app, ["trends", "-f", str(fw), "-d", str(data), "-o", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output
    assert "Tier transitions 2022 -> 2024" in res.output
    d = pd.read_csv(tmp_path / "t" / "trends" / "disparity.csv", index_col=0)
    assert (d["within"] + d["between"] + d["transvariation"]).to_numpy() == pytest.approx(d["gini"].to_numpy())
    res = runner.invoke(app, ["trends", "-f", str(fw), "-d", str(data), "--reference", "2022", "-y", "2022",
                              "-y", "2024"])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["profile", "C9"], "no unit 'C9'"),
        (["profile", "C1", "--peer", "sectr"], "no unit metadata column 'sectr'"),
        (["grades", "--scheme", "defualt"], 'did you mean "default"'),
        (["gaps", "-b", "B2"], "no unit 'B2'"),
        (["trends", "--reference", "someday"], "expected pooled, first or a year"),
        (["trends", "-y", "2024"], "at least two years"),
    ],
)
def test_errors_exit_with_code_2(files: tuple[Path, Path], args: list[str], message: str) -> None:
    fw, data = files
    res = runner.invoke(app, [*args, "-f", str(fw), "-d", str(data)])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output
