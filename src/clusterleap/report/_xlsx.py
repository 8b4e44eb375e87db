"""The Excel workbook of a report: every result table on its own sheet, with frozen headers, number formats and
column widths, in the report's language.

A workbook made from illustrative data says so where it opens: the first row of its first sheet holds the notice
(highlighted), every sheet prints it in its page header, and the workbook's properties carry it.

No cell holds a formula: every text cell is written as a string (``t="inlineStr"``), and text that a spreadsheet
would read as a formula if typed (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; OWASP,
"CSV Injection") also gets Excel's quote prefix, so that it stays text when a user edits the cell. Control
characters that XML cannot hold are dropped.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from .._files import FORMULA_START, quote_cell
from ._formatting import num
from ._localise import localise
from ._view import Report
from ._words import factor_labels, in_language, option_label, provenance_key, tier_names

__all__ = ["FORMULA_START", "Sheet", "sheets", "write_xlsx"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F0F3F6")
HEADER_BORDER = Border(bottom=Side(style="medium", color="1F2328"))
NOTICE_FONT = Font(bold=True, color="4D3300")
NOTICE_FILL = PatternFill("solid", fgColor="FFF8E6")
#: Imputed values: a light orange that prints as a light grey (and a note on the about sheet says what it means).
IMPUTED_FILL = PatternFill("solid", fgColor="FCE4C4")
LINK_FONT = Font(color="0563C1", underline="single")
#: Stage tables whose values include the imputed ones (the imputed cells are shaded there).
IMPUTED_STAGES = ("imputed", "treated", "normalised")


@dataclass(frozen=True)
class Sheet:
    """One sheet: its key (stable across languages), title (in the report's language), table and the number
    format of its decimal columns (integers get ``0``); ``index`` says whether the frame's index is a column."""

    key: str
    title: str
    table: pd.DataFrame
    number_format: str = "0.00"
    index: bool = True
    banner: str = ""  # a highlighted first row above the table (the illustrative-data notice)
    #: True where a cell of ``table`` is to be shaded as imputed (same index and columns as ``table``)
    shade: pd.DataFrame | None = None
    #: column of the table whose text names another sheet, linked to it (the about sheet's list of sheets)
    link_column: int | None = None


def _frame(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns)


def _ranking(report: Report) -> pd.DataFrame:
    t = report.t
    r = report.result
    cols: dict[str, Any] = {
        t["rank"]: [report.rank(i) for i in report.order],
        t["code"]: [r.units[i] for i in report.order],
        t["name"]: [report.names[i] for i in report.order],
        t["benchmark"]: [bool(report.benchmark[i]) for i in report.order],
        t["index"]: [report.score(i, report.root) for i in report.order],
    }
    for d in report.dims:
        cols[f"{report.label(d)} ({d})"] = [report.score(i, d) for i in report.order]
    if report.analytics is not None:
        an = report.analytics
        cols[t["grade"]] = [report.col(an.grades.iloc[i], "grade") for i in report.order]
        cols[t["type"]] = [report.col(an.types.iloc[i], "type_name") for i in report.order]
    if report.robustness is not None:
        lo, hi = report.robustness.percent
        iv = report.intervals
        cols[f"{t['rank']} p{lo}"] = [iv.get(r.units[i], (math.nan,) * 3)[0] for i in report.order]
        cols[t["median_rank"]] = [iv.get(r.units[i], (math.nan,) * 3)[1] for i in report.order]
        cols[f"{t['rank']} p{hi}"] = [iv.get(r.units[i], (math.nan,) * 3)[2] for i in report.order]
    return pd.DataFrame(cols)


def by_rank(report: Report, table: pd.DataFrame) -> pd.DataFrame:
    """A units x nodes table in rank order (as the ranking), with the name beside the code: the first columns are
    rank and name (the index stays the unit code)."""
    t = report.t
    order = [report.result.units[i] for i in report.order]
    out = table.loc[order].copy()
    out.insert(0, t["name"], [report.names[i] for i in report.order])
    out.insert(0, t["rank"], [report.rank(i) for i in report.order])
    out.index.name = t["code"]
    return out


def _framework(report: Report) -> pd.DataFrame:
    fw = report.result.framework
    w = report.result.weights
    rows = []
    for c in fw.order:
        n = fw.by_code[c]
        rows.append({"code": c, "parent": n.parent or "", "level": fw.level[c], "name_en": n.name_en,
                     "name_zh": n.name_zh, "kind": n.kind, "weight": num(w.loc[c, "used"]),
                     "effective_weight": num(w.loc[c, "effective"]),
                     "direction": n.direction if n.is_indicator else None, "unit": n.unit_label(report.lang),
                     "target": n.target, "definition": n.definition, "source": n.source})
    return pd.DataFrame(rows)


def _about(report: Report, titles: list[str]) -> pd.DataFrame:
    t = report.t
    m = report.meta
    rows: list[tuple[str, str]] = [("", m["title"]), ("", m["subtitle"])]
    rows += [("", note) for note in report.notes]
    rows += [(t["framework"], m["framework"]), (t["data"], m["data"]), (t["year"], str(m["year"])),
             (t["evaluated"], m["created"]), (t["recipe"], m["recipe_name"]),
             ("clusterleap", m["version"])]
    if report.gap_reference:
        rows.append((t["reference"], report.gap_reference))
    rows += [("", ""), (t["method"], "")]
    rows += [(s.label, s.text) for s in report.method_steps]
    if m["recipe_description"] and in_language(m["recipe_description"], report.lang):
        rows.append((t["recipe_note"], m["recipe_description"]))
    if report.result.stage("imputed_mask").to_numpy().any():
        rows.append((t["imputed"], t["imputed_note"].format(sheets=", ".join(
            t["sheet_stage"].format(name=t[f"stage_{n}"]) for n in IMPUTED_STAGES))))
    rows.append(("", ""))
    rows += [(t["sheet_contents"] if k == 0 else "", title) for k, title in enumerate(titles)]
    return pd.DataFrame(rows, columns=["", t["sheet_describes"]])


def _provenance(report: Report) -> pd.DataFrame:
    rows = [(provenance_key(k, report.lang), v) for k, v in report.provenance_rows]
    rows.append((report.t["recipe"], report.recipe_yaml))
    return pd.DataFrame(rows, columns=[report.t["item"], report.t["value"]])


def sheets(report: Report) -> list[Sheet]:
    """Every sheet of the workbook, in order (the about sheet first)."""
    t = report.t
    r = report.result
    out: list[Sheet] = [Sheet("ranking", t["sheet_ranking"], _ranking(report), index=False),
                        Sheet("scores", t["sheet_scores"], by_rank(report, r.scores)),
                        Sheet("ranks", t["sheet_ranks"], by_rank(report, r.ranks), "0.##")]
    an = report.analytics
    if an is not None:
        out += [Sheet("grades", t["sheet_grades"], an.grades),
                Sheet("types", t["sheet_types"], an.types),
                Sheet("standing", t["sheet_standing"], an.standing.reset_index(), index=False),
                Sheet("gaps", t["sheet_gaps"], an.gaps.summary),
                Sheet("gap_parts", t["sheet_gap_parts"], an.gaps.contribution, "0.000"),
                Sheet("actions", t["sheet_actions"], an.actions, index=False),
                Sheet("obstacles", t["sheet_obstacles"], an.obstacles, "0.0%"),
                Sheet("gains", t["sheet_gains"], an.gains, "0.0000")]
    out += [Sheet("weights", t["sheet_weights"], r.weights, "0.0000"),
            Sheet("framework", t["sheet_framework"], _framework(report), "0.0000", index=False),
            Sheet("units", t["sheet_units"], r.units_table),
            Sheet("coverage", t["sheet_coverage"], r.coverage, "0.###"),
            Sheet("treatment", t["sheet_treatment"], r.treatment, "0.000")]
    mask = r.stage("imputed_mask").astype(bool)
    for name in ("raw", "denominated", "transformed", "imputed", "imputed_mask", "treated", "treated_points",
                 "normalised"):
        shade = mask if name in IMPUTED_STAGES and bool(mask.to_numpy().any()) else None
        title = t["sheet_stage"].format(name=t[f"stage_{name}"])
        out.append(Sheet(f"stage_{name}", title, r.stage(name), "0.####", shade=shade))
    rob = report.robustness
    if rob is not None:
        fmts = {"rank_intervals": "0.##", "sobol": "0.000", "sobol_units": "0.000", "leave_one_out": "0.##",
                "design": "0.##", "grade_probabilities": "0%"}
        factors = factor_labels(rob.summary.get("space"), report.lang)
        for name, df in rob.tables().items():
            if "factor" in df.columns:
                df = df.assign(factor=df["factor"].map(lambda f: factors.get(str(f), f)))
            if name == "design":  # one column per factor: the option each run took
                df = df.assign(**{c: df[c].map(lambda v: option_label(v, report.lang) if isinstance(v, str) else v)
                                  for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])})
            df = df.rename(columns={c: factors[c] for c in df.columns if c in factors})
            out.append(Sheet(name, t[f"sheet_{name}"], df, fmts[name], index=name == "grade_probabilities"))
    coh = report.coherence
    if coh is not None:
        out += [Sheet("correlations", t["sheet_correlations"], coh["correlations_pearson"], "0.000", index=False),
                Sheet("cronbach", t["sheet_cronbach"], coh["cronbach"], "0.000", index=False),
                Sheet("flags", t["sheet_flags"], coh["flags"], "0.000", index=False)]
    tr = report.trends
    if tr is not None:
        out += [Sheet("trend_index", t["sheet_trend_index"], tr.index),
                Sheet("trend_growth", t["sheet_trend_growth"], tr.growth, "0.000"),
                Sheet("trend_transitions", t["sheet_trend_transitions"], tr.transitions),
                Sheet("trend_disparity", t["sheet_trend_disparity"], tr.disparity, "0.000")]
    out.append(Sheet("provenance", t["sheet_provenance"], _provenance(report), index=False))
    titles = _unique_titles([t["sheet_about"], *(s.title for s in out)])
    tiers = tier_names(report)
    out = [Sheet(s.key, title, localise(s.table, report.lang, tiers), s.number_format, s.index, shade=s.shade)
           for s, title in zip(out, titles[1:], strict=True)]
    banner = t["illustrative"] if report.result.illustrative else ""
    return [Sheet("about", titles[0], _about(report, titles[1:]), index=False, banner=banner, link_column=1), *out]


