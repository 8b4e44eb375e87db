"""Gaps to world class: how far each cluster is from a reference, decomposed exactly by indicator.

References (``benchmark=``):

- a unit code: a named benchmark cluster (its normalised indicators as they are);
- ``"best"``: the best benchmark unit on each indicator; ``"median"``: the benchmark units' median on each indicator;
- ``"targets"``: the framework's world-class ``target`` of each indicator, normalised like the data (inserted as one
  more row at the treated stage and normalised with the statistics of the data's rows, so a target beyond the
  observed range scores beyond the scale).

For the composite references an indicator the reference cannot measure (no benchmark value, no target) takes the
unit's own value: it adds no gap. The reference's scores at every node come from re-aggregating its indicators with
the weights and aggregation the result used (:func:`reaggregate`), so a named benchmark's reference index is its
own index and the total gap is exactly the difference of the two indices.

Decomposition. The gap of the index, ``G = I(ref) - I(unit)``, is split over the children of the root by the
Shapley value of the root's aggregation (each child's average marginal effect of switching it from the unit's score
to the reference's over all orders; Shorrocks 2013, "Decomposition procedures for distributional analysis: a unified
framework based on the Shapley value", Journal of Economic Inequality 11, 99-126), and each child's part is split
over its own children in proportion to their Shapley values at that node, down to the indicators. The parts add up
exactly to the total (Shapley values add up to the difference at every node). For an arithmetic mean the Shapley
value of a child is ``w_c (b_c - a_c)``, so an indicator's part is its effective weight times its normalised
difference: ``e_j (ref_j - x_j)``. The exact enumeration evaluates the aggregation on ``2^C`` mixes of a node's
``C`` children; it runs in chunks of units (and, for aggregations that compare units, of mixes) so that no array
exceeds :data:`MAX_SHAPLEY_BYTES`. Nodes with more than :data:`MAX_SHAPLEY_CHILDREN` (14) children are not
decomposed by Shapley values: their parts are the average of the forward and backward sequential (path)
decompositions, which add up exactly to the node's gap as well but are not Shapley values (they coincide with them
for an arithmetic mean, and depend on the children's order otherwise). :attr:`Gaps.decomposition` names the method
used at each node, and a MethodWarning says where the path average was used. Below a node whose own score equals the
reference's (or is missing), its part (zero, or the effect of the missing score) is spread over its children that
differ in proportion to their weights.

Aggregations that compare units (TOPSIS, VIKOR, Copeland) are handled unit by unit: the reference's scores and the
Shapley values are those the unit would get with the reference's values in its place, every other unit as it is
(so a named benchmark's reference index may then differ from its own index).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._pipeline import norm_context, normalise
from .._registry import did_you_mean
from ..errors import DataError, DataWarning, MethodWarning
from ..stages import aggregate as aggregate_stage
from ..stages._arrays import FloatArray, quiet
from ._shapley import MAX_SHAPLEY_CHILDREN, PATH_AVERAGE, decomposition_method, shapley, shapley_in_place

if TYPE_CHECKING:
    from .._result import Result

__all__ = ["UNITWISE", "Gaps", "decompose", "gaps", "is_unitwise", "reaggregate", "reference_indicators",
           "reference_scores", "unit_hint"]


# -- re-aggregation with the result's weights ---------------------------------------------------------------------
def _weights_for(result: Result, code: str) -> FloatArray:
    w = result.weights_used[code]
    return w[:1]  # (1, 1 or U, C)


def reaggregate(result: Result, normalised: FloatArray) -> FloatArray:
    """Scores ``(S, U, nodes)`` in ``framework.order`` from normalised indicators ``(S, U, indicators)``, with the
    weights the result used (held fixed) and the recipe's aggregation at every node. On the result's own normalised
    values this gives its scores exactly."""
    fw = result.framework
    pos = {c: i for i, c in enumerate(fw.order)}
    s, u = normalised.shape[0], normalised.shape[1]
    scores = np.full((s, u, len(fw.order)), np.nan)
    for i, c in enumerate(fw.indicators):
        scores[:, :, pos[c]] = normalised[:, :, i]
    for code in fw.aggregates:
        kid = [pos[k] for k in fw.children[code]]
        step = result.recipe.aggregate.step_for(code, fw.level[code])
        func = aggregate_stage.METHODS.get(step.method).func
        with quiet():
            scores[:, :, pos[code]] = func(scores[:, :, kid], _weights_for(result, code), **step.kwargs)
    return scores


#: Aggregations where a unit's score depends on its own children only; the others (TOPSIS, VIKOR, Copeland) compare
#: units, and a unit's score there is recomputed with the other units as they are.
UNITWISE = frozenset({"arithmetic", "geometric", "harmonic", "power"})


def _method(result: Result, code: str) -> str:
    return result.recipe.aggregate.step_for(code, result.framework.level[code]).method


def is_unitwise(result: Result) -> bool:
    """Whether every aggregation of the result is a mean of a unit's own children."""
    return all(_method(result, c) in UNITWISE for c in result.framework.aggregates)


