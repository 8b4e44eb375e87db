"""Benchmark: grading 10,000 samples of scores at once (``tier_array``) against grading them one by one
(``assign_grades``, which also writes the reasons), and the full analysis of the illustrative data.

Run alone: ``.venv/bin/python bench/analytics.py``. Uncertainty analysis grades every Monte Carlo sample to get the
probability of each grade; this measures what that costs.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

import clusterleap as cl
from clusterleap.analysis import analyse, assign_grades
from clusterleap.grading import builtin_schemes, tier_array
from clusterleap.illustrative import illustrative_data

SAMPLES, UNITS = 10_000, 90
NODES = ["I", "TI", "PC", "EE", "ES", "AM"]


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(10, 90, size=(SAMPLES, UNITS, len(NODES)))
    bench = np.zeros(UNITS, dtype=bool)
    bench[-10:] = True
    for name in ("default", "relative"):
        scheme = builtin_schemes()[name]
        t0 = time.perf_counter()
        tiers = tier_array(x, NODES, scheme, benchmark=bench, dimensions=NODES[1:])
        vec = time.perf_counter() - t0
        n_loop = 100
        t0 = time.perf_counter()
        for s in range(n_loop):
            g = assign_grades(pd.DataFrame(x[s], columns=NODES), scheme, bench, dimensions=NODES[1:])
            assert (g["tier_pos"].to_numpy() == tiers[s]).all()
        loop = (time.perf_counter() - t0) / n_loop * SAMPLES
        print(f"{name:9s} tier_array, {SAMPLES} samples x {UNITS} units: {vec:.3f} s; one by one with reasons "
              f"(scaled from {n_loop}): {loop:.1f} s; ratio {loop / vec:.0f}x")
    data = illustrative_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        result = cl.evaluate("world-class", data)
    t0 = time.perf_counter()
    analyse(result, peer="sector")
    print(f"analyse (grades, types, standing, obstacles, gains, gaps, actions), {len(data.units)} units: "
          f"{time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
