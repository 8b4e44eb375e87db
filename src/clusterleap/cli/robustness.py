"""Robustness command: uncertainty and sensitivity analysis (``clusterleap robustness``).

``clusterleap check --coherence`` (a core command) prints :func:`clusterleap.cli.coherence.print_coherence`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import JustifyMethod
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .._files import check_target
from ..errors import SpaceError
from ..grading import load_scheme
from ..robustness import Problem, Samples, compare_recipes, grade_shares, leave_one_out, propagate, write_folder
from ..robustness._designs import fresh_seed
from ..robustness._memory import check_runs
from .app import app, console, err_console, guarded, warn
from .core import read_data_opt
from .options import ForceOpt, SheetOpt

__all__ = ["robustness"]

def _fmt(v: Any, digits: int = 1) -> str:
    return "-" if pd.isna(v) else f"{float(v):.{digits}f}"


def _rank(v: Any) -> str:
    return "-" if pd.isna(v) else f"{float(v):g}"


def _index_table(intervals: pd.DataFrame, root: str, top: int) -> Table:
    df = intervals[intervals["node"] == root].sort_values(["nominal_rank", "unit"], na_position="last").head(top)
    lo, hi = (c for c in df.columns if c.startswith("rank_p"))
    table = Table(title=f"Index ranks under uncertainty ({root}; top {len(df)})", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("unit", "left"), ("name", "left"), ("nominal", "right"), ("median", "right"),
        (f"{lo[5:]}-{hi[5:]} interval", "right"), ("mean |shift|", "right"))
    for col, just in columns:
        table.add_column(col, justify=just)
    for r in df.to_dict("records"):
        table.add_row(str(r["unit"]), str(r["name"]), _rank(r["nominal_rank"]), _rank(r["median_rank"]),
                      f"{_rank(r[lo])}-{_rank(r[hi])}", _fmt(r["mean_abs_shift"], 2))
    return table


def _sobol_table(sobol: pd.DataFrame) -> Table:
    table = Table(title="Sobol' indices: mean absolute rank shift of the index", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("factor", "left"), ("first order S1", "right"), ("total ST", "right"))
    for col, just in columns:
        table.add_column(col, justify=just)
    for row in sobol.itertuples(index=False):
        table.add_row(str(row.factor), f"{row.S1:.3f} ± {row.S1_conf:.3f}", f"{row.ST:.3f} ± {row.ST_conf:.3f}")
    return table


def _grade_table(shares: pd.DataFrame, top: int) -> Table:
    tiers = [c for c in shares.columns if c not in ("unit", "nominal")]
    # the least certain grades first: the nominal grade's probability, ascending
    certainty = [float(r[r["nominal"]]) if r["nominal"] in tiers else 0.0 for _, r in shares.iterrows()]
    df = shares.assign(certainty=certainty).sort_values("certainty").head(top)
    table = Table(title="Grade probabilities (least certain first)", title_justify="left")
    table.add_column("unit")
    table.add_column("nominal")
    for t in tiers:
        table.add_column(t, justify="right")
    for _, r in df.iterrows():
        table.add_row(str(r["unit"]), str(r["nominal"]), *(f"{float(r[t]):.0%}" for t in tiers))
    return table


def _loo_summary(loo: pd.DataFrame) -> pd.DataFrame:
    g = loo.assign(abs_shift=loo["shift"].abs()).groupby("removed", sort=False)["abs_shift"]
    return pd.DataFrame({"mean_abs_shift": g.mean(), "max_abs_shift": g.max()}).sort_values(
        "mean_abs_shift", ascending=False)


@app.command("robustness")
@guarded
def robustness(
    framework: Annotated[str, typer.Option("--framework", "-f", help="Built-in name, YAML file or COINr iMeta CSV.")],
    data: Annotated[Path, typer.Option("--data", "-d", help="Data file: CSV, XLSX or Parquet, wide or long.")],
    space: Annotated[Path, typer.Option("--space", "-s", help="Uncertainty space (YAML): the factors to vary.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the CSV tables and summary.json.")],
    recipe: Annotated[Path | None, typer.Option("--recipe", "-r", help="Recipe YAML (default recipe if absent).")]
    = None,
    samples: Annotated[int, typer.Option("--samples", "-n", min=1, help="Monte Carlo samples; with --sobol the base "
                                         "samples of the Saltelli design (runs = samples x (factors + 2)).")] = 1000,
    sobol: Annotated[bool, typer.Option("--sobol", help="Sobol' sensitivity indices (Saltelli design).")] = False,
    sobol_units: Annotated[bool, typer.Option("--sobol-units", help="Also Sobol' indices of each unit's index "
                                              "rank (with --sobol).")] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: drawn and recorded in "
                                             "summary.json).")] = None,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Year to evaluate (default: the latest).")] = None,
    chunk: Annotated[int | None, typer.Option("--chunk", min=1, help="Samples per array pass (memory bound).")]
    = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes (1 = none; each costs about a "
                                         "second to start).")] = 1,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Threads working chunks at a time (no start-up; "
                                         "the figures do not change).")] = 1,
    loo: Annotated[bool, typer.Option("--leave-one-out/--no-leave-one-out", help="Rank shifts with each indicator "
                                      "left out.")] = True,
    top: Annotated[int, typer.Option("--top", min=1, help="Units shown in the summary table.")] = 15,
    grading: Annotated[str | None, typer.Option("--grading", help="Grading scheme (built-in name or YAML) for grade "
                                                "probabilities; default: the recipe's grading, if any.")] = None,
    compare: Annotated[Path | None, typer.Option("--compare", help="A second recipe: writes compare_recipes.csv, "
                                                 "each unit's index score and rank under both.")] = None,
    memory_limit: Annotated[float | None, typer.Option("--memory-limit", min=0.001, help="GB the run may use "
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
    if sobol_units and not sobol:
        raise SpaceError("--sobol-units needs --sobol")
    check_target(out, folder=True, force=force)  # before the work, not after it
    problem = Problem.build(framework, read_data_opt(data, sheet), recipe, space, year)
    runs = samples * (len(set(problem.groups)) + 2) if sobol else samples
    limit = None if memory_limit is None else int(memory_limit * 1e9)
    check_runs(runs, len(problem.units), len(problem.output_nodes()), problem.dims, workers=workers, threads=threads,
               limit=limit, what="--samples")
    # checked before sampling, so that a wrong name fails at once
    scheme = load_scheme(grading) if grading is not None else problem.recipe.grading
    if seed is None:
        seed = fresh_seed()
    u = (problem.saltelli(samples, seed, memory_limit=limit) if sobol
         else problem.sample(samples, seed, memory_limit=limit))
    runs = u.shape[0]
    with Progress(TextColumn("propagating", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("runs", total=runs)
        result = propagate(problem, u, chunk=chunk, workers=workers, threads=threads,
                           design="saltelli" if sobol else "montecarlo", seed=seed,
                           progress=lambda done, _total: bar.update(task, completed=done), memory_limit=limit)
    tables = _tables(result, sobol, sobol_units)
    if scheme is not None:
        tables["grade_probabilities"] = grade_shares(result, scheme).reset_index()
    if compare is not None:
        tables["compare_recipes"] = compare_recipes(problem.framework, problem.data, problem.recipe, compare,
                                                    problem.year).reset_index()
    if loo:
        tables["leave_one_out"] = leave_one_out(problem.framework, problem.data, problem.recipe, problem.year)
    summary = result.summary()
    summary["illustrative"] = problem.data.illustrative
    summary["data_hash"] = problem.data.hash  # what a report checks its robustness folder against
    if "sobol" in tables:
        summary["sobol"] = tables["sobol"].to_dict(orient="records")
    write_folder(out, tables, summary, illustrative=problem.data.illustrative, force=force)
    _print_summary(result, tables, sobol, samples, top)
    console.print(f"Wrote {len(tables) + 1} files to {out}")


def _tables(result: Samples, sobol: bool, sobol_units: bool) -> dict[str, pd.DataFrame]:
    tables = {"rank_intervals": result.rank_intervals(), "design": result.design_table().reset_index()}
    if sobol:
        tables["sobol"] = result.sobol("index")
    if sobol_units:
        tables["sobol_units"] = result.sobol("units")
    return tables


def _print_summary(result: Samples, tables: dict[str, pd.DataFrame], sobol: bool, samples: int, top: int) -> None:
    n_fail = int(result.failed.sum())
    design = (f"Saltelli design, {samples:,} base samples x ({len(result.problem.blocks)} factors + 2) = "
              f"{result.n:,} runs" if sobol else f"{result.n:,} Monte Carlo samples")
    console.print(f"{design} in {result.seconds:.2f} s (seed {result.seed})")
    if sobol and samples & (samples - 1):
        warn(f"{samples} base samples is not a power of 2; the Sobol' sequence is best balanced at powers of 2 "
             "(e.g. 512, 1024)")
    if n_fail:
        warn(result.missing_message())
    console.print(_index_table(tables["rank_intervals"], result.nodes[0], top))
    if sobol:
        console.print(_sobol_table(tables["sobol"]))
    if "grade_probabilities" in tables:
        console.print(_grade_table(tables["grade_probabilities"], top))
    if "compare_recipes" in tables:
        moved = tables["compare_recipes"].dropna(subset=["shift"])
        console.print(f"Second recipe: {int((moved['shift'] != 0).sum())} of {len(moved)} units change index rank; "
                      f"mean |shift| {moved['shift'].abs().mean():.2f}, largest {moved['shift'].abs().max():.0f}")
    if "leave_one_out" in tables:
        s = _loo_summary(tables["leave_one_out"]).head(5)
        parts = ", ".join(f"{code} ({row.mean_abs_shift:.2f})" for code, row in s.iterrows())
        console.print(f"Indicators whose removal moves index ranks most (mean |shift|): {parts}")
