"""The analyses' sections of a report (robustness, statistical coherence, monitoring) as plain values in the
report's language, read through :class:`._view.Report`'s properties of the same names."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..analysis._coherence import correlation_matrix
from ..analysis._grades import UNGRADED
from ._formatting import fmt, fmt_rank, interval, num
from ._words import factor_labels

if TYPE_CHECKING:
    from ._view import Report

__all__ = ["coherence_view", "corr_dims", "corr_indicators", "loo_summary", "robustness_view", "tier_labels",
           "trends_view"]


# -- robustness -------------------------------------------------------------------------------------------------
def robustness_view(report: Report) -> dict[str, Any]:
    """The robustness section: the note on the design, runs without a score, the widest rank intervals, Sobol'
    indices, leave-one-out shifts and grade probabilities, as text."""
    rob = report.robustness
    if rob is None:
        return {}
    t = report.t
    s = rob.summary
    design = t["design_saltelli"] if s.get("design") == "saltelli" else t["design_montecarlo"]
    labels = factor_labels(s.get("space"), report.lang)
    factors = t["finding_list_sep"].join(labels.get(str(f), str(f)) for f in s.get("factors", [])) or "–"
    note = t["robustness_note"].format(design=design, runs=s.get("runs", "–"), seed=s.get("seed", "–"),
                                       factors=factors)
    missing = []
    for m in s.get("missing_scores", []) or []:
        when = t["missing_when"].format(cause=m["cause"]) if m.get("cause") else ""
        missing.append(t["missing_node"].format(node=report.label(str(m["node"])), code=m["node"],
                                                units=m["units"], runs=m["runs"], total=s.get("runs", "–"),
                                                when=when))
    if missing:
        index_ok = all(bool(m.get("index_defined", True)) for m in s.get("missing_scores", []))
        missing.append(t["missing_index_ok" if index_ok else "missing_index_lost"])
    rows: list[dict[str, Any]] = []
    for u, (lo, _med, hi) in report.intervals.items():
        i = report.result.units.index(u)
        rows.append({"anchor": f"u{i}", "name": report.names[i], "nominal": fmt_rank(report.rank(i)),
                     "median": fmt_rank(_med), "interval": interval(lo, hi),
                     "width": (hi - lo) if not (math.isnan(lo) or math.isnan(hi)) else -1.0,
                     "order": report.order.index(i)})
    widest = sorted(rows, key=lambda r: (-float(r["width"]), int(r["order"])))[:10]
    sobol = []
    if rob.sobol is not None:
        sobol = [{"factor": str(r["factor"]), "S1": fmt(r["S1"], 3), "ST": fmt(r["ST"], 3),
                  "S1_conf": fmt(r.get("S1_conf"), 3), "ST_conf": fmt(r.get("ST_conf"), 3)}
                 for _, r in rob.sobol.iterrows()]
    loo = [{"code": str(c), "name": report.label(str(c)), "mean": fmt(r["mean_abs_shift"], 2),
            "max": fmt(r["max_abs_shift"], 0)} for c, r in report.loo_summary.head(10).iterrows()]
    probs: dict[str, Any] = {}
    gp = rob.grade_probabilities
    if gp is not None and "nominal" in gp.columns:
        grade_cols = [c for c in gp.columns if c != "nominal"]
        prow: list[dict[str, Any]] = []
        ungraded = 0
        for i in report.order:
            u = report.result.units[i]
            if u not in gp.index:
                continue
            r = gp.loc[u]
            if pd.isna(r["nominal"]):  # benchmarks are never graded: a row of "100 % not graded" says nothing
                ungraded += 1
                continue
            prow.append({"name": report.names[i], "nominal": str(r["nominal"]),
                         "p": [f"{100 * num(r[c]):.0f} %" for c in grade_cols]})
        probs = {"columns": [str(c) for c in grade_cols], "rows": prow,
                 "left_out": t["probs_left_out"].format(n=ungraded) if ungraded else ""}
    p_lo, p_hi = rob.percent
    return {"note": note, "widest": widest, "sobol": sobol, "loo": loo, "probs": probs, "lo": p_lo, "hi": p_hi,
            "missing": missing}

def loo_summary(report: Report) -> pd.DataFrame:
    """Per indicator left out: mean and largest absolute rank shift of the index, largest mean first."""
    rob = report.robustness
    if rob is None or rob.leave_one_out is None or rob.leave_one_out.empty:
        return pd.DataFrame(columns=["mean_abs_shift", "max_abs_shift"])
    loo = rob.leave_one_out
    g = loo.assign(abs_shift=pd.to_numeric(loo["shift"], errors="coerce").abs()).groupby(
        loo["removed"].astype(str), sort=False)["abs_shift"]
    return pd.DataFrame({"mean_abs_shift": g.mean(), "max_abs_shift": g.max()}).sort_values(
        "mean_abs_shift", ascending=False, kind="stable")

# -- coherence ----------------------------------------------------------------------------------------------
def coherence_view(report: Report) -> dict[str, Any]:
    """Cronbach's alpha per aggregate and the flagged sibling pairs, as text."""
    coh = report.coherence
    if coh is None:
        return {}
    cr = coh.get("cronbach")
    cron = [] if cr is None else [
        {"code": str(r["node"]), "name": report.label(str(r["node"])), "level": str(int(r["level"])),
         "k": str(int(r["k"])), "alpha": fmt(r["alpha"], 2)} for _, r in cr.iterrows()]
    fl = coh.get("flags")
    flags = [] if fl is None else [
        {"a": report.label(str(r["node_a"])), "b": report.label(str(r["node_b"])), "r": fmt(r["r"], 2),
         "flag": report.t.get(f"flag_{r['flag']}", str(r["flag"])), "method": str(r["method"])}
        for _, r in fl.iterrows()]
    return {"cronbach": cron, "flags": flags}

