"""The work of ``clusterleap evaluate``, ``calibrate`` and ``demo``: the evaluation and the tables it prints.

Loaded when one of those commands runs (pandas and the engine), never for ``--help``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.cells import cell_len
from rich.table import Table

from .._api import as_recipe, evaluate
from .._api import calibrate as fit
from .._files import check_target, write_atomic_dir, write_atomic_file
from .._result import Result, illustrative_notice
from .._tables import write_csv, write_tables
from ..analysis._profile import Analytics, analyse
from ..analysis._trends import Trends, trends
from ..illustrative import illustrative_data, illustrative_frame
from ._data import read_data_opt
from ._words import HEADINGS
from ._words import fmt as _fmt
from .app import console
from .core import CalibrationUnits, demo_recipe_path
from .options import Layout

#: The word before the files a command wrote.
WROTE = {"en": "wrote", "zh": "已写入"}


def unit_names(result: Result, lang: str) -> dict[str, str]:
    """Display names: the ``name_zh`` metadata column in Chinese where the data has one, else the names."""
    zh = result.data.groups.get("name_zh") if lang == "zh" else None
    names = [z or n for z, n in zip(zh, result.data.names, strict=True)] if zh else list(result.data.names)
    return dict(zip(result.units, names, strict=True))


def score_digits(result: Result) -> int:
    """Decimals that show a result's scores as their scale is read: 1 on a scale reaching beyond 10 (0-100), 3 on a
    0-1 scale (the precision the UNDP publishes the HDI at)."""
    top = np.nanmax(np.abs(result.score_array)) if np.isfinite(result.score_array).any() else 100.0
    return 1 if top > 10 else 3


def ranking_table(result: Result, top: int, lang: str, *, title: str | None = None,
                  digits: int | None = None) -> Table:
    """Rank, code, name, the index and its children's scores of the top units (with ``digits`` decimals, by
    default :func:`score_digits`). Ranks, codes and scores never shrink; the name takes what width is left (an
    80-column terminal or a pipe still shows every number)."""
    fw = result.framework
    root = fw.root.code
    kids = list(fw.children[root])
    h = HEADINGS[lang]
    digits = score_digits(result) if digits is None else digits
    order = result.ranking(root).head(top)
    table = Table(title=title or f"{fw.by_code[root].label(lang)}{'，' if lang == 'zh' else ', '}{result.year}",
                  caption=illustrative_notice(lang) if result.illustrative else None)
    code_width = max([cell_len(h["unit"]), *(cell_len(str(u)) for u in order.index)])
    cells = {c: [_fmt(v, digits) for v in order[c]] for c in [root, *kids]}
    score_widths = [max(cell_len(k), *map(cell_len, cells[k]), 4) for k in [root, *kids]]
    # every column but the name keeps its width; the name gets the rest of the console (3 per column for borders)
    fixed = cell_len(h["rank"]) + code_width + sum(score_widths) + 3 * (3 + len(score_widths)) + 1
    name_width = min(32, max(8, console.width - fixed))
    table.add_column(h["rank"], justify="right", no_wrap=True, min_width=cell_len(h["rank"]))
    table.add_column(h["unit"], no_wrap=True, min_width=code_width)
    table.add_column(h["name"], no_wrap=True, overflow="ellipsis", width=name_width)
    for k, width in zip([root, *kids], score_widths, strict=True):
        table.add_column(k, justify="right", no_wrap=True, min_width=width)
    names = unit_names(result, lang)
    for i, (code, row) in enumerate(order.iterrows()):
        rank = "" if pd.isna(row["rank"]) else str(int(row["rank"]))
        table.add_row(rank, str(code), names[str(code)], *(cells[c][i] for c in [root, *kids]))
    return table



def run_evaluate(framework: str, data: Path, out: Path, recipe: Path | None, year: int | None, top: int, lang: str,
                 force: bool, sheet: str | None, layout: Layout, unit_column: str | None, name_column: str | None,
                 exclude: list[str] | None, digits: int | None) -> None:
    """``clusterleap evaluate``: evaluate, write the tables, print the ranking and what the scores rest on."""
    check_target(out, folder=True, force=force)  # before the work, not after it
    result = evaluate(framework, read_data_opt(data, sheet, layout, unit_column, name_column, exclude),
                      as_recipe(recipe), year)
    write_atomic_dir(out, lambda d: result._write(d, "csv"), force=force)
    console.print(ranking_table(result, top, lang, digits=digits))
    console.print(scoring_note(result, lang))
    console.print(f"{WROTE[lang]} {out}/scores.csv, ranks.csv, coverage.csv, stages/, provenance.json")


def scoring_note(result: Result, lang: str) -> str:
    """What the scores rest on: the basis, how many indicators carried data, and the units screened out."""
    zh = lang == "zh"
    k = len(result.framework.indicators)
    n = result.indicators_with_data
    if zh:
        carried = f"{k} 项指标均有数据" if n == k else f"{k} 项指标中仅 {n} 项有数据"
        out = f"评分基准：{result.recipe.basis.describe('zh')}；{carried}"
    else:
        carried = f"all {k} indicators carry data" if n == k else f"only {n} of the {k} indicators carry data"
        out = f"scores on {result.recipe.basis.describe('en')}; {carried}"
    screened = result.coverage[result.coverage.screened_out]
    if len(screened):
        listed = ", ".join(list(screened.index[:8])) + (", ..." if len(screened) > 8 else "")
        out += (f"；筛除 {len(screened)} 个数据不足的单元：{listed}" if zh
                else f"; {len(screened)} unit(s) screened out for too little data: {listed} (see coverage.csv)")
    return out



def run_calibrate(framework: str, data: Path, out: Path, recipe: Path | None, units: CalibrationUnits,
                  years: list[int] | None, clip: bool, force: bool, sheet: str | None) -> None:
    """``clusterleap calibrate``: fit the basis on the reference population and write the recipe with it."""
    check_target(out, folder=False, force=force)
    rc = fit(framework, read_data_opt(data, sheet), as_recipe(recipe), units=units.value, years=years, clip=clip)
    write_atomic_file(out, lambda tmp: rc.save(tmp), force=force)
    console.print(f"wrote {out}: a frozen basis for {len(rc.basis.stats)} indicators, fitted on "
                  f"{rc.basis.fitted_on}")


def demo_tables(result: Result, analytics: Analytics, trend: Trends, top: int, lang: str) -> list[Table]:
    """What the demo prints: the ranking with grades and types, grade reasons, one cluster's short boards and
    actions, and the leap over the years."""
    zh = lang == "zh"
    fw = result.framework
    root = fw.root.code
    grades, types = analytics.grades, analytics.types
    h = HEADINGS[lang]
    ranking = ranking_table(result, top, lang)
    ranking.caption = None
    order = result.ranking(root)
    grade_col = grades["grade_zh" if zh else "grade"]
    type_col = types["type_name_zh" if zh else "type_name"]
    reason_col = grades["reason_zh" if zh else "reason"]
    bench = np.asarray(result.data.benchmark, dtype=bool)
    domestic = [str(u) for u in order.index if not bench[result.units.index(str(u))]]
    reasons = Table(title="等级、类型与分级理由（排名靠前的国内集群）" if zh
                    else "Grades, types and why (top domestic clusters)")
    reasons.add_column(h["unit"], no_wrap=True)
    reasons.add_column(h["grade"], overflow="fold", max_width=14)
    reasons.add_column(h["type"], overflow="fold", max_width=16)
    reasons.add_column(h["reason"], overflow="fold", ratio=1)
    for code in domestic[:6]:
        reasons.add_row(code, str(grade_col[code]), str(type_col[code]), str(reason_col[code]))
    # the best-ranked domestic cluster whose short boards trigger actions
    counts = analytics.actions["unit"].value_counts()
    focus = next((u for u in domestic if counts.get(u, 0) >= 2), domestic[0])
    acts = analytics.actions[analytics.actions["unit"] == focus]
    actions = Table(title=(f"{focus}：短板与政策建议" if zh else f"{focus}: short boards and policy actions"))
    actions.add_column(h["action"], overflow="fold")
    actions.add_column(h["because"], overflow="fold")
    for _, a in acts.head(5).iterrows():
        actions.add_row(str(a["action_zh" if zh else "action_en"]), str(a["evidence_zh" if zh else "evidence"]))
    years = list(trend.years)
    dom_mean = trend.index.loc[~bench].mean()
    frontier = trend.frontier["frontier"]
    gini = trend.disparity["gini"]
    leap = Table(title=f"跃升监测，{years[0]}-{years[-1]}（{trend.describe_reference('zh')}）" if zh
                 else f"The leap, {years[0]}-{years[-1]} (scores on {trend.describe_reference('en')})")
    leap.add_column("")
    for y in years:
        leap.add_column(str(y), justify="right")
    leap.add_row("domestic mean index" if not zh else "国内集群平均指数", *(_fmt(dom_mean[y]) for y in years))
    leap.add_row("frontier (benchmark median)" if not zh else "前沿（标杆中位数）",
                 *(_fmt(float(frontier[y])) for y in years))
    leap.add_row("Gini (domestic)" if not zh else "基尼系数（国内）", *(f"{float(gini[y]):.3f}" for y in years))
    return [ranking, reasons, actions, leap]



def run_demo(out: Path, top: int, lang: str, force: bool) -> None:
    """``clusterleap demo``: evaluate, analyse and monitor the illustrative data, print the tables, write them."""
    check_target(out, folder=True, force=force)
    data = illustrative_data()
    recipe = as_recipe(demo_recipe_path())
    result = evaluate("world-class", data, recipe)
    analytics = analyse(result)
    trend = trends("world-class", data, recipe)
    console.print(illustrative_notice(lang), style="yellow")

    def write(d: Path) -> None:
        result._write(d, "csv")
        write_tables(d / "analytics", analytics.tables())
        write_tables(d, trend.tables())
        write_csv(illustrative_frame(), d / "illustrative-data.csv", index=False)
        recipe.save(d / "recipe.yaml")

    write_atomic_dir(out, write, force=force)
    for k, table in enumerate(demo_tables(result, analytics, trend, top, lang)):
        console.print(table)
        if k == 0:
            console.print(scoring_note(result, lang))
    console.print(illustrative_notice(lang), style="yellow")
    console.print(f"{WROTE[lang]} {out}/{'：' if lang == 'zh' else ': '}scores.csv, ranks.csv, stages/, analytics/, "
                  "trends/, provenance.json, illustrative-data.csv, recipe.yaml")
    console.print(f"{'下一步：' if lang == 'zh' else 'next: '}clusterleap evaluate -f world-class -d "
                  f"{out}/illustrative-data.csv -r {out}/recipe.yaml "
                  f"-o {out}/again")
