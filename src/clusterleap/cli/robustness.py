"""Robustness command: uncertainty and sensitivity analysis (``clusterleap robustness``).

This module declares the command; its work (``_robustness``: pandas, SciPy's statistics) is imported when it runs.
``clusterleap check --coherence`` (a core command) prints :func:`clusterleap.cli.coherence.print_coherence`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app, guarded
from .options import ForceOpt, SheetOpt

__all__ = ["robustness"]


@app.command("robustness")
@guarded
def robustness(
    framework: Annotated[str, typer.Option("--framework", "-f", help="Built-in name, YAML file or COINr iMeta CSV.")],
    data: Annotated[Path, typer.Option("--data", "-d", help="Data file: CSV, XLSX or Parquet, wide or long.")],
    space: Annotated[Path, typer.Option("--space", "-s", help="Uncertainty space (YAML): the factors to vary.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the CSV tables and summary.json.")],
    recipe: Annotated[Path | None, typer.Option("--recipe", "-r", help="Recipe YAML (default recipe if absent).")]
    = None,
    samples: Annotated[int, typer.Option("--samples", "-n", min=1, metavar="N",
                                         help="Monte Carlo samples; with --sobol the base "
                                         "samples of the Saltelli design (runs = samples x (factors + 2)).")] = 1000,
    sobol: Annotated[bool, typer.Option("--sobol", help="Sobol' sensitivity indices (Saltelli design).")] = False,
    sobol_units: Annotated[bool, typer.Option("--sobol-units", help="Also Sobol' indices of each unit's index "
                                              "rank (with --sobol).")] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: drawn and recorded in "
                                             "summary.json).")] = None,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Year to evaluate (default: the latest).")] = None,
    chunk: Annotated[int | None, typer.Option("--chunk", min=1, metavar="N",
                                              help="Samples per array pass (memory bound).")]
    = None,
    workers: Annotated[int, typer.Option("--workers", min=1, metavar="N",
                                         help="Worker processes (1 = none; each costs about a "
                                         "second to start).")] = 1,
    threads: Annotated[int, typer.Option("--threads", min=1, metavar="N",
                                         help="Threads working chunks at a time (no start-up; "
                                         "the figures do not change).")] = 1,
    loo: Annotated[bool, typer.Option("--leave-one-out/--no-leave-one-out", help="Rank shifts with each indicator "
                                      "left out.")] = True,
    top: Annotated[int, typer.Option("--top", min=1, metavar="N", help="Units shown in the summary table.")] = 15,
    grading: Annotated[str | None, typer.Option("--grading", help="Grading scheme (built-in name or YAML) for grade "
                                                "probabilities; default: the recipe's grading, if any.")] = None,
    compare: Annotated[Path | None, typer.Option("--compare", help="A second recipe: writes compare_recipes.csv, "
                                                 "each unit's index score and rank under both.")] = None,
    memory_limit: Annotated[float | None, typer.Option("--memory-limit", min=0.001, metavar="GB",
                                                       help="GB the run may use "
                                                       "(default: 80 % of the memory available).")] = None,
    force: ForceOpt = False,
    sheet: SheetOpt = None,
) -> None:
    """Uncertainty and sensitivity analysis of the ranks.

    Rank intervals of every unit at every aggregate level, and Sobol' indices with --sobol.

    Writes rank_intervals.csv, design.csv, sobol.csv (with --sobol), sobol_units.csv (with --sobol-units),
    grade_probabilities.csv (when the recipe or --grading sets a grading scheme), compare_recipes.csv (with
    --compare), leave_one_out.csv and summary.json into --out, all or nothing: the folder is replaced as a whole
    (with --force), so no table of an earlier run survives beside the new ones."""
    from ._robustness import run_robustness  # heavy: pandas, scipy.stats and the engine

    run_robustness(framework, data, space, out, recipe, samples, sobol, sobol_units, seed, year, chunk, workers,
                   threads, loo, top, grading, compare, memory_limit, force, sheet)
