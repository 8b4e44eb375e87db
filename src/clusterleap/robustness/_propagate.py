"""Propagation: push every sample of an uncertainty space through the pipeline at once, on the sample axis.

Three separate steps, as in SALib: declare the uncertain choices (a :class:`~._space.Space` of factors), draw
samples of them (uniforms in ``[0, 1)``, one column per factor dimension: :meth:`.Problem.sample` for Monte Carlo,
:meth:`.Problem.saltelli` for Sobol' analysis; :mod:`._designs`), and push all samples through the pipeline at once
(:func:`propagate`). The outputs (:class:`~._samples.Samples`) carry every sampled score and rank, and summarise into
rank intervals, mean absolute rank shifts, grade probabilities (:mod:`._summaries`) and Sobol' indices.

Categorical choices split the samples into batches, one per combination of choices. Per batch the stages up to
normalisation (which do not depend on weights) run once (once per sample only when goalposts vary), then
``aggregate_tree`` and ``rank_scores`` run on the whole batch with a weight vector per sample, in chunks of bounded
memory, optionally in threads or worker processes. Combinations that cannot work (a geometric mean of negative
z-scores) give NaN, never an error; :attr:`Samples.failed` counts them.

References: Saisana M., Saltelli A., Tarantola S. (2005), Uncertainty and sensitivity analysis techniques as tools
for the quality assessment of composite indicators, J. R. Stat. Soc. A 168(2), 307-323; OECD/JRC Handbook on
Constructing Composite Indicators (2008), step 7; COINr ``get_sensitivity``.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
import queue
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._dataset import Dataset
from .._framework import Framework
from .._pipeline import aggregate_tree, check_norm_inputs, node_weights, norm_context, normalise, prepare, rank_scores
from .._recipe import Plan, Recipe
from ..errors import DataWarning, SpaceError
from ..grading import GradingScheme
from ..stages._arrays import FloatArray, quiet, rank_order
from ..stages.normalise import NormContext
from . import _designs as designs
from ._memory import check_runs
from ._problem import Draws, IntArray, Problem
from ._samples import Samples
from ._space import Space
from ._streaming import CHUNK_CELLS, RankSummary
from ._summaries import tier_counts, tier_grader

__all__ = ["propagate", "uncertainty_analysis"]


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


@dataclass(frozen=True)
class _PartOut:
    """What propagating one part of the samples gives: their scores and ranks (when kept), failure flags and index
    rank shifts, and the summary of their independent samples."""

    cat: IntArray
    scores: FloatArray | None
    ranks: FloatArray | None
    failed: npt.NDArray[np.bool_]
    shift: FloatArray
    summary: RankSummary
    grades: IntArray | None  # (tiers + 1, units): counts per tier, the last row ungraded


#: Samples decoded at a time: the decoded weights of a slice stay small (about 30 MB for a few dozen weights).
DECODE_SLICE = 65_536


def _propagate_part(problem: Problem, u: FloatArray, nodes: tuple[str, ...], chunk: int,
                    independent: npt.NDArray[np.bool_], keep: bool, grading: GradingScheme | None = None,
                    progress: Callable[[int], None] | None = None, threads: int = 1) -> _PartOut:
    """Score, rank and summarise the samples ``u`` chunk by chunk (decoded a slice at a time); full arrays are made
    only when kept. ``threads > 1`` works that many chunks at a time (see :func:`_in_threads`)."""
    s, n_units, k = u.shape[0], len(problem.units), len(nodes)
    nominal_scores, nominal_ranks = _nominal(problem, nodes)
    lost = {i: ~np.isnan(nominal_scores)[None] & _exists(problem, fw, nodes)[None, None, :]
            for i, fw in enumerate(problem.frameworks)}
    scores_all = np.full((s, n_units, k), np.nan) if keep else None
    ranks_all = np.full((s, n_units, k), np.nan) if keep else None
    failed = np.zeros(s, dtype=bool)
    shift = np.full(s, np.nan)
    cat = np.zeros((s, 1 + len(problem.choices)), dtype=np.intp)
    grader = None if grading is None else tier_grader(problem, grading, nodes)
    n_tiers = 0 if grading is None else len(grading.tiers)
    accumulators = [_Accumulator(RankSummary.empty(n_units, k),
                                 None if grading is None else np.zeros((n_tiers + 1, n_units), dtype=np.int64))
                    for _ in range(max(1, threads))]

    def work(start: int, sub: IntArray, c: _Chunk, acc: _Accumulator) -> FloatArray:
        """Propagate one chunk into ``acc``; return its own sum of scores (see :func:`_in_threads`)."""
        running, acc.summary.score_sum = acc.summary.score_sum, np.zeros_like(acc.summary.score_sum)
        scores = _propagate_chunk(problem, start + sub, c, nominal_scores, nominal_ranks, lost, independent,
                                  acc.summary, (scores_all, ranks_all, failed, shift))
        own, acc.summary.score_sum = acc.summary.score_sum, running
        if acc.grades is not None and grader is not None:
            ind = independent[start + sub]
            acc.grades += tier_counts(grader(scores[ind] if not ind.all() else scores), n_tiers)
        return own

    def tasks() -> Iterator[tuple[int, IntArray, _Chunk]]:
        prepared = _Prepared(problem)
        for start in range(0, s, DECODE_SLICE):
            draws = problem.decode(u[start : start + DECODE_SLICE])
            cat[start : start + DECODE_SLICE] = draws.cat
            for sub, c in _chunks(problem, draws, nodes, chunk, prepared):
                yield start, sub, c

    score_sum = accumulators[0].summary.score_sum
    if threads <= 1:
        for start, sub, c in tasks():
            score_sum += work(start, sub, c, accumulators[0])
            if progress is not None:
                progress(len(sub))
    else:
        _in_threads(tasks(), work, accumulators, score_sum, progress)
    summary, grades = accumulators[0].summary, accumulators[0].grades
    for acc in accumulators[1:]:
        acc.summary.score_sum[...] = 0.0  # their chunks' sums are in score_sum already, added in chunk order
    for acc in accumulators[1:]:
        summary.merge(acc.summary)
        if grades is not None and acc.grades is not None:
            grades += acc.grades
    return _PartOut(cat, scores_all, ranks_all, failed, shift, summary, grades)


@dataclass
class _Accumulator:
    """What one thread adds its chunks to: a rank summary and grade counts; merged when every chunk is done."""

    summary: RankSummary
    grades: IntArray | None


def _in_threads(tasks: Iterator[tuple[int, IntArray, _Chunk]],
                work: Callable[[int, IntArray, _Chunk, _Accumulator], FloatArray], accumulators: list[_Accumulator],
                score_sum: FloatArray, progress: Callable[[int], None] | None) -> None:
    """Work the chunks ``tasks`` in ``len(accumulators)`` threads, each chunk added to a free accumulator, and add
    the chunks' sums of scores into ``score_sum`` in chunk order.

    numpy releases the GIL inside its kernels (sorts, ufunc loops, reductions over arrays of a chunk's size), so
    threads over chunks keep both cores busy without a process's start-up and without copying the problem. Chunks
    are made (decoded, and any new normalisation prepared) in the calling thread, at most two per thread ahead;
    each writes only its own samples' rows of the per-sample arrays. Counts, extremes and shifts (multiples of one
    half) add up exactly in any order; the sums of scores are added here in the order one thread would add them, so
    the figures are those of one thread to the last bit, whichever thread ends first. Warning filters are
    process-wide and ``warnings.catch_warnings`` is not thread-safe, so the filters are saved here, before the
    threads start, and restored when they end: whatever order the threads' own ``quiet()`` blocks end in, nothing
    leaks out."""
    free: queue.SimpleQueue[_Accumulator] = queue.SimpleQueue()
    for acc in accumulators:
        free.put(acc)

    def run(start: int, sub: IntArray, c: _Chunk) -> FloatArray:
        acc = free.get()
        try:
            return work(start, sub, c, acc)
        finally:
            free.put(acc)

    def finish(item: tuple[int, Future[FloatArray]]) -> None:
        n, future = item
        score_sum[...] += future.result()
        if progress is not None:
            progress(n)

    with quiet(), ThreadPoolExecutor(max_workers=len(accumulators)) as pool:
        pending: collections.deque[tuple[int, Future[FloatArray]]] = collections.deque()
        for start, sub, c in tasks:
            pending.append((len(sub), pool.submit(run, start, sub, c)))
            while len(pending) > 2 * len(accumulators) or (pending and pending[0][1].done()):
                finish(pending.popleft())
        while pending:
            finish(pending.popleft())


def _propagate_chunk(problem: Problem, sub: IntArray, c: _Chunk, nominal_scores: FloatArray,
                     nominal_ranks: FloatArray, lost: Mapping[int, npt.NDArray[np.bool_]],
                     independent: npt.NDArray[np.bool_], summary: RankSummary,
                     out: tuple[FloatArray | None, FloatArray | None, npt.NDArray[np.bool_], FloatArray]) -> FloatArray:
    """One chunk: scores and ranks, its samples' failure flags and index shifts into ``out``, its independent
    samples into ``summary``, and the scores and ranks into ``out`` when kept. Returns the chunk's scores."""
    scores_all, ranks_all, failed, shift = out
    n_units, k = nominal_ranks.shape
    r0 = nominal_ranks[:, 0]
    ok0 = ~np.isnan(r0)
    res = _run_chunk(c)
    cols = np.flatnonzero(c.positions >= 0)
    if len(cols) == k:
        scores = res
    else:
        scores = np.full((len(sub), n_units, k), np.nan)
        scores[:, :, cols] = res
    fw_i = next(i for i, f in enumerate(problem.frameworks) if f is c.framework)
    failed[sub] = (np.isnan(scores) & lost[fw_i]).any(axis=(1, 2))
    ind = independent[sub]
    step = problem.recipe.rank.default
    if scores_all is None and step.method == "descending":
        # summaries only: count the ranks as the sort leaves them, never putting them back in unit order
        index_ranks = _count_sorted(scores, step.kwargs, summary, nominal_ranks, ind)
        shift[sub] = np.abs(index_ranks[:, ok0] - r0[ok0]).mean(axis=1)
        return scores
    # ranking is per sample and node, so ranking a chunk gives what ranking every sample alone gives
    ranks = rank_scores(scores, problem.recipe)
    shift[sub] = np.abs(ranks[:, ok0, 0] - r0[ok0]).mean(axis=1)
    if ind.all():
        summary.add(ranks, scores, nominal_ranks)
    elif ind.any():
        summary.add(ranks[ind], scores[ind], nominal_ranks)
    if scores_all is not None and ranks_all is not None:
        scores_all[sub] = scores
        ranks_all[sub] = ranks
    return scores


