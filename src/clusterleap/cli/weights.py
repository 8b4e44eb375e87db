"""Weight commands: the AHP questionnaire, AHP weights from expert judgements, and weights explained.

- ``clusterleap template-ahp FRAMEWORK --out FILE.xlsx`` writes the questionnaire;
- ``clusterleap weights ahp --framework F --judgements J [--pooling aij|aip] [--out fragment.yaml]`` prints each
  node's weights and consistency ratios and writes the recipe fragment with one ``ahp`` step per judged node;
- ``clusterleap weights explain --framework F --data D [--recipe R]`` prints nominal, effective weights and the
  correlation-based importance of every indicator.

This module declares them; their work (``_weights``) is imported when one runs.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import app, guarded, sub_app
from .options import ForceOpt, FrameworkOpt

weights_app = sub_app("Weights from experts, and how much each indicator counts.\n\nAHP from expert "
                      "judgements; nominal, effective and correlation-based weights.")
app.add_typer(weights_app, name="weights")


class Pooling(StrEnum):
    aij = "aij"
    aip = "aip"


class Completion(StrEnum):
    harker = "harker"
    llsm = "llsm"


@app.command("template-ahp")
@guarded
def template_ahp(
    framework: Annotated[str, typer.Argument(help="Built-in name, YAML file or COINr iMeta CSV.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Questionnaire to write: .xlsx (or .yaml).")],
    force: ForceOpt = False,
) -> None:
    """Write the AHP questionnaire for a framework.

    Instructions (Chinese and English, Saaty's 1-9 scale) and one sheet per parent node of two or more children,
    with its children and a comparison matrix to fill."""
    from ._weights import run_template_ahp  # heavy: the questionnaire's workbook

    run_template_ahp(framework, out, force)


@weights_app.command("ahp")
@guarded
def weights_ahp(
    framework: FrameworkOpt,
    judgements: Annotated[list[Path], typer.Option("--judgements", "-j", metavar="FILE",
                                                   help="Judgement file(s): YAML or filled questionnaire .xlsx; "
                                                   "repeat for one file per expert.")],
    pooling: Annotated[Pooling, typer.Option(help="aij: geometric mean of judgements; aip: of priorities.")] =
    Pooling.aij,
    completion: Annotated[Completion, typer.Option(help="How missing judgements are completed.")] =
    Completion.harker,
    recipe: Annotated[Path | None, typer.Option("--recipe", "-r", help="Recipe to merge the AHP steps into.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the recipe (fragment) YAML here.")] = None,
    force: ForceOpt = False,
) -> None:
    """AHP weights from expert judgements.

    Each node's weights per expert and pooled, with Saaty's consistency ratio (CR > 0.1 flagged), and a recipe
    fragment with one "ahp" weight step per judged node."""
    from ._weights import run_ahp  # heavy: the AHP maths and the judgement files

    run_ahp(framework, judgements, pooling.value, completion.value, recipe, out, force)


@weights_app.command("explain")
@guarded
def weights_explain(
    framework: FrameworkOpt,
    data: Annotated[Path, typer.Option("--data", "-d", help="Data file: CSV, XLSX or Parquet, wide or long.")],
    recipe: Annotated[Path | None, typer.Option("--recipe", "-r", help="Recipe YAML file.")] = None,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Year to evaluate (default: the latest).")] = None,
    level: Annotated[int, typer.Option(help="Level to explain (1 = indicators).")] = 1,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the table as CSV.")] = None,
    force: ForceOpt = False,
) -> None:
    """How much each indicator really counts.

    Nominal and effective weight of every indicator (or node of a level) and its correlation-based importance:
    Pearson r with the index, its share of the summed r² (importance) and importance / effective weight."""
    from ._weights import run_explain  # heavy: pandas and the engine

    run_explain(framework, data, recipe, year, level, out, force)
