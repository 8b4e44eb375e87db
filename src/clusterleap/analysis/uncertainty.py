"""Uncertainty analysis: how much do ranks move when the contestable choices of an evaluation change?

Three separate steps, as in SALib: declare the uncertain choices (a :class:`~clusterleap.analysis.space.Space` of
factors, in :mod:`clusterleap.analysis.space`; re-exported here), draw samples of them
(uniforms in ``[0, 1)``, one column per factor dimension: :meth:`Problem.sample` for Monte Carlo,
:meth:`Problem.saltelli` for Sobol' analysis), and push all samples through the pipeline at once
(:func:`propagate`). The outputs (:class:`Samples`) carry every sampled score and rank, and summarise into rank
intervals, mean absolute rank shifts, grade probabilities and Sobol' indices.

Factors (each maps its uniforms ``u`` to values; a factor is one group in Sobol' analysis):

- :class:`WeightNoise`: ``w' = w (1 + f (2u - 1))``, i.e. uniform on ``[w (1 - f), w (1 + f)]`` around the nominal
  (framework) weight, per level or per listed nodes (COINr ``get_noisy_weights``). The noisy weights are what the
  recipe's weight stage receives as nominal weights; a weight method that ignores them (``equal``) ignores the noise.
- :class:`MethodChoice`: one of several plans for a stage, option ``j`` when ``c_{j-1} <= u < c_j`` with ``c`` the
  cumulative probabilities (``floor(u k)`` for ``k`` equally likely options). A stage on/off is a choice between
  the recipe's own plan and ``none`` (:meth:`Space.switch`).
- :class:`FrameworkChoice`: one of several frameworks over the same indicator pool.
- :class:`GoalpostRanges`: goalposts uniform on ``[lo_a, lo_b]`` and ``[hi_a, hi_b]`` per indicator.

Propagation: categorical choices split the samples into batches, one per combination of choices. Per batch the
stages up to normalisation (which do not depend on weights) run once (once per sample only when goalposts vary),
then ``aggregate_tree`` and ``rank_scores`` run on the whole batch with a weight vector per sample, in chunks of
bounded memory, optionally in worker processes. Combinations that cannot work (a geometric mean of negative
z-scores) give NaN, never an error; :attr:`Samples.failed` counts them.

References: Saisana M., Saltelli A., Tarantola S. (2005), Uncertainty and sensitivity analysis techniques as tools
for the quality assessment of composite indicators, J. R. Stat. Soc. A 168(2), 307-323; OECD/JRC Handbook on
Constructing Composite Indicators (2008), step 7; COINr ``get_sensitivity``.
"""

from __future__ import annotations

import itertools
import multiprocessing
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..api import as_dataset, as_framework, as_recipe, evaluate
from ..dataset import Dataset
from ..errors import DataWarning, FrameworkError, RecipeError, SpaceError
from ..framework import Framework, Goalposts
from ..pipeline import (
    aggregate_tree,
    check_norm_inputs,
    check_recipe_nodes,
    node_weights,
    norm_context,
    normalise,
    prepare,
    rank_scores,
)
from ..recipe import STAGE_ORDER, Plan, Recipe
from ..registry import did_you_mean
from ..result import Result
from ..stages._arrays import FloatArray, quiet
from ..stages.normalise import NormContext
from .sensitivity import saltelli_design, sobol_indices
from .space import (
    NOMINAL,
    FrameworkChoice,
    GoalpostRange,
    GoalpostRanges,
    MethodChoice,
    Space,
    WeightNoise,
    _option_label,
)
from .streaming import RankSummary

if TYPE_CHECKING:
    from .grades import GradingScheme

__all__ = [
    "NOMINAL",
    "FrameworkChoice",
    "GoalpostRange",
    "GoalpostRanges",
    "MethodChoice",
    "Problem",
    "Samples",
    "Space",
    "WeightNoise",
    "compare_recipes",
    "grade_probabilities",
    "grade_shares",
    "leave_one_out",
    "propagate",
    "uncertainty_analysis",
]

#: Array cells (samples x units x nodes) per chunk: about 8 MB per float array (small enough to stay in cache and
#: reuse memory; larger chunks were slower in bench/robustness.py).
CHUNK_CELLS = 1_000_000

IntArray = npt.NDArray[np.intp]


# -- the problem: a space resolved against a framework, data and recipe --------------------------------------------
@dataclass(frozen=True)
class _Block:
    """The uniform columns ``[start, stop)`` of one factor and what they drive."""

    label: str
    kind: Literal["weights", "choice", "framework", "goalposts"]
    start: int
    stop: int
    target: IntArray  # weight-code indices, the categorical column, or goalpost rows
    cum: FloatArray  # cumulative probabilities (categorical factors)


@dataclass(frozen=True)
class Draws:
    """Decoded samples: categorical option indices ``(S, 1 + choices)`` (framework first), weight multipliers
    ``(S, weight codes)`` and goalposts ``(S, ranged indicators)`` in the indicators' own units."""

    cat: IntArray
    mult: FloatArray
    lo: FloatArray
    hi: FloatArray