def reference_scores(result: Result, ref_x: FloatArray, chunk: int = 64) -> FloatArray:
    """Scores ``(U, nodes)`` of each unit's reference indicators ``ref_x`` ``(U, indicators)``. With aggregations
    that compare units, unit ``u``'s reference is scored in place of ``u`` with every other unit as it is."""
    if is_unitwise(result):
        same: FloatArray = reaggregate(result, ref_x[None])[0]
        return same
    x = result.prepared.normalised[0]
    u = x.shape[0]
    out = np.empty((u, len(result.framework.order)))
    for start in range(0, u, chunk):
        rows = np.arange(start, min(start + chunk, u))
        xs = np.repeat(x[None], len(rows), axis=0)
        xs[np.arange(len(rows)), rows] = ref_x[rows]
        out[rows] = reaggregate(result, xs)[np.arange(len(rows)), rows]
    return out


# -- decomposition down the tree ----------------------------------------------------------------------------------
def decompose(result: Result, unit_scores: FloatArray, ref_scores: FloatArray) -> FloatArray:
    """Each node's part of the index gap ``(U, nodes)`` between ``unit_scores`` and ``ref_scores`` (both ``(U,
    nodes)`` in ``framework.order``). The root's part is the whole gap and its children's parts are its Shapley
    values; below, a node's part is split over its children in proportion to their Shapley values at that node.
    Every node's part is the sum of its children's, so the indicators' parts add up to the gap exactly."""
    fw = result.framework
    pos = {c: i for i, c in enumerate(fw.order)}
    u = unit_scores.shape[0]
    part = np.full((u, len(fw.order)), np.nan)
    root = pos[fw.root.code]
    part[:, root] = ref_scores[:, root] - unit_scores[:, root]
    # ratio of a node's part to its own gap: 1 at the root, so that the root's children get their Shapley values
    ratio = np.full((u, len(fw.order)), np.nan)
    ratio[:, root] = 1.0
    used = result.weights["used"]
    for code in fw.order:
        kids = fw.children[code]
        if not kids:
            continue
        p = pos[code]
        kid = [pos[k] for k in kids]
        a, b = unit_scores[:, kid], ref_scores[:, kid]
        step = result.recipe.aggregate.step_for(code, fw.level[code])
        func = aggregate_stage.METHODS.get(step.method).func
        w = _weights_for(result, code)
        if step.method in UNITWISE:
            phi = shapley(func, a, b, w, **step.kwargs)
        else:
            phi = np.stack([shapley_in_place(func, a, b, w, i, **step.kwargs) for i in range(u)])
        total = part[:, p]
        direct = ratio[:, p][:, None] * phi
        # where the node's own gap is zero or missing, its part (zero or the effect of a missing score) is spread
        # over the children that differ, by their weights
        differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        kw = np.array([used[k] for k in kids], dtype=float)[None, :]
        spread = np.where(differ, kw, 0.0)
        spread = np.where((spread.sum(axis=1) <= 0)[:, None], kw, spread)
        fallback = total[:, None] * spread / spread.sum(axis=1, keepdims=True)
        bad = ~np.isfinite(ratio[:, p]) | ~np.isfinite(direct).all(axis=1)
        part[:, kid] = np.where(bad[:, None], fallback, direct)
        own = b - a
        tiny = ~np.isfinite(own) | (np.abs(own) <= 1e-12 * (1.0 + np.abs(np.nan_to_num(a))))
        with quiet():
            ratio[:, kid] = np.where(tiny, np.nan, part[:, kid] / np.where(tiny, 1.0, own))
    return part


# -- references ---------------------------------------------------------------------------------------------------
#: Unit codes an error message lists at most when no code is close to the unknown one.
HINT_UNITS = 8


def unit_hint(name: str, units: Sequence[str], keywords: Sequence[str] = ()) -> str:
    """The suffix of an 'unknown unit' message: ' (did you mean "X"?)' when a code (or keyword such as 'median')
    is close to ``name``, else the keywords, the count of unit codes and the first few of them, so that a data set
    of hundreds of units does not print them all."""
    codes = [str(u) for u in units]
    close = did_you_mean(name, [*codes, *keywords])
    if close.startswith(" (did you mean") or not codes:
        return close
    shown = ", ".join(codes[:HINT_UNITS]) + (", ..." if len(codes) > HINT_UNITS else "")
    words = f"{', '.join(keywords)} or " if keywords else ""
    return f" (expected {words}one of the {len(codes)} unit codes: {shown})"


