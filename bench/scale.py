"""Benchmark: how cost and memory grow with the work, beside lean numpy baselines run in the same process.

1. evaluate, 10^3 .. 10^6 units x 100 indicators (plain recipe: min-max 0-100, arithmetic means, 3 % missing):
   time per cell and the peak memory the call adds, with stage tables kept and let go (``keep=False``); baseline: the
   same scores written as bare numpy (min-max, NaN-aware means per parent, one argsort per node).
2. uncertainty on COINr's ASEM (the space of bench/robustness.py), 10^3 .. 10^6 samples: time per sample and peak
   memory, summaries only (``keep=False``) on 1 thread, 2 threads and 2 processes, and with every sample kept up to
   10^5; baseline: a lean numpy kernel of the same aggregation and index ranking on the same normalised tables, on
   one thread (its ratio is wall time against wall time, both measured here).
3. batched TOPSIS over 1,000 weight vectors on 50 units x 49 children against the per-unit textbook formulas (the
   previous implementation, copied below) and a loop of single calls.

Options: ``--quick`` (up to 10^5), ``--only=evaluate|uncertainty|topsis`` (repeatable), ``--reuse-pages`` (glibc's
malloc keeps freed memory for reuse instead of mapping fresh, zeroed pages for every large temporary; see
:func:`reuse_freed_pages`).

Memory is the peak resident set the call adds (Linux: the high-water mark is reset before each call through
/proc/self/clear_refs), so fresh pages count. BLAS is kept to one thread: the work runs in threads or processes of
its own, and BLAS threads on a busy 2-core machine spin against them. CPU seconds (this process and its finished
workers) are printed beside wall seconds: on a shared machine wall times only get slower, and CPU seconds say what
the work costs. Run: .venv/bin/python bench/scale.py [--quick]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gc
import resource
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

import clusterleap as cl
from clusterleap import Dataset, Framework, Node
from clusterleap._pipeline import prepare
from clusterleap.robustness import Problem, Space, propagate
from clusterleap.stages import aggregate as A

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from robustness import ASEM, ASEM_RECIPE, SPACE  # noqa: E402

N_IND = 100


# -- measuring -------------------------------------------------------------------------------------------------------
def _rss_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def system_seconds() -> float:
    """The kernel's share of :func:`cpu_seconds` (page faults on fresh memory, mostly)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_stime + kids.ru_stime