@dataclass(frozen=True, eq=False)
class Problem:
    """A space resolved against a framework, a data set, a recipe and a year (build it with :meth:`build`): the
    layout of the uniform columns, the frameworks and recipe variants, and the nominal result."""

    framework: Framework
    data: Dataset
    recipe: Recipe
    year: int
    space: Space
    nominal: Result
    frameworks: tuple[Framework, ...]
    choices: tuple[MethodChoice, ...]
    blocks: tuple[_Block, ...]
    weight_codes: tuple[str, ...]
    weight_noise: FloatArray
    gp_codes: tuple[str, ...]
    gp_bounds: FloatArray  # (J, 4): lo_a, lo_b, hi_a, hi_b
    gp_cap: tuple[bool, ...]
    _recipes: dict[tuple[int, ...], Recipe] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        framework: Framework | str | Path,
        data: Dataset | str | Path | pd.DataFrame,
        recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
        space: Space | str | Path | Mapping[str, Any] | None = None,
        year: int | None = None,
    ) -> Problem:
        """Resolve ``space`` (a Space, a YAML file or a mapping) and evaluate the nominal result."""
        fw = as_framework(framework)
        ds = as_dataset(data)
        rc = as_recipe(recipe)
        sp = _as_space(space)
        nominal = evaluate(fw, ds, rc, year)
        ds = nominal.data  # the units the recipe's screen keeps: every sample scores the same units
        fw_choice = next((f for f in sp.factors if isinstance(f, FrameworkChoice)), None)
        frameworks = [fw]
        if fw_choice is not None:
            frameworks += [f for f in fw_choice.options if f is not None and f != fw]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                for other in frameworks[1:]:
                    ds.check_against(other)
        choices = tuple(f for f in sp.factors if isinstance(f, MethodChoice))
        _check_options(choices, rc, frameworks)
        weight_codes, weight_noise, weight_targets = _resolve_weights(sp, frameworks)
        gp = next((f for f in sp.factors if isinstance(f, GoalpostRanges)), None)
        gp_codes, gp_bounds, gp_cap = _resolve_goalposts(gp, frameworks)
        blocks = []
        start = 0
        for f in sp.factors:
            if isinstance(f, WeightNoise):
                tgt = weight_targets[f.label]
                blocks.append(_Block(f.label, "weights", start, start + len(tgt), tgt, np.zeros(0)))
            elif isinstance(f, MethodChoice):
                col = np.array([1 + choices.index(f)], dtype=np.intp)
                blocks.append(_Block(f.label, "choice", start, start + 1, col, np.cumsum(f.probabilities)))
            elif isinstance(f, FrameworkChoice):
                idx = np.array([0 if o is None else frameworks.index(o) for o in f.options], dtype=np.intp)
                blocks.append(_Block(f.label, "framework", start, start + 1, idx, np.cumsum(f.probabilities)))
            else:
                j = np.arange(len(gp_codes), dtype=np.intp)
                blocks.append(_Block(f.label, "goalposts", start, start + 2 * len(j), j, np.zeros(0)))
            start = blocks[-1].stop
        return cls(fw, ds, rc, nominal.year, sp, nominal, tuple(frameworks), choices, tuple(blocks), weight_codes,
                   weight_noise, gp_codes, gp_bounds, gp_cap)

    # -- layout ---------------------------------------------------------------------------------------------------
    @property
    def dims(self) -> int:
        """Number of uniform columns a sample has."""
        return self.blocks[-1].stop if self.blocks else 0

    @property
    def factor_labels(self) -> tuple[str, ...]:
        return tuple(b.label for b in self.blocks)

    @property
    def groups(self) -> list[str]:
        """The factor of every uniform column (the groups of Sobol' analysis)."""
        return [b.label for b in self.blocks for _ in range(b.start, b.stop)]

    @property
    def units(self) -> tuple[str, ...]:
        return self.data.units

    # -- sampling -------------------------------------------------------------------------------------------------
    def sample(self, n: int, seed: int | None = None) -> FloatArray:
        """``n`` Monte Carlo samples: independent uniforms ``(n, dims)`` from ``numpy.random.default_rng(seed)``."""
        return np.random.default_rng(seed).random((n, self.dims))

    def saltelli(self, n: int, seed: int | None = None) -> FloatArray:
        """The Saltelli design for Sobol' analysis: ``n (factors + 2)`` rows (see :mod:`.sensitivity`)."""
        categorical = [b.kind in ("choice", "framework") for b in self.blocks for _ in range(b.start, b.stop)]
        return saltelli_design(n, self.groups, seed, categorical=categorical)

    def decode(self, u: FloatArray) -> Draws:
        """Map uniforms ``(S, dims)`` to option indices, weight multipliers and goalposts."""
        u = np.asarray(u, dtype=float)
        if u.ndim != 2 or u.shape[1] != self.dims:
            raise ValueError(f"expected uniforms of shape (samples, {self.dims}), got {u.shape}")
        s = u.shape[0]
        cat = np.zeros((s, 1 + len(self.choices)), dtype=np.intp)
        mult = np.ones((s, len(self.weight_codes)))
        lo = np.broadcast_to(self.gp_bounds[:, 0], (s, len(self.gp_codes))).copy()
        hi = np.broadcast_to(self.gp_bounds[:, 2], (s, len(self.gp_codes))).copy()
        for b in self.blocks:
            cols = u[:, b.start : b.stop]
            if b.kind == "weights":
                mult[:, b.target] = 1.0 + self.weight_noise[b.target] * (2.0 * cols - 1.0)
            elif b.kind == "choice":
                cat[:, b.target[0]] = _pick(cols[:, 0], b.cum)
            elif b.kind == "framework":
                cat[:, 0] = b.target[_pick(cols[:, 0], b.cum)]
            else:
                j = len(b.target)
                a = self.gp_bounds
                lo = a[:, 0] + cols[:, :j] * (a[:, 1] - a[:, 0])
                hi = a[:, 2] + cols[:, j:] * (a[:, 3] - a[:, 2])
        return Draws(cat, mult, lo, hi)

    # -- one sample as an ordinary evaluation -----------------------------------------------------------------------
    def recipe_for(self, options: Sequence[int] | IntArray) -> Recipe:
        """The recipe with the given option of every choice (in space order)."""
        key = tuple(int(i) for i in options)
        if key not in self._recipes:
            changes: dict[str, Any] = {c.stage: c.options[i] for c, i in zip(self.choices, key, strict=True)
                                       if c.options[i] is not None}
            self._recipes[key] = replace(self.recipe, **changes) if changes else self.recipe
        return self._recipes[key]

    def case(self, u: FloatArray) -> tuple[Framework, Recipe]:
        """The framework (with this sample's weights and goalposts) and recipe of one sample ``u`` ``(dims,)``:
        ``evaluate(*problem.case(u), data, year)`` reproduces the sample."""
        d = self.decode(np.asarray(u, dtype=float)[None, :])
        fw = self.frameworks[int(d.cat[0, 0])]
        weights = {c: fw.by_code[c].weight * float(m) for c, m in zip(self.weight_codes, d.mult[0], strict=True)
                   if c in fw.by_code}
        nodes = []
        for n in fw.nodes:
            n = replace(n, weight=weights.get(n.code, n.weight))
            if n.code in self.gp_codes:
                j = self.gp_codes.index(n.code)
                n = replace(n, goalposts=Goalposts(float(d.lo[0, j]), float(d.hi[0, j]), self.gp_cap[j]))
            nodes.append(n)
        return replace(fw, nodes=tuple(nodes)), self.recipe_for(d.cat[0, 1:])

    def goal_context(self, fw: Framework, lo: FloatArray, hi: FloatArray) -> NormContext:
        """Normalisation inputs with per-sample goalposts ``(S, indicators)``, oriented like the pipeline's."""
        base = norm_context(fw, None, self.data.units, self.recipe.basis)
        olo = np.repeat(base.lo.astype(float), lo.shape[0], axis=0)
        ohi = np.repeat(base.hi.astype(float), lo.shape[0], axis=0)
        for j, code in enumerate(self.gp_codes):
            if code in fw.indicators:
                i = fw.indicators.index(code)
                up = fw.directions[i] > 0
                olo[:, i] = lo[:, j] if up else -hi[:, j]
                ohi[:, i] = hi[:, j] if up else -lo[:, j]
        if self.recipe.basis.kind == "goalposts":  # the basis's bounds are the goalposts, varied per sample
            return replace(base, lo=olo, hi=ohi, bounds=(olo, ohi))
        return replace(base, lo=olo, hi=ohi)

    def output_nodes(self, which: Literal["aggregates", "all"] | Sequence[str] = "aggregates") -> tuple[str, ...]:
        """Node codes reported: every framework's aggregates (or all nodes) in tree order, the index first (every
        framework's root is reported under the nominal root's code), or the codes given."""
        root = self.framework.root.code
        if not isinstance(which, str):
            known = {root} | {c for f in self.frameworks for c in f.order}
            for c in which:
                if c not in known:
                    raise SpaceError(f"no node {c!r} in the framework(s){did_you_mean(c, sorted(known))}")
            return tuple(dict.fromkeys([root, *which]))
        if which not in ("aggregates", "all"):
            raise SpaceError(f"nodes={which!r}: expected 'aggregates', 'all' or a list of node codes")
        out = [root]
        for f in self.frameworks:
            for c in f.order:
                if c == f.root.code or c in out:
                    continue
                if which == "all" or not f.by_code[c].is_indicator:
                    out.append(c)
        return tuple(out)

    def positions(self, fw: Framework, nodes: Sequence[str]) -> IntArray:
        """Position of every output node in ``fw.order`` (-1 where the framework lacks it)."""
        pos = {c: i for i, c in enumerate(fw.order)}
        pos[self.framework.root.code] = pos[fw.root.code]
        return np.array([pos.get(c, -1) for c in nodes], dtype=np.intp)

    def level_of(self, code: str) -> int:
        for f in self.frameworks:
            if code in f.by_code:
                return f.level[code]
        return self.framework.n_levels


