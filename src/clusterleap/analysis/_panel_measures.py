"""Measures of a panel of index values, as the trends use them: growth, a projected crossing, inequality and
coupling coordination. Pure functions of arrays; :func:`clusterleap.analysis.trends` applies them per year.

**Growth**: compound annual growth rate ``CAGR = (x_last / x_first)^(1 / years) - 1``; a least-squares line and the
year it crosses zero, a naive extrapolation of the past trend, not a forecast.
**Inequality**: the Gini coefficient ``G = sum_i sum_r |y_i - y_r| / (2 n^2 mu)`` and Dagum's decomposition by a
group column (e.g. region) into within-group, net between-group and transvariation parts that add up to ``G``
exactly (Dagum C. 1997, "A new approach to the decomposition of the Gini income inequality ratio", Empirical
Economics 22, 515-531).
**Coupling coordination** of ``n`` systems ``U_i`` on a 0-1 scale: coupling ``C = n (prod U_i)^(1/n) / sum U_i``
(that is ``n [prod U_i / (sum U_i)^n]^(1/n)``, in [0, 1]), the comprehensive index ``T = sum a_i U_i`` (equal
weights ``a_i = 1/n`` by default) and the coordination degree ``D = sqrt(C T)``, in the normative form stated by
Wang S., Kong W., Ren L., Zhi D., Dai B. (2021), "Research on misuses and modification of coupling coordination
degree model in China" (国内耦合协调度模型的误区及修正), Journal of Natural Resources 36(3), 793-810; ``D`` is classed
in ten bands of 0.1, from extreme imbalance to quality coordination, as is usual in those studies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..stages._arrays import FloatArray, quiet

__all__ = [
    "COORDINATION_CLASSES",
    "Dagum",
    "cagr",
    "coordination_class",
    "coupling_coordination",
    "dagum",
    "gini",
    "linear_crossing",
    "reach_year",
]

#: Bands of the coupling coordination degree D: (upper bound, English, Chinese).
COORDINATION_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.1, "extreme imbalance", "极度失调"),
    (0.2, "serious imbalance", "严重失调"),
    (0.3, "moderate imbalance", "中度失调"),
    (0.4, "mild imbalance", "轻度失调"),
    (0.5, "on the verge of imbalance", "濒临失调"),
    (0.6, "barely coordinated", "勉强协调"),
    (0.7, "primary coordination", "初级协调"),
    (0.8, "intermediate coordination", "中级协调"),
    (0.9, "good coordination", "良好协调"),
    (1.0, "quality coordination", "优质协调"),
)


# -- inequality ---------------------------------------------------------------------------------------------------
def gini(x: Sequence[float] | FloatArray) -> float:
    """Gini coefficient ``sum_i sum_r |x_i - x_r| / (2 n^2 mu)`` of the non-missing values (NaN if fewer than 2 or
    a non-positive mean)."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) < 2 or v.mean() <= 0:
        return float("nan")
    return float(np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean()))


@dataclass(frozen=True)
class Dagum:
    """Dagum's (1997) decomposition of a Gini coefficient: ``total = within + between + transvariation``.

    ``group_gini``: each group's own Gini ``G_jj``; ``pair_gini``: ``G_jh`` between groups; ``affluence``: the
    relative economic affluence ``D_jh`` (``(d_jh - p_jh) / (d_jh + p_jh)``, with ``j`` the group of higher mean);
    ``sizes`` and ``means`` per group."""

    total: float
    within: float
    between: float
    transvariation: float
    group_gini: pd.Series
    pair_gini: pd.DataFrame
    affluence: pd.DataFrame
    sizes: pd.Series
    means: pd.Series


