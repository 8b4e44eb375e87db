"""The report's charts as plotly.js figure specifications (plain dicts: ``{"data": [...], "layout": {...}}``), all in
the one style of :mod:`._chartstyle` (fonts, cividis and Okabe-Ito colours, escaped labels); the radars are in
:mod:`._radar`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis._coherence import correlation_matrix
from ._chartstyle import (
    CIVIDIS,
    DASHES,
    FONT,
    INK,
    PALETTE,
    PRINT_WIDTH,
    ROWS_PRINT,
    ROWS_SCREEN,
    SYMBOLS,
    Fig,
    axis,
    layout,
    num,
    ptext,
    text_width,
    tier_colours,
    wrap,
)
from ._formatting import fmt
from ._radar import radar_spec
from ._words import factor_labels

if TYPE_CHECKING:
    from ._view import Report

__all__ = ["FONT", "PALETTE", "PRINT_WIDTH", "figures", "ptext", "radar_spec", "tier_colours", "wrap"]


def _chunks(n: int, print_mode: bool) -> list[range]:
    size = ROWS_PRINT if print_mode else ROWS_SCREEN
    parts = max(1, math.ceil(n / size))
    step = math.ceil(n / parts) if n else 1
    return [range(k, min(n, k + step)) for k in range(0, max(n, 1), step)]


def _row_label(report: Report, i: int) -> str:
    star = " ★" if report.benchmark[i] else ""
    rank = report.rank(i)
    head = "–" if math.isnan(rank) else f"{rank:g}"
    return ptext(f"{head}. {report.names[i]}{star}")


# -- charts -----------------------------------------------------------------------------------------------------------
def grade_bars(report: Report, print_mode: bool) -> Fig | None:
    """Clusters per grade, highest grade on top, coloured dark to light."""
    grades = report.summary["grades"]
    if not grades:
        return None
    t = report.t
    tiers = [g["tier"] for g in grades if g["tier"] >= 0]
    colours = tier_colours(max(tiers) + 1 if tiers else 1)
    colour = [colours[g["tier"]] if g["tier"] >= 0 else "#ffffff" for g in grades]
    return {
        "data": [{
            "type": "bar", "orientation": "h", "x": [g["count"] for g in grades],
            "y": list(range(len(grades))), "marker": {"color": colour, "line": {"color": INK, "width": 1}},
            "text": [str(g["count"]) for g in grades], "textposition": "outside", "cliponaxis": False,
            "hovertemplate": "%{customdata}: %{x}<extra></extra>", "customdata": [ptext(g["grade"]) for g in grades],
        }],
        "layout": layout(60 + 34 * len(grades), print_mode, showlegend=False,
                          xaxis=axis(t["count"], rangemode="tozero"),
                          yaxis=axis(t["grade"], tickvals=list(range(len(grades))),
                                      ticktext=[ptext(g["grade"]) for g in grades], autorange="reversed",
                                      showgrid=False)),
    }


def label_width(labels: Sequence[str], size: float) -> float:
    """The width in px of the widest of plotly ``labels`` (lines joined by ``<br>``, entities escaped) at ``size``."""
    plain = (line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
             for label in labels for line in label.split("<br>"))
    return max((text_width(line, size) for line in plain), default=0.0)


def row_margin(labels: Sequence[str], size: float = 10.0) -> float:
    """Left margin for row labels at font ``size`` and the axis title beside them. Set in advance, plotly's
    automargin finds nothing to widen and draws a chart once instead of twice (tall charts of many labels are
    most of the page's drawing time); an estimate short of the need is still widened by automargin."""
    return math.ceil(label_width(labels, size) + 40)


def heatmaps(report: Report, print_mode: bool) -> list[Fig]:
    """Dimension scores, clusters in rank order (rank 1 on top), one chart per chunk of rows. On screen the
    dimensions' names stand on top of their columns, wrapped; in print their codes, which a key above names."""
    t = report.t
    lo, hi = report.scale
    out = []
    for part in _chunks(len(report.order), print_mode):
        idx = [report.order[k] for k in part]
        z = [[num(v, 2) for v in report.dim_scores[i]] for i in idx]
        labels = [_row_label(report, i) for i in idx]
        left, right = row_margin(labels), 80
        if print_mode:  # the page's width leaves a column too narrow for a name: codes, named in a key above
            dims = [ptext(d) for d in report.dims]
        else:
            column = (900 - left - right) / max(len(report.dims), 1)
            per_line = max(4, int(column / (12 if report.lang == "zh" else 7.2)))
            dims = [wrap(report.label(d), per_line) for d in report.dims]
        top = math.ceil(15.6 * max(d.count("<br>") + 1 for d in dims) + 40)
        out.append({
            "data": [{
                "type": "heatmap", "z": z, "x": list(range(len(dims))), "y": list(range(len(idx))),
                "zmin": lo, "zmax": hi, "colorscale": CIVIDIS, "xgap": 1, "ygap": 1,
                "customdata": [[lab] * len(dims) for lab in labels],
                "hovertemplate": "%{customdata}<br>%{x}: %{z:.1f}<extra></extra>",
                "colorbar": {"title": {"text": ptext(t["score"])}, "thickness": 12},
            }],
            "layout": layout(90 + 15 * len(idx), print_mode,
                              margin={"l": left, "r": right, "t": top, "b": 10},
                              xaxis=axis(t["dimension"], tickvals=list(range(len(dims))), ticktext=dims,
                                          side="top", showgrid=False, tickangle=0),
                              yaxis=axis(t["name"], tickvals=list(range(len(idx))), ticktext=labels,
                                          autorange="reversed", showgrid=False, tickfont={"size": 10})),
        })
    return out




def rank_interval_charts(report: Report, print_mode: bool) -> list[Fig]:
    """Index rank per cluster: the nominal rank, the median and the quantile interval over the samples."""
    rob = report.robustness
    if rob is None:
        return []
    t = report.t
    iv = report.intervals
    lo_p, hi_p = rob.percent
    units = report.result.units
    n = len(units)
    out = []
    for part in _chunks(len(report.order), print_mode):
        idx = [report.order[k] for k in part]
        med = [iv.get(units[i], (math.nan,) * 3)[1] for i in idx]
        lo = [iv.get(units[i], (math.nan,) * 3)[0] for i in idx]
        hi = [iv.get(units[i], (math.nan,) * 3)[2] for i in idx]
        ys = list(range(len(idx)))
        labels = [_row_label(report, i) for i in idx]
        out.append({
            "data": [
                {"type": "scatter", "mode": "markers", "name": ptext(t["median_rank"]), "x": [num(v) for v in med],
                 "y": ys, "marker": {"symbol": "diamond", "size": 7, "color": PALETTE[1],
                                     "line": {"color": INK, "width": 0.5}},
                 "error_x": {"type": "data", "symmetric": False,
                             "array": [num(h - m) for h, m in zip(hi, med, strict=True)],
                             "arrayminus": [num(m - low) for m, low in zip(med, lo, strict=True)],
                             "color": PALETTE[0], "thickness": 2, "width": 3},
                 "customdata": labels,
                 "hovertemplate": "%{customdata}<br>" + ptext(t["median_rank"]) + ": %{x}<extra></extra>"},
                {"type": "scatter", "mode": "markers", "name": ptext(t["nominal_rank"]),
                 "x": [num(report.rank(i)) for i in idx], "y": ys,
                 "marker": {"symbol": "circle-open", "size": 8, "color": INK, "line": {"width": 1.5}},
                 "customdata": labels,
                 "hovertemplate": "%{customdata}<br>" + ptext(t["nominal_rank"]) + ": %{x}<extra></extra>"},
            ],
            "layout": layout(110 + 15 * len(idx), print_mode,
                              margin={"l": row_margin(labels), "r": 10, "t": 46, "b": 48},
                              xaxis=axis(t["rank_axis"].format(lo=lo_p, hi=hi_p), range=[0.5, n + 0.5],
                                         side="top"),
                              yaxis=axis(t["name"], tickvals=ys, ticktext=labels, range=[len(ys) - 0.5, -0.5],
                                          tickfont={"size": 10}),
                              legend={"orientation": "h", "yanchor": "top", "y": -0.01, "xanchor": "left", "x": 0}),
        })
    return out


def sobol_chart(report: Report, print_mode: bool) -> Fig | None:
    """First-order and total Sobol' indices per factor with their confidence intervals (solid and hatched bars)."""
    rob = report.robustness
    if rob is None or rob.sobol is None or rob.sobol.empty:
        return None
    t = report.t
    s = rob.sobol
    names = factor_labels(rob.summary.get("space"), report.lang)
    factors = [wrap(names.get(f, f), 16 if report.lang == "zh" else 28) for f in s["factor"].astype(str)]
    ys = list(range(len(factors)))

    def bar(col: str, name: str, colour: str, pattern: str) -> dict[str, Any]:
        conf = s[f"{col}_conf"] if f"{col}_conf" in s.columns else None
        trace: dict[str, Any] = {"type": "bar", "orientation": "h", "name": ptext(name), "y": ys,
                                 "x": [num(v) for v in s[col]],
                                 "marker": {"color": colour, "line": {"color": INK, "width": 1},
                                            "pattern": {"shape": pattern, "fgcolor": INK, "size": 6}},
                                 "hovertemplate": "%{customdata}: %{x:.3f}<extra></extra>", "customdata": factors}
        if conf is not None:
            trace["error_x"] = {"type": "data", "array": [num(v) for v in conf], "color": INK, "thickness": 1}
        return trace

    return {
        "data": [bar("S1", t["sobol_first"], PALETTE[0], ""), bar("ST", t["sobol_total"], PALETTE[1], "/")],
        "layout": layout(110 + 48 * len(factors), print_mode, barmode="group",
                          xaxis=axis(t["sensitivity_index"], rangemode="tozero"),
                          yaxis=axis(t["factor"], tickvals=ys, ticktext=factors, autorange="reversed",
                                      showgrid=False)),
    }


def loo_chart(report: Report, print_mode: bool, top: int = 15) -> Fig | None:
    """Mean absolute index-rank shift when each indicator is left out, largest first."""
    df = report.loo_summary.head(top)
    if df.empty:
        return None
    t = report.t
    labels = [ptext(t["paren"].format(text=report.label(str(c)), inner=c)) for c in df.index]
    ys = list(range(len(labels)))
    return {
        "data": [{"type": "bar", "orientation": "h", "x": [num(v) for v in df["mean_abs_shift"]], "y": ys,
                  "marker": {"color": PALETTE[0], "line": {"color": INK, "width": 1}},
                  "customdata": labels, "hovertemplate": "%{customdata}: %{x:.2f}<extra></extra>"}],
        "layout": layout(90 + 22 * len(labels), print_mode, showlegend=False,
                          xaxis=axis(t["mean_abs_shift"], rangemode="tozero"),
                          yaxis=axis(t["removed_indicator"], tickvals=ys, ticktext=labels, autorange="reversed",
                                      showgrid=False, tickfont={"size": 10})),
    }


def corr_chart(report: Report, matrix: Any, print_mode: bool, annotate: bool) -> Fig | None:
    """A correlation matrix on [-1, 1] (cividis: dark negative, light positive). Small matrices (``annotate``)
    carry names on both axes and the values in the cells; large ones names on the rows and codes on the columns,
    with the codes in the hover text (node codes are unique, so they serve as the categories)."""
    if matrix is None or matrix.empty:
        return None
    t = report.t
    codes_r = [ptext(c) for c in matrix.index.astype(str)]
    codes_c = [ptext(c) for c in matrix.columns.astype(str)]
    if annotate:  # names numbered on the rows, the numbers on the columns (names there would need a tilt)
        rows = [ptext(f"{k}. {report.label(str(c))}") for k, c in enumerate(matrix.index, start=1)]
        cols = [str(k) for k in range(1, len(matrix.columns) + 1)]
    else:
        rows = [ptext(report.label(str(c))) for c in matrix.index]
        cols = [ptext(str(c)) for c in matrix.columns]
    z = [[num(v, 3) for v in row] for row in np.asarray(matrix, dtype=float)]
    size = max(260, min(PRINT_WIDTH if print_mode else 900, 140 + 18 * len(cols)))
    trace: dict[str, Any] = {
        "type": "heatmap", "z": z, "x": codes_c, "y": codes_r, "zmin": -1, "zmax": 1,
        "colorscale": CIVIDIS, "xgap": 1, "ygap": 1,
        "text": [[fmt(v, 2) for v in row] for row in z],  # numbers with a true minus ("−0.12", not d3's "-0.12")
        "hovertemplate": "%{y} × %{x}: %{text}<extra></extra>",
        "colorbar": {"title": {"text": ptext(t["correlation"])}, "thickness": 12},
    }
    if annotate:
        trace["texttemplate"] = "%{text}"
        trace["textfont"] = {"size": 11}
    small = {"size": 10 if annotate else 8}
    return {
        "data": [trace],
        "layout": layout(60 + 26 * len(rows) if annotate else size + 200, print_mode,
                          xaxis=axis("", type="category", tickvals=codes_c, ticktext=cols,
                                      tickangle=0 if annotate else -45, side="top" if annotate else "bottom",
                                      showgrid=False, tickfont=small),
                          yaxis=axis("", type="category", tickvals=codes_r, ticktext=rows, autorange="reversed",
                                      showgrid=False, tickfont=small)),
    }


def corr_blocks(report: Report, print_mode: bool) -> list[Fig]:
    """The indicator correlations by dimension: for each dimension, its indicators and its own score against each
    other, names on the rows, numbers on the columns and the values in the cells. A 39 x 39 matrix of every
    indicator cannot be read at page width; the blocks can, and they hold the correlations that matter for
    coherence (an indicator against its siblings and its dimension; OECD/JRC 2008, Handbook on Constructing
    Composite Indicators, step 4)."""
    if report.coherence is None:
        return []
    t = report.t
    fw = report.result.framework
    out = []
    per_line = (30 if print_mode else 26) if report.lang == "zh" else (60 if print_mode else 52)
    for d in report.dims:
        leaves = [c for c in fw.leaves_under(d) if c != d]
        if len(leaves) < 2:
            continue
        codes = [d, *leaves]
        m = correlation_matrix(report.result, "pearson", codes, codes)
        z = [[num(v, 2) for v in row] for row in np.asarray(m, dtype=float)]
        rows = [wrap(t["dimension_score"].format(name=report.label(d)), per_line)]
        rows += [wrap(f"{k}. {report.label(c)}", per_line) for k, c in enumerate(leaves, start=1)]
        cols = [ptext(t["dimension_short"])] + [str(k) for k in range(1, len(leaves) + 1)]
        n = len(codes)
        lines = max(r.count("<br>") + 1 for r in rows)
        row = max(16, 11 * lines + 4) if print_mode else max(20, 12 * lines + 6)  # print: compact rows
        height = (60 if print_mode else 70) + n * row
        trace: dict[str, Any] = {
            "type": "heatmap", "z": z, "x": list(range(n)), "y": list(range(n)), "zmin": -1, "zmax": 1,
            "colorscale": CIVIDIS, "xgap": 1, "ygap": 1, "texttemplate": "%{text}",
            "text": [[fmt(v, 2) for v in row] for row in z],  # with a true minus, as in the tables
            "textfont": {"size": 9 if print_mode else 10},
            "customdata": [[f"{ptext(report.label(a))} × {ptext(report.label(b))}" for b in codes] for a in codes],
            "hovertemplate": "%{customdata}: %{text}<extra></extra>",
            "colorbar": {"title": {"text": ptext(t["correlation"])}, "thickness": 10, "len": 1.0},
        }
        out.append({
            "data": [trace],
            "title": t["corr_block_title"].format(name=report.label(d)),
            "layout": layout(height, print_mode,
                              margin={"l": row_margin(rows, 9 if print_mode else 10) - 6, "r": 112, "t": 46,
                                      "b": 10},
                              xaxis=axis("", tickvals=list(range(n)), ticktext=cols, side="top", showgrid=False,
                                          tickfont={"size": 9 if print_mode else 10}),
                              yaxis=axis("", tickvals=list(range(n)), ticktext=rows, autorange="reversed",
                                          showgrid=False, tickfont={"size": 9 if print_mode else 10})),
        })
    return out


def trend_chart(report: Report, print_mode: bool, top: int = 5) -> Fig | None:
    """Index by year for the highest-ranked domestic clusters, the domestic median and the frontier."""
    tr = report.trends
    if tr is None:
        return None
    t = report.t
    idx = tr.index
    years = [int(y) for y in idx.columns]
    units = list(report.result.units)
    pos = {u: k for k, u in enumerate(units)}
    domestic = [u for u in idx.index if u in pos and not report.benchmark[pos[u]]]
    last = idx.loc[domestic, idx.columns[-1]].astype(float).sort_values(ascending=False, na_position="last")
    series: list[tuple[str, list[Any]]] = [(report.names[pos[u]], list(idx.loc[u])) for u in list(last.index)[:top]]
    with np.errstate(all="ignore"):
        med = [float(np.nanmedian(idx.loc[domestic, c].astype(float))) if domestic else math.nan
               for c in idx.columns]
    series.append((t["domestic_median"], med))
    if "frontier" in tr.frontier.columns:
        series.append((t["frontier"], [tr.frontier.loc[y, "frontier"] if y in tr.frontier.index else math.nan
                                       for y in idx.columns]))
    data = []
    for k, (name, values) in enumerate(series):
        colour = "#6e7781" if k == len(series) - 2 else (INK if k == len(series) - 1 else PALETTE[k % len(PALETTE)])
        data.append({"type": "scatter", "mode": "lines+markers", "name": ptext(name), "x": years,
                     "y": [num(v, 2) for v in values],
                     "line": {"color": colour, "dash": DASHES[k % len(DASHES)], "width": 2},
                     "marker": {"symbol": SYMBOLS[k % len(SYMBOLS)], "size": 7},
                     "hovertemplate": ptext(name) + " %{x}: %{y:.1f}<extra></extra>"})
    return {
        "data": data,
        "layout": layout(380 if print_mode else 440, print_mode, xaxis=axis(t["year"], tickvals=years, showgrid=False),
                          yaxis=axis(t["index"]),
                          legend={"orientation": "h", "yanchor": "top", "y": -0.24 if print_mode else -0.18,
                                  "xanchor": "left", "x": 0}),
    }


def figures(report: Report, print_mode: bool) -> dict[str, list[Fig]]:
    """Every chart of the report by section slot (an empty list when the data is absent)."""
    def one(fig: Fig | None) -> list[Fig]:
        return [] if fig is None else [fig]

    return {
        "grades": one(grade_bars(report, print_mode)),
        "heatmap": heatmaps(report, print_mode),
        "rank_intervals": rank_interval_charts(report, print_mode),
        "sobol": one(sobol_chart(report, print_mode)),
        "loo": one(loo_chart(report, print_mode)),
        "corr_dims": one(corr_chart(report, report.corr_dims, print_mode, annotate=True)),
        "corr_blocks": corr_blocks(report, print_mode),
        "trends": one(trend_chart(report, print_mode)),
    }
