"""Cluster analytics commands: profile, grades, gaps, trends.

This module declares them; their work (``_analytics``: pandas and the engine) is imported when one runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app, guarded
from .options import DataOpt, ForceOpt, FrameworkOpt, Lang, LangOpt, RecipeOpt, YearOpt

OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Folder to write the tables to as CSV.")]
SchemeOpt = Annotated[
    str | None,
    typer.Option("--scheme", help="Grading scheme: default, relative, observatory or a YAML file (default: the "
                 "recipe's, else default)."),
]
PeerOpt = Annotated[str | None, typer.Option("--peer", help="Unit metadata column whose groups are the peers "
                                                            "(e.g. sector; default: all domestic units).")]
BenchOpt = Annotated[str | None, typer.Option("--benchmark", "-b", help="Gap reference: a unit code, median, best "
                                                                         "or targets.")]


# -- profile ------------------------------------------------------------------------------------------------------
@app.command("profile")
@guarded
def profile_cmd(
    unit: Annotated[str, typer.Argument(help="Unit code of the cluster.")],
    framework: FrameworkOpt,
    data: DataOpt,
    recipe: RecipeOpt = None,
    year: YearOpt = None,
    lang: LangOpt = Lang.en,
    peer: PeerOpt = None,
    benchmark: BenchOpt = None,
    scheme: SchemeOpt = None,
    actions: Annotated[Path | None, typer.Option("--actions", help="Action rule table (CSV or YAML; default: "
                                                                   "the built-in one).")] = None,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """One cluster's profile.

    Scores and ranks, grade with its reason, type, strengths and short boards, gaps to the benchmark, obstacle
    degrees and marginal gains of the same indicators, and the policy actions its short boards call for."""
    from ._analytics import run_profile  # heavy: pandas and the engine

    run_profile(unit, framework, data, recipe, year, lang.value, peer, benchmark, scheme, actions, out, force)


# -- grades -------------------------------------------------------------------------------------------------------
@app.command("grades")
@guarded
def grades_cmd(
    framework: FrameworkOpt,
    data: DataOpt,
    recipe: RecipeOpt = None,
    year: YearOpt = None,
    lang: LangOpt = Lang.en,
    scheme: SchemeOpt = None,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 30,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Grade every cluster, with the reason in words.

    The tiers are world-class, candidate, national leading, regional and emerging, or the scheme's own."""
    from ._analytics import run_grades  # heavy: pandas and the engine

    run_grades(framework, data, recipe, year, lang.value, scheme, top, out, force)


# -- gaps ---------------------------------------------------------------------------------------------------------
@app.command("gaps")
@guarded
def gaps_cmd(
    framework: FrameworkOpt,
    data: DataOpt,
    benchmark: Annotated[str, typer.Option("--benchmark", "-b", help="A unit code, median (of the benchmark "
                                                                      "units), best or targets.")] = "median",
    recipe: RecipeOpt = None,
    year: YearOpt = None,
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="Show one unit's gap by node.")] = None,
    level: Annotated[int | None, typer.Option(help="With --unit: only nodes of this level.")] = None,
    lang: LangOpt = Lang.en,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 30,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Gaps to a benchmark, decomposed by indicator.

    The reference is a benchmark cluster, the best or median benchmark on each indicator, or the world-class
    targets; the parts of each level add up to the gap of the index."""
    from ._analytics import run_gaps  # heavy: pandas and the engine

    run_gaps(framework, data, benchmark, recipe, year, unit, level, lang.value, top, out, force)


# -- trends -------------------------------------------------------------------------------------------------------
@app.command("trends")
@guarded
def trends_cmd(
    framework: FrameworkOpt,
    data: DataOpt,
    recipe: RecipeOpt = None,
    years: Annotated[list[int] | None, typer.Option("--year", "-y", metavar="YEAR",
                                                    help="Years to monitor (repeat; default: all).")] = None,
    reference: Annotated[str | None, typer.Option(help="For a recipe on a relative basis only: fit normalisation "
                                                       "bounds on all years (pooled), the first or a given year.")]
    = None,
    group: Annotated[str | None, typer.Option(help="Unit metadata column for Dagum's decomposition "
                                                   "(default: region).")] = None,
    scheme: SchemeOpt = None,
    lang: LangOpt = Lang.en,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 15,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Monitor the leap over the years with comparable scores.

    Index by year, growth and CAGR, distance to the world-class frontier with a naive linear projection, tier
    transitions, regional disparity (Gini, Dagum) and convergence."""
    from ._analytics import run_trends  # heavy: pandas and the engine

    run_trends(framework, data, recipe, years, reference, group, scheme, lang.value, top, out, force)
