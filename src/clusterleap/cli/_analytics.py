"""The work of the analytics commands (profile, grades, gaps, trends): the analyses and the tables they print.

Loaded when one of those commands runs (pandas and the engine), never for ``--help``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from .._api import as_recipe, evaluate
from .._files import check_target, write_atomic_dir
from .._result import Result, illustrative_notice, write_tables_noting
from ..analysis._gaps import gaps, unit_hint
from ..analysis._grades import grades
from ..analysis._profile import Analytics, analyse
from ..analysis._trends import trends
from ..errors import DataError, RecipeError
from ._evaluate import unit_names
from ._words import HEADINGS
from .app import console

#: Table headings and fixed words of the analytics commands in English and Chinese (with the shared ``HEADINGS``).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        **HEADINGS["en"], "code": "code", "score": "score", "peer_median": "peer median", "gap_to_ref": "gap to ref",
        "part_of_gap": "part of gap", "level": "level", "node": "node", "peer_gap": "vs peer median",
        "indicator": "indicator", "obstacle": "obstacle degree", "gain": "index gain per point", "source": "source",
        "reference": "reference", "gap": "gap", "part_of_index_gap": "part of index gap", "share": "share",
        "largest_part": "largest part", "its_part": "its part", "change": "change", "cagr": "CAGR",
        "distance": "distance", "projection": "projection", "frontier": "frontier", "from_to": "from \\ to",
        "year": "year", "n": "n", "mean": "mean", "gini": "gini", "within": "within", "between": "between",
        "transvariation": "transvariation", "cv": "cv", "sd_log": "sd_log",
        "dimensions": "Dimensions", "short_boards": "Short boards", "strengths": "Strengths",
        "obstacles": "Obstacle degrees and marginal gains", "actions": "Policy actions", "grades": "Grades",
        "gap_by_node": "gap by node", "gaps": "Gaps to the reference", "index_growth": "Index and growth",
        "transitions": "Tier transitions", "disparity": "Disparity and convergence", "gaps_to": "gaps to",
        "bounds": "normalisation bounds", "wrote": "wrote", "total": "total",
        "incl_more": "with {n} more not shown", "level_title": "{name} (level {n})",
        "note_targets": "no benchmark units are flagged: gaps are to the framework's world-class targets",
        "note_best": "no benchmark units or targets: gaps are to the best unit, {unit}",
        ":": ": ", ";": "; ", ",": ", ", "—": " — ",
    },
    "zh": {
        **HEADINGS["zh"], "code": "代码", "score": "得分", "peer_median": "同类中位数", "gap_to_ref": "与参照差距",
        "part_of_gap": "指数差距贡献", "level": "层级", "node": "节点", "peer_gap": "较同类中位数",
        "indicator": "指标", "obstacle": "障碍度", "gain": "边际收益", "source": "来源",
        "reference": "参照", "gap": "差距", "part_of_index_gap": "指数差距贡献", "share": "占比",
        "largest_part": "贡献最大的指标", "its_part": "其贡献", "change": "变化", "cagr": "年均复合增长率",
        "distance": "距前沿", "projection": "趋势外推", "frontier": "前沿", "from_to": "期初 \\ 期末",
        "year": "年份", "n": "集群数", "mean": "均值", "gini": "基尼系数", "within": "组内差异",
        "between": "组间净差异", "transvariation": "超变密度", "cv": "变异系数", "sd_log": "对数标准差",
        "dimensions": "维度", "short_boards": "短板", "strengths": "长板", "obstacles": "障碍度与边际收益",
        "actions": "政策举措", "grades": "分级", "gap_by_node": "差距分解", "gaps": "与参照的差距",
        "index_growth": "指数与增长", "transitions": "等级转移", "disparity": "区域差异与收敛", "gaps_to": "差距参照",
        "bounds": "归一化基准", "wrote": "已写入", "total": "合计", "incl_more": "含未列出的 {n} 项",
        "level_title": "第 {n} 层",
        "note_targets": "数据中未标记标杆集群：差距参照为框架的世界级目标值",
        "note_best": "数据中既无标杆集群也无目标值：差距参照为指数最高的集群 {unit}",
        ":": "：", ";": "；", ",": "，", "—": "——",
    },
}


def _f(v: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals; '' for NaN, and never '-0.0' (a negative value that rounds to zero
    prints as zero)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return ""
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _pct(v: Any) -> str:
    """A fraction as a percentage with one decimal ('' for NaN)."""
    text = _f(100 * float(v), 1)
    return f"{text} %" if text else ""


def _notice(illustrative: bool, lang: str) -> None:
    if illustrative:
        console.print(illustrative_notice(lang), style="yellow")


def _evaluate(framework: str, data: Path, recipe: Path | None, year: int | None) -> Result:
    return evaluate(framework, data, as_recipe(recipe), year)


def _name(result: Result, code: str, lang: str) -> str:
    return result.framework.by_code[code].label(lang)


def _table(title: str, headings: list[str], right: tuple[str, ...] = ()) -> Table:
    """A table whose cells wrap and, where a word is wider than its column (a Chinese sentence has no spaces),
    fold onto the next line: nothing is cut."""
    t = Table(title=title)
    for h in headings:
        t.add_column(h, justify="right" if h in right else "left", overflow="fold")
    return t


def run_profile(unit: str, framework: str, data: Path, recipe: Path | None, year: int | None, lang: str,
                peer: str | None, benchmark: str | None, scheme: str | None, actions: Path | None, out: Path | None,
                force: bool) -> None:
    """``clusterleap profile``: one cluster's profile printed, and with ``out`` every analytics table written."""

    if out is not None:
        check_target(out, folder=True, force=force)  # before the work, not after it
    result = _evaluate(framework, data, recipe, year)
    if unit not in result.units:
        raise DataError(f"{result.data.source}: no unit {unit!r}{unit_hint(unit, result.units)}")
    an = analyse(result, peer=peer, benchmark=benchmark, scheme=scheme, actions=actions)
    p = an.profile(unit)
    lg = lang
    zh = lg == "zh"
    w = WORDS[lg]
    fw = result.framework
    _notice(result.illustrative, lg)
    for note in an.notes:
        if note.startswith("no benchmark units"):  # the notes analyse() adds when it picks the reference itself
            ref = an.gaps.benchmark
            note = w["note_targets"] if ref == "targets" else w["note_best"].format(unit=ref)
        console.print(note, style="dim")
    console.print(Text.assemble((p.unit, "bold"), f" {unit_names(result, lg)[unit]}  {result.year}"))
    console.print(Text.assemble(f"{_name(result, p.index, lg)}{w[':']}", (_f(p.score), "bold"),
                                f"  {w['rank']} {_f(p.rank, 0)} / {p.n_units}"))
    console.print(Text.assemble(f"{w['grade']}{w[':']}", (str(p.grade["grade_zh" if zh else "grade"]), "bold"),
                                f"{w['—']}{p.grade['reason_zh' if zh else 'reason']}"))
    if p.type["type"]:
        console.print(Text.assemble(f"{w['type']}{w[':']}", (str(p.type["type_name_zh" if zh else "type_name"]),
                                                              "bold"),
                                    f"{w['—']}{p.type['explanation_zh' if zh else 'explanation']}"))

    # codes and names share one column that takes the width left, so that an 80-column terminal cuts neither
    numbers = ("score", "rank", "peer_median", "gap_to_ref", "part_of_gap")
    dims = _node_table(w["dimensions"], w["node"],
                       [(w[k], width) for k, width in zip(numbers, (6, 5, 8, 8, 8), strict=True)], lg)
    for d in fw.children[p.index]:
        row = p.gaps.loc[d] if d in p.gaps.index else None
        dims.add_row(_node_cell(result, d, lg), _f(p.scores[d]), _f(p.ranks[d], 0),
                     _f(an.standing.loc[(unit, d), "peer_median"]),
                     _f(row["gap"]) if row is not None else "", _f(row["contribution"], 2) if row is not None else "")
    console.print(dims)
    console.print(f"{w['gaps_to']}{w[':']}{an.gaps.describe(lg)}", style="dim")

    for key, df in (("short_boards", p.short_boards), ("strengths", p.strengths)):
        t = _node_table(w[key], w["node"], [(w[k], width) for k, width in
                                            zip(("level", "score", "peer_median", "peer_gap"), (5, 6, 8, 8),
                                                strict=True)], lg)
        for node, r in df.iterrows():
            t.add_row(_node_cell(result, str(node), lg), str(int(r["level"])), _f(r["score"]),
                      _f(r["peer_median"]), _f(r["peer_gap"]))
        console.print(t)

    console.print(obstacle_table(an, unit, list(p.obstacles.index), list(p.gains.index), lg))

    if len(p.actions):
        t = _table(w["actions"], [w["action"], w["because"], w["source"]])
        for _, r in p.actions.iterrows():
            t.add_row(str(r["action_zh" if zh else "action_en"]), str(r["evidence_zh" if zh else "evidence"]),
                      str(r["expert_zh" if zh else "expert_en"]))
        console.print(t)
    if out is not None:
        def write(d: Path) -> None:
            an.write(d)
            (d / f"profile-{unit}.json").write_text(json.dumps(p.to_dict(), ensure_ascii=False, indent=2),
                                                    encoding="utf-8")

        write_atomic_dir(out, lambda d: write(d), force=force)
        console.print(f"{w['wrote']} {out}/: grades.csv, types.csv, standing.csv, obstacles.csv, gains.csv, gaps/, "
                      f"actions.csv, profile-{unit}.json")

