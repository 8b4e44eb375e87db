"""Memory of a robustness analysis, estimated before anything is drawn (docs/limits.md).

One estimate (:func:`memory_estimate`) and one check (:func:`check_runs`) serve the command line (``clusterleap
robustness``) and the Python entry points (:func:`clusterleap.robustness.uncertainty_analysis`,
:func:`~clusterleap.robustness.propagate`, :meth:`~clusterleap.robustness.Problem.sample`,
:meth:`~clusterleap.robustness.Problem.saltelli`, :func:`clusterleap.robustness.saltelli_design`),
so a run too large is refused with the same figures whichever way it is asked for, instead of ending in a
MemoryError or the system's out-of-memory killer.
"""

from __future__ import annotations

import resource

from ..errors import MemoryLimitError

__all__ = ["BASE_BYTES", "DEFAULT_SHARE", "MAX_RUNS", "MemoryLimitError", "check_runs", "default_limit",
           "memory_available", "memory_estimate"]

#: The most runs (samples, or base samples x (factors + 2) in a Saltelli design) one analysis makes.
MAX_RUNS = 20_000_000
#: What the evaluation itself holds beside the sample arrays (the data, the framework, the chunk being propagated).
BASE_BYTES = 200_000_000
#: The default limit: this share of the memory available to the process.
DEFAULT_SHARE = 0.8


def memory_estimate(runs: int, units: int, nodes: int, dims: int, *, keep: bool = True, workers: int = 1,
                    threads: int = 1) -> int:
    """Bytes an analysis of ``runs`` runs over ``units`` units, keeping ``nodes`` nodes of ``dims`` uncertain
    inputs, holds at its peak, 8 bytes a number, plus :data:`BASE_BYTES`:

    - the uniforms and the decoded draws: three ``runs x dims`` arrays;
    - with ``keep``, the scores and ranks of every run, unit and node: two ``runs x units x nodes`` arrays and a
      third while ranking; without ``keep``, three figures per run (the failure flag, the index rank shift, the
      options drawn);
    - the rank counts every analysis accumulates for exact rank intervals, ``nodes x units x (2 units + 1)``, twice
      (the running total and one chunk's count) for every thread of every worker process, and once more in the
      parent when ``workers > 1``: this is what grows fastest with the number of units."""
    per_run = 3 * dims + (3 * units * nodes if keep else 3)
    copies = 2 * max(1, workers) * max(1, threads) + (1 if workers > 1 else 0)
    counts = copies * nodes * units * (2 * units + 1)
    return 8 * (runs * per_run + counts) + BASE_BYTES


def memory_available() -> int | None:
    """Bytes this process may still use: the smaller of its address-space limit and the system's available memory
    (``MemAvailable`` of /proc/meminfo, Linux); None where neither is known."""
    limits = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(int(soft))
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    return min(limits) if limits else None


def default_limit() -> int | None:
    """The memory limit when none is given: :data:`DEFAULT_SHARE` of :func:`memory_available` (None: unknown)."""
    have = memory_available()
    return None if have is None else int(DEFAULT_SHARE * have)


def _gb(n: float) -> str:
    """Bytes in GB with one decimal, or in MB below 1 GB (so that a small limit does not read "0.0 GB")."""
    return f"{n / 1e9:,.1f} GB" if n >= 1e9 else f"{n / 1e6:,.0f} MB"


def check_runs(runs: int, units: int, nodes: int, dims: int, *, keep: bool = True, workers: int = 1, threads: int = 1,
               limit: int | None = None, what: str = "samples", hint: str = "use fewer samples") -> int:
    """Refuse, before anything is allocated, an analysis of more than :data:`MAX_RUNS` runs or one whose
    :func:`memory_estimate` is above ``limit`` bytes (default: :func:`default_limit`). ``what`` names the
    parameter in the message (``--samples`` on the command line); ``hint`` says what to do. Returns the estimate.

    Raises :class:`MemoryLimitError` with the runs, the estimate and the limit, e.g. ``samples: 10,000,000 runs
    need about 3.1 GB of memory, more than the limit of 0.8 GB (80 % of the 1.0 GB available); use fewer
    samples``."""
    need = memory_estimate(runs, units, nodes, dims, keep=keep, workers=workers, threads=threads)
    if runs > MAX_RUNS:
        raise MemoryLimitError(f"{what}: {runs:,} runs is more than the limit of {MAX_RUNS:,} (about {_gb(need)} of "
                               f"memory); {hint}", need, None)
    if limit is not None:
        if limit < 1:
            raise MemoryLimitError(f"{what}: the memory limit is {limit:,} bytes (expected a positive number)", need,
                                   limit)
        source = "the limit given"
    else:
        have = memory_available()
        if have is None:
            return need
        limit = int(DEFAULT_SHARE * have)
        source = f"{DEFAULT_SHARE:.0%} of the {_gb(have)} available".replace("%", " %")
    if need > limit:
        raise MemoryLimitError(f"{what}: {runs:,} runs need about {_gb(need)} of memory, more than the limit of "
                               f"{_gb(limit)} ({source}); {hint} (memory grows with samples x units x nodes)",
                               need, limit)
    return need
