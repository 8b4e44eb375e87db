"""The outputs of propagation: every sample's scores and ranks (or their summaries), and what they tell.

:class:`Samples` summarises into rank intervals (exact, from rank counts: :mod:`._streaming`), mean absolute rank
shifts, the runs that failed and why, a design table and Sobol' indices (:mod:`._sensitivity`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._framework import Framework
from .._recipe import Recipe
from ..errors import SpaceError
from ..grading import GradingScheme
from ..stages._arrays import FloatArray, quiet
from ._designs import independent_rows
from ._problem import ChoiceBlock, FrameworkBlock, IntArray, Problem
from ._sensitivity import sobol_indices
from ._space import NOMINAL, option_label
from ._streaming import CHUNK_CELLS, RankSummary

__all__ = ["Samples"]


@dataclass(frozen=True, eq=False)
class Samples:
    """Every sample's scores and ranks ``(samples, units, nodes)`` with the nominal ones ``(units, nodes)``; the
    uniforms and categorical options that made them; the design (``montecarlo`` or ``saltelli`` with ``n_base``
    base points) and the seed.

    ``kept`` tells whether every sample's scores and ranks were kept (``propagate(..., keep=False)`` keeps none:
    ``scores`` and ``ranks`` are then empty, and the summaries come from ``rank_counts``, the rank counts and score
    bounds accumulated chunk by chunk, and from the per-sample failure flags and index rank shifts)."""

    problem: Problem
    uniforms: FloatArray
    options: IntArray
    nodes: tuple[str, ...]
    scores: FloatArray
    ranks: FloatArray
    nominal_scores: FloatArray
    nominal_ranks: FloatArray
    design: str
    n_base: int
    seed: int | None
    seconds: float = field(default=0.0, compare=False)
    kept: bool = True
    rank_counts: RankSummary | None = field(default=None, repr=False)
    run_failed: npt.NDArray[np.bool_] | None = field(default=None, repr=False)
    run_shift: FloatArray | None = field(default=None, repr=False)
    grade_counts: tuple[GradingScheme, IntArray] | None = field(default=None, repr=False)

    def _need_samples(self, what: str) -> None:
        if not self.kept:
            raise SpaceError(f"{what} needs every sample's scores: propagate with keep=True (the default)")

    @property
    def units(self) -> tuple[str, ...]:
        return self.problem.units

    @property
    def n(self) -> int:
        return int(self.uniforms.shape[0])

    @property
    def rows(self) -> IntArray:
        """The samples that are independent draws: all for Monte Carlo, the ``A`` and ``B`` rows of a Saltelli
        design (its ``AB`` rows repeat them with one factor changed)."""
        return independent_rows(self.n, self.n_base, len(self.problem.blocks), self.design)

    @property
    def failed(self) -> npt.NDArray[np.bool_]:
        """Samples where some aggregate score is missing although the nominal one is not (an impossible
        combination, such as a geometric mean of negative values, or, with imputation off and ``missing=propagate``,
        a unit with a gap). Nodes a sample's framework lacks, and indicators (missing values are data), do not
        count."""
        if self.run_failed is not None:
            return self.run_failed
        exists = np.zeros((self.n, len(self.nodes)), dtype=bool)
        for k, fw in enumerate(self.problem.frameworks):
            pos = self.problem.positions(fw, self.nodes)
            has = np.array([p >= 0 and not fw.by_code[fw.order[p]].is_indicator for p in pos])
            exists[self.options[:, 0] == k] = has
        lost = np.isnan(self.scores) & ~np.isnan(self.nominal_scores)[None]
        return np.asarray((lost & exists[:, None, :]).any(axis=(1, 2)), dtype=bool)

    def missing_scores(self) -> pd.DataFrame:
        """Why runs failed, per node: the runs and units where the node has no score although the nominal
        evaluation gives one, whether the index is still defined in every run, and the factor option every such run
        shares (e.g. ``imputation = none``), when there is one. Lowest nodes first: a missing aspect often explains
        the missing dimension above it."""
        p = self.problem
        columns = ["node", "level", "runs", "units", "examples", "cause", "index_defined"]
        if not self.kept:  # samples not kept: only the failure flags are known
            return pd.DataFrame(columns=columns)
        lost = np.isnan(self.scores) & ~np.isnan(self.nominal_scores)[None]
        design = self.design_table()
        choice_cols = [b.label for b in p.blocks if b.categorical]
        root = 0  # the index is reported first
        index_lost = lost[:, :, root].any(axis=1)
        fw = p.framework
        rows = []
        for j, code in enumerate(self.nodes):
            if code in fw.by_code and fw.by_code[code].is_indicator:
                continue
            runs = lost[:, :, j].any(axis=1)
            if not runs.any():
                continue
            units = [self.units[u] for u in np.flatnonzero(lost[:, :, j].any(axis=0))]
            cause = ""
            for col in choice_cols:
                taken = design[col].to_numpy()
                opts = set(taken[runs])
                if len(opts) == 1:
                    opt = next(iter(opts))
                    if not (taken[~runs] == opt).any():
                        cause = f"{col} = {opt}"
                        break
            rows.append({"node": code, "level": fw.level.get(code, 0), "runs": int(runs.sum()),
                         "units": len(units), "examples": ", ".join(units[:5]), "cause": cause,
                         "index_defined": not bool((runs & index_lost).any())})
        df = pd.DataFrame(rows, columns=columns)
        return df.sort_values(["level", "runs"], ascending=[True, False]).reset_index(drop=True)

    def missing_message(self) -> str:
        """The failures in plain words, one sentence per node (empty when no run failed)."""
        df = self.missing_scores()
        if df.empty:
            return ""
        fw = self.problem.framework
        parts = []
        for _, r in df.iterrows():
            node = str(r["node"])
            kind = fw.level_name(fw.level[node]).lower() if node in fw.by_code else "node"
            when = f", in every run with {r['cause']}" if r["cause"] else ""
            parts.append(f"{kind} {node} has no score for {r['units']} unit(s) ({r['examples']}) in "
                         f"{r['runs']} of {self.n} runs{when}")
        index_ok = bool(df["index_defined"].all())
        tail = ("; the index is defined in every run" if index_ok
                else "; in some of these runs the index itself is undefined for those units")
        text = "; ".join(parts) + tail
        return text[:1].upper() + text[1:]

    def frame(self, s: int) -> pd.DataFrame:
        """Sample ``s`` as a units x nodes score table."""
        self._need_samples("a sample's score table")
        return pd.DataFrame(self.scores[s], index=pd.Index(self.units, name="unit"), columns=list(self.nodes))

    def nominal_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.nominal_scores, index=pd.Index(self.units, name="unit"), columns=list(self.nodes))

    def case(self, s: int) -> tuple[Framework, Recipe]:
        """Framework and recipe that reproduce sample ``s`` with :func:`clusterleap.evaluate`."""
        return self.problem.case(self.uniforms[s])

    def index_shift(self) -> FloatArray:
        """Per sample: the mean absolute shift of the units' index ranks from their nominal ranks, ``mean_u
        |r_su - r0_u|`` (COINr's sensitivity output); NaN for failed samples."""
        if self.run_shift is not None:
            return self.run_shift
        r, r0 = self.ranks[:, :, 0], self.nominal_ranks[:, 0]
        ok = ~np.isnan(r0)
        out: FloatArray = np.abs(r[:, ok] - r0[ok]).mean(axis=1)
        return out

    def rank_intervals(self, quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
        """Per node and unit: nominal rank, median rank, the ``quantiles`` of the rank, mean absolute rank shift,
        and the same for the score, over the independent samples (:attr:`rows`; failed ones ignored).

        Rank quantiles come from the counts of every rank (exact: ranks are whole or half numbers). Score quantiles
        need the scores: when they were not kept (``keep=False``) the score columns are the mean, minimum and
        maximum score instead (``mean_score``, ``min_score``, ``max_score``)."""
        summary = self.rank_summary()
        qs = [quantiles[0], 0.5, quantiles[1]]
        rq = summary.rank_quantiles(qs)
        shift = summary.mean_abs_shift()
        valid = summary.valid
        lo, hi = (f"p{q * 100:g}" for q in quantiles)
        if self.kept:
            sc = self.scores if self.design != "saltelli" else self.scores[self.rows]
            with quiet():
                sq = np.nanquantile(sc, qs, axis=0) if np.isnan(sc).any() else np.quantile(sc, qs, axis=0)
            score_cols = {"median_score": sq[1], f"score_{lo}": sq[0], f"score_{hi}": sq[2]}
        else:
            smin, smax = summary.score_bounds()
            score_cols = {"mean_score": summary.mean_score(), "min_score": smin, "max_score": smax}
        n_u, n_k = len(self.units), len(self.nodes)
        names = dict(zip(self.units, self.problem.data.names, strict=True))
        df = pd.DataFrame({
            "node": np.repeat(np.array(self.nodes, dtype=object), n_u),
            "level": np.repeat([self.problem.level_of(c) for c in self.nodes], n_u),
            "unit": np.tile(np.array(self.units, dtype=object), n_k),
            "name": [names[u] for u in self.units] * n_k,
            "nominal_rank": self.nominal_ranks.T.ravel(),
            "median_rank": rq[1].T.ravel(),
            f"rank_{lo}": rq[0].T.ravel(),
            f"rank_{hi}": rq[2].T.ravel(),
            "mean_abs_shift": shift.T.ravel(),
            "nominal_score": self.nominal_scores.T.ravel(),
            **{name: col.T.ravel() for name, col in score_cols.items()},
            "n_valid": valid.T.ravel(),
        })
        return df

    def rank_summary(self) -> RankSummary:
        """Rank counts, shifts and score bounds of the independent samples (:attr:`rows`): accumulated during
        propagation, or counted here from the kept samples."""
        if self.rank_counts is not None:
            return self.rank_counts
        self._need_samples("a rank summary")
        out = RankSummary.empty(len(self.units), len(self.nodes))
        rows = self.rows
        step = max(1, CHUNK_CELLS // max(1, len(self.units) * len(self.nodes)))
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            out.add(self.ranks[part], self.scores[part], self.nominal_ranks)
        return out

    def sobol(
        self,
        output: Literal["index", "units"] = "index",
        *,
        num_resamples: int = 100,
        conf_level: float = 0.95,
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Sobol' first-order and total indices of every factor, for the mean absolute rank shift of the index
        (``output="index"``) or for each unit's index rank (``"units"``). Needs a Saltelli design."""
        if self.design != "saltelli":
            raise SpaceError("Sobol' indices need a Saltelli design (uncertainty_analysis(..., sobol=True))")
        labels = list(self.problem.factor_labels)
        boot_seed = self.seed if seed is None else seed
        if output == "index":
            res = sobol_indices(self.index_shift(), labels, num_resamples=num_resamples, conf_level=conf_level,
                                seed=boot_seed)
            df = res.to_frame()
        elif output == "units":
            self._need_samples("Sobol' indices per unit")
            res = sobol_indices(self.ranks[:, :, 0], labels, num_resamples=num_resamples, conf_level=conf_level,
                                seed=boot_seed)
            df = res.to_frame(self.units).rename(columns={"output": "unit"})
        else:
            raise SpaceError(f"Sobol' output {output!r}: expected 'index' or 'units'")
        df["n_base"] = res.n_base
        df["n_dropped"] = res.n_dropped
        return df

    def design_table(self) -> pd.DataFrame:
        """Per sample: the option each categorical factor took, whether it failed, and the index rank shift."""
        df = pd.DataFrame(index=pd.RangeIndex(self.n, name="sample"))
        p = self.problem
        for b in p.blocks:
            if isinstance(b, FrameworkBlock):
                df[b.label] = [p.frameworks[i].name for i in self.options[:, 0]]
            elif isinstance(b, ChoiceBlock):
                choice = p.choices[b.column - 1]
                own = f"{NOMINAL}: {option_label(p.recipe.plan(choice.stage))}"
                labels = np.array([own if o is None else option_label(o) for o in choice.options], dtype=object)
                df[b.label] = labels[self.options[:, b.column]]
        df["failed"] = self.failed
        df["index_shift"] = self.index_shift()
        return df

    def summary(self) -> dict[str, Any]:
        """Plain figures for a report: samples, runs, failures, seconds, seed and the space."""
        return {
            "design": self.design,
            "runs": self.n,
            "samples": len(self.rows),
            "base_samples": self.n_base if self.design == "saltelli" else None,
            "failed_runs": int(self.failed.sum()),
            "missing_scores": self.missing_scores().to_dict(orient="records"),
            "seconds": round(self.seconds, 3),
            "seed": self.seed,
            "year": self.problem.year,
            "framework": self.problem.framework.name,
            "recipe": self.problem.recipe.to_dict(),
            "space": self.problem.space.to_dict(),
            "factors": list(self.problem.factor_labels),
            "nodes": list(self.nodes),
        }
