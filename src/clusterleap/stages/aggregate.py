"""Aggregate: combine a node's children into its score.

Kernels take the children's scores ``x`` ``(samples, units, children)`` and weights broadcastable to it, and return
``(samples, units)``. ``missing`` decides what a missing child does: ``reweight`` averages over the children that are
present (their weights renormalised, as COINr does), ``propagate`` makes the parent missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np

from .._registry import Registry
from ._arrays import FloatArray, quiet

METHODS: Registry[AggregateKernel] = Registry("aggregate", fixed=2)
Missing = Literal["reweight", "propagate"]


def _sum_children(t: FloatArray) -> FloatArray:
    """Sum over the last axis (children), left to right, so that the result never depends on the array's shape or
    memory layout (numpy may sum pairwise or in another order depending on both)."""
    out: FloatArray = t[..., 0].copy()
    for j in range(1, t.shape[-1]):
        out += t[..., j]
    return out


def _prepare(x: FloatArray, w: FloatArray, missing: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Zero the weights of missing children; return x with NaN as 0, the effective weights and their sum.

    Children broadcast over samples (one row seen by every sample's weights) are worked on as that one row, and
    without missing children the weights keep their shape (often ``(samples, 1, children)``): the values are the
    same, without computing them once per sample."""
    if x.ndim == w.ndim and x.shape[0] > 1 and x.strides[0] == 0 and w.shape[0] == x.shape[0]:
        x = x[:1]
    present = ~np.isnan(x)
    if present.all():
        return x, w, _sum_children(w)
    weff = np.where(present, w, 0.0)
    total = _sum_children(weff)
    if missing == "propagate":
        total = np.where(present.all(axis=-1), total, np.nan)
    return np.where(present, x, 0.0), weff, total


@METHODS.register("arithmetic", summary="weighted arithmetic mean, sum(w x) / sum(w)",
                  reference="OECD/JRC Handbook (2008), section 1.8 (linear aggregation); COINr a_amean")
def arithmetic(x: FloatArray, w: FloatArray, *, missing: Missing = "reweight") -> FloatArray:
    return _weighted_mean(x, w, missing, geometric=False)


@METHODS.register("geometric", summary="weighted geometric mean, prod(x^w)^(1/sum(w)); needs x >= 0",
                  reference="OECD/JRC Handbook (2008), section 1.8 (geometric aggregation); COINr a_gmean")
def geometric(x: FloatArray, w: FloatArray, *, missing: Missing = "reweight") -> FloatArray:
    """A zero child makes the mean zero (the limit), so one missing strength is never fully compensated."""
    return _weighted_mean(x, w, missing, geometric=True)


def _weighted_mean(x: FloatArray, w: FloatArray, missing: str, *, geometric: bool) -> FloatArray:
    """``sum(w t) / sum(w)`` over the children present, with ``t = x`` (arithmetic) or ``t = log x`` and the
    exponential taken (geometric; a term is 0 where its weight is 0, so a missing child's ``log 0`` never counts).

    One child at a time: each child's weights and terms are ``(samples, units)``, added left to right into two
    running sums, so no ``(samples, units, children)`` temporary is made (the children are often one row broadcast
    over every sample, the weights one row per sample). Every element is the same product, summed in the same order,
    as :func:`_prepare` and :func:`_sum_children` would give it: the result never depends on the batch."""
    if x.ndim == w.ndim and x.shape[0] > 1 and x.strides[0] == 0 and w.shape[0] == x.shape[0]:
        x = x[:1]
    present = ~np.isnan(x)
    full = bool(present.all())
    total: FloatArray | None = None
    num: FloatArray | None = None
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(x.shape[-1]):
            pj = present[..., j]
            wj = w[..., j] if full or pj.all() else np.where(pj, w[..., j], 0.0)
            xj = x[..., j] if full else np.where(pj, x[..., j], 0.0)
            if geometric:
                positive = wj > 0
                logs = np.log(xj)
                term = wj * (logs if positive.all() else np.where(positive, logs, 0.0))
            else:
                term = wj * xj
            if total is None or num is None:
                total = np.array(np.broadcast_to(wj, np.broadcast_shapes(np.shape(wj), np.shape(term))))
                num = np.array(term)
            else:
                total += wj
                num += term
        assert total is not None and num is not None, "a mean needs at least one child"
        if missing == "propagate" and not full:
            total = np.where(present.all(axis=-1), total, np.nan)
        out: FloatArray = num / np.where(total > 0, total, np.nan)
        if geometric:
            np.exp(out, out=out)
    return out


