"""The analytics commands: profile, grades, gaps, trends, their CSV output and their error paths (exit code 2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterleap._result import ILLUSTRATIVE_NOTICE, illustrative_notice
from clusterleap.cli import app
from clusterleap.cli._analytics import WORDS, _f, _pct

runner = CliRunner()

FRAMEWORK = """\
name: mini
name_en: Mini cluster index
name_zh: 迷你集群指数
tree:
  code: I
  name_en: Mini index
  name_zh: 迷你指数
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
  rd: {name_en: R&D intensity, name_zh: 研发强度, unit: "%", target: 5, goalposts: {lo: 0, hi: 8}}
  pat: {name_en: Patents, name_zh: 专利, goalposts: {lo: 0, hi: 60}}
  vc: {name_en: Venture capital, name_zh: 风险投资, goalposts: {lo: 0, hi: 20}}
"""
#: A recipe on the framework's fixed goalposts: scores comparable across files and years.
GOALPOSTS = "basis: goalposts\n"


def _goalposts_recipe(tmp_path: Path) -> Path:
    path = tmp_path / "goalposts.yaml"
    path.write_text(GOALPOSTS, encoding="utf-8")
    return path


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
    res = runner.invoke(app, ["grades", "-f", str(fw), "-d", str(data), "--scheme", str(scheme), "-r",
                              str(_goalposts_recipe(tmp_path)), "-o", str(tmp_path / "g")])
    assert res.exit_code == 0, res.output
    g = pd.read_csv(tmp_path / "g" / "grades.csv", index_col=0)
    domestic = g.drop(index="B1")
    assert set(domestic["tier"]) <= {"high", "low"}
    assert ((domestic["score"] >= 50) == (domestic["tier"] == "high")).all()
    # the benchmark is scored but not graded, and the summary counts domestic clusters only
    assert pd.isna(g.loc["B1", "tier"]) and g.loc["B1", "reason"].startswith("benchmark: a reference")
    line = " ".join(res.output.split())
    assert "domestic clusters by grade: high: 4, low: 1; benchmarks: 1 (references, not graded)" in line
    assert "scores on: fixed goalposts" in line


def test_absolute_cut_offs_on_a_relative_basis_are_refused(files: tuple[Path, Path], tmp_path: Path) -> None:
    fw, data = files
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text("tiers:\n  - {code: high, min_score: 50}\n  - {code: low}\n", encoding="utf-8")
    res = runner.invoke(app, ["grades", "-f", str(fw), "-d", str(data), "--scheme", str(scheme)])
    assert res.exit_code == 2
    line = " ".join(res.output.split())
    assert "tier 'high' min_score 50" in line and "scores on a relative basis" in line and "goalposts" in line
    # relative rules fit a relative basis, and the output says what the scores rest on
    ok = runner.invoke(app, ["grades", "-f", str(fw), "-d", str(data), "--scheme", "relative"])
    assert ok.exit_code == 0, ok.output
    assert "relative (ranks the units in the file only)" in " ".join(ok.output.split())


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
    res = runner.invoke(app, ["trends", "-f", str(fw), "-d", str(data), "-r", str(_goalposts_recipe(tmp_path)),
                              "-o", str(tmp_path / "t")])
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
        (["trends"], "scores on a relative basis, whose scores are not comparable across years"),
    ],
)
def test_errors_exit_with_code_2(files: tuple[Path, Path], args: list[str], message: str) -> None:
    fw, data = files
    res = runner.invoke(app, [*args, "-f", str(fw), "-d", str(data)])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output


def _zh_files(tmp_path: Path, units: int = 6) -> tuple[Path, Path]:
    """The mini framework with Chinese unit names (``name_zh``) and the illustrative flag."""
    fw = tmp_path / "mini.yaml"
    fw.write_text(FRAMEWORK, encoding="utf-8")
    codes = [f"C{i + 1}" for i in range(units - 1)] + ["B1"]
    rows = []
    for k, year in enumerate((2022, 2023, 2024)):
        for i, u in enumerate(codes):
            rows.append({"unit": u, "name": f"cluster {u}", "name_zh": f"集群{u}", "year": year,
                         "sector": "s" if i % 2 else "t", "region": "east" if i < units // 2 else "west",
                         "benchmark": u == "B1", "illustrative": True, "rd": 1.0 + i + k,
                         "pat": 10.0 * ((i * 7) % 6) + k, "vc": 5.0 + ((i * 5) % 6) + 2 * k})
    data = tmp_path / "data.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    return fw, data


def _latin_words(text: str, allowed: set[str]) -> set[str]:
    """Words of two or more Latin letters in ``text`` that are not codes or otherwise allowed."""
    return set(re.findall(r"[A-Za-z_]{2,}", text)) - allowed


@pytest.mark.parametrize("command", [["profile", "C2", "--peer", "sector"], ["grades"], ["gaps", "-u", "C1"],
                                     ["gaps", "-b", "B1"], ["trends"]])
def test_lang_zh_prints_no_english(tmp_path: Path, command: list[str]) -> None:
    """With --lang zh every heading, title, note and unit name is Chinese: the only Latin words left are codes
    (units, nodes, the framework file's indicators) and the program's own name in the illustrative notice."""
    fw, data = _zh_files(tmp_path)
    recipe = ["-r", str(_goalposts_recipe(tmp_path))] if command[0] == "trends" else []
    res = runner.invoke(app, [*command, "-f", str(fw), "-d", str(data), "--lang", "zh", *recipe],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert illustrative_notice("zh") in res.output and ILLUSTRATIVE_NOTICE not in res.output
    codes = {"C1", "C2", "C3", "C4", "C5", "B1", "I", "TI", "ES", "rd", "pat", "vc", "clusterleap"}
    assert _latin_words(res.output, codes) == set()
    # Chinese punctuation after Chinese words: no "等级: " or "参照; "
    assert not re.search(r"[\u4e00-\u9fff][:;,] ", res.output), re.findall(r".{8}[\u4e00-\u9fff][:;,] ", res.output)
    if command[0] != "trends":  # unit names: the name_zh column
        assert "集群C" in res.output or "集群B1" in res.output
    assert "cluster C" not in res.output and "cluster B1" not in res.output


def test_trends_transitions_show_tier_labels(tmp_path: Path) -> None:
    fw, data = _zh_files(tmp_path)
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text("tiers:\n  - {code: top_tier, name_en: top tier, name_zh: 高, min_score: 50}\n"
                      "  - {code: low_tier, name_en: low tier, name_zh: 低}\n", encoding="utf-8")
    args = ["trends", "-f", str(fw), "-d", str(data), "--scheme", str(scheme), "-r", str(_goalposts_recipe(tmp_path))]
    en = runner.invoke(app, args, env={"COLUMNS": "200"})
    zh = runner.invoke(app, [*args, "--lang", "zh"], env={"COLUMNS": "200"})
    assert en.exit_code == 0 and zh.exit_code == 0, en.output + zh.output
    assert "top_tier" not in en.output + zh.output and "low_tier" not in en.output + zh.output
    assert "│ top tier" in en.output and "│ low tier" in en.output
    assert "│ 高" in zh.output and "│ 低" in zh.output
    assert "normalisation bounds: fixed goalposts (the framework's floors and world-class levels)" in en.output
    assert "归一化基准：固定目标值（框架的底线与世界级水平）；前沿：标杆集群指数的中位数" in zh.output


def test_unknown_benchmark_lists_a_few_codes_and_the_count(tmp_path: Path) -> None:
    fw, data = _zh_files(tmp_path, units=30)
    res = runner.invoke(app, ["gaps", "-f", str(fw), "-d", str(data), "-b", "NOPE"], env={"COLUMNS": "400"})
    assert res.exit_code == 2
    line = " ".join(res.output.split())
    assert "no unit 'NOPE'" in line and "one of the 30 unit codes" in line and "best, median, targets" in line
    assert len(re.findall(r"\b[CB]\d+\b", line)) == 8 and "C20" not in line
    close = runner.invoke(app, ["gaps", "-f", str(fw), "-d", str(data), "-b", "C299"])
    assert 'did you mean "C29"?' in " ".join(close.output.split())
    prof = runner.invoke(app, ["profile", "NOPE", "-f", str(fw), "-d", str(data)], env={"COLUMNS": "400"})
    assert prof.exit_code == 2 and "one of the 30 unit codes" in " ".join(prof.output.split())


def test_numbers_never_print_negative_zero() -> None:
    assert _f(-0.04) == "0.0" and _f(-0.004, 2) == "0.00" and _f(-1e-12, 0) == "0"
    assert _f(-0.06) == "-0.1" and _f(0.04) == "0.0" and _f(float("nan")) == ""
    assert _pct(-0.0004) == "0.0 %" and _pct(0.123) == "12.3 %" and _pct(float("nan")) == ""


def test_words_exist_in_both_languages() -> None:
    assert set(WORDS["en"]) == set(WORDS["zh"])
    assert all(v and not re.search(r"[A-Za-z]{2,}", re.sub(r"{\w+}", "", v)) for v in WORDS["zh"].values())


def test_profile_note_on_the_chosen_reference_is_translated(tmp_path: Path) -> None:
    """Without benchmark units the profile measures gaps to the framework's targets and says so, in Chinese too."""
    fw, data = _zh_files(tmp_path)
    df = pd.read_csv(data)
    df["benchmark"] = False
    df.to_csv(data, index=False)
    en = runner.invoke(app, ["profile", "C2", "-f", str(fw), "-d", str(data)], env={"COLUMNS": "200"})
    zh = runner.invoke(app, ["profile", "C2", "-f", str(fw), "-d", str(data), "--lang", "zh"], env={"COLUMNS": "200"})
    assert en.exit_code == 0 and zh.exit_code == 0, en.output + zh.output
    assert "gaps are to the framework's world-class targets" in en.output
    assert "数据中未标记标杆集群：差距参照为框架的世界级目标值" in zh.output
    assert "差距参照：框架的世界级目标值" in zh.output and "gaps to: the framework's world-class targets" in en.output