def _as_space(space: Space | str | Path | Mapping[str, Any] | None) -> Space:
    if space is None:
        return Space()
    if isinstance(space, Space):
        return space
    if isinstance(space, Mapping):
        return Space.from_dict(space)
    return Space.from_yaml(space)


def _pick(u: FloatArray, cum: FloatArray) -> IntArray:
    """Option index of each uniform by cumulative probabilities: ``j`` where ``cum[j-1] <= u < cum[j]``."""
    return np.searchsorted(cum[:-1], u, side="right").astype(np.intp)


def _check_options(choices: Sequence[MethodChoice], recipe: Recipe, frameworks: Sequence[Framework]) -> None:
    """Every option must make a valid recipe whose overrides fit every framework."""
    for c in choices:
        for i, plan in enumerate(c.options):
            if plan is None:
                continue
            where = f"space, factor {c.label!r}, option {i + 1} ({_option_label(plan)})"
            try:
                change: dict[str, Any] = {c.stage: plan}
                variant = replace(recipe, **change)
                for fw in frameworks:
                    check_recipe_nodes(fw, variant)
            except RecipeError as exc:
                raise SpaceError(f"{where}: {exc}") from None


def _resolve_weights(space: Space, frameworks: Sequence[Framework]) -> tuple[tuple[str, ...], FloatArray,
                                                                            dict[str, IntArray]]:
    """The union of node codes with weight noise, each code's noise, and each factor's code indices."""
    codes: list[str] = []
    noise: list[float] = []
    targets: dict[str, IntArray] = {}
    owner: dict[str, str] = {}
    for f in space.factors:
        if not isinstance(f, WeightNoise):
            continue
        where = f"space, factor {f.label!r}"
        mine: list[str] = []
        if f.nodes:
            for c in f.nodes:
                fws = [fw for fw in frameworks if c in fw.by_code]
                if not fws:
                    known = sorted({k for fw in frameworks for k in fw.by_code})
                    raise SpaceError(f"{where}: node {c!r} is in no framework{did_you_mean(c, known)}")
                if all(fw.root.code == c for fw in fws):
                    raise SpaceError(f"{where}: {c!r} is the root; its weight has no effect")
                mine.append(c)
        else:
            for fw in frameworks:
                mine += [c for c in fw.order if c != fw.root.code and (f.level is None or fw.level[c] == f.level)]
            if not mine:
                tops = ", ".join(f"{fw.name!r}: 1..{fw.n_levels - 1}" for fw in frameworks)
                raise SpaceError(f"{where}: no weighted node at level {f.level} (levels below the root: {tops})")
        for c in dict.fromkeys(mine):
            if c in owner:
                raise SpaceError(f"{where}: the weight of {c!r} is already varied by factor {owner[c]!r}")
            owner[c] = f.label
            codes.append(c)
            noise.append(float(f.noise))
        targets[f.label] = np.array([codes.index(c) for c in dict.fromkeys(mine)], dtype=np.intp)
    return tuple(codes), np.array(noise, dtype=float), targets


