"""The report's key findings: a few sentences written from the results, in the report's language, each pointing to
the section whose table or chart shows it.

What a reader wants first (issue of the ministry's reader): who leads and why, how many domestic clusters reach
each grade, the commonest short boards, what changed since last year and how robust the top ranks are. Every
number in a sentence is read from the same tables the sections show (the ranking, the grade counts, the standing
of each cluster against its peers, the monitoring tables, the rank intervals), so each sentence can be checked
against its section.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._formatting import fmt, fmt_rank, interval

if TYPE_CHECKING:
    from ._view import Report

__all__ = ["Finding", "findings"]


@dataclass(frozen=True)
class Finding:
    """One sentence and the section (its id) that shows its numbers."""

    key: str
    text: str
    section: str


def _domestic(report: Report) -> list[int]:
    """Domestic clusters (all clusters when none is a benchmark) in rank order, ranked ones only."""
    order = [i for i in report.order if not math.isnan(report.rank(i))]
    dom = [i for i in order if not report.benchmark[i]]
    return dom or order


def _leader(report: Report, dom: list[int]) -> Finding | None:
    if not dom:
        return None
    t = report.t
    i = dom[0]
    med = np.asarray(report.domestic_median, dtype=float)
    gaps = report.dim_scores[i] - med
    ok = np.isfinite(gaps)
    why = ""
    if ok.any():
        best = sorted((k for k in range(len(report.dims)) if ok[k]), key=lambda k: -gaps[k])[:2]
        parts = [t["finding_dim"].format(name=report.label(report.dims[k]), score=fmt(report.dim_scores[i][k]),
                                         gap=fmt(gaps[k])) for k in best if gaps[k] > 0]
        if parts:
            why = t["finding_leader_why"].format(dims=t["finding_and"].join(parts))
    text = t["finding_leader"].format(name=report.names[i], score=fmt(report.score(i, report.root)),
                                      rank=fmt_rank(report.rank(i)), n=len(report.result.units))
    bench = report.benchmark
    if bench.any():
        b = report.result.score_array[bench, report.result.nodes.index(report.root)]
        if np.isfinite(b).any():
            bmed = float(np.nanmedian(b))
            gap = bmed - report.score(i, report.root)
            key = "finding_leader_bench" if gap > 0 else "finding_leader_above"
            text += t[key].format(gap=fmt(gap), bench=fmt(bmed))
    return Finding("leader", text + why + t["finding_end"], "ranking")


def _grades(report: Report) -> Finding | None:
    grades = report.summary["grades"]
    if not grades:
        return None
    t = report.t
    n = sum(int(g["count"]) for g in grades)
    parts = [t["finding_grade_part"].format(count=g["count"], grade=g["grade"]) for g in grades]
    text = t["finding_grades"].format(n=n, parts=t["finding_list_sep"].join(parts))
    return Finding("grades", text + t["finding_end"], "ranking")  # each cluster's grade is in the ranking


def _short_boards(report: Report, dom: list[int]) -> Finding | None:
    an = report.analytics
    if an is None or not dom:
        return None
    t = report.t
    st = an.standing
    units = report.result.units
    dims = set(report.dims)
    dim_count: Counter[str] = Counter()
    ind_count: Counter[str] = Counter()
    indicators = set(report.result.framework.indicators)
    for i in dom:
        u = units[i]
        if u not in st.index.get_level_values(0):
            continue
        rows = st.loc[u]
        gaps = rows["peer_gap"].astype(float)
        d = gaps[gaps.index.isin(dims)]
        if len(d) and d.min() < 0:
            dim_count[str(d.idxmin())] += 1
        ind = gaps[gaps.index.isin(indicators)]
        if len(ind) and ind.min() < 0:
            ind_count[str(ind.idxmin())] += 1
    if not dim_count:
        return None
    (d1, k1), *rest = dim_count.most_common(2)
    text = t["finding_boards"].format(name=report.label(d1), k=k1, n=len(dom))
    if rest:
        text += t["finding_boards_next"].format(name=report.label(rest[0][0]), k=rest[0][1])
    if ind_count:
        c, k = ind_count.most_common(1)[0]
        text += t["finding_boards_indicator"].format(name=report.label(c), k=k)
    return Finding("short_boards", text + t["finding_end"], "profiles" if report.profiles else "heatmap")


def _change(report: Report, dom: list[int]) -> Finding | None:
    tr = report.trends
    if tr is None or tr.index.shape[1] < 2:
        return None
    t = report.t
    idx = tr.index
    prev, last = idx.columns[-2], idx.columns[-1]
    units = [report.result.units[i] for i in dom if report.result.units[i] in idx.index]
    if not units:
        return None
    a = idx.loc[units, prev].astype(float)
    b = idx.loc[units, last].astype(float)
    delta = (b - a).dropna()
    if delta.empty:
        return None
    text = t["finding_change"].format(prev=prev, last=last, a=fmt(a.median()), b=fmt(b.median()))
    top = str(delta.idxmax())
    name = report.names[report.result.units.index(top)]
    text += t["finding_change_riser"].format(name=name, delta=fmt(delta.max()))
    order = [str(c) for c in tr.transitions.index if str(c) != "ungraded"]
    pos = {c: k for k, c in enumerate(order)}
    g = tr.grades
    if prev in g.columns and last in g.columns:
        before = g.loc[units, prev].astype(str).map(pos)
        after = g.loc[units, last].astype(str).map(pos)
        both = before.notna() & after.notna()
        up = int((after[both] < before[both]).sum())
        down = int((after[both] > before[both]).sum())
        text += t["finding_change_grades"].format(up=up, down=down)
    return Finding("change", text + t["finding_end"], "trends")


def _robust(report: Report, dom: list[int], top: int = 5) -> Finding | None:
    if report.robustness is None or not dom:
        return None
    t = report.t
    units = report.result.units
    rows = []
    for i in dom[:top]:
        iv = report.intervals.get(units[i])
        if iv is not None and not (math.isnan(iv[0]) or math.isnan(iv[2])):
            lo, hi = math.floor(iv[0] + 1e-9), math.ceil(iv[2] - 1e-9)
            rows.append((i, lo, hi))
    if not rows:
        return None
    lo_p, hi_p = report.robustness.percent
    steady = sum(1 for i, lo, hi in rows if hi - lo <= 4)
    widest = max(rows, key=lambda r: r[2] - r[1])
    leader = rows[0]
    text = t["finding_robust"].format(k=steady, n=len(rows), share=f"{float(hi_p) - float(lo_p):g}",
                                      leader=report.names[leader[0]], interval=_span(leader[1], leader[2]))
    if widest[0] != leader[0] and widest[2] > widest[1]:
        text += t["finding_robust_widest"].format(name=report.names[widest[0]],
                                                  interval=_span(widest[1], widest[2]))
    return Finding("robustness", text + t["finding_end"], "robustness")


def _span(lo: int, hi: int) -> str:
    """A whole-rank interval, or the one rank when both ends agree."""
    return str(lo) if lo == hi else interval(lo, hi)


def findings(report: Report) -> list[Finding]:
    """The key findings of ``report``, in its language: those its data supports, in a fixed order."""
    dom = _domestic(report)
    out = [_leader(report, dom), _grades(report), _short_boards(report, dom), _change(report, dom),
           _robust(report, dom)]
    return [f for f in out if f is not None]