def corr_dims(report: Report) -> pd.DataFrame | None:
    """Pearson correlations of the index and its dimensions (None without coherence)."""
    if report.coherence is None:
        return None
    codes = [report.root, *report.dims]
    return correlation_matrix(report.result, "pearson", codes, codes)

def corr_indicators(report: Report) -> pd.DataFrame | None:
    """Pearson correlations between the indicators (None without coherence)."""
    if report.coherence is None:
        return None
    return correlation_matrix(report.result, "pearson", 1, 1)

# -- trends -------------------------------------------------------------------------------------------------
def trends_view(report: Report) -> dict[str, Any]:
    """The monitoring section: its note, the grade transitions and the disparity table, as text."""
    tr = report.trends
    if tr is None:
        return {}
    t = report.t
    ref = t.get(f"ref_{tr.reference}", tr.reference)
    frontier = {"benchmark median": t["benchmark_median"], "benchmark best": t["ref_best"],
                "best domestic unit": t["best_domestic"]}.get(tr.frontier_kind, tr.frontier_kind)
    note = t["trends_note"].format(reference=ref, frontier=frontier)
    a, b = tr.years_compared
    trans = tr.transitions
    tiers = tier_labels(report, list(trans.index))
    matrix = {"columns": tier_labels(report, list(trans.columns)),
              "rows": [(tiers[k], [str(int(v)) for v in row]) for k, (_, row) in enumerate(trans.iterrows())]}
    disp = tr.disparity
    dcols = [c for c in ("n", "mean", "gini", "within", "between", "transvariation", "cv") if c in disp.columns]
    disparity = {"columns": [t.get(f"disp_{c}", c) for c in dcols],
                 "rows": [(str(y), [fmt(r[c], 0 if c == "n" else 3) for c in dcols]) for y, r in disp.iterrows()]}
    return {"note": note, "title": t["transitions"].format(a=a, b=b), "matrix": matrix, "disparity": disparity}

def tier_labels(report: Report, codes: Sequence[Any]) -> list[str]:
    """Tier codes as grade labels in the report's language (via the analytics' grades)."""
    if report.analytics is None:
        return [str(c) for c in codes]
    g = report.analytics.grades
    col = "grade_zh" if report.lang == "zh" else "grade"
    names = {str(k): str(v) for k, v in zip(g["tier"], g[col], strict=True) if k}
    out = []
    for c in codes:
        if str(c) == UNGRADED:
            out.append("–")
        else:
            out.append(names.get(str(c), str(c)))
    return out
