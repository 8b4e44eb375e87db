"""Strengths and short boards (短板) of each cluster, the obstacle-degree model and marginal gains: tables of every
unit and node or indicator, on the normalised indicators put on a 0-1 scale (:func:`scale_bounds`). ``_profile``
brings them together with the other analyses.

- **Standing** (:func:`standing`): for every unit and node, its score against its peer group (units sharing a
  metadata value, e.g. the same sector; domestic units only) and against the benchmark units: the peer median and
  the gap to it, the percentile among the peers (share of the other peers scoring lower, ties counted half), the
  benchmark median and the gap to it. Strengths are the nodes furthest above the peer median, short boards those
  furthest below (:func:`short_boards`).
- **Obstacle degree** (障碍度, :func:`obstacle_degrees`): ``O_ij = F_j I_ij / sum_j F_j I_ij`` with the factor
  contribution ``F_j`` the indicator's effective weight in the index and the deviation ``I_ij = 1 - x'_ij``, ``x'``
  the normalised value on a 0-1 scale (the normaliser's range, e.g. min-max ``[lo, hi]``; the observed range for
  unbounded normalisers such as z-scores). A unit's obstacle degrees sum to 1; an aggregate's is the sum of its
  indicators'. The model is common in Chinese evaluation studies, e.g. "Competitiveness evaluation and obstacle
  factor analysis of urban green and low-carbon development in Beijing-Tianjin-Hebei cities", Mathematical Problems
  in Engineering 2022, article 5230314.
- **Marginal gains** (:func:`marginal_gains`): how much the index rises per point of each normalised indicator,
  ``(I(x + delta e_j) - I(x)) / delta``, by re-aggregating with the result's recipe and weights (finite difference).
  For arithmetic means throughout this is the indicator's effective weight; for geometric or other means it depends
  on the unit's own profile (a short board gains most). :func:`frontier_gains`: the index gain if the indicator rose
  to the best value any unit has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._registry import did_you_mean
from ..errors import DataError
from ..stages._arrays import FloatArray, quiet
from ._gaps import is_unitwise, reaggregate

if TYPE_CHECKING:
    from .._framework import Framework
    from .._recipe import Recipe
    from .._result import Result

__all__ = [
    "check_unit",
    "frontier_gains",
    "marginal_gains",
    "obstacle_degrees",
    "pick_boards",
    "scale_bounds",
    "short_boards",
    "standing",
    "unit_interval",
]

#: Normalisers whose output lies on ``[0, scale]`` (parameter ``scale``, default 100).
_SCALED = frozenset({"goalposts", "target", "frontier", "reference", "proportion", "percentile"})


def check_unit(result: Result, unit: str) -> int:
    if unit not in result.units:
        raise DataError(f"{result.data.source}: no unit {unit!r}{did_you_mean(unit, list(result.units))}")
    return result.units.index(unit)


# -- the 0-1 scale --------------------------------------------------------------------------------------------
def scale_bounds(recipe: Recipe, fw: Framework, normalised: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per indicator, the ``(lo, hi)`` of its normalised scale: the normaliser's range where it has one (min-max
    ``lo``/``hi``, ``[0, scale]`` for goalposts, targets, frontier, reference, proportion and percentile, ``[1, n]``
    for ranks), else the observed range of ``normalised`` ``(..., units, indicators)``."""
    flat = normalised.reshape(-1, normalised.shape[-1])
    with quiet():
        obs_lo, obs_hi = np.nanmin(flat, axis=0), np.nanmax(flat, axis=0)
    lo, hi = obs_lo.copy(), obs_hi.copy()
    for i, code in enumerate(fw.indicators):
        step = recipe.normalise.step_for(code, 1)
        kw = step.kwargs
        if step.method == "minmax":
            lo[i], hi[i] = float(kw.get("lo", 0.0)), float(kw.get("hi", 100.0))
        elif step.method in _SCALED:
            lo[i], hi[i] = 0.0, float(kw.get("scale", 100.0))
        elif step.method == "rank":
            lo[i], hi[i] = 1.0, float(np.sum(~np.isnan(flat[:, i])))
    return lo, hi


def unit_interval(result: Result) -> pd.DataFrame:
    """The normalised indicators on a 0-1 scale (see :func:`scale_bounds`), clipped to ``[0, 1]``."""
    x = result.prepared.normalised[0]
    lo, hi = scale_bounds(result.recipe, result.framework, x)
    with quiet():
        y = np.clip((x - lo) / np.where(hi > lo, hi - lo, np.nan), 0.0, 1.0)
    return pd.DataFrame(y, index=pd.Index(result.units, name="unit"), columns=list(result.framework.indicators))


# -- standing against peers and benchmarks --------------------------------------------------------------------------
def _peer_labels(result: Result, peer: str | None) -> list[str | None]:
    if peer is None:
        return ["all"] * len(result.units)
    if peer not in result.data.groups:
        result.data.group_codes(peer)  # raises a DataError naming the column
    return list(result.data.groups[peer])


