"""The weight kernels: pure functions on arrays that the registered weight methods (:mod:`.weight`) call.

Statistics shared by the data-driven methods (pairwise correlations, correlation with a score), and one function per
method on one sample: entropy, CRITIC, principal components with the Handbook's retention rules and varimax, benefit
of the doubt (a linear programme per unit) and optimised weights (SLSQP). See docs/weights.md for the formulas and
references.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RecipeError
from ._arrays import FloatArray, quiet

__all__ = [
    "OPTIMISED_TOLERANCE",
    "Optimised",
    "bod_one",
    "bod_scores",
    "check_bounds",
    "corr_with",
    "critic_weights",
    "entropy_weights",
    "importances_of",
    "mean_score",
    "normalised",
    "optimise_weights",
    "optimised_weights_one",
    "pairwise_corr",
    "pca_weights_one",
    "retained_factors",
    "shares_of",
    "varimax",
]


def normalised(w: FloatArray) -> FloatArray:
    """Weights divided by their sum over the last axis."""
    out: FloatArray = w / w.sum(axis=-1, keepdims=True)
    return out


def shares_of(d: FloatArray) -> FloatArray:
    """``d / sum(d)`` over the last axis, with equal shares where every ``d`` is 0 (no information to weight by)."""
    d = np.clip(np.nan_to_num(d, nan=0.0), 0.0, None)
    total = d.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(total > 0, d / np.where(total > 0, total, 1.0), 1.0 / d.shape[-1])
    return out


def pairwise_corr(x: FloatArray) -> FloatArray:
    """Pearson correlations between the columns of ``x`` ``(S, U, C)`` over the units, each pair on the units where
    both are present: ``(S, C, C)``. NaN where a pair has fewer than 2 common units or a column does not vary."""
    present = ~np.isnan(x)
    with quiet():
        mean = np.nanmean(x, axis=1, keepdims=True)
    p = present.astype(float)
    x0 = np.where(present, x - mean, 0.0)  # centred first, so that a constant column is exactly 0
    n = np.einsum("sui,suj->sij", p, p)
    sx = np.einsum("sui,suj->sij", x0, p)
    sxy = np.einsum("sui,suj->sij", x0, x0)
    sxx = np.einsum("sui,suj->sij", x0 * x0, p)
    sy = np.swapaxes(sx, 1, 2)
    syy = np.swapaxes(sxx, 1, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        vx = sxx - sx * sx / n
        vy = syy - sy * sy / n
        r = cov / np.sqrt(vx * vy)
    ok = (n >= 2) & (vx > 0) & (vy > 0)
    out: FloatArray = np.where(ok, np.clip(r, -1.0, 1.0), np.nan)
    return out


def corr_with(x: FloatArray, y: FloatArray) -> FloatArray:
    """Pearson correlation of each column of ``x`` ``(S, U, C)`` with ``y`` ``(S, U)`` over the units where both are
    present: ``(S, C)``; NaN where fewer than 2 such units or no variation."""
    both = ~np.isnan(x) & ~np.isnan(y)[..., None]
    n = both.sum(axis=1)
    with quiet():
        xm = np.where(both, x, 0.0).sum(axis=1) / n
        ym = np.where(both, y[..., None], 0.0).sum(axis=1) / n
        dx = np.where(both, x - xm[:, None, :], 0.0)
        dy = np.where(both, y[..., None] - ym[:, None, :], 0.0)
        sxx = (dx * dx).sum(axis=1)
        syy = (dy * dy).sum(axis=1)
        r = (dx * dy).sum(axis=1) / np.sqrt(sxx * syy)
    out: FloatArray = np.where((n >= 2) & (sxx > 0) & (syy > 0), np.clip(r, -1.0, 1.0), np.nan)
    return out


def mean_score(x: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted arithmetic mean over the present children (their weights renormalised), ``(S, U)``."""
    present = ~np.isnan(x)
    wk = np.where(present, w, 0.0)
    with quiet():
        out: FloatArray = (np.where(present, x, 0.0) * wk).sum(axis=-1) / wk.sum(axis=-1)
    return out