def _unique_titles(titles: list[str]) -> list[str]:
    """Valid, distinct sheet names: no ``[]:*?/\\``, at most 31 characters."""
    seen: set[str] = set()
    out = []
    for title in titles:
        base = _BAD_SHEET_CHARS.sub("_", title).strip("'")[:31] or "Sheet"
        name, k = base, 2
        while name.lower() in seen:
            suffix = f" ({k})"
            name, k = base[:31 - len(suffix)] + suffix, k + 1
        seen.add(name.lower())
        out.append(name)
    return out


# -- writing --------------------------------------------------------------------------------------------------------
def text(value: object) -> str:
    """Cell text: XML-illegal control characters removed."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _width(value: object) -> int:
    """Display width of a value: East Asian wide characters count two."""
    s = value if isinstance(value, str) else f"{value:.4g}" if isinstance(value, float) else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s.split("\n")[0])


def _cell(ws: Any, value: Any, number_format: str) -> Any:
    """One cell: numbers as numbers with ``number_format`` (``0`` for integers), everything else as a string cell
    (never a formula); None for an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return WriteOnlyCell(ws, value=value)
    if isinstance(value, int):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "0"
        return cell
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "0" if number_format in ("0.##", "0.####") and value.is_integer() else number_format
        return cell
    s = text(value)
    cell = WriteOnlyCell(ws, value=s)
    cell.data_type = "s"
    return quote_cell(cell)


