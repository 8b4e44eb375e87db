"""Expert judgements for AHP weights: read them from YAML or Excel, check them and turn them into recipe steps (see
docs/weights.md). The questionnaire they answer is written by ``_questionnaire``.

A *block* is one expert's pairwise comparisons of one parent node's children: expert name, optional expert weight,
node code, the criteria order, and either the strict upper triangle (row by row) or the full matrix. A blank cell (or
YAML ``null``) is a missing judgement. Judgements are numbers on Saaty's scale 1/9..9, written ``3``, ``0.5`` or
``1/3``. Every problem raises a :class:`JudgementError` naming the file, sheet, cell or entry, expert and node.

YAML::

    judgements:
      - expert: Li Wei
        weight: 2                      # optional (default 1)
        node: Conn
        criteria: [Physical, ConEcFin, Political]
        upper: [[3, 1/2], [1/4]]       # a_12, a_13; a_23
      - expert: Wang Fang
        node: Conn
        criteria: [Physical, ConEcFin, Political]
        matrix: [[1, 2, 1/3], [1/2, 1, ~], [3, ~, 1]]

Excel: one sheet per block laid out as :func:`write_questionnaire` writes it (expert in B1, expert weight in B2, node
code in B3, the criteria codes across row 5 and down column A, the matrix from B6). Several files (one per expert) may
be read together.

An unanswered block is skipped, in YAML and Excel alike, whatever else it holds (an expert name, a weight): one
without a single judgement off the diagonal, which includes every block of a node with fewer than two children
(nothing to compare; the questionnaire leaves such nodes out). So a questionnaire filled for some nodes only reads
back as the blocks of those nodes. The ``Instructions`` sheet and sheets without the node and criteria labels are
not blocks at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import ahp as ahp_math
from .._files import read_yaml
from .._framework import Framework
from .._registry import did_you_mean
from ..errors import JudgementError
from ._questionnaire import INSTRUCTIONS

__all__ = [
    "Block",
    "blocks_to_steps",
    "check_blocks",
    "parse_judgement",
    "read_judgements",
    "recipe_fragment",
]

_FRACTION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*/\s*([0-9]*\.?[0-9]+)\s*$")
_BLOCK_KEYS = {"expert", "weight", "node", "criteria", "upper", "matrix"}


@dataclass(frozen=True)
class Block:
    """One expert's comparison matrix for one parent node (NaN = missing judgement), with where it was read."""

    expert: str
    node: str
    criteria: tuple[str, ...]
    matrix: np.ndarray
    weight: float = 1.0
    where: str = ""
    cells: Mapping[tuple[int, int], str] = field(default_factory=dict)

    def place(self, i: int, j: int) -> str:
        """Where entry (i, j) was read (a cell like ``C7`` or ``row 1, column 3``)."""
        return self.cells.get((i, j), f"row {i + 1}, column {j + 1}")

    def label(self) -> str:
        return f"{self.where}: expert {self.expert!r}, node {self.node!r}"


