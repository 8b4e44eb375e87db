"""Weight: the weights of a node's children, renormalised to sum to 1 within the parent.

A weight kernel gets the children's scores ``x`` ``(samples, units, children)``, the nominal (framework) weights
``(samples, children)`` and a context naming the node; it returns weights ``(samples, 1, children)``, or
``(samples, units, children)`` for methods that weight each unit differently (benefit of the doubt).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..registry import Registry
from ._arrays import FloatArray

METHODS = Registry("weight", fixed=3)


@dataclass(frozen=True)
class WeightContext:
    """Which node is being weighted and its children's codes."""

    node: str
    children: tuple[str, ...]


def normalised(w: FloatArray) -> FloatArray:
    """Weights divided by their sum over the last axis."""
    out: FloatArray = w / w.sum(axis=-1, keepdims=True)
    return out


@METHODS.register("framework", summary="the weights the framework gives, renormalised within each parent",
                  reference="OECD/JRC Handbook (2008), section 1.7")
def framework(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    return normalised(nominal)[:, None, :]


@METHODS.register("equal", summary="equal weights for all children",
                  reference="OECD/JRC Handbook (2008), section 1.7 (equal weighting)")
def equal(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    return np.full((nominal.shape[0], 1, nominal.shape[1]), 1.0 / nominal.shape[1])