def _write_sheet(wb: Workbook, sheet: Sheet, page_header: str = "", targets: frozenset[str] = frozenset()) -> None:
    """Write ``sheet``; text in its ``link_column`` that is one of the ``targets`` (sheet titles) links there."""
    ws = wb.create_sheet(sheet.title)
    if page_header:
        ws.oddHeader.center.text = page_header.replace("&", "&&")  # '&' starts a header code
    df = sheet.table
    if sheet.index:
        names = [str(n) if n is not None else "" for n in df.index.names]
        df = df.reset_index()
        df.columns = [*names, *map(str, df.columns[len(names):])]
    headers = [str(c) for c in df.columns]
    rows = list(df.itertuples(index=False, name=None))
    widths = [_width(h) for h in headers]
    for row in rows[:400]:
        for j, v in enumerate(row):
            if v is not None:
                widths[j] = max(widths[j], _width(v))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(7, w + 2))
    if sheet.key == "about":
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 90
        ws.freeze_panes = "A2" if sheet.banner else None
    else:
        ws.freeze_panes = "B2" if sheet.index or sheet.key == "ranking" else "A2"
        if rows and headers:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    if sheet.banner:
        banner = _cell(ws, sheet.banner, "")
        banner.font, banner.fill = NOTICE_FONT, NOTICE_FILL
        ws.append([banner, *(None for _ in headers[1:])])
    first = 2 + bool(sheet.banner)  # the sheet row of the table's first row
    head = []
    for h in headers:
        c = _cell(ws, h, "")
        c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        c.alignment = Alignment(wrap_text=True, vertical="top")
        head.append(c)
    ws.append(head)
    shade = _shade_positions(sheet, df) if sheet.shade is not None else set()
    for k, row in enumerate(rows):
        cells = [_cell(ws, v, sheet.number_format) for v in row]
        for j in range(len(cells)) if shade else ():
            if (k, j) in shade:
                cell = cells[j] if cells[j] is not None else WriteOnlyCell(ws, value=None)
                cell.fill = IMPUTED_FILL
                cells[j] = cell
        link = sheet.link_column
        if link is not None and isinstance(row[link], str) and row[link] in targets and cells[link] is not None:
            cells[link].hyperlink = Hyperlink(ref=f"{get_column_letter(link + 1)}{first + k}",
                                              location="'" + row[link].replace("'", "''") + "'!A1")
            cells[link].font = LINK_FONT
        ws.append(cells)