def _count_sorted(scores: FloatArray, kwargs: Mapping[str, Any], summary: RankSummary, nominal_ranks: FloatArray,
                  ind: npt.NDArray[np.bool_]) -> FloatArray:
    """Rank a chunk's scores ``(S, units, nodes)`` as the ``descending`` rank stage does (one sort per sample and
    node), count the independent samples' ranks into ``summary`` and return the first node's ranks ``(S, units)``
    (for the index rank shifts): only that node's ranks are put back in unit order."""
    decimals, ties = kwargs.get("decimals"), kwargs.get("ties", "min")
    x = np.round(scores, decimals) if decimals is not None else scores
    order, at = rank_order(x, ties, descending=True)
    if ind.all():
        summary.add_sorted(order, at, scores, nominal_ranks)
    elif ind.any():
        summary.add_sorted(order[ind], at[ind], scores[ind], nominal_ranks)
    first = np.empty(order.shape[::2])
    np.put_along_axis(first, order[:, 0], at[:, 0], axis=1)
    return first


#: The problem a worker process propagates parts of (set once per process by :func:`_init_worker`).
_WORKER_PROBLEM: list[Problem] = []


def _init_worker(problem: Problem) -> None:
    _WORKER_PROBLEM[:] = [problem]


def _worker_part(u: FloatArray, nodes: tuple[str, ...], chunk: int, independent: npt.NDArray[np.bool_],
                 keep: bool, grading: GradingScheme | None, threads: int = 1) -> _PartOut:
    return _propagate_part(_WORKER_PROBLEM[0], u, nodes, chunk, independent, keep, grading, threads=threads)


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


