"""Column groups: the indicators grouped by the step a plan gives each, and a stage applied group by group."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import numpy.typing as npt

from .._framework import Framework
from .._recipe import Plan, Step
from ..stages._arrays import FloatArray


def _by_step(plan: Plan, codes: Sequence[str], fw: Framework) -> Iterator[tuple[Step, npt.NDArray[np.intp]]]:
    """Group column positions of ``codes`` by the step the plan gives each."""
    groups: dict[Step, list[int]] = {}
    for i, c in enumerate(codes):
        groups.setdefault(plan.step_for(c, fw.level[c]), []).append(i)
    for step, idx in groups.items():
        yield step, np.array(idx, dtype=np.intp)


def _cols(a: FloatArray, idx: npt.NDArray[np.intp]) -> FloatArray:
    """``a[..., idx]``, or ``a`` itself (no copy) when ``idx`` is every column in order."""
    if len(idx) == a.shape[-1] and (idx == np.arange(len(idx))).all():
        return a
    return a[..., idx]


def _apply_columns(
    x: FloatArray, plan: Plan, fw: Framework, call: Callable[[Step, npt.NDArray[np.intp]], FloatArray]
) -> FloatArray:
    groups = list(_by_step(plan, fw.indicators, fw))
    if len(groups) == 1:
        step, idx = groups[0]
        return call(step, idx)
    out = x.copy()
    for step, idx in groups:
        out[..., idx] = call(step, idx)
    return out