def _resolve_goalposts(gp: GoalpostRanges | None, frameworks: Sequence[Framework]
                       ) -> tuple[tuple[str, ...], FloatArray, tuple[bool, ...]]:
    if gp is None:
        return (), np.zeros((0, 4)), ()
    where = f"space, factor {gp.label!r}"
    bounds = []
    caps = []
    for r in gp.ranges:
        fws = [fw for fw in frameworks if r.indicator in fw.by_code and fw.by_code[r.indicator].is_indicator]
        if not fws:
            known = sorted({c for fw in frameworks for c in fw.indicators})
            raise SpaceError(f"{where}: {r.indicator!r} is not an indicator of the framework(s)"
                             f"{did_you_mean(r.indicator, known)}")
        node = fws[0].by_code[r.indicator]
        fixed = node.goalposts
        if fixed is None and (r.lo is None or r.hi is None):
            raise SpaceError(f"{where}, {r.indicator!r}: the framework gives no goalposts, so both lo and hi need "
                             "a range")
        lo = r.lo if r.lo is not None else (fixed.lo, fixed.lo)  # type: ignore[union-attr]
        hi = r.hi if r.hi is not None else (fixed.hi, fixed.hi)  # type: ignore[union-attr]
        if not lo[1] < hi[0]:
            raise SpaceError(f"{where}, {r.indicator!r}: lo range {list(lo)} reaches hi range {list(hi)} (every lo "
                             "must stay below every hi)")
        bounds.append([lo[0], lo[1], hi[0], hi[1]])
        caps.append(fixed.cap if fixed is not None else True)
    return tuple(r.indicator for r in gp.ranges), np.array(bounds, dtype=float), tuple(caps)


# -- propagation ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Chunk:
    """One chunk of one batch: everything a worker needs (picklable)."""

    framework: Framework
    recipe: Recipe
    normalised: FloatArray  # (1 | S, units, indicators), or the treated values when ``ctx`` is given
    ctx: NormContext | None
    weights: FloatArray  # (S, nodes)
    positions: IntArray  # output node -> position in framework order (-1: absent)
    units: tuple[str, ...]


def _run_chunk(c: _Chunk) -> FloatArray:
    """Scores ``(S, units, output nodes present)`` of one chunk."""
    if c.ctx is None:
        norm = c.normalised
    else:  # per-sample goalposts: normalise the treated values once per sample
        x = np.broadcast_to(c.normalised, (c.weights.shape[0], *c.normalised.shape[1:]))
        norm = normalise(x, c.recipe.normalise, c.framework, c.ctx)
    scores, _ = aggregate_tree(c.framework, norm, c.recipe, c.weights, strict=False, units=c.units,
                               nodes=c.positions[c.positions >= 0].tolist())
    return scores


@dataclass(frozen=True)
class _PartOut:
    """What propagating one part of the samples gives: their scores and ranks (when kept), failure flags and index
    rank shifts, and the summary of their independent samples."""

    cat: IntArray
    scores: FloatArray | None
    ranks: FloatArray | None
    failed: npt.NDArray[np.bool_]
    shift: FloatArray
    summary: RankSummary
    grades: IntArray | None  # (tiers + 1, units): counts per tier, the last row ungraded


#: Samples decoded at a time: the decoded weights of a slice stay small (about 30 MB for a few dozen weights).
DECODE_SLICE = 65_536


def _propagate_part(problem: Problem, u: FloatArray, nodes: tuple[str, ...], chunk: int,
                    independent: npt.NDArray[np.bool_], keep: bool, grading: GradingScheme | None = None,
                    progress: Callable[[int], None] | None = None) -> _PartOut:
    """Score, rank and summarise the samples ``u`` chunk by chunk (decoded a slice at a time); full arrays are made
    only when kept."""
    s, n_units, k = u.shape[0], len(problem.units), len(nodes)
    nominal_scores, nominal_ranks = _nominal(problem, nodes)
    lost = {i: ~np.isnan(nominal_scores)[None] & _exists(problem, fw, nodes)[None, None, :]
            for i, fw in enumerate(problem.frameworks)}
    scores_all = np.full((s, n_units, k), np.nan) if keep else None
    ranks_all = np.full((s, n_units, k), np.nan) if keep else None
    failed = np.zeros(s, dtype=bool)
    shift = np.full(s, np.nan)
    summary = RankSummary.empty(n_units, k)
    cat = np.zeros((s, 1 + len(problem.choices)), dtype=np.intp)
    grades = None if grading is None else np.zeros((len(grading.tiers) + 1, n_units), dtype=np.int64)
    grader = None if grading is None else _grader(problem, grading, nodes)
    for start in range(0, s, DECODE_SLICE):
        draws = problem.decode(u[start : start + DECODE_SLICE])
        cat[start : start + DECODE_SLICE] = draws.cat
        for sub, c in _chunks(problem, draws, nodes, chunk):
            scores = _propagate_chunk(problem, start + sub, c, nominal_scores, nominal_ranks, lost, independent,
                                      summary, (scores_all, ranks_all, failed, shift))
            if grades is not None and grader is not None:
                ind = independent[start + sub]
                tiers = grader(scores[ind] if not ind.all() else scores)
                for k in range(grades.shape[0] - 1):
                    grades[k] += (tiers == k).sum(axis=0)
                grades[-1] += (tiers < 0).sum(axis=0)
            if progress is not None:
                progress(len(sub))
    return _PartOut(cat, scores_all, ranks_all, failed, shift, summary, grades)


