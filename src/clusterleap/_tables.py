"""Writing tables (pandas DataFrames) as CSV or Parquet with every text cell neutralised against spreadsheet formula
injection (:func:`clusterleap._files.neutralise`; OWASP, "CSV Injection"): text a spreadsheet would run as a formula
gets a leading apostrophe, numbers are never changed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ._files import neutralise

__all__ = ["neutralise_frame", "write_csv", "write_tables"]


def _neutral_cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def _texty(dtype: Any) -> bool:
    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
                or isinstance(dtype, pd.CategoricalDtype))


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels are neutralised; numeric columns are the
    same objects (numbers never change)."""
    out = df.copy(deep=False)
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if _texty(s.dtype):
            out.isetitem(i, [_neutral_cell(v) for v in s])
    out.columns = _neutral_index(out.columns)
    out.index = _neutral_index(out.index)
    return out


def _neutral_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(_neutral_cell(v) for v in t) for t in index], names=index.names)
    if _texty(index.dtype):
        out: pd.Index = pd.Index([_neutral_cell(v) for v in index], name=_neutral_cell(index.name), dtype=object)
        return out
    return index


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs: Any) -> None:
    """``df.to_csv(path, **kwargs)`` with formula-like text neutralised (see :func:`neutralise`)."""
    neutralise_frame(df).to_csv(path, **kwargs)


def write_tables(directory: Path, tables: Mapping[str, pd.DataFrame], fmt: str = "csv") -> None:
    """Write each table as ``directory/<name>.<fmt>`` (a name may hold sub-folders, e.g. ``stages/raw``): CSV with
    ten significant digits and neutralised text, or Parquet (typed cells, which no spreadsheet runs)."""
    for name, df in tables.items():
        path = directory / f"{name}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            write_csv(df, path, float_format="%.10g")
        else:
            df.to_parquet(path)
