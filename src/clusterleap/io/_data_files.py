"""Read data sets from CSV, Excel, Parquet and pandas DataFrames, in wide or long layout (see docs/data.md).

Missing-value markers (case-insensitive, surrounding spaces ignored): an empty cell, ``NA``, ``N/A``, ``NaN``,
``null``, ``None``, ``#N/A``, ``-``, ``--``, ``..``, ``...`` and ``.``. Any other cell in a numeric column must be a
plain decimal number with ``.`` as decimal separator (``1e3`` is fine); ``12,5%`` or ``1,234`` are errors, never
silently coerced.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import io
import math
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from .._dataset import Dataset
from .._registry import did_you_mean
from ..errors import DataError, DataWarning

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
_TRUE = {"1", "true", "yes", "y", "t", "1.0", "是"}
_FALSE = {"0", "false", "no", "n", "f", "0.0", "", "否"}


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


#: Limits of the data reader (docs/limits.md).
MAX_CELLS = 5_000_000
MAX_COLUMNS = 16_384
MAX_BYTES = 200_000_000
#: What the parts of an xlsx file may unpack to (the sheet's XML is held in memory as cells).
MAX_UNPACKED = 200_000_000
#: Year columns outside this range are refused as typos (20233) or wrong columns.
_TEMPLATE_SHEET_COLUMNS = {"direction", "definition"}


def _show(v: Any) -> str:
    """A cell as a message shows it: dates as dates, text quoted, never a Python repr of an object."""
    if isinstance(v, dt.datetime | dt.date):
        return f"a date ({v.isoformat()[:10]})"
    if isinstance(v, float) and v.is_integer():
        return repr(int(v)) if abs(v) < 1e15 else repr(v)
    if isinstance(v, str | int | float | bool):
        return repr(v)
    return repr(str(v))


def _decode(raw: bytes, path: Path) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused with what
    it looks like and how to save it as UTF-8."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: UTF-16 text with an invalid byte at {exc.start}") from None
    elif len(raw) >= 4 and raw[1:4:2] == b"\0\0" and raw[0:4:2] != b"\0\0":
        return raw.decode("utf-16-le", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        guess = ""
        try:
            alt = raw.decode("gb18030")
            if re.search(r"[\u4e00-\u9fff]", alt):
                guess = " It looks like GBK/GB18030 (what Chinese Excel saves as 'CSV')."
        except UnicodeDecodeError:
            pass
        raise DataError(
            f"{path} line {line}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}).{guess} Save it "
            f"as 'CSV UTF-8' in Excel, or convert it (iconv -f {'GB18030' if guess else 'its-encoding'} -t UTF-8 "
            "in.csv > out.csv)"
        ) from None


def _sniff(text: str) -> str:
    """The separator: ',' unless the header line has none and has ';' or tabs."""
    head = next((ln for ln in text.splitlines() if ln.strip()), "")
    if "," in head:
        return ","
    counts = {sep: head.count(sep) for sep in (";", "\t", "|")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells as text and the file line of each data row. Blank lines are skipped (as blank rows of a sheet are); a
    row with fewer or more cells than the header is an error naming its line."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DataError(f"{path}: {size:,} bytes is more than the limit of {MAX_BYTES:,} bytes for a data file")
    text = _decode(path.read_bytes(), path)
    sep = _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    last = 0
    cells = 0
    try:
        for row in reader:
            line, last = last + 1, reader.line_num
            if not any(c.strip() for c in row):
                continue
            if header is None:
                header = row
                _check_header(header, path, line)
                continue
            n = len(header)
            if len(row) > n and not any(c.strip() for c in row[n:]):
                row = row[:n]
            if len(row) != n:
                more = "fewer" if len(row) < n else "more"
                raise DataError(f"{path} line {line}: {len(row)} cells, {more} than the {n} columns of the header "
                                f"(line 1{'' if sep == ',' else f', separator {sep!r}'}); every row needs one "
                                "cell per column, empty cells included")
            cells += n
            if cells > MAX_CELLS:
                raise DataError(f"{path}: more than the limit of {MAX_CELLS:,} cells (at line {line})")
            rows.append(row)
            lines.append(line)
    except csv.Error as exc:
        raise DataError(f"{path} line {reader.line_num}: cannot be read as CSV ({exc})") from None
    if header is None:
        return pd.DataFrame(), np.zeros(0, dtype=np.int64)
    return pd.DataFrame(rows, columns=header, dtype=object), np.asarray(lines, dtype=np.int64)


def _check_header(header: Sequence[Any], where: str | Path, line: int) -> None:
    if len(header) > MAX_COLUMNS:
        raise DataError(f"{where} line {line}: {len(header):,} columns is more than the limit of {MAX_COLUMNS:,}")


def _percent_value(v: float) -> float:
    """A percent-formatted cell's number as the percentage shown (0.052 -> 5.2, exactly as typed)."""
    return float(decimal.Decimal(repr(v)).scaleb(2))


