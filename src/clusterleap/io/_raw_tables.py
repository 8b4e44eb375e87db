"""Read a data file into a table of cells: CSV (UTF-8 or UTF-16, separator sniffed), Excel (the data sheet,
formulas' stored values, percent-formatted cells as shown) and Parquet, within the limits of docs/limits.md.

Each table comes with its name for messages, the word for its rows ('line' or 'row') and the file row of each table
row, so that every later error names the place in the file.
"""

from __future__ import annotations

import codecs
import csv
import decimal
import io
import re
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from ..errors import DataError, DataWarning
from ._cells import UNIT_COLUMNS, find_column

__all__ = ["MAX_BYTES", "MAX_CELLS", "MAX_COLUMNS", "MAX_UNPACKED", "read_table"]

#: Limits of the data reader (docs/limits.md).
MAX_CELLS = 5_000_000
MAX_COLUMNS = 16_384
MAX_BYTES = 200_000_000
#: What the parts of an xlsx file may unpack to (the sheet's XML is held in memory as cells).
MAX_UNPACKED = 200_000_000
#: The columns of a template's indicator sheet: a sheet with them holds definitions, not data.
_TEMPLATE_SHEET_COLUMNS = {"direction", "definition"}


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
    with_unit = [ws for ws in candidates if find_column(_header(ws), UNIT_COLUMNS)]
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


def read_table(source: str | Path | pd.DataFrame, sheet: str | None) -> tuple[pd.DataFrame, str, str, np.ndarray]:
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
