"""Monitoring the leap (跃升) over the years: comparable scores, growth, distance to the world-class frontier, tier
transitions, regional disparity, convergence and coupling coordination.

**Comparable scores.** A score means the same in 2019 as in 2024 only on a comparable scoring basis (the recipe's
``basis``: fixed goalposts, or a reference frozen into the recipe): every unit-year is then scored exactly as
:func:`clusterleap.evaluate` scores it for that year, so the ranking, the grades, the report and the trends show one
score per cluster-year. A relative basis (per-file min-max, z-scores) is refused unless ``reference`` fits bounds
for the analysis: ``"pooled"`` from the units of every year together, ``"first"`` or a year from one base year only
(the years are stacked on the unit axis of one pipeline run, ``pipeline.prepare(..., pooled=True, fit=...)``); those
scores differ from single-year evaluations, whose scales move with each year's field, which is why they must be
asked for. Calibrating a frozen basis on the same population (``clusterleap calibrate --on pooled``) makes them the
scores of every analysis instead.

**Growth**: change and compound annual growth rate of the index.
**Frontier**: per year the median index of the benchmark units (or the best benchmark, or the best unit when none is
flagged); the distance to it per unit and year, and a plain linear projection (least squares over the years) of the
year the distance would reach zero, reported to the nearest whole year (and no earlier than the year after the last
observation, whose distance is still positive). This is a naive extrapolation of the past trend, not a forecast.
**Transitions**: grades per year with one scheme on the comparable scores, and the matrix of counts from one year's
tier to another's.
**Disparity** of the index among domestic units per year: the Gini coefficient and Dagum's decomposition by a group
column (e.g. region); **sigma convergence**: the coefficient of variation (population standard deviation over the
mean) and the standard deviation of the log index per year, falling values meaning convergence (Barro R. and
Sala-i-Martin X. 1992, "Convergence", Journal of Political Economy 100, 223-251).
**Coupling coordination** of the dimensions of each unit and year, with the dimension scores on a 0-1 scale (the
recipe's own scale, see :func:`dimension_scale`; the observed range, with a MethodWarning, for normalisers without
one, such as z-scores).

The measures themselves (formulas and references) are in ``_panel_measures``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._api import as_dataset, as_framework, as_recipe
from .._files import write_atomic_dir
from .._pipeline import aggregate_tree, prepare, rank_scores, screen
from .._registry import did_you_mean
from .._result import write_tables_noting
from ..errors import DataError, MethodWarning, RecipeError
from ..stages._arrays import FloatArray, quiet
from ._diagnostics import scale_bounds
from ._grades import UNGRADED, assign_grades, scheme_for, transition_matrix
from ._panel_measures import cagr, coordination_class, coupling_coordination, dagum, gini, linear_crossing, reach_year

if TYPE_CHECKING:
    from .._dataset import Dataset
    from .._framework import Framework
    from .._recipe import Recipe
    from ..grading import GradingScheme

__all__ = ["Trends", "dimension_scale", "panel_scores", "trends"]


# -- the panel -----------------------------------------------------------------------------------------------------
def panel_scores(
    fw: Framework,
    data: Dataset,
    recipe: Recipe,
    years: Sequence[int] | None = None,
    *,
    reference: Literal["pooled", "first"] | int | None = None,
) -> tuple[FloatArray, FloatArray, tuple[int, ...]]:
    """Scores and ranks ``(years, units, nodes)`` of every year, and the years.

    On a comparable basis (``reference`` None) every unit-year is scored exactly as :func:`clusterleap.evaluate`
    scores it for that year: one score per cluster-year. Unit-years the recipe's screen rejects are missing. On a
    relative basis the years must share bounds fitted for the analysis: ``reference`` 'pooled' (all years) or
    'first' / a year; those scores then differ from single-year evaluations, which is why it must be asked for."""
    per_year, ranks, yrs, _ = _panel(fw, data, recipe, years, reference)
    return per_year, ranks, yrs


def _panel(
    fw: Framework,
    data: Dataset,
    recipe: Recipe,
    years: Sequence[int] | None,
    reference: Literal["pooled", "first"] | int | None,
) -> tuple[FloatArray, FloatArray, tuple[int, ...], FloatArray]:
    """:func:`panel_scores` and the normalised indicators ``(1, years x units, indicators)`` behind them."""

    yrs = tuple(data.years) if years is None else tuple(int(y) for y in years)
    for y in yrs:
        data.year_index(y)
    if len(yrs) < 2:
        raise DataError(f"{data.source}: monitoring needs at least two years (got {', '.join(map(str, yrs))})")
    if recipe.basis.comparable and reference is not None:
        raise RecipeError(f"monitoring: reference {reference!r} fits bounds for a relative basis, but the recipe "
                          f"scores on {recipe.basis.describe()}, which already fixes the scale (leave reference out)")
    if not recipe.basis.comparable and reference is None:
        raise RecipeError(
            f"monitoring: recipe {recipe.name or ''!r} scores on a relative basis, whose scores are not comparable "
            "across years (each year's field sets its own scale). Score on a comparable basis (basis: goalposts, or "
            "a frozen reference from `clusterleap calibrate`), or fit bounds for this analysis only with "
            "reference='pooled' or a base year (--reference; its scores then differ from single-year evaluations)")
    u = len(data.units)
    data.check_against(fw)
    kept = screen(fw, data, recipe, list(yrs)).kept  # (years, units)
    fit = kept.reshape(-1) if not kept.all() else None
    if reference is not None and reference != "pooled":
        ref = yrs[0] if reference == "first" else reference
        if not isinstance(ref, int) or isinstance(ref, bool) or ref not in yrs:
            raise RecipeError(f"monitoring: reference {reference!r} is not 'pooled', 'first' or one of the years "
                              f"{', '.join(map(str, yrs))}")
        year_rows = np.repeat(np.array([y == ref for y in yrs]), u)
        fit = year_rows if fit is None else fit & year_rows
    prep = prepare(fw, data, recipe, list(yrs), fit=fit, pooled=True, checked=True)
    scores, _ = aggregate_tree(fw, prep.normalised, recipe, units=data.units * len(yrs))
    per_year = np.where(kept[:, :, None], scores[0].reshape(len(yrs), u, -1), np.nan)
    ranks = rank_scores(per_year, recipe)
    return per_year, ranks, yrs, prep.normalised


# -- the result ----------------------------------------------------------------------------------------------------
#: The frontier kinds (``Trends.frontier_kind``) described in English and Chinese.
FRONTIER_TEXT: dict[str, tuple[str, str]] = {
    "benchmark median": ("the median index of the benchmark clusters", "标杆集群指数的中位数"),
    "benchmark best": ("the best benchmark cluster's index", "最佳标杆集群的指数"),
    "best domestic unit": ("the best domestic cluster's index", "最佳国内集群的指数"),
}
#: How units without a grade are labelled in the transition matrix (see ``grades.UNGRADED``).
UNGRADED_TEXT = ("ungraded", "未分级")


@dataclass(frozen=True, eq=False)
class Trends:
    """Monitoring tables. ``scores`` and ``ranks``: (year, unit) x nodes; ``index``, ``distance`` and ``grades``:
    units x years; ``growth`` and ``projection``: per unit; ``frontier`` and ``disparity``: per year;
    ``transitions``: tier counts from ``years_compared[0]`` (rows) to ``years_compared[1]`` (columns), keyed by tier
    code; ``coupling``: (year, unit) with C, T, D and the band of D.

    ``reference`` ('pooled', 'first' or a year) and ``frontier_kind`` ('benchmark median', 'benchmark best' or 'best
    domestic unit') are codes; :meth:`describe_reference` and :meth:`describe_frontier` (or ``reference_zh`` and
    ``frontier_kind_zh``) say them in words. ``tier_names``: tier code -> (English, Chinese) label of the grading
    scheme; :meth:`tier_label` and :meth:`transitions_labelled` use them."""

    years: tuple[int, ...]
    reference: str
    group: str | None
    frontier_kind: str
    scores: pd.DataFrame
    ranks: pd.DataFrame
    index: pd.DataFrame
    growth: pd.DataFrame
    frontier: pd.DataFrame
    distance: pd.DataFrame
    projection: pd.DataFrame
    grades: pd.DataFrame
    transitions: pd.DataFrame
    years_compared: tuple[int, int]
    disparity: pd.DataFrame
    coupling: pd.DataFrame
    illustrative: bool = False
    tier_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: the recipe's scoring basis in words (English, Chinese), when ``reference`` is 'basis'
    basis_text: tuple[str, str] = ("", "")

    def describe_reference(self, lang: str = "en") -> str:
        """The normalisation bounds in words, in ``lang`` ('en' or 'zh')."""
        zh = lang == "zh"
        if self.reference == "basis":
            return self.basis_text[1 if zh else 0]
        if self.reference == "pooled":
            return "各年合并" if zh else "all years pooled"
        if self.reference == "first":
            return f"首年（{self.years[0]} 年）" if zh else f"the first year, {self.years[0]}"
        return f"{self.reference} 年" if zh else f"the year {self.reference}"

    @property
    def reference_zh(self) -> str:
        """The normalisation bounds in Chinese."""
        return self.describe_reference("zh")

    def describe_frontier(self, lang: str = "en") -> str:
        """What the frontier is, in ``lang`` ('en' or 'zh')."""
        en, zh = FRONTIER_TEXT.get(self.frontier_kind, (self.frontier_kind, self.frontier_kind))
        return zh if lang == "zh" else en

    @property
    def frontier_kind_zh(self) -> str:
        """What the frontier is, in Chinese."""
        return self.describe_frontier("zh")

    def tier_label(self, code: str, lang: str = "en") -> str:
        """A tier code of the transition matrix as the scheme's label in ``lang`` (the code itself when unknown)."""
        if code == UNGRADED:
            return UNGRADED_TEXT[1] if lang == "zh" else UNGRADED_TEXT[0]
        en, zh = self.tier_names.get(code, (code, code))
        return (zh or en or code) if lang == "zh" else (en or zh or code)

    def transitions_labelled(self, lang: str = "en") -> pd.DataFrame:
        """:attr:`transitions` with the tiers' labels in ``lang`` instead of their codes."""
        m = self.transitions.copy()
        m.index = pd.Index([self.tier_label(str(c), lang) for c in m.index], name=m.index.name)
        m.columns = pd.Index([self.tier_label(str(c), lang) for c in m.columns], name=m.columns.name)
        return m

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"trends/scores": self.scores, "trends/ranks": self.ranks, "trends/index": self.index,
                "trends/growth": self.growth, "trends/frontier": self.frontier, "trends/distance": self.distance,
                "trends/projection": self.projection, "trends/grades": self.grades,
                "trends/transitions": self.transitions, "trends/disparity": self.disparity,
                "trends/coupling": self.coupling}

    def write(self, directory: str | Path) -> Path:
        """Write every table as CSV into ``directory`` atomically (all or nothing)."""
        return write_atomic_dir(directory, lambda d: write_tables_noting(d, self.tables(), self.illustrative))