def _unit_name(result: Result, i: int, lang: str) -> str:
    """A unit's display name: its ``name_zh`` metadata in Chinese where the data has it, else its name."""
    zh = result.data.groups.get("name_zh") if lang == "zh" else None
    return str((zh[i] if zh else None) or result.data.names[i])


def _targets_normalised(result: Result) -> FloatArray:
    """The framework's targets normalised like the data, ``(indicators,)`` (NaN where an indicator has none, or
    where treatment log- or Box-Cox-transformed the indicator so that its target cannot be placed on the same
    scale)."""
    fw = result.framework
    tgt = np.array([fw.by_code[c].target if fw.by_code[c].target is not None else np.nan for c in fw.indicators])
    if np.isnan(tgt).all():
        raise DataError(f"framework {fw.name!r} gives no world-class targets (no indicator has a 'target')")
    rule = result.prepared.treated.rule[0]
    # rule 2: the log fallback of skew_kurtosis; rule 3: Box-Cox (both change the scale with data-driven constants)
    logged = [c for c, r in zip(fw.indicators, rule, strict=True) if r in (2, 3) and c in fw.by_code
              and fw.by_code[c].target is not None]
    if logged:
        warnings.warn(f"targets of {', '.join(logged)} are left out of the gap: outlier treatment log- or "
                      "Box-Cox-transformed these indicators, so their targets are not on the same scale", DataWarning,
                      stacklevel=3)
        tgt[[fw.indicators.index(c) for c in logged]] = np.nan
    x = result.prepared.treated.x[:1]
    aug = np.concatenate([x, tgt[None, None, :]], axis=1)
    fit = np.r_[np.ones(x.shape[1], dtype=bool), False]
    ctx = norm_context(fw, fit, (*result.units, "__target__"), result.recipe.basis)
    out: FloatArray = normalise(aug, result.recipe.normalise, fw, ctx)[0, -1]
    return np.where(np.isnan(tgt), np.nan, out)


def reference_indicators(result: Result, benchmark: str) -> tuple[FloatArray, str]:
    """The reference's normalised indicators for every unit ``(U, indicators)`` and a description of it."""
    x = result.prepared.normalised[0]
    bench = np.asarray(result.data.benchmark, dtype=bool)
    if benchmark in ("best", "median"):
        if not bench.any():
            raise DataError(f"{result.data.source}: gaps to the {benchmark} benchmark need benchmark units (none is "
                            "flagged in the data's benchmark column)")
        with quiet():
            ref = np.nanmax(x[bench], axis=0) if benchmark == "best" else np.nanmedian(x[bench], axis=0)
        what = ("the best benchmark on each indicator" if benchmark == "best"
                else "the benchmark median on each indicator")
        return np.where(np.isnan(ref)[None, :], x, ref[None, :]), what
    if benchmark == "targets":
        ref = _targets_normalised(result)
        return np.where(np.isnan(ref)[None, :], x, ref[None, :]), "the framework's world-class targets"
    if benchmark not in result.units:
        raise DataError(f"{result.data.source}: no unit {benchmark!r} to compare with"
                        f"{unit_hint(benchmark, result.units, ('best', 'median', 'targets'))}")
    i = result.units.index(benchmark)
    return np.broadcast_to(x[i][None, :], x.shape).copy(), f"benchmark {benchmark} ({result.data.names[i]})"


