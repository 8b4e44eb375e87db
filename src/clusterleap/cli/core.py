"""Core commands: methods, template, check, evaluate, calibrate, demo.

This module declares them (options and help) and loads nothing heavy: each command imports its work (``_check``,
``_evaluate``: pandas and the engine) when it runs, so that ``clusterleap <command> --help`` answers at once."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .app import app, console, guarded
from .options import (
    DataOpt,
    ExcludeOpt,
    ForceOpt,
    FrameworkOpt,
    Lang,
    LangOpt,
    Layout,
    LayoutOpt,
    NameColumnOpt,
    RecipeOpt,
    SheetOpt,
    UnitColumnOpt,
    YearOpt,
)


class TemplateFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


@app.command()
@guarded
def methods(stage: Annotated[str | None, typer.Option(help="Only this stage.")] = None) -> None:
    """List the methods of every stage.

    Each method with its parameters and a one-line description."""
    from ..stages import STAGES  # heavy: numpy and every stage's kernels; not needed for --help

    table = Table(title="Methods by stage", caption="relative: draws on the other units in the file, so it is "
                  "refused on a comparable scoring basis (docs/scoring.md)")
    for col in ("stage", "method", "parameters", "description"):
        table.add_column(col)
    for name, reg in STAGES.items():
        if stage and stage != name:
            continue
        for m in reg:
            params = ", ".join(
                p.name if p.required else f"{p.name}={p.default!r}" for p in m.params.values()
            )
            table.add_row(name, m.name, params, f"(relative) {m.summary}" if m.relative else m.summary)
    console.print(table)


@app.command()
@guarded
def template(
    framework: Annotated[str, typer.Argument(help="Built-in name, YAML file or COINr iMeta CSV.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (.xlsx or .csv).")],
    format: Annotated[TemplateFormat | None, typer.Option("--format", help="xlsx or csv (default: from --out).")]
    = None,
    force: ForceOpt = False,
) -> None:
    """Write a data-collection template for a framework.

    One row per unit (and year), one column per indicator, plus the definitions, units and sources of the
    indicators."""
    from ._check import run_template  # heavy: pandas, openpyxl

    run_template(framework, out, format.value if format else None, force)


@app.command()
@guarded
def check(
    framework: FrameworkOpt,
    data: DataOpt,
    year: YearOpt = None,
    coherence: Annotated[bool, typer.Option("--coherence", help="Also show statistical coherence.")] = False,
    recipe: RecipeOpt = None,
    sheet: SheetOpt = None,
    layout: LayoutOpt = Layout.auto,
    unit_column: UnitColumnOpt = None,
    name_column: NameColumnOpt = None,
    exclude: ExcludeOpt = None,
) -> None:
    """Validate data against a framework and summarise its quality.

    Coverage per unit, indicator and dimension, and indicators whose skewness and kurtosis flag outliers; with
    --coherence, correlations and Cronbach's alpha of the scores the recipe gives."""
    from ._check import run_check  # heavy: pandas and the engine

    run_check(framework, data, year, coherence, recipe, sheet, layout, unit_column, name_column, exclude)


@app.command("evaluate")
@guarded
def evaluate_cmd(
    framework: FrameworkOpt,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for scores.csv, ranks.csv, stages/, ...")],
    recipe: RecipeOpt = None,
    year: YearOpt = None,
    top: Annotated[int, typer.Option(help="Rows of the ranking to print.")] = 20,
    lang: LangOpt = Lang.en,
    force: ForceOpt = False,
    sheet: SheetOpt = None,
    layout: LayoutOpt = Layout.auto,
    unit_column: UnitColumnOpt = None,
    name_column: NameColumnOpt = None,
    exclude: ExcludeOpt = None,
    digits: Annotated[int | None, typer.Option(help="Decimals of the scores printed (default: 1 on a 0-100 "
                                               "scale, 3 on a 0-1 scale).")] = None,
) -> None:
    """Evaluate a data set: scores and ranks.

    Writes the scores and ranks of every node, every intermediate table and the provenance."""
    from ._evaluate import run_evaluate  # heavy: pandas and the engine

    run_evaluate(framework, data, out, recipe, year, top, lang.value, force, sheet, layout, unit_column, name_column,
                 exclude, digits)


class CalibrationUnits(StrEnum):
    all = "all"
    benchmarks = "benchmarks"
    domestic = "domestic"


@app.command()
@guarded
def calibrate(
    framework: FrameworkOpt,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="The calibrated recipe (YAML) to write.")],
    recipe: RecipeOpt = None,
    units: Annotated[CalibrationUnits, typer.Option(help="Reference population: all units, the benchmarks or "
                                                         "the domestic units.")] = CalibrationUnits.all,
    years: Annotated[list[int] | None, typer.Option("--year", "-y", metavar="YEAR", help="Reference year(s) "
                                                    "(repeat; default: every year, pooled).")] = None,
    clip: Annotated[bool, typer.Option("--clip/--no-clip", help="Cap values beyond the reference range at its "
                                                                "bounds.")] = True,
    force: ForceOpt = False,
    sheet: SheetOpt = None,
) -> None:
    """Freeze a scoring basis into a recipe.

    Fits each indicator's min, max, mean and sd on a reference population and writes the recipe with them, so
    that later data sets and years are scored on the same scale."""
    from ._evaluate import run_calibrate  # heavy: pandas and the engine

    run_calibrate(framework, data, out, recipe, units, years, clip, force, sheet)


def demo_recipe_path() -> Path:
    """The recipe of the demo (and of the illustrative data's examples), inside the installed package."""
    return Path(str(resources.files("clusterleap") / "data" / "demo-recipe.yaml"))


@app.command()
@guarded
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for everything the demo writes.")] = Path(
        "clusterleap-demo"
    ),
    top: Annotated[int, typer.Option(help="Rows of the ranking to print.")] = 15,
    lang: LangOpt = Lang.en,
    force: ForceOpt = False,
) -> None:
    """Evaluate the world-class framework on illustrative data.

    The data are invented clusters. Prints the ranking with dimension scores, grades with their reasons, types,
    short boards with policy actions, and the leap over the years; every table goes to ./clusterleap-demo/."""
    from ._evaluate import run_demo  # heavy: pandas, the engine and the analyses

    run_demo(out, top, lang.value, force)
