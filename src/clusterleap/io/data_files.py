"""Read data sets from CSV, Excel, Parquet and pandas DataFrames, in wide or long layout (see docs/data.md).

Missing-value markers (case-insensitive, surrounding spaces ignored): an empty cell, ``NA``, ``N/A``, ``NaN``,
``null``, ``None``, ``#N/A``, ``-``, ``--``, ``..``, ``...`` and ``.``. Any other cell in a numeric column must be a
plain decimal number with ``.`` as decimal separator (``1e3`` is fine); ``12,5%`` or ``1,234`` are errors, never
silently coerced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import DataError

__all__ = ["MISSING_MARKERS", "read_data"]

MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "-", "--", "..", "...", "."})
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INF = re.compile(r"^[+-]?(inf|infinity)$", re.IGNORECASE)

UNIT_COLUMNS = ("unit", "uCode", "unit_code", "code")
NAME_COLUMNS = ("name", "uName", "unit_name")
YEAR_COLUMNS = ("year", "Time")
BENCHMARK_COLUMNS = ("benchmark",)
#: A yes/no column marking generated, illustrative data: results made from it say so.
ILLUSTRATIVE_COLUMN = "illustrative"
INDICATOR_COLUMNS = ("indicator", "iCode", "variable")
VALUE_COLUMNS = ("value", "Value")
_TRUE = {"1", "true", "yes", "y", "t", "1.0"}
_FALSE = {"0", "false", "no", "n", "f", "0.0", ""}


def parse_cell(cell: Any) -> float | None:
    """A cell's number, NaN for a missing marker, or None if it is not a number."""
    if cell is None:
        return math.nan
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float | np.integer | np.floating):
        return float(cell)
    text = str(cell).strip()
    if text.lower() in MISSING_MARKERS:
        return math.nan
    if _NUMBER.match(text):
        return float(text)
    if _INF.match(text):
        return math.inf if not text.startswith("-") else -math.inf
    return None


def _find(columns: Sequence[str], options: Sequence[str]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for opt in options:
        if opt.lower() in lower:
            return lower[opt.lower()]
    return None


def _read_table(source: str | Path | pd.DataFrame, sheet: str | None) -> tuple[pd.DataFrame, str, str, int]:
    """The raw table (all cells as objects), its name for messages, the row word and the file row of index 0."""
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True).astype(object), "DataFrame", "row", 1
    path = Path(source)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            return df, str(path), "row", 2
        if suffix in (".xlsx", ".xlsm"):
            with pd.ExcelFile(path, engine="openpyxl") as book:
                names = [str(s) for s in book.sheet_names]
                use = sheet or ("data" if "data" in names else names[0])
                if use not in names:
                    raise DataError(f"{path}: no sheet {use!r} (sheets: {', '.join(names)})")
                df = pd.read_excel(book, sheet_name=use, dtype=object)
            return df, f"{path} sheet {use!r}", "row", 2
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path).astype(object), str(path), "row", 1
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except Exception as exc:  # a parser's own message is the most precise thing we have
        raise DataError(f"{path}: cannot be read as {suffix[1:]} ({exc})") from None
    raise DataError(f"{path}: unknown file type {suffix!r} (expected .csv, .xlsx or .parquet)")


