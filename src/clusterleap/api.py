"""The entry points: :func:`evaluate` and :func:`regenerate`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dataset import Dataset
from .errors import DataError
from .framework import Framework, framework_from_dict
from .io.data_files import read_data
from .io.framework_files import load_framework
from .pipeline import aggregate_tree, prepare, rank_scores
from .recipe import Recipe
from .result import Provenance, Result
from .stages._finite import check_finite

__all__ = ["as_dataset", "as_framework", "as_recipe", "evaluate", "regenerate"]


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
) -> Result:
    """Evaluate every unit of ``data`` on ``framework`` with ``recipe`` for ``year`` (the latest by default).

    The same framework, data and recipe always give the same result, bit for bit."""
    fw = as_framework(framework)
    ds = as_dataset(data)
    rc = as_recipe(recipe)
    yr = ds.years[ds.year_index(year)]
    # overflow in the arithmetic is not printed as a numpy warning: check_finite names where it happened
    with np.errstate(over="ignore", invalid="ignore"):
        prep = prepare(fw, ds, rc, [yr])
        scores, used = aggregate_tree(fw, prep.normalised, rc, units=ds.units)
        ranks = rank_scores(scores, rc)
    check_finite(fw, ds.units, fw.order, scores[0], ranks[0], prep.normalised[0], prep.treated.x[0], ds.source)
    prov = Provenance(
        framework=fw.to_dict(),
        framework_hash=fw.hash,
        data_hash=ds.hash,
        data_source=ds.source,
        recipe=rc.to_dict(),
        recipe_hash=rc.hash,
        year=yr,
    )
    return Result(fw, ds, rc, yr, scores[0], ranks[0], prep, used, prov)


def regenerate(provenance: Provenance | Mapping[str, Any], data: Dataset | str | Path | pd.DataFrame) -> Result:
    """Re-run an evaluation from its provenance on the same data (checked by hash)."""
    prov = provenance if isinstance(provenance, Provenance) else Provenance.from_dict(provenance)
    ds = as_dataset(data)
    if ds.hash != prov.data_hash:
        raise DataError(f"{ds.source}: this is not the data the result was made from (data hash {ds.hash[:12]} "
                        f"differs from {prov.data_hash[:12]})")
    fw = framework_from_dict(prov.framework)
    return evaluate(fw, ds, Recipe.from_dict(prov.recipe), prov.year)
