"""Grades (分级) of a result: every cluster's tier with the reason in words, and grade transitions over years.

The seed asks to "apply policy by category and advance cluster building by grade". The scheme (ordered tiers and
their conditions) is data in the core, :mod:`clusterleap.grading._scheme`, applied by the vectorised kernel
:func:`clusterleap.grading.tier_array`; this module says in English and Chinese why each cluster got its tier
(:func:`assign_grades`), picks the scheme a recipe's scores can be graded with (:func:`scheme_for`) and counts moves
between tiers (:func:`transition_matrix`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._recipe import Recipe
from .._registry import did_you_mean
from .._result import Result
from ..errors import RecipeError
from ..grading import (
    BoolArray,
    GradingScheme,
    builtin_schemes,
    check_basis,
    criteria_array,
    default_scheme,
    eligible,
    load_scheme,
)
from ..grading._kernel import TierCheck, first_tier, resolve_nodes, tier_checks
from ..grading._scheme import short_number

__all__ = ["UNGRADED", "assign_grades", "grades", "scheme_for", "transition_matrix"]

FloatArray = npt.NDArray[np.float64]

#: The row and column of units without a grade in a transition matrix.
UNGRADED = "ungraded"


def scheme_for(recipe: Recipe, scheme: GradingScheme | Mapping[str, Any] | str | Path | None = None, *,
               benchmarks: bool = True) -> GradingScheme:
    """The scheme to grade a recipe's scores with: ``scheme`` if given, else the recipe's ``grading``, else the
    built-in 'default' on a comparable basis and 'relative' on a relative one (without its world-class tiers when
    the data flags no ``benchmarks``: on a relative basis only benchmarks can say what world class is); checked
    against the basis."""
    if scheme is not None:
        sch = load_scheme(scheme)
    elif recipe.grading is not None:
        sch = recipe.grading
    elif recipe.basis.comparable:
        sch = builtin_schemes()["default"]
    else:
        sch = builtin_schemes()["relative"]
        if not benchmarks:
            sch = replace(sch, tiers=tuple(t for t in sch.tiers if t.benchmark_margin is None),
                          name="relative (no benchmarks)",
                          description="Relative to the domestic field only (the data flags no benchmark clusters, "
                                      "so no world-class tier can be judged): " + sch.description)
    check_basis(sch, recipe.basis, recipe.name)
    return sch


def _f(v: float) -> str:
    return "missing" if math.isnan(v) else f"{v:.1f}"


def _fz(v: float) -> str:
    return "缺失" if math.isnan(v) else f"{v:.1f}"


def _check_text(c: TierCheck, u: int, passed: bool, crit_names: tuple[str, str]) -> tuple[str, str]:
    v = float(c.value[0, u])
    t = float(np.broadcast_to(c.threshold, c.value.shape)[0, u])
    op, opz = (">=", "≥") if passed else ("<", "<")
    if c.kind == "score":
        return f"index {_f(v)} {op} {short_number(t)}", f"指数 {_fz(v)} {opz} {short_number(t)}"
    if c.kind == "floor":
        return f"{c.node} {_f(v)} {op} floor {short_number(t)}", f"{c.node} {_fz(v)} {opz} 底线 {short_number(t)}"
    if c.kind == "top":
        return (f"index {_f(v)} {op} {_f(t)} ({'in' if passed else 'not in'} the {c.note[0]})",
                f"指数 {_fz(v)} {opz} {_fz(t)}（{'位于' if passed else '未进入'}{c.note[1]}）")
    if c.kind == "bench":
        return f"index {_f(v)} {op} {_f(t)} ({c.note[0]})", f"指数 {_fz(v)} {opz} {_fz(t)}（{c.note[1]}）"
    names_en, names_zh = crit_names
    return (f"meets {int(v)} criteria{names_en} {op} {int(t)}",
            f"满足 {int(v)} 项标准{names_zh} {opz} {int(t)}")


def _reason(
    scheme: GradingScheme, checks: list[list[TierCheck]], tier: int, u: int, met: BoolArray
) -> tuple[str, str]:
    crits = [c for k, c in enumerate(scheme.criteria) if met[0, u, k]]
    names = (f" ({', '.join(c.label('en') for c in crits)})" if crits else "",
             f"（{'、'.join(c.label('zh') for c in crits)}）" if crits else "")
    if tier < 0:
        return "not graded: the index is missing", "未评级：指数缺失"
    t = scheme.tiers[tier]
    own = checks[tier]
    en_parts: list[str] = []
    zh_parts: list[str] = []
    floors = [c for c in own if c.kind == "floor"]
    for c in own:
        if c.kind != "floor":
            e, z = _check_text(c, u, True, names)
            en_parts.append(e)
            zh_parts.append(z)
    if floors:
        low = min(floors, key=lambda c: float(c.value[0, u] - np.broadcast_to(c.threshold, c.value.shape)[0, u]))
        e, z = _check_text(low, u, True, names)
        en_parts.append(f"no short board below its floor (closest: {e})")
        zh_parts.append(f"无低于底线的短板（最接近：{z}）")
    en = f"{t.label('en')}: {'; '.join(en_parts) if en_parts else 'no conditions'}"
    zh = f"{t.label('zh')}：{'；'.join(zh_parts) if zh_parts else '无附加条件'}"
    if tier > 0:
        up = scheme.tiers[tier - 1]
        failed = [c for c in checks[tier - 1] if not bool(c.ok[0, u])]
        texts = [_check_text(c, u, False, names) for c in failed]
        en += f"; kept from {up.label('en')} by {' and '.join(e for e, _ in texts)}"
        zh += f"；因{'、'.join(z for _, z in texts)}，未达{up.label('zh')}"
    return en, zh


def _not_graded(bench: bool, share: float, n_with: int | None, n_all: int | None, scheme: GradingScheme
                ) -> tuple[str, str]:
    """Why a unit has no grade although it has a score."""
    if bench:
        return ("benchmark: a reference, scored and shown but not graded in domestic tiers",
                "标杆：作为参照，计分并展示，但不参与国内分级")
    req = scheme.min_coverage or 0.0
    count = f"{n_with} of {n_all} indicators, " if n_with is not None and n_all else ""
    count_zh = f"{n_all} 项指标中的 {n_with} 项，" if n_with is not None and n_all else ""
    return (f"not graded: data on {count}{share:.0%} < {req:.0%} required (the scheme's coverage rule)",
            f"未评级：有数据的指标（{count_zh}{share:.0%}）低于所需的 {req:.0%}（分级方案的覆盖率规则）")


def assign_grades(
    scores: pd.DataFrame,
    scheme: GradingScheme | None = None,
    benchmark: Sequence[bool] | BoolArray | None = None,
    *,
    index: str | None = None,
    dimensions: Sequence[str] | None = None,
    data: Mapping[str, FloatArray] | None = None,
    groups: Mapping[str, Sequence[str | None]] | None = None,
    coverage: Sequence[float] | FloatArray | None = None,
    with_data: Sequence[int] | None = None,
    n_indicators: int | None = None,
) -> pd.DataFrame:
    """Grade every unit of ``scores`` (units x nodes) with ``scheme`` (the default scheme for None).

    Returns one row per unit: ``tier`` (code), ``tier_pos`` (0 = highest, -1 = none), ``grade`` and ``grade_zh``
    (labels), ``score`` (the graded index), ``stars`` (criteria met, when the scheme has criteria) and one boolean
    column per criterion, ``reason`` and ``reason_zh``: the conditions the unit meets and, unless it is in the top
    tier, those that keep it out of the tier above. Benchmarks, and units whose ``coverage`` (share of indicators
    with data; ``with_data`` of ``n_indicators`` for the wording) is below the scheme's rule, get no grade and say
    why."""
    scheme = scheme or default_scheme()
    nodes = [str(c) for c in scores.columns]
    arr = scores.to_numpy(dtype=float)[None]
    pos, idx, dims = resolve_nodes(scheme, nodes, index, dimensions)
    u = arr.shape[1]
    bench = np.zeros(u, dtype=bool) if benchmark is None else np.asarray(benchmark, dtype=bool)
    gcodes = None
    if groups is not None:
        gcodes = {}
        for col, labels in groups.items():
            uniq = sorted({x for x in labels if x is not None})
            gcodes[col] = np.array([-1 if x is None else uniq.index(x) for x in labels], dtype=np.int64)
    met = criteria_array(scheme, arr, nodes, benchmark=bench, data=data, groups=gcodes)
    checks = tier_checks(scheme, arr, pos, idx, dims, bench, met)
    cov = None if coverage is None else np.asarray(coverage, dtype=float)
    ok = eligible(scheme, bench, cov)
    tiers = np.where(ok, first_tier(checks, arr[:, :, pos[idx]])[0], -1)
    rows = []
    for i in range(u):
        t = int(tiers[i])
        if ok[i] or np.isnan(arr[0, i, pos[idx]]):
            en, zh = _reason(scheme, checks, t, i, met)
        else:
            en, zh = _not_graded(bool(bench[i]), float(cov[i]) if cov is not None else np.nan,
                                 None if with_data is None else int(with_data[i]), n_indicators, scheme)
        row: dict[str, Any] = {
            "tier": scheme.tiers[t].code if t >= 0 else "",
            "tier_pos": t,
            "grade": scheme.tiers[t].label("en") if t >= 0 else "",
            "grade_zh": scheme.tiers[t].label("zh") if t >= 0 else "",
            "score": float(arr[0, i, pos[idx]]),
        }
        if scheme.criteria:
            row["stars"] = int(met[0, i].sum())
            for k, c in enumerate(scheme.criteria):
                row[f"meets_{c.code}"] = bool(met[0, i, k])
        row["reason"] = en
        row["reason_zh"] = zh
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(list(scores.index), name="unit"))


def grades(result: Result, scheme: GradingScheme | Mapping[str, Any] | str | Path | None = None) -> pd.DataFrame:
    """Grades of every scored unit of a result with :func:`scheme_for` (``scheme``, else the recipe's ``grading``,
    else the built-in default for the recipe's basis), refused when absolute cut-offs meet a relative basis.

    Floors on ``*`` apply to the children of the graded node; data criteria read the raw columns of the result's
    year; ``within`` groups read the data's unit metadata; benchmarks and units below the scheme's coverage rule
    are not graded."""
    sch = scheme_for(result.recipe, scheme, benchmarks=bool(np.asarray(result.data.benchmark).any()))
    fw = result.framework
    idx = sch.index or fw.root.code
    if idx not in fw:
        raise RecipeError(f"grading scheme {sch.name!r}: index {idx!r} is not a node of framework {fw.name!r}"
                          f"{did_you_mean(idx, list(fw.by_code))}")
    ti = result.data.year_index(result.year)
    data = {c.variable: result.data.column(c.variable)[ti] for c in sch.criteria if c.source == "data"}
    cov = result.coverage.loc[list(result.units)]
    return assign_grades(result.scores, sch, result.data.benchmark, index=idx, dimensions=fw.children[idx],
                         data=data, groups=dict(result.data.groups), coverage=cov["coverage"].to_numpy(),
                         with_data=cov["indicators_with_data"].tolist(), n_indicators=len(fw.indicators))


def transition_matrix(before: Sequence[str], after: Sequence[str], tiers: Sequence[str]) -> pd.DataFrame:
    """Counts of units by tier in one year (rows) and another (columns), in the scheme's tier order; units without
    a grade (tier '') in either year are counted under 'ungraded'."""
    labels = [*tiers, UNGRADED] if "" in set(before) | set(after) else list(tiers)
    pos = {lab: i for i, lab in enumerate(labels)}
    pos[""] = pos.get(UNGRADED, -1)
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for a, b in zip(before, after, strict=True):
        counts[pos[a], pos[b]] += 1
    return pd.DataFrame(counts, index=pd.Index(labels, name="from"), columns=pd.Index(labels, name="to"))
