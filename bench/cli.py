"""Benchmark: start-up of the command line, as whole-process wall time against ``python -c pass`` in the same run.

Run alone: ``.venv/bin/python bench/cli.py [--runs N]``. Each command runs N times in a fresh interpreter (the one
running this script, ``python -m clusterleap ...``); the figures are the minimum wall time and the minimum CPU time
(user + system) of the runs, each with its ratio to ``python -c pass``, beside the load average: on a shared machine
the wall time grows with the load and the CPU time much less. A last run of each lists which heavy libraries it
loaded (the modules its interpreter holds at the end): a command should load only what it uses.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: What each command should take at most (seconds of wall time, minimum of the runs).
TARGETS = {"--help": 0.3, "--version": 0.3, "show world-class": 0.5,
           **{f"{c} --help": 0.3 for c in ("evaluate", "report", "robustness", "indicators build", "serve",
                                          "profile", "weights explain")}}
HEAVY = ("pandas", "scipy.stats", "plotly", "sklearn", "openpyxl", "jinja2", "clusterleap.report", "pyarrow")


def commands(demo: Path) -> dict[str, list[str]]:
    """The command lines measured, by label; the baseline first."""
    py = [sys.executable]
    cl = [*py, "-m", "clusterleap"]
    data, recipe = str(demo / "illustrative-data.csv"), str(demo / "recipe.yaml")
    return {
        "python -c pass": [*py, "-c", "pass"],
        "import typer, rich": [*py, "-c", "import typer, rich.console"],  # the floor of any command
        "import clusterleap": [*py, "-c", "import clusterleap"],
        "--help": [*cl, "--help"],
        "--version": [*cl, "--version"],
        **{f"{c} --help": [*cl, *c.split(), "--help"] for c in ("evaluate", "report", "robustness",
                                                                 "indicators build", "serve", "profile",
                                                                 "weights explain")},
        "evaluate -h": [*cl, "evaluate", "-h"],
        "frameworks": [*cl, "frameworks"],
        "show world-class": [*cl, "show", "world-class"],
        "methods": [*cl, "methods"],  # the stage registries: numpy, no pandas
        "evaluate (demo data)": [*cl, "evaluate", "-f", "world-class", "-d", data, "-r", recipe, "-o",
                                 str(demo / "out"), "--force"],
    }


def timed(argv: list[str], runs: int) -> tuple[float, float]:
    """The minimum wall time and the minimum CPU time (user + system of the child) of ``runs`` runs of ``argv``
    (output discarded; a failure stops the benchmark). On a busy machine the CPU time is disturbed least."""
    best_wall = best_cpu = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best_wall = min(best_wall, time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best_wall, best_cpu


#: Runs ``clusterleap`` with the arguments after ``--``, then writes the names of every module it imported on stderr.
_RUN_CLI = """import runpy, sys
sys.argv = ["clusterleap", *sys.argv[sys.argv.index("--") + 1:]]
try:
    runpy.run_module("clusterleap", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
"""
_DUMP = "\nimport json, sys\nsys.stderr.write(json.dumps(sorted(sys.modules)))\n"


def heavy_imports(argv: list[str]) -> list[str]:
    """The heavy libraries ``argv`` imports, from the modules its interpreter holds at the end (``-X importtime``
    misses a module imported while click parses the command line)."""
    if argv[1:3] == ["-m", "clusterleap"]:
        probe = [argv[0], "-c", _RUN_CLI + _DUMP, "--", *argv[3:]]
    else:
        probe = [argv[0], "-c", argv[2] + _DUMP]
    out = subprocess.run(probe, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    loaded = set(json.loads(out.stderr.splitlines()[-1]))
    return [h for h in HEAVY if h in loaded]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (the minimum is reported)")
    runs = parser.parse_args().runs
    env_note = os.environ.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "clusterleap", "demo", "-o", str(demo)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores; "
              f"min of {runs} runs{'; PYTHONPATH=' + env_note if env_note else ''}")
        cmds = commands(demo)
        base, base_cpu = timed(cmds["python -c pass"], runs)
        print(f"{'command':24s} {'wall s':>7s} {'x pass':>7s} {'cpu s':>7s} {'x pass':>7s} {'target':>12s}  "
              "heavy libraries loaded")
        for label, argv in cmds.items():
            t, cpu = (base, base_cpu) if label == "python -c pass" else timed(argv, runs)
            target = TARGETS.get(label)
            verdict = "" if target is None else f"{target:.2f}{' ok' if t <= target else ' missed'}"
            heavy = ", ".join(heavy_imports(argv)) or "none"
            print(f"{label:24s} {t:7.3f} {t / base:7.1f} {cpu:7.3f} {cpu / max(base_cpu, 1e-3):7.1f} {verdict:>12s}  "
                  f"{heavy}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
