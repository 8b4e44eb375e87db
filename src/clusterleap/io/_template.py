"""The data-collection workbook of a framework: a ``data`` sheet to fill in and an ``indicators`` sheet that says
what each column means.

The data sheet helps whoever fills it in: each indicator's header cell carries a comment with the indicator's name
(English and Chinese), unit and definition, and the columns check what is typed (Excel's data validation: numbers
in the indicator columns, a whole year, and yes/no, 是/否 or true/false in the benchmark flag), so that a typo is
caught when it is typed rather than when the file is read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .._files import neutralise_workbook
from .._framework import Framework

__all__ = ["BENCHMARK_VALUES", "ROWS", "header_note", "write_template_xlsx"]

#: Rows of the data sheet that check what is typed (a sheet of this many units and years is a large one).
ROWS = 5000
#: The benchmark flag's accepted values, as the data reader reads them (it also takes 1/0).
BENCHMARK_VALUES = ("yes", "no", "是", "否", "true", "false")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F0F3F6")


def header_note(fw: Framework, code: str) -> str:
    """The comment of an indicator's header cell: its names, unit, direction and definition."""
    n = fw.by_code[code]
    lines = [n.name_en or code]
    if n.name_zh:
        lines.append(n.name_zh)
    if n.unit:
        lines.append(f"Unit: {n.unit}")
    lines.append("Higher is better" if n.direction > 0 else "Lower is better")
    if n.definition:
        lines.append(n.definition)
    return "\n".join(lines)


def _validation(kind: str, column: int, prompt: str, **options: object) -> DataValidation:
    letter = get_column_letter(column)
    dv = DataValidation(type=kind, allow_blank=True, showErrorMessage=True, errorStyle="stop",
                        showInputMessage=bool(prompt), promptTitle=None, prompt=prompt or None, **options)
    dv.add(f"{letter}2:{letter}{ROWS + 1}")
    return dv


def write_template_xlsx(fw: Framework, columns: list[str], info: pd.DataFrame, path: str | Path) -> None:
    """Write the template workbook to ``path``: the ``data`` sheet with ``columns`` (the framework's indicators
    among them get comments and number checks) and the ``indicators`` sheet ``info``."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "data"
    ws.append(columns)
    text_columns = {"unit", "name", "name_zh", "sector", "region"}
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = 18
        if col in fw.by_code:
            note = header_note(fw, col)
            cell.comment = Comment(note, "clusterleap", width=320, height=40 + 16 * (note.count("\n") + 2))
        if col == "benchmark":
            ws.add_data_validation(_validation(
                "list", j, "yes / no", formula1='"' + ",".join(BENCHMARK_VALUES) + '"', errorTitle=col,
                error="benchmark: yes or no (是 or 否, true or false)"))
        elif col == "year":
            ws.add_data_validation(_validation(
                "whole", j, "", operator="between", formula1="1900", formula2="2100", errorTitle=col,
                error="year: a whole year between 1900 and 2100"))
        elif col not in text_columns:  # indicators and denominators
            unit = fw.by_code[col].unit if col in fw.by_code else ""
            ws.add_data_validation(_validation(
                "decimal", j, "", operator="between", formula1="-1E+300", formula2="1E+300", errorTitle=col,
                error=f"{col}: a number is expected" + (f" ({unit})" if unit else "")))
    ws.freeze_panes = "B2"
    sheet = wb.create_sheet("indicators")
    sheet.append(list(info.columns))
    for row in info.itertuples(index=False, name=None):
        sheet.append(["" if v is None else v for v in row])
    for j in range(1, len(info.columns) + 1):
        sheet.cell(row=1, column=j).font = _HEADER_FONT
        sheet.column_dimensions[get_column_letter(j)].width = 18
    sheet.freeze_panes = "A2"
    neutralise_workbook(wb)
    wb.save(path)
