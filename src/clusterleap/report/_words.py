"""Words the report derives from machine names, in the report's language: robustness factors (``weights level 2``),
grade codes (``world_class``), provenance keys, correlation methods, metadata column names, and whether a free text
(a recipe's description) is written in the report's language at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..analysis._grades import UNGRADED
from ._i18n import strings

if TYPE_CHECKING:
    from ._view import Report

__all__ = ["META_COLUMNS_ZH", "factor_labels", "in_language", "meta_column", "option_label", "provenance_key",
           "tier_names"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

#: Chinese names of the metadata columns data files commonly carry (other columns are shown as named).
META_COLUMNS_ZH: Mapping[str, str] = {
    "sector": "行业", "industry": "产业", "region": "地区", "province": "省份", "country": "国家", "city": "城市",
    "group": "组别", "type": "类型", "size": "规模",
}


def in_language(text: str, lang: str) -> bool:
    """Whether ``text`` is written in ``lang``: Chinese when it holds Chinese characters, English when it holds
    none."""
    has_cjk = bool(_CJK.search(text))
    return has_cjk if lang == "zh" else not has_cjk


def meta_column(name: str, lang: str) -> str:
    """A metadata column's name in ``lang`` (Chinese for the common ones, else as the data names it)."""
    return META_COLUMNS_ZH.get(name.lower(), name) if lang == "zh" else name


def provenance_key(key: str, lang: str) -> str:
    """A provenance field (``data_hash``) in words."""
    t = strings(lang)
    return t.get(f"prov_{key}", key)


def _options(options: Sequence[Any], lang: str) -> str:
    t = strings(lang)
    words = []
    for o in options:
        if o is None or o == "nominal":
            words.append(t["factor_nominal"])
        elif isinstance(o, Mapping):
            words.append(t.get(f"method_{o.get('method')}", str(o.get("method"))))
        else:
            words.append(t.get(f"method_{o}", str(o)))
    return t["factor_or"].join(words)


def option_label(text: str, lang: str) -> str:
    """A robustness option as the design table writes it (``nominal``, ``arithmetic``, ``geometric(p=2)``,
    ``arithmetic + overrides``) in ``lang``: the recipe's own plan and known methods in words, parameters as
    written."""
    t = strings(lang)
    base, plus, _ = text.partition(" + overrides")
    if base.startswith("nominal: "):  # the recipe's own plan, and what it is
        return t["factor_nominal"] + " (" + option_label(base[len("nominal: "):] + plus, lang) + ")"
    if base == "nominal":
        words = t["factor_nominal"]
    else:
        method, paren, args = base.partition("(")
        words = t.get(f"method_{method}", method) + (f" ({args}" if paren else "")
    return words + (t["with_overrides"] if plus else "")


def factor_labels(space: Mapping[str, Any] | None, lang: str) -> dict[str, str]:
    """The robustness factors of a space (as ``summary.json`` records it) described in ``lang``, by the name the
    tables use. A factor its author named keeps the name; the names clusterleap made up (``weights level 2``,
    ``aggregate``) become a description of what varies: whose weights by how much, or which methods of a stage."""
    t = strings(lang)
    out: dict[str, str] = {}
    for f in (space or {}).get("factors", []) or []:
        if not isinstance(f, Mapping) or "name" not in f:
            continue
        name = str(f["name"])
        if isinstance(f.get("weights"), Mapping):
            w = f["weights"]
            nodes = [str(n) for n in w.get("nodes", []) or []]
            auto = (f"weights level {w['level']}" if "level" in w else
                    "weights " + ",".join(nodes[:3]) + ("..." if len(nodes) > 3 else "") if nodes else "weights")
            if name != auto:
                continue
            noise = f"{100 * float(w.get('noise', 0)):g}"
            if "level" in w:
                out[name] = t["factor_weights_level"].format(level=w["level"], noise=noise)
            elif nodes:
                out[name] = t["factor_weights_nodes"].format(nodes=", ".join(nodes), noise=noise)
            else:
                out[name] = t["factor_weights"].format(noise=noise)
        elif isinstance(f.get("choice"), Mapping):
            c = f["choice"]
            stage = str(c.get("stage", ""))
            if name != stage:
                continue
            out[name] = t["factor_choice"].format(stage=t.get(f"stage_{stage}", stage),
                                                  options=_options(c.get("options", []), lang))
    return out


def tier_names(report: Report) -> dict[str, str]:
    """Tier code -> grade name in the report's language (with the ungraded code), from the analytics' grades."""
    if report.analytics is None:
        return {}
    g = report.analytics.grades
    col = "grade_zh" if report.lang == "zh" else "grade"
    names = {str(k): str(v) for k, v in zip(g["tier"], g[col], strict=True) if k and str(k) != UNGRADED}
    return {**names, UNGRADED: report.t["not_graded"]}