def obstacle_table(an: Analytics, unit: str, obstacles: list[str], gains: list[str], lang: str) -> Table:
    """Obstacle degree and marginal gain of the same indicators, one row each: the indicators that hold the unit
    back most, then those where a point gains the index most, ordered by obstacle degree."""
    w = WORDS[lang]
    obst = pd.Series(an.obstacles.loc[unit], dtype=float)
    gain = pd.Series(an.gains.loc[unit], dtype=float)
    codes = list(dict.fromkeys([*obstacles, *gains]))
    codes.sort(key=lambda c: -float(obst[c]) if not math.isnan(float(obst[c])) else math.inf)
    t = _node_table(w["obstacles"], w["indicator"], [(w["score"], 6), (w["obstacle"], 9), (w["gain"], 10)], lang)
    scores = an.result.scores.loc[unit]
    for c in codes:
        t.add_row(_node_cell(an.result, c, lang), _f(scores[c]), _f(obst[c], 3), _f(gain[c], 3))
    return t


def run_grades(framework: str, data: Path, recipe: Path | None, year: int | None, lang: str, scheme: str | None,
               top: int, out: Path | None, force: bool) -> None:
    """``clusterleap grades``: every cluster's grade and its reason."""

    if out is not None:
        check_target(out, folder=True, force=force)  # before the work, not after it
    result = _evaluate(framework, data, recipe, year)
    g = grades(result, scheme)
    lg = lang
    zh = lg == "zh"
    w = WORDS[lg]
    _notice(result.illustrative, lg)
    console.print(grade_summary(result, g, lg))
    t = Table(title=f"{w['grades']}{w[',']}{result.year}")
    for col in ("unit", "name", "score", "grade", "reason"):
        t.add_column(w[col], overflow="fold", justify="right" if col == "score" else "left")
    names = unit_names(result, lg)
    order = g.sort_values(["tier_pos", "score"], ascending=[True, False])
    order = pd.concat([order[order["tier_pos"] >= 0], order[order["tier_pos"] < 0]])
    for u, r in order.head(top).iterrows():
        t.add_row(str(u), names[str(u)], _f(r["score"]), str(r["grade_zh" if zh else "grade"]),
                  str(r["reason_zh" if zh else "reason"]))
    console.print(t)
    if out is not None:
        write_atomic_dir(out, lambda d: write_tables_noting(d, {"grades": g}, result.illustrative), force=force)
        console.print(f"{w['wrote']} {out}/grades.csv")

