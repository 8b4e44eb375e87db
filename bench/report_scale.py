"""Benchmark: the HTML report of 1,000 and of 10,000 clusters (illustrative data, world-class framework, two years).

Each step of ``clusterleap report`` is timed at both sizes: reading the data, the evaluation, the cluster analytics
(standing, grades, types, gaps, gains, actions), assembling the report (ranking, heatmap, coherence, trends), the
200 profiles a report shows by default (a fixed cost: the same 200 at both sizes) and rendering the HTML. A step
whose cost is linear in the units takes the same time per unit at both sizes: the ratio printed is (seconds per
unit at 10,000) / (seconds per unit at 1,000), the baseline being the 1,000-unit run in the same process, after a
100-unit run that loads every library. Times are CPU seconds of this process, threads included (the machine may be
shared), with wall seconds beside them. Run: .venv/bin/python bench/report_scale.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import clusterleap as cl
from clusterleap.analysis import analyse
from clusterleap.illustrative import illustrative_frame
from clusterleap.report import build_report
from clusterleap.report._html import render_html

YEARS = range(2023, 2025)


def timed(step: Callable[[], Any]) -> tuple[Any, float, float]:
    """The step's value, CPU seconds and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    value = step()
    return value, time.process_time() - cpu, time.perf_counter() - wall


def run(n_units: int, folder: Path, quiet: bool = False) -> dict[str, tuple[float, float]]:
    """CPU and wall seconds of each step of the report of ``n_units`` clusters (a tenth of them benchmarks)."""
    path = folder / f"units-{n_units}.csv"
    illustrative_frame(n_domestic=n_units - n_units // 10, n_benchmark=n_units // 10, years=YEARS).to_csv(
        path, index=False)
    out: dict[str, tuple[float, float]] = {}

    def step(name: str, f: Callable[[], Any]) -> Any:
        value, cpu, wall = timed(f)
        out[name] = (cpu, wall)
        return value

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = step("read", lambda: cl.read_data(path))
        result = step("evaluate", lambda: cl.evaluate("world-class", data))
        an = step("analytics", lambda: analyse(result))
        report = step("assemble", lambda: _assembled(result, an))
        step("profiles", lambda: report.profiles)
        html = step("render html", lambda: render_html(report))
    if not quiet:
        print(f"  {n_units:,} units: {len(html) / 1e6:.1f} MB of HTML, {len(report.profiles)} profiles")
    return out


def _assembled(result: cl.Result, an: Any) -> Any:
    """The report with every view computed (they are cached properties read by the writers)."""
    report = build_report(result, analytics=an)
    for name in ("ranking", "dim_scores", "quality", "robustness_view", "coherence_view", "trends_view"):
        getattr(report, name)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(1_000, 10_000), metavar=("SMALL", "LARGE"))
    small, large = parser.parse_args().sizes
    with tempfile.TemporaryDirectory() as tmp:
        print(f"report of {small:,} and {large:,} clusters ({len(YEARS)} years, world-class framework)")
        run(100, Path(tmp), quiet=True)  # imports and first calls, out of the baseline
        base = run(small, Path(tmp))
        big = run(large, Path(tmp))
    print(f"{'step':<12} {'ms/unit ' + format(small, ','):>16} {'ms/unit ' + format(large, ','):>16} {'ratio':>7}"
          f"   (CPU; wall seconds {small:,} / {large:,})")
    totals = [0.0, 0.0]
    for step in base:
        a, b = base[step][0] / small * 1e3, big[step][0] / large * 1e3
        totals[0] += base[step][0]
        totals[1] += big[step][0]
        print(f"{step:<12} {a:>16.3f} {b:>16.3f} {b / a if a else float('nan'):>7.2f}"
              f"   ({base[step][1]:.1f} s / {big[step][1]:.1f} s)")
    a, b = totals[0] / small * 1e3, totals[1] / large * 1e3
    print(f"{'total':<12} {a:>16.3f} {b:>16.3f} {b / a:>7.2f}   ({totals[0]:.1f} s / {totals[1]:.1f} s CPU)")


if __name__ == "__main__":
    main()
