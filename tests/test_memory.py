"""Memory of robustness runs: one estimate, made before anything is drawn, by the command line and by every Python
entry point alike, refusing with the figure and the limit (docs/limits.md)."""

from __future__ import annotations

import numpy as np
import pytest

from clusterleap.errors import MemoryLimitError
from clusterleap.robustness import Problem, propagate, saltelli_design, uncertainty_analysis
from clusterleap.robustness import _memory as memory
from clusterleap.robustness._memory import check_runs, memory_estimate
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "corpus"
FW, DATA = CORPUS / "mini.yaml", CORPUS / "good.csv"
SPACE = {"factors": [{"weights": {"level": 1, "noise": 0.25}}]}  # 3 units, 3 aggregates, 3 uncertain inputs


def test_the_estimate_by_hand() -> None:
    # 1,000 runs, 3 units, 3 nodes, 2 inputs: draws 3 x 2, kept scores and ranks 3 x 3 x 3 a run, rank counts
    # 2 x 3 nodes x 3 units x 7 bins, 8 bytes each, and 200 MB
    assert memory_estimate(1000, 3, 3, 2) == 8 * (1000 * (6 + 27) + 126) + 200_000_000 == 200_265_008
    assert memory_estimate(1000, 3, 3, 2, keep=False) == 8 * (1000 * (6 + 3) + 126) + 200_000_000
    # two workers: the counts in each (total and one chunk's) and once more in the parent
    assert memory_estimate(1000, 3, 3, 2, workers=2) == 8 * (1000 * 33 + 5 * 63) + 200_000_000
    # every thread keeps its own running counts and chunk count: 2 threads in 2 workers, 8 copies plus the parent's
    assert memory_estimate(1000, 3, 3, 2, workers=2, threads=2) == 8 * (1000 * 33 + 9 * 63) + 200_000_000
    # 10,000 units: the rank counts alone are 2 x 10^4 x 20,001 x 8 bytes per node, 3.2 GB
    assert memory_estimate(1, 10_000, 1, 0, keep=False) == 8 * (3 + 2 * 10_000 * 20_001) + 200_000_000


def test_the_python_entry_point_refuses_before_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_draws(*args: object, **kwargs: object) -> None:
        raise AssertionError("drew samples before checking memory")

    monkeypatch.setattr(Problem, "sample", no_draws)
    monkeypatch.setattr(Problem, "saltelli", no_draws)
    with pytest.raises(MemoryLimitError) as info:
        uncertainty_analysis(FW, DATA, None, SPACE, samples=10_000_000, memory_limit=1_000_000_000)
    # 8 x (10^7 x (9 + 27) + 126) + 200 MB
    assert (info.value.need, info.value.limit) == (3_080_001_008, 1_000_000_000)
    assert str(info.value) == ("samples: 10,000,000 runs need about 3.1 GB of memory, more than the limit of 1.0 GB "
                               "(the limit given); use fewer samples, or keep=False (memory grows with samples x "
                               "units x nodes)")
    with pytest.raises(MemoryLimitError, match=r"^samples: 10,000,000 runs need about 1\.2 GB of memory, more than "
                                               r"the limit of 1\.0 GB \(the limit given\); use fewer samples "):
        uncertainty_analysis(FW, DATA, None, SPACE, samples=10_000_000, memory_limit=1_000_000_000, keep=False)
    # Saltelli: 2^20 base samples x (1 factor + 2) runs
    with pytest.raises(MemoryLimitError, match=r"^samples: 3,145,728 runs need about 1\.1 GB"):
        uncertainty_analysis(FW, DATA, None, SPACE, samples=2**20, sobol=True, memory_limit=1_000_000_000)
    with pytest.raises(MemoryLimitError) as info:
        uncertainty_analysis(FW, DATA, None, SPACE, samples=200_000_000)
    assert str(info.value) == ("samples: 200,000,000 runs is more than the limit of 20,000,000 (about 57.8 GB of "
                               "memory); use fewer samples, or keep=False")


def _no_draws(*args: object, **kwargs: object) -> None:
    raise AssertionError("drew samples before checking memory")


def test_the_default_limit_is_a_share_of_the_memory_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "memory_available", lambda: 1_000_000_000)
    monkeypatch.setattr(Problem, "sample", _no_draws)
    # 8 x (3 x 10^6 x 36 + 126) + 200 MB = 1.06 GB, over 80 % of 1 GB
    with pytest.raises(MemoryLimitError) as info:
        uncertainty_analysis(FW, DATA, None, SPACE, samples=3_000_000)
    assert (info.value.need, info.value.limit) == (1_064_001_008, 800_000_000)
    assert "more than the limit of 800 MB (80 % of the 1.0 GB available)" in str(info.value)
    # 10^6 runs, 488 MB, are within it (checked, not run: the check returns the estimate)
    assert check_runs(1_000_000, 3, 3, 3) == 488_001_008


def test_every_allocating_entry_point_checks_first() -> None:
    problem = Problem.build(FW, DATA, None, SPACE)
    with pytest.raises(MemoryLimitError) as info:
        problem.sample(25_000_000)
    assert str(info.value) == ("n: 25,000,000 runs is more than the limit of 20,000,000 (about 2.0 GB of memory); "
                               "use fewer samples")
    with pytest.raises(MemoryLimitError, match=r"^n: 40,000,000 runs is more than the limit of 20,000,000 \(about "
                                               r"2\.1 GB of memory\); use fewer base samples$"):
        saltelli_design(10_000_000, ["a", "b"], seed=1)
    with pytest.raises(MemoryLimitError, match=r"^n: 12 runs need about 200 MB of memory, more than the limit of "
                                               r"1 MB \(the limit given\)"):
        problem.saltelli(4, seed=1, memory_limit=1_000_000)  # 4 x (1 factor + 2) runs
    u = problem.sample(10, seed=1)
    # what propagating still allocates beside the given uniforms: 8 x (10 x 27 + 126) + 200 MB
    with pytest.raises(MemoryLimitError) as info:
        propagate(problem, u, memory_limit=100_000_000)
    assert str(info.value) == ("uniforms: 10 runs need about 200 MB of memory, more than the limit of 100 MB (the "
                               "limit given); propagate fewer samples, or keep=False (memory grows with samples x "
                               "units x nodes)")
    assert info.value.need == 8 * (10 * 27 + 126) + 200_000_000
    with pytest.raises(MemoryLimitError, match="the memory limit is 0 bytes"):
        propagate(problem, u, memory_limit=0)


def test_a_run_within_the_limit_is_made() -> None:
    got = uncertainty_analysis(FW, DATA, None, SPACE, samples=32, seed=1, memory_limit=300_000_000)
    assert got.n == 32 and np.isfinite(got.rank_intervals()["median_rank"]).all()