def grade_summary(result: Result, g: pd.DataFrame, lang: str) -> str:
    """One line: the scoring basis, domestic clusters per grade, and the units that are not graded and why."""
    zh = lang == "zh"
    bench = np.asarray(result.data.benchmark, dtype=bool)
    graded = g[g["tier_pos"] >= 0]
    counts = graded["grade_zh" if zh else "grade"].value_counts()
    thin = int(((g["tier_pos"] < 0) & ~bench).sum())
    parts = [f"{k} {v} 个" if zh else f"{k}: {v}" for k, v in counts.items()]
    head = "国内集群分级：" if zh else "domestic clusters by grade: "
    line = f"{head}{('，' if zh else ', ').join(parts) if parts else ('无' if zh else 'none graded')}"
    if bench.any():
        line += (f"；标杆 {int(bench.sum())} 个（作为参照，不分级）" if zh
                 else f"; benchmarks: {int(bench.sum())} (references, not graded)")
    if thin:
        line += (f"；未评级 {thin} 个（数据不足或指数缺失）" if zh
                 else f"; not graded: {thin} (too little data or no index)")
    basis = result.recipe.basis
    line += f"\n{'评分基准：' if zh else 'scores on: '}{basis.describe(lang)}"
    return line


def run_gaps(framework: str, data: Path, benchmark: str, recipe: Path | None, year: int | None, unit: str | None,
             level: int | None, lang: str, top: int, out: Path | None, force: bool) -> None:
    """``clusterleap gaps``: the gaps to the reference, of every unit or, with ``unit``, of one by level."""

    if out is not None:
        check_target(out, folder=True, force=force)  # before the work, not after it
    result = _evaluate(framework, data, recipe, year)
    g = gaps(result, benchmark)
    lg = lang
    w = WORDS[lg]
    _notice(result.illustrative, lg)
    console.print(f"{w['reference']}{w[':']}{g.describe(lg)}")
    if unit is not None:
        fw = result.framework
        root = fw.root.code
        whole = g.for_unit(unit, fw.level[root]).loc[root]
        console.print(Text.assemble((f"{unit} {unit_names(result, lg)[unit]}", "bold"),
                                    f"{w[':']}{_name(result, root, lg)} {_f(whole['score'])}{w[',']}"
                                    f"{w['reference']} {_f(whole['reference'])}{w[',']}{w['gap']} "
                                    f"{_f(whole['gap'])}"))
        levels = [level] if level is not None else list(range(fw.level[root] - 1, 0, -1))
        for lv in levels:
            console.print(level_gap_table(result, g.for_unit(unit, lv), lv, top, lg))
    else:
        s = g.summary.sort_values("gap", ascending=False)
        values = ("score", "reference", "gap", "its_part")
        headings = [w[k] for k in ("unit", "score", "reference", "gap", "largest_part", "its_part")]
        t = _table(f"{w['gaps']}{w[',']}{result.year}", headings, tuple(w[k] for k in values))
        for u, r in s.head(top).iterrows():
            t.add_row(str(u), _f(r["score"]), _f(r["reference"]), _f(r["gap"]), str(r["largest_part"]),
                      _f(r["largest_part_value"], 2))
        console.print(t)
    if out is not None:
        write_atomic_dir(out, lambda d: write_tables_noting(d, g.tables(), result.illustrative), force=force)
        console.print(f"{w['wrote']} {out}/gaps/: summary.csv, reference.csv, gap.csv, contribution.csv")

