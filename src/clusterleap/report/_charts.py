"""The report's charts as plotly.js figure specifications (plain dicts: ``{"data": [...], "layout": {...}}``).

One style for every chart: the fonts of the page (CJK first, all installed locally, no web fonts), labelled axes in
the report's language, and colours that survive colour blindness and grey-scale printing:

- sequential values (scores, correlations) use *cividis*, a colour map whose lightness rises monotonically and that
  looks the same to readers with red-green colour blindness (Nuñez, Anderton & Renslow 2018, "Optimizing colormaps
  with consideration for color vision deficiency", PLoS ONE 13(7): e0199239);
- series that must be told apart use the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), picked
  so that neighbouring series differ in lightness, and also differ in marker symbol, line dash or bar pattern;
- grades run from dark (the highest tier) to light along cividis.

Every user-supplied string (unit and node names) passes through :func:`ptext`, because plotly.js reads a small
subset of HTML in labels (``<b>``, ``<a href>``, ...) and decodes entities: escaped text shows literally.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._view import Report

__all__ = ["FONT", "PALETTE", "figures", "ptext", "radar_spec", "tier_colours"]

Fig = dict[str, Any]

#: Font stack of the page and the charts: CJK-capable fonts first (Noto CJK on Debian, the platform fonts
#: elsewhere), then Latin fallbacks. Nothing is downloaded.
FONT = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "Noto Sans", '
        '"DejaVu Sans", Arial, sans-serif')
INK = "#1f2328"
GRID = "#d0d7de"

#: Okabe-Ito colours, darkest to lightest pairs first: blue, orange, bluish green, vermillion, sky blue, reddish
#: purple, black, yellow.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "pentagon")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash")
CIVIDIS = "Cividis"

#: Rows per chart: one tall chart on screen, page-sized pieces in print.
ROWS_SCREEN = 400
ROWS_PRINT = 45
PRINT_WIDTH = 680  # px: A4 with 15 mm margins at 96 px per inch


def ptext(s: object) -> str:
    """Text that plotly.js shows literally: ``&``, ``<`` and ``>`` as entities."""
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_width(line: str, size: float) -> float:
    """Estimated width in px of one line of text at font ``size`` px: CJK and full-width characters one em, Latin
    capitals and wide letters 0.7 em, others 0.55 em (Noto Sans's advance widths, rounded up)."""
    w = 0.0
    for ch in line:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            w += 1.0
        elif ch.isupper() or ch in "mwMW%":
            w += 0.72
        elif ch in "ijlrtf.,:;'|!() ":
            w += 0.34
        else:
            w += 0.56
    return w * size


def wrap_lines(s: str, width: int) -> list[str]:
    """``s`` broken into lines of about ``width`` characters: at spaces, or, in text without spaces (Chinese), into
    lines of even length, so that no line is left with a character or two ("产品竞争/力" becomes "产品/竞争力")."""
    s = s.strip()
    if len(s) <= width:
        return [s]
    if " " in s:
        lines: list[str] = []
        for word in s.split():
            if lines and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines
    n = math.ceil(len(s) / width)
    step = math.ceil(len(s) / n)
    return [s[k:k + step] for k in range(0, len(s), step)]


def wrap(s: str, width: int) -> str:
    """Plotly text broken into lines of about ``width`` characters (:func:`wrap_lines`), each line escaped, joined
    by ``<br>``."""
    return "<br>".join(ptext(line) for line in wrap_lines(s, width))


def _r(x: Any, digits: int = 3) -> float | None:
    """A JSON-ready number rounded to ``digits`` (None for NaN)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else round(v, digits)


def tier_colours(n: int) -> list[str]:
    """``n`` colours from dark (tier 0, the highest) to light along cividis (a tier's colour as ``#rrggbb``)."""
    from plotly.colors import sample_colorscale, unlabel_rgb

    if n <= 0:
        return []
    points = [0.0] if n == 1 else [k / (n - 1) * 0.92 for k in range(n)]
    out = []
    for c in sample_colorscale(CIVIDIS, points):
        r, g, b = (round(float(v)) for v in unlabel_rgb(c))
        out.append(f"#{r:02x}{g:02x}{b:02x}")
    return out


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": ptext(title)}, "gridcolor": GRID, "zerolinecolor": GRID, "linecolor": INK,
            "automargin": True, **extra}


def _layout(height: float, print_mode: bool, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 12, "color": INK},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "margin": {"l": 10, "r": 10, "t": 10 if print_mode else 32, "b": 10},
        "height": height,
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    }
    if print_mode:
        layout["width"] = PRINT_WIDTH
    layout.update(extra)
    return layout


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
        "layout": _layout(60 + 34 * len(grades), print_mode, showlegend=False,
                          xaxis=_axis(t["count"], rangemode="tozero"),
                          yaxis=_axis(t["grade"], tickvals=list(range(len(grades))),
                                      ticktext=[ptext(g["grade"]) for g in grades], autorange="reversed",
                                      showgrid=False)),
    }


