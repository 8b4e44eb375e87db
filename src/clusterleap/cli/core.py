"""Core commands: frameworks, show, methods, template, check, evaluate, demo."""

from __future__ import annotations

import fnmatch
import math
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from .._api import as_dataset, as_recipe, evaluate
from .._dataset import Dataset
from .._files import check_target, write_atomic_dir, write_atomic_file
from .._framework import Framework
from .._pipeline import screen
from .._recipe import Plan, Step
from .._result import ILLUSTRATIVE_NOTICE, Result, illustrative_notice
from .._tables import write_csv, write_tables
from ..analysis._grades import scheme_for
from ..errors import ClusterleapError, DataError
from ..io._data_files import read_data
from ..io._framework_files import load_framework

if TYPE_CHECKING:
    from ..analysis._profile import Analytics
    from ..analysis._trends import Trends
from ..stages import STAGES
from ..stages._arrays import sample_moments
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


def read_data_opt(data: Path, sheet: str | None, layout: Layout = Layout.auto, unit_column: str | None = None,
                  name_column: str | None = None, exclude: list[str] | None = None) -> Dataset | Path:
    """The data of ``--data``: the path itself (read where the command needs it), or, with ``--sheet``,
    ``--layout``, ``--unit-column``, ``--name-column`` or ``--exclude``, the data set read as they say."""
    if sheet is None and layout == Layout.auto and unit_column is None and name_column is None and not exclude:
        return data
    ds = read_data(data, sheet=sheet, layout=layout.value, unit=unit_column, name=name_column)
    return exclude_units(ds, exclude or [])


def exclude_units(ds: Dataset, patterns: list[str]) -> Dataset:
    """The data set without the units whose code matches one of the shell-style ``patterns`` (``ZZ*``); a pattern
    that matches no unit is an error (a typo would otherwise leave in what was meant to go)."""
    if not patterns:
        return ds
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(u, pattern) for u in ds.units):
            raise DataError(f"--exclude {pattern!r}: no unit code of {ds.source} matches it (codes such as "
                            f"{', '.join(ds.units[:5])})")
    keep = np.array([not any(fnmatch.fnmatchcase(u, p) for p in patterns) for u in ds.units], dtype=bool)
    if not keep.any():
        raise DataError(f"--exclude {' '.join(patterns)}: leaves no unit of {ds.source}")
    return ds.select_units(keep)


# -- template -----------------------------------------------------------------------------------------------------
def indicator_sheet(fw: Framework) -> pd.DataFrame:
    """One row per indicator: what to collect and how."""
    rows = []
    for c in fw.indicators:
        n = fw.by_code[c]
        rows.append({
            "code": c, "name_en": n.name_en, "name_zh": n.name_zh, "unit": n.unit,
            "direction": "higher is better" if n.direction > 0 else "lower is better",
            "definition": n.definition, "source": n.source, "denominator": n.denominator or "",
            "target": n.target if n.target is not None else "", "parent": n.parent or "",
        })
    return pd.DataFrame(rows)


def data_columns(fw: Framework) -> list[str]:
    denominators = sorted({d for c in fw.indicators if (d := fw.by_code[c].denominator)} - set(fw.indicators))
    return ["unit", "name", "sector", "region", "benchmark", "year", *fw.indicators, *denominators]


def write_template(fw: Framework, out: Path, fmt: str, force: bool = False) -> list[Path]:
    """Write a data-collection template: a units x indicators sheet and a sheet of indicator definitions (a CSV
    template is two files: both targets are checked before either is written)."""
    data = pd.DataFrame(columns=data_columns(fw))
    info = indicator_sheet(fw)
    if fmt == "xlsx":
        from ..io._template import write_template_xlsx

        write_atomic_file(out, lambda tmp: write_template_xlsx(fw, list(data.columns), info, tmp), force=force)
        return [out]
    info_path = out.with_name(f"{out.stem}-indicators.csv")
    for path in (out, info_path):
        check_target(path, folder=False, force=force)
    write_atomic_file(out, lambda tmp: write_csv(data, tmp, index=False), force=force)
    write_atomic_file(info_path, lambda tmp: write_csv(info, tmp, index=False), force=force)
    return [out, info_path]


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
    fw = load_framework(framework)
    fmt = format.value if format else ("csv" if out.suffix.lower() == ".csv" else "xlsx")
    written = write_template(fw, out, fmt, force)
    console.print(f"wrote {', '.join(str(p) for p in written)}: {len(fw.indicators)} indicators of {fw.name!r}")