def parse_judgement(value: Any, where: str) -> float:
    """A judgement from a cell: a number, ``"3"``, ``"1/3"``, or NaN for a blank; anything else raises."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise JudgementError(f"{where}: {value!r} is not a judgement (expected a number like 3 or 1/3)")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text == "" or text in {"~", "-", "null"}:
        return math.nan
    m = _FRACTION.match(text)
    if m:
        num, den = float(m.group(1)), float(m.group(2))
        if den == 0:
            raise JudgementError(f"{where}: {text!r} divides by zero (expected a judgement like 3 or 1/3)")
        return num / den
    try:
        return float(text)
    except ValueError:
        raise JudgementError(f"{where}: {text!r} is not a judgement (expected a number like 3 or 1/3, or a blank "
                             "for a missing judgement)") from None


def _check_matrix(block: Block) -> None:
    problem = ahp_math.matrix_problem(block.matrix)
    if problem is None:
        return
    (i, j), msg = problem
    c = block.criteria
    raise JudgementError(f"{block.label()}, {block.place(i, j)} (row {c[i]!r}, column {c[j]!r}): {msg}")


def _unanswered(a: np.ndarray) -> bool:
    """No judgement off the diagonal (always so for fewer than two criteria): a block left blank, to be skipped."""
    return bool(np.isnan(a[~np.eye(a.shape[0], dtype=bool)]).all())


def _fill_lower(a: np.ndarray) -> np.ndarray:
    """Complete a judgement given on one side of the diagonal only with its reciprocal (usually the lower triangle
    from the upper one); a unit diagonal where blank."""
    out = a.copy()
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            if i != j and np.isnan(out[j, i]) and not np.isnan(out[i, j]) and out[i, j] != 0:
                out[j, i] = 1.0 / out[i, j]
    np.fill_diagonal(out, np.where(np.isnan(np.diag(out)), 1.0, np.diag(out)))
    return out


# -- YAML ----------------------------------------------------------------------------------------------------------
def _yaml_block(raw: Any, k: int, path: Path) -> Block | None:
    where = f"{path}, judgement block {k}"
    if not isinstance(raw, Mapping):
        raise JudgementError(f"{where}: expected a mapping with expert, node, criteria and upper or matrix")
    for key in raw:
        if key not in _BLOCK_KEYS:
            raise JudgementError(f"{where}: unknown key {key!r}{did_you_mean(str(key), sorted(_BLOCK_KEYS))}")
    expert = str(raw.get("expert") or "").strip()
    node = str(raw.get("node") or "").strip()
    if not node:
        raise JudgementError(f"{where} (expert {expert!r}): no 'node' code")
    where = f"{where} (expert {expert!r}, node {node!r})"
    criteria = raw.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        raise JudgementError(f"{where}: 'criteria' must list the child codes in matrix order")
    crit = tuple(str(c) for c in criteria)
    weight = _expert_weight(raw.get("weight"), where)
    n = len(crit)
    if ("upper" in raw) == ("matrix" in raw):
        raise JudgementError(f"{where}: give either 'upper' (the upper triangle) or 'matrix' (the full matrix)")
    a = np.full((n, n), np.nan)
    cells: dict[tuple[int, int], str] = {}
    if "upper" in raw:
        rows = raw["upper"]
        flat = isinstance(rows, list) and all(not isinstance(r, list) for r in rows)
        if flat:
            rows = _split_upper(rows, n, where)
        if not isinstance(rows, list) or len(rows) != n - 1:
            got = len(rows) if isinstance(rows, list) else "no"
            raise JudgementError(f"{where}: 'upper' has {got} rows (expected {n - 1} for {n} criteria: "
                                 f"{', '.join(str(v) for v in range(n - 1, 0, -1))} entries)")
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != n - 1 - i:
                got = len(row) if isinstance(row, list) else 1
                raise JudgementError(f"{where}: upper row {i + 1} has {got} entries (expected {n - 1 - i}: "
                                     f"{crit[i]!r} against {', '.join(crit[i + 1:])})")
            for k2, v in enumerate(row):
                j = i + 1 + k2
                cells[(i, j)] = f"upper row {i + 1}, entry {k2 + 1}"
                cells[(j, i)] = cells[(i, j)]
                a[i, j] = parse_judgement(v, f"{where}, {cells[(i, j)]}")
    else:
        rows = raw["matrix"]
        if not isinstance(rows, list) or len(rows) != n:
            got = len(rows) if isinstance(rows, list) else "no"
            raise JudgementError(f"{where}: 'matrix' has {got} rows (expected {n}, one per criterion)")
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != n:
                got = len(row) if isinstance(row, list) else 1
                raise JudgementError(f"{where}: matrix row {i + 1} has {got} entries (expected {n})")
            for j, v in enumerate(row):
                cells[(i, j)] = f"matrix row {i + 1}, column {j + 1}"
                a[i, j] = parse_judgement(v, f"{where}, {cells[(i, j)]}")
    if _unanswered(a):
        return None  # an unanswered block (as the YAML template writes them), or one with nothing to compare
    if not expert:
        raise JudgementError(f"{where}: no 'expert' name")
    return Block(expert, node, crit, _fill_lower(a), weight, f"{path}, judgement block {k}", cells)


def _split_upper(values: list[Any], n: int, where: str) -> list[Any]:
    need = n * (n - 1) // 2
    if len(values) != need:
        raise JudgementError(f"{where}: 'upper' has {len(values)} entries (expected n(n-1)/2 = {need} for {n} "
                             "criteria)")
    out, k = [], 0
    for i in range(n - 1):
        out.append(values[k : k + n - 1 - i])
        k += n - 1 - i
    return out


def _expert_weight(value: Any, where: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1.0
    w = parse_judgement(value, f"{where}, expert weight") if not isinstance(value, bool) else math.nan
    if not (math.isfinite(w) and w > 0):
        raise JudgementError(f"{where}: expert weight {value!r} is not a positive number")
    return w


def _read_yaml(path: Path) -> list[Block]:
    doc = read_yaml(path, JudgementError)
    raw = doc.get("judgements") if isinstance(doc, Mapping) else doc
    if not isinstance(raw, list):
        raise JudgementError(f"{path}: expected a list of judgement blocks under 'judgements'")
    blocks = [_yaml_block(b, k + 1, path) for k, b in enumerate(raw)]
    return [b for b in blocks if b is not None]


# -- Excel ---------------------------------------------------------------------------------------------------------
def _label(value: Any) -> str:
    return str(value or "").split("/")[0].strip().lower()


def _sheet_block(ws: Any, path: Path) -> Block | None:
    from openpyxl.utils import get_column_letter  # heavy: YAML judgements need no openpyxl

    where = f"{path}, sheet {ws.title!r}"
    rows: dict[str, int] = {}
    for r in range(1, min(ws.max_row, 40) + 1):
        label = _label(ws.cell(r, 1).value)
        if label in ("expert", "expert weight", "node", "criteria"):
            rows.setdefault(label, r)
        if label == "criteria":
            break
    if "node" not in rows or "criteria" not in rows:
        return None
    r_node, r_crit = rows["node"], rows["criteria"]
    node = str(ws.cell(r_node, 2).value or "").strip()
    codes: list[str] = []
    col = 2
    while ws.cell(r_crit, col).value not in (None, ""):
        codes.append(str(ws.cell(r_crit, col).value).strip())
        col += 1
    n = len(codes)
    if not node:
        raise JudgementError(f"{where}, cell B{r_node}: the node code is empty")
    if n == 0:
        raise JudgementError(f"{where}, row {r_crit}: no criteria codes from cell B{r_crit} on")
    a = np.full((n, n), np.nan)
    cells: dict[tuple[int, int], str] = {}
    expert_cell = f"B{rows['expert']}" if "expert" in rows else "B1"
    expert = str(ws[expert_cell].value or "").strip()
    for i in range(n):
        r = r_crit + 1 + i
        code = str(ws.cell(r, 1).value or "").strip()
        if code != codes[i]:
            raise JudgementError(f"{where}, cell A{r}: row criterion is {code!r} (expected {codes[i]!r}, the same "
                                 "order as the column criteria)")
        for j in range(n):
            ref = f"{get_column_letter(2 + j)}{r}"
            cells[(i, j)] = f"cell {ref}"
            v = ws.cell(r, 2 + j).value
            if isinstance(v, str) and v.startswith("="):
                continue  # a formula (the reciprocal the template fills in): derived from the upper triangle
            if i == j:
                continue
            a[i, j] = parse_judgement(v, f"{where}, cell {ref} (expert {expert!r}, node {node!r})")
    if _unanswered(a):
        return None  # an unanswered sheet, or one with nothing to compare (a single criterion)
    if not expert:
        raise JudgementError(f"{where}, cell {expert_cell}: the expert name is empty (node {node!r})")
    weight = _expert_weight(ws[f"B{rows['expert weight']}"].value if "expert weight" in rows else None,
                            f"{where}, cell B{rows.get('expert weight', 2)} (expert {expert!r})")
    return Block(expert, node, tuple(codes), _fill_lower(a), weight, f"{path}, sheet {ws.title!r}", cells)


def _read_xlsx(path: Path) -> list[Block]:
    from openpyxl import load_workbook  # heavy: YAML judgements need no openpyxl

    try:
        book = load_workbook(path, data_only=False, read_only=False)
    except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
        raise JudgementError(f"{path}: not a readable Excel workbook ({exc})") from None
    blocks = []
    for ws in book.worksheets:
        if ws.title == INSTRUCTIONS:
            continue
        b = _sheet_block(ws, path)
        if b is not None:
            blocks.append(b)
    return blocks


def read_judgements(paths: str | Path | Sequence[str | Path]) -> list[Block]:
    """Every judgement block of one or several YAML / Excel files, each matrix checked (size, positive, Saaty's
    scale, reciprocal). Raises JudgementError naming the file, sheet, cell, expert and node."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    blocks: list[Block] = []
    for item in items:
        path = Path(item)
        if not path.exists():
            raise JudgementError(f"{path}: file not found")
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            found = _read_yaml(path)
        elif suffix in (".xlsx", ".xlsm"):
            found = _read_xlsx(path)
        else:
            raise JudgementError(f"{path}: unknown judgement file type {suffix or '(none)'!r} (expected .yaml or "
                                 ".xlsx)")
        for b in found:
            if len(set(b.criteria)) != len(b.criteria):
                dup = next(c for c in b.criteria if b.criteria.count(c) > 1)
                raise JudgementError(f"{b.label()}: criterion {dup!r} appears twice")
            _check_matrix(b)
        blocks.extend(found)
    if not blocks:
        raise JudgementError(f"{', '.join(str(p) for p in items)}: no judgements found (fill the upper triangle "
                             "of at least one node's matrix)")
    return blocks


