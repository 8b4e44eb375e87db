"""Weights explained: what each node was meant to weigh and what it actually weighs in the index.

A weight is a statement of intended importance, but what a node contributes to the index also depends on how much
its scores vary and how they correlate with the rest (Paruolo, Saisana & Saltelli 2013, "Ratings and rankings:
voodoo or science?", JRSS A 176, 609-634; Becker et al. 2017, Ecological Indicators 80, 12-22). This table puts side
by side, for every node of a level (indicators by default):

- ``nominal``: the framework's weight within the parent; ``used``: the weight the recipe's weight method gave it
  (averaged over units for per-unit methods such as benefit of the doubt);
- ``effective_nominal`` / ``effective``: the product of those weights down the tree (the node's share of the index);
- ``pearson``: Pearson correlation of the node's scores (normalised values for indicators) with the index, over the
  units where both exist; ``pearson_sq`` its square; ``importance``: ``pearson_sq`` as a share of the level's total,
  comparable with ``effective``; ``ratio`` = importance / effective (1 = counts as much as its weight says).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .._result import Result

__all__ = ["importance"]


def importance(result: Result, level: int = 1) -> pd.DataFrame:
    """Nominal, used and effective weights and correlation-based importance of every node at ``level`` (1 =
    indicators) of ``result``'s framework, indexed by node code in tree order."""
    fw = result.framework
    if not 1 <= level < fw.n_levels:
        raise ValueError(f"level {level} has no nodes below the index (levels are 1..{fw.n_levels - 1})")
    codes = list(fw.at_level(level))
    table = result.weights.loc[codes]
    eff_nominal = fw.effective_weights()
    index = result.score()
    scores = result.scores[codes]
    r = scores.corrwith(index)
    r2 = r**2
    total = float(np.nansum(r2.to_numpy()))
    share = r2 / total if total > 0 else r2 * np.nan
    eff = table["effective"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = share / eff.where(eff > 0)
    out = pd.DataFrame(
        {
            "parent": table["parent"],
            "nominal": table["nominal"],
            "used": table["used"],
            "effective_nominal": [eff_nominal[c] for c in codes],
            "effective": eff,
            "pearson": r,
            "pearson_sq": r2,
            "importance": share,
            "ratio": ratio,
        },
        index=pd.Index(codes, name="node"),
    )
    return out
