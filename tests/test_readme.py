"""Every clusterleap command the README shows works as written, in order, as a new user would type it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

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


def test_readme_commands_work_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = readme_commands()
    assert len(commands) >= 8
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    runner = CliRunner()
    for command in commands:
        if "../shared/data" in command:
            if not SHARED_DATA.exists():
                continue
            command = command.replace("../shared/data", str(SHARED_DATA))
        args = shlex.split(command)[1:]
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, f"{command}\n{result.output}"
        if args[0] == "template":
            fill_template(tmp_path / args[args.index("--out") + 1])
    assert (tmp_path / "results" / "scores.csv").exists()
    # then the Python tour, in the same folder
    for block in re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
