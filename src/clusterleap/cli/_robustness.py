"""The work of ``clusterleap robustness``: sample, propagate, summarise, write the folder and print the summary.

Loaded when the command runs (pandas, SciPy's statistics and the engine), never for ``--help``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import JustifyMethod
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .._files import check_target
from ..errors import SpaceError
from ..grading import load_scheme
from ..robustness import Problem, Samples, compare_recipes, grade_shares, leave_one_out, propagate, write_folder
from ..robustness._designs import fresh_seed
from ..robustness._memory import check_runs
from ._data import read_data_opt
from .app import console, err_console, warn


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


def run_robustness(framework: str, data: Path, space: Path, out: Path, recipe: Path | None, samples: int,
                   sobol: bool, sobol_units: bool, seed: int | None, year: int | None, chunk: int | None,
                   workers: int, threads: int, loo: bool, top: int, grading: str | None, compare: Path | None,
                   memory_limit: float | None, force: bool, sheet: str | None) -> None:
    """``clusterleap robustness``: the analysis, its folder (all or nothing) and the summary printed."""
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
