"""The README's and the docs' Python examples type-check under ``mypy --strict`` and import only public names.

Each example is written to a file of its own and checked as user code would be: against the package's own types
(``py.typed``), so a type that lies (a field typed ``Plan`` that takes a string) fails here as it would for a user.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

mypy_api = pytest.importorskip("mypy.api")

FENCE = re.compile(r"```python\n(.*?)```", re.S)
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples() -> list[tuple[str, str]]:
    out = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            out.append((f"{path.name}:{text.count(chr(10), 0, m.start()) + 1}", m.group(1)))
    return out


def test_there_are_examples() -> None:
    assert len(examples()) >= 20


def test_examples_pass_mypy_strict(tmp_path: Path) -> None:
    names = {}
    for i, (where, code) in enumerate(examples()):
        path = tmp_path / f"example_{i:03d}.py"
        path.write_text(code, encoding="utf-8")
        names[path.name] = where
    out, err, status = mypy_api.run([
        "--strict", "--no-incremental", "--python-version", "3.11", "--ignore-missing-imports",
        "--cache-dir", str(tmp_path / ".mypy_cache"), str(tmp_path)])
    for file, where in names.items():
        out = out.replace(file, where)
    assert status == 0, out + err


def _public(module: str) -> bool:
    """A module a user may import: no part of its dotted path starts with an underscore."""
    return not any(part.startswith("_") for part in module.split("."))


@pytest.mark.parametrize(("where", "code"), examples(), ids=[where for where, _ in examples()])
def test_examples_import_only_public_names(where: str, code: str) -> None:
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clusterleap"):
            assert _public(node.module), f"{where}: imports from the internal module {node.module}"
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert not alias.name.startswith("_"), f"{where}: imports the internal name {alias.name}"
                exported = getattr(module, "__all__", None)
                submodule = hasattr(module, "__path__") and importlib.util.find_spec(
                    f"{node.module}.{alias.name}") is not None
                assert submodule or exported is None or alias.name in exported, (
                    f"{where}: {alias.name} is not among {node.module}'s public names")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("clusterleap"):
                    assert _public(alias.name), f"{where}: imports the internal module {alias.name}"
