"""Every clusterleap command the README shows works as written, in order, as a new user would type it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.cli import app
from clusterleap.illustrative import illustrative_frame
from tests.conftest import ROOT, SHARED_DATA

README = ROOT / "README.md"


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("clusterleap "):
                commands.append(line)
    return commands


def fill_template(path: Path) -> None:
    """What the user does by hand: one row per cluster in the data sheet."""
    frame = illustrative_frame(n_domestic=20, n_benchmark=3)
    frame = frame[frame.year == frame.year.max()]
    book = openpyxl.load_workbook(path)
    ws = book["data"]
    header = [c.value for c in ws[1]]
    for row in frame.to_dict("records"):
        ws.append([None if (v := row.get(h)) != v else v for h in header])  # NaN -> empty cell
    book.save(path)


def readme_sentence(start: str) -> str:
    """The README's sentence (up to its first colon or full stop after the start) that begins with ``start``."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    i = text.index(start)
    return text[i:text.index(":", i)]


def printed_ranking(output: str) -> list[tuple[str, str, str]]:
    """(unit, name, index score) of each row of the ranking table a command printed, in order."""
    rows = []
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│").split("│")]
        if len(cells) >= 4 and cells[0].isdigit():
            rows.append((cells[1], cells[2], cells[3]))
    return rows


def check_quoted_ranking(sentence: str, output: str) -> None:
    """The figures a README sentence quotes are the index scores printed first, in the same order, with the names
    it gives them."""
    quoted = re.findall(r"\d+\.\d+", sentence)
    rows = printed_ranking(output)[: len(quoted)]
    assert [score for _, _, score in rows] == quoted, (sentence, rows)
    for (_, name, _), figure in zip(rows, quoted, strict=True):
        assert name in sentence.split(figure)[0], (name, sentence)


def check_coherence_claim(output: str) -> None:
    """``check --coherence`` as the README gives it prints the report's alpha, and the alpha the README quotes."""
    from clusterleap.report import build_report

    row = next(ln for ln in output.splitlines() if re.match(r"^│ WCI\s+│", ln))
    printed = [c.strip() for c in row.strip("│").split("│")][3]
    recipe = cl.Recipe.load("clusterleap-demo/recipe.yaml")
    result = cl.evaluate("world-class", "clusterleap-demo/illustrative-data.csv", recipe)
    report = build_report(result, analytics=False, trends=False)
    in_report = next(c["alpha"] for c in report.coherence_view["cronbach"] if c["code"] == "WCI")
    assert printed == in_report
    assert f"alpha {printed} for the index of the demo" in " ".join(README.read_text(encoding="utf-8").split())


def check_reference_claims(outputs: dict[str, str], tmp_path: Path) -> None:
    """The ASEM and HDI figures the README quotes are the ones its commands print; the HDI is the published one
    for every country."""
    asem = next(out for c, out in outputs.items() if "ASEM_iData" in c)
    check_quoted_ranking(readme_sentence("It prints Switzerland first with 68"), asem)
    hdi = next(out for c, out in outputs.items() if "HDR23-24" in c)
    sentence = readme_sentence("It prints Switzerland first with 0.9")
    check_quoted_ranking(sentence, hdi)
    assert "screened out for too little data: PRK, MCO" in " ".join(hdi.split()) and "(PRK, MCO)" in " ".join(
        README.read_text(encoding="utf-8").split())
    published = pd.read_csv(SHARED_DATA / "hdi" / "HDR23-24_Composite_indices_complete_time_series.csv",
                            encoding="utf-8-sig").set_index("iso3")
    scores = pd.read_csv(tmp_path / "hdi-results" / "scores.csv", index_col=0)["HDI"].round(3)
    ranks = pd.read_csv(tmp_path / "hdi-results" / "ranks.csv", index_col=0)["HDI"]
    assert len(scores) == 193 and "all 193 countries" in " ".join(README.read_text(encoding="utf-8").split())
    assert (scores - published.loc[scores.index, "hdi_2022"]).abs().max() == 0
    assert (ranks == published.loc[ranks.index, "hdi_rank_2022"]).all()


def test_readme_commands_work_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = readme_commands()
    assert len(commands) >= 8
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    runner = CliRunner()
    outputs: dict[str, str] = {}
    for command in commands:
        if "../shared/data" in command:
            if not SHARED_DATA.exists():
                continue
            command = command.replace("../shared/data", str(SHARED_DATA))
        args = shlex.split(command)[1:]
        result = runner.invoke(app, args, catch_exceptions=False, env={"COLUMNS": "120"})
        assert result.exit_code == 0, f"{command}\n{result.output}"
        outputs[command] = result.output
        if args[0] == "template":
            fill_template(tmp_path / args[args.index("--out") + 1])
    assert (tmp_path / "results" / "scores.csv").exists()
    assert "Commands:" in outputs["clusterleap --help"] and "-h, --help" in outputs["clusterleap --help"]
    check_coherence_claim(next(out for c, out in outputs.items() if c.startswith("clusterleap check") and
                               "--coherence" in c))
    if SHARED_DATA.exists():
        check_reference_claims(outputs, tmp_path)
    # then the Python tour, in the same folder
    for block in re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
