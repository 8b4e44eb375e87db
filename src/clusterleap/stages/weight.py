"""Weight: the weights of a node's children, renormalised to sum to 1 within the parent.

A weight kernel gets the children's scores ``x`` ``(samples, units, children)``, the nominal (framework) weights
``(samples, children)`` and a context naming the node; it returns weights ``(samples, 1, children)``, or
``(samples, units, children)`` for methods that weight each unit differently (benefit of the doubt).

Subjective methods (``framework``, ``equal``, ``ahp``) ignore the scores; data-driven ones (``entropy``, ``critic``,
``pca``, ``bod``, ``optimised``) compute weights from the children's scores as the pipeline hands them over, i.e.
after normalisation (indicators) or aggregation (aggregates), separately for every sample. ``combined`` mixes a
subjective and an objective set. Missing scores (NaN) are left out of every statistic (pairwise for correlations).
See docs/weights.md for formulas, references and recipe examples.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from .. import ahp as ahp_math
from ..errors import DataWarning, MethodWarning, RecipeError
from ..frozen import freeze, thaw
from ..registry import Registry
from ._arrays import FloatArray, quiet

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


def _share(d: FloatArray) -> FloatArray:
    """``d / sum(d)`` over the last axis, with equal shares where every ``d`` is 0 (no information to weight by)."""
    d = np.clip(np.nan_to_num(d, nan=0.0), 0.0, None)
    total = d.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(total > 0, d / np.where(total > 0, total, 1.0), 1.0 / d.shape[-1])
    return out


# -- statistics shared by the data-driven methods ------------------------------------------------------------------
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


def _mean_score(x: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted arithmetic mean over the present children (their weights renormalised), ``(S, U)``."""
    present = ~np.isnan(x)
    wk = np.where(present, w, 0.0)
    with quiet():
        out: FloatArray = (np.where(present, x, 0.0) * wk).sum(axis=-1) / wk.sum(axis=-1)
    return out


# -- subjective methods --------------------------------------------------------------------------------------------
@METHODS.register("framework", summary="the weights the framework gives, renormalised within each parent",
                  reference="OECD/JRC Handbook (2008), section 1.7")
