"""Benchmark: vectorised uncertainty analysis against a loop of single evaluations, on COINr's ASEM example.

Run alone: ``.venv/bin/python bench/robustness.py``. Reads ../shared/data/asem relative to the project root (skips
with a message when absent). The space: weights ±25 % at every level, min-max (1-100) or z-score (mean 10, sd 2),
arithmetic or geometric mean, imputation on or off: COINr's sensitivity example, whose shifted scales keep geometric
means defined. The baseline runs the same samples one by one through ``clusterleap.evaluate`` in this process
(100 of them, scaled to N), as COINr's ``get_sensitivity`` regenerates its coin once per sample.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import clusterleap as cl
from clusterleap.robustness import Problem, Space, propagate

ROOT = Path(__file__).resolve().parents[1]
ASEM = ROOT.parent / "shared" / "data" / "asem"

#: COINr's default ASEM build (the recipe file of the docs).
ASEM_RECIPE = ROOT / "docs" / "examples" / "asem" / "recipe.yaml"

SPACE = {
    "name": "asem-bench",
    "factors": [
        {"weights": {"level": 1, "noise": 0.25}},
        {"weights": {"level": 2, "noise": 0.25}},
        {"weights": {"level": 3, "noise": 0.25}},
        {"name": "normalisation", "choice": {"stage": "normalise", "options": [
            {"method": "minmax", "lo": 1, "hi": 100}, {"method": "zscore", "mean": 10, "sd": 2}]}},
        {"name": "aggregation", "choice": {"stage": "aggregate", "options": ["arithmetic", "geometric"]}},
        {"name": "imputation", "switch": {"stage": "impute", "p_on": 0.5}},
    ],
}


REPEATS = 5  # best of: on a shared machine timings only ever get slower


@dataclass
class Timing:
    """Best wall-clock and best CPU (process) seconds over repeated runs: CPU time is what other work on the
    machine disturbs least, wall time is what a user waits."""

    wall: float = float("inf")
    cpu: float = float("inf")

    def add(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = min(self.wall, wall), min(self.cpu, cpu)


def timed(run: Callable[[], object], repeats: int) -> tuple[Timing, object]:
    t = Timing()
    out: object = None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = run()
        t.add(time.perf_counter() - w0, time.process_time() - c0)
    return t, out


def loop(problem: Problem, u: np.ndarray, data: cl.Dataset) -> None:
    """One ``evaluate`` call per sample (framework and recipe rebuilt), as a per-sample re-run does."""
    for s in range(len(u)):
        fw, recipe = problem.case(u[s])
        cl.evaluate(fw, data, recipe, problem.year)


def main() -> int:
    meta, values = ASEM / "ASEM_iMeta.csv", ASEM / "ASEM_iData.csv"
    if not meta.exists() or not values.exists():
        print(f"skipped: ASEM reference data not found in {ASEM}")
        return 0
    warnings.simplefilter("ignore", cl.DataWarning)
    fw = cl.read_imeta(meta)
    data = cl.read_data(values)
    recipe = cl.Recipe.load(ASEM_RECIPE)
    space = Space.from_dict(SPACE)
    t0 = time.perf_counter()
    problem = Problem.build(fw, data, recipe, space)
    build = time.perf_counter() - t0
    print(f"ASEM: {len(data.units)} units, {len(fw.indicators)} indicators, {fw.n_levels} levels; "
          f"{problem.dims} uniform dimensions in {len(problem.blocks)} factors; problem built in {build:.3f} s")
    propagate(problem, problem.sample(200, 0))  # warm-up (imports, caches)

    u_loop = problem.sample(100, 7)
    base, _ = timed(lambda: loop(problem, u_loop, data), 3)
    per_wall, per_cpu = base.wall / 100, base.cpu / 100
    print(f"baseline: one evaluate() per sample: {per_wall * 1000:.2f} ms wall, {per_cpu * 1000:.2f} ms CPU per sample "
          f"({1 / per_wall:,.0f} samples/s), best of 3 x 100 samples")
    print(f"vectorised: best of {REPEATS} runs (machine: {os.cpu_count()} cores); speed-up = loop time / vectorised "
          "time")
    print()
    print(f"{'N':>7} {'wall s':>8} {'CPU s':>8} {'samples/s':>10} {'loop wall s':>12} {'speed-up wall':>14} "
          f"{'speed-up CPU':>13} {'failed':>7}")
    for n in (1_000, 10_000):
        u = problem.sample(n, 1)
        t, samples = timed(lambda u=u: propagate(problem, u), REPEATS)  # type: ignore[misc]
        failed = int(samples.failed.sum())  # type: ignore[attr-defined]
        print(f"{n:>7,} {t.wall:>8.3f} {t.cpu:>8.3f} {n / t.wall:>10,.0f} {per_wall * n:>12.1f} "
              f"{per_wall * n / t.wall:>13.0f}x {per_cpu * n / t.cpu:>12.0f}x {failed:>7}")
    per_sample = per_wall
    samples = propagate(problem, problem.sample(10_000, 1))
    t0 = time.perf_counter()
    samples.rank_intervals()
    print(f"rank intervals (median, 5-95 %, mean |shift|) of 10,000 samples x 11 nodes x 51 units: "
          f"{time.perf_counter() - t0:.3f} s")

    # Sobol': 1,024 base points -> 1,024 x (6 + 2) runs.
    t0 = time.perf_counter()
    design = problem.saltelli(1024, seed=1)
    sob = propagate(problem, design, design="saltelli", seed=1)
    prop = time.perf_counter() - t0
    t0 = time.perf_counter()
    table = sob.sobol("index")
    print(f"Sobol': {sob.n:,} runs in {prop:.3f} s, indices with 100 bootstrap resamples in "
          f"{time.perf_counter() - t0:.3f} s (loop would take {per_sample * sob.n:.0f} s)")
    print(table[["factor", "S1", "S1_conf", "ST", "ST_conf"]].round(3).to_string(index=False))

    # Memory: peak traced allocations of one 10,000-sample propagation, and the process's peak resident set.
    tracemalloc.start()
    propagate(problem, problem.sample(10_000, 2))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak / 2**20:.0f} MiB allocated during a 10,000-sample run; process peak RSS {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