def dimension_scale(fw: Framework, recipe: Recipe, normalised: FloatArray, dims: Sequence[str]
                    ) -> tuple[FloatArray, FloatArray, list[str]]:
    """The ``(lo, hi)`` that map each of ``dims``' scores onto 0-1 for the coupling model, and the dimensions whose
    scale is only the observed range.

    A dimension's scale is that of its indicators as :func:`profile.scale_bounds` gives it (the one place that knows
    a normaliser's range: min-max ``lo``-``hi``, ``0``-``scale`` for goalposts, targets, frontier, reference,
    proportion and percentile, ``1``-``n`` for ranks), widened over the indicators under it; where the dimension
    itself is aggregated by a method with a ``scale`` (TOPSIS, VIKOR, Copeland), ``0``-``scale``. A normaliser with
    no range of its own (z-scores) falls back to the observed range of the normalised indicators over every unit and
    year monitored: those dimensions are listed, as their coordination degrees are relative to this panel."""
    ilo, ihi = scale_bounds(recipe, fw, normalised)
    # scale_bounds falls back to the observed range exactly where the normaliser has no range of its own: such
    # bounds move when the data move, fixed ones do not
    slo, shi = scale_bounds(recipe, fw, normalised + 1.0)
    observed = (slo != ilo) | (shi != ihi)
    pos = {c: i for i, c in enumerate(fw.indicators)}
    lo, hi, relative = np.full(len(dims), np.nan), np.full(len(dims), np.nan), []
    for k, d in enumerate(dims):
        step = recipe.aggregate.step_for(d, fw.level[d])
        if "scale" in step.kwargs and not fw.by_code[d].is_indicator:
            lo[k], hi[k] = 0.0, float(step.kwargs["scale"])
            continue
        leaves = [pos[c] for c in (fw.leaves_under(d) if not fw.by_code[d].is_indicator else (d,))]
        with quiet():
            lo[k], hi[k] = np.nanmin(ilo[leaves]), np.nanmax(ihi[leaves])
        if observed[leaves].any():
            relative.append(d)
    return lo, hi, relative