def framework(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    return normalised(nominal)[:, None, :]


@METHODS.register("equal", summary="equal weights for all children",
                  reference="OECD/JRC Handbook (2008), section 1.7 (equal weighting)")
def equal(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    return np.full((nominal.shape[0], 1, nominal.shape[1]), 1.0 / nominal.shape[1])


_EXPERT_KEYS = {"name", "weight", "matrix"}


def _expert_matrix(expert: Mapping[str, Any], n: int, label: str) -> FloatArray:
    rows = expert.get("matrix")
    if not isinstance(rows, list | tuple) or len(rows) != n:
        size = len(rows) if isinstance(rows, list | tuple) else "no"
        raise RecipeError(f"{label}: 'matrix' has {size} rows (expected {n}, one per criterion)")
    out = np.full((n, n), np.nan)
    for i, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) != n:
            raise RecipeError(f"{label}: matrix row {i + 1} has {len(row) if isinstance(row, list | tuple) else 1} "
                              f"entries (expected {n})")
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise RecipeError(f"{label}: matrix row {i + 1}, column {j + 1} is {v!r} (expected a number or "
                                  "null for a missing judgement)")
            out[i, j] = float(v)
    np.fill_diagonal(out, np.where(np.isnan(np.diag(out)), 1.0, np.diag(out)))
    return out


def ahp_panel(params: Mapping[str, Any], where: str = "ahp") -> ahp_math.Panel:
    """The AHP panel result of an ``ahp`` step's parameters (criteria, experts, pooling, completion): pooled weights
    in the order of ``criteria``, each expert's priorities and consistency. Raises RecipeError on bad judgements."""
    return _panel(_freeze_params(params), where)


def _freeze_params(params: Mapping[str, Any]) -> Any:
    return freeze(dict(params))


@lru_cache(maxsize=256)
def _panel(frozen: Any, where: str) -> ahp_math.Panel:
    p = thaw(frozen)

    def at(what: str) -> str:
        return f"{where}: {what}" if where else what

    criteria = p.get("criteria")
    if not isinstance(criteria, list) or not criteria or not all(isinstance(c, str) for c in criteria):
        raise RecipeError(at("'criteria' must list the child codes in the order of the matrix rows"))
    if len(set(criteria)) != len(criteria):
        dup = next(c for c in criteria if criteria.count(c) > 1)
        raise RecipeError(at(f"criterion {dup!r} appears twice in 'criteria'"))
    experts = p.get("experts")
    if not isinstance(experts, list) or not experts:
        raise RecipeError(at("'experts' must list at least one expert ({name, weight, matrix})"))
    n = len(criteria)
    mats, names, weights = [], [], []
    for k, e in enumerate(experts):
        if not isinstance(e, Mapping):
            raise RecipeError(at(f"expert {k + 1} is {e!r} (expected a mapping with name, weight, matrix)"))
        name = str(e.get("name", f"expert {k + 1}"))
        label = f"{where}, expert {name!r}" if where else f"expert {name!r}"
        unknown = sorted(set(e) - _EXPERT_KEYS)
        if unknown:
            raise RecipeError(f"{label}: unknown key {unknown[0]!r} (expected name, weight, matrix)")
        wt = e.get("weight", 1.0)
        if isinstance(wt, bool) or not isinstance(wt, int | float) or not wt > 0:
            raise RecipeError(f"{label}: weight {wt!r} is not a positive number")
        a = _expert_matrix(e, n, label)
        problem = ahp_math.matrix_problem(a)
        if problem is not None:
            (i, j), msg = problem
            raise RecipeError(f"{label}: row {criteria[i]!r}, column {criteria[j]!r}: {msg}")
        if not ahp_math.connected(a):
            raise RecipeError(f"{label}: the judgements given do not connect all criteria (each criterion needs a "
                              "chain of comparisons to every other)")
        lower = np.tril_indices(n, -1)
        a[lower] = 1.0 / a.T[lower]  # the upper triangle rules (a typed 0.33 below it passes for 1/3)
        mats.append(a)
        names.append(name)
        weights.append(float(wt))
    pooling = p.get("pooling", "aij")
    completion = p.get("completion", "harker")
    return ahp_math.panel(criteria, mats, names, weights, pooling, completion)


def _validate_ahp(p: Mapping[str, Any]) -> str | None:
    try:
        _panel(_freeze_params(p), "")
    except RecipeError as exc:
        return str(exc)
    return None


@METHODS.register("ahp", summary="AHP: eigenvector priorities from one or several experts' pairwise comparisons "
                  "(AIJ or AIP pooling), with Saaty's consistency ratio",
                  reference="Saaty (1980) The Analytic Hierarchy Process; Forman & Peniwati (1998) EJOR 108; "
                  "Harker (1987) Math. Modelling 9", validate=_validate_ahp)
def ahp(x: FloatArray, nominal: FloatArray, ctx: WeightContext, *, criteria: tuple[str, ...],
        experts: tuple[Any, ...], pooling: Literal["aij", "aip"] = "aij",
        completion: Literal["harker", "llsm"] = "harker") -> FloatArray:
    """Priorities of the node's children from expert judgements given in the recipe (so that it regenerates).

    ``criteria``: child codes in matrix order; ``experts``: ``[{name, weight, matrix}]`` with full matrices (null for a
    missing judgement, completed by ``completion``); ``pooling``: ``aij`` (geometric mean of judgements) or ``aip``
    (geometric mean of priorities). A consistency ratio above 0.1 gives a DataWarning."""
    where = f"weight, node {ctx.node!r}, ahp"
    params = {"criteria": criteria, "experts": experts, "pooling": pooling, "completion": completion}
    result = ahp_panel(params, where)
    if set(result.criteria) != set(ctx.children) or len(result.criteria) != len(ctx.children):
        extra = [c for c in result.criteria if c not in ctx.children]
        lacking = [c for c in ctx.children if c not in result.criteria]
        what = (f"{extra[0]!r} is not a child of {ctx.node!r}" if extra
                else f"child {lacking[0]!r} is not among the criteria")
        raise RecipeError(f"{where}: {what} (the criteria must be exactly the children: {', '.join(ctx.children)})")
    bad = result.inconsistent
    if bad:
        crs = {"pooled": result.pooled.cr if result.pooled else float("nan"),
               **{n: j.cr for n, j in zip(result.names, result.experts, strict=True)}}
        listed = ", ".join(f"{b} CR {crs[b]:.3f}" for b in bad)
        warnings.warn(f"{where}: judgements fail Saaty's consistency rule CR <= 0.1 ({listed}); revise them",
                      DataWarning, stacklevel=2)
    pos = {c: i for i, c in enumerate(result.criteria)}
    w = result.weights[[pos[c] for c in ctx.children]]
    return np.broadcast_to(w, (x.shape[0], 1, len(w))).copy()


# -- objective (data-driven) methods ---------------------------------------------------------------------------------
def _nonnegative(x: FloatArray, ctx: WeightContext, method: str) -> None:
    with quiet():
        low = np.nanmin(x) if (~np.isnan(x)).any() else 0.0
    if low < 0:
        s, u, k = (int(v) for v in np.argwhere(x < 0)[0])
        raise RecipeError(f"weight, node {ctx.node!r}: the {method} method needs non-negative scores, but child "
                          f"{ctx.children[k]!r} is {x[s, u, k]:.4g} for unit #{u + 1} (normalise to a non-negative "
                          "range, e.g. minmax)")


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
    return _share(d)


@METHODS.register("entropy", relative=True,
                  summary="entropy weight method: more weight to children whose scores differ more "
                  "across units (w_j = (1 - e_j) / sum(1 - e))",
                  reference="Shannon (1948); Zeleny (1982) Multiple Criteria Decision Making; Hwang & Yoon (1981) "
                  "Multiple Attribute Decision Making, section on entropy weights")
def entropy(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    """Needs non-negative scores (e.g. minmax-normalised); a negative one raises a RecipeError naming the node.
    Invariant to a positive rescaling of a child, not to a shift. Missing scores are left out (``n_j`` counts the
    units present)."""
    _nonnegative(x, ctx, "entropy")
    return entropy_weights(x)[:, None, :]


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
    return _share(sigma * conflict)


@METHODS.register("critic", relative=True,
                  summary="CRITIC: weight by contrast (standard deviation) times conflict (1 - "
                  "correlation with the other children)",
                  reference="Diakoulaki, Mavrotas & Papayannakis (1995) Computers & Operations Research 22(7), 763-770")
def critic(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    """Scale-and-shift invariant (each child is min-max scaled first)."""
    return critic_weights(x)[:, None, :]


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


def _pca_ok(p: Mapping[str, Any]) -> str | None:
    if not 0 <= p["min_share"] < 1:
        return "min_share must be in [0, 1)"
    if not 0 <= p["min_cumulative"] < 1:
        return "min_cumulative must be in [0, 1) (the share of variance the retained factors must exceed together)"
    return None


@METHODS.register("pca", relative=True,
                  summary="weights from principal components: factors retained by the Handbook's rules "
                  "(eigenvalue > 1, share > 10 %, cumulative share > 60 %), varimax-rotated, squared loadings "
                  "scaled to unity, factors weighted by explained variance",
                  reference="OECD/JRC Handbook on Constructing Composite Indicators (2008), section 6.1 and step 6 "
                  "(weights based on PCA / factor analysis, Tables 16-18)",
                  validate=_pca_ok)
def pca(x: FloatArray, nominal: FloatArray, ctx: WeightContext, *, min_eigenvalue: float = 1.0,
        min_share: float = 0.1, min_cumulative: float = 0.6, rotate: bool = True) -> FloatArray:
    """Per sample, from the children's correlation matrix (pairwise over units present); see
    :func:`pca_weights_one` and, for the retention rules, :func:`retained_factors`."""
    corr = pairwise_corr(x)
    out = np.stack([pca_weights_one(corr[s], min_eigenvalue, min_share, rotate, min_cumulative)
                    for s in range(x.shape[0])])
    return out[:, None, :]


def _bod_one(xs: FloatArray, lower: float, upper: float) -> tuple[FloatArray, FloatArray]:
    """Benefit-of-the-doubt programmes for every unit of one sample ``(U, C)``: (scores (U,), weights (U, C))."""
    from scipy.optimize import linprog

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


def _check_bounds(c: int, lower: float, upper: float, where: str) -> None:
    if c * lower > 1 + 1e-12 or c * upper < 1 - 1e-12:
        raise RecipeError(f"{where}: weight shares bounded by [{lower:g}, {upper:g}] cannot sum to 1 over {c} "
                          f"children (need lower <= 1/{c} <= upper)")


def bod_scores(x: FloatArray, lower: float = 0.0, upper: float = 1.0) -> FloatArray:
    """Benefit-of-the-doubt scores ``(S, U)``: for each unit, ``max_w sum_j w_j x_j`` subject to
    ``sum_j w_j x_vj <= 1`` for every unit v, ``w >= 0`` and ``lower <= w_j / sum(w) <= upper`` (Cherchye et al.
    2007). Scores are at most 1 and at least one unit per sample scores exactly 1 (the frontier). Needs x >= 0;
    missing values count as 0."""
    _check_bounds(x.shape[-1], lower, upper, "bod")
    return np.stack([_bod_one(x[s], lower, upper)[0] for s in range(x.shape[0])])


def _bounds_ok(p: Mapping[str, Any]) -> str | None:
    if not 0 <= p["lower"] <= p["upper"] <= 1:
        return "needs 0 <= lower <= upper <= 1 (bounds on each child's share of the weights)"
    return None


@METHODS.register("bod", relative=True,
                  summary="benefit of the doubt: each unit's most favourable weights by linear programming "
                  "(per-unit weights)",
                  reference="Melyn & Moesen (1991); Cherchye, Moesen, Rogge & Van Puyenbroeck (2007) Social "
                  "Indicators Research 82, 111-145; OECD/JRC Handbook (2008), section 6.3",
                  validate=_bounds_ok)
def bod(x: FloatArray, nominal: FloatArray, ctx: WeightContext, *, lower: float = 0.0,
        upper: float = 1.0) -> FloatArray:
    """Per unit, the weights that maximise its weighted sum with no unit exceeding 1 (see :func:`bod_scores`),
    rescaled to sum to 1; ``lower``/``upper`` bound each child's share of the weights. Needs non-negative scores;
    missing values count as 0 in the programmes (the aggregation then reweights around them)."""
    _nonnegative(x, ctx, "bod")
    _check_bounds(x.shape[-1], lower, upper, f"weight, node {ctx.node!r}, bod")
    return np.stack([_bod_one(x[s], lower, upper)[1] for s in range(x.shape[0])])


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


def _importances(xs: FloatArray, w: FloatArray) -> FloatArray:
    y = _mean_score(xs[None], w[None, None, :])
    out: FloatArray = np.nan_to_num(corr_with(xs[None], y)[0], nan=0.0)
    return out


def optimise_weights(xs: FloatArray, target: FloatArray, optype: str = "balance") -> Optimised:
    """Weights ``(C,)`` for one sample ``(U, C)`` such that each child's Pearson correlation with the weighted
    arithmetic mean of the children, as a share of the correlations' sum, matches ``target`` (``balance``), or
    such that the correlations' sum is largest (``infomax``). SLSQP over the simplex, started at ``target``; the
    result says what the weights achieve and whether the solver succeeded."""
    from scipy.optimize import minimize

    c = xs.shape[1]
    t = target / target.sum()

    def objective(w: FloatArray) -> float:
        r = _importances(xs, np.clip(w, 0.0, None))
        if optype == "infomax":
            return -float(r.sum())
        total = r.sum()
        share = r / total if total != 0 else np.full(c, 1.0 / c)
        return float(((t - share) ** 2).sum())

    res = minimize(objective, t, method="SLSQP", bounds=[(0.0, 1.0)] * c,
                   constraints=[{"type": "eq", "fun": lambda w: float(w.sum() - 1.0)}],
                   options={"ftol": 1e-14, "maxiter": 500})
    w = _share(np.asarray(res.x, dtype=float))
    r = _importances(xs, w)
    shares = r / r.sum() if r.sum() != 0 else np.full(c, 1.0 / c)
    with quiet():
        spread = np.nanmax(xs, axis=0) - np.nanmin(xs, axis=0)
    flat = tuple(int(k) for k in np.flatnonzero(~(spread > 0)))
    return Optimised(w, shares, t, bool(res.success), str(res.message), flat)


def optimised_weights_one(xs: FloatArray, target: FloatArray, optype: str = "balance") -> FloatArray:
    """The weights of :func:`optimise_weights`."""
    return optimise_weights(xs, target, optype).weights


def _shares(v: FloatArray) -> str:
    return "(" + ", ".join(f"{a:.2f}" for a in v) + ")"


def _optimised_miss(runs: list[Optimised], optype: str, ctx: WeightContext) -> str | None:
    """One plain sentence on what the optimised weights of a node failed to achieve over its samples, or None."""
    failed = [o for o in runs if not o.success]
    missed = [o for o in runs if optype == "balance" and np.max(np.abs(o.importances - o.target))
              > OPTIMISED_TOLERANCE]
    if not failed and not missed:
        return None
    where = f"weight, node {ctx.node!r}, optimised"
    of = f" in {len(set(map(id, failed + missed)))} of {len(runs)} samples" if len(runs) > 1 else ""
    if missed:
        o = max(missed, key=lambda r: float(np.max(np.abs(r.importances - r.target))))
        k = int(np.argmax(np.abs(o.importances - o.target)))
        flat = [ctx.children[j] for j in o.flat if o.target[j] > 0]
        if flat:
            why = (f"{', '.join(repr(f) for f in flat)} {'does' if len(flat) == 1 else 'do'} not vary over the units, "
                   "so no weights give it any importance")
        elif not o.success:
            why = f"the solver stopped without converging ({o.message})"
        else:
            why = ("no non-negative weights give these importances (the children's correlations with one another tie "
                   "their importances together)")
        return (f"{where}: the target importances {_shares(o.target)} of {', '.join(ctx.children)} are not "
                f"reached{of}; the closest weights found, {_shares(o.weights)}, give importances "
                f"{_shares(o.importances)} ({ctx.children[k]!r} {o.importances[k]:.2f} instead of "
                f"{o.target[k]:.2f}), because {why}; these weights are used")
    o = failed[0]
    return (f"{where}: the solver did not converge{of} ({o.message}); the weights {_shares(o.weights)} of "
            f"{', '.join(ctx.children)} are its last iterate and are used")


@METHODS.register("optimised", relative=True,
                  summary="weights optimised so that each child's correlation with the node score "
                  "matches target importances (equal by default)",
                  reference="Becker, Saisana, Paruolo & Vandecasteele (2017) Ecological Indicators 80, 12-22; "
                  "COINr get_opt_weights (linear version)")
def optimised(x: FloatArray, nominal: FloatArray, ctx: WeightContext, *, target: tuple[float, ...] = (),
              optype: Literal["balance", "infomax"] = "balance") -> FloatArray:
    """``target``: relative importances in children order (empty = equal). Importance of a child = its Pearson
    correlation with the node's weighted arithmetic mean, normalised to sum to 1 over the children (COINr's
    ``balance``); ``infomax`` maximises the sum of the correlations instead. When the solver fails, or the
    importances achieved are more than :data:`OPTIMISED_TOLERANCE` from the target, the weights found are used and
    one MethodWarning names the node, the target, what was achieved and why."""
    c = x.shape[-1]
    t = np.ones(c) if not target else np.asarray(target, dtype=float)
    if t.shape != (c,) or not (t >= 0).all() or t.sum() <= 0:
        raise RecipeError(f"weight, node {ctx.node!r}, optimised: target {list(target)} must give one non-negative "
                          f"importance per child ({c}: {', '.join(ctx.children)})")
    runs = [optimise_weights(x[s], t, optype) for s in range(x.shape[0])]
    miss = _optimised_miss(runs, optype, ctx)
    if miss:
        warnings.warn(miss, MethodWarning, stacklevel=2)
    out = np.stack([o.weights for o in runs])
    return out[:, None, :]


# -- combined ------------------------------------------------------------------------------------------------------
def _sub_step(spec: Any) -> tuple[str, dict[str, Any]]:
    spec = thaw(spec) if isinstance(spec, tuple) else spec
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, Mapping) and "method" in spec:
        return str(spec["method"]), {str(k): v for k, v in spec.items() if k != "method"}
    raise RecipeError(f"expected a method name or {{method: name, ...parameters}}, got {spec!r}")


def _validate_combined(p: Mapping[str, Any]) -> str | None:
    if not 0 <= p["share"] <= 1:
        return "share must be between 0 and 1 (the subjective set's part in a convex mix)"
    for key in ("subjective", "objective"):
        try:
            name, params = _sub_step(p[key])
            if name == "combined":
                return f"{key} cannot itself be 'combined'"
            METHODS.get(name).check_params(params, f"{key} ({name})")
        except RecipeError as exc:
            return f"{key}: {exc}" if not str(exc).startswith(key) else str(exc)
    return None


@METHODS.register("combined", relative=True,
                  summary="a subjective and an objective weight set combined: product-normalised "
                  "(a b / sum(a b)) or convex (share a + (1 - share) b)",
                  reference="Ma, Fan & Huang (1999) EJOR 112, 397-404 (integrated subjective-objective weights); "
                  "Wang & Lee (2009) Expert Systems with Applications 36 (entropy x subjective)",
                  validate=_validate_combined)
def combined(x: FloatArray, nominal: FloatArray, ctx: WeightContext, *,
             subjective: Mapping[str, Any] | str = "framework", objective: Mapping[str, Any] | str = "entropy",
             rule: Literal["product", "convex"] = "product", share: float = 0.5) -> FloatArray:
    """``subjective``/``objective``: each a weight method name or ``{method: name, ...its parameters}``.
    ``product``: ``w = a b / sum(a b)`` (equal weights if every product is 0); ``convex``: ``w = share a +
    (1 - share) b``."""
    sets = []
    for spec in (subjective, objective):
        name, params = _sub_step(spec)
        func: Callable[..., FloatArray] = METHODS.get(name).func
        sets.append(func(x, nominal, ctx, **params))
    a, b = np.broadcast_arrays(*sets)
    if rule == "product":
        return _share(a * b)
    out: FloatArray = share * a + (1.0 - share) * b
    return out