def heatmaps(report: Report, print_mode: bool) -> list[Fig]:
    """Dimension scores, clusters in rank order (rank 1 on top), one chart per chunk of rows."""
    t = report.t
    lo, hi = report.scale
    dims = [ptext(report.label(d)) for d in report.dims]
    out = []
    for part in _chunks(len(report.order), print_mode):
        idx = [report.order[k] for k in part]
        z = [[_r(v, 2) for v in report.dim_scores[i]] for i in idx]
        labels = [_row_label(report, i) for i in idx]
        out.append({
            "data": [{
                "type": "heatmap", "z": z, "x": list(range(len(dims))), "y": list(range(len(idx))),
                "zmin": lo, "zmax": hi, "colorscale": CIVIDIS, "xgap": 1, "ygap": 1,
                "customdata": [[lab] * len(dims) for lab in labels],
                "hovertemplate": "%{customdata}<br>%{x}: %{z:.1f}<extra></extra>",
                "colorbar": {"title": {"text": ptext(t["score"])}, "thickness": 12},
            }],
            "layout": _layout(90 + 15 * len(idx), print_mode,
                              xaxis=_axis(t["dimension"], tickvals=list(range(len(dims))), ticktext=dims,
                                          side="top", showgrid=False),
                              yaxis=_axis(t["name"], tickvals=list(range(len(idx))), ticktext=labels,
                                          autorange="reversed", showgrid=False, tickfont={"size": 10})),
        })
    return out


#: Radar size (px): width, font size of the axis labels, characters per label line (en, zh).
RADAR_SCREEN = (380, 11.0, (14, 6))
RADAR_PRINT = (250, 7.5, (13, 5))
RADAR_PAD = 9.0  # px between the outer ring and a label: an invisible angular tick of this length


def radar_geometry(labels: Sequence[Sequence[str]], width: float, size: float) -> dict[str, float]:
    """Radius, margins and height of a radar ``width`` px wide whose axis labels (each a list of lines, at font
    ``size``) all fit inside the chart, so that none is clipped.

    The axes run clockwise from the top. plotly.js places an angular label at the outer ring plus a pad, anchored
    at its start on the right half, its end on the left half and its middle near the vertical, and moves a label of
    height ``h`` up by ``(1 + sin a) / 2 * h`` (a: the axis angle from the horizontal), so top labels stand above the
    ring and bottom labels hang below it. The radius is the largest for which every label stays within the width;
    the height is then what the top and bottom labels need."""
    n = max(len(labels), 1)
    pad = RADAR_PAD
    edge = 6.0
    radius = width / 2 - edge - 2 * size
    boxes = []
    for k, lines in enumerate(labels):
        a = math.pi / 2 - 2 * math.pi * k / n
        c, s = math.cos(a), math.sin(a)
        w = max((text_width(line, size) for line in lines), default=0.0)
        h = 1.3 * size * max(len(lines), 1)
        boxes.append((s, h))
        if abs(c) >= 0.1:
            radius = min(radius, (width / 2 - edge - w) / abs(c) - pad)
    radius = max(radius, 20.0)
    top = max([radius, *((radius + pad) * s + (1 + s) / 2 * h for s, h in boxes)]) + edge
    bottom = max([radius, *(-(radius + pad) * s + (1 - s) / 2 * h for s, h in boxes)]) + edge
    side = width / 2 - radius
    return {"radius": radius, "l": side, "r": side, "t": top - radius, "b": bottom - radius,
            "height": math.ceil(top + bottom)}


