"""Denominate: divide indicators by a size variable (per capita, per revenue, per employee).

``x_i / d_i`` where ``d_i`` is the data column the framework names as the indicator's denominator (COINr's
Denominate). Indicators without a denominator pass unchanged.
"""

from __future__ import annotations

from typing import Any, Protocol

from .._registry import Registry
from ._arrays import FloatArray

METHODS: Registry[DenominateKernel] = Registry("denominate", fixed=2)


@METHODS.register("framework", summary="divide each indicator by the denominator column its framework node names",
                  reference="OECD/JRC Handbook on Constructing Composite Indicators (2008), section 1.3")
def by_framework(x: FloatArray, denominators: FloatArray) -> FloatArray:
    """``x / d``; ``d`` is 1 for indicators without a denominator, and a missing ``d`` makes the value missing."""
    out: FloatArray = x / denominators
    return out


@METHODS.register("none", summary="leave indicators as they are")
def none(x: FloatArray, denominators: FloatArray) -> FloatArray:
    return x.copy()


class DenominateKernel(Protocol):
    """The signature of every denominate method (raw values divided (or not) by their denominators);
    keyword arguments are its parameters."""

    def __call__(self, x: FloatArray, denominators: FloatArray, /, **params: Any) -> FloatArray: ...
