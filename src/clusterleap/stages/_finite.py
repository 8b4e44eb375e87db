"""The last check of an evaluation: no score or rank is infinite, and none is NaN where its inputs were numbers.

A NaN score where data is missing is an honest "no score" (the coverage rules say when); a NaN or an infinity that
arithmetic made from finite numbers (weights of 1e308 that overflow, +1e308 and -1e308 in one column, a
normalisation with an infinite goalpost) is a wrong answer and must never reach a table with exit code 0. The
message names the node, the unit and the cause (docs/limits.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .._framework import Framework
from ..errors import DataError

__all__ = ["check_finite"]

FloatArray = npt.NDArray[np.float64]


def check_finite(
    fw: Framework,
    units: Sequence[str],
    nodes: Sequence[str],
    scores: FloatArray,
    ranks: FloatArray,
    normalised: FloatArray,
    treated: FloatArray,
    source: str = "data",
) -> None:
    """Raise DataError at the first node (leaves first) and unit whose score or rank is infinite, or whose score
    is NaN although every input of the node at that unit was a finite number. ``scores`` and ``ranks`` are ``(units,
    nodes)``; ``normalised`` and ``treated`` (the values normalisation started from) are ``(units, indicators)`` in
    ``fw.indicators`` order."""
    col = {c: i for i, c in enumerate(nodes)}
    ind = {c: i for i, c in enumerate(fw.indicators)}
    if _all_fine(fw, nodes, scores, ranks, treated, col, ind):
        return
    with np.errstate(invalid="ignore"):
        for code in reversed(list(nodes)):
            j = col[code]
            s = scores[:, j]
            inf = np.flatnonzero(np.isinf(s))
            if inf.size:
                u = int(inf[0])
                raise DataError(f"{source}: the score of node {code!r} for unit {units[u]!r} is {s[u]} "
                                f"({_cause(fw, code, u, scores, col, normalised, ind)})")
            bad = np.flatnonzero(np.isnan(s) & _inputs_present(fw, code, scores, col, treated, ind))
            if bad.size:
                u = int(bad[0])
                raise DataError(f"{source}: the score of node {code!r} for unit {units[u]!r} is NaN although its "
                                f"inputs are numbers ({_cause(fw, code, u, scores, col, normalised, ind)})")
            r = ranks[:, j]
            badr = np.flatnonzero(np.isinf(r))
            if badr.size:
                u = int(badr[0])
                raise DataError(f"{source}: the rank of node {code!r} for unit {units[u]!r} is {r[u]} (its score "
                                f"is {s[u]})")


#: Units checked at a time by :func:`_all_fine` (a block of scores stays in a core's cache).
CHECK_BLOCK = 4096


def _all_fine(fw: Framework, nodes: Sequence[str], scores: FloatArray, ranks: FloatArray, treated: FloatArray,
              col: dict[str, int], ind: dict[str, int]) -> bool:
    """Whether no score or rank is infinite and no score is NaN with every input a finite number: the checks of
    :func:`check_finite` on a block of units at a time, every node at once (rows of a block are contiguous, where a
    column of a large table is not). When it says no, :func:`check_finite` finds and names the first fault."""
    tcol = [(col[c], i) for c, i in ind.items() if c in col]
    ti, si = np.array([t[1] for t in tcol], dtype=np.intp), np.array([t[0] for t in tcol], dtype=np.intp)
    parents = [(col[c], [col[k] for k in fw.children[c] if k in col]) for c in nodes if c not in ind]
    with np.errstate(invalid="ignore"):
        for a in range(0, scores.shape[0], CHECK_BLOCK):
            s, r = scores[a : a + CHECK_BLOCK], ranks[a : a + CHECK_BLOCK]
            if np.isinf(s).any() or np.isinf(r).any():
                return False
            nan = np.isnan(s)
            if not nan.any():
                continue
            if (nan[:, si] & np.isfinite(treated[a : a + CHECK_BLOCK][:, ti])).any():
                return False
            fine = np.isfinite(s)
            for j, kids in parents:
                if kids and (nan[:, j] & fine[:, kids].all(axis=1)).any():
                    return False
    return True


def _inputs_present(fw: Framework, code: str, scores: FloatArray, col: dict[str, int], treated: FloatArray,
                    ind: dict[str, int]) -> npt.NDArray[np.bool_]:
    """Per unit: every input of ``code`` is a finite number (the value normalisation started from, or all its
    children's scores)."""
    if code in ind:
        return np.isfinite(treated[:, ind[code]])
    kids = [col[k] for k in fw.children[code] if k in col]
    if not kids:
        return np.zeros(scores.shape[0], dtype=bool)
    return np.asarray(np.isfinite(scores[:, kids]).all(axis=1), dtype=bool)


def _cause(fw: Framework, code: str, u: int, scores: FloatArray, col: dict[str, int], normalised: FloatArray,
           ind: dict[str, int]) -> str:
    if code in ind:
        v = normalised[u, ind[code]]
        return (f"normalising gave {v}: check the normalise parameters and the values of {code!r} (a column "
                "whose values span more than the float range, such as -1e308 and 1e308, overflows)")
    kids = [k for k in fw.children[code] if k in col]
    vals = ", ".join(f"{k}={scores[u, col[k]]:.6g}" for k in kids[:6])
    return (f"aggregating its children ({vals}) overflowed or met an undefined operation; check the weights "
            "(their sum must stay finite) and the aggregate method")
