"""Every unit's profile of a run at once, for storing with the run (the cluster page reads it as stored).

:meth:`clusterleap.analysis.profile.Analytics.profile` builds one unit's profile from its rows of every analytics
table; called once per unit it repeats dozens of table operations per unit, which made evaluating a 300-cluster
round take seconds. :func:`all_profiles` gives exactly what ``analytics.profile(unit).to_dict()`` gives for every
unit (a test checks it unit by unit, key order included), reading each table once: the standing table is split by
unit in one pass, sorted with Python's stable sort (pandas' stable sort orders ties the same way), and the top-5
obstacles and gains use numpy's argsort exactly as ``Series.sort_values`` does."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..analysis import Analytics

__all__ = ["all_profiles", "clean"]


def clean(v: Any) -> Any:
    """A JSON-ready value (NaN and missing as None, numpy scalars as Python numbers), as ``Profile.to_dict``."""
    if isinstance(v, float | np.floating):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if v is pd.NA:
        return None
    return v


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


def _records(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """A units x columns table as {unit: {column: value}} (one pass)."""
    cols = [str(c) for c in df.columns]
    return {str(u): {c: clean(v) for c, v in zip(cols, row, strict=True)}
            for u, row in zip(df.index, df.itertuples(index=False, name=None), strict=True)}


def _top(values: np.ndarray, labels: list[str], n: int = 5) -> dict[str, Any]:
    """``Series(values, labels).dropna().sort_values(ascending=False).head(n)`` as a dict, without the Series: the
    same argsort (pandas reverses, sorts ascending with quicksort, and reverses back)."""
    keep = np.flatnonzero(~np.isnan(values))
    vals = values[keep][::-1]
    order = keep[::-1][vals.argsort(kind="quicksort")][::-1][:n]
    return {labels[j]: clean(values[j]) for j in order}


def _boards(rows: list[dict[str, Any]], n: int, strengths: bool) -> list[dict[str, Any]]:
    """``short_boards(standing, unit, n=n, strengths=...)`` of one unit's standing rows (in framework order)."""
    top = max(r["level"] for r in rows)
    out: list[dict[str, Any]] = []
    for lv in sorted({r["level"] for r in rows if r["level"] < top}):
        gaps = [r for r in rows if r["level"] == lv and r["peer_gap"] is not None]
        gaps = [r for r in gaps if (r["peer_gap"] > 0 if strengths else r["peer_gap"] < 0)]
        out.extend(sorted(gaps, key=lambda r: r["peer_gap"], reverse=strengths)[:n])
    return out


def _standing_by_unit(standing: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    cols = ["node", *(str(c) for c in standing.columns)]
    units = standing.index.get_level_values("unit")
    nodes = standing.index.get_level_values("node")
    out: dict[str, list[dict[str, Any]]] = {}
    for u, node, row in zip(units, nodes, standing.itertuples(index=False, name=None), strict=True):
        out.setdefault(str(u), []).append(dict(zip(cols, (str(node), *(clean(v) for v in row)), strict=True)))
    return out


def _actions_by_unit(actions: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    if not len(actions):
        return {}
    key = str(actions.index.name or "key")
    cols = [str(c) for c in actions.columns]
    out: dict[str, list[dict[str, Any]]] = {}
    for i, row in zip(actions.index, actions.itertuples(index=False, name=None), strict=True):
        rec = {key: str(i), **{c: clean(v) for c, v in zip(cols, row, strict=True)}}
        out.setdefault(str(rec["unit"]), []).append(rec)
    return out


def all_profiles(analytics: Analytics, units: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """``{unit: analytics.profile(unit).to_dict()}`` for ``units`` (default: every unit with an index score)."""
    result = analytics.result
    fw = result.framework
    root = fw.root.code
    ind = list(fw.indicators)
    dims = list(fw.children[root])
    codes = list(result.units)
    pos = {u: i for i, u in enumerate(codes)}
    scores, ranks = _records(result.scores), _records(result.ranks)
    grades, types = _records(analytics.grades), _records(analytics.types)
    standing = _standing_by_unit(analytics.standing)
    actions = _actions_by_unit(analytics.actions)
    obst = analytics.obstacles[ind].to_numpy(dtype=float)
    obst_rows = {str(u): i for i, u in enumerate(analytics.obstacles.index)}
    gains = analytics.gains.to_numpy(dtype=float)
    gain_labels = [str(c) for c in analytics.gains.columns]
    gain_rows = {str(u): i for i, u in enumerate(analytics.gains.index)}
    gaps = analytics.gaps
    g_rows = {str(u): i for i, u in enumerate(gaps.reference.index)}
    dim_pos = [fw.order.index(d) for d in sorted(dims, key=fw.order.index)]
    dim_codes = [fw.order[p] for p in dim_pos]
    g_score = result.scores.loc[list(gaps.reference.index), dim_codes].to_numpy(dtype=float)
    g_ref = gaps.reference[dim_codes].to_numpy(dtype=float)
    g_gap = gaps.gap[dim_codes].to_numpy(dtype=float)
    g_con = gaps.contribution[dim_codes].to_numpy(dtype=float)
    g_total = gaps.gap[root].to_numpy(dtype=float)
    level = {c: fw.level[c] for c in fw.order}
    wanted = list(units) if units is not None else [u for u in codes if scores[u][root] is not None]
    out: dict[str, dict[str, Any]] = {}
    for unit in wanted:
        i = pos[unit]
        rows = standing.get(unit, [])
        gi = g_rows[unit]
        total = float(g_total[gi])
        gap_rows = []
        for k, code in enumerate(dim_codes):
            con = float(g_con[gi, k])
            # "level" a float, as in a row of the engine's all-number gap table
            gap_rows.append({"node": code, "level": float(level[code]), "score": clean(g_score[gi, k]),
                             "reference": clean(g_ref[gi, k]), "gap": clean(g_gap[gi, k]), "contribution": clean(con),
                             "share": clean(con / total if total else math.nan)})
        present = [r for r in gap_rows if r["contribution"] is not None]
        gap_rows = sorted(present, key=lambda r: r["contribution"], reverse=True) + \
            [r for r in gap_rows if r["contribution"] is None]
        out[unit] = {
            "unit": unit, "name": result.data.names[i], "year": result.year, "index": root,
            "score": scores[unit][root], "rank": _float(ranks[unit][root]), "n_units": len(codes),
            "illustrative": result.illustrative, "benchmark": gaps.description,
            "scores": scores[unit], "ranks": ranks[unit], "grade": grades[unit], "type": types[unit],
            "strengths": _boards(rows, analytics.n, True) if rows else [],
            "short_boards": _boards(rows, analytics.n, False) if rows else [],
            "gaps": gap_rows, "obstacles": _top(obst[obst_rows[unit]], ind),
            "gains": _top(gains[gain_rows[unit]], gain_labels), "actions": actions.get(unit, []),
        }
    return out

