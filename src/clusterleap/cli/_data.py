"""Reading ``--data`` as the options around it say: sheet, layout, unit and name columns, units left out."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import numpy as np

from .._dataset import Dataset
from ..errors import DataError
from ..io._data_files import read_data
from .options import Layout


def read_data_opt(data: Path, sheet: str | None, layout: Layout = Layout.auto, unit_column: str | None = None,
                  name_column: str | None = None, exclude: list[str] | None = None) -> Dataset | Path:
    """The data of ``--data``: the path itself (read where the command needs it), or, with ``--sheet``,
    ``--layout``, ``--unit-column``, ``--name-column`` or ``--exclude``, the data set read as they say."""
    if sheet is None and layout == Layout.auto and unit_column is None and name_column is None and not exclude:
        return data
    ds = read_data(data, sheet=sheet, layout=layout.value, unit=unit_column, name=name_column)
    return exclude_units(ds, exclude or [])


def exclude_units(ds: Dataset, patterns: list[str]) -> Dataset:
    """The data set without the units whose code matches one of the shell-style ``patterns`` (``ZZ*``); a pattern
    that matches no unit is an error (a typo would otherwise leave in what was meant to go)."""
    if not patterns:
        return ds
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(u, pattern) for u in ds.units):
            raise DataError(f"--exclude {pattern!r}: no unit code of {ds.source} matches it (codes such as "
                            f"{', '.join(ds.units[:5])})")
    keep = np.array([not any(fnmatch.fnmatchcase(u, p) for p in patterns) for u in ds.units], dtype=bool)
    if not keep.any():
        raise DataError(f"--exclude {' '.join(patterns)}: leaves no unit of {ds.source}")
    return ds.select_units(keep)