def entropy_weights(x: FloatArray) -> FloatArray:
    """Entropy weights ``(S, C)`` of non-negative ``x`` ``(S, U, C)``: ``p_ij = x_ij / sum_i x_ij``,
    ``e_j = -sum_i p_ij ln p_ij / ln n_j`` (``0 ln 0 = 0``, ``n_j`` = units present), ``d_j = 1 - e_j``,
    ``w_j = d_j / sum d``. A column that is constant, all zero or has fewer than 2 values carries no information
    (``d_j = 0``, as is any ``d_j < 1e-12``, rounding); if no column carries any, the weights are equal."""
    present = ~np.isnan(x)
    x0 = np.where(present, x, 0.0)
    n = present.sum(axis=1).astype(float)
    total = x0.sum(axis=1, keepdims=True)
    with quiet():
        constant = np.nanmax(x, axis=1) == np.nanmin(x, axis=1)
        p = np.where(total > 0, x0 / np.where(total > 0, total, 1.0), 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        e = np.where((n >= 2) & (total[:, 0, :] > 0), -plogp.sum(axis=1) / np.log(np.maximum(n, 2.0)), 1.0)
    d = np.where(constant | (1.0 - e < 1e-12), 0.0, 1.0 - e)  # rounding below 1e-12 is no information either
    return shares_of(d)


def critic_weights(x: FloatArray) -> FloatArray:
    """CRITIC weights ``(S, C)`` (Diakoulaki, Mavrotas & Papayannakis 1995): each column min-max scaled to [0, 1],
    ``C_j = sigma_j * sum_k (1 - r_jk)``, ``w_j = C_j / sum C``, with ``sigma_j`` the sample standard deviation and
    ``r_jk`` Pearson correlations (pairwise over units present). A constant column gets 0 and is left out of the
    others' sums; a pair with no correlation defined counts as r = 0."""
    with quiet():
        mn = np.nanmin(x, axis=1, keepdims=True)
        mx = np.nanmax(x, axis=1, keepdims=True)
        rng = mx - mn
        z = np.where(rng > 0, (x - mn) / np.where(rng > 0, rng, 1.0), np.where(np.isnan(x), np.nan, 0.0))
        sigma = np.nanstd(z, axis=1, ddof=1)
    sigma = np.where(np.isfinite(sigma), sigma, 0.0)
    informative = sigma > 0
    r = np.nan_to_num(pairwise_corr(z), nan=0.0)
    eye = np.eye(r.shape[-1], dtype=bool)
    conflict = np.where(informative, ((1.0 - np.where(eye, 1.0, r)) * informative[:, None, :]).sum(axis=2), 0.0)
    return shares_of(sigma * conflict)


def varimax(loadings: FloatArray, tol: float = 1e-14, max_iter: int = 1000) -> FloatArray:
    """Varimax rotation (Kaiser 1958) of a loadings matrix ``(indicators, factors)``, with Kaiser normalisation
    (rows scaled to unit communality during the rotation), as SPSS and R's ``varimax`` do by default."""
    h = np.sqrt((loadings**2).sum(axis=1))
    a = loadings / np.where(h > 0, h, 1.0)[:, None]
    p, k = a.shape
    rot = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        lr = a @ rot
        u, s, vt = np.linalg.svd(a.T @ (lr**3 - lr @ np.diag((lr**2).sum(axis=0)) / p))
        rot = u @ vt
        d_new = float(s.sum())
        if d_new < d * (1 + tol):
            break
        d = d_new
    out: FloatArray = (a @ rot) * h[:, None]
    return out


def retained_factors(eigenvalues: FloatArray, n: int, min_eigenvalue: float = 1.0, min_share: float = 0.1,
                     min_cumulative: float = 0.6) -> int:
    """How many of the leading principal components the OECD/JRC Handbook (2008, section 6.1) retains.

    The Handbook chooses factors that "(i) have associated eigenvalues larger than one; (ii) contribute individually
    to the explanation of overall variance by more than 10%; and (iii) contribute cumulatively to the explanation of
    the overall variance by more than 60%". With the eigenvalues in decreasing order and ``share_k = lambda_k / n``
    (``n`` = indicators analysed):

    - ``k_ind``: the leading components with ``lambda_k > min_eigenvalue`` and ``share_k > min_share`` (rules i, ii;
      both fall with k, so they pass a leading run of components);
    - ``k_cum``: the fewest leading components whose cumulative share exceeds ``min_cumulative`` (rule iii: the
      factors retained must together explain more than that; all components if none does);
    - retained: ``max(1, k_ind, k_cum)``. Rule (iii) is a floor on the variance explained: when the components passing
      rules (i) and (ii) explain too little, the next ones are added, in order, until it is exceeded; it never drops
      a component that passes (i) and (ii) (the Handbook's TAI example keeps four factors explaining 87 % although
      two already explain 64 %). ``min_cumulative = 0`` turns rule (iii) off."""
    vals = np.asarray(eigenvalues, dtype=float)
    share = vals / n
    k_ind = int(np.cumprod((vals > min_eigenvalue) & (share > min_share)).sum())
    above = np.flatnonzero(np.cumsum(share) > min_cumulative)
    k_cum = int(above[0]) + 1 if len(above) else len(vals)
    return max(1, k_ind, k_cum)


def pca_weights_one(r: FloatArray, min_eigenvalue: float = 1.0, min_share: float = 0.1, rotate: bool = True,
                    min_cumulative: float = 0.6) -> FloatArray:
    """OECD/JRC Handbook (2008) weights from one correlation matrix ``(C, C)`` (NaN for an undefined pair).

    1. principal components of the correlation matrix; retain the leading ones by the Handbook's three rules
       (eigenvalue > ``min_eigenvalue``, share of variance > ``min_share``, cumulative share > ``min_cumulative``;
       see :func:`retained_factors` for how they combine);
    2. varimax-rotate the retained loadings (when more than one);
    3. square the loadings and scale each factor's column to unity sum;
    4. assign each indicator to the factor on which it loads most; weight the factor (intermediate composite) by its
       share of the explained variance; indicator weight = scaled squared loading x factor share;
    5. renormalise to sum to 1. Children that do not vary get weight 0 and are left out of the analysis."""
    c = r.shape[0]
    ok = np.isfinite(np.diag(r))
    idx = np.flatnonzero(ok)
    w = np.zeros(c)
    if len(idx) <= 1:
        w[idx] = 1.0
        return w if len(idx) else np.full(c, 1.0 / c)
    sub = np.nan_to_num(r[np.ix_(idx, idx)], nan=0.0)
    np.fill_diagonal(sub, 1.0)
    vals, vecs = np.linalg.eigh(sub)
    order = np.argsort(vals)[::-1]
    vals, vecs = np.clip(vals[order], 0.0, None), vecs[:, order]
    m = retained_factors(vals, len(idx), min_eigenvalue, min_share, min_cumulative)
    load = vecs[:, :m] * np.sqrt(vals[:m])
    if rotate and load.shape[1] > 1:
        load = varimax(load)
    sq = load**2
    explained = sq.sum(axis=0)
    scaled = sq / np.where(explained > 0, explained, 1.0)
    factor = np.argmax(sq, axis=1)
    rows = np.arange(len(idx))
    w[idx] = scaled[rows, factor] * explained[factor] / explained.sum()
    out: FloatArray = w / w.sum()
    return out


def bod_one(xs: FloatArray, lower: float, upper: float) -> tuple[FloatArray, FloatArray]:
    """Benefit-of-the-doubt programmes for every unit of one sample ``(U, C)``: (scores (U,), weights (U, C))."""
    from scipy.optimize import linprog  # heavy, and needed by this method only

    u, c = xs.shape
    x0 = np.nan_to_num(xs, nan=0.0)
    rows = [x0]
    rhs = [np.ones(u)]
    if lower > 0:
        rows.append(lower * np.ones((c, c)) - np.eye(c))
        rhs.append(np.zeros(c))
    if upper < 1:
        rows.append(np.eye(c) - upper * np.ones((c, c)))
        rhs.append(np.zeros(c))
    a_ub, b_ub = np.vstack(rows), np.concatenate(rhs)
    scores = np.full(u, np.nan)
    weights = np.full((u, c), 1.0 / c)
    for i in range(u):
        if np.isnan(xs[i]).all():
            continue
        res = linprog(-x0[i], A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if res.status != 0:  # pragma: no cover - the programme is always feasible (w = 0) and bounded
            continue
        scores[i] = -res.fun
        total = res.x.sum()
        if total > 0:
            weights[i] = res.x / total
    return scores, weights


def check_bounds(c: int, lower: float, upper: float, where: str) -> None:
    if c * lower > 1 + 1e-12 or c * upper < 1 - 1e-12:
        raise RecipeError(f"{where}: weight shares bounded by [{lower:g}, {upper:g}] cannot sum to 1 over {c} "
                          f"children (need lower <= 1/{c} <= upper)")


def bod_scores(x: FloatArray, lower: float = 0.0, upper: float = 1.0) -> FloatArray:
    """Benefit-of-the-doubt scores ``(S, U)``: for each unit, ``max_w sum_j w_j x_j`` subject to
    ``sum_j w_j x_vj <= 1`` for every unit v, ``w >= 0`` and ``lower <= w_j / sum(w) <= upper`` (Cherchye et al.
    2007). Scores are at most 1 and at least one unit per sample scores exactly 1 (the frontier). Needs x >= 0;
    missing values count as 0."""
    check_bounds(x.shape[-1], lower, upper, "bod")
    return np.stack([bod_one(x[s], lower, upper)[0] for s in range(x.shape[0])])


#: How far (absolute, in shares of the correlations' sum) the importances an ``optimised`` weighting achieves may be
#: from its target before a MethodWarning says so.
OPTIMISED_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Optimised:
    """The outcome of one ``optimised`` weighting: ``weights`` ``(C,)``, the ``importances`` they achieve (each
    child's correlation with the node score as a share of their sum), the ``target`` shares, whether the solver
    reported ``success`` and its ``message``; ``flat``: the children that do not vary over the units (they cannot
    correlate with anything, so no weights give them importance)."""

    weights: FloatArray
    importances: FloatArray
    target: FloatArray
    success: bool
    message: str
    flat: tuple[int, ...] = ()


def importances_of(xs: FloatArray, w: FloatArray) -> FloatArray:
    y = mean_score(xs[None], w[None, None, :])
    out: FloatArray = np.nan_to_num(corr_with(xs[None], y)[0], nan=0.0)
    return out


def optimise_weights(xs: FloatArray, target: FloatArray, optype: str = "balance") -> Optimised:
    """Weights ``(C,)`` for one sample ``(U, C)`` such that each child's Pearson correlation with the weighted
    arithmetic mean of the children, as a share of the correlations' sum, matches ``target`` (``balance``), or
    such that the correlations' sum is largest (``infomax``). SLSQP over the simplex, started at ``target``; the
    result says what the weights achieve and whether the solver succeeded."""
    from scipy.optimize import minimize  # heavy, and needed by these methods only

    c = xs.shape[1]
    t = target / target.sum()

    def objective(w: FloatArray) -> float:
        r = importances_of(xs, np.clip(w, 0.0, None))
        if optype == "infomax":
            return -float(r.sum())
        total = r.sum()
        share = r / total if total != 0 else np.full(c, 1.0 / c)
        return float(((t - share) ** 2).sum())

    res = minimize(objective, t, method="SLSQP", bounds=[(0.0, 1.0)] * c,
                   constraints=[{"type": "eq", "fun": lambda w: float(w.sum() - 1.0)}],
                   options={"ftol": 1e-14, "maxiter": 500})
    w = shares_of(np.asarray(res.x, dtype=float))
    r = importances_of(xs, w)
    shares = r / r.sum() if r.sum() != 0 else np.full(c, 1.0 / c)
    with quiet():
        spread = np.nanmax(xs, axis=0) - np.nanmin(xs, axis=0)
    flat = tuple(int(k) for k in np.flatnonzero(~(spread > 0)))
    return Optimised(w, shares, t, bool(res.success), str(res.message), flat)


def optimised_weights_one(xs: FloatArray, target: FloatArray, optype: str = "balance") -> FloatArray:
    """The weights of :func:`optimise_weights`."""
    return optimise_weights(xs, target, optype).weights
