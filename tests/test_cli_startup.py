"""Start-up: ``import clusterleap``, ``clusterleap --help``, ``--version``, every command's ``--help`` and the framework
commands load none of the heavy libraries other commands need; the command table that ``--help`` lists without
importing the commands is the commands' own. (Times are measured by bench/cli.py, not here.)"""

from __future__ import annotations

import importlib
import inspect
import json
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


#: Runs ``clusterleap`` with the arguments after ``--`` and writes the names of every module it imported on stderr
#: (``-X importtime`` misses a module imported while the command line is being parsed).
_RUN = """import json, runpy, sys
sys.argv = ["clusterleap", *sys.argv[sys.argv.index("--") + 1:]]
try:
    runpy.run_module("clusterleap", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
sys.stderr.write(json.dumps(sorted(sys.modules)))
"""


def imported(*argv: str) -> set[str]:
    """The modules a fresh interpreter holds after ``clusterleap argv`` (its output discarded)."""
    env = {"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80"}
    out = subprocess.run([sys.executable, "-c", _RUN, "--", *argv], capture_output=True, text=True, env=env,
                         check=True, cwd=ROOT)
    return set(json.loads(out.stderr))


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


#: Every command line whose help is checked: each command of ``clusterleap`` and each subcommand of its groups.
HELPS = [[c] for c in COMMANDS if c not in ("weights", "indicators", "users")] + [
    ["weights", "ahp"], ["weights", "explain"], ["indicators", "build"], ["indicators", "synth"], ["users", "add"],
    ["users", "list"], ["users", "token"],
]


@pytest.mark.parametrize("command", HELPS, ids=" ".join)
def test_command_help_loads_no_heavy_library(command: list[str]) -> None:
    """``clusterleap <command> --help`` reads the command's options without its work: no pandas, SciPy, plotly,
    scikit-learn, openpyxl, pyarrow or report stack, nothing of the engine but the framework files, and no pydantic
    (which typer loads to coerce a help flag left as None)."""
    modules = imported(*command, "--help")
    assert f"clusterleap.cli.{COMMANDS[command[0]][0]}" in modules  # the command's own module answered
    assert not modules & {*HEAVY, "pydantic"}, sorted(modules & {*HEAVY, "pydantic"})
    engine = {m for m in modules if m.startswith("clusterleap.") and not m.startswith("clusterleap.cli")}
    files = {"clusterleap._files", *(f"clusterleap._files.{m}" for m in ("_atomic", "_formulas", "_yaml"))}
    assert engine <= {"clusterleap.errors", "clusterleap._lazy", "clusterleap.io", "clusterleap.io._framework_files",
                      *files, "clusterleap._frozen", "clusterleap._registry", "clusterleap._framework"}, sorted(engine)
    assert not {m for m in modules if m.startswith("clusterleap.cli._")}, "a command's work was imported"


def test_short_help_is_the_help_and_loads_no_heavy_library() -> None:
    env = {"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80"}
    runs = [subprocess.run([sys.executable, "-m", "clusterleap", "evaluate", flag], capture_output=True, text=True,
                           env=env, check=True, cwd=ROOT).stdout for flag in ("-h", "--help")]
    assert runs[0] == runs[1] and "--framework" in runs[0]
    assert not imported("robustness", "-h") & set(HEAVY)


def test_methods_lists_the_registries_without_pandas() -> None:
    """``methods`` reads the stage registries only: numpy, not pandas, openpyxl or pyarrow."""
    modules = imported("methods")
    assert "clusterleap.stages" in modules
    assert not modules & {"pandas", "openpyxl", "pyarrow", "scipy", "clusterleap._api", "clusterleap._result"}


def test_help_and_version_load_nothing_of_the_engine() -> None:
    for args in (["--help"], ["--version"]):
        modules = loaded("-m", "clusterleap", *args)
        assert "numpy" not in modules and "yaml" not in modules, args
        # the package root's own: the error classes and the loader of its public names
        assert not {m for m in modules if m.startswith("clusterleap.") and not m.startswith("clusterleap.cli")
                    and m not in ("clusterleap.errors", "clusterleap._lazy")}, args


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
