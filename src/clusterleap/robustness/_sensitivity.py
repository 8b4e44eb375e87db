"""Variance-based (Sobol') sensitivity analysis: the Saltelli design and the first-order and total-effect estimators.

The design follows Saltelli (2002) and Saltelli et al. (2010): two independent matrices ``A`` and ``B`` of ``n``
base points each (a scrambled Sobol' sequence of dimension ``2D``, first half ``A``, second half ``B``) and, for
each factor ``i``, the matrix ``AB_i``: ``A`` with the columns of factor ``i`` taken from ``B``. A factor may span
several columns (a *group*, e.g. all indicator weights of one level); its indices are those of the group as a whole.
Rows are laid out per base point as ``A, AB_1, ..., AB_G, B``, the layout of SALib's ``sobol`` sampler (with
``calc_second_order=False``), so ``n (G + 2)`` model runs in all.

Estimators, with ``V = Var(f(A) ∪ f(B))``:

- first order (Saltelli et al. 2010, table 2 (b)): ``S_i = mean(f(B) (f(AB_i) - f(A))) / V``;
- total effect (Jansen 1999; Saltelli et al. 2010, table 2 (f)): ``ST_i = mean((f(A) - f(AB_i))^2) / (2 V)``.

Outputs are centred on their mean over all runs first (as SALib does): the first-order estimator is not invariant to
a shift of ``f`` and its sampling error grows with ``mean(f)^2``.

Confidence intervals come from a bootstrap over base points: ``conf = z_{(1+level)/2} * sd(bootstrap estimates)``
(as SALib reports them), plus percentile bounds.

References: Saltelli A. (2002), Making best use of model evaluations to compute sensitivity indices, Comput. Phys.
Commun. 145, 280-297; Saltelli A. et al. (2010), Variance based sensitivity analysis of model output. Design and
estimator for the total sensitivity index, Comput. Phys. Commun. 181, 259-270; Jansen M. J. W. (1999), Analysis of
variance designs for model output, Comput. Phys. Commun. 117, 35-43.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm, qmc

from ..errors import SpaceError
from ..stages._arrays import FloatArray, quiet
from ._memory import check_runs

__all__ = ["SobolIndices", "saltelli_design", "sobol_indices"]


def _group_index(groups: Sequence[object]) -> tuple[list[object], np.ndarray]:
    """Distinct group labels in order of first appearance, and each column's group number."""
    labels: list[object] = []
    for g in groups:
        if g not in labels:
            labels.append(g)
    return labels, np.array([labels.index(g) for g in groups], dtype=np.intp)


def saltelli_design(
    n: int,
    groups: Sequence[object],
    seed: int | None = None,
    *,
    categorical: Sequence[bool] | None = None,
    scramble: bool = True,
    memory_limit: int | None = None,
) -> FloatArray:
    """Uniform ``[0, 1)`` inputs for ``n`` base points of the Saltelli design, shape ``(n (G + 2), D)``.

    ``groups`` gives the factor (group) of each of the ``D`` columns; ``G`` is the number of distinct groups. Rows
    per base point: ``A, AB_1, ..., AB_G, B``. The base sequence is scipy's scrambled Sobol' sequence of dimension
    ``2D`` seeded with ``seed``, so for the same seed the rows equal those of SALib's ``sobol.sample`` (which builds
    the same layout with loops). ``n`` should be a power of 2 for the sequence's balance properties.

    Columns marked ``categorical`` (a choice among options, read from the leading digits of ``u``) are drawn
    differently: in a Sobol' set every dimension has the same leading bit up to a flip, so the ``A`` and ``B``
    columns of a factor would always pick the same option (or always the other one) and its indices would come out
    0 (or doubled). Those columns are instead stratified draws ``(pi(i) + v_i) / n`` with independent random
    permutations ``pi`` and jitters ``v`` for ``A`` and ``B`` (Latin hypercube sampling; McKay, Beckman and Conover
    1979), from a stream spawned from ``seed``.

    A design of more than :data:`._memory.MAX_RUNS` rows, or needing more than ``memory_limit`` bytes
    (default: 80 % of the memory available), is refused before drawing (:func:`._memory.check_runs`)."""
    d = len(groups)
    if d == 0:
        raise SpaceError("Sobol' analysis needs at least one uncertain factor (the space has none)")
    if n < 2:
        raise SpaceError(f"Sobol' analysis needs at least 2 base samples, got {n}")
    labels, col_group = _group_index(groups)
    g = len(labels)
    check_runs(n * (g + 2), 0, 0, d, limit=memory_limit, what="n", hint="use fewer base samples")
    base = qmc.Sobol(d=2 * d, scramble=scramble, seed=seed).random(n)
    a, b = base[:, :d], base[:, d:]
    if categorical is not None and any(categorical):
        cat = np.flatnonzero(np.asarray(categorical, dtype=bool))
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        for half in (a, b):
            for j in cat:
                half[:, j] = (rng.permutation(n) + rng.random(n)) / n
    out = np.empty((n, g + 2, d))
    out[:, 0] = a
    for k in range(g):
        out[:, 1 + k] = np.where(col_group == k, b, a)
    out[:, g + 1] = b
    return out.reshape(n * (g + 2), d)