def dagum(x: Sequence[float] | FloatArray, groups: Sequence[Any]) -> Dagum:
    """Decompose the Gini coefficient of ``x`` by ``groups`` (one label per value; NaN values and None labels are
    left out).

    With ``p_j = n_j / n``, ``s_j = n_j mu_j / (n mu)``:
    ``G_jj = sum_i sum_r |y_ji - y_jr| / (2 n_j^2 mu_j)``, ``G_jh = sum_i sum_r |y_ji - y_hr| / (n_j n_h (mu_j +
    mu_h))``; within ``G_w = sum_j G_jj p_j s_j``; for each pair ``d_jh`` = mean of ``max(y_ji - y_hr, 0)`` and
    ``p_jh`` = mean of ``max(y_hr - y_ji, 0)`` over all pairs (``mu_j >= mu_h``), ``D_jh = (d_jh - p_jh) / (d_jh +
    p_jh)``; net between ``G_nb = sum_{j>h} G_jh (p_j s_h + p_h s_j) D_jh`` and transvariation ``G_t = sum_{j>h}
    G_jh (p_j s_h + p_h s_j) (1 - D_jh)``."""
    v = np.asarray(x, dtype=float)
    labels = list(groups)
    if len(labels) != len(v):
        raise DataError(f"Dagum decomposition: {len(labels)} group labels for {len(v)} values")
    keep = [i for i in range(len(v)) if not np.isnan(v[i]) and labels[i] is not None]
    v = v[keep]
    lab = [labels[i] for i in keep]
    n = len(v)
    if n < 2:
        raise DataError(f"Dagum decomposition needs at least 2 values with a group label (got {n})")
    if v.mean() <= 0:
        raise DataError(f"Dagum decomposition needs values with a positive mean (the mean of the {n} values is "
                        f"{v.mean():.4g})")
    mu = v.mean()
    names = sorted(set(lab), key=str)
    ys = {g: v[[i for i in range(n) if lab[i] == g]] for g in names}
    nj = pd.Series({g: len(ys[g]) for g in names}, dtype=float)
    mj = pd.Series({g: ys[g].mean() for g in names}, dtype=float)
    p = nj / n
    s = nj * mj / (n * mu)

    def ratio(num: float, den: float) -> float:  # 0 / 0 = 0: a group (or pair) of zeros is perfectly equal
        return float(num / den) if den > 0 else 0.0

    gjj = pd.Series({g: ratio(np.abs(ys[g][:, None] - ys[g][None, :]).sum(), 2 * nj[g] ** 2 * mj[g])
                     for g in names}, dtype=float)
    pair = pd.DataFrame(np.nan, index=names, columns=names)
    aff = pd.DataFrame(np.nan, index=names, columns=names)
    within = float((gjj * p * s).sum())
    between = trans = 0.0
    for a_i, a in enumerate(names):
        for b in names[a_i:]:
            diff = ys[a][:, None] - ys[b][None, :]
            g_ab = ratio(np.abs(diff).sum(), nj[a] * nj[b] * (mj[a] + mj[b]))
            pair.loc[a, b] = pair.loc[b, a] = g_ab
            if a == b:
                continue
            hi, lo = (a, b) if mj[a] >= mj[b] else (b, a)
            dd = ys[hi][:, None] - ys[lo][None, :]
            d_jh = np.maximum(dd, 0).mean()
            p_jh = np.maximum(-dd, 0).mean()
            d = (d_jh - p_jh) / (d_jh + p_jh) if d_jh + p_jh > 0 else 0.0
            aff.loc[a, b] = aff.loc[b, a] = d
            w = g_ab * (p[a] * s[b] + p[b] * s[a])
            between += float(w * d)
            trans += float(w * (1 - d))
    return Dagum(gini(v), within, between, trans, gjj, pair, aff, nj, mj)


# -- growth, projection, coupling -----------------------------------------------------------------------------------
def cagr(first: float, last: float, years: float) -> float:
    """Compound annual growth rate ``(last / first)^(1 / years) - 1`` (NaN unless both are positive and years > 0)."""
    if not (years > 0 and first > 0 and last > 0):
        return float("nan")
    return float((last / first) ** (1.0 / years) - 1.0)


def linear_crossing(years: Sequence[float], values: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares line ``value = a + b year`` through the non-missing points and the year where it reaches zero:
    ``(slope b, intercept a, -a / b)``; the crossing is NaN unless the line falls towards zero (``b < 0`` with the
    latest value above zero). A naive extrapolation of the past trend."""
    t = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    ok = ~np.isnan(y)
    if ok.sum() < 2:
        return float("nan"), float("nan"), float("nan")
    b, a = np.polyfit(t[ok], y[ok], 1)
    last = y[ok][-1]
    cross = -a / b if b < 0 and last > 0 else float("nan")
    return float(b), float(a), float(cross)


def reach_year(cross: float, last_year: int) -> int | None:
    """The whole year a projected crossing ``cross`` (a fractional year from :func:`linear_crossing`) is reported
    as: the nearest year, and at least ``last_year + 1`` (the last observed distance is still positive, so the
    frontier is not reached before the next year). None for NaN."""
    if np.isnan(cross):
        return None
    return max(int(np.floor(cross + 0.5)), last_year + 1)


def coupling_coordination(u: FloatArray, weights: Sequence[float] | None = None) -> tuple[FloatArray, FloatArray,
                                                                                         FloatArray]:
    """Coupling ``C``, comprehensive index ``T`` and coordination degree ``D`` of systems ``u`` ``(..., n)`` on a
    0-1 scale: ``C = n (prod u)^(1/n) / sum u``, ``T = sum a_i u_i``, ``D = sqrt(C T)``. ``weights`` ``a_i``
    (renormalised to sum to 1; equal by default). ``C`` is 0 when a system is 0 and undefined (NaN) when every
    system is 0, where ``D`` is 0 (``C`` is bounded, ``T`` is 0); all three are NaN where a system is missing."""
    x = np.asarray(u, dtype=float)
    n = x.shape[-1]
    a = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=float) / float(np.sum(weights))
    with quiet():
        gm = np.exp(np.mean(np.log(np.where(x > 0, x, np.nan)), axis=-1))
        gm = np.where((x == 0).any(axis=-1) & ~np.isnan(x).any(axis=-1), 0.0, gm)
        total = x.sum(axis=-1)
        c = np.where(total > 0, n * gm / np.where(total > 0, total, 1.0), np.nan)
        t = (x * a).sum(axis=-1)
        # every system at 0: C is 0 / 0, but C lies in [0, 1] wherever it is defined, so D = sqrt(C T) is 0
        d = np.where(total == 0, 0.0, np.sqrt(c * t))
    bad = np.isnan(x).any(axis=-1)
    return np.where(bad, np.nan, c), np.where(bad, np.nan, t), np.where(bad, np.nan, d)


def coordination_class(d: float) -> tuple[str, str]:
    """The band of a coordination degree (English, Chinese); empty for NaN."""
    if np.isnan(d):
        return "", ""
    for hi, en, zh in COORDINATION_CLASSES:
        if d < hi or hi == 1.0:
            return en, zh
    return COORDINATION_CLASSES[-1][1:]
