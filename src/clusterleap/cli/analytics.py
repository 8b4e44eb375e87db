"""Cluster analytics commands: profile, grades, gaps, trends."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table
from rich.text import Text

from ..api import as_recipe, evaluate
from ..files import write_atomic_dir, write_tables
from ..result import ILLUSTRATIVE_NOTICE, Result
from .app import app, console, guarded
from .core import DataOpt, FrameworkOpt, Lang, LangOpt, RecipeOpt, YearOpt

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


class Reference(StrEnum):
    pooled = "pooled"
    first = "first"


def _f(v: Any, digits: int = 1) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "" if math.isnan(x) else f"{x:.{digits}f}"


def _notice(result_illustrative: bool) -> None:
    if result_illustrative:
        console.print(ILLUSTRATIVE_NOTICE, style="yellow")


def _evaluate(framework: str, data: Path, recipe: Path | None, year: int | None) -> Result:
    return evaluate(framework, data, as_recipe(recipe), year)


def _name(result: Result, code: str, lang: str) -> str:
    return result.framework.by_code[code].label(lang)


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
) -> None:
    """One cluster's profile: scores and ranks, grade with its reason, type, strengths and short boards, gaps to the
    benchmark, obstacle degrees, marginal gains and the policy actions its short boards call for."""
    from ..analysis.profile import _check_unit, analyse

    result = _evaluate(framework, data, recipe, year)
    _check_unit(result, unit)
    an = analyse(result, peer=peer, benchmark=benchmark, scheme=scheme, actions=actions)
    p = an.profile(unit)
    zh = lang.value == "zh"
    lg = lang.value
    fw = result.framework
    _notice(result.illustrative)
    for note in an.notes:
        console.print(note, style="dim")
    console.print(Text.assemble((p.unit, "bold"), f" {p.name}  {result.year}"))
    console.print(Text.assemble(f"{_name(result, p.index, lg)}: ", (_f(p.score), "bold"),
                                f"  {'排名' if zh else 'rank'} {_f(p.rank, 0)} / {p.n_units}"))
    console.print(Text.assemble(f"{'等级' if zh else 'grade'}: ", (str(p.grade["grade_zh" if zh else "grade"]), "bold"),
                                f" — {p.grade['reason_zh' if zh else 'reason']}"))
    if p.type["type"]:
        console.print(Text.assemble(f"{'类型' if zh else 'type'}: ",
                                    (str(p.type["type_name_zh" if zh else "type_name"]), "bold"),
                                    f" — {p.type['explanation_zh' if zh else 'explanation']}"))

    dims = Table(title="维度" if zh else "Dimensions")
    for col in ("code", "名称" if zh else "name", "score", "rank", "peer median", "gap to ref", "part of gap"):
        dims.add_column(col, justify="right" if col not in ("code", "name", "名称") else "left")
    for d in fw.children[p.index]:
        row = p.gaps.loc[d] if d in p.gaps.index else None
        dims.add_row(d, _name(result, d, lg), _f(p.scores[d]), _f(p.ranks[d], 0),
                     _f(an.standing.loc[(unit, d), "peer_median"]),
                     _f(row["gap"]) if row is not None else "", _f(row["contribution"], 2) if row is not None else "")
    console.print(dims)
    console.print(f"{'差距参照' if zh else 'gaps to'}: {an.gaps.description_zh if zh else p.benchmark}", style="dim")

    for title, df in (("短板" if zh else "Short boards", p.short_boards), ("长板" if zh else "Strengths", p.strengths)):
        t = Table(title=title)
        for col in ("level", "node", "名称" if zh else "name", "score", "peer median", "gap"):
            t.add_column(col)
        for node, r in df.iterrows():
            t.add_row(str(int(r["level"])), str(node), _name(result, str(node), lg), _f(r["score"]),
                      _f(r["peer_median"]), _f(r["peer_gap"]))
        console.print(t)

    t = Table(title="障碍度与边际收益" if zh else "Obstacle degrees and marginal gains")
    for col in ("indicator", "obstacle degree", "indicator ", "index gain per point"):
        t.add_column(col)
    obst, gains = list(p.obstacles.items()), list(p.gains.items())
    for k in range(max(len(obst), len(gains))):
        o = obst[k] if k < len(obst) else ("", float("nan"))
        g = gains[k] if k < len(gains) else ("", float("nan"))
        t.add_row(str(o[0]), _f(o[1], 3), str(g[0]), _f(g[1], 3))
    console.print(t)

    if len(p.actions):
        t = Table(title="政策举措" if zh else "Policy actions")
        for col in ("action", "because", "source"):
            t.add_column(col)
        for _, r in p.actions.iterrows():
            t.add_row(str(r["action_zh" if zh else "action_en"]), str(r["evidence_zh" if zh else "evidence"]),
                      str(r["expert_zh" if zh else "expert_en"]))
        console.print(t)
    if out is not None:
        def write(d: Path) -> None:
            an.write(d)
            (d / f"profile-{unit}.json").write_text(json.dumps(p.to_dict(), ensure_ascii=False, indent=2),
                                                    encoding="utf-8")

        write_atomic_dir(out, lambda d: write(d))
        console.print(f"wrote {out}/: grades.csv, types.csv, standing.csv, obstacles.csv, gains.csv, gaps/, "
                      f"actions.csv, profile-{unit}.json")


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
) -> None:
    """Grade every cluster (world-class, candidate, national leading, regional, emerging, or the scheme's tiers),
    each with the reason in words."""
    from ..analysis.grades import grades

    result = _evaluate(framework, data, recipe, year)
    g = grades(result, scheme)
    zh = lang.value == "zh"
    _notice(result.illustrative)
    counts = g["grade_zh" if zh else "grade"].value_counts()
    console.print(", ".join(f"{k or '-'}: {v}" for k, v in counts.items()))
    t = Table(title=f"{'分级' if zh else 'Grades'}, {result.year}")
    for col in ("unit", "name", "score", "grade", "reason"):
        t.add_column(col, overflow="fold")
    names = dict(zip(result.units, result.data.names, strict=True))
    order = g.sort_values(["tier_pos", "score"], ascending=[True, False])
    order = pd.concat([order[order["tier_pos"] >= 0], order[order["tier_pos"] < 0]])
    for u, r in order.head(top).iterrows():
        t.add_row(str(u), names[str(u)], _f(r["score"]), str(r["grade_zh" if zh else "grade"]),
                  str(r["reason_zh" if zh else "reason"]))
    console.print(t)
    if out is not None:
        write_atomic_dir(out, lambda d: g.to_csv(d / "grades.csv", float_format="%.10g"))
        console.print(f"wrote {out}/grades.csv")


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
) -> None:
    """Gaps to a benchmark cluster, to the best or median benchmark on each indicator, or to the world-class
    targets, decomposed by indicator so that the parts add up to the gap of the index."""
    from ..analysis.gaps import gaps

    result = _evaluate(framework, data, recipe, year)
    g = gaps(result, benchmark)
    lg = lang.value
    _notice(result.illustrative)
    console.print(f"{'参照' if lg == 'zh' else 'reference'}: {g.description_zh if lg == 'zh' else g.description}")
    if unit is not None:
        rows = g.for_unit(unit, level)
        t = Table(title=f"{unit}: {'差距分解' if lg == 'zh' else 'gap by node'}")
        for col in ("node", "name", "level", "score", "reference", "gap", "part of index gap", "share"):
            t.add_column(col)
        for node, r in rows.head(top).iterrows():
            t.add_row(str(node), _name(result, str(node), lg), str(int(r["level"])), _f(r["score"]),
                      _f(r["reference"]), _f(r["gap"]), _f(r["contribution"], 2), _f(100 * r["share"], 1) + " %")
        console.print(t)
    else:
        s = g.summary.sort_values("gap", ascending=False)
        t = Table(title=f"{'与参照的差距' if lg == 'zh' else 'Gaps to the reference'}, {result.year}")
        for col in ("unit", "score", "reference", "gap", "largest part", "its part"):
            t.add_column(col)
        for u, r in s.head(top).iterrows():
            t.add_row(str(u), _f(r["score"]), _f(r["reference"]), _f(r["gap"]), str(r["largest_part"]),
                      _f(r["largest_part_value"], 2))
        console.print(t)
    if out is not None:
        write_atomic_dir(out, lambda d: write_tables(d, g.tables()))
        console.print(f"wrote {out}/gaps/: summary.csv, reference.csv, gap.csv, contribution.csv")


# -- trends -------------------------------------------------------------------------------------------------------
@app.command("trends")
@guarded
def trends_cmd(
    framework: FrameworkOpt,
    data: DataOpt,
    recipe: RecipeOpt = None,
    years: Annotated[list[int] | None, typer.Option("--year", "-y", help="Years to monitor (repeat; default: "
                                                                           "all).")] = None,
    reference: Annotated[str, typer.Option(help="Normalisation bounds: pooled (all years), first, or a year.")]
    = "pooled",
    group: Annotated[str | None, typer.Option(help="Unit metadata column for Dagum's decomposition "
                                                   "(default: region).")] = None,
    scheme: SchemeOpt = None,
    lang: LangOpt = Lang.en,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 15,
    out: OutOpt = None,
) -> None:
    """Monitor the leap over the years with comparable scores: index by year, growth and CAGR, distance to the
    world-class frontier with a naive linear projection, tier transitions, regional disparity (Gini, Dagum) and
    convergence."""
    from ..analysis.trends import trends

    ref: Any = reference
    if reference not in ("pooled", "first"):
        try:
            ref = int(reference)
        except ValueError:
            from ..errors import RecipeError

            raise RecipeError(f"--reference {reference!r}: expected pooled, first or a year") from None
    tr = trends(framework, data, recipe, years, reference=ref, group=group, scheme=scheme)
    zh = lang.value == "zh"
    _notice(tr.illustrative)
    console.print(f"{'归一化基准' if zh else 'normalisation bounds'}: {tr.reference}; "
                  f"{'前沿' if zh else 'frontier'}: {tr.frontier_kind}")
    t = Table(title="指数与增长" if zh else "Index and growth")
    for col in ("unit", *map(str, tr.years), "change", "CAGR", "distance", "projection"):
        t.add_column(col, overflow="fold")
    order = tr.index[tr.years[-1]].sort_values(ascending=False).index
    for u in list(order)[:top]:
        g = tr.growth.loc[u]
        pr = tr.projection.loc[u]
        t.add_row(str(u), *(_f(tr.index.loc[u, y]) for y in tr.years), _f(g["change"]),
                  _f(100 * g["cagr"], 1) + " %", _f(pr["distance"]), str(pr["status_zh" if zh else "status"]))
    t.add_row("frontier", *(_f(v) for v in tr.frontier["frontier"]), "", "", "", "")
    console.print(t)
    y0, y1 = tr.years_compared
    m = Table(title=f"{'等级转移' if zh else 'Tier transitions'} {y0} -> {y1}")
    m.add_column("from \\ to")
    for c in tr.transitions.columns:
        m.add_column(str(c), justify="right")
    for i, r in tr.transitions.iterrows():
        m.add_row(str(i), *(str(int(v)) for v in r))
    console.print(m)
    d = Table(title="区域差异与收敛" if zh else "Disparity and convergence")
    cols = [c for c in ("n", "mean", "gini", "within", "between", "transvariation", "cv", "sd_log")
            if c in tr.disparity.columns]
    d.add_column("year")
    for c in cols:
        d.add_column(c, justify="right")
    for y, r in tr.disparity.iterrows():
        d.add_row(str(y), *(_f(r[c], 0 if c == "n" else 3) for c in cols))
    console.print(d)
    if out is not None:
        tr.write(out)
        console.print(f"wrote {out}/trends/: scores, ranks, index, growth, frontier, distance, projection, grades, "
                      "transitions, disparity, coupling (CSV)")
