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
from typing import Any, Literal, Protocol

import numpy as np

from .. import ahp as ahp_math
from .._frozen import thaw
from .._registry import Registry
from ..errors import DataWarning, MethodWarning, RecipeError
from ._arrays import FloatArray, quiet
from ._weight_kernels import (
    OPTIMISED_TOLERANCE,
    Optimised,
    bod_one,
    bod_scores,
    check_bounds,
    corr_with,
    critic_weights,
    entropy_weights,
    normalised,
    optimise_weights,
    optimised_weights_one,
    pairwise_corr,
    pca_weights_one,
    retained_factors,
    shares_of,
    varimax,
)

__all__ = [
    "METHODS",
    "OPTIMISED_TOLERANCE",
    "Optimised",
    "WeightContext",
    "ahp",
    "bod",
    "bod_scores",
    "combined",
    "corr_with",
    "critic",
    "critic_weights",
    "entropy",
    "entropy_weights",
    "equal",
    "framework",
    "normalised",
    "optimise_weights",
    "optimised",
    "optimised_weights_one",
    "pairwise_corr",
    "pca",
    "pca_weights_one",
    "retained_factors",
    "varimax",
]

METHODS: Registry[WeightKernel] = Registry("weight", fixed=3)


@dataclass(frozen=True)
class WeightContext:
    """Which node is being weighted and its children's codes."""

    node: str
    children: tuple[str, ...]


# -- statistics shared by the data-driven methods ------------------------------------------------------------------


# -- subjective methods --------------------------------------------------------------------------------------------
@METHODS.register("framework", summary="the weights the framework gives, renormalised within each parent",
                  reference="OECD/JRC Handbook (2008), section 1.7")
def framework(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    return normalised(nominal)[:, None, :]


@METHODS.register("equal", summary="equal weights for all children",
                  reference="OECD/JRC Handbook (2008), section 1.7 (equal weighting)")
def equal(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    return np.full((nominal.shape[0], 1, nominal.shape[1]), 1.0 / nominal.shape[1])


@METHODS.register("ahp", summary="AHP: eigenvector priorities from one or several experts' pairwise comparisons "
                  "(AIJ or AIP pooling), with Saaty's consistency ratio",
                  reference="Saaty (1980) The Analytic Hierarchy Process; Forman & Peniwati (1998) EJOR 108; "
                  "Harker (1987) Math. Modelling 9", validate=ahp_math.check_step)
def ahp(x: FloatArray, nominal: FloatArray, ctx: WeightContext, *, criteria: tuple[str, ...],
        experts: tuple[Any, ...], pooling: Literal["aij", "aip"] = "aij",
        completion: Literal["harker", "llsm"] = "harker") -> FloatArray:
    """Priorities of the node's children from expert judgements given in the recipe (so that it regenerates).

    ``criteria``: child codes in matrix order; ``experts``: ``[{name, weight, matrix}]`` with full matrices (null for a
    missing judgement, completed by ``completion``); ``pooling``: ``aij`` (geometric mean of judgements) or ``aip``
    (geometric mean of priorities). A consistency ratio above 0.1 gives a DataWarning."""
    where = f"weight, node {ctx.node!r}, ahp"
    params = {"criteria": criteria, "experts": experts, "pooling": pooling, "completion": completion}
    result = ahp_math.step_panel(params, where)
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


@METHODS.register("critic", relative=True,
                  summary="CRITIC: weight by contrast (standard deviation) times conflict (1 - "
                  "correlation with the other children)",
                  reference="Diakoulaki, Mavrotas & Papayannakis (1995) Computers & Operations Research 22(7), 763-770")
def critic(x: FloatArray, nominal: FloatArray, ctx: WeightContext) -> FloatArray:
    """Scale-and-shift invariant (each child is min-max scaled first)."""
    return critic_weights(x)[:, None, :]


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
    check_bounds(x.shape[-1], lower, upper, f"weight, node {ctx.node!r}, bod")
    return np.stack([bod_one(x[s], lower, upper)[1] for s in range(x.shape[0])])


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
        return shares_of(a * b)
    out: FloatArray = share * a + (1.0 - share) * b
    return out


class WeightKernel(Protocol):
    """The signature of every weight method (the weights of a node's children); keyword arguments are its parameters."""

    def __call__(self, x: FloatArray, nominal: FloatArray, ctx: WeightContext, /, **params: Any) -> FloatArray: ...
