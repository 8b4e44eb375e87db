"""The AHP questionnaire for a framework: an Excel workbook (instructions in Chinese and English with Saaty's scale,
then one sheet per parent node to fill) or the same blocks as YAML (see docs/weights.md). ``_judgements`` reads the
filled questionnaire back; the sheet layout (the labels in column A, the instructions sheet) is defined here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .._files import neutralise_workbook, write_atomic_file
from .._framework import Framework
from ..errors import JudgementError

__all__ = [
    "INSTRUCTIONS",
    "LABEL_CRITERIA",
    "LABEL_EXPERT",
    "LABEL_NODE",
    "LABEL_WEIGHT",
    "questionnaire_nodes",
    "write_questionnaire",
]

#: Labels in column A of a questionnaire sheet (matched on the English part before " / ").
LABEL_EXPERT = "Expert / 专家"
LABEL_WEIGHT = "Expert weight / 专家权重"
LABEL_NODE = "Node / 节点"
LABEL_CRITERIA = "Criteria / 指标"
INSTRUCTIONS = "Instructions"

SAATY_SCALE = (
    ("1", "同等重要", "Equal importance: the two contribute equally"),
    ("3", "稍微重要", "Moderate importance: judgement slightly favours the row"),
    ("5", "明显重要", "Strong importance: judgement strongly favours the row"),
    ("7", "强烈重要", "Very strong importance: the row's dominance is demonstrated in practice"),
    ("9", "极端重要", "Extreme importance: the evidence favouring the row is of the highest order"),
    ("2, 4, 6, 8", "上述相邻判断的中间值", "Intermediate values between the two adjacent judgements"),
    ("1/3, 1/5, ...", "倒数：列比行重要", "Reciprocals: the column is more important than the row"),
)

INSTRUCTION_LINES = (
    ("层次分析法（AHP）专家打分问卷", "Expert questionnaire for the analytic hierarchy process (AHP)"),
    ("每个工作表对应一个上级节点，请比较其下级指标的相对重要性。只有一个下级指标的节点无需比较，未列入问卷。",
     "Each sheet is one parent node: compare the importance of its children, two at a time. Nodes with a single "
     "child have nothing to compare and are left out."),
    ("可以只填写部分工作表：未填写的工作表在读取时跳过。",
     "You may fill only some sheets: the sheets left blank are skipped when the answers are read."),
    ("在 B1 填写您的姓名，B2 可填写专家权重（默认 1）。",
     "Write your name in B1; B2 may hold your weight in the panel (default 1)."),
    ("只需填写矩阵对角线右上方的白色单元格：行指标相对于列指标重要多少倍。",
     "Fill only the upper triangle (white cells): how much more important the row is than the column."),
    ("例如填 3 表示行指标比列指标稍微重要，填 1/3 表示列指标稍微重要。左下方自动取倒数。",
     "E.g. 3: the row is moderately more important; 1/3: the column is. The lower triangle fills itself."),
    ("无法判断时可留空；但每个指标都须通过比较与其他指标相连。一致性比率 CR 应不超过 0.1。",
     "Leave a cell blank if you cannot judge; every child must still be linked to the others by comparisons. "
     "The consistency ratio CR should not exceed 0.1."),
)


def questionnaire_nodes(fw: Framework) -> list[str]:
    """The nodes the questionnaire asks about, in the framework's order: parents of at least two children (a single
    child has nothing to be compared with; its weight within the parent is 1 whatever the experts think)."""
    return [c for c in fw.order if len(fw.children[c]) >= 2]


def _sheet_title(code: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", code)[:31] or "node"
    title, k = base, 2
    while title.lower() in used or title == INSTRUCTIONS:
        suffix = f"~{k}"
        title = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(title.lower())
    return title


def _write_xlsx(fw: Framework, path: Path) -> None:
    # heavy: a YAML questionnaire needs no openpyxl
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    ws = book.active
    ws.title = INSTRUCTIONS
    bold = Font(bold=True)
    ws.append([f"{fw.name_zh or fw.name}", f"{fw.name_en or fw.name}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws["B1"].font = Font(bold=True, size=14)
    ws.append([])
    for zh, en in INSTRUCTION_LINES:
        ws.append([zh, en])
    ws.append([])
    ws.append(["Saaty 1-9 标度 / scale", "含义", "Meaning"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for row in SAATY_SCALE:
        ws.append(list(row))
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 70
    grey = PatternFill("solid", fgColor="DDDDDD")
    allowed = '"9,8,7,6,5,4,3,2,1,1/2,1/3,1/4,1/5,1/6,1/7,1/8,1/9"'
    used: set[str] = set()
    for node in questionnaire_nodes(fw):
        kids = fw.children[node]
        sh = book.create_sheet(_sheet_title(node, used))
        parent = fw.by_code[node]
        sh["A1"], sh["A2"], sh["A3"] = LABEL_EXPERT, LABEL_WEIGHT, LABEL_NODE
        sh["B3"], sh["C3"] = node, " / ".join(x for x in (parent.name_zh, parent.name_en) if x)
        sh["A4"] = "填写上三角：行比列重要多少（1-9 或 1/3 等） / Fill the upper triangle: row vs column (1-9, 1/3)"
        sh["A4"].font = Font(italic=True)
        sh["A5"] = LABEL_CRITERIA
        for c in ("A1", "A2", "A3", "A5"):
            sh[c].font = bold
        n = len(kids)
        dv = DataValidation(type="list", formula1=allowed, allow_blank=True, showErrorMessage=True,
                            errorStyle="warning", error="Use Saaty's scale 1/9..9 / 请使用 1/9..9 标度")
        sh.add_data_validation(dv)
        for j, k in enumerate(kids):
            head = sh.cell(5, 2 + j, k)
            head.font = bold
            head.alignment = Alignment(horizontal="center")
            sh.cell(6 + j, 1, k).font = bold
        for i in range(n):
            for j in range(n):
                cell = sh.cell(6 + i, 2 + j)
                if i == j:
                    cell.value = 1
                    cell.fill = grey
                elif i > j:
                    up = f"{get_column_letter(2 + i)}{6 + j}"
                    cell.value = f'=IF(ISNUMBER({up}),1/{up},"")'
                    cell.fill = grey
                else:
                    dv.add(cell)
        legend = 3 + n
        sh.cell(5, legend, "Code / 代码").font = bold
        sh.cell(5, legend + 1, "名称").font = bold
        sh.cell(5, legend + 2, "Name").font = bold
        for i, k in enumerate(kids):
            child = fw.by_code[k]
            sh.cell(6 + i, legend, k)
            sh.cell(6 + i, legend + 1, child.name_zh)
            sh.cell(6 + i, legend + 2, child.name_en)
        sh.column_dimensions["A"].width = 26
        for j in range(n):
            sh.column_dimensions[get_column_letter(2 + j)].width = max(10, len(kids[j]) + 2)
    neutralise_workbook(book)
    book.save(path)


def _yaml_template(fw: Framework) -> str:
    blocks = []
    for node in questionnaire_nodes(fw):
        kids = list(fw.children[node])
        n = len(kids)
        blocks.append({"expert": "", "weight": 1, "node": node, "criteria": kids,
                       "upper": [[None] * (n - 1 - i) for i in range(n - 1)]})
    head = (f"# AHP judgements for framework {fw.name}: one block per expert and parent node.\n"
            "# upper: row i holds how much more important criterion i is than each later criterion, on Saaty's\n"
            "# 1-9 scale (1 equal, 3 moderate, 5 strong, 7 very strong, 9 extreme; 1/3 etc. when the later one\n"
            "# wins); leave ~ for a judgement you cannot give.\n")
    return head + yaml.safe_dump({"framework": fw.name, "judgements": blocks}, allow_unicode=True,
                                 sort_keys=False, default_flow_style=None)


def write_questionnaire(fw: Framework, path: str | Path, *, force: bool = False) -> Path:
    """Write the AHP questionnaire for ``fw``: an Excel workbook (an instructions sheet in Chinese and English with
    Saaty's scale, then one sheet per node of :func:`questionnaire_nodes`, i.e. per parent of two or more children,
    listing its children and a matrix to fill), or, for a ``.yaml`` path, the same blocks as YAML. Written to a
    temporary file first, then moved into place."""

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".yaml", ".yml"):
        raise JudgementError(f"{path}: the questionnaire is written as .xlsx or .yaml (got {suffix or 'none'!r})")
    if suffix == ".xlsx":
        return write_atomic_file(path, lambda tmp: _write_xlsx(fw, tmp), force=force)
    return write_atomic_file(path, lambda tmp: tmp.write_text(_yaml_template(fw), encoding="utf-8"), force=force)