def _grader(problem: Problem, scheme: GradingScheme, nodes: Sequence[str]) -> Callable[[FloatArray], IntArray]:
    """Tier positions ``(S, units)`` of score arrays ``(S, units, nodes)`` under ``scheme``, with the data's
    benchmark flags, criteria and groups (:func:`clusterleap.analysis.grades.tier_array`)."""
    from .grades import check_basis, tier_array

    check_basis(scheme, problem.recipe.basis, problem.recipe.name)
    fw, data = problem.framework, problem.data
    idx = scheme.index or fw.root.code
    t = data.year_index(problem.year)
    criteria_data = {c.variable: data.column(c.variable)[t] for c in scheme.criteria if c.source == "data"}
    groups = {col: data.group_codes(col)[0] for col in data.groups}
    coverage = problem.nominal.coverage.loc[list(data.units), "coverage"].to_numpy()
    kwargs: dict[str, Any] = {"benchmark": np.asarray(data.benchmark, dtype=bool), "index": idx,
                              "dimensions": fw.children[idx], "data": criteria_data, "groups": groups,
                              "coverage": coverage}

    def grade(scores: FloatArray) -> IntArray:
        out: IntArray = tier_array(scores, nodes, scheme, **kwargs)
        return out

    return grade


def _propagate_chunk(problem: Problem, sub: IntArray, c: _Chunk, nominal_scores: FloatArray,
                     nominal_ranks: FloatArray, lost: Mapping[int, npt.NDArray[np.bool_]],
                     independent: npt.NDArray[np.bool_], summary: RankSummary,
                     out: tuple[FloatArray | None, FloatArray | None, npt.NDArray[np.bool_], FloatArray]) -> FloatArray:
    """One chunk: scores and ranks, its samples' failure flags and index shifts into ``out``, its independent
    samples into ``summary``, and the scores and ranks into ``out`` when kept. Returns the chunk's scores."""
    scores_all, ranks_all, failed, shift = out
    n_units, k = nominal_ranks.shape
    r0 = nominal_ranks[:, 0]
    ok0 = ~np.isnan(r0)
    res = _run_chunk(c)
    cols = np.flatnonzero(c.positions >= 0)
    if len(cols) == k:
        scores = res
    else:
        scores = np.full((len(sub), n_units, k), np.nan)
        scores[:, :, cols] = res
    # ranking is per sample and node, so ranking a chunk gives what ranking every sample alone gives
    ranks = rank_scores(scores, problem.recipe)
    fw_i = next(i for i, f in enumerate(problem.frameworks) if f is c.framework)
    failed[sub] = (np.isnan(scores) & lost[fw_i]).any(axis=(1, 2))
    shift[sub] = np.abs(ranks[:, ok0, 0] - r0[ok0]).mean(axis=1)
    ind = independent[sub]
    if ind.all():
        summary.add(ranks, scores, nominal_ranks)
    elif ind.any():
        summary.add(ranks[ind], scores[ind], nominal_ranks)
    if scores_all is not None and ranks_all is not None:
        scores_all[sub] = scores
        ranks_all[sub] = ranks
    return scores


#: The problem a worker process propagates parts of (set once per process by :func:`_init_worker`).
_WORKER_PROBLEM: list[Problem] = []


def _init_worker(problem: Problem) -> None:
    _WORKER_PROBLEM[:] = [problem]


def _worker_part(u: FloatArray, nodes: tuple[str, ...], chunk: int, independent: npt.NDArray[np.bool_],
                 keep: bool, grading: GradingScheme | None) -> _PartOut:
    return _propagate_part(_WORKER_PROBLEM[0], u, nodes, chunk, independent, keep, grading)


def _nominal(problem: Problem, nodes: Sequence[str]) -> tuple[FloatArray, FloatArray]:
    """Nominal scores and ranks ``(units, nodes)`` of the output nodes (NaN where the framework lacks one)."""
    pos = problem.positions(problem.framework, nodes)
    n_units = len(problem.units)
    scores = np.full((n_units, len(nodes)), np.nan)
    ranks = np.full((n_units, len(nodes)), np.nan)
    have = pos >= 0
    scores[:, have] = problem.nominal.score_array[:, pos[have]]
    ranks[:, have] = problem.nominal.rank_array[:, pos[have]]
    return scores, ranks


_TREAT_STAGES = ("denominate", "transform", "impute", "treat")