def trends(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
    years: Sequence[int] | None = None,
    *,
    reference: Literal["pooled", "first"] | int | None = None,
    group: str | None = None,
    frontier: Literal["median", "best"] | None = None,
    scheme: GradingScheme | Mapping[str, Any] | str | Path | None = None,
    compare: tuple[int, int] | None = None,
    coupling_weights: Literal["equal", "framework"] = "equal",
) -> Trends:
    """Monitor the leap over ``years`` (every year of the data by default) with one recipe and comparable scores.

    ``reference``: leave it out on a comparable basis (every unit-year then has the score
    :func:`clusterleap.evaluate` gives it); on a relative basis, 'pooled' normalisation bounds over all years, or
    'first' / a year to fit them on (see :func:`panel_scores`);
    ``group``: unit metadata column for Dagum's decomposition (``region`` when the data has one); ``frontier``:
    'median' or 'best' benchmark index per year (default 'median'; the best domestic index when no benchmark is
    flagged); ``scheme``: grading scheme for the tier transitions (the recipe's, else the default); ``compare``: the
    two years of the transition matrix (first and last by default); ``coupling_weights``: ``a_i`` of the coupling
    comprehensive index, equal or the framework's dimension weights."""
    fw, ds, rc = as_framework(framework), as_dataset(data), as_recipe(recipe)
    per_year, ranks, yrs, normalised = _panel(fw, ds, rc, years, reference)
    coverage = screen(fw, ds, rc, list(yrs))
    t, u, _ = per_year.shape
    root = fw.order.index(fw.root.code)
    midx = pd.MultiIndex.from_product([yrs, ds.units], names=["year", "unit"])
    scores_df = pd.DataFrame(per_year.reshape(t * u, -1), index=midx, columns=list(fw.order))
    ranks_df = pd.DataFrame(ranks.reshape(t * u, -1), index=midx, columns=list(fw.order))
    idx = per_year[:, :, root].T  # (U, T)
    uidx = pd.Index(ds.units, name="unit")
    index_df = pd.DataFrame(idx, index=uidx, columns=list(yrs))
    bench = np.asarray(ds.benchmark, dtype=bool)
    dom = ~bench if (~bench).any() else np.ones(u, dtype=bool)

    # growth
    rows = []
    for i in range(u):
        ok = np.flatnonzero(~np.isnan(idx[i]))
        if len(ok) == 0:
            rows.append({"first_year": np.nan, "last_year": np.nan, "first": np.nan, "last": np.nan,
                         "change": np.nan, "cagr": np.nan, "slope": np.nan})
            continue
        a, b = ok[0], ok[-1]
        slope = linear_crossing([yrs[k] for k in ok], idx[i, ok])[0] if len(ok) > 1 else np.nan
        rows.append({"first_year": yrs[a], "last_year": yrs[b], "first": idx[i, a], "last": idx[i, b],
                     "change": idx[i, b] - idx[i, a], "cagr": cagr(idx[i, a], idx[i, b], yrs[b] - yrs[a]),
                     "slope": slope})
    growth = pd.DataFrame(rows, index=uidx)

    # frontier and distance
    kind = frontier or "median"
    with quiet():
        if bench.any():
            front = np.nanmedian(idx[bench], axis=0) if kind == "median" else np.nanmax(idx[bench], axis=0)
            kind_txt = f"benchmark {kind}"
        else:
            front = np.nanmax(idx[dom], axis=0)
            kind_txt = "best domestic unit"
    frontier_df = pd.DataFrame({"frontier": front}, index=pd.Index(yrs, name="year"))
    dist = front[None, :] - idx
    distance = pd.DataFrame(dist, index=uidx, columns=list(yrs))
    prow = []
    for i in range(u):
        slope, intercept, cross = linear_crossing(yrs, dist[i])
        ok = np.flatnonzero(~np.isnan(dist[i]))
        last = dist[i][ok[-1]] if len(ok) else np.nan
        year = reach_year(cross, yrs[ok[-1]]) if len(ok) and last > 0 else None
        if np.isnan(last):
            status, status_zh = "no data", "无数据"
        elif last <= 0:
            status, status_zh = "at or beyond the frontier", "已达到或超过前沿"
        elif year is not None:
            status = (f"closing: the trend line reaches the frontier around {year} (to the nearest year; naive "
                      "linear extrapolation)")
            status_zh = f"差距缩小：按线性趋势约在 {year} 年达到前沿（取整到年；简单线性外推）"
        else:
            status, status_zh = "not closing on the frontier", "差距未缩小"
        prow.append({"distance": last, "slope": slope, "intercept": intercept, "projected_year": cross,
                     "reach_year": year, "status": status, "status_zh": status_zh})
    projection = pd.DataFrame(prow, index=uidx)
    projection["reach_year"] = projection["reach_year"].astype("Int64")

    # grades per year and transitions
    sch = scheme_for(rc, scheme, benchmarks=bool(np.asarray(ds.benchmark).any()))
    gidx = sch.index or fw.root.code
    tiers = pd.DataFrame(index=uidx, columns=list(yrs), dtype=object)
    for k, y in enumerate(yrs):
        ti = ds.year_index(y)
        sub = pd.DataFrame(per_year[k], index=uidx, columns=list(fw.order))
        vals = {c.variable: ds.column(c.variable)[ti] for c in sch.criteria if c.source == "data"}
        g = assign_grades(sub, sch, bench, index=gidx, dimensions=fw.children[gidx], data=vals,
                          groups=dict(ds.groups), coverage=coverage.share[k])
        tiers[y] = g["tier"].to_numpy()
    y0, y1 = compare if compare is not None else (yrs[0], yrs[-1])
    for y in (y0, y1):
        if y not in yrs:
            raise DataError(f"monitoring: year {y} is not among the years monitored ({', '.join(map(str, yrs))})")
    transitions = transition_matrix(list(tiers[y0]), list(tiers[y1]), [tr.code for tr in sch.tiers])

    # disparity among domestic units
    grp = group
    if grp is None and "region" in ds.groups:
        grp = "region"
    if grp is not None and grp not in ds.groups:
        raise DataError(f"{ds.source}: no unit metadata column {grp!r}{did_you_mean(grp, list(ds.groups))}")
    drows = []
    undecomposed: dict[int, str] = {}
    for k in range(len(yrs)):
        v = idx[dom, k]
        ok = ~np.isnan(v)
        with quiet():
            mean = float(np.mean(v[ok])) if ok.any() else np.nan
            sd = float(np.std(v[ok])) if ok.any() else np.nan
            pos = v[ok & (v > 0)]
            sdlog = float(np.std(np.log(pos))) if len(pos) > 1 else np.nan
        row: dict[str, Any] = {"n": int(ok.sum()), "mean": mean, "cv": sd / mean if mean else np.nan,
                               "sd_log": sdlog, "gini": gini(v)}
        if grp is not None:
            labels = [lab for lab, d in zip(ds.groups[grp], dom, strict=True) if d]
            try:
                dg = dagum(v, labels)
                row.update(within=dg.within, between=dg.between, transvariation=dg.transvariation,
                           within_share=dg.within / dg.total, between_share=dg.between / dg.total,
                           transvariation_share=dg.transvariation / dg.total)
            except DataError as exc:
                undecomposed[yrs[k]] = str(exc)
        drows.append(row)
    disparity = pd.DataFrame(drows, index=pd.Index(yrs, name="year"))
    if undecomposed:
        first = next(iter(undecomposed.values()))
        warnings.warn(f"trends: Dagum's decomposition of the Gini coefficient by {grp!r} could not be made for "
                      f"{', '.join(map(str, undecomposed))}: {first}; the within, between and "
                      "transvariation "
                      "columns of the disparity table are empty for "
                      f"{'that year' if len(undecomposed) == 1 else 'those years'}", MethodWarning, stacklevel=2)

    # coupling coordination of the dimensions
    dims = list(fw.children[fw.root.code])
    lo, hi, relative = dimension_scale(fw, rc, normalised, dims)
    if relative:
        warnings.warn(f"trends, coupling coordination: the indicators of {', '.join(relative)} are normalised "
                      "without a fixed range (e.g. z-scores), so the dimension scores are put on 0-1 by the range "
                      "observed over these units and years: the coordination degrees and their classes are relative "
                      "to this panel", MethodWarning, stacklevel=2)
    dpos = [fw.order.index(d) for d in dims]
    with quiet():
        u01 = np.clip((per_year[:, :, dpos] - lo) / np.where(hi > lo, hi - lo, np.nan), 0.0, 1.0)
    weights = None
    if coupling_weights == "framework":
        nominal = fw.nominal_weights()
        weights = [nominal[d] for d in dims]
    c, tt, dd = coupling_coordination(u01, weights)
    classes = [coordination_class(float(x)) for x in dd.ravel()]
    coupling = pd.DataFrame({"C": c.ravel(), "T": tt.ravel(), "D": dd.ravel(),
                             "class": [e for e, _ in classes], "class_zh": [z for _, z in classes]}, index=midx)
    ref_txt = "basis" if reference is None else reference if isinstance(reference, str) else str(reference)
    names = {tr.code: (tr.label("en"), tr.label("zh")) for tr in sch.tiers}
    return Trends(yrs, ref_txt, grp, kind_txt, scores_df, ranks_df, index_df, growth, frontier_df, distance,
                  projection, tiers, transitions, (y0, y1), disparity, coupling, ds.illustrative, names,
                  (rc.basis.describe("en"), rc.basis.describe("zh")))
