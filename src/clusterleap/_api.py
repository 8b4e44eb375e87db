"""The entry points: :func:`evaluate` and :func:`regenerate`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._dataset import Dataset
from ._framework import Framework, framework_from_dict
from ._pipeline import Screening, aggregate_tree, prepare, rank_scores, screen
from ._recipe import Basis, Recipe, Step
from ._result import Provenance, Result
from .errors import DataError, DataWarning
from .io._data_files import read_data
from .io._framework_files import load_framework
from .stages._arrays import rank_threads
from .stages._finite import check_finite

__all__ = ["as_dataset", "as_framework", "as_recipe", "calibrate", "evaluate", "regenerate"]


def as_framework(spec: Framework | str | Path) -> Framework:
    """A framework from itself, a built-in name, a YAML file or an iMeta CSV."""
    return load_framework(spec)


def as_dataset(spec: Dataset | str | Path | pd.DataFrame) -> Dataset:
    """A data set from itself, a file (CSV, Excel, Parquet) or a DataFrame."""
    return spec if isinstance(spec, Dataset) else read_data(spec)


def as_recipe(spec: Recipe | str | Path | Mapping[str, Any] | None) -> Recipe:
    """A recipe from itself, a YAML file, a mapping, or the default recipe for None."""
    if spec is None:
        return Recipe()
    if isinstance(spec, Recipe):
        return spec
    if isinstance(spec, Mapping):
        return Recipe.from_dict(spec)
    return Recipe.load(spec)


def evaluate(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
    year: int | None = None,
    *,
    keep: bool = True,
    threads: int | None = None,
) -> Result:
    """Evaluate every unit of ``data`` on ``framework`` with ``recipe`` for ``year`` (the latest by default).

    The same framework, data and recipe always give the same result, bit for bit. ``keep=False`` lets go of the
    stage tables before normalisation (raw to treated values) as soon as they are used: for large runs, memory
    then stays a few times the input's (scores, ranks, normalised values and the treatment record remain).
    ``threads``: how many threads may rank long columns (131,072 units or more; see
    :func:`clusterleap.stages._arrays.rank_threads`); None: up to 2, as the cores allow. Any number gives the same
    ranks."""
    fw = as_framework(framework)
    full = as_dataset(data)
    rc = as_recipe(recipe)
    yr = full.years[full.year_index(year)]
    full.check_against(fw)
    screening = screen(fw, full, rc, [yr])
    kept = screening.kept[0]
    if not kept.any():
        raise DataError(f"{full.source}: no unit passes the screening rule {_step_text(rc.screen.default)}{_in(yr)} "
                        f"(the best covered unit has data on {screening.share.max():.0%} of the "
                        f"{len(fw.indicators)} indicators)")
    ds = full if kept.all() else full.select_units(kept)
    _warn_coverage(fw, screening, yr, full.source)
    # overflow in the arithmetic is not printed as a numpy warning: check_finite names where it happened
    with np.errstate(over="ignore", invalid="ignore"):
        prep = prepare(fw, ds, rc, [yr], checked=True, keep=keep)
        scores, used = aggregate_tree(fw, prep.normalised, rc, units=ds.units)
        with rank_threads(threads):
            ranks = rank_scores(scores, rc)
    # without kept stage tables the normalised values stand in for the treated ones (missing where they are)
    start = prep.treated.x[0] if prep.kept else prep.normalised[0]
    check_finite(fw, ds.units, fw.order, scores[0], ranks[0], prep.normalised[0], start, ds.source)
    prov = Provenance(
        framework=fw.to_dict(),
        framework_hash=fw.hash,
        data_hash=full.hash,
        data_source=full.source,
        recipe=rc.to_dict(),
        recipe_hash=rc.hash,
        year=yr,
    )
    return Result(fw, ds, rc, yr, scores[0], ranks[0], prep, used, prov, screening, full)


def _warn_coverage(fw: Framework, s: Screening, year: int, source: str) -> None:
    """Say, once, when the data is thin: indicators or dimensions without any data, low coverage on average."""
    kept = s.kept[0]
    present = s.present[0][kept]
    with_data = present.any(axis=0)
    n, k = int(with_data.sum()), len(fw.indicators)
    if n < k:
        empty = [c for c, has in zip(fw.indicators, with_data, strict=True) if not has]
        listed = ", ".join(empty[:6]) + (", ..." if len(empty) > 6 else "")
        warnings.warn(f"{source}: only {n} of the {k} indicators of framework {fw.name!r} carry data{_in(year)} "
                      f"({len(empty)} empty: {listed}); the scores rest on those {n}, and empty indicators are "
                      "left out of their parents' means (their weight goes to their siblings)",
                      DataWarning, stacklevel=3)
    dims_empty = [d for j, d in enumerate(s.dimensions) if not (s.by_dimension[0][kept][:, j] > 0).any()]
    if dims_empty:
        warnings.warn(f"{source}: dimension(s) {', '.join(dims_empty)} of framework {fw.name!r} have no data for "
                      f"any unit{_in(year)}: the index is computed without them", DataWarning, stacklevel=3)
    mean_share = float(s.share[0][kept].mean())
    if mean_share < 0.5:
        warnings.warn(f"{source}: units have data on {mean_share:.0%} of the indicators on average{_in(year)}: "
                      "scores and ranks rest on little data (see `clusterleap check` for coverage per unit)",
                      DataWarning, stacklevel=3)


def regenerate(provenance: Provenance | Mapping[str, Any], data: Dataset | str | Path | pd.DataFrame) -> Result:
    """Re-run an evaluation from its provenance on the same data (checked by hash)."""
    prov = provenance if isinstance(provenance, Provenance) else Provenance.from_dict(provenance)
    ds = as_dataset(data)
    if ds.hash != prov.data_hash:
        raise DataError(f"{ds.source}: this is not the data the result was made from (data hash {ds.hash[:12]} "
                        f"differs from {prov.data_hash[:12]})")
    fw = framework_from_dict(prov.framework)
    return evaluate(fw, ds, Recipe.from_dict(prov.recipe), prov.year)


def calibrate(
    framework: Framework | str | Path,
    data: Dataset | str | Path | pd.DataFrame,
    recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
    *,
    units: Literal["all", "benchmarks", "domestic"] = "all",
    years: Sequence[int] | None = None,
    clip: bool = True,
) -> Recipe:
    """The recipe with a frozen scoring basis fitted on a reference population: ``units`` (all, the benchmark
    units or the domestic ones) in ``years`` (every year of the data by default), pooled.

    The basis holds each indicator's min, max, mean and sample standard deviation of the values the normaliser sees
    (after denomination, transform, imputation and treatment, which on a comparable basis are the unit's own), so
    later data sets and years are scored on the same scale; ``fitted_on`` records the population and the data's
    hash. The recipe's other stages must be unit-level (see :class:`~clusterleap._recipe.Basis`)."""
    fw, ds, rc = as_framework(framework), as_dataset(data), as_recipe(recipe)
    yrs = list(ds.years) if years is None else [ds.years[ds.year_index(int(y))] for y in years]
    relative = replace(rc, basis=Basis())
    # the target recipe is checked first, so that a stage that draws on other units is named before any work
    _check_calibratable(rc)
    prep = prepare(fw, ds, relative, yrs, pooled=True)
    assert ds.benchmark is not None
    bench = np.tile(np.asarray(ds.benchmark, dtype=bool), len(yrs))
    rows = {"all": np.ones_like(bench), "benchmarks": bench, "domestic": ~bench}[units]
    if not rows.any():
        raise DataError(f"{ds.source}: no {units} units to calibrate on (no unit is flagged as a benchmark)"
                        if units == "benchmarks" else f"{ds.source}: no {units} units to calibrate on")
    x = prep.treated.x[0][rows]
    stats = []
    for i, code in enumerate(fw.indicators):
        col = x[:, i][~np.isnan(x[:, i])]
        if col.size < 2:
            raise DataError(f"{ds.source}: indicator {code!r} has {col.size} value(s) among the {units} units of "
                            f"{_years_text(yrs)} (a frozen basis needs at least two to set a scale)")
        mn, mx = float(col.min()), float(col.max())
        if mn == mx:
            raise DataError(f"{ds.source}: indicator {code!r} is {mn:g} for every {units} unit of {_years_text(yrs)}, "
                            "so it cannot set a scale (calibrate on a wider population, or give it goalposts)")
        stats.append((code, (mn, mx, float(col.mean()), float(col.std(ddof=1)))))
    fitted_on = (f"{units} units of {Path(ds.source).name} in {_years_text(yrs)} ({int(rows.sum())} unit-years; "
                 f"data {ds.hash[:12]})")
    return replace(rc, basis=Basis("frozen", tuple(stats), clip, fitted_on))


def _in(year: int) -> str:
    """' in 2024', or nothing for data without a year column (read as year 0)."""
    return f" in {year}" if year else ""


def _step_text(step: Step) -> str:
    params = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in step.params)
    return f"{step.method} ({params})" if params else step.method


def _years_text(years: Sequence[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _check_calibratable(recipe: Recipe) -> None:
    """Raise the error a frozen basis would raise for a stage that draws on other units."""
    probe = Basis("frozen", (("_", (0.0, 1.0, 0.5, 0.1)),))
    replace(recipe, basis=probe)
