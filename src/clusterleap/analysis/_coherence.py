"""Statistical coherence of a result: do the indicators and aggregates of the framework hang together?

All functions read a :class:`~clusterleap.Result`'s scores (normalised, direction-oriented indicators and aggregate
scores, units x nodes), so a positive correlation always means "both better together".

- Correlations (Pearson or Spearman, pairwise-complete) within a level, across levels, and of every node with its
  parent and ancestors; flags for sibling pairs (same parent) that correlate negatively (``r < negative``, a
  trade-off the aggregate hides) or so strongly that one double-counts the other (``r > collinear``), as COINr's
  ``get_corr_flags`` (defaults -0.4 and 0.9).
- Cronbach's alpha of every aggregate over its children: ``alpha = k / (k - 1) * (1 - sum_i var_i / var_total)``,
  written on the covariance matrix ``C`` of the children as ``k / (k - 1) * (sum(C) - trace(C)) / sum(C)``
  (pairwise-complete covariances, as COINr's ``get_cronbach``). Cronbach (1951), Psychometrika 16, 297-334.
- Principal components of every aggregate's children (standardised, complete cases): the share of variance the
  first component explains, the number of components with eigenvalue > 1 (Kaiser), and the first component's
  weights (unit eigenvector) and loadings (correlation of each child with the component, ``v sqrt(lambda)``).
  OECD/JRC Handbook (2008), section 1.3 (multivariate analysis).

:func:`coherence_report` returns every table; ``clusterleap check --coherence`` prints a summary of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .._result import Result
from ..stages._arrays import FloatArray, quiet

__all__ = [
    "coherence_report",
    "correlation_flags",
    "correlation_matrix",
    "correlation_table",
    "cronbach",
    "cronbach_alpha",
    "pca",
]

Method = Literal["pearson", "spearman"]


def correlation_matrix(
    result: Result,
    method: Method = "pearson",
    rows: int | Sequence[str] | None = None,
    columns: int | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Correlations between the nodes of ``rows`` and of ``columns``: a level number, a list of codes, or every
    node (None). ``correlation_matrix(r, "spearman", 1)`` is the indicator matrix; ``(r, "pearson", 1, 2)`` the
    indicators against the level-2 aggregates."""
    fw = result.framework

    def codes(sel: int | Sequence[str] | None) -> list[str]:
        if sel is None:
            return list(fw.order)
        if isinstance(sel, int):
            return list(fw.at_level(sel))
        return [fw[c].code for c in sel]

    r_codes, c_codes = codes(rows), codes(columns if columns is not None else rows)
    both = list(dict.fromkeys(r_codes + c_codes))
    corr = result.scores[both].corr(method=method)
    return corr.loc[r_codes, c_codes]


def _pair_counts(df: pd.DataFrame) -> pd.DataFrame:
    ok = df.notna().to_numpy(dtype=float)
    return pd.DataFrame(ok.T @ ok, index=df.columns, columns=df.columns)


def correlation_table(
    result: Result,
    method: Method = "pearson",
    *,
    negative: float = -0.4,
    collinear: float = 0.9,
) -> pd.DataFrame:
    """Long table of node pairs: every pair within a level (``relation`` = ``siblings`` when they share a parent,
    else ``same level``) and every node with each ancestor (``parent`` or ``ancestor``), with the correlation
    ``r``, the number of units ``n`` it rests on, and a ``flag`` for siblings: ``negative`` (r < ``negative``) or
    ``collinear`` (r > ``collinear``)."""
    fw = result.framework
    scores = result.scores
    corr = scores.corr(method=method)
    counts = _pair_counts(scores)
    rows = []
    for level in range(1, fw.n_levels + 1):
        nodes = fw.at_level(level)
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                pa, pb = fw.by_code[a].parent, fw.by_code[b].parent
                sib = pa is not None and pa == pb
                rows.append((a, b, level, level, pa if sib else "", "siblings" if sib else "same level"))
    for c in fw.order:
        for j, anc in enumerate(fw.ancestors(c)):
            rows.append((c, anc, fw.level[c], fw.level[anc], "", "parent" if j == 0 else "ancestor"))
    df = pd.DataFrame(rows, columns=["node_a", "node_b", "level_a", "level_b", "parent", "relation"])
    pos = {c: i for i, c in enumerate(scores.columns)}
    ia = np.array([pos[c] for c in df["node_a"]], dtype=np.intp)
    ib = np.array([pos[c] for c in df["node_b"]], dtype=np.intp)
    r = corr.to_numpy(dtype=float)[ia, ib]
    siblings = (df["relation"] == "siblings").to_numpy()
    df["r"] = r
    df["n"] = counts.to_numpy()[ia, ib].astype(np.int64)
    with np.errstate(invalid="ignore"):
        df["flag"] = np.where(siblings & (r < negative), "negative",
                              np.where(siblings & (r > collinear), "collinear", ""))
    return df


