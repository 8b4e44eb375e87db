"""The house rules of docs/architecture.md that no import contract checks: module sizes and function-level imports.

- No module in ``src/`` is over :data:`MAX_LINES` lines unless docs/architecture.md names it under "Modules that
  must stay whole" (with its reason) or under the temporary list of modules still to split; the doc is the single
  source, and a name it lists that is no longer over the limit fails too, so that the list stays exact.
- A function-level import exists only to keep start-up fast: it imports a heavy third-party library
  (:data:`HEAVY`), or it says why in a comment on its line or on the line above its block of imports. An import made
  to dodge a cycle would break the layers contract of ``lint-imports`` anyway, which counts function-level imports.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import clusterleap
import clusterleap.io
from tests.conftest import ROOT

SRC = ROOT / "src" / "clusterleap"
DOC = ROOT / "docs" / "architecture.md"
MAX_LINES = 450
#: The headings of docs/architecture.md whose lists name the modules allowed over the limit.
WHOLE = "Modules that must stay whole"
TEMPORARY = "Still to split (temporary)"
UNEXPLAINED = "Function-level imports still to explain (temporary)"
#: Third-party libraries heavy enough to import only where they are used (tens to hundreds of milliseconds each).
HEAVY = frozenset({"pandas", "scipy", "sklearn", "openpyxl", "plotly", "pypdf", "pyspark", "ibis", "duckdb",
                   "sqlalchemy", "alembic", "uvicorn", "fastapi", "jinja2"})


def listed(heading: str, doc: str) -> dict[str, str]:
    """The modules a ``### heading`` of the doc lists (``- `path/to/module.py`: reason``), with their reasons."""
    section = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^#|\Z)", doc, re.M | re.S)
    assert section is not None, f"docs/architecture.md has no section '### {heading}'"
    return {m[0]: m[1].strip() for m in re.findall(r"^- `([\w/]+\.py)`(?: \(\d+\))?:?(.*)$", section[1], re.M)}


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def over_limit() -> dict[str, int]:
    """Every module of the package over :data:`MAX_LINES`, by its path inside the package."""
    sizes = {p.relative_to(SRC).as_posix(): lines(p) for p in sorted(SRC.rglob("*.py"))}
    return {name: n for name, n in sizes.items() if n > MAX_LINES}


def test_the_doc_lists_are_parsed() -> None:
    doc = "### Modules that must stay whole\n\n- `a/_x.py`: one table.\n- `b.py` (470): a reason\n\n### Next\n- `c.py`"
    assert listed(WHOLE, doc) == {"a/_x.py": "one table.", "b.py": "a reason"}


def test_no_module_is_over_the_limit_unless_the_doc_says_why() -> None:
    doc = DOC.read_text(encoding="utf-8")
    whole, temporary = listed(WHOLE, doc), listed(TEMPORARY, doc)
    assert all(whole.values()), f"each module that must stay whole says why: {whole}"
    big = over_limit()
    unlisted = {name: n for name, n in big.items() if name not in whole and name not in temporary}
    assert not unlisted, f"over {MAX_LINES} lines and not named in docs/architecture.md: {unlisted}"
    stale = sorted(name for name in {*whole, *temporary} if name not in big)
    assert not stale, f"named in docs/architecture.md as over {MAX_LINES} lines, but no longer are (take them off "\
        f"its list): {stale}"


def function_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports inside function bodies, leaving out those under ``if TYPE_CHECKING:`` (never run)."""

    def walk(node: ast.AST, in_function: bool) -> Iterator[ast.Import | ast.ImportFrom]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if in_function and isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            yield from walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    return walk(tree, False)


def imported(node: ast.Import | ast.ImportFrom) -> str:
    """The top-level name of what ``node`` imports ('' for a module of this package)."""
    if isinstance(node, ast.ImportFrom):
        return "" if node.level or (node.module or "").startswith("clusterleap") else (node.module or "").split(".")[0]
    return node.names[0].name.split(".")[0] if not node.names[0].name.startswith("clusterleap") else ""


def explained(node: ast.Import | ast.ImportFrom, source: list[str], imports: set[int]) -> bool:
    """A comment on the import's line, or on the line above the block of imports it belongs to."""
    if "#" in source[node.lineno - 1]:
        return True
    above = node.lineno - 1
    while above in imports or (above >= 1 and not source[above - 1].strip()):
        above -= 1
    return above >= 1 and source[above - 1].strip().startswith("#")


def unexplained(path: Path) -> list[str]:
    """The function-level imports of a module that neither import a heavy library nor say why they are there."""
    text = path.read_text(encoding="utf-8")
    source = text.splitlines()
    found = list(function_imports(ast.parse(text)))
    at = {line for node in found for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
    return [f"{node.lineno}: {source[node.lineno - 1].strip()}" for node in found
            if imported(node) not in HEAVY and not explained(node, source, at)]


def test_unexplained_imports_are_found(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n"
        "    import pandas as pd\n"            # a heavy library: fine
        "    from .errors import DataError\n"  # a sibling without a reason
        "\n"
        "def g():\n"
        "    # heavy: the report stack\n"
        "    from .report import a\n"
        "    from .report import b\n"          # the same block as the comment's
        "    x = 1\n"
        "    from .x import c  # on use\n"
        "    import json\n",                   # a light library without a reason
        encoding="utf-8",
    )
    assert unexplained(module) == ["3: from .errors import DataError", "11: import json"]


def test_every_function_level_import_keeps_start_up_fast_and_says_so() -> None:
    pending = listed(UNEXPLAINED, DOC.read_text(encoding="utf-8"))
    found = {path.relative_to(SRC).as_posix(): unexplained(path) for path in sorted(SRC.rglob("*.py"))}
    found = {name: lines for name, lines in found.items() if lines}
    new = [f"{name}:{line}" for name, lines in found.items() if name not in pending for line in lines]
    assert not new, "function-level imports of light or sibling modules without a comment saying why:\n" + "\n".join(
        new)
    stale = sorted(name for name in pending if name not in found)
    assert not stale, f"listed in docs/architecture.md with imports to explain, but they all say why now (take them "\
        f"off its list): {stale}"


def type_checking_names(path: Path) -> set[str]:
    """The names a package's ``__init__`` imports, at the top and under ``if TYPE_CHECKING:`` (what type checkers
    see of the names it loads on first use)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        body = node.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING" else [node]
        names |= {alias.asname or alias.name for n in body if isinstance(n, ast.ImportFrom) for alias in n.names}
    return names


def test_lazy_packages_show_type_checkers_and_run_time_the_same_names() -> None:
    for package in (clusterleap, clusterleap.io):
        public = set(package.__all__)
        assert package.__file__ is not None
        assert type_checking_names(Path(package.__file__)) - {"annotations", "TYPE_CHECKING", "lazy_names"} == public
        assert public <= set(dir(package))
        for name in sorted(public):
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