@METHODS.register("harmonic", summary="weighted harmonic mean, sum(w) / sum(w / x); needs x > 0",
                  reference="COINr a_hmean; Bullen, Handbook of Means and Their Inequalities (2003)")
def harmonic(x: FloatArray, w: FloatArray, *, missing: Missing = "reweight") -> FloatArray:
    """A zero child makes the mean zero (the limit)."""
    x0, weff, total = _prepare(x, w, missing)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = _sum_children(np.where(weff > 0, weff / np.where(weff > 0, x0, 1.0), 0.0))
        return np.where(np.isinf(inv), 0.0, total / inv)


@METHODS.register("power", summary="weighted generalised (power) mean, (sum(w x^p) / sum(w))^(1/p)",
                  reference="Bullen, Handbook of Means and Their Inequalities (2003), ch. III; COINr a_genmean")
def power(x: FloatArray, w: FloatArray, *, p: float = 2.0, missing: Missing = "reweight") -> FloatArray:
    """``p = 1`` arithmetic, ``p -> 0`` geometric (used at p = 0), ``p = -1`` harmonic. Needs x >= 0 (x > 0 for
    p < 0)."""
    if p == 0:
        return geometric(x, w, missing=missing)
    x0, weff, total = _prepare(x, w, missing)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        terms = np.where(weff > 0, weff * x0**p, 0.0)
        mean = _sum_children(terms) / np.where(total > 0, total, np.nan)
        out: FloatArray = np.where(np.isinf(mean) & (p < 0), 0.0, mean ** (1.0 / p))
    return out


# -- multi-criteria aggregators ---------------------------------------------------------------------------------------
# They rank the units against each other (ideal points, pairwise contests), so a node's score depends on every unit
# of the sample, unlike the means above. Children are oriented "higher is better" by the normaliser, so every child
# is a benefit criterion. A missing child is left out of the unit's distances or contests and the weights of the
# children present are renormalised (``reweight``), or makes the node missing (``propagate``); a unit with every
# child missing gets NaN.
def _finish(score: FloatArray, present: np.ndarray, missing: str) -> FloatArray:
    none = ~present.any(axis=-1)
    bad = none | (~present.all(axis=-1) if missing == "propagate" else none)
    return np.where(bad, np.nan, score)


Normalisation = Literal["vector", "minmax"]


def _one_row(x: FloatArray) -> FloatArray:
    """``x`` itself, or its one row when it is broadcast over samples (propagation passes the indicators that way):
    the weight-independent work is then done once for every sample."""
    return x[:1] if x.ndim == 3 and x.shape[0] > 1 and x.strides[0] == 0 else x


