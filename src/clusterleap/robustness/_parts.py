"""One part of a propagation: its samples scored, ranked and summarised chunk by chunk, in this thread, in threads
(:func:`_in_threads`) or in a worker process (:func:`_worker_part`). :func:`._propagate.propagate` splits the
samples into parts and merges what they give."""

from __future__ import annotations

import collections
import queue
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._pipeline import rank_scores
from ..grading import GradingScheme
from ..stages._arrays import FloatArray, quiet, rank_order
from ._batches import _Chunk, _chunks, _exists, _nominal, _Prepared, _run_chunk
from ._problem import IntArray, Problem
from ._streaming import RankSummary
from ._summaries import tier_counts, tier_grader


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


