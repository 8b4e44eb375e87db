"""Printing the coherence of a result (``clusterleap check --coherence``): the tables of
:func:`clusterleap.analysis.coherence_report` as a rich summary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console, JustifyMethod
from rich.table import Table

from .._result import Result
from ..analysis._coherence import coherence_report
from ..stages._arrays import quiet

__all__ = ["print_coherence"]


def _num(v: Any, fmt: str = ".2f") -> str:
    return "-" if v is None or pd.isna(v) else format(float(v), fmt)


def print_coherence(
    result: Result,
    console: Console,
    *,
    negative: float = -0.4,
    collinear: float = 0.9,
    max_flags: int = 30,
) -> dict[str, pd.DataFrame]:
    """Print the coherence summary: per aggregate Cronbach's alpha, the first component's variance share and the
    mean correlation of its children with it; then the flagged sibling pairs. Returns the tables printed from."""
    report = coherence_report(result, negative=negative, collinear=collinear)
    fw = result.framework
    pear = report["correlations_pearson"]
    to_parent: dict[str, list[float]] = {}
    for parent, r in zip(pear["node_b"][pear["relation"] == "parent"], pear["r"][pear["relation"] == "parent"],
                         strict=True):
        to_parent.setdefault(str(parent), []).append(float(r))
    table = Table(title=f"Coherence of {fw.name} ({len(result.units)} units)", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("node", "left"), ("level", "right"), ("children", "right"), ("alpha", "right"), ("PC1 share", "right"),
        ("eigen > 1", "right"), ("min r(child, node)", "right"), ("mean r(child, node)", "right"))
    for col, just in columns:
        table.add_column(col, justify=just)
    pcs = {str(r["node"]): r for r in report["pca"].to_dict("records")}
    for row in report["cronbach"].to_dict("records"):
        code = str(row["node"])
        rs = np.array(to_parent.get(code, []), dtype=float)
        with quiet():
            lo, mean = (float(np.nanmin(rs)), float(np.nanmean(rs))) if rs.size else (np.nan, np.nan)
        table.add_row(
            code, str(row["level"]), str(row["k"]), _num(row["alpha"]), _num(pcs[code]["pc1_share"], ".0%"),
            str(pcs[code]["n_eigen_gt1"]), _num(lo), _num(mean),
        )
    console.print(table)
    flags = report["flags"]
    if flags.empty:
        console.print(f"No sibling pair correlates below {negative} or above {collinear} (Pearson or Spearman).")
        return report
    ft = Table(title=f"Flagged pairs within the same parent (r < {negative} or r > {collinear})",
               title_justify="left")
    for col in ("parent", "node a", "node b", "method", "r", "flag"):
        ft.add_column(col, justify="right" if col == "r" else "left")
    for f in flags.head(max_flags).to_dict("records"):
        ft.add_row(str(f["parent"]), str(f["node_a"]), str(f["node_b"]), str(f["method"]), _num(f["r"]),
                   str(f["flag"]))
    console.print(ft)
    if len(flags) > max_flags:
        console.print(f"... and {len(flags) - max_flags} more flagged pairs")
    return report
