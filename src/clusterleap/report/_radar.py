"""Each cluster's radar: its dimension scores against the benchmark and domestic medians, sized so that every axis
label fits (the geometry is computed from the labels' estimated widths, not left to plotly's clipping)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._chartstyle import FONT, GRID, INK, PALETTE, layout, num, ptext, text_width, wrap_lines

if TYPE_CHECKING:
    from ._view import Report

__all__ = ["RADAR_PAD", "RADAR_PRINT", "RADAR_SCREEN", "radar_geometry", "radar_spec"]

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
        vals = [num(v, 2) for v in values]
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
        "scores": [[num(v, 2) for v in row] for row in report.dim_scores],
        "names": [ptext(f"{t['this_cluster']}: {n}") for n in report.names],
        "layout": layout(geo["height"], print_mode, width=width, showlegend=False,
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