def _child_sums(w: FloatArray, present: np.ndarray, terms: Sequence[tuple[int, FloatArray]]
                ) -> tuple[FloatArray, list[FloatArray]]:
    """``T = sum_j w_j [j present]`` and ``sum_j w_j^p t_j`` for each ``(p, t)`` in ``terms`` (p is 1 or 2), per
    sample and unit ``(S, U)``.

    ``w`` ``(S, 1 | U, C)`` may differ per sample while the terms ``(1 | S, U, C)`` are shared by all samples.
    With one table for many weight vectors (``(S, 1, C)`` against ``(1, U, C)``: uncertainty propagation) each sum is
    one matrix product ``(S, C) @ (C, U)``. Otherwise the sums run child by child, left to right, over ``(S, U)``
    planes: a sample's value is then the same bit for bit whatever batch it is computed in (a matrix product agrees
    to rounding only, about 1e-15 relative), and nothing of size ``(S, U, C)`` is made."""
    wb = np.asarray(w, dtype=float)
    c = present.shape[-1]
    if wb.ndim == 3 and present.ndim == 3 and present.shape[0] == 1 and wb.shape[0] > 1 and wb.shape[1] == 1:
        w2d = wb[:, 0, :]
        mats = {1: w2d, 2: w2d * w2d}
        return w2d @ present[0].T.astype(float), [mats[p] @ t[0].T for p, t in terms]
    total: FloatArray = wb[..., 0] * present[..., 0]
    pairs = list(terms)
    sums: list[FloatArray] = [(wb[..., 0] ** p) * t[..., 0] for p, t in pairs]
    for j in range(1, c):
        wj = wb[..., j]
        total = total + wj * present[..., j]
        for k, (p, t) in enumerate(pairs):
            sums[k] = sums[k] + (wj if p == 1 else wj * wj) * t[..., j]
    return total, sums


