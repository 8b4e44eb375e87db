"""The view of a report: a result with its cluster analytics, robustness, coherence and trends, turned into plain
values in the report's language. The HTML (and so the PDF) and Excel writers read the same :class:`Report`, so the
formats say the same thing. What a report holds is gathered by :func:`._gather.build_report`; numbers are written
by :mod:`._formatting`.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._result import Result
from .._version import __version__
from ..analysis._profile import Analytics, Profile, scale_bounds
from ..analysis._trends import Trends
from ..robustness._folder import Robustness
from . import _sections
from ._formatting import fmt, fmt_rank, fmt_signed, interval, minus_signs, num
from ._i18n import strings
from ._recipe_text import StageText, describe_recipe

__all__ = ["MAX_PROFILES", "Report"]

#: Cluster profiles a report shows by default: those of the first units in rank order (docs/limits.md). A profile
#: is a page of print; past a few hundred a report is a file nobody reads, and slow to open.
MAX_PROFILES = 200

#: Profiles already computed for an Analytics object (reports in several languages share them).
_PROFILES: weakref.WeakKeyDictionary[Analytics, dict[str, Profile]] = weakref.WeakKeyDictionary()

# -- the report -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Report:
    """Everything a report shows, in one language. Built by :func:`build_report`; read by the writers."""

    result: Result
    lang: str
    analytics: Analytics | None = None
    robustness: Robustness | None = None
    coherence: Mapping[str, pd.DataFrame] | None = None
    trends: Trends | None = None
    title: str = ""
    notes: tuple[str, ...] = ()
    max_profiles: int | None = MAX_PROFILES
    #: the units with a profile (None: every unit), from :func:`~clusterleap.report._selection.select_profiles`
    profile_units: tuple[str, ...] | None = None

    # -- basics -------------------------------------------------------------------------------------------------
    @property
    def t(self) -> Mapping[str, str]:
        return strings(self.lang)

    @property
    def root(self) -> str:
        return self.result.framework.root.code

    @property
    def dims(self) -> tuple[str, ...]:
        return self.result.framework.children[self.root]

    def label(self, code: str) -> str:
        """A node's name in the report's language."""
        fw = self.result.framework
        return fw.by_code[code].label(self.lang) if code in fw.by_code else code

    @cached_property
    def framework_name(self) -> str:
        fw = self.result.framework
        first, second = (fw.name_zh, fw.name_en) if self.lang == "zh" else (fw.name_en, fw.name_zh)
        return first or second or fw.name

    @cached_property
    def heading(self) -> str:
        return self.title or self.t["title"].format(framework=self.framework_name)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Unit names in the report's language (the ``name_zh`` column of the data for Chinese, when present)."""
        data = self.result.data
        base = data.names or data.units
        if self.lang == "zh" and "name_zh" in data.groups:
            return tuple(str(z) if z not in (None, "") else str(n)
                         for z, n in zip(data.groups["name_zh"], base, strict=True))
        return tuple(str(n) for n in base)

    @cached_property
    def benchmark(self) -> np.ndarray:
        b = self.result.data.benchmark
        return np.zeros(len(self.result.units), dtype=bool) if b is None else np.asarray(b, dtype=bool)

    @cached_property
    def order(self) -> list[int]:
        """Unit positions in the order of :meth:`Result.ranking` (by index rank, ties by score, unranked last)."""
        pos = {u: i for i, u in enumerate(self.result.units)}
        return [pos[str(u)] for u in self.result.ranking().index]

    @cached_property
    def scale(self) -> tuple[float, float]:
        """The score scale: the normaliser's range over all indicators (observed range when it has none)."""
        lo, hi = scale_bounds(self.result.recipe, self.result.framework, self.result.prepared.normalised[0])
        finite = np.isfinite(lo) & np.isfinite(hi)
        if not finite.any():
            return 0.0, 100.0
        return float(np.min(lo[finite])), float(np.max(hi[finite]))

    def score(self, i: int, code: str) -> float:
        return float(self.result.score_array[i, self.result.nodes.index(code)])

    def rank(self, i: int, code: str | None = None) -> float:
        return float(self.result.rank_array[i, self.result.nodes.index(code or self.root)])

    @cached_property
    def dim_scores(self) -> np.ndarray:
        """Units x dimensions scores."""
        pos = [self.result.nodes.index(d) for d in self.dims]
        return np.asarray(self.result.score_array[:, pos], dtype=float)

    def _median(self, mask: np.ndarray) -> list[float]:
        if not mask.any():
            return [math.nan] * len(self.dims)
        with np.errstate(all="ignore"):
            sub = self.dim_scores[mask]
            return [float(np.nanmedian(c)) if np.isfinite(c).any() else math.nan for c in sub.T]

    @cached_property
    def benchmark_median(self) -> list[float]:
        return self._median(self.benchmark)

    @cached_property
    def domestic_median(self) -> list[float]:
        mask = ~self.benchmark
        return self._median(mask if mask.any() else np.ones_like(mask))

    @cached_property
    def intervals(self) -> dict[str, tuple[float, float, float]]:
        """Per unit: the lower quantile, median and upper quantile of the index rank (robustness)."""
        if self.robustness is None:
            return {}
        ri = self.robustness.rank_intervals
        rows = ri[ri["node"].astype(str) == self.root]
        lo, hi = self.robustness.quantiles
        return {str(r["unit"]): (num(r[lo]), num(r["median_rank"]), num(r[hi])) for _, r in rows.iterrows()}

    def interval_text(self, unit: str) -> str:
        iv = self.intervals.get(unit)
        return "" if iv is None else interval(iv[0], iv[2])

    def col(self, row: Mapping[Any, Any] | pd.Series, key: str) -> str:
        """A text column in the report's language: ``key_zh`` (or ``key`` with ``_en`` replaced) for Chinese."""
        if self.lang == "zh":
            for k in (f"{key}_zh", key.replace("_en", "_zh")):
                if k in row and k != key:
                    v = row[k]
                    if isinstance(v, str) and v:
                        return v
        v = row.get(key, "")
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    # -- sections -----------------------------------------------------------------------------------------------
    @cached_property
    def sections(self) -> list[tuple[str, str]]:
        """``(id, title)`` of the sections present, in order."""
        keys = ["summary", "ranking", "heatmap"]
        if self.profiled:
            keys.append("profiles")
        if self.robustness is not None:
            keys.append("robustness")
        if self.coherence is not None:
            keys.append("coherence")
        if self.trends is not None:
            keys.append("trends")
        keys += ["quality", "annex"]
        return [(k, self.t[f"sec_{k}"]) for k in keys]

    @cached_property
    def meta(self) -> dict[str, Any]:
        r = self.result
        n_bench = int(self.benchmark.sum())
        return {
            "title": self.heading,
            "subtitle": self.t["subtitle"].format(n=len(r.units), year=r.year),
            "framework": self.t["paren"].format(text=self.framework_name, inner=r.framework.name),
            "data": r.data.source,
            "year": r.year,
            "created": str(r.provenance.created).replace("T", " ").replace("+00:00", " UTC"),
            "version": __version__,
            "illustrative": r.illustrative,
            "n_units": len(r.units),
            "n_bench": n_bench,
            "n_domestic": len(r.units) - n_bench,
            "n_indicators": r.indicators_with_data,
            "n_framework_indicators": len(r.framework.indicators),
            "n_screened": int(r.coverage["screened_out"].sum()),
            "basis": r.recipe.basis.describe(self.lang),
            "n_dims": len(self.dims),
            "recipe_name": r.recipe.name,
            "recipe_description": r.recipe.description.strip(),
        }

    @cached_property
    def method_steps(self) -> list[StageText]:
        """One entry per recipe stage: its name and what it does in the report's language (generated from the
        steps, so that it reads in the report's language whatever the recipe's description is written in), and
        the exact steps."""
        return describe_recipe(self.result.recipe, self.result.framework, self.lang)

    @cached_property
    def summary(self) -> dict[str, Any]:
        t = self.t
        m = self.meta
        text = t["summary_text"].format(n=m["n_units"], domestic=m["n_domestic"], bench=m["n_bench"],
                                        k=m["n_indicators"], d=m["n_dims"], year=m["year"])
        if m["n_indicators"] < m["n_framework_indicators"]:
            text += " " + t["summary_empty"].format(k=m["n_indicators"], total=m["n_framework_indicators"])
        text += " " + t["summary_basis"].format(basis=m["basis"])
        if m["n_screened"]:
            text += " " + t["summary_screened"].format(s=m["n_screened"])
        idx = self.result.score_array[:, self.result.nodes.index(self.root)]
        dom = idx[~self.benchmark] if (~self.benchmark).any() else idx
        domestic = [i for i in self.order if not self.benchmark[i]] or self.order
        top = [{"rank": fmt_rank(self.rank(i)), "name": self.names[i], "score": fmt(self.score(i, self.root)),
                "bench": bool(self.benchmark[i]), "anchor": f"u{i}"}
               for i in domestic[:5]]
        grades: list[dict[str, Any]] = []
        if self.analytics is not None:
            g = self.analytics.grades
            col = "grade_zh" if self.lang == "zh" else "grade"
            counts = g[g["tier_pos"] >= 0].groupby("tier_pos")[col].agg(["first", "size"])
            grades = [{"tier": int(str(pos)), "grade": str(r["first"]), "count": int(r["size"])}
                      for pos, r in counts.iterrows()]
            # benchmarks are references, never graded: they are not counted among the domestic grades
            ungraded = int(((g["tier_pos"] < 0) & ~self.benchmark).sum())
            if ungraded:
                grades.append({"tier": -1, "grade": t["not_graded"], "count": ungraded})
        with np.errstate(all="ignore"):
            med = float(np.nanmedian(dom)) if np.isfinite(dom).any() else math.nan
        return {"text": text, "top": top, "grades": grades, "median": fmt(med), "reference": self.gap_reference}

    @cached_property
    def quality(self) -> dict[str, Any]:
        """Data coverage: per dimension, and the clusters with incomplete data (screened out, not graded for
        too little data, or only partly covered), worst first."""
        t, r = self.t, self.result
        cov = r.coverage
        fw = r.framework
        k = len(fw.indicators)
        dims = [{"code": str(d), "name": self.label(str(d)), "indicators": int(row["indicators"]),
                 "coverage": f"{row['mean_coverage']:.0%}", "empty": int(row["units_without_data"])}
                for d, row in r.dimension_coverage.iterrows()]
        ungraded: set[str] = set()
        if self.analytics is not None:
            g = self.analytics.grades
            ungraded = {str(u) for u in g.index[g["tier_pos"] < 0]}
        src = r.source_data
        zh_names = src.groups.get("name_zh") if self.lang == "zh" else None
        names = {u: (zh_names[i] if zh_names and zh_names[i] else src.names[i]) for i, u in enumerate(src.units)}
        units = []
        incomplete = cov[cov["coverage"] < 1]
        for code, row in incomplete.sort_values("coverage").iterrows():
            u = str(code)
            if row["screened_out"]:
                status = t["status_screened"]
            elif u in ungraded and not row["benchmark"]:
                status = t["status_not_graded"]
            else:
                status = ""
            if not status and row["coverage"] >= 0.9:
                continue  # a cluster missing a few values: counted in the text, not listed
            units.append({"code": u, "name": names[u], "bench": bool(row["benchmark"]),
                          "with_data": f"{int(row['indicators_with_data'])} / {k}",
                          "coverage": f"{row['coverage']:.0%}", "status": status})
        text = t["quality_text"].format(k=r.indicators_with_data, total=k, mean=f"{cov['coverage'].mean():.0%}",
                                        n=len(incomplete), listed=len(units))
        return {"text": text, "dimensions": dims, "units": units}

    @cached_property
    def gap_reference(self) -> str:
        """What the gaps are measured to, in the report's language ('' without analytics)."""
        if self.analytics is None:
            return ""
        bench = str(self.analytics.gaps.benchmark)
        if bench in ("median", "best", "targets"):
            return self.t[f"ref_{bench}"]
        if bench in self.result.units:
            return self.t["ref_unit"].format(name=self.names[self.result.units.index(bench)])
        return self.analytics.gaps.description

    @cached_property
    def ranking(self) -> list[dict[str, Any]]:
        """One row per unit in rank order."""
        an = self.analytics
        rows = []
        # each table read once as records: a pandas row per unit would cost more than the rest of the ranking
        grades = an.grades.to_dict("records") if an is not None else []
        types = an.types.to_dict("records") if an is not None else []
        for i in self.order:
            u = self.result.units[i]
            row: dict[str, Any] = {
                "i": i, "anchor": f"u{i}", "rank": fmt_rank(self.rank(i)), "code": u, "name": self.names[i],
                "profiled": i in self.profiled,
                "bench": bool(self.benchmark[i]), "score": fmt(self.score(i, self.root)),
                "dims": [fmt(self.score(i, d)) for d in self.dims], "interval": self.interval_text(u),
                "grade": "", "tier": -1, "type": "",
            }
            if an is not None:
                g = grades[i]
                row.update(grade=self.col(g, "grade"), tier=int(g["tier_pos"]), type=self.col(types[i], "type_name"))
            rows.append(row)
        return rows

    @cached_property
    def profiled(self) -> frozenset[int]:
        """Positions of the units that get a profile: of those chosen (``profile_units``; every unit when None), the
        first :attr:`max_profiles` in rank order (all of them when it is None); none without analytics."""
        if self.analytics is None:
            return frozenset()
        chosen = None if self.profile_units is None else set(self.profile_units)
        order = [i for i in self.order if chosen is None or self.result.units[i] in chosen]
        return frozenset(order if self.max_profiles is None else order[:max(self.max_profiles, 0)])

    @cached_property
    def profiles_cut(self) -> str:
        """What the report says when it profiles fewer units than it ranks ('' when it profiles them all)."""
        n = len(self.order) if self.profile_units is None else len(self.profile_units)
        if self.analytics is None or len(self.profiled) >= n:
            return ""
        return self.t["profiles_cut"].format(shown=f"{len(self.profiled):,}", n=f"{n:,}")

    @cached_property
    def profiles(self) -> list[dict[str, Any]]:
        """One profile per profiled unit (:attr:`profiled`) in rank order."""
        an = self.analytics
        if an is None:
            return []
        lang = self.lang
        out = []
        cache = _PROFILES.setdefault(an, {})
        for i in (i for i in self.order if i in self.profiled):
            u = self.result.units[i]
            p = cache.get(u) or cache.setdefault(u, an.profile(u))

            def boards(df: pd.DataFrame) -> list[dict[str, str]]:
                return [{"node": str(node), "name": self.label(str(node)), "level": str(int(r["level"])),
                         "score": fmt(r["score"]), "median": fmt(r["peer_median"]),
                         "gap": fmt_signed(r["peer_gap"])}
                        for node, r in df.iterrows()]

            gaps = [{"node": str(node), "name": self.label(str(node)), "score": fmt(r["score"]),
                     "reference": fmt(r["reference"]), "gap": fmt(r["gap"]), "part": fmt(r["contribution"], 2)}
                    for node, r in p.gaps.iterrows()]
            actions = [{"action": self.col(r, "action_en"), "evidence": minus_signs(self.col(r, "evidence")),
                        "expert": self.col(r, "expert_en")} for _, r in p.actions.iterrows()]
            iv = self.intervals.get(u)
            out.append({
                "i": i, "anchor": f"u{i}", "code": u, "name": self.names[i], "bench": bool(self.benchmark[i]),
                "rank": fmt_rank(p.rank), "n": p.n_units, "score": fmt(p.score),
                "grade": self.col(p.grade, "grade"), "tier": int(p.grade["tier_pos"]),
                "reason": minus_signs(self.col(p.grade, "reason")),
                "type": self.col(p.type, "type_name"),
                "explanation": minus_signs(self.col(p.type, "explanation")),
                "strengths": boards(p.strengths), "short_boards": boards(p.short_boards), "gaps": gaps,
                "actions": actions, "interval": self.interval_text(u),
                "median_rank": fmt_rank(iv[1]) if iv else "", "lang": lang,
            })
        return out

    @cached_property
    def framework_rows(self) -> list[dict[str, Any]]:
        """The framework tree in pre-order with names, weights, directions and units."""
        fw = self.result.framework
        w = self.result.weights
        depth = fw.depth
        rows = []
        for c in fw.order:
            n = fw.by_code[c]
            rows.append({
                "code": c, "name": n.label(self.lang), "depth": int(depth[c]), "indicator": n.is_indicator,
                "weight": fmt(w.loc[c, "used"], 3), "effective": fmt(w.loc[c, "effective"], 3),
                "direction": (self.t["higher_better"] if n.direction > 0 else self.t["lower_better"])
                if n.is_indicator else "",
                "unit": n.unit_label(self.lang) if n.is_indicator else "",
            })
        return rows

    @cached_property
    def provenance_rows(self) -> list[tuple[str, str]]:
        p = self.result.provenance.to_dict()
        keys = ("framework_hash", "data_hash", "data_source", "recipe_hash", "year", "version", "numpy", "python",
                "created")
        return [(k, str(p[k])) for k in keys if k in p]

    @cached_property
    def recipe_yaml(self) -> str:
        return self.result.recipe.to_yaml()

    @cached_property
    def treatment_rows(self) -> list[dict[str, str]]:
        df = self.result.treatment
        return [{"code": str(c), "name": self.label(str(c)), "points": str(int(r["points_changed"])),
                 "rule": str(r["rule"]), "skew_before": fmt(r["skew_before"], 2), "skew_after": fmt(r["skew_after"], 2)}
                for c, r in df.iterrows() if int(r["points_changed"]) > 0 or r["rule"] != "none"]

    # -- the analyses' sections (built in ._sections) ------------------------------------------------------------
    @cached_property
    def robustness_view(self) -> dict[str, Any]:
        return _sections.robustness_view(self)

    @cached_property
    def loo_summary(self) -> pd.DataFrame:
        """Per indicator left out: mean and largest absolute rank shift of the index, largest mean first."""
        return _sections.loo_summary(self)

    @cached_property
    def coherence_view(self) -> dict[str, Any]:
        return _sections.coherence_view(self)

    @cached_property
    def corr_dims(self) -> pd.DataFrame | None:
        return _sections.corr_dims(self)

    @cached_property
    def corr_indicators(self) -> pd.DataFrame | None:
        return _sections.corr_indicators(self)

    @cached_property
    def trends_view(self) -> dict[str, Any]:
        return _sections.trends_view(self)
