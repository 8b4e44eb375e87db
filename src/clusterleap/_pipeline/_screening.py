"""Coverage and screening of units, and the check that a recipe names nodes the framework has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .._dataset import Dataset
from .._framework import Framework
from .._recipe import INDICATOR_STAGES, Recipe, Step
from .._registry import did_you_mean
from ..errors import RecipeError
from ..stages import screen as screen_stage
from ..stages._arrays import BoolArray, FloatArray


@dataclass(frozen=True)
class Screening:
    """Data coverage of every unit of the data set in the evaluated year(s), and which units the recipe's screen
    keeps. ``present`` ``(years, units, indicators)``: the value the pipeline gets is there (the indicator and,
    where the recipe denominates it, its denominator); ``dimensions``: the codes the per-dimension shares refer to
    (the children of the root)."""

    years: tuple[int, ...]
    dimensions: tuple[str, ...]
    present: BoolArray
    share: FloatArray  # (years, units)
    by_dimension: FloatArray  # (years, units, dimensions)
    kept: BoolArray  # (years, units)
    step: Step

    def with_data(self) -> npt.NDArray[np.int64]:
        """Indicators with a value, per year and unit."""
        out: npt.NDArray[np.int64] = self.present.sum(axis=-1)
        return out


def dimension_positions(fw: Framework) -> tuple[tuple[str, ...], npt.NDArray[np.int64]]:
    """The root's children and, per indicator, the position of the child it belongs to (an indicator directly
    under the root is its own dimension)."""
    dims = fw.children[fw.root.code]
    pos = {c: i for i, c in enumerate(dims)}
    out = []
    for c in fw.indicators:
        line = (c, *fw.ancestors(c))
        out.append(next(pos[a] for a in line if a in pos))
    return dims, np.array(out, dtype=np.int64)


def screen(fw: Framework, data: Dataset, recipe: Recipe, years: Sequence[int]) -> Screening:
    """Coverage per unit (overall and per dimension) and the units the recipe's screen keeps, per year."""
    ti = [data.year_index(y) for y in years]
    col = [data.variables.index(c) for c in fw.indicators]
    # views where they will do (one year; the indicators in the data's order): no copy of a large table
    values = data.values[ti[0] : ti[0] + 1] if len(ti) == 1 else data.values[ti]
    present = np.isnan(values if col == list(range(values.shape[-1])) else values[:, :, col])
    np.logical_not(present, out=present)
    for i, c in enumerate(fw.indicators):
        dn = fw.by_code[c].denominator
        if dn and recipe.denominate.step_for(c, 1).method != "none" and dn in data.variables:
            present[:, :, i] &= ~np.isnan(values[:, :, data.variables.index(dn)])
    dims, dpos = dimension_positions(fw)
    share, by_dim = screen_stage.coverage_shares(present, dpos)
    step = recipe.screen.default
    kept = screen_stage.METHODS.get(step.method).func(present, dpos, **step.kwargs)
    return Screening(tuple(years), dims, present, share, by_dim, np.asarray(kept, dtype=bool), step)


def check_recipe_nodes(fw: Framework, recipe: Recipe) -> None:
    """Raise if a recipe override names a node the framework lacks, or a node of the wrong kind."""
    src = recipe.source or "recipe"
    for stage in ("denominate", "transform", "impute", "treat", "normalise", "weight", "aggregate"):
        plan = recipe.plan(stage)
        for code, _ in plan.nodes:
            if code not in fw:
                raise RecipeError(f"{src}, {stage}.nodes: {code!r} is not a node of framework {fw.name!r}"
                                  f"{did_you_mean(code, list(fw.by_code))}")
            is_ind = fw.by_code[code].is_indicator
            if stage in INDICATOR_STAGES and not is_ind:
                raise RecipeError(f"{src}, {stage}.nodes: {code!r} is not an indicator ({stage} applies to "
                                  "indicators)")
            if stage not in INDICATOR_STAGES and is_ind:
                raise RecipeError(f"{src}, {stage}.nodes: {code!r} is an indicator ({stage} applies to parent "
                                  "nodes)")
        top = fw.n_levels
        for level, _ in plan.levels:
            if not 2 <= level <= top:
                raise RecipeError(f"{src}, {stage}.levels: level {level} does not exist in framework {fw.name!r} "
                                  f"(parent levels are 2..{top})")