def _cell_name(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def _pick_sheet(book: Any, path: Path, sheet: str | None) -> Any:
    names = [str(s) for s in book.sheetnames]
    if sheet is not None:
        if sheet not in names:
            raise DataError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(names)})")
        ws = book[sheet]
        if _is_template_sheet(ws):
            raise DataError(f"{path} sheet {sheet!r}: holds indicator definitions (columns direction, definition), "
                            "not data (expected one row per unit)")
        return ws
    if "data" in names:
        return book["data"]
    candidates = [book[n] for n in names if not _is_template_sheet(book[n])]
    if len(candidates) == 1 or (candidates and len(names) == 1):
        return candidates[0]
    with_unit = [ws for ws in candidates if _find(_header(ws), UNIT_COLUMNS)]
    if len(with_unit) == 1:
        return with_unit[0]
    raise DataError(f"{path}: cannot tell which sheet holds the data (sheets: {', '.join(names)}); name it 'data' "
                    "or choose one with --sheet")


def _header(ws: Any) -> list[str]:
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 50), values_only=True):
        if any(v is not None and str(v).strip() for v in row):
            return [str(v).strip() for v in row if v is not None]
    return []


def _is_template_sheet(ws: Any) -> bool:
    return {h.lower() for h in _header(ws)} >= _TEMPLATE_SHEET_COLUMNS


def _read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Cells of a sheet and the sheet row of each data row. Refused with the cell named: a sheet larger than the
    limits, merged cells in the table, formulas without a stored value. Percent-formatted numbers are read as the
    percentage shown (0.052 shown as 5.2 % is 5.2), with a warning."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DataError(f"{path}: {size:,} bytes is more than the limit of {MAX_BYTES:,} bytes for a data file")
    with zipfile.ZipFile(path) as zf:
        unpacked = sum(i.file_size for i in zf.infolist())
    if unpacked > MAX_UNPACKED:
        raise DataError(f"{path}: unpacks to {unpacked:,} bytes, more than the limit of {MAX_UNPACKED:,} (save "
                        "large data as CSV)")
    book = openpyxl.load_workbook(path, data_only=False)
    ws = _pick_sheet(book, path, sheet)
    where = f"{path} sheet {ws.title!r}"
    cells = {k: c for k, c in ws._cells.items() if c.value is not None and not (isinstance(c.value, str)
                                                                                  and not c.value.strip())}
    if not cells:
        return pd.DataFrame(), np.zeros(0, dtype=np.int64), where
    n_rows = max(r for r, _ in cells)
    n_cols = max(c for _, c in cells)
    if n_cols > MAX_COLUMNS or n_rows * n_cols > MAX_CELLS:
        far = max(cells, key=lambda k: k[0] * k[1])
        raise DataError(f"{where}: a cell at {_cell_name(*far)} makes the table {n_rows:,} rows x {n_cols:,} "
                        f"columns, more than the limit of {MAX_CELLS:,} cells (delete stray cells beyond the table)")
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= n_rows and rng.min_col <= n_cols and rng.size["rows"] * rng.size["columns"] > 1:
            raise DataError(f"{where}: cells {rng.coord} are merged (a merged cell keeps its value in its first "
                            "cell only, the others would be read as empty); unmerge them and fill every cell")
    formulas = {k: c.value for k, c in cells.items() if c.data_type == "f"}
    cached: dict[tuple[int, int], Any] = {}
    if formulas:
        values = openpyxl.load_workbook(path, data_only=True)[ws.title]
        for (r, c), formula in sorted(formulas.items()):
            v = values.cell(r, c).value
            if v is None:
                raise DataError(f"{where}, cell {_cell_name(r, c)}: formula {str(formula)!r} has no stored value "
                                "(the file was saved by a program that does not calculate); open and save it in "
                                "Excel or LibreOffice, or paste the values")
            cached[(r, c)] = v
    grid: list[list[Any]] = [[None] * n_cols for _ in range(n_rows)]
    percent: dict[int, list[tuple[int, Any]]] = {}
    for (r, c), cell in cells.items():
        v = cached.get((r, c), cell.value)
        if isinstance(v, int | float) and not isinstance(v, bool) and "%" in str(cell.number_format):
            percent.setdefault(c, []).append((r, v))
            v = _percent_value(float(v))
        grid[r - 1][c - 1] = v
    blank = [all(v is None for v in row) for row in grid]
    first = blank.index(False)
    header = grid[first]
    _check_header(header, where, first + 1)
    keep = [i for i in range(first + 1, n_rows) if not blank[i]]
    names = ["" if h is None else str(h) for h in header]
    df = pd.DataFrame([grid[i] for i in keep], columns=names, dtype=object)
    for c, found in sorted(percent.items()):
        r, v = min(found)
        if r - 1 == first:
            continue
        warnings.warn(f"{where}, column {names[c - 1]!r}: {len(found)} cell(s) formatted as percent in Excel (e.g. "
                      f"{_cell_name(r, c)} stores {v!r}, shown as {_percent_value(float(v)):g} %); read as the "
                      "percentage shown", DataWarning, stacklevel=4)
    return df, np.asarray([i + 1 for i in keep], dtype=np.int64), where