def reuse_freed_pages() -> bool:
    """Have glibc's malloc serve every allocation from its heap and keep freed memory there (``mallopt``:
    ``M_MMAP_MAX = 0``, ``M_TRIM_THRESHOLD`` 2 GiB, the largest a C int holds), so that a temporary over 32 MiB
    reuses pages an earlier one freed instead of mapping fresh ones, which the kernel zeroes on first touch. The same
    as starting the process with ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647`` (glibc's documented
    tunables). False where the C library is not glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_max = -1, -4
        return bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, 2**31 - 1))
    except (OSError, AttributeError):
        return False


LAST_CPU = [0.0]
LAST_SYS = [0.0]


def measured(run: Callable[[], object]) -> tuple[float, float, object]:
    """Wall seconds and the peak resident memory (MiB) the call adds above what was resident before it (CPU
    seconds, with the workers', in ``LAST_CPU``)."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")  # reset the high-water mark to the current resident set
        base = _rss_kib("VmRSS:")
    except OSError:
        base = _rss_kib("VmHWM:")
    t0, c0, k0 = time.perf_counter(), cpu_seconds(), system_seconds()
    out = run()
    dt = time.perf_counter() - t0
    LAST_CPU[0] = cpu_seconds() - c0
    LAST_SYS[0] = system_seconds() - k0
    return dt, max(0, _rss_kib("VmHWM:") - base) / 1024, out


def best(run: Callable[[], object], repeats: int) -> float:
    t = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        t = min(t, time.perf_counter() - t0)
    return t


# -- 1. evaluate -----------------------------------------------------------------------------------------------------
def framework() -> Framework:
    nodes = [Node("IDX", None)]
    for d in range(5):
        nodes.append(Node(f"D{d}", "IDX"))
        for a in range(4):
            nodes.append(Node(f"A{d}{a}", f"D{d}"))
            nodes += [Node(f"i{d}{a}{k}", f"A{d}{a}", kind="indicator", direction=1 if k % 3 else -1)
                      for k in range(5)]
    return Framework("scale", tuple(nodes))


def dataset(fw: Framework, n: int) -> Dataset:
    rng = np.random.default_rng(0)
    values = rng.lognormal(size=(1, n, N_IND))
    values[rng.random(values.shape, dtype=np.float32) < 0.03] = np.nan
    return Dataset(units=tuple(f"u{i:07d}" for i in range(n)), years=(2024,), variables=fw.indicators, values=values)


def lean_evaluate(fw: Framework, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min-max 0-100 with directions, NaN-aware equal-weight means per parent, ranks (1 = best) per node."""
    d = fw.directions
    y = x * d
    mn, mx = np.nanmin(y, axis=0), np.nanmax(y, axis=0)
    y -= mn
    y *= 100.0 / (mx - mn)
    col = {c: y[:, i] for i, c in enumerate(fw.indicators)}
    for code in fw.aggregates:
        kids = np.stack([col[k] for k in fw.children[code]], axis=1)
        col[code] = np.nanmean(kids, axis=1)
    scores = np.stack([col[c] for c in fw.order], axis=1)
    order = np.argsort(-scores, axis=0)
    ranks = np.empty(scores.shape)
    np.put_along_axis(ranks, order, np.arange(1.0, len(x) + 1)[:, None], axis=0)
    return scores, ranks


def bench_evaluate(sizes: list[int]) -> dict[int, tuple[float, float, float, float]]:
    fw = framework()
    print("1. evaluate, units x 100 indicators, plain recipe (min-max, arithmetic); best of 3 up to 10^5 units")
    print("   (the data's hash, which provenance records, is computed beforehand at every size)")
    print(f"{'units':>10} {'input MB':>9} {'ns/cell':>8} {'CPU ns/cell':>12} {'of it kernel':>13} "
          f"{'lean ns/cell':>13} {'vs lean':>8} {'peak MB kept':>13} {'x input':>8} {'peak MB keep=False':>19} "
          f"{'x input':>8}")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in sizes:
            data = dataset(fw, n)
            assert data.hash
            cells = n * N_IND
            mb = data.values.nbytes / 2**20
            reps = 3 if n <= 100_000 else 1
            if n <= 100_000:
                t_kept = best(lambda d=data: cl.evaluate(fw, d), reps)
                _, peak_kept, _ = measured(lambda d=data: cl.evaluate(fw, d))
                kept = f"{peak_kept:>13.0f} {peak_kept / mb:>7.1f}x"
            else:
                kept = f"{'(skipped)':>13} {'':>8}"
            t_lean = best(lambda d=data: lean_evaluate(fw, d.values[0]), reps)
            t_lean_s, _, _ = t_lean, 0, 0
            dt, peak, res = measured(lambda d=data: cl.evaluate(fw, d, keep=False))
            cpu, kernel = LAST_CPU[0], LAST_SYS[0]
            t = min(dt, best(lambda d=data: cl.evaluate(fw, d, keep=False), reps - 1)) if reps > 1 else dt
            if n <= 100_000:
                t = min(t, t_kept)
            lean_scores, _ = lean_evaluate(fw, data.values[0])
            diff = float(np.nanmax(np.abs(lean_scores - res.score_array)))  # type: ignore[attr-defined]
            assert diff < 1e-9, diff
            out[n] = (t / cells * 1e9, peak, mb, cpu / cells * 1e9)
            print(f"{n:>10,} {mb:>9.0f} {t / cells * 1e9:>8.1f} {cpu / cells * 1e9:>12.1f} "
                  f"{kernel / cells * 1e9:>13.1f} {t_lean_s / cells * 1e9:>13.1f} "
                  f"{t / t_lean_s:>7.1f}x {kept} {peak:>19.0f} {peak / mb:>7.1f}x")
            del data, res
    return out


# -- 2. uncertainty on ASEM -----------------------------------------------------------------------------------------
def lean_propagate(problem: Problem, u: np.ndarray) -> np.ndarray:
    """Index ranks ``(S, units)``: the same samples aggregated and ranked in bare numpy, on the normalised tables
    clusterleap's prepare gives for each combination of normalisation and imputation."""
    fw, data = problem.framework, problem.data
    d = problem.decode(u)
    order = fw.order
    base = np.array([fw.by_code[c].weight for c in order])
    pos = {c: i for i, c in enumerate(order)}
    wpos = np.array([pos[c] for c in problem.weight_codes])
    out = np.empty((len(u), len(data.units)))
    combos, inv = np.unique(d.cat, axis=0, return_inverse=True)
    for ci, combo in enumerate(combos):
        idx = np.flatnonzero(inv.reshape(-1) == ci)
        recipe = problem.recipe_for(combo[1:])
        x = prepare(fw, data, recipe, [problem.year]).normalised[0]
        w = np.broadcast_to(base, (len(idx), len(order))).copy()
        w[:, wpos] *= d.mult[idx]
        geometric = recipe.aggregate.default.method == "geometric"
        col: dict[str, np.ndarray] = {c: np.broadcast_to(x[:, i], (len(idx), x.shape[0]))
                                      for i, c in enumerate(fw.indicators)}
        with np.errstate(all="ignore"):
            for code in fw.aggregates:
                kids = fw.children[code]
                v = np.stack([col[k] for k in kids], axis=-1)
                wk = w[:, [pos[k] for k in kids]][:, None, :]
                present = ~np.isnan(v)
                tot = (wk * present).sum(-1)
                if geometric:
                    col[code] = np.exp(np.where(present, wk * np.log(v), 0.0).sum(-1) / tot)
                else:
                    col[code] = np.where(present, wk * v, 0.0).sum(-1) / tot
        root = col[fw.root.code]
        ranks = np.empty(root.shape)
        np.put_along_axis(ranks, np.argsort(-root, axis=1), np.arange(1.0, root.shape[1] + 1)[None], axis=1)
        out[idx] = ranks
    return out


def bench_uncertainty(sizes: list[int]) -> dict[str, float]:
    meta, values = ASEM / "ASEM_iMeta.csv", ASEM / "ASEM_iData.csv"
    if not meta.exists() or not values.exists():
        print(f"2. skipped: ASEM reference data not found in {ASEM}")
        return {}
    warnings.simplefilter("ignore", cl.DataWarning)
    fw, data = cl.read_imeta(meta), cl.read_data(values)
    problem = Problem.build(fw, data, cl.Recipe.load(ASEM_RECIPE), Space.from_dict(SPACE))
    propagate(problem, problem.sample(500, 0), keep=False)  # warm-up
    u = problem.sample(2000, 5)
    lean = lean_propagate(problem, u)
    ours = propagate(problem, u).ranks[:, :, 0]
    same = np.array_equal(lean, ours)
    print()
    print(f"2. uncertainty on ASEM ({len(data.units)} units, {len(fw.order)} nodes, {problem.dims} uniform columns): "
          "propagation + ranks + rank intervals; lean baseline: aggregation + index ranks only "
          f"(its index ranks equal clusterleap's: {same})")
    print(f"{'samples':>9} {'how':>9} {'keep':>5} {'wall s':>8} {'CPU s':>7} {'us/sample':>10} {'samples/s':>10} "
          f"{'per CPU-s':>10} {'peak MB':>8} {'KB/sample':>9} {'lean us/sample':>15} {'vs lean':>8}")
    figures: dict[str, float] = {}
    for n in sizes:
        un = problem.sample(n, 1)
        t_lean = best(lambda un=un: lean_propagate(problem, un), 1) if n <= 100_000 else float("nan")
        # (processes, threads, keep)
        runs: list[tuple[int, int, bool]] = [(1, 1, False), (1, 2, False), (2, 1, False)]
        if n <= 100_000:
            runs += [(1, 1, True), (1, 2, True)]
        for procs, threads, keep in runs:
            def run(un: np.ndarray = un, procs: int = procs, threads: int = threads, keep: bool = keep) -> object:
                s = propagate(problem, un, workers=procs, threads=threads, keep=keep)
                s.rank_intervals()
                return s
            if n <= 10_000:
                run()  # warm (worker start-up is measured, caches are not)
            dt, peak, _ = measured(run)
            cpu = LAST_CPU[0]
            if n <= 10_000:
                dt = min(dt, best(run, 2))
            how = f"{threads} thr" if procs == 1 else f"{procs} proc"
            key = f"{n}/{how}/{keep}"
            figures[key] = dt
            figures[f"{key}/cpu"] = cpu
            figures[f"{key}/mem"] = peak
            print(f"{n:>9,} {how:>9} {keep!s:>5} {dt:>8.3f} {cpu:>7.2f} {dt / n * 1e6:>10.1f} {n / dt:>10,.0f} "
                  f"{n / cpu:>10,.0f} {peak:>8.0f} {peak * 1024 / n:>9.2f} {t_lean / n * 1e6:>15.1f} "
                  f"{dt / t_lean:>7.2f}x")
        figures[f"{n}/lean"] = t_lean
    return figures


# -- 3. batched TOPSIS ------------------------------------------------------------------------------------------------
def previous_topsis(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The previous batched TOPSIS: per-unit weights and every distance on the full (samples, units, children)
    array, once per sample (textbook formulas; Hwang & Yoon 1981)."""
    present = ~np.isnan(x)
    wk = np.where(present, np.broadcast_to(w, x.shape), 0.0)
    total = wk.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        wk = np.where(total > 0, wk / np.where(total > 0, total, 1.0), 0.0)
        norm = np.sqrt(np.nansum(x * x, axis=1, keepdims=True))
        r = np.where(norm > 0, x / np.where(norm > 0, norm, 1.0), 0.0)
        r = np.where(present, r, np.nan)
        best_, worst = np.nanmax(r, axis=1, keepdims=True), np.nanmin(r, axis=1, keepdims=True)
        dp = np.sqrt(np.nansum((wk * (r - best_)) ** 2, axis=-1))
        dm = np.sqrt(np.nansum((wk * (r - worst)) ** 2, axis=-1))
        tot = dp + dm
        c = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5)
    none = ~present.any(axis=-1)
    return np.where(none, np.nan, c * 100.0)


def bench_topsis() -> float:
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 100, (1, 50, 49))
    x[0, rng.integers(0, 50, 20), rng.integers(0, 49, 20)] = np.nan
    w = rng.uniform(0.75, 1.25, (1000, 1, 49))
    xb = np.broadcast_to(x, (1000, 50, 49))
    t_prev = best(lambda: previous_topsis(xb, w), 5)
    t_new = best(lambda: A.topsis(xb, w), 20)
    t_loop = best(lambda: [A.topsis(x, w[s : s + 1]) for s in range(1000)], 2)
    diff = float(np.nanmax(np.abs(A.topsis(xb, w) - previous_topsis(xb, w))))
    v_prev = best(lambda: A.vikor(np.array(xb), w), 3)
    v_new = best(lambda: A.vikor(xb, w), 10)
    print()
    print("3. TOPSIS, 1,000 weight vectors on 50 units x 49 children (1 % missing)")
    print(f"   previous batch {t_prev * 1000:.1f} ms; now {t_new * 1000:.2f} ms: {t_prev / t_new:.0f}x faster; "
          f"a loop of 1,000 single calls {t_loop * 1000:.0f} ms; max |difference| {diff:.1e} (scores 0-100)")
    print(f"   VIKOR: per-sample tables (no sharing) {v_prev * 1000:.1f} ms; shared table {v_new * 1000:.2f} ms: "
          f"{v_prev / v_new:.0f}x")
    return t_prev / t_new


def main() -> int:
    quick = "--quick" in sys.argv
    only = {a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")}
    units = [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    samples = [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start (wall times on a shared "
          "machine only get slower; CPU seconds are disturbed least)")
    if "--reuse-pages" in sys.argv:
        print(f"freed memory reused, no fresh pages for large arrays (glibc mallopt): {reuse_freed_pages()}")
    ev = bench_evaluate(units) if not only or "evaluate" in only else {}
    un = bench_uncertainty(samples) if not only or "uncertainty" in only else {}
    speedup = bench_topsis() if not only or "topsis" in only else float("nan")
    print()
    print(f"acceptance figures (load average {os.getloadavg()[0]:.1f} at the end)")
    if 10_000 in ev and max(ev) >= 100_000:
        top = max(ev)
        print(f"  evaluate time per cell at {top:,} units / at 10,000: wall {ev[top][0]:.1f} / {ev[10_000][0]:.1f} "
              "ns = "
              f"{ev[top][0] / ev[10_000][0]:.2f}x, CPU {ev[top][3]:.1f} / {ev[10_000][3]:.1f} ns = "
              f"{ev[top][3] / ev[10_000][3]:.2f}x (target <= 1.5x)")
        print(f"  evaluate peak memory at {top:,} units, keep=False: {ev[top][1]:.0f} MB = "
              f"{ev[top][1] / ev[top][2]:.2f}x the input's {ev[top][2]:.0f} MB (target < 4x + constant)")
    if un:
        top = max(int(k.split("/")[0]) for k in un)
        print(f"  uncertainty {top:,} samples, keep=False: peak {un[f'{top}/1 thr/False/mem']:.0f} MB on 1 thread, "
              f"{un[f'{top}/2 thr/False/mem']:.0f} MB on 2, {un[f'{top}/2 proc/False/mem']:.0f} MB on 2 processes "
              "(target < 2048 MB)")
        lean10 = un.get("10000/lean", float("nan"))
        print(f"  uncertainty 10,000 samples in process, summaries only: {un['10000/1 thr/False']:.3f} s on 1 thread, "
              f"{un['10000/2 thr/False']:.3f} s on 2 threads ({un['10000/2 thr/False/cpu']:.3f} CPU s), "
              f"{un['10000/2 proc/False']:.3f} s on 2 processes; kept: {un['10000/2 thr/True']:.3f} s on 2 threads "
              f"(target < 0.4 s); lean baseline {lean10:.3f} s on 1 thread")
        best_how = min(("2 thr", "2 proc", "1 thr"), key=lambda h: un[f"{top}/{h}/False"])
        rate = top / un[f"{top}/{best_how}/False"]
        cpu_rate = top / un[f"{top}/{best_how}/False/cpu"]
        print(f"  uncertainty throughput with rank intervals at {top:,} samples: "
              f"{top / un[f'{top}/1 thr/False']:,.0f}/s on 1 thread, {top / un[f'{top}/2 thr/False']:,.0f}/s on 2 "
              f"threads, {top / un[f'{top}/2 proc/False']:,.0f}/s on 2 processes (target >= 60,000/s; best "
              f"{rate:,.0f}/s on {best_how}); {cpu_rate:,.0f} per CPU-second there")
    print(f"  batched TOPSIS: {speedup:.0f}x the previous batch (target >= 50x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