def read_data(
    source: str | Path | pd.DataFrame,
    *,
    layout: str = "auto",
    sheet: str | None = None,
    unit: str | None = None,
    year: str | None = None,
    illustrative: bool | None = None,
) -> Dataset:
    """Read a data set. ``layout`` is 'wide' (one row per unit or unit-year), 'long' (unit, indicator, [year,]
    value) or 'auto' (long when the table has indicator and value columns)."""
    df, where, row_word, first_row = _read_table(source, sheet)
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise DataError(f"{where}: no data rows (expected one row per unit, or per unit and year, below the header)")
    cols = list(df.columns)
    dup = next((c for c in cols if cols.count(c) > 1), None)
    if dup is not None:
        raise DataError(f"{where}: column {dup!r} appears twice")
    if layout == "auto":
        layout = "long" if _find(cols, INDICATOR_COLUMNS) and _find(cols, VALUE_COLUMNS) else "wide"
    if layout not in ("wide", "long"):
        raise DataError(f"layout {layout!r} is unknown (expected wide, long or auto)")
    unit_col = unit or _find(cols, UNIT_COLUMNS)
    if unit_col is None or unit_col not in cols:
        raise DataError(f"{where}: no unit column (expected one named {' or '.join(UNIT_COLUMNS)})")
    year_col = year or _find(cols, YEAR_COLUMNS)
    file_rows = np.arange(len(df)) + first_row
    units_opt = [_text(v) for v in df[unit_col]]
    for i, u in enumerate(units_opt):
        if u is None:
            raise DataError(f"{where} {row_word} {file_rows[i]}, column {unit_col!r}: empty unit code")
    units_raw = [str(u) for u in units_opt]
    years_raw = _years(df, year_col, where, row_word, file_rows)
    name_col = _find(cols, NAME_COLUMNS)
    bench_col = _find(cols, BENCHMARK_COLUMNS)
    marker = _find(cols, (ILLUSTRATIVE_COLUMN,))
    if marker is not None:
        flags = _flags(df, marker, units_raw, list(dict.fromkeys(units_raw)), where, row_word, file_rows)
        illustrative = bool(illustrative) or bool(flags.any())
    reserved = {c for c in (unit_col, year_col, name_col, bench_col, marker) if c}
    if layout == "long":
        return _long(df, where, row_word, file_rows, unit_col, units_raw, years_raw, name_col, bench_col, reserved,
                     illustrative)
    units = list(dict.fromkeys(units_raw))
    years = sorted(set(years_raw))
    ui = {u: i for i, u in enumerate(units)}
    yi = {y: i for i, y in enumerate(years)}
    rows = np.full((len(years), len(units)), -1, dtype=np.int64)
    for r, (u, y) in enumerate(zip(units_raw, years_raw, strict=True)):
        if rows[yi[y], ui[u]] >= 0:
            when = f" in year {y}" if year_col else ""
            raise DataError(
                f"{where} {row_word} {file_rows[r]}: unit {u!r}{when} already appears in {row_word} "
                f"{rows[yi[y], ui[u]]} (expected one row per unit{' and year' if year_col else ''})"
            )
        rows[yi[y], ui[u]] = file_rows[r]
    pos = np.array([[yi[y], ui[u]] for u, y in zip(units_raw, years_raw, strict=True)]).reshape(-1, 2)
    variables, values, text, meta = [], [], {}, {}
    for col in cols:
        if col in reserved:
            continue
        parsed = [parse_cell(v) for v in df[col]]
        grid = np.full((len(years), len(units)), np.nan)
        bad: dict[int, str] = {}
        for r, p in enumerate(parsed):
            t, u = pos[r]
            if p is None:
                bad[int(t) * len(units) + int(u)] = str(df[col].iat[r])
            else:
                grid[t, u] = p
        if bad and len(bad) == sum(1 for v in df[col] if _text(v) is not None):
            meta[col] = _unit_meta(df[col], units_raw, units, where, row_word, file_rows, col)
            continue
        if bad:
            text[col] = bad
        variables.append(col)
        values.append(grid)
    arr = np.stack(values, axis=-1) if values else np.zeros((len(years), len(units), 0))
    names = (
        _unit_meta(df[name_col], units_raw, units, where, row_word, file_rows, name_col) if name_col else None
    )
    return Dataset(
        units=tuple(units),
        years=tuple(years),
        variables=tuple(variables),
        values=arr,
        names=tuple(n or u for n, u in zip(names, units, strict=True)) if names else (),
        groups=meta,
        benchmark=_flags(df, bench_col, units_raw, units, where, row_word, file_rows),
        rows=rows[:, :, None],
        text=text,
        source=where,
        row_label=row_word,
        illustrative=bool(illustrative),
    )


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    return s or None


def _years(df: pd.DataFrame, col: str | None, where: str, row_word: str, file_rows: np.ndarray) -> list[int]:
    if col is None:
        return [0] * len(df)
    out = []
    for i, v in enumerate(df[col]):
        p = parse_cell(v)
        if p is None or math.isnan(p) or not float(p).is_integer():
            raise DataError(
                f"{where} {row_word} {file_rows[i]}, column {col!r}: {v!r} is not a year (expected an integer)"
            )
        out.append(int(p))
    return out