def radar_spec(report: Report, print_mode: bool) -> dict[str, Any]:
    """What the page needs to draw any cluster's radar: the axes (dimensions, closed), the comparison traces
    (benchmark and domestic medians), the style of the cluster's own trace, every cluster's dimension scores, the
    layout and the key (the legend, which the page shows as text under the radar, where it can wrap).

    The rings mark quarters of the score scale, without numbers on the chart (they would sit on the data); the key
    says where they are."""
    t = report.t
    width, size, chars = RADAR_PRINT if print_mode else RADAR_SCREEN
    per_line = chars[1] if report.lang == "zh" else chars[0]
    lines = [wrap_lines(report.label(d), per_line) for d in report.dims]
    geo = radar_geometry(lines, width, size)
    theta = ["<br>".join(ptext(x) for x in ls) for ls in lines]
    closed = [*theta, theta[0]] if theta else []

    def loop(values: Sequence[float]) -> list[float | None]:
        vals = [_r(v, 2) for v in values]
        return [*vals, vals[0]] if vals else []

    base = []
    key = [{"label": t["this_cluster"], "colour": PALETTE[0], "dash": "", "marker": "circle"}]
    if report.benchmark.any():
        base.append({"type": "scatterpolar", "r": loop(report.benchmark_median), "theta": closed,
                     "name": ptext(t["benchmark_median"]), "mode": "lines+markers",
                     "line": {"color": PALETTE[1], "dash": "dash", "width": 2},
                     "marker": {"symbol": "square", "size": 6}, "hovertemplate": "%{theta}: %{r:.1f}"})
        key.append({"label": t["benchmark_median"], "colour": PALETTE[1], "dash": "4 3", "marker": "square"})
    dom_label = t["domestic_median"] if report.benchmark.any() else t["all_median"]
    base.append({"type": "scatterpolar", "r": loop(report.domestic_median), "theta": closed,
                 "name": ptext(dom_label), "mode": "lines+markers",
                 "line": {"color": "#6e7781", "dash": "dot", "width": 2},
                 "marker": {"symbol": "diamond", "size": 6}, "hovertemplate": "%{theta}: %{r:.1f}"})
    key.append({"label": dom_label, "colour": "#6e7781", "dash": "1.5 2.5", "marker": "diamond"})
    lo, hi = report.scale
    lo = min(lo, 0.0)
    rings = [lo + (hi - lo) * q / 4 for q in (1, 2, 3, 4)]
    return {
        "theta": closed,
        "base": base,
        "key": key,
        "rings": t["radar_rings"].format(rings=", ".join(f"{v:g}" for v in rings), centre=f"{lo:g}"),
        "unit": {"type": "scatterpolar", "mode": "lines+markers", "fill": "toself",
                 "fillcolor": "rgba(0,114,178,0.15)", "line": {"color": PALETTE[0], "width": 2.5},
                 "marker": {"symbol": "circle", "size": 7}, "hovertemplate": "%{theta}: %{r:.1f}"},
        "config": {"displayModeBar": False},
        "scores": [[_r(v, 2) for v in row] for row in report.dim_scores],
        "names": [ptext(f"{t['this_cluster']}: {n}") for n in report.names],
        "layout": _layout(geo["height"], print_mode, width=width, showlegend=False,
                          margin={k: round(geo[k], 1) for k in ("l", "r", "t", "b")} | {"pad": 0},
                          polar={"radialaxis": {"range": [lo, hi], "gridcolor": GRID, "tickvals": rings,
                                                "showticklabels": False, "ticks": "", "showline": False,
                                                "angle": 90},
                                 "angularaxis": {"gridcolor": GRID, "linecolor": INK, "direction": "clockwise",
                                                 "rotation": 90, "ticks": "outside", "ticklen": RADAR_PAD,
                                                 "tickcolor": "rgba(0,0,0,0)", "tickfont": {"size": size}},
                                 "bgcolor": "#ffffff", "domain": {"x": [0, 1], "y": [0, 1]}},
                          font={"family": FONT, "size": size, "color": INK}),
    }


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
                {"type": "scatter", "mode": "markers", "name": ptext(t["median_rank"]), "x": [_r(v) for v in med],
                 "y": ys, "marker": {"symbol": "diamond", "size": 7, "color": PALETTE[1],
                                     "line": {"color": INK, "width": 0.5}},
                 "error_x": {"type": "data", "symmetric": False,
                             "array": [_r(h - m) for h, m in zip(hi, med, strict=True)],
                             "arrayminus": [_r(m - low) for m, low in zip(med, lo, strict=True)],
                             "color": PALETTE[0], "thickness": 2, "width": 3},
                 "customdata": labels,
                 "hovertemplate": "%{customdata}<br>" + ptext(t["median_rank"]) + ": %{x}<extra></extra>"},
                {"type": "scatter", "mode": "markers", "name": ptext(t["nominal_rank"]),
                 "x": [_r(report.rank(i)) for i in idx], "y": ys,
                 "marker": {"symbol": "circle-open", "size": 8, "color": INK, "line": {"width": 1.5}},
                 "customdata": labels,
                 "hovertemplate": "%{customdata}<br>" + ptext(t["nominal_rank"]) + ": %{x}<extra></extra>"},
            ],
            "layout": _layout(110 + 15 * len(idx), print_mode,
                              xaxis=_axis(t["rank"] + f" ({lo_p}–{hi_p} %)", range=[0.5, n + 0.5], side="top"),
                              yaxis=_axis(t["name"], tickvals=ys, ticktext=labels, range=[len(ys) - 0.5, -0.5],
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
    from ._words import factor_labels

    names = factor_labels(rob.summary.get("space"), report.lang)
    factors = [wrap(names.get(f, f), 16 if report.lang == "zh" else 28) for f in s["factor"].astype(str)]
    ys = list(range(len(factors)))

    def bar(col: str, name: str, colour: str, pattern: str) -> dict[str, Any]:
        conf = s[f"{col}_conf"] if f"{col}_conf" in s.columns else None
        trace: dict[str, Any] = {"type": "bar", "orientation": "h", "name": ptext(name), "y": ys,
                                 "x": [_r(v) for v in s[col]],
                                 "marker": {"color": colour, "line": {"color": INK, "width": 1},
                                            "pattern": {"shape": pattern, "fgcolor": INK, "size": 6}},
                                 "hovertemplate": "%{customdata}: %{x:.3f}<extra></extra>", "customdata": factors}
        if conf is not None:
            trace["error_x"] = {"type": "data", "array": [_r(v) for v in conf], "color": INK, "thickness": 1}
        return trace

    return {
        "data": [bar("S1", t["sobol_first"], PALETTE[0], ""), bar("ST", t["sobol_total"], PALETTE[1], "/")],
        "layout": _layout(110 + 48 * len(factors), print_mode, barmode="group",
                          xaxis=_axis(t["sensitivity_index"], rangemode="tozero"),
                          yaxis=_axis(t["factor"], tickvals=ys, ticktext=factors, autorange="reversed",
                                      showgrid=False)),
    }


def loo_chart(report: Report, print_mode: bool, top: int = 15) -> Fig | None:
    """Mean absolute index-rank shift when each indicator is left out, largest first."""
    df = report.loo_summary.head(top)
    if df.empty:
        return None
    t = report.t
    labels = [ptext(f"{report.label(str(c))} ({c})") for c in df.index]
    ys = list(range(len(labels)))
    return {
        "data": [{"type": "bar", "orientation": "h", "x": [_r(v) for v in df["mean_abs_shift"]], "y": ys,
                  "marker": {"color": PALETTE[0], "line": {"color": INK, "width": 1}},
                  "customdata": labels, "hovertemplate": "%{customdata}: %{x:.2f}<extra></extra>"}],
        "layout": _layout(90 + 22 * len(labels), print_mode, showlegend=False,
                          xaxis=_axis(t["mean_abs_shift"], rangemode="tozero"),
                          yaxis=_axis(t["removed_indicator"], tickvals=ys, ticktext=labels, autorange="reversed",
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
    z = [[_r(v, 3) for v in row] for row in np.asarray(matrix, dtype=float)]
    size = max(260, min(PRINT_WIDTH if print_mode else 900, 140 + 18 * len(cols)))
    trace: dict[str, Any] = {
        "type": "heatmap", "z": z, "x": codes_c, "y": codes_r, "zmin": -1, "zmax": 1,
        "colorscale": CIVIDIS, "xgap": 1, "ygap": 1,
        "hovertemplate": "%{y} × %{x}: %{z:.2f}<extra></extra>",
        "colorbar": {"title": {"text": ptext(t["correlation"])}, "thickness": 12},
    }
    if annotate:
        trace["texttemplate"] = "%{z:.2f}"
        trace["textfont"] = {"size": 11}
    small = {"size": 10 if annotate else 8}
    return {
        "data": [trace],
        "layout": _layout(60 + 26 * len(rows) if annotate else size + 200, print_mode,
                          xaxis=_axis("", type="category", tickvals=codes_c, ticktext=cols,
                                      tickangle=0 if annotate else -45, side="top" if annotate else "bottom",
                                      showgrid=False, tickfont=small),
                          yaxis=_axis("", type="category", tickvals=codes_r, ticktext=rows, autorange="reversed",
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
    from ..analysis._coherence import correlation_matrix

    t = report.t
    fw = report.result.framework
    out = []
    per_line = 26 if report.lang == "zh" else 52
    for d in report.dims:
        leaves = [c for c in fw.leaves_under(d) if c != d]
        if len(leaves) < 2:
            continue
        codes = [d, *leaves]
        m = correlation_matrix(report.result, "pearson", codes, codes)
        z = [[_r(v, 2) for v in row] for row in np.asarray(m, dtype=float)]
        rows = [wrap(t["dimension_score"].format(name=report.label(d)), per_line)]
        rows += [wrap(f"{k}. {report.label(c)}", per_line) for k, c in enumerate(leaves, start=1)]
        cols = [ptext(t["dimension_short"])] + [str(k) for k in range(1, len(leaves) + 1)]
        n = len(codes)
        lines = max(r.count("<br>") + 1 for r in rows)
        height = 70 + n * max(20, 12 * lines + 6)
        trace: dict[str, Any] = {
            "type": "heatmap", "z": z, "x": list(range(n)), "y": list(range(n)), "zmin": -1, "zmax": 1,
            "colorscale": CIVIDIS, "xgap": 1, "ygap": 1, "texttemplate": "%{z:.2f}",
            "textfont": {"size": 9 if print_mode else 10},
            "customdata": [[f"{ptext(report.label(a))} × {ptext(report.label(b))}" for b in codes] for a in codes],
            "hovertemplate": "%{customdata}: %{z:.2f}<extra></extra>",
            "colorbar": {"title": {"text": ptext(t["correlation"])}, "thickness": 10, "len": 1.0},
        }
        out.append({
            "data": [trace],
            "title": t["corr_block_title"].format(name=report.label(d)),
            "layout": _layout(height, print_mode,
                              xaxis=_axis("", tickvals=list(range(n)), ticktext=cols, side="top", showgrid=False,
                                          tickfont={"size": 9 if print_mode else 10}),
                              yaxis=_axis("", tickvals=list(range(n)), ticktext=rows, autorange="reversed",
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
                     "y": [_r(v, 2) for v in values],
                     "line": {"color": colour, "dash": DASHES[k % len(DASHES)], "width": 2},
                     "marker": {"symbol": SYMBOLS[k % len(SYMBOLS)], "size": 7},
                     "hovertemplate": ptext(name) + " %{x}: %{y:.1f}<extra></extra>"})
    return {
        "data": data,
        "layout": _layout(440, print_mode, xaxis=_axis(t["year"], tickvals=years, showgrid=False),
                          yaxis=_axis(t["index"]),
                          legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0}),
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