# -- the result object ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Gaps:
    """Gaps of every unit to one reference. Tables are units x nodes in ``framework.order``, keyed like
    :attr:`Result.scores`: ``scores`` (the unit's), ``reference`` (the reference's, re-aggregated), ``gap``
    (reference minus unit, per node) and ``contribution`` (each node's part of the index gap; an aggregate's part is
    the sum of its children's, the indicators' parts sum to the index gap)."""

    result: Result
    benchmark: str
    description: str
    reference: pd.DataFrame
    contribution: pd.DataFrame
    #: How each aggregate node's part was split over its children: "Shapley" or "path average" (more than
    #: MAX_SHAPLEY_CHILDREN children; see :func:`decomposition_method`).
    decomposition: Mapping[str, str] = field(default_factory=dict)

    @property
    def approximated(self) -> list[str]:
        """The nodes whose part was split by the path average, not by Shapley values."""
        return [code for code, how in self.decomposition.items() if how == PATH_AVERAGE]

    @property
    def scores(self) -> pd.DataFrame:
        return self.result.scores

    @property
    def description_zh(self) -> str:
        """The reference in Chinese (a benchmark cluster by its ``name_zh`` where the data has one)."""
        fixed = {"best": "各指标最优的标杆集群", "median": "各指标的标杆集群中位数", "targets": "框架的世界级目标值"}
        if self.benchmark in fixed:
            return fixed[self.benchmark]
        if self.benchmark not in self.result.units:
            return self.description
        i = self.result.units.index(self.benchmark)
        return f"标杆集群 {self.benchmark}（{_unit_name(self.result, i, 'zh')}）"

    def describe(self, lang: str = "en") -> str:
        """The reference in ``lang`` ('en' or 'zh'): :attr:`description` or :attr:`description_zh`."""
        return self.description_zh if lang == "zh" else self.description

    @cached_property
    def gap(self) -> pd.DataFrame:
        return self.reference - self.result.scores.loc[self.reference.index]

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Per unit: its index, the reference index, the gap, and the indicator contributing most to it."""
        root = self.result.framework.root.code
        ind = list(self.result.framework.indicators)
        contrib = self.contribution[ind]
        values = contrib.to_numpy(dtype=float)
        has = ~np.isnan(values).all(axis=1)
        best = np.argmax(np.where(np.isnan(values), -np.inf, values), axis=1)
        top = [ind[b] if h else "" for b, h in zip(best, has, strict=True)]
        return pd.DataFrame({
            "score": self.result.scores.loc[self.reference.index, root],
            "reference": self.reference[root],
            "gap": self.gap[root],
            "sum_of_parts": contrib.sum(axis=1, min_count=1),
            "largest_part": top,
            "largest_part_value": np.where(has, values[np.arange(len(values)), best], np.nan),
        }, index=self.reference.index)

    def for_unit(self, unit: str, level: int | None = None) -> pd.DataFrame:
        """One unit's rows, one per node (optionally of one level): score, reference, gap, contribution and its
        share of the index gap, largest contribution first."""
        fw = self.result.framework
        if unit not in self.reference.index:
            known = [str(u) for u in self.reference.index]
            raise DataError(f"no unit {unit!r} among the gaps{unit_hint(unit, known)}")
        codes = [c for c in fw.order if level is None or fw.level[c] == level]
        total = float(self.gap[fw.root.code].to_numpy(dtype=float)[self.gap.index.get_loc(unit)])
        df = pd.DataFrame({
            "level": [fw.level[c] for c in codes],
            "score": self.result.scores.loc[unit, codes].to_numpy(dtype=float),
            "reference": self.reference.loc[unit, codes].to_numpy(dtype=float),
            "gap": self.gap.loc[unit, codes].to_numpy(dtype=float),
            "contribution": self.contribution.loc[unit, codes].to_numpy(dtype=float),
        }, index=pd.Index(codes, name="node"))
        df["share"] = df["contribution"] / total if total else np.nan
        return df.sort_values("contribution", ascending=False, kind="stable")

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"gaps/summary": self.summary, "gaps/reference": self.reference, "gaps/gap": self.gap,
                "gaps/contribution": self.contribution}


def gaps(result: Result, benchmark: str = "median", units: Sequence[str] | None = None) -> Gaps:
    """Gaps of every unit (or of ``units``) to ``benchmark``: a unit code, 'best', 'median' or 'targets'."""
    ref_x, what = reference_indicators(result, benchmark)
    ref_scores = reference_scores(result, ref_x)
    unit_scores = result.score_array
    part = decompose(result, unit_scores, ref_scores)
    idx = pd.Index(result.units, name="unit")
    fw = result.framework
    cols = list(fw.order)
    how = {code: decomposition_method(len(fw.children[code])) for code in fw.order if fw.children[code]}
    g = Gaps(result, benchmark, what, pd.DataFrame(ref_scores, index=idx, columns=cols),
             pd.DataFrame(part, index=idx, columns=cols), how)
    if units is not None:
        missing = [u for u in units if u not in result.units]
        if missing:
            raise DataError(f"no unit {missing[0]!r}{unit_hint(missing[0], result.units)}")
        g = Gaps(result, benchmark, what, g.reference.loc[list(units)], g.contribution.loc[list(units)], how)
    if g.approximated:
        listed = ", ".join(f"{c} ({len(fw.children[c])} children, {_method(result, c)} aggregation)"
                           for c in g.approximated)
        same = all(_method(result, c) == "arithmetic" for c in g.approximated)
        warnings.warn(f"gaps: the parts of {listed} are split over their children by the average of the forward and "
                      f"backward sequential decompositions, not by Shapley values (exact Shapley values are computed "
                      f"for nodes of up to {MAX_SHAPLEY_CHILDREN} children); the parts still add up to the gap"
                      + ("; for an arithmetic mean of children without missing values the two are the same" if same
                         else ""), MethodWarning, stacklevel=2)
    return g
