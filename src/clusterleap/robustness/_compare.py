"""Two simpler robustness checks: each indicator left out in turn, and the same data under two recipes.

Leave-one-out re-runs the whole evaluation without one indicator (and any aggregate left without children): the rank
shift says how much a unit's standing rests on that indicator (OECD/JRC Handbook (2008), step 7).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._api import as_dataset, as_framework, as_recipe, evaluate
from .._dataset import Dataset
from .._framework import Framework
from .._pipeline import aggregate_tree, prepare, rank_scores
from .._recipe import STAGE_ORDER, Recipe
from .._registry import did_you_mean
from ..errors import DataWarning, FrameworkError

__all__ = ["compare_recipes", "leave_one_out"]


def _without(fw: Framework, code: str) -> Framework | None:
    """The framework without indicator ``code`` and any aggregate left without children (None if nothing
    sensible remains)."""
    drop = {code}
    while True:
        kids: dict[str, int] = {}
        for n in fw.nodes:
            if n.code not in drop and n.parent is not None:
                kids[n.parent] = kids.get(n.parent, 0) + 1
        empty = {n.code for n in fw.nodes if not n.is_indicator and n.code not in drop and not kids.get(n.code)}
        if not empty:
            break
        drop |= empty
    if fw.root.code in drop:
        return None
    try:
        return replace(fw, nodes=tuple(n for n in fw.nodes if n.code not in drop))
    except FrameworkError:
        return None


def _drop_overrides(recipe: Recipe, fw: Framework) -> Recipe:
    changes: dict[str, Any] = {}
    for stage in STAGE_ORDER:
        plan = recipe.plan(stage)
        kept = tuple((c, s) for c, s in plan.nodes if c in fw.by_code)
        if kept != plan.nodes:
            changes[stage] = replace(plan, nodes=kept)
    return replace(recipe, **changes) if changes else recipe


def leave_one_out(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
    year: int | None = None,
    *,
    node: str | None = None,
) -> pd.DataFrame:
    """Per indicator removed and unit: the rank and score of ``node`` (the index by default) with that indicator
    left out of the framework (and of every stage: the evaluation is re-run without it), and the rank shift
    ``rank - nominal_rank`` (positive = worse without the indicator)."""
    fw, ds, rc = as_framework(framework), as_dataset(data), as_recipe(recipe)
    nominal = evaluate(fw, ds, rc, year)
    ds = nominal.data  # the units the recipe's screen keeps
    target = node or fw.root.code
    if target not in fw.by_code:
        raise FrameworkError(f"framework {fw.name!r} has no node {target!r}{did_you_mean(target, list(fw.order))}")
    r0 = nominal.ranks[target].to_numpy(dtype=float)  # in unit order, as the rows below
    s0 = nominal.score(target).to_numpy(dtype=float)
    parts = []
    for code in fw.indicators:
        reduced = _without(fw, code)
        score = np.full(len(ds.units), np.nan)
        rank = np.full(len(ds.units), np.nan)
        if reduced is not None and target in reduced.by_code:
            rc_k = _drop_overrides(rc, reduced)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                prep = prepare(reduced, ds, rc_k, [nominal.year])
            scores, _ = aggregate_tree(reduced, prep.normalised, rc_k, units=ds.units)
            col = scores[:, :, [reduced.order.index(target)]]
            score = col[0, :, 0]
            rank = rank_scores(col, rc_k)[0, :, 0]
        parts.append(pd.DataFrame({"removed": code, "unit": ds.units, "name": ds.names, "nominal_rank": r0,
                                   "rank": rank, "shift": rank - r0, "nominal_score": s0, "score": score}))
    return pd.concat(parts, ignore_index=True)


def compare_recipes(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    a: Recipe | str | Path | Mapping[str, Any] | None,
    b: Recipe | str | Path | Mapping[str, Any] | None,
    year: int | None = None,
    *,
    node: str | None = None,
) -> pd.DataFrame:
    """Per unit: score and rank of ``node`` (the index by default) under recipes ``a`` and ``b``, and the rank
    shift ``rank_b - rank_a``; sorted by rank under ``a``."""
    fw = as_framework(framework)
    ds = as_dataset(data)
    ra, rb = evaluate(fw, ds, a, year), evaluate(fw, ds, b, year)
    target = node or fw.root.code
    if target not in fw.by_code:
        raise FrameworkError(f"framework {fw.name!r} has no node {target!r}{did_you_mean(target, list(fw.order))}")
    rank_a = ra.ranks[target].astype(float)  # in unit order, as the names beside them
    rank_b = rb.ranks[target].astype(float)
    df = pd.DataFrame({"name": list(ds.names), "score_a": ra.score(target), "rank_a": rank_a,
                       "score_b": rb.score(target), "rank_b": rank_b, "shift": rank_b - rank_a},
                      index=pd.Index(ds.units, name="unit"))
    return df.sort_values(["rank_a", "score_a"], ascending=[True, False], na_position="last")