def check_blocks(blocks: Iterable[Block], fw: Framework) -> None:
    """Check blocks against a framework: each node is a parent of it, the criteria are exactly its children, no
    expert judges a node twice, an expert's weight is the same in every block, and the judgements given link every
    child to every other."""
    seen: dict[tuple[str, str], Block] = {}
    weights: dict[str, tuple[float, Block]] = {}
    for b in blocks:
        if b.node not in fw:
            raise JudgementError(f"{b.label()}: {b.node!r} is not a node of framework {fw.name!r}"
                                 f"{did_you_mean(b.node, [c for c in fw.order if fw.children[c]])}")
        kids = fw.children[b.node]
        if not kids:
            raise JudgementError(f"{b.label()}: {b.node!r} is an indicator (judgements compare a parent node's "
                                 "children)")
        for c in b.criteria:
            if c not in kids:
                raise JudgementError(f"{b.label()}: criterion {c!r} is not a child of {b.node!r}"
                                     f"{did_you_mean(c, list(kids))}")
        for c in kids:
            if c not in b.criteria:
                raise JudgementError(f"{b.label()}: child {c!r} of {b.node!r} is missing from the criteria (every "
                                     f"child must be compared: {', '.join(kids)})")
        key = (b.expert, b.node)
        if key in seen:
            raise JudgementError(f"{b.label()}: expert {b.expert!r} judges node {b.node!r} twice (also in "
                                 f"{seen[key].where})")
        seen[key] = b
        if b.expert in weights and weights[b.expert][0] != b.weight:
            w0, b0 = weights[b.expert]
            raise JudgementError(f"{b.label()}: expert weight {b.weight:g} differs from {w0:g} given in {b0.where}")
        weights.setdefault(b.expert, (b.weight, b))
        if not ahp_math.connected(b.matrix):
            raise JudgementError(f"{b.label()}: the judgements given do not connect all criteria (each child needs a "
                                 "chain of comparisons to every other; fill more of the upper triangle)")


