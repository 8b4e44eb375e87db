"""Shapley values of switching a node's children from one set of scores to another under the node's aggregation,
the kernel of the gap decomposition (``_gaps``): exact enumeration of the ``2^C`` mixes of ``C`` children in chunks
within :data:`MAX_SHAPLEY_BYTES`, the same for one unit among the others (aggregations that compare units), and
beyond :data:`MAX_SHAPLEY_CHILDREN` children the average of the forward and backward sequential decompositions.
Shorrocks A. 2013, "Decomposition procedures for distributional analysis: a unified framework based on the Shapley
value", Journal of Economic Inequality 11, 99-126.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..stages._arrays import FloatArray, quiet
from ..stages.aggregate import AggregateKernel

__all__ = ["MAX_SHAPLEY_BYTES", "MAX_SHAPLEY_CHILDREN", "PATH_AVERAGE", "SHAPLEY", "decomposition_method", "shapley",
           "shapley_in_place"]

#: Largest number of children decomposed by exact Shapley enumeration (2^C evaluations).
MAX_SHAPLEY_CHILDREN = 14
#: Largest array (bytes) the exact enumeration builds at once: the ``2^C`` mixes of a chunk of units' children.
MAX_SHAPLEY_BYTES = 64 * 2**20
#: The names of the decompositions at a node, as :attr:`Gaps.decomposition` gives them.
SHAPLEY, PATH_AVERAGE = "Shapley", "path average"


def decomposition_method(children: int) -> str:
    """How a node with ``children`` children is decomposed: exact Shapley values, or (beyond
    :data:`MAX_SHAPLEY_CHILDREN`) the average of the forward and backward sequential decompositions."""
    return SHAPLEY if children <= MAX_SHAPLEY_CHILDREN else PATH_AVERAGE


def shapley(func: AggregateKernel, a: FloatArray, b: FloatArray, w: FloatArray, **kwargs: Any) -> FloatArray:
    """Shapley values ``(U, C)`` of switching each child from ``a`` to ``b`` (both ``(U, C)``) in the aggregation
    ``func(x (S, U, C), w, **kwargs) -> (S, U)``; they sum to ``f(b) - f(a)`` per unit.

    ``phi_k = sum over subsets S without k of |S|! (C - |S| - 1)! / C! * (f(S + k) - f(S))``, where ``f(S)`` takes
    the children in ``S`` from ``b`` and the others from ``a``. Children equal in ``a`` and ``b`` get exactly 0.

    Units are taken in chunks so that the ``(2^C, units, C)`` mixes stay within :data:`MAX_SHAPLEY_BYTES`. Beyond
    :data:`MAX_SHAPLEY_CHILDREN` children this returns the path average (:func:`_path_average`), not Shapley
    values."""
    c = a.shape[-1]
    if c > MAX_SHAPLEY_CHILDREN:
        return _path_average(func, a, b, w, **kwargs)
    u = a.shape[0]
    step = max(1, MAX_SHAPLEY_BYTES // (2**c * c * 8))
    if u <= step:
        return _shapley_exact(func, a, b, w, **kwargs)
    per_unit = w.ndim == 3 and w.shape[1] == u and u > 1
    parts = [_shapley_exact(func, a[i : i + step], b[i : i + step], w[:, i : i + step] if per_unit else w,
                            **kwargs) for i in range(0, u, step)]
    return np.concatenate(parts, axis=0)


def _shapley_exact(func: AggregateKernel, a: FloatArray, b: FloatArray, w: FloatArray, **kwargs: Any) -> FloatArray:
    """Shapley values by enumerating all ``2^C`` subsets at once (see :func:`shapley`)."""
    c = a.shape[-1]
    agg = func  # a kernel of the aggregate registry
    subsets = np.arange(2**c)
    bits = ((subsets[:, None] >> np.arange(c)[None, :]) & 1).astype(bool)  # (2^C, C)
    mixes = np.where(bits[:, None, :], b[None], a[None])  # (2^C, U, C)
    with quiet():
        f = agg(mixes, w, **kwargs)
    size = bits.sum(axis=1)
    coef = np.array([math.factorial(k) * math.factorial(c - k - 1) / math.factorial(c) for k in range(c)])
    phi = np.zeros(a.shape)
    for k in range(c):
        without = subsets[~bits[:, k]]
        with_k = without | (1 << k)
        diff = f[with_k] - f[without]  # (2^(C-1), U)
        phi[:, k] = (coef[size[without]][:, None] * diff).sum(axis=0)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0.0, phi)


def shapley_in_place(func: AggregateKernel, a: FloatArray, b: FloatArray, w: FloatArray, i: int, **kwargs: Any
                      ) -> FloatArray:
    """Shapley values ``(C,)`` for unit ``i`` alone switching from ``a[i]`` to ``b[i]`` while the other units keep
    ``a``: for aggregations that compare units (TOPSIS, VIKOR, Copeland)."""

    block = max(1, MAX_SHAPLEY_BYTES // max(1, a.size * 8))  # mixes per call: (block, U, C) within the bound

    def f_i(x: FloatArray, ww: FloatArray, /, **kw: Any) -> FloatArray:
        out = []
        for start in range(0, x.shape[0], block):
            part = x[start : start + block]
            full = np.repeat(a[None], part.shape[0], axis=0)
            full[:, i] = part[:, 0]
            out.append(func(full, ww, **kw)[:, i : i + 1])
        return np.concatenate(out, axis=0)

    phi: FloatArray = shapley(f_i, a[i : i + 1], b[i : i + 1], w, **kwargs)[0]
    return phi


def _path_average(agg: AggregateKernel, a: FloatArray, b: FloatArray, w: FloatArray, **kwargs: Any) -> FloatArray:
    """Average of the forward (children switched in order) and backward sequential decompositions, with
    ``2 (C + 1)`` evaluations: the parts add up exactly to ``f(b) - f(a)``, but they are Shapley values only for an
    additive aggregation (an arithmetic mean); otherwise they depend on the children's order."""
    c = a.shape[-1]
    steps = np.tril(np.ones((c + 1, c), dtype=bool), -1)  # row r: the first r children switched
    fwd_mix = np.where(steps[:, None, :], b[None], a[None])
    bwd_mix = np.where(steps[:, None, ::-1], b[None], a[None])
    with quiet():
        f_fwd = agg(fwd_mix, w, **kwargs)
        f_bwd = agg(bwd_mix, w, **kwargs)
    fwd = np.diff(f_fwd, axis=0).T  # child k switched at step k + 1
    bwd = np.diff(f_bwd, axis=0).T[:, ::-1]
    out: FloatArray = (fwd + bwd) / 2
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0.0, out)
