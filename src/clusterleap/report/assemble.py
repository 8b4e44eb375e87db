"""Assembly of a report: a result with its cluster analytics, robustness, coherence and trends, turned into plain
values in the report's language. The HTML (and so the PDF) and Excel writers read the same :class:`Report`, so the
formats say the same thing.

A section appears when its data does: analytics when :func:`clusterleap.analysis.profile.analyse` runs on the
result; robustness when tables of ``clusterleap robustness --out DIR`` (or a
:class:`~clusterleap.analysis.uncertainty.Samples`) are given; trends when the data has more than one year up to the
result's.
"""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ClusterleapError
from ..result import Result
from ._errors import ReportError
from .i18n import strings
from .recipe_text import StageText, describe_recipe

if TYPE_CHECKING:
    from ..analysis.profile import Analytics, Profile
    from ..analysis.trends import Trends
    from ..analysis.uncertainty import Samples

__all__ = ["Report", "Robustness", "build_report", "load_robustness"]

#: Profiles already computed for an Analytics object (reports in several languages share them).
_PROFILES: weakref.WeakKeyDictionary[Analytics, dict[str, Profile]] = weakref.WeakKeyDictionary()

#: Columns ``clusterleap robustness`` writes to rank_intervals.csv that a report needs.
RANK_INTERVAL_COLUMNS = ("node", "unit", "nominal_rank", "median_rank")


