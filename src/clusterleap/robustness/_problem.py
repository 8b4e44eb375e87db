"""The problem: an uncertainty space resolved against a framework, a data set, a recipe and a year.

:meth:`Problem.build` lays the factors out as columns of uniforms in ``[0, 1)`` (one block of columns per factor,
a factor being one group in Sobol' analysis) and evaluates the nominal result. Every block decodes its own
columns (:meth:`Block.decode`):

- weights (:class:`~._space.WeightNoise`): ``w' = w (1 + f (2u - 1))``, uniform on ``[w (1 - f), w (1 + f)]``
  around the nominal weight (COINr ``get_noisy_weights``);
- a method choice (:class:`~._space.MethodChoice`) or a framework choice (:class:`~._space.FrameworkChoice`):
  option ``j`` when ``c_{j-1} <= u < c_j`` with ``c`` the cumulative probabilities;
- goalposts (:class:`~._space.GoalpostRanges`): uniform on ``[lo_a, lo_b]`` and ``[hi_a, hi_b]`` per indicator.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._api import as_dataset, as_framework, as_recipe, evaluate
from .._dataset import Dataset
from .._framework import Framework, Goalposts
from .._pipeline import check_recipe_nodes, norm_context
from .._recipe import Recipe
from .._registry import did_you_mean
from .._result import Result
from ..errors import DataWarning, RecipeError, SpaceError
from ..stages._arrays import FloatArray
from ..stages.normalise import NormContext
from . import _designs as designs
from ._memory import check_runs
from ._space import FrameworkChoice, GoalpostRanges, MethodChoice, Space, WeightNoise, option_label

__all__ = ["Block", "ChoiceBlock", "Draws", "FrameworkBlock", "GoalpostBlock", "IntArray", "Problem", "WeightBlock",
           "as_space"]

IntArray = npt.NDArray[np.intp]


# -- blocks: each factor's columns, decoding themselves ----------------------------------------------------------
@dataclass(frozen=True)
class Draws:
    """Decoded samples: categorical option indices ``(S, 1 + choices)`` (framework first), weight multipliers
    ``(S, weight codes)`` and goalposts ``(S, ranged indicators)`` in the indicators' own units."""

    cat: IntArray
    mult: FloatArray
    lo: FloatArray
    hi: FloatArray


def _pick(u: FloatArray, cum: FloatArray) -> IntArray:
    """Option index of each uniform by cumulative probabilities: ``j`` where ``cum[j-1] <= u < cum[j]``."""
    return np.searchsorted(cum[:-1], u, side="right").astype(np.intp)


@dataclass(frozen=True)
class Block:
    """The uniform columns ``[start, stop)`` of one factor; :meth:`decode` writes what they drive into draws."""

    kind: ClassVar[Literal["weights", "choice", "framework", "goalposts"]]
    label: str
    start: int
    stop: int

    @property
    def categorical(self) -> bool:
        """Whether the factor picks one of several options (a Saltelli design keeps such columns apart)."""
        return self.kind in ("choice", "framework")

    def decode(self, cols: FloatArray, draws: Draws) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class WeightBlock(Block):
    """Weight noise: multipliers ``1 + f (2u - 1)`` of the weight codes ``target``."""

    kind: ClassVar[Literal["weights"]] = "weights"
    target: IntArray  # indices into the problem's weight codes
    noise: FloatArray  # f of every target

    def decode(self, cols: FloatArray, draws: Draws) -> None:
        draws.mult[:, self.target] = 1.0 + self.noise * (2.0 * cols - 1.0)


@dataclass(frozen=True)
class ChoiceBlock(Block):
    """A method choice: the option index into categorical column ``column``."""

    kind: ClassVar[Literal["choice"]] = "choice"
    column: int
    cum: FloatArray  # cumulative probabilities

    def decode(self, cols: FloatArray, draws: Draws) -> None:
        draws.cat[:, self.column] = _pick(cols[:, 0], self.cum)


@dataclass(frozen=True)
class FrameworkBlock(Block):
    """A framework choice: the framework (index into the problem's frameworks) of every option."""

    kind: ClassVar[Literal["framework"]] = "framework"
    options: IntArray
    cum: FloatArray

    def decode(self, cols: FloatArray, draws: Draws) -> None:
        draws.cat[:, 0] = self.options[_pick(cols[:, 0], self.cum)]