def _leave_one_out(x: FloatArray, members: npt.NDArray[np.bool_], drop: npt.NDArray[np.bool_]
                   ) -> tuple[FloatArray, FloatArray]:
    """Per row ``i`` of ``x`` ``(U, N)`` and per column: the median of the members' values (NaN left out) with row
    ``i`` itself left out where ``drop[i]``, and the percentile of ``x[i]`` among them (the share scoring lower,
    ties counted half, 0-100). One sort per column, so ``O(U log U)`` rather than one median per row; equal to
    ``nanmedian`` over the members other than ``i``, since leaving out any one of equal values leaves the same
    values."""
    u, n = x.shape
    med = np.full((u, n), np.nan)
    pct = np.full((u, n), np.nan)
    for j in range(n):
        col = x[members, j]
        v = np.sort(col[~np.isnan(col)])
        m = len(v)
        xi = x[:, j]
        here = ~np.isnan(xi)
        out = drop & here  # rows whose own value is among v
        k = m - out.astype(np.int64)  # values left for each row
        left = np.searchsorted(v, xi, side="left")
        right = np.searchsorted(v, xi, side="right")
        # the position left out: the first of the row's equal values (any of them leaves the same values)
        p = np.where(out, left, m)

        has = k > 0
        lo, hi = _skip_pick(v, (k - 1) // 2, p), _skip_pick(v, k // 2, p)
        med[:, j] = np.where(has, (lo + hi) / 2.0, np.nan)
        lower = left + 0.5 * (right - left - out)
        pct[:, j] = np.where(has & here, 100.0 * lower / np.maximum(k, 1), np.nan)
    return med, pct


def _skip_pick(v: FloatArray, q: npt.NDArray[np.int64], p: npt.NDArray[np.int64]) -> FloatArray:
    """Per row, the value at position ``q`` of sorted ``v`` with its position ``p`` taken out (``p = len(v)``:
    nothing taken out); NaN where ``v`` is empty."""
    if not len(v):
        return np.full(len(q), np.nan)
    at = np.where(q >= p, q + 1, q)
    return np.asarray(v[np.clip(at, 0, len(v) - 1)], dtype=float)


def standing(result: Result, peer: str | None = None) -> pd.DataFrame:
    """Every unit's standing at every node, one row per (unit, node) in ``framework.order``.

    Columns: ``level``, ``score``, ``rank`` (as in the result), ``peer_group``, ``peers`` (domestic units in the
    group other than the unit), ``peer_median``, ``peer_gap`` (score minus peer median), ``peer_percentile`` (0-100:
    share of the peers scoring lower, ties counted half), ``bench_median`` (median of the benchmark units other than
    the unit) and ``bench_gap``. Linear in the units but for one sort per group and node."""
    fw = result.framework
    x = result.score_array  # (U, N)
    u, n = x.shape
    bench = np.asarray(result.data.benchmark, dtype=bool)
    labels = _peer_labels(result, peer)
    med = np.full((u, n), np.nan)
    pct = np.full((u, n), np.nan)
    count = np.zeros(u, dtype=np.int64)
    codes, groups = pd.factorize(pd.Series(labels, dtype=object), use_na_sentinel=True)
    for g in range(len(groups)):
        rows = codes == g
        members = rows & ~bench
        sub_med, sub_pct = _leave_one_out(x[rows], members[rows], ~bench[rows])
        med[rows], pct[rows] = sub_med, sub_pct
        count[rows] = int(members.sum()) - (~bench[rows]).astype(np.int64)
    bmed = np.full((u, n), np.nan)
    if bench.any():
        bmed = _leave_one_out(x, bench, bench)[0]
    ranks = result.rank_array
    idx = pd.MultiIndex.from_product([result.units, fw.order], names=["unit", "node"])
    return pd.DataFrame({
        "level": np.tile([fw.level[c] for c in fw.order], u),
        "score": x.ravel(),
        "rank": ranks.ravel(),
        "peer_group": np.repeat(np.array([lab if lab is not None else "" for lab in labels], dtype=object), n),
        "peers": np.repeat(count, n),
        "peer_median": med.ravel(),
        "peer_gap": (x - med).ravel(),
        "peer_percentile": pct.ravel(),
        "bench_median": bmed.ravel(),
        "bench_gap": (x - bmed).ravel(),
    }, index=idx)


def short_boards(
    table: pd.DataFrame, unit: str, *, level: int | None = None, n: int = 3, by: str = "peer_gap",
    strengths: bool = False,
) -> pd.DataFrame:
    """A unit's ``n`` weakest nodes (or strongest, with ``strengths``) by ``by`` (a column of :func:`standing`,
    e.g. 'peer_gap' or 'bench_gap'), at one ``level`` or every level below the index (``n`` per level). Only nodes
    below (above) the comparison count: a short board is a gap, not merely the lowest of good scores."""
    if unit not in table.index.get_level_values("unit"):
        units = list(dict.fromkeys(table.index.get_level_values("unit")))
        raise DataError(f"no unit {unit!r}{did_you_mean(unit, [str(x) for x in units])}")
    rows = pd.DataFrame(table.xs(unit, level="unit"))
    return pick_boards(rows, level=level, n=n, by=by, strengths=strengths)


def pick_boards(rows: pd.DataFrame, *, level: int | None, n: int, by: str, strengths: bool) -> pd.DataFrame:
    """:func:`short_boards` of one unit's rows of the standing table (indexed by node)."""
    top = int(rows["level"].max())
    levels = [level] if level is not None else [lv for lv in sorted(rows["level"].unique()) if lv < top]
    out: list[pd.DataFrame] = []
    for lv in levels:
        sub = rows[(rows["level"] == lv) & rows[by].notna()]
        sub = sub[sub[by] > 0] if strengths else sub[sub[by] < 0]
        out.append(sub.sort_values(by=by, ascending=not strengths, kind="stable").head(n))
    return pd.concat(out) if out else rows.iloc[:0]


# -- obstacle degrees ---------------------------------------------------------------------------------------------
def obstacle_degrees(result: Result) -> pd.DataFrame:
    """Obstacle degrees, units x nodes (``framework.order``): ``O_ij = F_j I_ij / sum_j F_j I_ij`` for indicators
    (they sum to 1 per unit; missing indicators are left out), the sum over its indicators for an aggregate (1 at
    the root). NaN for a unit at the top of every scale (no obstacle)."""
    fw = result.framework
    ind = list(fw.indicators)
    x01 = unit_interval(result).to_numpy(dtype=float)
    f = result.weights.loc[ind, "effective"].to_numpy(dtype=float)
    fi = f[None, :] * (1.0 - x01)
    with quiet():
        total = np.nansum(fi, axis=1, keepdims=True)
        o = np.where(np.isnan(fi), np.nan, fi / np.where(total > 0, total, np.nan))
    out = pd.DataFrame(np.nan, index=pd.Index(result.units, name="unit"), columns=list(fw.order))
    out[ind] = o
    for code in fw.aggregates:
        leaves = list(fw.leaves_under(code))
        vals = out[leaves].to_numpy(dtype=float)
        out[code] = np.where(np.isnan(vals).all(axis=1), np.nan, np.nansum(vals, axis=1))
    return out


# -- marginal gains -----------------------------------------------------------------------------------------------
def _perturbed_index(result: Result, make: Any) -> FloatArray:
    """Index ``(indicators, U)`` after ``make(x (I, U, I)) -> x`` changes indicator j in sample j."""
    fw = result.framework
    x = result.prepared.normalised[:1]
    ni = len(fw.indicators)
    root = fw.order.index(fw.root.code)
    if is_unitwise(result):
        xs = make(np.repeat(x, ni, axis=0))
        return reaggregate(result, xs)[:, :, root]
    out = np.full((ni, x.shape[1]), np.nan)
    for u in range(x.shape[1]):  # aggregations that compare units: change one unit at a time
        xs = np.repeat(x, ni, axis=0)
        changed = make(xs.copy())
        xs[:, u] = changed[:, u]
        out[:, u] = reaggregate(result, xs)[:, u, root]
    return out


def marginal_gains(result: Result, delta: float = 1.0) -> pd.DataFrame:
    """Index points gained per normalised point of each indicator, units x indicators: ``(I(x + delta e_j) -
    I(x)) / delta`` with the result's aggregation and weights held fixed (NaN where the indicator is missing)."""
    if not delta > 0:
        raise DataError(f"marginal gains need a positive step (got delta = {delta})")
    fw = result.framework
    ni = len(fw.indicators)
    eye = np.eye(ni)[:, None, :] * delta

    def make(xs: FloatArray) -> FloatArray:
        return xs + eye

    base = result.score_array[:, fw.order.index(fw.root.code)]
    idx = _perturbed_index(result, make)
    gain = (idx - base[None, :]) / delta
    gain = np.where(np.isnan(result.prepared.normalised[0].T), np.nan, gain)
    return pd.DataFrame(gain.T, index=pd.Index(result.units, name="unit"), columns=list(fw.indicators))


def frontier_gains(result: Result) -> pd.DataFrame:
    """Index points gained if each indicator alone rose to the best value any unit has, units x indicators (0 for
    the units at the frontier; NaN where the indicator is missing)."""
    fw = result.framework
    x = result.prepared.normalised[0]
    with quiet():
        best = np.nanmax(x, axis=0)
    ni = len(fw.indicators)
    diag = np.eye(ni, dtype=bool)[:, None, :]

    def make(xs: FloatArray) -> FloatArray:
        return np.where(diag, np.maximum(xs, best[None, None, :]), xs)

    base = result.score_array[:, fw.order.index(fw.root.code)]
    gain = _perturbed_index(result, make) - base[None, :]
    gain = np.where(np.isnan(x.T), np.nan, gain)
    return pd.DataFrame(gain.T, index=pd.Index(result.units, name="unit"), columns=list(fw.indicators))