def level_gap_table(result: Result, rows: pd.DataFrame, level: int, top: int, lang: str) -> Table:
    """One level's part of a unit's gap: the nodes of that level only, so that their parts add up to the index gap
    and their shares to 100 % (a total row says so; nodes beyond ``top`` are counted in it)."""
    w = WORDS[lang]
    fw = result.framework
    numbers = ("score", "reference", "gap", "part_of_index_gap", "share")
    title = f"{w['gap_by_node']}{w[':']}{w['level_title'].format(name=fw.level_name(level), n=level)}"
    t = _node_table(title, w["node"],
                    [(w[k], width) for k, width in zip(numbers, (6, 9, 6, 8, 8), strict=True)], lang)
    for node, r in rows.head(top).iterrows():
        t.add_row(_node_cell(result, str(node), lang), _f(r["score"]), _f(r["reference"]), _f(r["gap"]),
                  _f(r["contribution"], 2), _pct(r["share"]))
    more = len(rows) - min(top, len(rows))
    t.add_section()
    t.add_row(w["total"] + (f" ({w['incl_more'].format(n=more)})" if more else ""), "", "", "",
              _f(rows["contribution"].sum(), 2), _pct(rows["share"].sum()))
    return t


def _node_table(title: str, node_heading: str, numbers: list[tuple[str, int]], lang: str) -> Table:
    """A table of nodes: code and name in one column that takes the width left (the code in bold on the first
    line, never cut; the name wraps after it), then number columns of fixed width whose headings wrap."""
    t = Table(title=title)
    t.add_column(node_heading, ratio=1, overflow="fold" if lang == "zh" else "ellipsis")
    for heading, width in numbers:
        # a Chinese heading has no spaces to wrap at: its column is as wide as it, so that no word is broken
        width = max(width, cell_len(heading)) if lang == "zh" else width
        t.add_column(heading, justify="right", width=width, overflow="fold" if lang == "zh" else "ellipsis")
    return t


