"""Benchmark: one evaluation of 1,000 units x 100 indicators x 10 years (PRODUCT.md: "well under a second").

Baseline, in the same process: the same pipeline written the plain way, one pandas column and one parent node at a
time. Run: .venv/bin/python bench/evaluate.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

import clusterleap as cl
from clusterleap import Dataset, Framework, Node

N_UNITS, N_INDICATORS, N_YEARS = 1000, 100, 10


def problem() -> tuple[Framework, Dataset]:
    rng = np.random.default_rng(0)
    nodes = [Node("IDX", None)]
    for d in range(5):
        nodes.append(Node(f"D{d}", "IDX"))
        for a in range(4):
            nodes.append(Node(f"A{d}{a}", f"D{d}"))
            nodes += [Node(f"i{d}{a}{k}", f"A{d}{a}", kind="indicator", direction=1 if k % 3 else -1)
                      for k in range(5)]
    fw = Framework("bench", tuple(nodes))
    values = rng.lognormal(size=(N_YEARS, N_UNITS, N_INDICATORS))
    values[rng.random(values.shape) < 0.03] = np.nan
    data = Dataset(units=tuple(f"u{i:04d}" for i in range(N_UNITS)), years=tuple(range(2015, 2015 + N_YEARS)),
                   variables=fw.indicators, values=values, groups={"g": tuple("abcd"[i % 4] for i in range(N_UNITS))})
    return fw, data


def baseline(fw: Framework, data: Dataset) -> pd.Series:
    """Group-mean imputation, min-max 0-100, arithmetic means: column by column, node by node."""
    df = pd.DataFrame(data.values[-1], index=list(data.units), columns=list(data.variables))
    groups = pd.Series(data.groups["g"], index=df.index)
    scores = {}
    for c in fw.indicators:
        col = df[c].fillna(df[c].groupby(groups).transform("mean")) * fw[c].direction
        scores[c] = (col - col.min()) / (col.max() - col.min()) * 100
    for agg in fw.aggregates:
        kids = fw.children[agg]
        scores[agg] = pd.concat([scores[k] for k in kids], axis=1).mean(axis=1)
    return scores["IDX"]


def timed(f, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    fw, data = problem()
    recipes = {
        "default (min-max, arithmetic)": {"impute": {"method": "group_mean", "group": "g"}},
        "+ skewness-kurtosis treatment": {"impute": {"method": "group_mean", "group": "g"}, "treat": "skew_kurtosis"},
        "+ linear panel imputation": {"impute": "linear", "treat": "skew_kurtosis"},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = timed(lambda: baseline(fw, data))
        same = cl.evaluate(fw, data, recipes["default (min-max, arithmetic)"]).score("IDX")
        assert np.allclose(same.to_numpy(), baseline(fw, data).to_numpy())
        print(f"{N_UNITS} units x {N_INDICATORS} indicators x {N_YEARS} years")
        print(f"baseline (pandas, column by column): {base:.3f} s")
        for name, recipe in recipes.items():
            t = timed(lambda r=recipe: cl.evaluate(fw, data, r))  # type: ignore[misc]
            print(f"clusterleap evaluate, {name}: {t:.3f} s  ({base / t:.1f}x the baseline)")


if __name__ == "__main__":
    main()
