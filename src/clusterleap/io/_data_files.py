"""Read data sets from CSV, Excel, Parquet and pandas DataFrames, in wide, long or wide-by-year layout (see
docs/data.md): a table of raw cells (``_raw_tables``) becomes a :class:`Dataset` of values ``[year, unit,
variable]``, with the file row of every value kept for messages. What a cell may hold is said in ``_cells``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from .._dataset import Dataset
from .._registry import did_you_mean
from ..errors import DataError
from ._cells import (
    BENCHMARK_COLUMNS,
    ILLUSTRATIVE_COLUMN,
    INDICATOR_COLUMNS,
    MISSING_MARKERS,
    NAME_COLUMNS,
    NO,
    UNIT_COLUMNS,
    VALUE_COLUMNS,
    YEAR_COLUMNS,
    YES,
    cell_text,
    find_column,
    parse_cell,
    show_cell,
)
from ._raw_tables import MAX_CELLS, MAX_COLUMNS, read_table

__all__ = ["LAYOUTS", "MISSING_MARKERS", "read_data"]

#: The layouts :func:`read_data` reads (docs/data.md).
LAYOUTS = ("auto", "wide", "long", "wide-years")
#: A column of the wide-by-year layout: ``<variable>_<year>``, as in the UNDP's and the World Bank's files.
_VARIABLE_YEAR = re.compile(r"^(?P<variable>.+)_(?P<year>\d{4})$")


def read_data(
    source: str | Path | pd.DataFrame,
    *,
    layout: str = "auto",
    sheet: str | None = None,
    unit: str | None = None,
    year: str | None = None,
    name: str | None = None,
    illustrative: bool | None = None,
) -> Dataset:
    """Read a data set. ``layout`` is 'wide' (one row per unit or unit-year), 'long' (unit, indicator, [year,]
    value), 'wide-years' (one row per unit, a column ``<variable>_<year>`` per variable and year) or 'auto' (long
    when the table has indicator and value columns, else wide). ``unit``, ``year`` and ``name`` name the unit code,
    year and display-name columns when they are not among the usual names."""
    df, where, row_word, file_rows = read_table(source, sheet)
    df.columns = [str(c).strip() for c in df.columns]
    df = _drop_unnamed(df, where)
    if df.empty:
        raise DataError(f"{where}: no data rows (expected one row per unit, or per unit and year, below the header)")
    cols = list(df.columns)
    if len(cols) > MAX_COLUMNS:
        raise DataError(f"{where}: {len(cols):,} columns is more than the limit of {MAX_COLUMNS:,}")
    dup = next((c for c, n in Counter(cols).items() if n > 1), None)
    if dup is not None:
        raise DataError(f"{where}: column {dup!r} appears twice")
    for given, what in ((unit, "unit"), (name, "name"), (year if layout != "wide-years" else None, "year")):
        if given is not None and given not in cols:
            raise DataError(f"{where}: no {what} column {given!r}{did_you_mean(given, cols)}")
    if layout == "wide-years":
        df, file_rows = _wide_years(df, where, file_rows, year or "year")
        year, layout, cols = year or "year", "wide", list(df.columns)
    if layout == "auto":
        ind = find_column(cols, INDICATOR_COLUMNS)
        if ind and not find_column(cols, VALUE_COLUMNS):
            raise DataError(f"{where}: a column {ind!r} as in a long file, but no value column (expected one named "
                            f"{' or '.join(VALUE_COLUMNS)}; columns: {', '.join(cols[:12])})")
        layout = "long" if ind else "wide"
    if layout not in LAYOUTS:
        raise DataError(f"layout {layout!r} is unknown{did_you_mean(layout, LAYOUTS)}")
    unit_col = unit or find_column(cols, UNIT_COLUMNS)
    if unit_col is None or unit_col not in cols:
        raise DataError(f"{where}: no unit column (expected one named {' or '.join(UNIT_COLUMNS)})")
    year_col = year or find_column(cols, YEAR_COLUMNS)
    units_opt = [cell_text(v) for v in df[unit_col]]
    for i, u in enumerate(units_opt):
        if u is None:
            raise DataError(f"{where} {row_word} {file_rows[i]}, column {unit_col!r}: empty unit code")
    units_raw = [str(u) for u in units_opt]
    years_raw = _years(df, year_col, where, row_word, file_rows)
    name_col = name or find_column(cols, NAME_COLUMNS)
    bench_col = find_column(cols, BENCHMARK_COLUMNS)
    marker = find_column(cols, (ILLUSTRATIVE_COLUMN,))
    if marker is not None:
        flags = _flags(df, marker, units_raw, list(dict.fromkeys(units_raw)), where, row_word, file_rows)
        illustrative = bool(illustrative) or bool(flags.any())
    reserved = {c for c in (unit_col, year_col, name_col, bench_col, marker) if c}
    if layout == "long":
        return _long(df, where, row_word, file_rows, unit_col, units_raw, years_raw, name_col, bench_col, reserved,
                     illustrative, year_col)
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
        if bad and len(bad) == sum(1 for v in df[col] if cell_text(v) is not None):
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
        year_column=year_col or "",
    )


def _wide_years(df: pd.DataFrame, where: str, file_rows: np.ndarray, year_col: str) -> tuple[pd.DataFrame,
                                                                                           np.ndarray]:
    """The wide-by-year layout as the wide one: one row per unit and year (the unit's file row for each), a column
    ``year_col`` and one column per variable, from one row per unit with a column ``<variable>_<year>`` per variable
    and year. Columns without a year suffix are the unit's (code, name, metadata); a variable missing in a year is
    empty in it."""
    by_year: dict[int, dict[str, str]] = {}
    for col in df.columns:
        m = _VARIABLE_YEAR.match(col)
        if m is not None and 1900 <= int(m["year"]) <= 2100:
            by_year.setdefault(int(m["year"]), {})[m["variable"]] = col
    if not by_year:
        raise DataError(f"{where}: no column named <variable>_<year> (such as le_2022), which the wide-years layout "
                        f"reads; columns: {', '.join(list(df.columns)[:12])}")
    if year_col in df.columns:
        raise DataError(f"{where}: a column {year_col!r} besides the <variable>_<year> columns (the wide-years "
                        "layout makes the year column itself; use the wide layout for a file with one)")
    claimed = {c for cols in by_year.values() for c in cols.values()}
    unit_cols = [c for c in df.columns if c not in claimed]
    variables = list(dict.fromkeys(v for y in sorted(by_year) for v in by_year[y]))
    parts = []
    for y in sorted(by_year):
        part = df[unit_cols].copy()
        part[year_col] = y
        for v in variables:
            source = by_year[y].get(v)
            part[v] = df[source] if source is not None else None
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    if long.size > MAX_CELLS:
        raise DataError(f"{where}: {long.size:,} cells once one row per unit and year is more than the limit of "
                        f"{MAX_CELLS:,}")
    return long, np.tile(file_rows, len(by_year))


def _drop_unnamed(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """Drop columns without a name that hold nothing (trailing separators); refuse one that holds values."""
    keep = []
    for i, name in enumerate(df.columns):
        if name and not name.startswith("Unnamed: "):
            keep.append(i)
            continue
        col = df.iloc[:, i]
        filled = [j for j, v in enumerate(col) if cell_text(v) is not None]
        if filled:
            raise DataError(f"{where}: column {i + 1} has no name in the header but holds values (first "
                            f"{show_cell(col.iat[filled[0]])}); give it a name or delete it")
    return df.iloc[:, keep] if len(keep) < df.shape[1] else df


def _years(df: pd.DataFrame, col: str | None, where: str, row_word: str, file_rows: np.ndarray) -> list[int]:
    if col is None:
        return [0] * len(df)
    out = []
    for i, v in enumerate(df[col]):
        p = parse_cell(v)
        if p is None or math.isnan(p) or not float(p).is_integer():
            hint = " (format the column as a number, or type the year)" if isinstance(v, dt.date) else ""
            raise DataError(
                f"{where} {row_word} {file_rows[i]}, column {col!r}: {show_cell(v)} is not a year (expected an "
                f"integer){hint}"
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
        label = cell_text(v)
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
        text = "" if cell_text(v) is None else str(cell_text(v)).lower()
        if isinstance(v, bool):
            text = str(v).lower()
        if text in YES:
            flags[pos[str(u)]] = True
        elif text not in NO:
            raise DataError(f"{where} {row_word} {file_rows[i]}, column {col!r}: {show_cell(v)} is not a yes/no flag "
                            "(expected true/false, yes/no, 是/否 or 1/0)")
    return flags


def _long(
    df: pd.DataFrame, where: str, row_word: str, file_rows: np.ndarray, unit_col: str, units_raw: list[str],
    years_raw: list[int], name_col: str | None, bench_col: str | None, reserved: set[str], illustrative: bool | None,
    year_col: str | None,
) -> Dataset:
    cols = list(df.columns)
    ind_col = find_column(cols, INDICATOR_COLUMNS)
    val_col = find_column(cols, VALUE_COLUMNS)
    assert ind_col is not None and val_col is not None
    units = list(dict.fromkeys(units_raw))
    years = sorted(set(years_raw))
    variables = list(dict.fromkeys(cell_text(v) or "" for v in df[ind_col]))
    if "" in variables:
        r = next(i for i, v in enumerate(df[ind_col]) if cell_text(v) is None)
        raise DataError(f"{where} {row_word} {file_rows[r]}, column {ind_col!r}: empty indicator code")
    ui = {u: i for i, u in enumerate(units)}
    yi = {y: i for i, y in enumerate(years)}
    vi = {v: i for i, v in enumerate(variables)}
    arr = np.full((len(years), len(units), len(variables)), np.nan)
    seen = np.full(arr.shape, -1, dtype=np.int64)
    text: dict[str, dict[int, str]] = {}
    for r in range(len(df)):
        u, y, v = str(units_raw[r]), years_raw[r], str(cell_text(df[ind_col].iat[r]))
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
        year_column=year_col or "",
    )