def blocks_to_steps(blocks: Iterable[Block], fw: Framework, pooling: str = "aij",
                    completion: str = "harker") -> dict[str, dict[str, Any]]:
    """One ``ahp`` weight step per judged node, ``{node: {method: ahp, criteria, experts, pooling, completion}}``,
    criteria in the framework's child order, each matrix reordered to it and made exactly reciprocal (the lower
    triangle is ``1 / upper``); missing judgements are ``None``."""
    blocks = list(blocks)
    check_blocks(blocks, fw)
    steps: dict[str, dict[str, Any]] = {}
    for node in fw.order:
        mine = [b for b in blocks if b.node == node]
        if not mine:
            continue
        kids = list(fw.children[node])
        experts = []
        for b in mine:
            perm = [b.criteria.index(c) for c in kids]
            a = b.matrix[np.ix_(perm, perm)]
            n = len(kids)
            rows: list[list[float | None]] = [[1.0] * n for _ in range(n)]
            for i in range(n):
                for j in range(i + 1, n):
                    v = a[i, j]
                    rows[i][j] = None if np.isnan(v) else float(v)
                    rows[j][i] = None if np.isnan(v) else float(1.0 / v)
            experts.append({"name": b.expert, "weight": float(b.weight), "matrix": rows})
        steps[node] = {"method": "ahp", "criteria": kids, "experts": experts, "pooling": pooling,
                       "completion": completion}
    return steps


def recipe_fragment(steps: Mapping[str, Mapping[str, Any]], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A recipe mapping with the ``ahp`` steps as weight overrides per node, merged into ``base`` (a recipe's
    ``to_dict()``) when given; alone it is a loadable recipe with every other stage at its default."""
    out = {k: v for k, v in (base or {}).items()}
    weight = out.get("weight", {"method": "framework"})
    weight = {"method": weight} if isinstance(weight, str) else dict(weight)
    nodes = dict(weight.get("nodes") or {})
    nodes.update({k: dict(v) for k, v in steps.items()})
    weight["nodes"] = nodes
    out["weight"] = weight
    return out