def _num(v: Any) -> float:
    """A float, NaN for anything missing or not numeric."""
    if v is None or v is pd.NA:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def fmt(v: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals; '–' when missing."""
    x = _num(v)
    return "–" if math.isnan(x) else f"{x:.{digits}f}"


def fmt_rank(v: Any) -> str:
    x = _num(v)
    return "–" if math.isnan(x) else f"{x:g}"


def fmt_signed(v: Any, digits: int = 1) -> str:
    """A number with its sign (+1.5, −2.0); '–' when missing."""
    x = _num(v)
    return "–" if math.isnan(x) else f"{x:+.{digits}f}".replace("-", "−")


def interval(lo: float, hi: float) -> str:
    """A rank interval widened to whole ranks (floor of the lower, ceiling of the upper quantile), so that it
    covers at least the stated share of the samples."""
    if math.isnan(lo) or math.isnan(hi):
        return ""
    return f"{math.floor(lo + 1e-9)}–{math.ceil(hi - 1e-9)}"


# -- robustness tables --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Robustness:
    """The tables of an uncertainty and sensitivity analysis, as ``clusterleap robustness --out DIR`` writes them:
    ``rank_intervals`` (required), ``sobol``, ``sobol_units``, ``leave_one_out``, ``design``,
    ``grade_probabilities`` (per unit: ``nominal`` grade and one share column per grade) and ``summary``."""

    rank_intervals: pd.DataFrame
    sobol: pd.DataFrame | None = None
    sobol_units: pd.DataFrame | None = None
    leave_one_out: pd.DataFrame | None = None
    design: pd.DataFrame | None = None
    grade_probabilities: pd.DataFrame | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)
    source: str = "robustness"

    @property
    def quantiles(self) -> tuple[str, str]:
        """The lower and upper rank-quantile columns, e.g. ``('rank_p5', 'rank_p95')``."""
        cols = sorted((c for c in self.rank_intervals.columns if str(c).startswith("rank_p")),
                      key=lambda c: float(str(c)[6:]))
        return str(cols[0]), str(cols[-1])

    @property
    def percent(self) -> tuple[str, str]:
        lo, hi = self.quantiles
        return lo[6:], hi[6:]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by name."""
        out = {"rank_intervals": self.rank_intervals}
        for name in ("sobol", "sobol_units", "leave_one_out", "design", "grade_probabilities"):
            df = getattr(self, name)
            if df is not None:
                out[name] = df
        return out

    @classmethod
    def read(cls, directory: str | Path) -> Robustness:
        """The tables of ``directory`` (the ``--out`` folder of ``clusterleap robustness``)."""
        d = Path(directory)
        if not d.is_dir():
            raise ReportError(f"{d}: no such folder (make it with: clusterleap robustness ... --out {d})")
        path = d / "rank_intervals.csv"
        if not path.is_file():
            raise ReportError(f"{d}: no rank_intervals.csv (make the folder with: clusterleap robustness ... "
                              f"--out {d})")

        listed: set[str] | None = None

        def read(name: str, index: str | None = None) -> pd.DataFrame | None:
            p = d / f"{name}.csv"
            if not p.is_file() or (listed is not None and p.name not in listed):
                return None  # a table the run did not write (left from an earlier run) is not its own
            try:
                df = pd.read_csv(p, dtype={"unit": str, "node": str, "removed": str})
            except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise ReportError(f"{p}: not a readable CSV table ({exc})") from None
            if index is not None and index in df.columns:
                df = df.set_index(index)
            return df

        summary: dict[str, Any] = {}
        sp = d / "summary.json"
        if sp.is_file():
            try:
                summary = json.loads(sp.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ReportError(f"{sp}: not valid JSON ({exc})") from None
            if not isinstance(summary, dict):
                raise ReportError(f"{sp}: expected a JSON object")
            files = summary.get("files")
            if isinstance(files, list):
                listed = {str(f) for f in files}
        ri = read("rank_intervals")
        assert ri is not None
        rob = cls(ri, read("sobol"), read("sobol_units"), read("leave_one_out"), read("design"),
                  read("grade_probabilities", "unit"), summary, str(d))
        rob._check_columns()
        return rob

    @classmethod
    def from_samples(cls, samples: Samples, leave_one_out: pd.DataFrame | None = None) -> Robustness:
        """The tables of an uncertainty analysis run in Python (Sobol' indices when its design is Saltelli's)."""
        sobol = samples.sobol("index") if samples.design == "saltelli" else None
        rob = cls(samples.rank_intervals(), sobol, None, leave_one_out, samples.design_table().reset_index(),
                  None, samples.summary(), "uncertainty analysis")
        rob._check_columns()
        return rob

    def _check_columns(self) -> None:
        missing = [c for c in RANK_INTERVAL_COLUMNS if c not in self.rank_intervals.columns]
        if not any(str(c).startswith("rank_p") for c in self.rank_intervals.columns):
            missing.append("rank_p<lower>, rank_p<upper>")
        if missing:
            raise ReportError(f"{self.source}/rank_intervals.csv: missing column(s) {', '.join(missing)} (expected "
                              "the table clusterleap robustness writes)")
        if self.sobol is not None:
            gone = [c for c in ("factor", "S1", "ST") if c not in self.sobol.columns]
            if gone:
                raise ReportError(f"{self.source}/sobol.csv: missing column(s) {', '.join(gone)}")
        if self.leave_one_out is not None:
            gone = [c for c in ("removed", "unit", "shift") if c not in self.leave_one_out.columns]
            if gone:
                raise ReportError(f"{self.source}/leave_one_out.csv: missing column(s) {', '.join(gone)}")

    def check(self, result: Result) -> None:
        """Refuse tables of another framework, year or set of clusters than the result's."""
        where = f"{self.source}/summary.json"
        fw_name = self.summary.get("framework")
        if fw_name is not None and str(fw_name) != result.framework.name:
            raise ReportError(f"{where}: the robustness run is of framework {fw_name!r}, the report of "
                              f"{result.framework.name!r}")
        year = self.summary.get("year")
        if year is not None and int(year) != int(result.year):
            raise ReportError(f"{where}: the robustness run is for {year}, the report for {result.year} "
                              "(use --year or rerun the robustness analysis)")
        data_hash = self.summary.get("data_hash")
        if data_hash is not None and str(data_hash) != result.data.hash:
            raise ReportError(f"{where}: the robustness run was made from other data (data hash "
                              f"{str(data_hash)[:12]}, the report's {result.data.hash[:12]}); rerun clusterleap "
                              "robustness on the report's data")
        recipe = self.summary.get("recipe")
        if recipe is not None:  # both as JSON has them (level keys become text), the recipe's name aside
            recipe = {k: v for k, v in json.loads(json.dumps(recipe, default=str)).items() if k != "name"}
        mine = {k: v for k, v in json.loads(json.dumps(result.recipe.to_dict(), default=str)).items() if k != "name"}
        if recipe is not None and recipe != mine:
            keys = sorted(k for k in set(recipe) | set(mine) if recipe.get(k) != mine.get(k)) if isinstance(
                recipe, dict) else []
            differ = f" (they differ in {', '.join(keys)})" if keys else ""
            raise ReportError(f"{where}: the robustness run used another recipe than the report{differ}; rerun "
                              "clusterleap robustness with the report's recipe")
        root = result.framework.root.code
        ri = self.rank_intervals
        rows = ri[ri["node"].astype(str) == root]
        where = f"{self.source}/rank_intervals.csv"
        if rows.empty:
            raise ReportError(f"{where}: no rows for the index node {root!r} of framework "
                              f"{result.framework.name!r}")
        have, want = set(rows["unit"].astype(str)), set(result.units)
        if have != want:
            extra, lost = sorted(have - want), sorted(want - have)
            what = (f"unit {extra[0]!r} is not in the report's data" if extra
                    else f"unit {lost[0]!r} of the report's data is missing")
            raise ReportError(f"{where}: {what} (the robustness run must use the same data)")


def load_robustness(spec: Robustness | Samples | str | Path | None) -> Robustness | None:
    """Robustness tables from themselves, a folder written by ``clusterleap robustness`` or a Samples object."""
    if spec is None or isinstance(spec, Robustness):
        return spec
    if isinstance(spec, str | Path):
        return Robustness.read(spec)
    from ..analysis.uncertainty import Samples

    if isinstance(spec, Samples):
        return Robustness.from_samples(spec)
    raise ReportError(f"robustness: expected a folder, Robustness or Samples, got {type(spec).__name__}")


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
        from ..analysis.profile import scale_bounds

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
        return {str(r["unit"]): (_num(r[lo]), _num(r["median_rank"]), _num(r[hi])) for _, r in rows.iterrows()}

    def interval_text(self, unit: str) -> str:
        iv = self.intervals.get(unit)
        return "" if iv is None else interval(iv[0], iv[2])

    def col(self, row: Mapping[str, Any] | pd.Series, key: str) -> str:
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
        if self.analytics is not None:
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
        from .. import __version__

        n_bench = int(self.benchmark.sum())
        return {
            "title": self.heading,
            "subtitle": self.t["subtitle"].format(n=len(r.units), year=r.year),
            "framework": f"{self.framework_name} ({r.framework.name})",
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
        for i in self.order:
            u = self.result.units[i]
            row: dict[str, Any] = {
                "i": i, "anchor": f"u{i}", "rank": fmt_rank(self.rank(i)), "code": u, "name": self.names[i],
                "bench": bool(self.benchmark[i]), "score": fmt(self.score(i, self.root)),
                "dims": [fmt(self.score(i, d)) for d in self.dims], "interval": self.interval_text(u),
                "grade": "", "tier": -1, "type": "",
            }
            if an is not None:
                g = an.grades.iloc[i]
                row.update(grade=self.col(g, "grade"), tier=int(g["tier_pos"]),
                           type=self.col(an.types.iloc[i], "type_name"))
            rows.append(row)
        return rows

    @cached_property
    def profiles(self) -> list[dict[str, Any]]:
        """One profile per unit in rank order (with analytics)."""
        an = self.analytics
        if an is None:
            return []
        lang = self.lang
        out = []
        cache = _PROFILES.setdefault(an, {})
        for i in self.order:
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
            actions = [{"action": self.col(r, "action_en"), "evidence": self.col(r, "evidence"),
                        "expert": self.col(r, "expert_en")} for _, r in p.actions.iterrows()]
            iv = self.intervals.get(u)
            out.append({
                "i": i, "anchor": f"u{i}", "code": u, "name": self.names[i], "bench": bool(self.benchmark[i]),
                "rank": fmt_rank(p.rank), "n": p.n_units, "score": fmt(p.score),
                "grade": self.col(p.grade, "grade"), "tier": int(p.grade["tier_pos"]),
                "reason": self.col(p.grade, "reason"),
                "type": self.col(p.type, "type_name"), "explanation": self.col(p.type, "explanation"),
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
                "unit": n.unit if n.is_indicator else "",
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

    # -- robustness ---------------------------------------------------------------------------------------------
    @cached_property
    def robustness_view(self) -> dict[str, Any]:
        rob = self.robustness
        if rob is None:
            return {}
        t = self.t
        s = rob.summary
        design = t["design_saltelli"] if s.get("design") == "saltelli" else t["design_montecarlo"]
        factors = ", ".join(str(f) for f in s.get("factors", [])) or "–"
        note = t["robustness_note"].format(design=design, runs=s.get("runs", "–"), seed=s.get("seed", "–"),
                                           factors=factors)
        missing = []
        for m in s.get("missing_scores", []) or []:
            when = t["missing_when"].format(cause=m["cause"]) if m.get("cause") else ""
            missing.append(t["missing_node"].format(node=self.label(str(m["node"])), code=m["node"],
                                                    units=m["units"], runs=m["runs"], total=s.get("runs", "–"),
                                                    when=when))
        if missing:
            index_ok = all(bool(m.get("index_defined", True)) for m in s.get("missing_scores", []))
            missing.append(t["missing_index_ok" if index_ok else "missing_index_lost"])
        rows: list[dict[str, Any]] = []
        for u, (lo, _med, hi) in self.intervals.items():
            i = self.result.units.index(u)
            rows.append({"anchor": f"u{i}", "name": self.names[i], "nominal": fmt_rank(self.rank(i)),
                         "median": fmt_rank(_med), "interval": interval(lo, hi),
                         "width": (hi - lo) if not (math.isnan(lo) or math.isnan(hi)) else -1.0,
                         "order": self.order.index(i)})
        widest = sorted(rows, key=lambda r: (-float(r["width"]), int(r["order"])))[:10]
        sobol = []
        if rob.sobol is not None:
            sobol = [{"factor": str(r["factor"]), "S1": fmt(r["S1"], 3), "ST": fmt(r["ST"], 3),
                      "S1_conf": fmt(r.get("S1_conf"), 3), "ST_conf": fmt(r.get("ST_conf"), 3)}
                     for _, r in rob.sobol.iterrows()]
        loo = [{"code": str(c), "name": self.label(str(c)), "mean": fmt(r["mean_abs_shift"], 2),
                "max": fmt(r["max_abs_shift"], 0)} for c, r in self.loo_summary.head(10).iterrows()]
        probs: dict[str, Any] = {}
        gp = rob.grade_probabilities
        if gp is not None and "nominal" in gp.columns:
            grade_cols = [c for c in gp.columns if c != "nominal"]
            prow = []
            for i in self.order:
                u = self.result.units[i]
                if u in gp.index:
                    r = gp.loc[u]
                    prow.append({"name": self.names[i], "nominal": str(r["nominal"]),
                                 "p": [f"{100 * _num(r[c]):.0f} %" for c in grade_cols]})
            probs = {"columns": [str(c) for c in grade_cols], "rows": prow}
        p_lo, p_hi = rob.percent
        return {"note": note, "widest": widest, "sobol": sobol, "loo": loo, "probs": probs, "lo": p_lo, "hi": p_hi,
                "missing": missing}

    @cached_property
    def loo_summary(self) -> pd.DataFrame:
        """Per indicator left out: mean and largest absolute rank shift of the index, largest mean first."""
        rob = self.robustness
        if rob is None or rob.leave_one_out is None or rob.leave_one_out.empty:
            return pd.DataFrame(columns=["mean_abs_shift", "max_abs_shift"])
        loo = rob.leave_one_out
        g = loo.assign(abs_shift=pd.to_numeric(loo["shift"], errors="coerce").abs()).groupby(
            loo["removed"].astype(str), sort=False)["abs_shift"]
        return pd.DataFrame({"mean_abs_shift": g.mean(), "max_abs_shift": g.max()}).sort_values(
            "mean_abs_shift", ascending=False, kind="stable")

    # -- coherence ----------------------------------------------------------------------------------------------
    @cached_property
    def coherence_view(self) -> dict[str, Any]:
        coh = self.coherence
        if coh is None:
            return {}
        cr = coh.get("cronbach")
        cron = [] if cr is None else [
            {"code": str(r["node"]), "name": self.label(str(r["node"])), "level": str(int(r["level"])),
             "k": str(int(r["k"])), "alpha": fmt(r["alpha"], 2)} for _, r in cr.iterrows()]
        fl = coh.get("flags")
        flags = [] if fl is None else [
            {"a": self.label(str(r["node_a"])), "b": self.label(str(r["node_b"])), "r": fmt(r["r"], 2),
             "flag": self.t.get(f"flag_{r['flag']}", str(r["flag"])), "method": str(r["method"])}
            for _, r in fl.iterrows()]
        return {"cronbach": cron, "flags": flags}

    @cached_property
    def corr_dims(self) -> pd.DataFrame | None:
        from ..analysis.coherence import correlation_matrix

        if self.coherence is None:
            return None
        codes = [self.root, *self.dims]
        return correlation_matrix(self.result, "pearson", codes, codes)

    @cached_property
    def corr_indicators(self) -> pd.DataFrame | None:
        from ..analysis.coherence import correlation_matrix

        if self.coherence is None:
            return None
        return correlation_matrix(self.result, "pearson", 1, 1)

    # -- trends -------------------------------------------------------------------------------------------------
    @cached_property
    def trends_view(self) -> dict[str, Any]:
        tr = self.trends
        if tr is None:
            return {}
        t = self.t
        ref = t.get(f"ref_{tr.reference}", tr.reference)
        frontier = {"benchmark median": t["benchmark_median"], "benchmark best": t["ref_best"],
                    "best domestic unit": t["best_domestic"]}.get(tr.frontier_kind, tr.frontier_kind)
        note = t["trends_note"].format(reference=ref, frontier=frontier)
        a, b = tr.years_compared
        trans = tr.transitions
        tiers = self._tier_labels(list(trans.index))
        matrix = {"columns": self._tier_labels(list(trans.columns)),
                  "rows": [(tiers[k], [str(int(v)) for v in row]) for k, (_, row) in enumerate(trans.iterrows())]}
        disp = tr.disparity
        dcols = [c for c in ("n", "mean", "gini", "within", "between", "transvariation", "cv") if c in disp.columns]
        disparity = {"columns": [t.get(f"disp_{c}", c) for c in dcols],
                     "rows": [(str(y), [fmt(r[c], 0 if c == "n" else 3) for c in dcols]) for y, r in disp.iterrows()]}
        return {"note": note, "title": t["transitions"].format(a=a, b=b), "matrix": matrix, "disparity": disparity}

    def _tier_labels(self, codes: Sequence[Any]) -> list[str]:
        """Tier codes as grade labels in the report's language (via the analytics' grades)."""
        if self.analytics is None:
            return [str(c) for c in codes]
        g = self.analytics.grades
        col = "grade_zh" if self.lang == "zh" else "grade"
        names = {str(k): str(v) for k, v in zip(g["tier"], g[col], strict=True) if k}
        from ..analysis.grades import UNGRADED

        out = []
        for c in codes:
            if str(c) == UNGRADED:
                out.append("–")
            else:
                out.append(names.get(str(c), str(c)))
        return out


def _coherence(result: Result) -> dict[str, pd.DataFrame] | None:
    from ..analysis.coherence import coherence_report

    if len(result.units) < 3:
        return None
    return coherence_report(result)


def _trends(result: Result) -> Trends | None:
    from ..analysis.trends import trends

    years = [y for y in result.data.years if y <= result.year]
    if len(years) < 2:
        return None
    # the data before screening: trends screen each year themselves
    return trends(result.framework, result.source_data, result.recipe, years)


def build_report(
    result: Result,
    *,
    lang: str = "en",
    analytics: Analytics | bool = True,
    robustness: Robustness | Samples | str | Path | None = None,
    coherence: bool = True,
    trends: Trends | bool = True,
    title: str = "",
) -> Report:
    """Assemble a report of ``result`` in ``lang`` ('en' or 'zh').

    ``analytics``: True runs :func:`clusterleap.analysis.profile.analyse` with its defaults, an
    :class:`~clusterleap.analysis.profile.Analytics` is used as given, False leaves grades, types and profiles out;
    ``robustness``: a folder written by ``clusterleap robustness --out``, a :class:`Robustness` or a
    :class:`~clusterleap.analysis.uncertainty.Samples` (checked to be of the same framework, year and clusters);
    ``coherence``: correlations, Cronbach's alpha and flags; ``trends``: True monitors every year of the data up to
    the result's when there are two or more; ``title``: replaces the default title."""
    import warnings

    from ..errors import DataWarning

    t = strings(lang)
    notes: list[str] = []
    an: Analytics | None = None
    if analytics is True:
        from ..analysis.profile import analyse

        try:
            an = analyse(result)
        except ClusterleapError as exc:  # e.g. a framework too small for types: the report goes on without
            notes.append(t["no_analytics"].format(reason=exc))
    elif analytics is not False:
        an = analytics
    rob = load_robustness(robustness)
    if rob is not None:
        rob.check(result)
    tr: Trends | None = None if trends is True or trends is False else trends
    if trends is True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            try:
                tr = _trends(result)
            except ClusterleapError as exc:
                notes.append(t["no_trends"].format(reason=exc))
    return Report(result, lang, an, rob, _coherence(result) if coherence else None, tr, title, tuple(notes))
