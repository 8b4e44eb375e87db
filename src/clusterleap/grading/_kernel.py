"""The tier kernel: a grading scheme applied to scores with a leading sample axis, all samples at once.

:func:`tier_array` maps scores ``(S, U, nodes)`` to tier positions ``(S, U)`` (0 = the highest tier, -1 = no
grade), so that uncertainty analysis grades thousands of samples in one call. A missing value meets no condition
(a short board that cannot be measured is not ruled out); a unit whose index is missing gets no grade.
:func:`tier_checks` keeps every condition's values and thresholds, from which :mod:`clusterleap.analysis._grades`
writes the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .._registry import did_you_mean
from ..errors import DataError, RecipeError
from ..stages._arrays import quiet
from ._scheme import ALL_DIMENSIONS, GradingScheme, expand_floors, short_number

__all__ = [
    "BoolArray",
    "HasComparable",
    "IntArray",
    "TierCheck",
    "check_basis",
    "criteria_array",
    "eligible",
    "first_tier",
    "resolve_nodes",
    "tier_array",
    "tier_checks",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class HasComparable(Protocol):
    """What grading asks of a scoring basis (:class:`clusterleap.Basis`): whether its scores are comparable."""

    @property
    def comparable(self) -> bool: ...


def _top_threshold(x: FloatArray, ref: BoolArray, percent: float) -> FloatArray:
    """Per sample, the score of the m-th best reference unit, m = ceil(percent / 100 * n): a unit is in the top
    ``percent`` % (fewer than percent % of the reference units score strictly higher) exactly when its score is at
    least this value. ``x`` ``(S, U)``; ``ref`` ``(U,)``; returns ``(S, 1)`` (inf where there is no reference)."""
    valid = ref[None, :] & ~np.isnan(x)
    n = valid.sum(axis=1)
    m = np.ceil(percent / 100.0 * n - 1e-9).astype(np.int64)
    desc = -np.sort(np.where(valid, -x, np.inf), axis=1)
    idx = np.clip(m - 1, 0, max(x.shape[1] - 1, 0))
    q = np.take_along_axis(desc, idx[:, None], axis=1)
    return np.where((n > 0)[:, None] & (m > 0)[:, None], q, np.inf)


def _top_mask(x: FloatArray, ref: BoolArray, percent: float, groups: IntArray | None) -> BoolArray:
    """``(S, U)``: in the top ``percent`` % of the reference units (within each group when given)."""
    if groups is None:
        with np.errstate(invalid="ignore"):
            mask: BoolArray = x >= _top_threshold(x, ref, percent)
        return mask
    out = np.zeros(x.shape, dtype=bool)
    for g in np.unique(groups[groups >= 0]):
        member = groups == g
        q = _top_threshold(x[:, member], ref[member], percent)
        with np.errstate(invalid="ignore"):
            out[:, member] = x[:, member] >= q
    return out


def criteria_array(
    scheme: GradingScheme,
    scores: FloatArray,
    nodes: Sequence[str],
    *,
    benchmark: BoolArray | None = None,
    data: Mapping[str, FloatArray] | None = None,
    groups: Mapping[str, IntArray] | None = None,
) -> BoolArray:
    """Which criteria each unit meets, ``(S, U, criteria)``, from scores ``(S, U, nodes)`` and raw data columns
    ``(U,)`` (for criteria with ``source: data``); ``groups``: integer codes per unit (-1 = none) by column."""
    s, u = scores.shape[0], scores.shape[1]
    bench = np.zeros(u, dtype=bool) if benchmark is None else np.asarray(benchmark, dtype=bool)
    pos = {c: i for i, c in enumerate(nodes)}
    out = np.zeros((s, u, len(scheme.criteria)), dtype=bool)
    for k, c in enumerate(scheme.criteria):
        if c.source == "score":
            x = scores[:, :, pos[c.variable]]
        else:
            if data is None or c.variable not in data:
                raise DataError(f"grading criterion {c.code!r}: no data column {c.variable!r}"
                                f"{did_you_mean(c.variable, list(data or {}))}")
            x = np.broadcast_to(np.asarray(data[c.variable], dtype=float)[None, :], (s, u))
        ok = ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            if c.min_value is not None:
                ok &= x >= c.min_value
            if c.top_percent is not None:
                ref = ~bench if c.among == "domestic" else np.ones(u, dtype=bool)
                grp = None
                if c.within is not None:
                    if groups is None or c.within not in groups:
                        raise DataError(f"grading criterion {c.code!r}: no unit metadata column {c.within!r}"
                                        f"{did_you_mean(c.within, list(groups or {}))}")
                    grp = groups[c.within]
                ok &= _top_mask(x, ref, c.top_percent, grp)
        out[:, :, k] = ok
    return out


@dataclass(frozen=True)
class TierCheck:
    """One condition of one tier, evaluated on every sample and unit."""

    kind: str  # score, floor, top, bench, criteria
    node: str
    value: FloatArray  # (S, U)
    threshold: FloatArray  # (S, U) or broadcastable
    ok: BoolArray  # (S, U)
    note: tuple[str, str] = ("", "")


def tier_checks(
    scheme: GradingScheme,
    scores: FloatArray,
    pos: Mapping[str, int],
    index: str,
    dimensions: Sequence[str],
    bench: BoolArray,
    met: BoolArray,
) -> list[list[TierCheck]]:
    x = scores[:, :, pos[index]]
    u = x.shape[1]
    bench_median: FloatArray | None = None
    out: list[list[TierCheck]] = []
    for t in scheme.tiers:
        checks: list[TierCheck] = []
        with np.errstate(invalid="ignore"):
            if t.min_score is not None:
                thr = np.full((1, 1), t.min_score)
                checks.append(TierCheck("score", index, x, thr, x >= t.min_score))
            for code, floor in expand_floors(t, dimensions):
                v = scores[:, :, pos[code]]
                checks.append(TierCheck("floor", code, v, np.full((1, 1), floor), v >= floor))
            if t.top_percent is not None:
                ref = ~bench if t.among == "domestic" and (~bench).any() else np.ones(u, dtype=bool)
                q = _top_threshold(x, ref, t.top_percent)
                who = ("domestic units", "国内集群") if t.among == "domestic" else ("all units", "全部集群")
                pct = short_number(t.top_percent)
                note = (f"top {pct} % of {who[0]}", f"{who[1]}前 {pct}%")
                checks.append(TierCheck("top", index, x, q, x >= q, note))
            if t.benchmark_margin is not None:
                if bench_median is None:
                    if not bench.any():
                        raise DataError(f"grading scheme {scheme.name!r}, tier {t.code!r}: benchmark_margin needs "
                                        "benchmark units (none is flagged in the data's benchmark column)")
                    with quiet():
                        bench_median = np.nanmedian(x[:, bench], axis=1, keepdims=True)
                thr = bench_median - t.benchmark_margin
                margin = short_number(t.benchmark_margin)
                note = (f"benchmark median minus {margin}", f"标杆中位数减 {margin}")
                checks.append(TierCheck("bench", index, x, thr, x >= thr, note))
            if t.min_criteria is not None:
                n_met = met.sum(axis=2).astype(float)
                checks.append(TierCheck("criteria", "", n_met, np.full((1, 1), float(t.min_criteria)),
                                     n_met >= t.min_criteria))
        out.append(checks)
    return out


def resolve_nodes(
    scheme: GradingScheme, nodes: Sequence[str], index: str | None, dimensions: Sequence[str] | None
) -> tuple[dict[str, int], str, list[str]]:
    pos = {c: i for i, c in enumerate(nodes)}
    idx = index or scheme.index or nodes[0]
    dims = list(dimensions or [])
    if any(c == ALL_DIMENSIONS for t in scheme.tiers for c, _ in t.floors) and not dims:
        raise RecipeError(f"grading scheme {scheme.name!r}: floors on '*' (every dimension) need the dimension "
                          "codes (pass dimensions=...)")
    for code in [idx, *scheme.nodes(dims)]:
        if code not in pos:
            raise RecipeError(f"grading scheme {scheme.name!r}: node {code!r} is not among the scores"
                              f"{did_you_mean(code, list(pos))}")
    return pos, idx, dims


def eligible(scheme: GradingScheme, benchmark: BoolArray, coverage: FloatArray | None) -> BoolArray:
    """``(U,)``: the units a scheme grades. Benchmarks are references (scored and shown, never graded in domestic
    tiers); units with data on less than the scheme's ``min_coverage`` share of the indicators are not graded."""
    ok: BoolArray = ~np.asarray(benchmark, dtype=bool)
    if scheme.min_coverage is not None and coverage is not None:
        ok &= np.asarray(coverage, dtype=float) >= scheme.min_coverage - 1e-12
    return ok


