"""Batches and chunks of a propagation: the samples split by combination of categorical choices, the stages up to
normalisation run once per combination (:class:`_Prepared`), and each chunk's weights and scores (:func:`_run_chunk`).
Everything a chunk carries is picklable, so that worker processes can run it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .._framework import Framework
from .._pipeline import aggregate_tree, check_norm_inputs, node_weights, norm_context, normalise, prepare
from .._recipe import Plan, Recipe
from ..errors import DataWarning
from ..stages._arrays import FloatArray
from ..stages.normalise import NormContext
from ._problem import Draws, IntArray, Problem


@dataclass(frozen=True)
class _Chunk:
    """One chunk of one batch: everything a worker needs (picklable)."""

    framework: Framework
    recipe: Recipe
    normalised: FloatArray  # (1 | S, units, indicators), or the treated values when ``ctx`` is given
    ctx: NormContext | None
    weights: FloatArray  # (S, nodes)
    positions: IntArray  # output node -> position in framework order (-1: absent)
    units: tuple[str, ...]


def _run_chunk(c: _Chunk) -> FloatArray:
    """Scores ``(S, units, output nodes present)`` of one chunk."""
    if c.ctx is None:
        norm = c.normalised
    else:  # per-sample goalposts: normalise the treated values once per sample
        x = np.broadcast_to(c.normalised, (c.weights.shape[0], *c.normalised.shape[1:]))
        norm = normalise(x, c.recipe.normalise, c.framework, c.ctx)
    scores, _ = aggregate_tree(c.framework, norm, c.recipe, c.weights, strict=False, units=c.units,
                               nodes=c.positions[c.positions >= 0].tolist())
    return scores


def _nominal(problem: Problem, nodes: Sequence[str]) -> tuple[FloatArray, FloatArray]:
    """Nominal scores and ranks ``(units, nodes)`` of the output nodes (NaN where the framework lacks one)."""
    pos = problem.positions(problem.framework, nodes)
    n_units = len(problem.units)
    scores = np.full((n_units, len(nodes)), np.nan)
    ranks = np.full((n_units, len(nodes)), np.nan)
    have = pos >= 0
    scores[:, have] = problem.nominal.score_array[:, pos[have]]
    ranks[:, have] = problem.nominal.rank_array[:, pos[have]]
    return scores, ranks


_TREAT_STAGES = ("denominate", "transform", "impute", "treat")


class _Prepared:
    """The stages up to normalisation, run once per framework and combination of their methods; normalisation once
    more per normaliser (the treated values are shared), as :func:`prepare` would do it."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.treated: dict[tuple[int, tuple[Plan, ...]], FloatArray] = {}
        self.normalised: dict[tuple[int, tuple[Plan, ...], Plan], FloatArray] = {}
        # the nominal evaluation already ran them for the nominal framework and recipe
        key = (0, tuple(problem.recipe.plan(s) for s in _TREAT_STAGES))
        self.treated[key] = problem.nominal.prepared.treated.x
        self.normalised[(*key, problem.recipe.normalise)] = problem.nominal.prepared.normalised

    def get(self, k: int, recipe: Recipe) -> tuple[FloatArray, FloatArray]:
        """Normalised and treated values ``(1, units, indicators)`` of framework ``k`` under ``recipe``."""
        fw, p = self.problem.frameworks[k], self.problem
        key = (k, tuple(recipe.plan(s) for s in _TREAT_STAGES))
        if key not in self.treated:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                prep = prepare(fw, p.data, recipe, [p.year])
            self.treated[key] = prep.treated.x
            self.normalised[(*key, recipe.normalise)] = prep.normalised
        nkey = (*key, recipe.normalise)
        if nkey not in self.normalised:
            ctx = norm_context(fw, None, p.data.units, recipe.basis)
            check_norm_inputs(fw, recipe.normalise, ctx)
            self.normalised[nkey] = normalise(self.treated[key], recipe.normalise, fw, ctx)
        return self.normalised[nkey], self.treated[key]


def _chunks(problem: Problem, draws: Draws, nodes: Sequence[str], chunk: int,
            prepared: _Prepared | None = None) -> Iterator[tuple[IntArray, _Chunk]]:
    """Split the samples into batches (one per combination of choices) and the batches into chunks. ``prepared``:
    the stages up to normalisation already run (kept from one slice of samples to the next)."""
    combos, inverse = _combinations(draws.cat)
    prepared = prepared or _Prepared(problem)
    for ci, combo in enumerate(combos):
        idx = np.flatnonzero(inverse == ci)
        k = int(combo[0])
        fw = problem.frameworks[k]
        recipe = problem.recipe_for(combo[1:])
        normalised, treated = prepared.get(k, recipe)
        ranged = [c for c in problem.gp_codes if c in fw.indicators]
        # goalposts vary per sample where a normaliser reads them: the goalposts method, or any on a goalposts basis
        per_sample = bool(ranged) and (recipe.basis.kind == "goalposts" or any(
            recipe.normalise.step_for(c, 1).method == "goalposts" for c in ranged))
        base_w = node_weights(fw)
        wpos = np.array([fw.order.index(c) if c in fw.by_code else -1 for c in problem.weight_codes], dtype=np.intp)
        have = wpos >= 0
        positions = problem.positions(fw, nodes)
        target, cols = wpos[have], np.flatnonzero(have)
        for start in range(0, len(idx), chunk):
            sub = idx[start : start + chunk]
            # the framework's weights, times the sampled multipliers where a factor varies them (x 1 elsewhere)
            w = np.repeat(base_w, len(sub), axis=0)
            w[:, target] = base_w[:, target] * draws.mult.take(sub, axis=0)[:, cols]
            ctx = problem.goal_context(fw, draws.lo[sub], draws.hi[sub]) if per_sample else None
            yield sub, _Chunk(fw, recipe, treated if per_sample else normalised, ctx, w, positions, problem.units)


def _combinations(cat: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct rows of the option table ``cat`` ``(S, choices)`` in lexicographic order and the row of each
    sample, as ``numpy.unique(cat, axis=0, return_inverse=True)`` gives them: one code per sample (options in mixed
    radix) uniqued as integers, far cheaper than uniquing rows."""
    if cat.shape[0] == 0 or cat.shape[1] == 0:
        combos, inverse = np.unique(cat, axis=0, return_inverse=True)
        return combos, inverse.reshape(-1)
    radix = cat.max(axis=0) + 1
    place = np.ones(cat.shape[1], dtype=np.int64)
    place[:-1] = np.cumprod(radix[::-1])[::-1][1:]
    _, first, inverse = np.unique(cat @ place, return_index=True, return_inverse=True)
    return cat[first], inverse.reshape(-1)


def _exists(problem: Problem, fw: Framework, nodes: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Output nodes that are aggregates of ``fw`` (where a missing score means the sample failed)."""
    pos = problem.positions(fw, nodes)
    return np.array([p >= 0 and not fw.by_code[fw.order[p]].is_indicator for p in pos], dtype=bool)


