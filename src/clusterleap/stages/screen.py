"""Screen: which units have enough data to be scored, ranked and graded.

A kernel takes ``present`` ``(years, units, indicators)`` (True where the indicator has a value, after
denomination) and ``dimension`` ``(indicators,)`` (the position of each indicator's dimension: the child of the
framework's root it belongs to) and returns ``(years, units)``: True for the units kept. Screened-out units are
listed with their coverage and the rule they fail, and take no part in the statistics, the ranking or the grades.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .._registry import Registry
from ._arrays import BoolArray

METHODS: Registry[ScreenKernel] = Registry("screen", fixed=2)
IntArray = npt.NDArray[np.int64]


def coverage_shares(present: BoolArray, dimension: IntArray) -> tuple[npt.NDArray[np.float64],
                                                                       npt.NDArray[np.float64]]:
    """Share of the indicators with data per unit ``(years, units)`` and per unit and dimension
    ``(years, units, dimensions)``: COINr's data availability (``get_data_avail``), overall and by group."""
    overall = present.mean(axis=-1)
    n_dims = int(dimension.max()) + 1 if dimension.size else 0
    member = dimension[:, None] == np.arange(n_dims)[None, :]  # (indicators, dimensions)
    counts = member.sum(axis=0)
    by_dim = (present.astype(float) @ member.astype(float)) / np.maximum(counts, 1)
    return overall, by_dim


@METHODS.register("none", summary="keep every unit")
def none(present: BoolArray, dimension: IntArray) -> BoolArray:
    return np.ones(present.shape[:-1], dtype=bool)


def _check_coverage(p: Mapping[str, Any]) -> str | None:
    for key in ("min_share", "min_dimension_share"):
        if not 0.0 <= p[key] <= 1.0:
            return f"{key} is {p[key]:g} (expected a share between 0 and 1)"
    return None


@METHODS.register("coverage", summary="keep units with data on at least min_share of the indicators (and "
                  "min_dimension_share of each dimension's)",
                  reference="COINr Screen (unit_screen = 'byNA', dat_thresh); OECD/JRC Handbook (2008), section 1.3 "
                  "(data availability thresholds)",
                  validate=_check_coverage)
def coverage(present: BoolArray, dimension: IntArray, *, min_share: float = 2 / 3,
             min_dimension_share: float = 0.0) -> BoolArray:
    """Kept: ``share >= min_share`` and, in every dimension, ``share >= min_dimension_share`` (COINr removes units
    whose data availability is below ``dat_thresh``; its default threshold is 2/3)."""
    overall, by_dim = coverage_shares(present, dimension)
    keep: BoolArray = overall >= min_share - 1e-12
    if min_dimension_share > 0 and by_dim.shape[-1]:
        keep &= (by_dim >= min_dimension_share - 1e-12).all(axis=-1)
    return keep


class ScreenKernel(Protocol):
    """The signature of every screen method: which units a recipe keeps, from which indicators each unit has data
    and the dimension of every indicator; keyword arguments are its parameters."""

    def __call__(self, present: BoolArray, dimensions: IntArray, /, **params: Any) -> BoolArray: ...
