"""The self-contained HTML report: one file with its styles, data and chart library inlined, that works offline.

Safety: the template is autoescaped (every user string is text); the chart data sits in a
``<script type="application/json">`` element written by :func:`safe_json`, which escapes ``<``, ``>``, ``&`` and
the JavaScript line separators so that no string can close the element; chart labels are entity-escaped for
plotly.js (:func:`~clusterleap.report._charts.ptext`); and a Content-Security-Policy allows only the page's own
scripts (by SHA-256 hash), inline styles and ``data:`` images: no request leaves the page, and an injected script
would not run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..errors import ReportError
from ._charts import figures, radar_spec, tier_colours
from ._story import findings
from ._view import Report
from ._words import factor_labels, in_language, provenance_key, tier_names

__all__ = ["render_html", "safe_json"]

Mode = Literal["screen", "print"]
#: Strengths and short boards a printed profile lists (the first of each list; the HTML and the workbook list all).
BOARD_LIMIT = 3


def _clean(obj: Any) -> Any:
    """JSON-ready values: NaN and infinities as null, numpy scalars as Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def safe_json(obj: Any) -> str:
    """JSON that is safe inside a ``<script>`` element and as JavaScript: ``<``, ``>`` and ``&`` as ``\\u`` escapes
    (no ``</script>`` or ``<!--`` can appear), and U+2028 / U+2029 escaped too."""
    text = json.dumps(_clean(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def css_string(s: str) -> str:
    """A CSS string literal with every character but letters, digits and spaces escaped (``\\hex ``)."""
    return '"' + "".join(c if (c.isalnum() and c.isascii()) or c == " " else f"\\{ord(c):x} " for c in s) + '"'


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("clusterleap.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@cache
def _asset(name: str) -> str:
    return (resources.files("clusterleap.report") / "templates" / name).read_text(encoding="utf-8")


@cache
def plotly_js() -> str:
    """plotly.js as bundled with the plotly Python package (``package_data/plotly.min.js``)."""
    try:
        path = resources.files("plotly") / "package_data" / "plotly.min.js"
        return path.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ReportError(f"the HTML report embeds plotly.js from the plotly package, which is missing ({exc}); "
                          "install it: pip install plotly") from None


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _check_script(name: str, text: str) -> None:
    low = text.lower()
    if "</script" in low or "<!--" in low:
        raise ReportError(f"{name} contains '</script' or '<!--' and cannot be inlined safely")


def _tier_css(n: int) -> str:
    """Badge colours of ``n`` tiers from the chart palette, with black or white text by luminance."""
    rules = []
    for k, hex_colour in enumerate(tier_colours(n)):
        r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
        rules.append(f".tier-{k} {{ background: {hex_colour}; color: {'#111' if lum > 0.45 else '#fff'}; }}")
    return "\n".join(rules)


def _page_css(report: Report) -> str:
    """Print margin boxes that carry fixed report strings (never user data): the illustrative-data notice."""
    if not report.result.illustrative:
        return ""
    return ("@page { @top-center { content: " + css_string(report.t["illustrative_short"]) +
            "; font-size: 8pt; color: #8a5a00; } }")


def context(report: Report, mode: Mode) -> dict[str, Any]:
    """The template's variables."""
    t = report.t
    print_mode = mode == "print"
    charts = figures(report, print_mode)
    radar = radar_spec(report, print_mode) if report.analytics is not None else None
    data = {"mode": mode, "lang": report.lang, "charts": charts, "radar": radar}
    n_tiers = 1 + max([int(r["tier"]) for r in report.ranking] + [4])
    css = "\n".join([_asset("report.css"), _tier_css(n_tiers), _page_css(report)])
    scripts = {"plotly.min.js": plotly_js(), "report.js": _asset("report.js")}
    for name, text in scripts.items():
        _check_script(name, text)
    if "</style" in css.lower():
        raise ReportError("the stylesheet contains '</style' and cannot be inlined safely")
    csp = ("default-src 'none'; script-src " + " ".join(_sha256(s) for s in scripts.values()) +
           "; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'")
    lo, hi = report.scale
    rob = report.robustness
    radar_box = {} if radar is None else {"key": radar["key"], "rings": radar["rings"],
                                          "width": radar["layout"]["width"], "height": radar["layout"]["height"]}
    note = str(report.meta["recipe_description"])
    interval_label = t["rank_interval"].format(lo=rob.percent[0], hi=rob.percent[1]) if rob is not None else ""
    return {
        "lang": report.lang, "mode": mode, "t": t, "meta": report.meta, "sections": report.sections,
        "summary": report.summary, "notes": report.notes, "method_steps": report.method_steps,
        "quality": report.quality,
        "ranking": report.ranking, "ranking_note": t["ranking_note"].format(lo=lo, hi=hi),
        "dims": [{"code": d, "name": report.label(d)} for d in report.dims],
        "analytics": report.analytics is not None, "robustness": rob is not None,
        "coherence": report.coherence is not None, "trends": report.trends is not None,
        "profiles": report.profiles, "profiles_cut": report.profiles_cut,
        "rob": report.robustness_view, "coh": report.coherence_view,
        "tv": report.trends_view, "interval_label": interval_label, "radar": radar_box,
        "board_limit": BOARD_LIMIT,
        "recipe_note": note if in_language(note, report.lang) else "",
        "findings": findings(report), "section_titles": dict(report.sections),
        "profiled": {p["anchor"] for p in report.profiles},
        "factors": factor_labels(rob.summary.get("space") if rob is not None else None, report.lang),
        "tiers": tier_names(report),
        "framework_rows": report.framework_rows, "recipe_yaml": report.recipe_yaml,
        "treatment_rows": report.treatment_rows,
        "provenance_rows": [(provenance_key(k, report.lang), v) for k, v in report.provenance_rows],
        "charts": charts, "csp": csp, "css": Markup(css),
        "data_json": Markup(safe_json(data)),
        "plotly_js": Markup(scripts["plotly.min.js"]), "app_js": Markup(scripts["report.js"]),
    }


def render_html(report: Report, mode: Mode = "screen") -> str:
    """The report as one HTML document. ``mode='print'`` lays it out for A4 (all profiles open, charts at page
    width, page-number slots in the table of contents)."""
    if mode not in ("screen", "print"):
        raise ReportError(f"HTML mode {mode!r}: expected 'screen' or 'print'")
    return _environment().get_template("report.html.j2").render(**context(report, mode))