def _shade_positions(sheet: Sheet, df: pd.DataFrame) -> set[tuple[int, int]]:
    """(row, column) positions in the written table (index reset) of the cells ``sheet.shade`` marks."""
    assert sheet.shade is not None
    mask = sheet.shade.reindex(index=sheet.table.index, columns=sheet.table.columns, fill_value=False)
    offset = len(df.columns) - len(sheet.table.columns)  # index columns in front
    rows, cols = np.nonzero(mask.to_numpy(dtype=bool))
    return {(int(i), int(j) + offset) for i, j in zip(rows, cols, strict=True)}


def write_xlsx(report: Report, path: str | Path | IO[bytes]) -> None:
    """Write the workbook to ``path`` or a binary file (callers wanting all-or-nothing write to a temporary file
    first)."""
    wb = Workbook(write_only=True)
    illustrative = report.result.illustrative
    every = sheets(report)
    titles = frozenset(s.title for s in every)
    for sheet in every:
        _write_sheet(wb, sheet, report.t["illustrative_short"] if illustrative else "", titles)
    wb.properties.title = report.heading
    wb.properties.creator = "clusterleap"
    if illustrative:
        wb.properties.subject = report.t["illustrative_short"]
        wb.properties.description = report.t["illustrative"]
    wb.save(path)
