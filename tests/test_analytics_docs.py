"""The Python examples of docs/analytics.md run, and print what the page says they print."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

import clusterleap as cl

DOC = Path(__file__).resolve().parents[1] / "docs" / "analytics.md"


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_analytics_doc_examples_print_what_they_say() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    checked = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        for block in blocks:  # each block is self-contained
            namespace: dict[str, object] = {}
            lines = block.splitlines()
            pending: list[str] = []
            i = 0
            while i < len(lines):
                line = lines[i]
                if line.startswith("print("):
                    exec("\n".join(pending), namespace)
                    pending = []
                    buf = io.StringIO()
                    with contextlib.redirect_stdout(buf):
                        exec(line, namespace)
                    expected = []
                    while i + 1 < len(lines) and lines[i + 1].startswith("#"):
                        expected.append(lines[i + 1][1:])
                        i += 1
                    if expected:
                        assert _norm(buf.getvalue()) == _norm("\n".join(expected)), line
                        checked += 1
                else:
                    pending.append(line)
                i += 1
            exec("\n".join(pending), namespace)
    assert checked >= 6
