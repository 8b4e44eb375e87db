"""Transform: per-indicator variance-stabilising transforms the framework asks for (log, log1p).

The UNDP HDI, for example, uses the natural log of income: ``ln(GNIpc)``.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .._registry import Registry
from ._arrays import FloatArray

METHODS: Registry[TransformKernel] = Registry("transform", fixed=2)

# codes of the per-indicator transform array: 0 none, 1 log, 2 log1p
CODES = {None: 0, "log": 1, "log1p": 2}


@METHODS.register("framework", summary="apply each indicator's transform from the framework (log, log1p)",
                  reference="OECD/JRC Handbook (2008), section 1.5; UNDP HDR technical note 1 (log of income)")
def by_framework(x: FloatArray, codes: npt.NDArray[np.int64]) -> FloatArray:
    """``ln x`` where code 1, ``ln(1 + x)`` where code 2, else ``x`` (codes per indicator, last axis)."""
    out = x.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for code, func in ((1, np.log), (2, np.log1p)):
            cols = np.flatnonzero(codes == code)
            if cols.size:
                out[..., cols] = func(x[..., cols])
    return out


@METHODS.register("none", summary="no transforms")
def none(x: FloatArray, codes: npt.NDArray[np.int64]) -> FloatArray:
    return x.copy()


class TransformKernel(Protocol):
    """The signature of every transform method (values transformed column by column);
    keyword arguments are its parameters."""

    def __call__(self, x: FloatArray, codes: npt.NDArray[np.int64], /, **params: Any) -> FloatArray: ...