def check_basis(scheme: GradingScheme, basis: HasComparable, recipe_name: str = "") -> None:
    """Refuse absolute cut-offs on scores that only rank the units in the file: on a relative basis a threshold
    of 60 means nothing (the best unit of any file scores near 100 with min-max)."""
    rules = scheme.absolute_rules()
    if basis.comparable or not rules:
        return
    name = f"recipe {recipe_name!r}" if recipe_name else "the recipe"
    raise RecipeError(
        f"grading scheme {scheme.name or 'given'!r} compares scores with fixed numbers ({', '.join(rules[:3])}"
        f"{', ...' if len(rules) > 3 else ''}), but {name} scores on a relative basis: its scores only rank the "
        "units in the file, so a fixed cut-off would grade the same cluster differently in another file. Score on "
        "a comparable basis (basis: goalposts, or a frozen reference from `clusterleap calibrate`), or grade with "
        "relative rules (the built-in scheme 'relative': top-percent and benchmark margins)")


def tier_array(
    scores: FloatArray,
    nodes: Sequence[str],
    scheme: GradingScheme,
    *,
    benchmark: BoolArray | None = None,
    index: str | None = None,
    dimensions: Sequence[str] | None = None,
    data: Mapping[str, FloatArray] | None = None,
    groups: Mapping[str, IntArray] | None = None,
    coverage: FloatArray | None = None,
) -> IntArray:
    """Tier positions ``(S, U)`` (0 = the highest tier, -1 = no grade) from scores ``(S, U, nodes)``.

    Vectorised over samples: uncertainty analysis grades every sample in one call. ``index``: the node graded (the
    scheme's, else ``nodes[0]``); ``dimensions``: the codes ``*`` floors stand for; benchmarks and units below the
    scheme's coverage rule (``coverage``: share of indicators with data, ``(U,)``) get -1 (see :func:`eligible`)."""
    pos, idx, dims = resolve_nodes(scheme, nodes, index, dimensions)
    bench = np.zeros(scores.shape[1], dtype=bool) if benchmark is None else np.asarray(benchmark, dtype=bool)
    met = criteria_array(scheme, scores, nodes, benchmark=bench, data=data, groups=groups)
    tiers = first_tier(tier_checks(scheme, scores, pos, idx, dims, bench, met), scores[:, :, pos[idx]])
    return np.where(eligible(scheme, bench, coverage)[None, :], tiers, -1)


def first_tier(checks: list[list[TierCheck]], x: FloatArray) -> IntArray:
    out = np.full(x.shape, -1, dtype=np.int64)
    for t in reversed(range(len(checks))):
        ok = np.ones(x.shape, dtype=bool)
        for c in checks[t]:
            ok &= c.ok
        out = np.where(ok, t, out)
    return np.where(np.isnan(x), -1, out)
