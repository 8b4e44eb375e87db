"""Weight commands: the AHP questionnaire, AHP weights from expert judgements, and weights explained.

- ``clusterleap template-ahp FRAMEWORK --out FILE.xlsx`` writes the questionnaire;
- ``clusterleap weights ahp --framework F --judgements J [--pooling aij|aip] [--out fragment.yaml]`` prints each
  node's weights and consistency ratios and writes the recipe fragment with one ``ahp`` step per judged node;
- ``clusterleap weights explain --framework F --data D [--recipe R]`` prints nominal, effective weights and the
  correlation-based importance of every indicator.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
import yaml
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from .._api import as_recipe, evaluate
from .._files import write_atomic_file
from .._pipeline import check_recipe_nodes
from .._recipe import Recipe
from .._tables import write_csv
from ..ahp import step_panel
from ..analysis._importance import importance
from ..io._framework_files import load_framework
from ..io._judgements import (
    blocks_to_steps,
    questionnaire_nodes,
    read_judgements,
    recipe_fragment,
    write_questionnaire,
)
from .app import app, console, guarded, sub_app
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
    fw = load_framework(framework)
    write_questionnaire(fw, out, force=force)
    asked = questionnaire_nodes(fw)
    single = [c for c in fw.order if len(fw.children[c]) == 1]
    what = "sheets" if out.suffix.lower() == ".xlsx" else "blocks"
    line = f"wrote {out}: {len(asked)} node {what} ({', '.join(asked)}) for framework {fw.name!r}"
    if single:
        line += f"; left out (a single child, nothing to compare): {', '.join(single)}"
    console.print(line, highlight=False, soft_wrap=True)


def _cr_text(cr: float) -> Text:
    if math.isnan(cr):
        return Text("n/a")
    return Text(f"{cr:.3f} ✗", style="bold red") if cr > 0.1 else Text(f"{cr:.3f}")


def _print_node(node: str, step: dict[str, Any]) -> list[str]:
    """One table per node: a column per expert and the pooled result, a row per child, then λmax, CR, missing."""
    panel = step_panel(step, f"weights ahp, node {node!r}")
    n_exp = len(panel.names)
    table = Table(title=f"{node}: AHP weights ({panel.pooling.upper()} pooling of {n_exp} "
                        f"expert{'s' if n_exp != 1 else ''})", title_justify="left")
    table.add_column("child")
    for name in panel.names:
        table.add_column(name, justify="right")
    table.add_column("pooled", justify="right", style="bold")
    for i, c in enumerate(panel.criteria):
        table.add_row(c, *(f"{j.weights[i]:.4f}" for j in panel.experts), f"{panel.weights[i]:.4f}")
    pooled = panel.pooled
    table.add_section()
    table.add_row("expert weight", *(f"{w:.3f}" for w in panel.expert_weights), "")
    table.add_row("λmax", *(f"{j.lambda_max:.3f}" for j in panel.experts),
                  f"{pooled.lambda_max:.3f}" if pooled is not None else "")
    table.add_row("CR", *(_cr_text(j.cr) for j in panel.experts), _cr_text(pooled.cr) if pooled is not None else "")
    table.add_row("missing judgements", *(str(j.n_missing) for j in panel.experts), "")
    console.print(table)
    return [f"{node}: {b}" for b in panel.inconsistent]


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
    fw = load_framework(framework)
    blocks = read_judgements(judgements)
    steps = blocks_to_steps(blocks, fw, pooling.value, completion.value)
    flagged: list[str] = []
    for node, step in steps.items():
        flagged += _print_node(node, step)
    base = as_recipe(recipe).to_dict() if recipe is not None else None
    fragment = recipe_fragment(steps, base)
    checked = Recipe.from_dict(fragment, str(out or "recipe fragment"))
    check_recipe_nodes(fw, checked)
    if flagged:
        console.print(Text.assemble(("CR > 0.1", "bold red"),
                                    f" (judgements to revise, Saaty's rule): {'; '.join(flagged)}"),
                      highlight=False, soft_wrap=True)
    else:
        console.print("all consistency ratios are within Saaty's limit CR <= 0.1", highlight=False)
    if out is not None:
        head = (f"# AHP weights for framework {fw.name!r} from {', '.join(str(j) for j in judgements)}\n"
                "# (pooling {p}, completion {c}); load with Recipe.load or merge into a recipe.\n"
                .format(p=pooling.value, c=completion.value))
        text = head + yaml.safe_dump(fragment, allow_unicode=True, sort_keys=False, default_flow_style=None,
                                     width=118)
        write_atomic_file(out, lambda p: p.write_text(text, encoding="utf-8"), force=force)
        console.print(f"wrote {out}", highlight=False)


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
    res = evaluate(framework, data, recipe, year)
    fw = res.framework
    if not 1 <= level < fw.n_levels:
        from ..errors import RecipeError

        raise RecipeError(f"--level {level}: framework {fw.name!r} has levels 1..{fw.n_levels - 1} below the index")
    df = importance(res, level)
    console.print(explain_table(df, f"Weights explained: {fw.name}, {fw.level_name(level)}, year {res.year}"))
    if out is not None:
        write_atomic_file(out, lambda p: write_csv(df, p, float_format="%.10g"), force=force)
        console.print(f"wrote {out}", highlight=False)


def explain_table(df: pd.DataFrame, title: str) -> Table:
    """The table of ``weights explain``: weights and importance in percent, so that every number fits in a few
    characters and an 80-column terminal shows every node code whole (codes never shrink; the CSV of ``--out`` has
    every column at full precision, with the nominal effective weight and r² besides)."""

    def pct(v: float) -> str:
        return "" if math.isnan(v) else f"{100 * v:.1f}"

    def num(v: float, digits: int) -> str:
        return "" if math.isnan(v) else f"{v:.{digits}f}"

    table = Table(title=title, title_justify="left", box=None, pad_edge=False,
                  caption="nom., used: weight within the parent (nominal, used by the recipe), %; eff.: effective "
                  "weight (share of the index), %; r: correlation with the index; imp.: importance (r² as a share "
                  "of the level's total), %; ratio: imp. / eff.", caption_justify="left")
    table.add_column("node", no_wrap=True, min_width=max((cell_len(str(c)) for c in df.index), default=4))
    table.add_column("parent", no_wrap=True)
    for col in ("nom.", "used", "eff.", "r", "imp.", "ratio"):
        table.add_column(col, justify="right", no_wrap=True)
    for code, row in df.iterrows():
        table.add_row(str(code), str(row["parent"]), pct(row["nominal"]), pct(row["used"]), pct(row["effective"]),
                      num(row["pearson"], 2), pct(row["importance"]), num(row["ratio"], 2))
    return table