# -- check --------------------------------------------------------------------------------------------------------
def quality(result: Result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage of the raw data per indicator and per unit, and skewness and kurtosis of the values the outlier
    treatment sees (after denomination and transform), flagged as COINr's rule would (|skew| >= 2, kurtosis >=
    3.5)."""
    raw = result.stage("raw")
    present = raw.notna()
    skew, kurt, _ = sample_moments(result.stage("transformed").to_numpy()[None], axis=-2)
    per_ind = pd.DataFrame({
        "coverage": present.mean(axis=0), "missing": (~present).sum(axis=0), "skewness": skew[0],
        "kurtosis": kurt[0],
    })
    per_ind.index.name = "indicator"
    per_ind["outlier_flag"] = (per_ind["skewness"].abs() >= 2) & (per_ind["kurtosis"] >= 3.5)
    per_unit = pd.DataFrame({"name": list(result.data.names), "coverage": present.mean(axis=1),
                             "missing": (~present).sum(axis=1)}, index=raw.index)
    return per_ind, per_unit


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
    fw = load_framework(framework)
    ds = as_dataset(read_data_opt(data, sheet, layout, unit_column, name_column, exclude))
    yr = ds.years[ds.year_index(year)]
    rc = as_recipe(recipe)
    # every unit is evaluated, so that coverage is shown even for units the recipe's screen would remove
    result = evaluate(fw, ds, replace(rc, screen=Plan(Step("none"))), yr)  # checks the data against the framework
    per_ind, _ = quality(result)
    cov = result.coverage.copy()
    cov["screened_out"] = ~screen(fw, ds, rc, [yr]).kept[0]
    k = len(fw.indicators)
    carried = int((per_ind.coverage > 0).sum())
    thin = carried < k / 2 or float(cov.coverage.mean()) < 0.5
    console.print(Text.assemble(("thin data" if thin else "ok", "bold red" if thin else "green"), ": "), end="")
    console.print(f"{ds.source} fits framework {fw.name!r}: {len(ds.units)} units, "
                  f"{k} indicators, years {ds.years[0]}-{ds.years[-1]} (checked {yr})")
    if ds.illustrative:
        console.print(ILLUSTRATIVE_NOTICE, style="yellow")
    overall = float(per_ind.coverage.mean())
    console.print(f"coverage {overall:.1%}; {int(per_ind.missing.sum())} missing values; {carried} of {k} "
                  f"indicators carry data", style="bold red" if thin else None)
    if thin:
        console.print(f"most of framework {fw.name!r} is empty in this data: scores would rest on {carried} "
                      f"indicator(s); grades need data on {_share_rule(result)} of the indicators", style="bold red")
    n_out = int(cov["screened_out"].sum())
    if n_out:
        console.print(f"{n_out} of {len(ds.units)} units fail the recipe's screening rule "
                      f"({rc.screen.default.method}) and would be neither ranked nor graded", style="bold red")
    console.print(dimension_coverage_table(result))
    table = Table(title="Indicators with missing values or outlier flags")
    for col in ("indicator", "coverage", "missing", "skewness", "kurtosis", "flag"):
        table.add_column(col)
    shown = per_ind[(per_ind.missing > 0) | per_ind.outlier_flag]
    for code, row in shown.iterrows():
        table.add_row(str(code), f"{row['coverage']:.1%}", str(int(row["missing"])), _fmt(row["skewness"]),
                      _fmt(row["kurtosis"]), "skew/kurtosis" if row["outlier_flag"] else "")
    if len(shown):
        console.print(table)
    low = cov[cov.coverage < 0.9]
    if len(low):
        ut = Table(title="Units with less than 90 % coverage")
        for col in ("unit", "name", "indicators", "coverage", "status"):
            ut.add_column(col)
        for code, row in low.sort_values("coverage").iterrows():
            status = "screened out" if row.screened_out else ""
            ut.add_row(str(code), str(row["name"]), f"{int(row.indicators_with_data)} of {k}",
                       f"{row.coverage:.1%}", status)
        console.print(ut)
    if coherence:
        from .coherence import print_coherence

        print_coherence(result, console)


def _share_rule(result: Result) -> str:
    """The coverage the grading scheme asks for, in words."""
    try:
        rule = scheme_for(result.recipe).min_coverage
    except ClusterleapError:
        rule = None
    return f"at least {rule:.0%}" if rule else "a share set by the grading scheme"


def dimension_coverage_table(result: Result) -> Table:
    """Coverage per dimension: the mean share of its indicators with data, and how many units have none."""
    fw = result.framework
    t = Table(title=f"Coverage by dimension, {result.year}")
    for col in ("dimension", "indicators", "mean coverage", "units without data"):
        t.add_column(col, justify="left" if col == "dimension" else "right")
    for d, row in result.dimension_coverage.iterrows():
        t.add_row(f"{d} {fw.by_code[str(d)].label('en')}", str(int(row["indicators"])),
                  f"{row['mean_coverage']:.0%}", str(int(row["units_without_data"])))
    return t


def _fmt(v: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals, never "-0.00"; empty for NaN."""
    return "" if math.isnan(v) else f"{round(v, digits) + 0.0:.{digits}f}"


