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

import itertools
import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._dataset import Dataset
from .._framework import Framework
from .._recipe import Recipe
from ..errors import SpaceError
from ..grading import GradingScheme
from ..stages._arrays import FloatArray
from . import _designs as designs
from ._batches import _combinations as _combinations  # re-exported: tests and callers import it from here
from ._batches import _nominal
from ._memory import check_runs
from ._parts import _init_worker, _propagate_part, _worker_part
from ._problem import Problem
from ._samples import Samples
from ._space import Space
from ._streaming import CHUNK_CELLS, RankSummary

__all__ = ["propagate", "uncertainty_analysis"]


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
