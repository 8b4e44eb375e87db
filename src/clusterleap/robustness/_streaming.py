"""Summaries of many samples accumulated chunk by chunk, in memory bounded by the chunk.

Ranks are integers (or halves of integers, with ties ``average``), so their distribution per unit and node is held
exactly by counting how often each rank occurs: quantiles read from the counts equal those of the kept samples
(``numpy.quantile``'s default, linear interpolation between order statistics), and counting is several times faster
than partitioning the samples. Mean absolute rank shifts and score bounds are running sums and extremes. Two
summaries of disjoint chunks merge by adding, so worker processes each return one.

Reference for the quantile definition: Hyndman R. J., Fan Y. (1996), Sample quantiles in statistical packages,
The American Statistician 50(4), 361-365 (definition 7, the default of numpy and R).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..stages._arrays import FloatArray, quiet

__all__ = ["CHUNK_CELLS", "RankSummary", "quantiles_from_counts"]

IntArray = npt.NDArray[np.int64]

#: Array cells (samples x units x nodes) per chunk: about 8 MB per float array (small enough to stay in cache and
#: reuse memory; larger chunks were slower in bench/robustness.py).
CHUNK_CELLS = 1_000_000


def quantiles_from_counts(counts: IntArray, values: FloatArray, qs: Sequence[float]) -> FloatArray:
    """Quantiles ``(len(qs), ...)`` of the samples whose histogram over the sorted ``values`` is ``counts``
    ``(..., bins)``: the order statistics ``k = floor(h)`` and ``k + 1`` with ``h = (n - 1) q``, interpolated as
    :func:`numpy.quantile` does (``method='linear'``). NaN where a cell has no sample."""
    n = counts.sum(axis=-1)
    cum = np.cumsum(counts, axis=-1)
    out = np.empty((len(qs), *counts.shape[:-1]))
    last = len(values) - 1
    for j, q in enumerate(qs):
        # numpy's virtual index for the linear method: n q + (1 + q (1 - 1 - 1)) - 1 = (n - 1) q
        h = n * q + (1 + q * (1 - 1 - 1)) - 1
        lo = np.floor(h)
        gamma = h - lo
        k = lo.astype(np.int64)
        # the value of order statistic k is the first bin whose cumulative count exceeds k
        a = values[np.minimum((cum <= k[..., None]).sum(axis=-1), last)]
        b = values[np.minimum((cum <= np.minimum(k + 1, n - 1)[..., None]).sum(axis=-1), last)]
        diff = b - a
        res = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        out[j] = np.where(n > 0, res, np.nan)
    return out


@dataclass
class RankSummary:
    """Running summary of ranks and scores ``(samples, units, nodes)``: rank counts ``(nodes, units, bins)`` (bin
    ``b`` holds rank ``b / 2``), the sum of absolute shifts from the nominal ranks and the count of valid ranks
    ``(units, nodes)``, and the score sum, minimum and maximum ``(units, nodes)``. Missing ranks (NaN) are left out,
    as NaN-aware reductions would leave them."""

    counts: IntArray
    shift_sum: FloatArray
    valid: IntArray
    score_sum: FloatArray
    score_min: FloatArray
    score_max: FloatArray

    @classmethod
    def empty(cls, n_units: int, n_nodes: int) -> RankSummary:
        shape = (n_units, n_nodes)
        return cls(np.zeros((n_nodes, n_units, 2 * n_units + 1), dtype=np.int64), np.zeros(shape),
                   np.zeros(shape, dtype=np.int64), np.zeros(shape), np.full(shape, np.inf), np.full(shape, -np.inf))

    @property
    def bins(self) -> int:
        return int(self.counts.shape[-1])

    def add(self, ranks: FloatArray, scores: FloatArray, nominal_ranks: FloatArray) -> None:
        """Count the ranks of one chunk ``(S, units, nodes)`` (whole or half numbers, NaN for none) and add its
        shifts and scores."""
        n, u, k = ranks.shape
        if n == 0:
            return
        missing = np.isnan(ranks)
        gaps = bool(missing.any())
        b = (np.where(missing, 0.0, ranks) if gaps else ranks) * 2.0
        lo, hi = float(b.min()), float(b.max())
        if lo < 0 or hi >= self.bins:
            raise ValueError(f"ranks must lie between 0 and {(self.bins - 1) / 2:g} (the number of units)")
        # flat bin of every rank, (node, unit, bin) in C order, counted in one pass
        cell = ((np.arange(k, dtype=np.int64) * u)[None, None, :] + np.arange(u, dtype=np.int64)[None, :, None])
        flat = cell * self.bins + b.astype(np.int64)
        self.counts += np.bincount(flat[~missing] if gaps else flat.ravel(),
                                   minlength=self.counts.size).reshape(self.counts.shape)
        with quiet():
            if gaps:
                self.shift_sum += np.where(missing, 0.0, np.abs(ranks - nominal_ranks[None])).sum(axis=0)
                self.valid += (~missing).sum(axis=0)
            else:
                self.shift_sum += np.abs(ranks - nominal_ranks[None]).sum(axis=0)
                self.valid += ranks.shape[0]
        self._add_scores(scores, gaps)

    def add_sorted(self, order: npt.NDArray[np.intp], ranks: FloatArray, scores: FloatArray,
                   nominal_ranks: FloatArray) -> None:
        """Count one chunk from its ranks as a sort leaves them (:func:`clusterleap.stages._arrays.rank_order`): per
        sample and node ``(S, nodes, units)`` the units in rank order and the rank at each position (NaN for none),
        with the scores ``(S, units, nodes)``. Gives what :meth:`add` gives with the ranks in unit order, without
        putting them there: the bin of a rank only needs its unit and node. The shifts from the nominal ranks are
        summed from the chunk's counts (``sum_b count_b |b / 2 - nominal|``), exactly: every term is a multiple of
        one half."""
        n, k, u = order.shape
        if n == 0:
            return
        if u != self.counts.shape[1] or k != self.counts.shape[0]:
            raise ValueError(f"expected ranks of {self.counts.shape[1]} units for {self.counts.shape[0]} nodes")
        # ranks the same for every sample (a broadcast view: no ties, nothing missing) are checked and binned once
        same = ranks.strides[0] == 0
        one = ranks[:1] if same else ranks
        missing = np.isnan(one)
        gaps = bool(missing.any())
        b = (np.where(missing, 0.0, one) if gaps else one) * 2.0
        lo, hi = float(b.min()), float(b.max())
        if lo < 0 or hi >= self.bins:
            raise ValueError(f"ranks must lie between 0 and {(self.bins - 1) / 2:g} (the number of units)")
        # flat bin of every rank, (node, unit, bin) in C order: the unit comes from the sort's order
        flat = order * self.bins
        flat += (np.arange(k, dtype=np.intp) * (u * self.bins))[:, None] + b.astype(np.intp)
        delta = np.bincount(flat[np.broadcast_to(~missing, flat.shape)] if gaps else flat.ravel(),
                            minlength=self.counts.size).reshape(self.counts.shape)
        self.counts += delta
        self.valid += delta.sum(axis=-1).T
        with quiet():
            dist = np.abs(np.arange(self.bins) / 2.0 - nominal_ranks.T[..., None])
            self.shift_sum += np.where(delta > 0, delta * dist, 0.0).sum(axis=-1).T
        self._add_scores(scores, gaps)

    def _add_scores(self, scores: FloatArray, gaps: bool) -> None:
        with quiet():
            if gaps:
                self.score_sum += np.nansum(scores, axis=0)
                self.score_min = np.fmin(self.score_min, np.nanmin(scores, axis=0))
                self.score_max = np.fmax(self.score_max, np.nanmax(scores, axis=0))
            else:
                self.score_sum += scores.sum(axis=0)
                self.score_min = np.fmin(self.score_min, scores.min(axis=0))
                self.score_max = np.fmax(self.score_max, scores.max(axis=0))

    def merge(self, other: RankSummary) -> None:
        """Add the summary of another, disjoint set of samples."""
        self.counts += other.counts
        self.shift_sum += other.shift_sum
        self.valid += other.valid
        self.score_sum += other.score_sum
        self.score_min = np.fmin(self.score_min, other.score_min)
        self.score_max = np.fmax(self.score_max, other.score_max)

    def rank_quantiles(self, qs: Sequence[float]) -> FloatArray:
        """Rank quantiles ``(len(qs), units, nodes)``, exactly those of the samples counted."""
        values = np.arange(self.bins) / 2.0
        return np.moveaxis(quantiles_from_counts(self.counts, values, qs), 1, 2)

    def mean_abs_shift(self) -> FloatArray:
        with quiet():
            out: FloatArray = np.where(self.valid > 0, self.shift_sum / self.valid, np.nan)
        return out

    def mean_score(self) -> FloatArray:
        n = (self.counts.sum(axis=-1)).T
        with quiet():
            out: FloatArray = np.where(n > 0, self.score_sum / n, np.nan)
        return out

    def score_bounds(self) -> tuple[FloatArray, FloatArray]:
        lo = np.where(np.isfinite(self.score_min), self.score_min, np.nan)
        hi = np.where(np.isfinite(self.score_max), self.score_max, np.nan)
        return lo, hi
