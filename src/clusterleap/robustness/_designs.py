"""Designs: how the uniforms in ``[0, 1)`` that drive the factors are drawn, and which rows are independent draws.

Two designs, as SALib offers them: Monte Carlo (independent uniforms) and Saltelli's design for Sobol' analysis
(:func:`._sensitivity.saltelli_design`: rows ``A, AB_1, ..., AB_G, B`` per base point, of which ``A`` and ``B`` are
independent draws and the ``AB`` rows repeat ``A`` with one factor taken from ``B``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..stages._arrays import FloatArray
from ._sensitivity import saltelli_design

__all__ = ["Design", "base_samples", "fresh_seed", "independent", "independent_rows", "montecarlo", "saltelli"]

Design = Literal["montecarlo", "saltelli"]


def fresh_seed() -> int:
    """A seed drawn from the operating system's entropy (recorded with the samples, so a run can be repeated)."""
    entropy = np.random.SeedSequence().entropy
    assert isinstance(entropy, int)  # a SeedSequence made without entropy draws one int
    return entropy % 2**63


def montecarlo(n: int, dims: int, seed: int | None = None) -> FloatArray:
    """``n`` Monte Carlo samples: independent uniforms ``(n, dims)`` from ``numpy.random.default_rng(seed)``."""
    return np.random.default_rng(seed).random((n, dims))


def saltelli(n: int, groups: Sequence[object], seed: int | None = None, *,
             categorical: Sequence[bool] | None = None, memory_limit: int | None = None) -> FloatArray:
    """The Saltelli design of ``n`` base points over columns of the given ``groups`` (factors): ``n (G + 2)`` rows
    (:func:`._sensitivity.saltelli_design`)."""
    return saltelli_design(n, groups, seed, categorical=categorical, memory_limit=memory_limit)


def base_samples(runs: int, n_factors: int, design: str) -> int:
    """Base points of a design of ``runs`` rows: the rows themselves for Monte Carlo."""
    return runs // (n_factors + 2) if design == "saltelli" else runs


def independent(n: int, n_factors: int, design: str) -> npt.NDArray[np.bool_]:
    """Which of ``n`` rows are independent draws: all for Monte Carlo, the ``A`` and ``B`` rows of a Saltelli
    design."""
    if design != "saltelli":
        return np.ones(n, dtype=bool)
    width = n_factors + 2
    pos = np.arange(n) % width
    return np.asarray((pos == 0) | (pos == width - 1), dtype=bool)


def independent_rows(n: int, n_base: int, n_factors: int, design: str) -> npt.NDArray[np.intp]:
    """The positions of the independent rows (:func:`independent`), in order."""
    if design != "saltelli":
        return np.arange(n, dtype=np.intp)
    width = n_factors + 2
    base = np.arange(n_base, dtype=np.intp) * width
    return np.sort(np.concatenate([base, base + width - 1]))