def correlation_flags(
    result: Result,
    method: Method = "pearson",
    *,
    negative: float = -0.4,
    collinear: float = 0.9,
) -> pd.DataFrame:
    """The flagged sibling pairs of :func:`correlation_table` (negative or collinear within the same parent)."""
    df = correlation_table(result, method, negative=negative, collinear=collinear)
    return df[df["flag"] != ""].reset_index(drop=True)


def cronbach_alpha(x: FloatArray) -> float:
    """Cronbach's alpha of the columns of ``x`` (units x items), ``k / (k - 1) * (sum(C) - trace(C)) / sum(C)``
    with ``C`` the pairwise-complete sample covariance matrix; NaN for fewer than two items."""
    k = x.shape[1]
    if k < 2:
        return float("nan")
    c = pd.DataFrame(x).cov().to_numpy()
    total = np.nansum(c)
    with quiet():
        return float(k / (k - 1) * (total - np.trace(c)) / total)


def cronbach(result: Result) -> pd.DataFrame:
    """Cronbach's alpha of every aggregate over its children, with ``k`` children and ``n`` complete units."""
    fw = result.framework
    rows = []
    for code in fw.order:
        kids = fw.children[code]
        if not kids:
            continue
        x = result.scores[list(kids)].to_numpy(dtype=float)
        rows.append((code, fw.level[code], len(kids), int((~np.isnan(x)).all(axis=1).sum()), cronbach_alpha(x)))
    return pd.DataFrame(rows, columns=["node", "level", "k", "n", "alpha"])


def _first_component(x: FloatArray) -> tuple[FloatArray, FloatArray, int]:
    """Eigenvalues (descending) of the correlation matrix of the complete rows of ``x``, the first eigenvector
    (sign: positive sum), and the number of complete rows; constant columns get a zero weight."""
    rows = x[~np.isnan(x).any(axis=1)]
    n, k = rows.shape
    sd = rows.std(axis=0, ddof=1) if n > 1 else np.zeros(k)
    use = sd > 0
    vals = np.full(k, np.nan)
    vec = np.full(k, np.nan)
    if n < 3 or use.sum() < 1:
        return vals, vec, n
    z = (rows[:, use] - rows[:, use].mean(axis=0)) / sd[use]
    corr = z.T @ z / (n - 1)
    w, v = np.linalg.eigh(corr)
    order = np.argsort(w)[::-1]
    w, v = w[order], v[:, order]
    first = v[:, 0] * (1.0 if v[:, 0].sum() >= 0 else -1.0)
    vals[: use.sum()] = w
    vec[use] = first
    vec[~use] = 0.0
    return vals, vec, n


def pca(result: Result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per aggregate: the share of variance of its standardised children the first principal component explains
    and the number of components with eigenvalue > 1; and per child: the first component's weight (eigenvector)
    and loading (correlation with the component)."""
    fw = result.framework
    summary = []
    loadings = []
    for code in fw.order:
        kids = fw.children[code]
        if not kids:
            continue
        x = result.scores[list(kids)].to_numpy(dtype=float)
        vals, vec, n = _first_component(x)
        total = np.nansum(vals)
        share = float(vals[0] / total) if total > 0 else float("nan")
        summary.append((code, fw.level[code], len(kids), n, share, int(np.nansum(vals > 1)),
                        float(vals[0]) if len(vals) else float("nan")))
        lam = vals[0]
        for kid, weight in zip(kids, vec, strict=True):
            loadings.append((code, kid, float(weight), float(weight * np.sqrt(lam)) if lam > 0 else float("nan")))
    return (
        pd.DataFrame(summary, columns=["node", "level", "k", "n", "pc1_share", "n_eigen_gt1", "pc1_eigenvalue"]),
        pd.DataFrame(loadings, columns=["node", "child", "weight", "loading"]),
    )


def coherence_report(
    result: Result,
    *,
    negative: float = -0.4,
    collinear: float = 0.9,
) -> dict[str, pd.DataFrame]:
    """Every coherence table by name: ``correlations_pearson`` and ``correlations_spearman`` (long tables of
    :func:`correlation_table`), ``flags`` (flagged sibling pairs under either method), ``cronbach``, ``pca`` and
    ``pca_loadings``."""
    pearson = correlation_table(result, "pearson", negative=negative, collinear=collinear)
    spearman = correlation_table(result, "spearman", negative=negative, collinear=collinear)
    flags = pd.concat([pearson.assign(method="pearson"), spearman.assign(method="spearman")], ignore_index=True)
    flags = flags[flags["flag"] != ""].reset_index(drop=True)
    summary, loadings = pca(result)
    return {
        "correlations_pearson": pearson,
        "correlations_spearman": spearman,
        "flags": flags,
        "cronbach": cronbach(result),
        "pca": summary,
        "pca_loadings": loadings,
    }