def _inverse(total: FloatArray) -> FloatArray:
    """``1 / T`` where ``T > 0``, else 0 (the renormalised weights of a unit whose children weigh nothing)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(total > 0, 1.0 / np.where(total > 0, total, 1.0), 0.0)
    return out


def topsis_closeness(x: FloatArray, w: FloatArray, normalisation: Normalisation = "vector") -> FloatArray:
    """TOPSIS relative closeness ``C = D- / (D+ + D-)`` in [0, 1], ``(S, U)``, all children benefit criteria.

    ``r_ij = x_ij / sqrt(sum_i x_ij^2)`` (vector) or ``(x_ij - min_j) / (max_j - min_j)`` (minmax) over the units
    present; ideal ``r+_j = max_i r_ij`` and anti-ideal ``r-_j = min_i r_ij``; ``D+_i = sqrt(sum_j (w_ij (r_ij -
    r+_j))^2)``, ``D-_i`` likewise, with ``w_i`` the weights renormalised over unit i's children present. A unit at
    both the ideal and the anti-ideal (no spread at all) gets 0.5. A cost criterion can be entered negated.

    Computed as ``D+_i = sqrt(sum_j w_j^2 (r_ij - r+_j)^2) / T_i`` with ``T_i`` the weight of unit i's children
    present: the normalised values and squared gaps depend on no weight, so for indicators shared by all samples
    they are computed once, and only the weighted sums are done per sample."""
    x = _one_row(x)
    present = ~np.isnan(x)
    with quiet():
        if normalisation == "vector":
            norm = np.sqrt(np.nansum(x * x, axis=1, keepdims=True))
            r = np.where(norm > 0, x / np.where(norm > 0, norm, 1.0), 0.0)
        else:
            mn = np.nanmin(x, axis=1, keepdims=True)
            rng = np.nanmax(x, axis=1, keepdims=True) - mn
            r = np.where(rng > 0, (x - mn) / np.where(rng > 0, rng, 1.0), 0.0)
        r = np.where(present, r, np.nan)
        best = np.nanmax(r, axis=1, keepdims=True)
        worst = np.nanmin(r, axis=1, keepdims=True)
        gap_plus = np.where(present, (r - best) ** 2, 0.0)
        gap_minus = np.where(present, (r - worst) ** 2, 0.0)
    total, (sq_plus, sq_minus) = _child_sums(w, present, [(2, gap_plus), (2, gap_minus)])
    inv = _inverse(total)
    d_plus = np.sqrt(sq_plus) * inv
    d_minus = np.sqrt(sq_minus) * inv
    dist = d_plus + d_minus
    with quiet():
        out: FloatArray = np.where(dist > 0, d_minus / np.where(dist > 0, dist, 1.0), 0.5)
    return out


@METHODS.register("topsis", relative=True,
                  summary="TOPSIS: relative closeness to the ideal unit, D- / (D+ + D-), times scale",
                  reference="Hwang & Yoon (1981) Multiple Attribute Decision Making, Springer LNEMS 186; "
                  "Opricovic & Tzeng (2004) EJOR 156, 445-455",
                  validate=lambda p: None if p["scale"] > 0 else "scale must be positive")
def topsis(x: FloatArray, w: FloatArray, *, normalisation: Normalisation = "vector", scale: float = 100.0,
           missing: Missing = "reweight") -> FloatArray:
    """Closeness (see :func:`topsis_closeness`) times ``scale`` (0-100 by default). With vector normalisation the
    scores are invariant to a positive rescaling of any child; with minmax also to a shift."""
    return _finish(topsis_closeness(x, w, normalisation) * scale, ~np.isnan(_one_row(x)), missing)


def vikor_srq(x: FloatArray, w: FloatArray, v: float = 0.5) -> tuple[FloatArray, FloatArray, FloatArray]:
    """VIKOR's group utility S, individual regret R and compromise index Q, each ``(S, U)`` (lower is better).

    ``f*_j = max_i x_ij``, ``f-_j = min_i x_ij``; ``d_ij = (f*_j - x_ij) / (f*_j - f-_j)`` (0 where the child does not
    vary); ``S_i = sum_j w_ij d_ij``, ``R_i = max_j w_ij d_ij``; ``Q_i = v (S_i - S*) / (S- - S*) + (1 - v)
    (R_i - R*) / (R- - R*)`` with ``S* = min S``, ``S- = max S`` (likewise R), a term being 0 where its range is 0.
    ``w_i`` are the weights renormalised over unit i's children present (``w_j / T_i``): ``d`` depends on no
    weight, so for indicators shared by all samples it is computed once."""
    x = _one_row(x)
    present = ~np.isnan(x)
    with quiet():
        hi = np.nanmax(x, axis=1, keepdims=True)
        lo = np.nanmin(x, axis=1, keepdims=True)
        rng = hi - lo
        d = np.where(present & (rng > 0), (hi - x) / np.where(rng > 0, rng, 1.0), 0.0)
    total, (util,) = _child_sums(w, present, [(1, d)])
    inv = _inverse(total)
    wb = np.asarray(w, dtype=float)
    # the largest weighted distance, child by child (exact: a maximum does not round)
    dm = np.where(present, d, -np.inf)
    regret = wb[..., 0] * dm[..., 0]
    for j in range(1, d.shape[-1]):
        regret = np.maximum(regret, wb[..., j] * dm[..., j])
    none = ~present.any(axis=-1)
    s_ = np.where(none, np.nan, util * inv)
    with quiet():
        r_ = np.where(none, np.nan, np.where(inv > 0, regret * inv, 0.0))

    def part(a: FloatArray) -> FloatArray:
        with quiet():
            a_min = np.nanmin(a, axis=-1, keepdims=True)
            span = np.nanmax(a, axis=-1, keepdims=True) - a_min
            out: FloatArray = np.where(span > 0, (a - a_min) / np.where(span > 0, span, 1.0), 0.0)
        return np.where(np.isnan(a), np.nan, out)

    q = v * part(s_) + (1.0 - v) * part(r_)
    return s_, r_, q


@METHODS.register("vikor", relative=True,
                  summary="VIKOR compromise ranking: score (1 - Q) times scale, Q mixing group utility S "
                  "and individual regret R with weight v",
                  reference="Opricovic (1998); Opricovic & Tzeng (2004) EJOR 156, 445-455",
                  validate=lambda p: None if 0 <= p["v"] <= 1 and p["scale"] > 0 else "needs 0 <= v <= 1, scale > 0")
def vikor(x: FloatArray, w: FloatArray, *, v: float = 0.5, scale: float = 100.0,
          missing: Missing = "reweight") -> FloatArray:
    """``(1 - Q) * scale``: Q is 0 for the best compromise, so higher is better like every node score (see
    :func:`vikor_srq`; ``v`` is the weight of the majority's utility S against the individual regret R). VIKOR's
    acceptance conditions (advantage, stability) are left to the user; use :func:`vikor_srq` for S, R and Q."""
    return _finish((1.0 - vikor_srq(x, w, v)[2]) * scale, ~np.isnan(_one_row(x)), missing)


#: Differences of weight below this share of a pair's total weight count as equal (rounding in sums of weights).
_COPELAND_TOL = 1e-12


def copeland_net(x: FloatArray, w: FloatArray) -> FloatArray:
    """Copeland's net wins ``(S, U)`` from the weighted outranking matrix of Munda & Nardo (2009).

    For units a and b, over the children present for both, with weights the mean of a's and b's, renormalised:
    ``e_ab = sum_{j: x_aj > x_bj} w_j + 1/2 sum_{j: x_aj = x_bj} w_j`` (a tied child gives half its weight to each
    side, so ``e_ab + e_ba = 1``). a beats b when ``e_ab > 1/2``, that is when the weight of the children where a
    is ahead exceeds the weight of those where b is ahead (a difference below 1e-12 of the pair's weight counts as
    none); ``e_ab = 1/2`` is a draw. net = wins - losses. NaN for a unit with every child missing."""
    s_, u, _ = x.shape
    wb = np.broadcast_to(w, x.shape)
    present = ~np.isnan(x)
    net = np.zeros((s_, u))
    with quiet():
        for a in range(u):
            both = present[:, a : a + 1, :] & present
            pair_w = np.where(both, (wb[:, a : a + 1, :] + wb) / 2.0, 0.0)
            total = pair_w.sum(axis=-1)
            ahead = np.where(both & (x[:, a : a + 1, :] > x), pair_w, 0.0).sum(axis=-1)
            behind = np.where(both & (x[:, a : a + 1, :] < x), pair_w, 0.0).sum(axis=-1)
            margin = _COPELAND_TOL * total
            wins = ahead - behind > margin
            losses = behind - ahead > margin
            net[:, a] = wins.sum(axis=-1) - losses.sum(axis=-1)
    return np.where(present.any(axis=-1), net, np.nan)


@METHODS.register("copeland", relative=True,
                  summary="Copeland's pairwise outranking (a tied child counts half for each side): "
                  "wins minus losses against every other unit, rescaled to [0, scale]",
                  reference="Copeland (1951); Munda & Nardo (2009) Applied Economics 41, 1513-1523; OECD/JRC "
                  "Handbook (2008), section 6.2 (non-compensatory aggregation)",
                  validate=lambda p: None if p["scale"] > 0 else "scale must be positive")
def copeland(x: FloatArray, w: FloatArray, *, scale: float = 100.0, missing: Missing = "reweight") -> FloatArray:
    """``scale * (net + (n - 1)) / (2 (n - 1))`` with ``net`` from :func:`copeland_net` and n the units with a
    score: a unit beating all others gets ``scale``, one losing to all gets 0 (``scale / 2`` when n = 1)."""
    present = ~np.isnan(x)
    net = copeland_net(x, w)
    n = (~np.isnan(net)).sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n > 1, (net + (n - 1)) / (2.0 * np.maximum(n - 1, 1)), 0.5) * scale
    return _finish(out, present, missing)


class AggregateKernel(Protocol):
    """The signature of every aggregate method (the children's scores combined into the node's);
    keyword arguments are its parameters."""

    def __call__(self, x: FloatArray, weights: FloatArray, /, **params: Any) -> FloatArray: ...