class _Prepared:
    """The stages up to normalisation, run once per framework and combination of their methods; normalisation once
    more per normaliser (the treated values are shared), as :func:`prepare` would do it."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.treated: dict[tuple[int, tuple[Plan, ...]], FloatArray] = {}
        self.normalised: dict[tuple[int, tuple[Plan, ...], Plan], FloatArray] = {}
        # the nominal evaluation already ran them for the nominal framework and recipe
        key = (0, tuple(problem.recipe.plan(s) for s in _TREAT_STAGES))
        self.treated[key] = problem.nominal.prepared.treated.x
        self.normalised[(*key, problem.recipe.normalise)] = problem.nominal.prepared.normalised

    def get(self, k: int, recipe: Recipe) -> tuple[FloatArray, FloatArray]:
        """Normalised and treated values ``(1, units, indicators)`` of framework ``k`` under ``recipe``."""
        fw, p = self.problem.frameworks[k], self.problem
        key = (k, tuple(recipe.plan(s) for s in _TREAT_STAGES))
        if key not in self.treated:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                prep = prepare(fw, p.data, recipe, [p.year])
            self.treated[key] = prep.treated.x
            self.normalised[(*key, recipe.normalise)] = prep.normalised
        nkey = (*key, recipe.normalise)
        if nkey not in self.normalised:
            ctx = norm_context(fw, None, p.data.units, recipe.basis)
            check_norm_inputs(fw, recipe.normalise, ctx)
            self.normalised[nkey] = normalise(self.treated[key], recipe.normalise, fw, ctx)
        return self.normalised[nkey], self.treated[key]


def _chunks(problem: Problem, draws: Draws, nodes: Sequence[str], chunk: int) -> Iterator[tuple[IntArray, _Chunk]]:
    """Split the samples into batches (one per combination of choices) and the batches into chunks."""
    combos, inverse = np.unique(draws.cat, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    prepared = _Prepared(problem)
    for ci, combo in enumerate(combos):
        idx = np.flatnonzero(inverse == ci)
        k = int(combo[0])
        fw = problem.frameworks[k]
        recipe = problem.recipe_for(combo[1:])
        normalised, treated = prepared.get(k, recipe)
        ranged = [c for c in problem.gp_codes if c in fw.indicators]
        # goalposts vary per sample where a normaliser reads them: the goalposts method, or any on a goalposts basis
        per_sample = bool(ranged) and (recipe.basis.kind == "goalposts" or any(
            recipe.normalise.step_for(c, 1).method == "goalposts" for c in ranged))
        base_w = node_weights(fw)
        wpos = np.array([fw.order.index(c) if c in fw.by_code else -1 for c in problem.weight_codes], dtype=np.intp)
        have = wpos >= 0
        positions = problem.positions(fw, nodes)
        for start in range(0, len(idx), chunk):
            sub = idx[start : start + chunk]
            mult = np.ones((len(sub), base_w.shape[1]))
            mult[:, wpos[have]] = draws.mult[np.ix_(sub, np.flatnonzero(have))]
            ctx = problem.goal_context(fw, draws.lo[sub], draws.hi[sub]) if per_sample else None
            yield sub, _Chunk(fw, recipe, treated if per_sample else normalised, ctx, base_w * mult, positions,
                              problem.units)


def _exists(problem: Problem, fw: Framework, nodes: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Output nodes that are aggregates of ``fw`` (where a missing score means the sample failed)."""
    pos = problem.positions(fw, nodes)
    return np.array([p >= 0 and not fw.by_code[fw.order[p]].is_indicator for p in pos], dtype=bool)


def _independent(n: int, n_factors: int, design: str) -> npt.NDArray[np.bool_]:
    """The samples that are independent draws (see :attr:`Samples.rows`)."""
    if design != "saltelli":
        return np.ones(n, dtype=bool)
    width = n_factors + 2
    pos = np.arange(n) % width
    return np.asarray((pos == 0) | (pos == width - 1), dtype=bool)


