"""Benchmark: EM imputation (multivariate normal) of the illustrative data (90 clusters x 39 indicators x 6 years)
against the column-mean imputation of the same data, and the whole evaluation with each.

Run alone: ``.venv/bin/python bench/imputation.py``. EM is iterative (one E-step per missingness pattern and
iteration), so it costs far more than a mean; this says how much, and how many iterations each year takes.
"""

from __future__ import annotations

import time
import warnings
from importlib.resources import files

import numpy as np

import clusterleap as cl
from clusterleap.illustrative import illustrative_data
from clusterleap.stages import impute
from clusterleap.stages.impute import ImputeContext, normal_em


def _best(func: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    fw = cl.load_framework("world-class")
    data = illustrative_data()
    x = data.values[:, :, [data.variables.index(c) for c in fw.indicators]]
    print(f"data: {x.shape[0]} years x {x.shape[1]} clusters x {x.shape[2]} indicators, "
          f"{np.isnan(x).mean():.1%} missing")
    for t, year in enumerate(data.years):
        fit = normal_em(x[t])
        print(f"  {year}: {len(np.unique(np.isnan(x[t]), axis=0))} missingness patterns, {fit.iterations} EM "
              f"iterations, converged {fit.converged}")
    ctx = ImputeContext()
    t_mean = _best(lambda: impute.mean(x, ctx))
    t_em = _best(lambda: impute.em(x, ctx), repeat=1)
    print(f"impute all years: mean {t_mean * 1e3:.2f} ms, em {t_em:.2f} s (ratio {t_em / t_mean:,.0f})")
    recipe = cl.Recipe.load(str(files("clusterleap") / "data" / "demo-recipe.yaml"))
    with_em = cl.Recipe.from_dict({**recipe.to_dict(), "impute": "em"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        t_base = _best(lambda: cl.evaluate(fw, data, recipe), repeat=1)
        t_full = _best(lambda: cl.evaluate(fw, data, with_em), repeat=1)
    print(f"evaluate (demo recipe): {recipe.impute.default.method} {t_base:.2f} s, em {t_full:.2f} s "
          f"(ratio {t_full / t_base:.1f})")


if __name__ == "__main__":
    main()
