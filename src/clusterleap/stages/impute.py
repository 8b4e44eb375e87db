"""Impute: fill missing values.

Cross-sectional methods fill each sample (or year) from the other units (``em`` from their joint distribution of
the indicators); panel methods (``locf``, ``linear``) fill each unit's series from its own other years and need the
years on the leading axis. Values that no method can fill
(an indicator missing for a whole group, a gap before a unit's first observation) stay missing and are handled by
aggregation (see ``aggregate``'s ``missing`` parameter).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .._registry import Registry, did_you_mean
from ..errors import DataError, MethodWarning
from ._arrays import BoolArray, FloatArray, quiet

METHODS: Registry[ImputeKernel] = Registry("impute", fixed=2)
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
    if ctx.years.size != n:
        raise DataError(f"impute, linear: {ctx.years.size} years given for {n} on the years axis (linear interpolation "
                        "needs the year of every row, so that unequally spaced years are weighted by their distance)")
    years = ctx.years
    if n > 1 and not (np.diff(years) > 0).all():
        raise DataError(f"impute, linear: the years {', '.join(f'{y:g}' for y in years)} are not strictly increasing")
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


# -- EM for the multivariate normal --------------------------------------------------------------------------------
@dataclass(frozen=True)
class NormalEM:
    """The maximum-likelihood multivariate normal of one cross-section with missing values, found by EM: ``mean``
    ``(I,)`` and ``cov`` ``(I, I)`` (NaN for indicators with no value), the ``filled`` values ``(U, I)`` (conditional
    means of the missing ones given the observed ones), the ``iterations`` run and whether they ``converged``."""

    mean: FloatArray
    cov: FloatArray
    filled: FloatArray
    iterations: int
    converged: bool


def _regression(s_oo: FloatArray, s_om: FloatArray) -> FloatArray:
    """``S_OO^-1 S_OM``: by a linear solve where ``S_OO`` is positive definite (Cholesky succeeds), else with the
    pseudo-inverse (a constant indicator, fewer units than indicators)."""
    try:
        np.linalg.cholesky(s_oo)
    except np.linalg.LinAlgError:
        pseudo: FloatArray = np.linalg.pinv(s_oo, hermitian=True) @ s_om
        return pseudo
    return np.asarray(np.linalg.solve(s_oo, s_om), dtype=np.float64)


_Grid = tuple[npt.NDArray[np.intp], ...]  # an np.ix_ index grid


@dataclass(frozen=True)
class _Pattern:
    """The units sharing one pattern of missing indicators, with the index grids the E-step needs."""

    n: int
    obs: _Grid  # rows x observed columns
    mis: _Grid  # rows x missing columns
    mo: _Grid  # missing x observed
    oo: _Grid
    om: _Grid
    mm: _Grid
    m: npt.NDArray[np.intp]
    o: npt.NDArray[np.intp]


def _patterns(miss: BoolArray) -> list[_Pattern]:
    """The missingness patterns of ``miss`` ``(units, indicators)`` that have a missing value."""
    patterns, inverse = np.unique(miss, axis=0, return_inverse=True)
    out = []
    for k, pat in enumerate(patterns):
        if not pat.any():
            continue
        rows = np.flatnonzero(inverse.reshape(-1) == k)
        m, o = np.flatnonzero(pat), np.flatnonzero(~pat)
        out.append(_Pattern(len(rows), np.ix_(rows, o), np.ix_(rows, m), np.ix_(m, o), np.ix_(o, o), np.ix_(o, m),
                            np.ix_(m, m), m, o))
    return out


def _conditional(z: FloatArray, patterns: list[_Pattern], mu: FloatArray, sigma: FloatArray
                 ) -> tuple[FloatArray, FloatArray]:
    """E-step: each row with its missing entries replaced by ``E[z_mis | z_obs]``, and the sum over rows of the
    conditional covariances ``Cov[z_mis | z_obs]`` (zero outside the missing block), pattern by pattern:
    ``E = mu_M + S_MO S_OO^-1 (z_O - mu_O)``, ``Cov = S_MM - S_MO S_OO^-1 S_OM``."""
    out = z.copy()
    extra = np.zeros_like(sigma)
    for p in patterns:
        if p.o.size:
            b = _regression(sigma[p.oo], sigma[p.om])  # S_OO^-1 S_OM, (O, M)
            out[p.mis] = mu[p.m] + (z[p.obs] - mu[p.o]) @ b
            c = sigma[p.mm] - sigma[p.mo] @ b
        else:
            out[p.mis] = mu[p.m]
            c = sigma[p.mm]
        extra[p.mm] += p.n * c
    return out, extra


def normal_em(x: FloatArray, max_iter: int = 1000, tol: float = 1e-6) -> NormalEM:
    """EM for the mean and covariance of a multivariate normal from ``x`` ``(units, indicators)`` with NaN missing
    (Dempster, Laird & Rubin 1977; Little & Rubin 2019, section 11.2), and the missing values filled by their
    conditional means under the fitted model.

    Deterministic: the columns are standardised by their observed mean and (population) standard deviation, EM
    starts from mean 0 and the diagonal of the observed variances, and stops when no entry of the mean or covariance
    (in standard units: the MLE is affine-equivariant, so this changes nothing but the stopping rule's scale) moves
    by more than ``tol``, or after ``max_iter`` iterations. The M-step is the ML one (divisor n). Indicators with no
    value are left out (and stay missing); a unit with no value gets the mean. Singular covariances (constant
    columns, fewer units than indicators) use the pseudo-inverse."""
    u, n_ind = x.shape
    miss_all = np.isnan(x)
    cols = np.flatnonzero((~miss_all).any(axis=0))
    mean = np.full(n_ind, np.nan)
    cov = np.full((n_ind, n_ind), np.nan)
    filled = x.copy()
    if cols.size == 0 or u == 0:
        return NormalEM(mean, cov, filled, 0, True)
    sub = x[:, cols]
    miss = miss_all[:, cols]
    with quiet():
        loc = np.nanmean(sub, axis=0)
        sd = np.nanstd(sub, axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = np.where(miss, 0.0, (sub - loc) / sd)
    mu = np.zeros(cols.size)
    with quiet():
        sigma = np.diag(np.nan_to_num(np.nanvar(np.where(miss, np.nan, z), axis=0)))
    converged = not miss.any()
    it = 0
    patterns = _patterns(miss)
    while not converged and it < max_iter:
        it += 1
        zh, extra = _conditional(z, patterns, mu, sigma)
        mu_new = zh.mean(axis=0)
        d = zh - mu_new
        sigma_new = (d.T @ d + extra) / u
        change = max(float(np.max(np.abs(mu_new - mu))), float(np.max(np.abs(sigma_new - sigma))))
        mu, sigma = mu_new, sigma_new
        converged = change <= tol
    zh, _ = _conditional(z, patterns, mu, sigma)
    filled[:, cols] = np.where(miss, zh * sd + loc, sub)
    mean[cols] = mu * sd + loc
    cov[np.ix_(cols, cols)] = sigma * np.outer(sd, sd)
    return NormalEM(mean, cov, filled, it, converged)


def _em_ok(p: Mapping[str, object]) -> str | None:
    if not isinstance(p["max_iter"], int) or p["max_iter"] < 1:
        return "max_iter must be a whole number >= 1"
    if not isinstance(p["tol"], float) or not p["tol"] > 0:
        return "tol must be > 0"
    return None


@METHODS.register("em", relative=True,
                  summary="EM for a multivariate normal over the indicators; missing values get their "
                  "conditional means given the unit's observed indicators",
                  reference="Dempster, Laird & Rubin (1977) JRSS B 39, 1-38; Little & Rubin (2019) Statistical "
                  "Analysis with Missing Data, 3rd ed., chapter 11; OECD/JRC Handbook (2008), section 1.4",
                  validate=_em_ok)
def em(x: FloatArray, ctx: ImputeContext, *, max_iter: int = 1000, tol: float = 1e-6) -> FloatArray:
    """Per sample (year), the units are draws of a multivariate normal over the indicators, fitted by EM (see
    :func:`normal_em`); observed values are kept. EM that has not converged after ``max_iter`` iterations still
    fills the values, with a MethodWarning."""
    out = x.copy()
    slow = []
    for s in range(x.shape[0]):
        fit = normal_em(x[s], max_iter, tol)
        out[s] = fit.filled
        if not fit.converged:
            slow.append(s)
    if slow:
        warnings.warn(f"impute, em: EM did not converge within {max_iter} iterations (tolerance {tol:g}) for "
                      f"{len(slow)} of {x.shape[0]} years or samples; the values filled are those of the last "
                      "iteration (raise max_iter or tol)", MethodWarning, stacklevel=2)
    return out


class ImputeKernel(Protocol):
    """The signature of every impute method (the values with gaps filled); keyword arguments are its parameters."""

    def __call__(self, x: FloatArray, ctx: ImputeContext, /, **params: Any) -> FloatArray: ...