def _unit_meta(
    series: pd.Series, units_raw: list[str], units: list[str], where: str, row_word: str,
    file_rows: np.ndarray, col: str,
) -> tuple[str | None, ...]:
    """One label per unit; rows of the same unit must agree (metadata is constant over years)."""
    seen: dict[str, tuple[str | None, int]] = {}
    for i, (u, v) in enumerate(zip(units_raw, series, strict=True)):
        label = _text(v)
        if u in seen and seen[u][0] != label and label is not None and seen[u][0] is not None:
            raise DataError(
                f"{where} {row_word} {file_rows[i]}, column {col!r}: {label!r} differs from {seen[u][0]!r} in "
                f"{row_word} {seen[u][1]} (unit metadata must be the same in every year)"
            )
        if u not in seen or seen[u][0] is None:
            seen[u] = (label, int(file_rows[i]))
    return tuple(seen[u][0] for u in units)


def _flags(
    df: pd.DataFrame, col: str | None, units_raw: list[str], units: list[str], where: str, row_word: str,
    file_rows: np.ndarray,
) -> np.ndarray:
    flags = np.zeros(len(units), dtype=bool)
    if col is None:
        return flags
    pos = {u: i for i, u in enumerate(units)}
    for i, (u, v) in enumerate(zip(units_raw, df[col], strict=True)):
        text = "" if _text(v) is None else str(_text(v)).lower()
        if isinstance(v, bool):
            text = str(v).lower()
        if text in _TRUE:
            flags[pos[str(u)]] = True
        elif text not in _FALSE:
            raise DataError(f"{where} {row_word} {file_rows[i]}, column {col!r}: {v!r} is not a yes/no flag "
                            "(expected true/false, yes/no or 1/0)")
    return flags


def _long(
    df: pd.DataFrame, where: str, row_word: str, file_rows: np.ndarray, unit_col: str, units_raw: list[str],
    years_raw: list[int], name_col: str | None, bench_col: str | None, reserved: set[str], illustrative: bool | None,
) -> Dataset:
    cols = list(df.columns)
    ind_col = _find(cols, INDICATOR_COLUMNS)
    val_col = _find(cols, VALUE_COLUMNS)
    assert ind_col is not None and val_col is not None
    units = list(dict.fromkeys(units_raw))
    years = sorted(set(years_raw))
    variables = list(dict.fromkeys(_text(v) or "" for v in df[ind_col]))
    if "" in variables:
        r = next(i for i, v in enumerate(df[ind_col]) if _text(v) is None)
        raise DataError(f"{where} {row_word} {file_rows[r]}, column {ind_col!r}: empty indicator code")
    ui = {u: i for i, u in enumerate(units)}
    yi = {y: i for i, y in enumerate(years)}
    vi = {v: i for i, v in enumerate(variables)}
    arr = np.full((len(years), len(units), len(variables)), np.nan)
    seen = np.full(arr.shape, -1, dtype=np.int64)
    text: dict[str, dict[int, str]] = {}
    for r in range(len(df)):
        u, y, v = str(units_raw[r]), years_raw[r], str(_text(df[ind_col].iat[r]))
        key = (yi[y], ui[u], vi[v])
        if seen[key] >= 0:
            raise DataError(
                f"{where} {row_word} {file_rows[r]}: unit {u!r}, indicator {v!r}, year {y} already appears in "
                f"{row_word} {seen[key]} (expected one value per unit, indicator and year)"
            )
        seen[key] = file_rows[r]
        cell = df[val_col].iat[r]
        p = parse_cell(cell)
        if p is None:
            text.setdefault(v, {})[yi[y] * len(units) + ui[u]] = str(cell)
        else:
            arr[key] = p
    meta = {
        c: _unit_meta(df[c], units_raw, units, where, row_word, file_rows, c)
        for c in cols
        if c not in reserved | {ind_col, val_col}
    }
    names = _unit_meta(df[name_col], units_raw, units, where, row_word, file_rows, name_col) if name_col else None
    return Dataset(
        units=tuple(units),
        years=tuple(years),
        variables=tuple(variables),
        values=arr,
        names=tuple(n or u for n, u in zip(names, units, strict=True)) if names else (),
        groups=meta,
        benchmark=_flags(df, bench_col, units_raw, units, where, row_word, file_rows),
        rows=seen,
        text=text,
        source=where,
        row_label=row_word,
        illustrative=bool(illustrative),
    )