def propagate(
    problem: Problem,
    uniforms: FloatArray,
    *,
    nodes: Literal["aggregates", "all"] | Sequence[str] = "aggregates",
    chunk: int | None = None,
    workers: int = 1,
    threads: int = 1,
    progress: Callable[[int, int], None] | None = None,
    design: Literal["montecarlo", "saltelli"] = "montecarlo",
    seed: int | None = None,
    keep: bool = True,
    grading: GradingScheme | None = None,
    memory_limit: int | None = None,
) -> Samples:
    """Scores and ranks of every sample ``uniforms`` ``(S, dims)``, all at once on the sample axis.

    ``nodes``: which nodes to keep (default every aggregate; ``"all"`` adds indicators). ``chunk``: samples per
    array pass (default: about a million cells, 8 MB per array). ``threads > 1`` works that many chunks at a time in
    threads of this process (numpy releases the GIL in its kernels; no start-up, nothing copied; it pays where each
    chunk's arrays are large: with few units the lock is held too often for a second thread to gain).
    ``workers > 1`` splits the samples into parts propagated in that many processes (each gets the problem once, and
    works its part with ``threads`` threads; starting them costs about a second). Neither changes any figure.
    ``progress(done, total)`` is called after each chunk (after each part with workers). ``keep=False`` keeps no
    sample's scores or ranks, only the summaries accumulated chunk by chunk (rank counts for exact rank intervals,
    score means and bounds, and per sample the failure flag and the index rank shift): memory is then bounded by the
    chunk and those per-sample figures, not by samples x units x nodes. ``grading``: also count every independent
    sample's grades under that scheme, so that :func:`grade_shares` needs no kept samples.

    Before allocating, what the propagation will hold beside the given uniforms is estimated
    (:func:`._memory.memory_estimate`) and a run above ``memory_limit`` bytes (default: 80 % of the memory
    available) or above :data:`._memory.MAX_RUNS` runs raises :class:`~clusterleap.errors.MemoryLimitError` with
    both figures."""
    t0 = time.perf_counter()
    u = np.asarray(uniforms, dtype=float)
    problem.decode(u[:1])  # checks the shape
    out_nodes = problem.output_nodes(nodes)
    s, n_units, k = u.shape[0], len(problem.units), len(out_nodes)
    check_runs(s, n_units, k, 0, keep=keep, workers=workers, threads=threads, limit=memory_limit, what="uniforms",
               hint="propagate fewer samples" + (", or keep=False" if keep else ""))
    if chunk is None:
        widest = max(len(f.order) for f in problem.frameworks)
        chunk = max(1, CHUNK_CELLS // (n_units * widest))
    if chunk < 1:
        raise SpaceError(f"chunk {chunk} must be at least 1 sample")
    nominal_scores, nominal_ranks = _nominal(problem, out_nodes)
    independent = designs.independent(s, len(problem.blocks), design)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, s)

    if threads < 1 or workers < 1:
        raise SpaceError(f"threads ({threads}) and workers ({workers}) must be at least 1")
    if workers <= 1 or s <= chunk:
        out = _propagate_part(problem, u, out_nodes, chunk, independent, keep, grading, tick, threads)
        cat, scores, ranks, failed, shift, summary = out.cat, out.scores, out.ranks, out.failed, out.shift, out.summary
        grades = out.grades
    else:
        # contiguous parts, a few per worker (for progress and balance); each process gets the problem once.
        # "spawn": forking a process that runs threads (a progress bar's refresher) can deadlock the children.
        n_parts = min(-(-s // chunk), 4 * workers)
        bounds = np.linspace(0, s, n_parts + 1).astype(int)
        scores = np.full((s, n_units, k), np.nan) if keep else None
        ranks = np.full((s, n_units, k), np.nan) if keep else None
        cat = np.zeros((s, 1 + len(problem.choices)), dtype=np.intp)
        failed = np.zeros(s, dtype=bool)
        shift = np.full(s, np.nan)
        summary = RankSummary.empty(n_units, k)
        grades = None if grading is None else np.zeros((len(grading.tiers) + 1, n_units), dtype=np.int64)
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker, initargs=(problem,)) as pool:
            futures = [(a, b, pool.submit(_worker_part, u[a:b], out_nodes, chunk, independent[a:b], keep,
                                                  grading, threads))
                       for a, b in itertools.pairwise(bounds) if b > a]
            for a, b, fut in futures:
                part = fut.result()
                if scores is not None and ranks is not None and part.scores is not None and part.ranks is not None:
                    scores[a:b] = part.scores
                    ranks[a:b] = part.ranks
                cat[a:b] = part.cat
                failed[a:b] = part.failed
                shift[a:b] = part.shift
                summary.merge(part.summary)
                if grades is not None and part.grades is not None:
                    grades += part.grades
                tick(int(b - a))
    n_base = designs.base_samples(s, len(problem.blocks), design)
    empty = np.empty((0, n_units, k))
    return Samples(problem, u, cat, out_nodes, empty if scores is None else scores,
                   empty if ranks is None else ranks, nominal_scores, nominal_ranks, design, n_base, seed,
                   time.perf_counter() - t0, keep, summary, failed, shift,
                   None if grading is None or grades is None else (grading, grades))


def uncertainty_analysis(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
    space: Space | str | Path | Mapping[str, Any] | None = None,
    *,
    samples: int = 1000,
    seed: int | None = None,
    sobol: bool = False,
    year: int | None = None,
    nodes: Literal["aggregates", "all"] | Sequence[str] = "aggregates",
    chunk: int | None = None,
    workers: int = 1,
    threads: int = 1,
    progress: Callable[[int, int], None] | None = None,
    keep: bool = True,
    memory_limit: int | None = None,
) -> Samples:
    """Build the problem, draw ``samples`` (Monte Carlo; with ``sobol``, ``samples`` base points of the Saltelli
    design, so ``samples (factors + 2)`` runs) from ``seed`` and propagate them. Without a seed one is drawn from
    the operating system and recorded in :attr:`Samples.seed`. ``keep=False``: summaries only (see
    :func:`propagate`).

    The whole analysis' memory is estimated before anything is drawn (:func:`._memory.memory_estimate`, the
    estimate ``clusterleap robustness`` makes): more than ``memory_limit`` bytes (default: 80 % of the memory
    available to the process) or more than :data:`._memory.MAX_RUNS` runs raises
    :class:`~clusterleap.errors.MemoryLimitError` naming the runs, the estimate and the limit."""
    if samples < 1:
        raise SpaceError(f"samples {samples} must be at least 1")
    problem = Problem.build(framework, data, recipe, space, year)
    runs = samples * (len(set(problem.groups)) + 2) if sobol else samples
    check_runs(runs, len(problem.units), len(problem.output_nodes(nodes)), problem.dims, keep=keep,
               workers=workers, threads=threads, limit=memory_limit,
               hint="use fewer samples" + ("" if not keep else ", or keep=False"))
    if seed is None:
        seed = designs.fresh_seed()
    u = (problem.saltelli(samples, seed, memory_limit=memory_limit) if sobol
         else problem.sample(samples, seed, memory_limit=memory_limit))
    return propagate(problem, u, nodes=nodes, chunk=chunk, workers=workers, threads=threads, progress=progress,
                     design="saltelli" if sobol else "montecarlo", seed=seed, keep=keep, memory_limit=memory_limit)
