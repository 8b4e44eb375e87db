"""The tree: indicator scores combined up to the index with weights that may differ per sample, and ranks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._framework import Framework
from .._recipe import Recipe, Step
from ..errors import RecipeError
from ..stages import aggregate as aggregate_stage
from ..stages import rank as rank_stage
from ..stages import weight as weight_stage
from ..stages._arrays import FloatArray, quiet
from ..stages.weight import WeightContext


def node_weights(fw: Framework) -> FloatArray:
    """The framework's weight of every node in ``fw.order`` (not yet renormalised), shape ``(1, nodes)``."""
    return np.array([[fw.by_code[c].weight for c in fw.order]])


def aggregate_tree(
    fw: Framework,
    normalised: FloatArray,
    recipe: Recipe,
    weights: FloatArray | None = None,
    *,
    strict: bool = True,
    units: Sequence[str] = (),
    nodes: Sequence[int] | None = None,
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Scores ``(samples, units, nodes)`` of every node in ``fw.order`` (or of the positions ``nodes`` in it) and
    the weights used per parent.

    ``weights``: nominal weights per node ``(samples, nodes)`` (default: the framework's). With ``strict``, a mean
    that needs non-negative children and gets a negative one raises instead of returning NaN. Indicator scores are
    the normalised values; they are broadcast, never copied per sample, unless asked for."""
    w = node_weights(fw) if weights is None else weights
    pos = {c: i for i, c in enumerate(fw.order)}
    ind = {c: i for i, c in enumerate(fw.indicators)}
    s = max(normalised.shape[0], w.shape[0])
    shape = (s, normalised.shape[1])
    computed: dict[str, FloatArray] = {}

    def column(code: str) -> FloatArray:
        if code in ind:
            return np.broadcast_to(normalised[:, :, ind[code]], shape)
        return computed[code]

    used: dict[str, FloatArray] = {}
    with quiet():
        for code in fw.aggregates:
            kids = fw.children[code]
            if all(k in ind for k in kids):
                # Indicator children are the same for every sample unless normalisation varies: a broadcast view,
                # not copies (the mean kernels then compute on one row).
                x = normalised[:, :, [ind[k] for k in kids]]
                if x.shape[0] != s:
                    x = np.broadcast_to(x, (s, *x.shape[1:]))
            else:
                x = np.stack([column(k) for k in kids], axis=-1)
            level = fw.level[code]
            wstep = recipe.weight.step_for(code, level)
            wfun = weight_stage.METHODS.get(wstep.method).func
            # C order: sums over children then take the same order for one sample as for many
            wk = wfun(x, np.ascontiguousarray(w[:, [pos[k] for k in kids]]), WeightContext(code, kids),
                      **wstep.kwargs)
            used[code] = wk
            astep = recipe.aggregate.step_for(code, level)
            if strict and astep.method in ("geometric", "harmonic", "power"):
                _check_nonnegative(code, kids, x, astep, units)
            computed[code] = np.asarray(aggregate_stage.METHODS.get(astep.method).func(x, wk, **astep.kwargs))
    wanted = list(range(len(fw.order))) if nodes is None else list(nodes)
    scores = np.empty((*shape, len(wanted)))
    for j, p in enumerate(wanted):
        scores[:, :, j] = column(fw.order[p])
    return scores, used


def _check_nonnegative(code: str, kids: Sequence[str], x: FloatArray, step: Step, units: Sequence[str]) -> None:
    neg = x < 0
    if neg.any():
        s, u, k = (int(v) for v in np.argwhere(neg)[0])
        unit = repr(units[u % len(units)]) if units else f"#{u + 1}"
        raise RecipeError(
            f"aggregate, node {code!r}: the {step.method} mean needs non-negative children, but {kids[k]!r} is "
            f"{x[s, u, k]:.4g} for unit {unit} (normalise to a non-negative range, e.g. minmax, or aggregate "
            "arithmetically)"
        )


def rank_scores(scores: FloatArray, recipe: Recipe) -> FloatArray:
    """Ranks of every node's scores, 1 = best."""
    step = recipe.rank.default
    return rank_stage.METHODS.get(step.method).func(scores, **step.kwargs)
