"""Impute: fill missing values.

Cross-sectional methods fill each sample (or year) from the other units; panel methods (``locf``, ``linear``) fill
each unit's series from its own other years and need the years on the leading axis. Values that no method can fill
(an indicator missing for a whole group, a gap before a unit's first observation) stay missing and are handled by
aggregation (see ``aggregate``'s ``missing`` parameter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..errors import DataError
from ..registry import Registry, did_you_mean
from ._arrays import FloatArray, quiet

METHODS = Registry("impute", fixed=2)
PANEL_METHODS = frozenset({"locf", "linear"})


@dataclass(frozen=True)
class ImputeContext:
    """What imputers may need besides the values: unit group codes per metadata column and the years."""

    groups: Mapping[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    years: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def group(self, name: str) -> npt.NDArray[np.int64]:
        if name not in self.groups:
            raise DataError(f"impute: no unit metadata column {name!r}{did_you_mean(name, list(self.groups))}"
                            if self.groups else f"impute: no unit metadata column {name!r} (the data has none)")
        return self.groups[name]


def _fill(x: FloatArray, value: FloatArray) -> FloatArray:
    return np.where(np.isnan(x), value, x)


@METHODS.register("none", summary="leave missing values missing (aggregation then re-weights or propagates)")
def none(x: FloatArray, ctx: ImputeContext) -> FloatArray:
    return x.copy()


@METHODS.register("mean", relative=True,
                  summary="the indicator's mean over all units",
                  reference="OECD/JRC Handbook (2008), section 1.4 (unconditional mean substitution)")
def mean(x: FloatArray, ctx: ImputeContext) -> FloatArray:
    with quiet():
        return _fill(x, np.nanmean(x, axis=-2, keepdims=True))


@METHODS.register("median", relative=True,
                  summary="the indicator's median over all units",
                  reference="OECD/JRC Handbook (2008), section 1.4")
def median(x: FloatArray, ctx: ImputeContext) -> FloatArray:
    with quiet():
        return _fill(x, np.nanmedian(x, axis=-2, keepdims=True))


def _by_group(x: FloatArray, codes: npt.NDArray[np.int64], reducer: str) -> FloatArray:
    out = x.copy()
    func = np.nanmean if reducer == "mean" else np.nanmedian
    with quiet():
        for g in np.unique(codes[codes >= 0]):
            rows = codes == g
            out[..., rows, :] = _fill(x[..., rows, :], func(x[..., rows, :], axis=-2, keepdims=True))
    return out


@METHODS.register("group_mean", relative=True,
                  summary="the indicator's mean within the unit's group (a unit-metadata column)",
                  reference="COINr i_mean_grp; OECD/JRC Handbook (2008), section 1.4")
def group_mean(x: FloatArray, ctx: ImputeContext, *, group: str) -> FloatArray:
    """Units with no group label, and groups with no value of the indicator, stay missing."""
    return _by_group(x, ctx.group(group), "mean")


@METHODS.register("group_median", relative=True,
                  summary="the indicator's median within the unit's group",
                  reference="COINr i_median_grp")
def group_median(x: FloatArray, ctx: ImputeContext, *, group: str) -> FloatArray:
    return _by_group(x, ctx.group(group), "median")


@METHODS.register("locf", summary="panel: last observation carried forward within each unit's years",
                  reference="COINr impute_panel (imp_type = 'latest')")
def locf(x: FloatArray, ctx: ImputeContext) -> FloatArray:
    """Axis 0 is years (ascending). Gaps before a unit's first observation stay missing."""
    idx = np.where(np.isnan(x), 0, np.arange(x.shape[0])[:, None, None])
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = np.take_along_axis(x, idx, axis=0)
    return out


@METHODS.register("linear", summary="panel: linear interpolation between a unit's observed years (no extrapolation)",
                  reference="COINr impute_panel (imp_type = 'linear')")
def linear(x: FloatArray, ctx: ImputeContext) -> FloatArray:
    """Axis 0 is years; interior gaps are interpolated on the actual year values, ends stay missing:
    ``x_t = x_p + (x_q - x_p) (y_t - y_p) / (y_q - y_p)`` with ``p``, ``q`` the nearest observed years around."""
    n = x.shape[0]
    years = ctx.years if ctx.years.size == n else np.arange(n, dtype=float)
    seen = ~np.isnan(x)
    idx = np.arange(n)[:, None, None]
    prev = np.maximum.accumulate(np.where(seen, idx, -1), axis=0)
    nxt = np.flip(np.minimum.accumulate(np.flip(np.where(seen, idx, n), axis=0), axis=0), axis=0)
    inside = ~seen & (prev >= 0) & (nxt < n)
    p = np.clip(prev, 0, n - 1)
    q = np.clip(nxt, 0, n - 1)
    xp = np.take_along_axis(x, p, axis=0)
    xq = np.take_along_axis(x, q, axis=0)
    yt, yp, yq = years[idx], years[p], years[q]
    with np.errstate(invalid="ignore", divide="ignore"):
        filled = xp + (xq - xp) * (yt - yp) / (yq - yp)
    out: FloatArray = np.where(inside, filled, x)
    return out