@dataclass(frozen=True)
class SobolIndices:
    """First-order (``S1``) and total (``ST``) indices per factor, shape ``(factors,)`` or ``(factors, outputs)``,
    with bootstrap half-widths (``*_conf``) and percentile bounds (``*_lo``, ``*_hi``). ``n_base`` base points were
    used; ``n_dropped`` were dropped because one of their runs gave no value (NaN)."""

    factors: tuple[str, ...]
    S1: FloatArray
    S1_conf: FloatArray
    S1_lo: FloatArray
    S1_hi: FloatArray
    ST: FloatArray
    ST_conf: FloatArray
    ST_lo: FloatArray
    ST_hi: FloatArray
    variance: FloatArray
    n_base: int
    n_dropped: int
    conf_level: float

    def to_frame(self, outputs: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per factor (and output, when there are several): S1, S1_conf, S1_lo, S1_hi, ST, ...."""
        cols = ("S1", "S1_conf", "S1_lo", "S1_hi", "ST", "ST_conf", "ST_lo", "ST_hi")
        if self.S1.ndim == 1:
            df = pd.DataFrame({c: getattr(self, c) for c in cols}, index=pd.Index(self.factors, name="factor"))
            return df.reset_index()
        k = self.S1.shape[1]
        names = list(outputs) if outputs is not None else [str(j) for j in range(k)]
        data = {c: getattr(self, c).T.ravel() for c in cols}
        df = pd.DataFrame(data)
        df.insert(0, "factor", np.tile(np.array(self.factors, dtype=object), k))
        df.insert(0, "output", np.repeat(np.array(names, dtype=object), len(self.factors)))
        return df


def _estimate(a: FloatArray, ab: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """S1, ST and V from ``f(A)`` ``(..., n, K)``, ``f(AB)`` ``(..., n, G, K)``, ``f(B)`` ``(..., n, K)``."""
    v = np.var(np.concatenate([a, b], axis=-2), axis=-2)
    with quiet():
        s1 = np.mean(b[..., None, :] * (ab - a[..., None, :]), axis=-3) / v[..., None, :]
        st = 0.5 * np.mean((a[..., None, :] - ab) ** 2, axis=-3) / v[..., None, :]
    return s1, st, v


def sobol_indices(
    y: FloatArray,
    factors: Sequence[str],
    *,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    seed: int | None = None,
) -> SobolIndices:
    """Sobol' indices from model outputs ``y`` in the :func:`saltelli_design` row layout.

    ``y`` is ``(n (G + 2),)`` for one output or ``(n (G + 2), K)`` for ``K`` outputs at once (e.g. one per unit);
    ``factors`` names the ``G`` groups in design order. Base points with a NaN in any of their runs are dropped
    (counted in ``n_dropped``). The bootstrap draws base points with replacement (``seed`` makes it
    reproducible)."""
    g = len(factors)
    arr = np.asarray(y, dtype=float)
    single = arr.ndim == 1
    if single:
        arr = arr[:, None]
    if arr.shape[0] % (g + 2) != 0:
        raise ValueError(f"{arr.shape[0]} outputs do not fit the Saltelli layout of {g} factors (n x {g + 2} rows)")
    blocks = arr.reshape(-1, g + 2, arr.shape[1])
    keep = ~np.isnan(blocks).any(axis=(1, 2))
    blocks = blocks[keep]
    n = blocks.shape[0]
    if n:
        # Centre the outputs (the first-order estimator is not shift-invariant; centring lowers its variance).
        blocks = blocks - blocks.mean(axis=(0, 1))
    a, ab, b = blocks[:, 0], blocks[:, 1 : g + 1], blocks[:, g + 1]
    s1, st, v = _estimate(a, ab, b)
    rng = np.random.default_rng(seed)
    boot_s1 = np.empty((num_resamples, *s1.shape))
    boot_st = np.empty((num_resamples, *st.shape))
    for r in range(num_resamples):
        idx = rng.integers(0, n, size=n) if n else np.zeros(0, dtype=np.intp)
        boot_s1[r], boot_st[r], _ = _estimate(a[idx], ab[idx], b[idx])
    z = float(norm.ppf(0.5 + conf_level / 2))
    tail = (1 - conf_level) / 2 * 100
    with quiet():
        s1_conf = z * np.std(boot_s1, axis=0, ddof=1)
        st_conf = z * np.std(boot_st, axis=0, ddof=1)
        s1_lo, s1_hi = np.nanpercentile(boot_s1, [tail, 100 - tail], axis=0)
        st_lo, st_hi = np.nanpercentile(boot_st, [tail, 100 - tail], axis=0)

    def shape(x: FloatArray) -> FloatArray:
        return x[:, 0] if single else x

    return SobolIndices(
        factors=tuple(str(f) for f in factors),
        S1=shape(s1), S1_conf=shape(s1_conf), S1_lo=shape(s1_lo), S1_hi=shape(s1_hi),
        ST=shape(st), ST_conf=shape(st_conf), ST_lo=shape(st_lo), ST_hi=shape(st_hi),
        variance=v[0] if single else v,
        n_base=n, n_dropped=int((~keep).sum()), conf_level=conf_level,
    )
