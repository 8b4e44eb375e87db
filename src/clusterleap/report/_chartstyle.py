"""The charts' shared style: fonts, colours, the layout and axes every chart starts from, and text helpers.

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
from typing import Any

__all__ = ["CIVIDIS", "DASHES", "FONT", "GRID", "INK", "PALETTE", "PRINT_WIDTH", "ROWS_PRINT", "ROWS_SCREEN",
           "SYMBOLS", "Fig", "axis", "layout", "num", "ptext", "text_width", "tier_colours", "wrap", "wrap_lines"]

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
    lines of even length, an even number of characters where that leaves no line of one character (most Chinese
    words have two: "技术创新引领" becomes "技术创新/引领", not "技术创/新引领"), so that no line is left with a
    character alone ("产品竞争/力" becomes "产品竞/争力")."""
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
    if step % 2 and step < width and len(s) - (step + 1) * (n - 1) >= 2:
        step += 1  # most Chinese words have two characters: "技术创新/引领" rather than "技术创/新引领"
    return [s[k:k + step] for k in range(0, len(s), step)]


def wrap(s: str, width: int) -> str:
    """Plotly text broken into lines of about ``width`` characters (:func:`wrap_lines`), each line escaped, joined
    by ``<br>``."""
    return "<br>".join(ptext(line) for line in wrap_lines(s, width))


def num(x: Any, digits: int = 3) -> float | None:
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


def axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": ptext(title)}, "gridcolor": GRID, "zerolinecolor": GRID, "linecolor": INK,
            "automargin": True, **extra}


def layout(height: float, print_mode: bool, **extra: Any) -> dict[str, Any]:
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