def _read_table(source: str | Path | pd.DataFrame, sheet: str | None) -> tuple[pd.DataFrame, str, str, np.ndarray]:
    """The raw table (all cells as objects), its name for messages, the row word and the file row (CSV line,
    sheet row) of each table row."""
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True).astype(object), "DataFrame", "row", np.arange(len(source)) + 1
    path = Path(source)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            df, lines = _read_csv(path)
            return df, str(path), "line", lines
        if suffix in (".xlsx", ".xlsm"):
            df, rows, where = _read_xlsx(path, sheet)
            return df, where, "row", rows
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
            if df.size > MAX_CELLS:
                raise DataError(f"{path}: {df.size:,} cells is more than the limit of {MAX_CELLS:,}")
            return df.astype(object), str(path), "row", np.arange(len(df)) + 1
    except DataError:
        raise
    except MemoryError:
        raise DataError(f"{path}: too large to read in the memory available") from None
    except Exception as exc:  # a parser's own message is the most precise thing we have
        raise DataError(f"{path}: cannot be read as {suffix[1:]} ({type(exc).__name__}: {exc})") from None
    raise DataError(f"{path}: unknown file type {suffix!r} (expected .csv, .xlsx or .parquet)")


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
    df, where, row_word, file_rows = _read_table(source, sheet)
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
        ind = _find(cols, INDICATOR_COLUMNS)
        if ind and not _find(cols, VALUE_COLUMNS):
            raise DataError(f"{where}: a column {ind!r} as in a long file, but no value column (expected one named "
                            f"{' or '.join(VALUE_COLUMNS)}; columns: {', '.join(cols[:12])})")
        layout = "long" if ind else "wide"
    if layout not in LAYOUTS:
        raise DataError(f"layout {layout!r} is unknown{did_you_mean(layout, LAYOUTS)}")
    unit_col = unit or _find(cols, UNIT_COLUMNS)
    if unit_col is None or unit_col not in cols:
        raise DataError(f"{where}: no unit column (expected one named {' or '.join(UNIT_COLUMNS)})")
    year_col = year or _find(cols, YEAR_COLUMNS)
    units_opt = [_text(v) for v in df[unit_col]]
    for i, u in enumerate(units_opt):
        if u is None:
            raise DataError(f"{where} {row_word} {file_rows[i]}, column {unit_col!r}: empty unit code")
    units_raw = [str(u) for u in units_opt]
    years_raw = _years(df, year_col, where, row_word, file_rows)
    name_col = name or _find(cols, NAME_COLUMNS)
    bench_col = _find(cols, BENCHMARK_COLUMNS)
    marker = _find(cols, (ILLUSTRATIVE_COLUMN,))
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
        filled = [j for j, v in enumerate(col) if _text(v) is not None]
        if filled:
            raise DataError(f"{where}: column {i + 1} has no name in the header but holds values (first "
                            f"{_show(col.iat[filled[0]])}); give it a name or delete it")
    return df.iloc[:, keep] if len(keep) < df.shape[1] else df


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
            hint = " (format the column as a number, or type the year)" if isinstance(v, dt.date) else ""
            raise DataError(
                f"{where} {row_word} {file_rows[i]}, column {col!r}: {_show(v)} is not a year (expected an "
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
            raise DataError(f"{where} {row_word} {file_rows[i]}, column {col!r}: {_show(v)} is not a yes/no flag "
                            "(expected true/false, yes/no, 是/否 or 1/0)")
    return flags


def _long(
    df: pd.DataFrame, where: str, row_word: str, file_rows: np.ndarray, unit_col: str, units_raw: list[str],
    years_raw: list[int], name_col: str | None, bench_col: str | None, reserved: set[str], illustrative: bool | None,
    year_col: str | None,
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
        year_column=year_col or "",
    )
