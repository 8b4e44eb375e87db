"""Start-up: ``import clusterleap``, ``clusterleap --help``, ``--version`` and the framework commands load none of the
heavy libraries other commands need; the command table that ``--help`` lists without importing the commands is the
commands' own. (Times are measured by bench/cli.py, not here.)"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest
import typer.main

import clusterleap
from clusterleap.cli import app
from clusterleap.cli.app import COMMANDS
from tests.conftest import ROOT

#: Libraries (and our own report stack) that only some commands need.
HEAVY = ("pandas", "scipy", "scipy.stats", "plotly", "sklearn", "openpyxl", "pyarrow", "jinja2",
         "clusterleap.report", "clusterleap.analysis.sensitivity")


def loaded(*args: str) -> set[str]:
    """The modules a fresh interpreter imports to run ``python args``, from ``-X importtime``."""
    env = {"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80"}
    out = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, env=env,
                         check=True, cwd=ROOT)
    return {ln.rsplit("|", 1)[-1].strip() for ln in out.stderr.splitlines() if ln.startswith("import time")}


@pytest.mark.parametrize("args", [
    ["-c", "import clusterleap"],
    ["-m", "clusterleap", "--help"],
    ["-m", "clusterleap", "--version"],
    ["-m", "clusterleap", "show", "world-class"],
    ["-m", "clusterleap", "frameworks"],
], ids=lambda a: " ".join(a[1:]))
def test_quick_commands_load_no_heavy_library(args: list[str]) -> None:
    modules = loaded(*args)
    assert "clusterleap" in modules
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_help_and_version_load_nothing_of_the_engine() -> None:
    for args in (["--help"], ["--version"]):
        modules = loaded("-m", "clusterleap", *args)
        assert "numpy" not in modules and "yaml" not in modules, args
        assert not {m for m in modules if m.startswith("clusterleap.") and not m.startswith("clusterleap.cli")
                    and m != "clusterleap.errors"}, args


def test_public_names_load_when_used() -> None:
    for name in clusterleap.__all__:
        assert getattr(clusterleap, name) is not None, name
    assert clusterleap.Recipe is importlib.import_module("clusterleap._recipe").Recipe
    assert set(clusterleap.__all__) <= set(dir(clusterleap))
    with pytest.raises(AttributeError, match="no attribute 'evaluat'"):
        clusterleap.evaluat  # noqa: B018


def _summary(help_text: str) -> str:
    return " ".join(inspect.cleandoc(help_text).split("\n\n")[0].split())


def test_command_table_is_the_commands_own() -> None:
    for module in {m for m, _ in COMMANDS.values()}:
        importlib.import_module(f"clusterleap.cli.{module}")
    root = typer.main.get_command(app)
    registered = {c.name or c.callback.__name__ for c in app.registered_commands if c.callback}  # type: ignore[union-attr]
    registered |= {g.name or "" for g in app.registered_groups}
    assert registered == set(COMMANDS)
    for name, (module, summary) in COMMANDS.items():
        ctx = typer.Context(root)  # type: ignore[arg-type]
        cmd = root.get_command(ctx, name)  # type: ignore[attr-defined]
        assert cmd is not None, name
        callback = getattr(cmd, "callback", None)
        if callback is not None and name not in ("weights", "indicators", "users"):
            assert callback.__module__ == f"clusterleap.cli.{module}", name
        assert _summary(cmd.help or "") == summary, name