def propagate(
    problem: Problem,
    uniforms: FloatArray,
    *,
    nodes: Literal["aggregates", "all"] | Sequence[str] = "aggregates",
    chunk: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    design: Literal["montecarlo", "saltelli"] = "montecarlo",
    seed: int | None = None,
    keep: bool = True,
    grading: GradingScheme | None = None,
) -> Samples:
    """Scores and ranks of every sample ``uniforms`` ``(S, dims)``, all at once on the sample axis.

    ``nodes``: which nodes to keep (default every aggregate; ``"all"`` adds indicators). ``chunk``: samples per
    array pass (default: about a million cells, 8 MB per array). ``workers > 1`` splits the samples into parts
    propagated in that many processes (each gets the problem once). ``progress(done, total)`` is called after each
    chunk (after each part with workers). ``keep=False`` keeps no sample's scores or ranks, only the summaries
    accumulated chunk by chunk (rank counts for exact rank intervals, score means and bounds, and per sample the
    failure flag and the index rank shift): memory is then bounded by the chunk and those per-sample figures, not
    by samples x units x nodes. ``grading``: also count every independent sample's grades under that scheme, so
    that :func:`grade_shares` needs no kept samples."""
    t0 = time.perf_counter()
    u = np.asarray(uniforms, dtype=float)
    problem.decode(u[:1])  # checks the shape
    out_nodes = problem.output_nodes(nodes)
    s, n_units, k = u.shape[0], len(problem.units), len(out_nodes)
    if chunk is None:
        widest = max(len(f.order) for f in problem.frameworks)
        chunk = max(1, CHUNK_CELLS // (n_units * widest))
    if chunk < 1:
        raise SpaceError(f"chunk {chunk} must be at least 1 sample")
    nominal_scores, nominal_ranks = _nominal(problem, out_nodes)
    independent = _independent(s, len(problem.blocks), design)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, s)

    if workers <= 1 or s <= chunk:
        out = _propagate_part(problem, u, out_nodes, chunk, independent, keep, grading, tick)
        cat, scores, ranks, failed, shift, summary = out.cat, out.scores, out.ranks, out.failed, out.shift, out.summary
        grades = out.grades
    else:
        # contiguous parts, a few per worker (for progress and balance); each process gets the problem once.
        # "spawn": forking a process that runs threads (a progress bar's refresher) can deadlock the children.
        n_parts = min(-(-s // chunk), 4 * workers)
        bounds = np.linspace(0, s, n_parts + 1).astype(int)
        scores = np.full((s, n_units, k), np.nan) if keep else None
        ranks = np.full((s, n_units, k), np.nan) if keep else None
        cat = np.zeros((s, 1 + len(problem.choices)), dtype=np.intp)
        failed = np.zeros(s, dtype=bool)
        shift = np.full(s, np.nan)
        summary = RankSummary.empty(n_units, k)
        grades = None if grading is None else np.zeros((len(grading.tiers) + 1, n_units), dtype=np.int64)
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker, initargs=(problem,)) as pool:
            futures = [(a, b, pool.submit(_worker_part, u[a:b], out_nodes, chunk, independent[a:b], keep,
                                                  grading))
                       for a, b in itertools.pairwise(bounds) if b > a]
            for a, b, fut in futures:
                part = fut.result()
                if scores is not None and ranks is not None and part.scores is not None and part.ranks is not None:
                    scores[a:b] = part.scores
                    ranks[a:b] = part.ranks
                cat[a:b] = part.cat
                failed[a:b] = part.failed
                shift[a:b] = part.shift
                summary.merge(part.summary)
                if grades is not None and part.grades is not None:
                    grades += part.grades
                tick(int(b - a))
    n_base = s // (len(problem.blocks) + 2) if design == "saltelli" else s
    empty = np.empty((0, n_units, k))
    return Samples(problem, u, cat, out_nodes, empty if scores is None else scores,
                   empty if ranks is None else ranks, nominal_scores, nominal_ranks, design, n_base, seed,
                   time.perf_counter() - t0, keep, summary, failed, shift,
                   None if grading is None or grades is None else (grading, grades))


def uncertainty_analysis(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
    space: Space | str | Path | Mapping[str, Any] | None = None,
    *,
    samples: int = 1000,
    seed: int | None = None,
    sobol: bool = False,
    year: int | None = None,
    nodes: Literal["aggregates", "all"] | Sequence[str] = "aggregates",
    chunk: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    keep: bool = True,
) -> Samples:
    """Build the problem, draw ``samples`` (Monte Carlo; with ``sobol``, ``samples`` base points of the Saltelli
    design, so ``samples (factors + 2)`` runs) from ``seed`` and propagate them. Without a seed one is drawn from
    the operating system and recorded in :attr:`Samples.seed`. ``keep=False``: summaries only (see
    :func:`propagate`)."""
    if samples < 1:
        raise SpaceError(f"samples {samples} must be at least 1")
    problem = Problem.build(framework, data, recipe, space, year)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy) % 2**63  # type: ignore[arg-type]
    u = problem.saltelli(samples, seed) if sobol else problem.sample(samples, seed)
    return propagate(problem, u, nodes=nodes, chunk=chunk, workers=workers, progress=progress,
                     design="saltelli" if sobol else "montecarlo", seed=seed, keep=keep)


# -- outputs ----------------------------------------------------------------------------------------------------------
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
        if self.design != "saltelli":
            return np.arange(self.n, dtype=np.intp)
        width = len(self.problem.blocks) + 2
        base = np.arange(self.n_base, dtype=np.intp) * width
        return np.sort(np.concatenate([base, base + width - 1]))

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
        choice_cols = [b.label for b in p.blocks if b.kind in ("choice", "framework")]
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
            if b.kind == "framework":
                df[b.label] = [p.frameworks[i].name for i in self.options[:, 0]]
            elif b.kind == "choice":
                choice = p.choices[int(b.target[0]) - 1]
                own = f"{NOMINAL}: {_option_label(p.recipe.plan(choice.stage))}"
                labels = np.array([own if o is None else _option_label(o) for o in choice.options], dtype=object)
                df[b.label] = labels[self.options[:, b.target[0]]]
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