# -- evaluate -----------------------------------------------------------------------------------------------------
#: Column headings of the command line's tables.
HEADINGS = {
    "en": {"rank": "rank", "unit": "unit", "name": "name", "grade": "grade", "type": "type", "reason": "reason",
           "action": "action", "because": "triggered by"},
    "zh": {"rank": "排名", "unit": "代码", "name": "名称", "grade": "等级", "type": "类型", "reason": "理由",
           "action": "政策举措", "because": "触发短板"},
}


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
    table = Table(title=title or f"{fw.by_code[root].label(lang)}, {result.year}",
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
    check_target(out, folder=True, force=force)  # before the work, not after it
    result = evaluate(framework, read_data_opt(data, sheet, layout, unit_column, name_column, exclude),
                      as_recipe(recipe), year)
    write_atomic_dir(out, lambda d: result._write(d, "csv"), force=force)
    console.print(ranking_table(result, top, lang.value, digits=digits))
    console.print(scoring_note(result, lang.value))
    console.print(f"wrote {out}/scores.csv, ranks.csv, coverage.csv, stages/, provenance.json")


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


# -- calibrate ----------------------------------------------------------------------------------------------------
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
    from .._api import calibrate as fit

    check_target(out, folder=False, force=force)
    rc = fit(framework, read_data_opt(data, sheet), as_recipe(recipe), units=units.value, years=years, clip=clip)
    write_atomic_file(out, lambda tmp: rc.save(tmp), force=force)
    console.print(f"wrote {out}: a frozen basis for {len(rc.basis.stats)} indicators, fitted on "
                  f"{rc.basis.fitted_on}")


# -- demo ---------------------------------------------------------------------------------------------------------
def demo_recipe_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("clusterleap") / "data" / "demo-recipe.yaml"))


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
    from ..analysis._profile import analyse
    from ..analysis._trends import trends
    from ..illustrative import illustrative_data, illustrative_frame

    check_target(out, folder=True, force=force)
    data = illustrative_data()
    recipe = as_recipe(demo_recipe_path())
    result = evaluate("world-class", data, recipe)
    analytics = analyse(result)
    trend = trends("world-class", data, recipe)
    console.print(illustrative_notice(lang.value), style="yellow")

    def write(d: Path) -> None:
        result._write(d, "csv")
        write_tables(d / "analytics", analytics.tables())
        write_tables(d, trend.tables())
        write_csv(illustrative_frame(), d / "illustrative-data.csv", index=False)
        recipe.save(d / "recipe.yaml")

    write_atomic_dir(out, write, force=force)
    for k, table in enumerate(demo_tables(result, analytics, trend, top, lang.value)):
        console.print(table)
        if k == 0:
            console.print(scoring_note(result, lang.value))
    console.print(illustrative_notice(lang.value), style="yellow")
    console.print(f"wrote {out}/: scores.csv, ranks.csv, stages/, analytics/, trends/, provenance.json, "
                  "illustrative-data.csv, recipe.yaml")
    console.print(f"next: clusterleap evaluate -f world-class -d {out}/illustrative-data.csv -r {out}/recipe.yaml "
                  f"-o {out}/again")