def _node_cell(result: Result, code: str, lang: str) -> Text:
    return Text.assemble((code, "bold"), " ", _name(result, code, lang))


def run_trends(framework: str, data: Path, recipe: Path | None, years: list[int] | None, reference: str | None,
               group: str | None, scheme: str | None, lang: str, top: int, out: Path | None, force: bool) -> None:
    """``clusterleap trends``: index and growth, tier transitions, disparity and convergence over the years."""

    ref: Any = reference
    if reference is not None and reference not in ("pooled", "first"):
        try:
            ref = int(reference)
        except ValueError:
            raise RecipeError(f"--reference {reference!r}: expected pooled, first or a year") from None
    if out is not None:
        check_target(out, folder=True, force=force)
    tr = trends(framework, data, recipe, years, reference=ref, group=group, scheme=scheme)
    lg = lang
    zh = lg == "zh"
    w = WORDS[lg]
    _notice(tr.illustrative, lg)
    console.print(f"{w['bounds']}{w[':']}{tr.describe_reference(lg)}{w[';']}{w['frontier']}{w[':']}"
                  f"{tr.describe_frontier(lg)}")
    numbers = (*map(str, tr.years), w["change"], w["cagr"], w["distance"])
    t = _table(w["index_growth"], [w["unit"], *numbers, w["projection"]], numbers)
    for col in t.columns:
        col.overflow = "fold"
    order = tr.index[tr.years[-1]].sort_values(ascending=False).index
    for u in list(order)[:top]:
        g = tr.growth.loc[u]
        pr = tr.projection.loc[u]
        t.add_row(str(u), *(_f(tr.index.loc[u, y]) for y in tr.years), _f(g["change"]), _pct(g["cagr"]),
                  _f(pr["distance"]), str(pr["status_zh" if zh else "status"]))
    t.add_row(w["frontier"], *(_f(v) for v in tr.frontier["frontier"]), "", "", "", "")
    console.print(t)
    y0, y1 = tr.years_compared
    matrix = tr.transitions_labelled(lg)
    m = _table(f"{w['transitions']} {y0} -> {y1}", [w["from_to"], *map(str, matrix.columns)],
               tuple(map(str, matrix.columns)))
    for i, r in matrix.iterrows():
        m.add_row(str(i), *(str(int(v)) for v in r))
    console.print(m)
    cols = [c for c in ("n", "mean", "gini", "within", "between", "transvariation", "cv", "sd_log")
            if c in tr.disparity.columns]
    d = _table(w["disparity"], [w["year"], *(w[c] for c in cols)], tuple(w[c] for c in cols))
    for y, r in tr.disparity.iterrows():
        d.add_row(str(y), *(_f(r[c], 0 if c == "n" else 3) for c in cols))
    console.print(d)
    if out is not None:
        write_atomic_dir(out, lambda d: write_tables_noting(d, tr.tables(), tr.illustrative), force=force)
        console.print(f"{w['wrote']} {out}/trends/: scores, ranks, index, growth, frontier, distance, projection, "
                      "grades, transitions, disparity, coupling (CSV)")