@dataclass(frozen=True)
class GoalpostBlock(Block):
    """Goalpost ranges: ``bounds`` ``(J, 4)`` = lo_a, lo_b, hi_a, hi_b; ``J`` columns for lo, then ``J`` for hi."""

    kind: ClassVar[Literal["goalposts"]] = "goalposts"
    bounds: FloatArray

    def decode(self, cols: FloatArray, draws: Draws) -> None:
        j, a = self.bounds.shape[0], self.bounds
        draws.lo[...] = a[:, 0] + cols[:, :j] * (a[:, 1] - a[:, 0])
        draws.hi[...] = a[:, 2] + cols[:, j:] * (a[:, 3] - a[:, 2])


# -- the problem --------------------------------------------------------------------------------------------------
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
    blocks: tuple[Block, ...]
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
        sp = as_space(space)
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
        blocks: list[Block] = []
        start = 0
        for f in sp.factors:
            if isinstance(f, WeightNoise):
                tgt = weight_targets[f.label]
                blocks.append(WeightBlock(f.label, start, start + len(tgt), tgt, weight_noise[tgt]))
            elif isinstance(f, MethodChoice):
                blocks.append(ChoiceBlock(f.label, start, start + 1, 1 + choices.index(f),
                                           np.cumsum(f.probabilities)))
            elif isinstance(f, FrameworkChoice):
                idx = np.array([0 if o is None else frameworks.index(o) for o in f.options], dtype=np.intp)
                blocks.append(FrameworkBlock(f.label, start, start + 1, idx, np.cumsum(f.probabilities)))
            else:
                blocks.append(GoalpostBlock(f.label, start, start + 2 * len(gp_codes), gp_bounds))
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
    def sample(self, n: int, seed: int | None = None, *, memory_limit: int | None = None) -> FloatArray:
        """``n`` Monte Carlo samples (:func:`._designs.montecarlo`). More than :data:`._memory.MAX_RUNS`, or more
        memory than ``memory_limit`` bytes (default: 80 % of what is available), is refused before drawing
        (:func:`._memory.check_runs`)."""
        check_runs(n, 0, 0, self.dims, limit=memory_limit, what="n")
        return designs.montecarlo(n, self.dims, seed)

    def saltelli(self, n: int, seed: int | None = None, *, memory_limit: int | None = None) -> FloatArray:
        """The Saltelli design for Sobol' analysis: ``n (factors + 2)`` rows (:func:`._designs.saltelli`), refused
        before drawing as :meth:`sample` is."""
        categorical = [b.categorical for b in self.blocks for _ in range(b.start, b.stop)]
        return designs.saltelli(n, self.groups, seed, categorical=categorical, memory_limit=memory_limit)

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
        draws = Draws(cat, mult, lo, hi)
        for b in self.blocks:
            b.decode(u[:, b.start : b.stop], draws)
        return draws

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


def as_space(space: Space | str | Path | Mapping[str, Any] | None) -> Space:
    if space is None:
        return Space()
    if isinstance(space, Space):
        return space
    if isinstance(space, Mapping):
        return Space.from_dict(space)
    return Space.from_yaml(space)


def _check_options(choices: Sequence[MethodChoice], recipe: Recipe, frameworks: Sequence[Framework]) -> None:
    """Every option must make a valid recipe whose overrides fit every framework."""
    for c in choices:
        for i, plan in enumerate(c.options):
            if plan is None:
                continue
            where = f"space, factor {c.label!r}, option {i + 1} ({option_label(plan)})"
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
        if fixed is not None:
            lo = r.lo if r.lo is not None else (fixed.lo, fixed.lo)
            hi = r.hi if r.hi is not None else (fixed.hi, fixed.hi)
        elif r.lo is not None and r.hi is not None:
            lo, hi = r.lo, r.hi
        else:
            raise SpaceError(f"{where}, {r.indicator!r}: the framework gives no goalposts, so both lo and hi need "
                             "a range")
        if not lo[1] < hi[0]:
            raise SpaceError(f"{where}, {r.indicator!r}: lo range {list(lo)} reaches hi range {list(hi)} (every lo "
                             "must stay below every hi)")
        bounds.append([lo[0], lo[1], hi[0], hi[1]])
        caps.append(fixed.cap if fixed is not None else True)
    return tuple(r.indicator for r in gp.ranges), np.array(bounds, dtype=float), tuple(caps)
