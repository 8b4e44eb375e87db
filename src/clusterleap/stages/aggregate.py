"""Aggregate: combine a node's children into its score.

Kernels take the children's scores ``x`` ``(samples, units, children)`` and weights broadcastable to it, and return
``(samples, units)``. ``missing`` decides what a missing child does: ``reweight`` averages over the children that are
present (their weights renormalised, as COINr does), ``propagate`` makes the parent missing.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..registry import Registry
from ._arrays import FloatArray

METHODS = Registry("aggregate", fixed=2)
Missing = Literal["reweight", "propagate"]


def _prepare(x: FloatArray, w: FloatArray, missing: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Zero the weights of missing children; return x with NaN as 0, the effective weights and their sum."""
    present = ~np.isnan(x)
    weff = np.where(present, w, 0.0)
    total = weff.sum(axis=-1)
    if missing == "propagate":
        total = np.where(present.all(axis=-1), total, np.nan)
    return np.where(present, x, 0.0), weff, total


@METHODS.register("arithmetic", summary="weighted arithmetic mean, sum(w x) / sum(w)",
                  reference="OECD/JRC Handbook (2008), section 1.8 (linear aggregation); COINr a_amean")
def arithmetic(x: FloatArray, w: FloatArray, *, missing: Missing = "reweight") -> FloatArray:
    x0, weff, total = _prepare(x, w, missing)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = (x0 * weff).sum(axis=-1) / np.where(total > 0, total, np.nan)
    return out


@METHODS.register("geometric", summary="weighted geometric mean, prod(x^w)^(1/sum(w)); needs x >= 0",
                  reference="OECD/JRC Handbook (2008), section 1.8 (geometric aggregation); COINr a_gmean")
def geometric(x: FloatArray, w: FloatArray, *, missing: Missing = "reweight") -> FloatArray:
    """A zero child makes the mean zero (the limit), so one missing strength is never fully compensated."""
    x0, weff, total = _prepare(x, w, missing)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.where(weff > 0, np.log(np.where(weff > 0, x0, 1.0)), 0.0)
        out: FloatArray = np.exp((weff * logs).sum(axis=-1) / np.where(total > 0, total, np.nan))
    return out


@METHODS.register("harmonic", summary="weighted harmonic mean, sum(w) / sum(w / x); needs x > 0",
                  reference="COINr a_hmean; Bullen, Handbook of Means and Their Inequalities (2003)")
def harmonic(x: FloatArray, w: FloatArray, *, missing: Missing = "reweight") -> FloatArray:
    """A zero child makes the mean zero (the limit)."""
    x0, weff, total = _prepare(x, w, missing)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(weff > 0, weff / np.where(weff > 0, x0, 1.0), 0.0).sum(axis=-1)
        return np.where(np.isinf(inv), 0.0, total / inv)


@METHODS.register("power", summary="weighted generalised (power) mean, (sum(w x^p) / sum(w))^(1/p)",
                  reference="Bullen, Handbook of Means and Their Inequalities (2003), ch. III; COINr a_genmean")
def power(x: FloatArray, w: FloatArray, *, p: float = 2.0, missing: Missing = "reweight") -> FloatArray:
    """``p = 1`` arithmetic, ``p -> 0`` geometric (used at p = 0), ``p = -1`` harmonic. Needs x >= 0 (x > 0 for
    p < 0)."""
    if p == 0:
        return geometric(x, w, missing=missing)
    x0, weff, total = _prepare(x, w, missing)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        terms = np.where(weff > 0, weff * np.where(weff > 0, x0, 1.0) ** p, 0.0)
        mean = terms.sum(axis=-1) / np.where(total > 0, total, np.nan)
        out: FloatArray = np.where(np.isinf(mean) & (p < 0), 0.0, mean ** (1.0 / p))
    return out
