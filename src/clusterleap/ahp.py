"""The analytic hierarchy process (AHP): priorities from pairwise comparison matrices, pure functions on numpy arrays.

A pairwise comparison matrix ``A`` (n x n) holds judgements ``a_ij`` = how much more important criterion i is than
criterion j, on Saaty's 1-9 scale (1 equal, 3 moderate, 5 strong, 7 very strong, 9 extreme; reciprocals for the
converse), with ``a_ji = 1 / a_ij`` and ``a_ii = 1``. ``NaN`` marks a missing judgement.

- Priorities: the principal (Perron) eigenvector of ``A``, normalised to sum to 1 (Saaty 1977, 1980).
- Consistency: ``CI = (lambda_max - n) / (n - 1)``, ``CR = CI / RI(n)`` with Saaty's random indices; ``CR > 0.1``
  calls for the judgements to be revised (Saaty 1980). Saaty's table stops at n = 15; beyond it RI comes from Alonso
  & Lamata's (2006) fit of the mean ``lambda_max`` of random reciprocal matrices, ``2.7699 n - 4.3513``, that is
  ``RI(n) = (1.7699 n - 4.3513) / (n - 1)`` (1.586 at n = 15, against Saaty's 1.59), so that CR is defined for any n.
  A CR that cannot be computed (NaN) never counts as acceptable.
- Incomplete matrices: completed by Harker's method (Harker 1987): a missing ``a_ij`` is set to ``w_i / w_j`` of the
  very vector being computed, which makes ``w`` the Perron vector of the matrix ``C`` with 0 for each missing entry
  and ``1 + m_i`` on the diagonal (``m_i`` = missing entries in row i). Alternatively the logarithmic least squares
  completion (LLSM; Kwiesielewicz 1996, Bozóki, Fülöp & Rónyai 2010): ``w`` minimises
  ``sum over known (ln a_ij - ln w_i + ln w_j)^2`` (a Laplacian linear system), missing ``a_ij = w_i / w_j``, and the
  priorities are then the eigenvector of the completed matrix. Both need the known comparisons to connect all
  criteria. For incomplete matrices the CR is that of the completed matrix with Saaty's RI (an optimistic figure:
  completion adds no inconsistency; see Ágoston & Csató 2022 for thresholds specific to incomplete matrices).
- Several experts (Forman & Peniwati 1998; Aczél & Saaty 1983): AIJ pools the judgements, ``a_ij`` = weighted
  geometric mean of the experts' ``a_ij`` (over the experts who gave it), then derives priorities from the pooled
  matrix; AIP derives each expert's priorities and pools them by the weighted geometric mean, renormalised.

The ``ahp`` weight method of a recipe carries its judgements as parameters (criteria, experts with their matrices,
pooling, completion); :func:`step_panel` checks them, naming the expert, row and column at fault, and pools them.

References: Saaty, T. L. (1977) J. Math. Psychology 15, 234-281; Saaty (1980) The Analytic Hierarchy Process,
McGraw-Hill; Harker, P. T. (1987) Mathematical Modelling 9, 837-848; Aczél, J. & Saaty, T. L. (1983) J. Math.
Psychology 27, 93-102; Forman, E. & Peniwati, K. (1998) EJOR 108, 165-169; Bozóki, S., Fülöp, J. & Rónyai, L. (2010)
Mathematical and Computer Modelling 52, 318-333; Alonso, J. A. & Lamata, M. T. (2006) International Journal of
Uncertainty, Fuzziness and Knowledge-Based Systems 14(4), 445-459.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._frozen import freeze, thaw
from .errors import RecipeError

__all__ = [
    "SAATY_RI",
    "Judged",
    "Panel",
    "alonso_lamata_ri",
    "complete",
    "connected",
    "consistency",
    "matrix_problem",
    "panel",
    "pool_aij",
    "pool_aip",
    "principal_eigen",
    "priorities",
    "random_index",
    "step_panel",
    "upper_to_matrix",
]

FloatArray = npt.NDArray[np.float64]
Completion = Literal["harker", "llsm"]
Pooling = Literal["aij", "aip"]

#: Saaty's random consistency indices by matrix order (Saaty 1980 for n <= 10; n = 11-15 as tabulated in Saaty's
#: later books and reproduced e.g. by Karlsson & Ryan 1997, IEEE Software 14(5)).
SAATY_RI: dict[int, float] = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49,
    11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
}
#: Saaty's scale runs from 1/9 to 9; a small tolerance admits typed fractions such as 0.111.
SCALE_LO, SCALE_HI = 1.0 / 9.0, 9.0
#: Lower-triangle entries, where given, must be the reciprocal of the upper ones within this relative tolerance
#: (so that 0.33 for 1/3 passes).
RECIPROCAL_TOL = 0.02


def alonso_lamata_ri(n: int) -> float:
    """Alonso & Lamata's (2006) random index ``(1.7699 n - 4.3513) / (n - 1)``, from their linear fit
    ``2.7699 n - 4.3513`` of the mean principal eigenvalue of random reciprocal matrices of order n (n >= 3)."""
    return (1.7699 * n - 4.3513) / (n - 1)


def random_index(n: int) -> float:
    """The random index RI(n): Saaty's table for n <= 15, Alonso & Lamata's (2006) formula beyond
    (:func:`alonso_lamata_ri`)."""
    if n < 1:
        raise ValueError(f"a comparison matrix has at least one criterion (got n = {n})")
    return SAATY_RI[n] if n in SAATY_RI else alonso_lamata_ri(n)


def principal_eigen(a: FloatArray) -> tuple[float, FloatArray]:
    """The principal eigenvalue ``lambda_max`` of a positive (or irreducible non-negative) matrix and its Perron
    eigenvector normalised to sum to 1."""
    n = a.shape[0]
    if n == 1:
        return 1.0, np.ones(1)
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    v = np.abs(vecs[:, k].real)
    return float(vals[k].real), v / v.sum()


def connected(a: FloatArray) -> bool:
    """Whether the known (non-NaN) comparisons link every criterion to every other, directly or through others."""
    n = a.shape[0]
    known = ~np.isnan(a)
    seen = {0}
    frontier = [0]
    while frontier:
        i = frontier.pop()
        for j in np.flatnonzero(known[i]):
            if int(j) not in seen:
                seen.add(int(j))
                frontier.append(int(j))
    return bool(len(seen) == n)


def _harker(a: FloatArray) -> FloatArray:
    missing = np.isnan(a)
    c = np.where(missing, 0.0, a)
    c[np.diag_indices_from(c)] = 1.0 + missing.sum(axis=1)
    return principal_eigen(c)[1]


def _llsm(a: FloatArray) -> FloatArray:
    known = ~np.isnan(a)
    np.fill_diagonal(known, False)
    lap = np.diag(known.sum(axis=1).astype(float)) - known.astype(float)
    rhs = np.where(known, np.log(np.where(known, a, 1.0)), 0.0).sum(axis=1)
    y = np.linalg.lstsq(lap, rhs, rcond=None)[0]
    w = np.exp(y - y.max())
    out: FloatArray = w / w.sum()
    return out


def complete(a: FloatArray, method: Completion = "harker") -> FloatArray:
    """A copy of ``a`` with each missing ``a_ij`` set to ``w_i / w_j`` from Harker's or the LLSM vector.

    The known comparisons must connect all criteria (see :func:`connected`)."""
    if not np.isnan(a).any():
        return a.copy()
    w = _harker(a) if method == "harker" else _llsm(a)
    ratios = w[:, None] / w[None, :]
    return np.where(np.isnan(a), ratios, a)


@dataclass(frozen=True)
class Judged:
    """Priorities and consistency of one comparison matrix (an expert's or the pooled one)."""

    weights: FloatArray
    lambda_max: float
    ci: float
    cr: float
    completed: FloatArray
    n_missing: int

    @property
    def acceptable(self) -> bool:
        """Saaty's rule: CR <= 0.1 (matrices of order 1-2 are always consistent); a CR that is not a number is not
        acceptable."""
        return bool(self.cr <= 0.1)


def consistency(a: FloatArray) -> tuple[float, float, float]:
    """``(lambda_max, CI, CR)`` of a complete comparison matrix; CR is 0 for n <= 2 (RI = 0)."""
    n = a.shape[0]
    lam, _ = principal_eigen(a)
    if n <= 2:
        return lam, 0.0, 0.0
    ci = (lam - n) / (n - 1)
    return lam, ci, ci / random_index(n)


def priorities(a: FloatArray, completion: Completion = "harker") -> Judged:
    """Eigenvector priorities and consistency of a (possibly incomplete) comparison matrix."""
    full = complete(a, completion)
    lam, w = principal_eigen(full)
    n = a.shape[0]
    ci = 0.0 if n <= 2 else (lam - n) / (n - 1)
    cr = 0.0 if n <= 2 else ci / random_index(n)
    missing = int(np.isnan(a).sum() // 2)
    return Judged(w, lam, ci, cr, full, missing)


def pool_aij(matrices: FloatArray, expert_weights: FloatArray | None = None) -> FloatArray:
    """Aggregation of individual judgements: the element-wise weighted geometric mean of ``matrices`` (K, n, n),
    each entry over the experts who gave it (their weights renormalised); NaN where nobody did."""
    k = matrices.shape[0]
    lam = np.ones(k) if expert_weights is None else np.asarray(expert_weights, dtype=float)
    given = ~np.isnan(matrices)
    wk = np.where(given, lam[:, None, None], 0.0)
    total = wk.sum(axis=0)
    logs = np.where(given, np.log(np.where(given, matrices, 1.0)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.exp((wk * logs).sum(axis=0) / total)
    return np.where(total > 0, out, np.nan)


def pool_aip(weights: FloatArray, expert_weights: FloatArray | None = None) -> FloatArray:
    """Aggregation of individual priorities: the weighted geometric mean of the priority vectors ``weights``
    (K, n), renormalised to sum to 1."""
    k = weights.shape[0]
    lam = np.ones(k) if expert_weights is None else np.asarray(expert_weights, dtype=float)
    lam = lam / lam.sum()
    g = np.exp((lam[:, None] * np.log(weights)).sum(axis=0))
    out: FloatArray = g / g.sum()
    return out


def upper_to_matrix(upper: Sequence[float | None], n: int) -> FloatArray:
    """A full reciprocal matrix from its strict upper triangle given row by row (``a_12, a_13, .., a_1n, a_23,
    ..``); ``None`` or NaN for a missing judgement."""
    a = np.eye(n)
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            v = upper[k]
            k += 1
            x = float("nan") if v is None else float(v)
            a[i, j] = x
            a[j, i] = 1.0 / x
    return a


def matrix_problem(a: FloatArray) -> tuple[tuple[int, int], str] | None:
    """The first problem of a comparison matrix as ``((row, col), message)`` (0-based), or None.

    Checks: square, unit diagonal, entries positive and within Saaty's scale 1/9..9, ``a_ji = 1 / a_ij`` (within
    :data:`RECIPROCAL_TOL`), and missing entries missing on both sides."""
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        return (0, 0), f"the matrix is {a.shape[0]} x {a.shape[1] if a.ndim == 2 else '?'} (expected a square matrix)"
    n = a.shape[0]
    for i in range(n):
        if not np.isnan(a[i, i]) and abs(a[i, i] - 1.0) > 1e-9:
            return (i, i), f"diagonal entry is {a[i, i]:g} (expected 1)"
    for i in range(n):
        for j in range(n):
            v = a[i, j]
            if np.isnan(v) or i == j:
                continue
            if v <= 0:
                return (i, j), f"judgement {v:g} is not positive (expected 1/9..9 on Saaty's scale)"
            if v < SCALE_LO * (1 - 1e-3) or v > SCALE_HI * (1 + 1e-3):
                return (i, j), f"judgement {v:g} is outside Saaty's scale (expected 1/9..9)"
    for i in range(n):
        for j in range(i + 1, n):
            u, low = a[i, j], a[j, i]
            if np.isnan(u) != np.isnan(low):
                return (j, i), "a judgement is given on one side of the diagonal only (give both or neither)"
            if not np.isnan(u) and abs(u * low - 1.0) > RECIPROCAL_TOL:
                return (j, i), (f"judgement {low:g} is not the reciprocal of {u:g} (expected {1 / u:.4g}: "
                                "a_ji = 1 / a_ij)")
    return None


@dataclass(frozen=True)
class Panel:
    """The priorities of one parent node's criteria from a panel of experts.

    ``weights`` are the pooled priorities; ``pooled`` the AIJ pooled matrix's result (None for AIP); ``experts``
    each expert's own result (for consistency reports)."""

    criteria: tuple[str, ...]
    names: tuple[str, ...]
    expert_weights: FloatArray
    experts: tuple[Judged, ...]
    pooling: Pooling
    pooled: Judged | None
    weights: FloatArray

    @property
    def inconsistent(self) -> list[str]:
        """Names of what fails Saaty's CR <= 0.1: 'pooled' and/or expert names."""
        out = [name for name, j in zip(self.names, self.experts, strict=True) if not j.acceptable]
        if self.pooled is not None and not self.pooled.acceptable:
            out.insert(0, "pooled")
        return out


def panel(
    criteria: Sequence[str],
    matrices: Sequence[FloatArray],
    names: Sequence[str] | None = None,
    expert_weights: Sequence[float] | None = None,
    pooling: Pooling = "aij",
    completion: Completion = "harker",
) -> Panel:
    """Pool several experts' comparison matrices (all in the order of ``criteria``) into one priority vector.

    AIJ: priorities of the element-wise weighted geometric mean matrix; AIP: weighted geometric mean of each
    expert's priorities. A single expert gives the same result either way."""
    stack = np.stack([np.asarray(m, dtype=float) for m in matrices])
    k = stack.shape[0]
    lam = np.ones(k) if expert_weights is None else np.asarray(expert_weights, dtype=float)
    lam = lam / lam.sum()
    labels = tuple(names) if names is not None else tuple(f"expert {i + 1}" for i in range(k))
    judged = tuple(priorities(m, completion) for m in stack)
    if pooling == "aij":
        pooled = priorities(pool_aij(stack, lam), completion)
        w = pooled.weights
    else:
        pooled = None
        w = pool_aip(np.stack([j.weights for j in judged]), lam)
    return Panel(tuple(criteria), labels, lam, judged, pooling, pooled, w)


# -- the parameters of an ahp weight step ---------------------------------------------------------------------
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


def step_panel(params: Mapping[str, Any], where: str = "ahp") -> Panel:
    """The AHP panel result of an ``ahp`` weight step's parameters (criteria, experts, pooling, completion): pooled
    weights in the order of ``criteria``, each expert's priorities and consistency. Raises RecipeError on bad
    judgements."""
    return _panel(_freeze_params(params), where)


def _freeze_params(params: Mapping[str, Any]) -> Any:
    return freeze(dict(params))


@lru_cache(maxsize=256)
def _panel(frozen: Any, where: str) -> Panel:
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
        problem = matrix_problem(a)
        if problem is not None:
            (i, j), msg = problem
            raise RecipeError(f"{label}: row {criteria[i]!r}, column {criteria[j]!r}: {msg}")
        if not connected(a):
            raise RecipeError(f"{label}: the judgements given do not connect all criteria (each criterion needs a "
                              "chain of comparisons to every other)")
        lower = np.tril_indices(n, -1)
        a[lower] = 1.0 / a.T[lower]  # the upper triangle rules (a typed 0.33 below it passes for 1/3)
        mats.append(a)
        names.append(name)
        weights.append(float(wt))
    pooling = p.get("pooling", "aij")
    completion = p.get("completion", "harker")
    return panel(criteria, mats, names, weights, pooling, completion)


def check_step(p: Mapping[str, Any]) -> str | None:
    """What is wrong with an ``ahp`` weight step's parameters (None when nothing is): the check a recipe runs when it
    is built."""
    try:
        _panel(_freeze_params(p), "")
    except RecipeError as exc:
        return str(exc)
    return None