def grade_probabilities(
    samples: Samples,
    grader: Callable[[pd.DataFrame], Any],
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per unit: the nominal grade and the share of samples giving each grade.

    ``grader`` maps a units x nodes score table (one sample, as :meth:`Samples.frame` gives it) to one grade label
    per unit (a Series indexed by unit, or a sequence in unit order). Columns follow ``labels`` when given (grades
    never drawn get 0), else the order labels first appear in."""
    units = samples.units

    def grade(frame: pd.DataFrame) -> list[Any]:
        g = grader(frame)
        if isinstance(g, pd.Series):
            g = g.reindex(list(units))
        values = list(g)
        if len(values) != len(units):
            raise ValueError(f"the grader returned {len(values)} labels for {len(units)} units")
        return values

    rows = samples.rows
    counts: dict[Any, npt.NDArray[np.int64]] = {lab: np.zeros(len(units), dtype=np.int64) for lab in labels or ()}
    for s in rows:
        for u, lab in enumerate(grade(samples.frame(int(s)))):
            if lab is None or (isinstance(lab, float) and np.isnan(lab)):
                continue
            if lab not in counts:
                counts[lab] = np.zeros(len(units), dtype=np.int64)
            counts[lab][u] += 1
    df = pd.DataFrame({"nominal": grade(samples.nominal_frame())}, index=pd.Index(units, name="unit"))
    for lab, c in counts.items():
        df[str(lab)] = c / len(rows)
    return df


def grade_shares(samples: Samples, scheme: GradingScheme | None = None) -> pd.DataFrame:
    """Per unit: the nominal grade and the probability of each grade over the independent samples, graded all at
    once (:func:`clusterleap.analysis.grades.tier_array`) with ``scheme``, else the recipe's grading scheme.

    Columns: ``nominal`` (the grade of the nominal result), one column per tier code with its share of samples,
    and ``ungraded`` when some samples leave a unit below every tier or without a score. Thresholds are on the
    score scale: they mean the same in every sample only when the space keeps that scale (see docs/robustness.md).
    """
    problem = samples.problem
    scheme = scheme or problem.recipe.grading
    if scheme is None:
        raise RecipeError("grade probabilities need a grading scheme: set the recipe's 'grading' or pass one")
    grade = _grader(problem, scheme, samples.nodes)
    rows = samples.rows
    codes = [tier.code for tier in scheme.tiers]
    counted = samples.grade_counts
    if samples.kept:
        tiers = grade(samples.scores[rows])
        counts = np.stack([*((tiers == k).sum(axis=0) for k in range(len(codes))), (tiers < 0).sum(axis=0)])
    elif counted is not None and counted[0] == scheme:
        counts = counted[1]
    else:
        raise SpaceError("grade probabilities without kept samples need the grades counted during propagation: "
                         "propagate(..., keep=False, grading=scheme) with this scheme, or keep=True")
    nominal = grade(samples.nominal_scores[None])[0]
    df = pd.DataFrame({"nominal": [codes[k] if k >= 0 else "" for k in nominal]},
                      index=pd.Index(samples.units, name="unit"))
    for k, code in enumerate(codes):
        df[code] = counts[k] / len(rows)
    ungraded = counts[-1] / len(rows)
    if ungraded.any():
        df["ungraded"] = ungraded
    return df


# -- leave one out and two recipes -------------------------------------------------------------------------------
def _without(fw: Framework, code: str) -> Framework | None:
    """The framework without indicator ``code`` and any aggregate left without children (None if nothing
    sensible remains)."""
    drop = {code}
    while True:
        kids: dict[str, int] = {}
        for n in fw.nodes:
            if n.code not in drop and n.parent is not None:
                kids[n.parent] = kids.get(n.parent, 0) + 1
        empty = {n.code for n in fw.nodes if not n.is_indicator and n.code not in drop and not kids.get(n.code)}
        if not empty:
            break
        drop |= empty
    if fw.root.code in drop:
        return None
    try:
        return replace(fw, nodes=tuple(n for n in fw.nodes if n.code not in drop))
    except FrameworkError:
        return None


def _drop_overrides(recipe: Recipe, fw: Framework) -> Recipe:
    changes: dict[str, Any] = {}
    for stage in STAGE_ORDER:
        plan = recipe.plan(stage)
        kept = tuple((c, s) for c, s in plan.nodes if c in fw.by_code)
        if kept != plan.nodes:
            changes[stage] = replace(plan, nodes=kept)
    return replace(recipe, **changes) if changes else recipe


def leave_one_out(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
    year: int | None = None,
    *,
    node: str | None = None,
) -> pd.DataFrame:
    """Per indicator removed and unit: the rank and score of ``node`` (the index by default) with that indicator
    left out of the framework (and of every stage: the evaluation is re-run without it), and the rank shift
    ``rank - nominal_rank`` (positive = worse without the indicator)."""
    fw, ds, rc = as_framework(framework), as_dataset(data), as_recipe(recipe)
    nominal = evaluate(fw, ds, rc, year)
    ds = nominal.data  # the units the recipe's screen keeps
    target = node or fw.root.code
    if target not in fw.by_code:
        raise FrameworkError(f"framework {fw.name!r} has no node {target!r}{did_you_mean(target, list(fw.order))}")
    r0 = nominal.rank(target).to_numpy(dtype=float)
    s0 = nominal.score(target).to_numpy(dtype=float)
    parts = []
    for code in fw.indicators:
        reduced = _without(fw, code)
        score = np.full(len(ds.units), np.nan)
        rank = np.full(len(ds.units), np.nan)
        if reduced is not None and target in reduced.by_code:
            rc_k = _drop_overrides(rc, reduced)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                prep = prepare(reduced, ds, rc_k, [nominal.year])
            scores, _ = aggregate_tree(reduced, prep.normalised, rc_k, units=ds.units)
            col = scores[:, :, [reduced.order.index(target)]]
            score = col[0, :, 0]
            rank = rank_scores(col, rc_k)[0, :, 0]
        parts.append(pd.DataFrame({"removed": code, "unit": ds.units, "name": ds.names, "nominal_rank": r0,
                                   "rank": rank, "shift": rank - r0, "nominal_score": s0, "score": score}))
    return pd.concat(parts, ignore_index=True)


def compare_recipes(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    a: Recipe | str | Path | Mapping[str, Any] | None,
    b: Recipe | str | Path | Mapping[str, Any] | None,
    year: int | None = None,
    *,
    node: str | None = None,
) -> pd.DataFrame:
    """Per unit: score and rank of ``node`` (the index by default) under recipes ``a`` and ``b``, and the rank
    shift ``rank_b - rank_a``; sorted by rank under ``a``."""
    fw = as_framework(framework)
    ds = as_dataset(data)
    ra, rb = evaluate(fw, ds, a, year), evaluate(fw, ds, b, year)
    target = node or fw.root.code
    if target not in fw.by_code:
        raise FrameworkError(f"framework {fw.name!r} has no node {target!r}{did_you_mean(target, list(fw.order))}")
    rank_a = ra.rank(target).astype(float)
    rank_b = rb.rank(target).astype(float)
    df = pd.DataFrame({"name": list(ds.names), "score_a": ra.score(target), "rank_a": rank_a,
                       "score_b": rb.score(target), "rank_b": rank_b, "shift": rank_b - rank_a},
                      index=pd.Index(ds.units, name="unit"))
    return df.sort_values(["rank_a", "score_a"], ascending=[True, False], na_position="last")
