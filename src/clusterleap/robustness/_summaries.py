"""Grade shares: per unit, the probability of each grade over the independent samples.

One implementation counts tiers (:func:`tier_counts`) and turns counts into the share table (:func:`share_table`):
:func:`grade_shares` grades all samples at once with a grading scheme's vectorised kernel
(:func:`clusterleap.grading.tier_array`), during propagation or afterwards; :func:`grade_probabilities` applies any
grader, one sample's score table at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import RecipeError, SpaceError
from ..grading import GradingScheme, check_basis, tier_array
from ..stages._arrays import FloatArray
from ._problem import IntArray, Problem
from ._samples import Samples

__all__ = ["grade_probabilities", "grade_shares", "share_table", "tier_counts", "tier_grader"]


def tier_grader(problem: Problem, scheme: GradingScheme, nodes: Sequence[str]) -> Callable[[FloatArray], IntArray]:
    """Tier positions ``(S, units)`` of score arrays ``(S, units, nodes)`` under ``scheme``, with the data's
    benchmark flags, criteria and groups (:func:`clusterleap.grading.tier_array`)."""
    check_basis(scheme, problem.recipe.basis, problem.recipe.name)
    fw, data = problem.framework, problem.data
    idx = scheme.index or fw.root.code
    t = data.year_index(problem.year)
    criteria_data = {c.variable: data.column(c.variable)[t] for c in scheme.criteria if c.source == "data"}
    groups = {col: data.group_codes(col)[0] for col in data.groups}
    coverage = problem.nominal.coverage.loc[list(data.units), "coverage"].to_numpy()
    benchmark = np.asarray(data.benchmark, dtype=bool)
    dimensions = fw.children[idx]

    def grade(scores: FloatArray) -> IntArray:
        out: IntArray = tier_array(scores, nodes, scheme, benchmark=benchmark, index=idx, dimensions=dimensions,
                                   data=criteria_data, groups=groups, coverage=coverage)
        return out

    return grade


def tier_counts(tiers: npt.NDArray[np.integer[Any]], n_tiers: int) -> npt.NDArray[np.int64]:
    """Counts ``(n_tiers + 1, units)`` of tier positions ``(S, units)``: one row per tier, the last row the samples
    left ungraded (negative positions)."""
    return np.stack([*((tiers == k).sum(axis=0) for k in range(n_tiers)), (tiers < 0).sum(axis=0)]).astype(np.int64)


def share_table(units: Sequence[str], nominal: Sequence[Any], labels: Sequence[Any],
                counts: npt.NDArray[np.int64], n: int) -> pd.DataFrame:
    """Per unit: ``nominal`` (the nominal grade) and each label's share ``counts[k] / n`` of the samples."""
    df = pd.DataFrame({"nominal": list(nominal)}, index=pd.Index(list(units), name="unit"))
    for k, lab in enumerate(labels):
        df[str(lab)] = counts[k] / n
    return df


def grade_shares(samples: Samples, scheme: GradingScheme | None = None) -> pd.DataFrame:
    """Per unit: the nominal grade and the probability of each grade over the independent samples, graded all at
    once (:func:`clusterleap.grading.tier_array`) with ``scheme``, else the recipe's grading scheme.

    Columns: ``nominal`` (the grade of the nominal result), one column per tier code with its share of samples,
    and ``ungraded`` when some samples leave a unit below every tier or without a score. Thresholds are on the
    score scale: they mean the same in every sample only when the space keeps that scale (see docs/robustness.md).
    """
    problem = samples.problem
    scheme = scheme or problem.recipe.grading
    if scheme is None:
        raise RecipeError("grade probabilities need a grading scheme: set the recipe's 'grading' or pass one")
    grade = tier_grader(problem, scheme, samples.nodes)
    rows = samples.rows
    codes = [tier.code for tier in scheme.tiers]
    counted = samples.grade_counts
    if samples.kept:
        counts = tier_counts(grade(samples.scores[rows]), len(codes))
    elif counted is not None and counted[0] == scheme:
        counts = counted[1]
    else:
        raise SpaceError("grade probabilities without kept samples need the grades counted during propagation: "
                         "propagate(..., keep=False, grading=scheme) with this scheme, or keep=True")
    nominal = grade(samples.nominal_scores[None])[0]
    df = share_table(samples.units, [codes[k] if k >= 0 else "" for k in nominal], codes, counts, len(rows))
    ungraded = counts[-1] / len(rows)
    if ungraded.any():
        df["ungraded"] = ungraded
    return df


def grade_probabilities(
    samples: Samples,
    grader: Callable[[pd.DataFrame], Any],
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per unit: the nominal grade and the share of samples giving each grade, for any ``grader``.

    ``grader`` maps a units x nodes score table (one sample, as :meth:`Samples.frame` gives it) to one grade label
    per unit (a Series indexed by unit, or a sequence in unit order). Columns follow ``labels`` when given (grades
    never drawn get 0), else the order labels first appear in. Missing labels (None, NaN) count for no grade."""
    units = samples.units

    def grade(frame: pd.DataFrame) -> list[Any]:
        g = grader(frame)
        if isinstance(g, pd.Series):
            g = g.reindex(list(units))
        values = list(g)
        if len(values) != len(units):
            raise ValueError(f"the grader returned {len(values)} labels for {len(units)} units")
        return values

    rows = samples.rows
    position: dict[Any, int] = {lab: k for k, lab in enumerate(labels or ())}
    tiers = np.full((len(rows), len(units)), -1, dtype=np.intp)
    for i, s in enumerate(rows):
        for u, lab in enumerate(grade(samples.frame(int(s)))):
            if lab is None or (isinstance(lab, float) and np.isnan(lab)):
                continue
            tiers[i, u] = position.setdefault(lab, len(position))
    counts = tier_counts(tiers, len(position))
    return share_table(units, grade(samples.nominal_frame()), list(position), counts, len(rows))
