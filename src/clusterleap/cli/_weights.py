"""The work of the weight commands (``template-ahp``, ``weights ahp``, ``weights explain``): the questionnaire,
AHP weights with their consistency, and effective weights against correlation-based importance.

Loaded when one of those commands runs, never for ``--help``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
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
from ..errors import RecipeError
from ..io._framework_files import load_framework
from ..io._judgements import blocks_to_steps, read_judgements, recipe_fragment
from ..io._questionnaire import questionnaire_nodes, write_questionnaire
from .app import console


def run_template_ahp(framework: str, out: Path, force: bool) -> None:
    """``clusterleap template-ahp``: write the questionnaire and say which nodes it asks about."""
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


def run_ahp(framework: str, judgements: list[Path], pooling: str, completion: str, recipe: Path | None,
            out: Path | None, force: bool) -> None:
    """``clusterleap weights ahp``: each node's weights and consistency, and the recipe fragment."""
    fw = load_framework(framework)
    blocks = read_judgements(judgements)
    steps = blocks_to_steps(blocks, fw, pooling, completion)
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
                .format(p=pooling, c=completion))
        text = head + yaml.safe_dump(fragment, allow_unicode=True, sort_keys=False, default_flow_style=None,
                                     width=118)
        write_atomic_file(out, lambda p: p.write_text(text, encoding="utf-8"), force=force)
        console.print(f"wrote {out}", highlight=False)


def run_explain(framework: str, data: Path, recipe: Path | None, year: int | None, level: int, out: Path | None,
                force: bool) -> None:
    """``clusterleap weights explain``: nominal and effective weights beside correlation-based importance."""
    res = evaluate(framework, data, recipe, year)
    fw = res.framework
    if not 1 <= level < fw.n_levels:
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
