"""The user documentation's examples run, and it documents every registered method."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import clusterleap as cl
from clusterleap.stages import STAGES
from tests.conftest import ROOT, SHARED_DATA

DOCS = ROOT / "docs"
FENCE = re.compile(r"(<!-- example: (\w+) -->\s*)?```(\w+)\n(.*?)```", re.S)


def blocks(kind: str) -> list[tuple[str, str, str]]:
    out = []
    for path in sorted(DOCS.glob("*.md")):
        for m in FENCE.finditer(path.read_text(encoding="utf-8")):
            if m.group(3) == kind:
                out.append((f"{path.name}:{path.read_text().count(chr(10), 0, m.start()) + 1}", m.group(2) or "",
                            m.group(4)))
    return out


@pytest.mark.parametrize(("where", "tag", "code"), blocks("python"), ids=lambda v: v if ":" in str(v) else "")
def test_python_examples_run(where: str, tag: str, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if "../shared/data" in code and not SHARED_DATA.exists():
        pytest.skip("the example reads ../shared/data, which is absent")
    monkeypatch.chdir(ROOT)
    exec(compile(code, where, "exec"), {"__name__": "docs_example"})


@pytest.mark.parametrize(("where", "tag", "code"), [b for b in blocks("yaml") if b[1]],
                         ids=lambda v: v if ":" in str(v) else "")
def test_yaml_examples_load(where: str, tag: str, code: str, tmp_path: Path) -> None:
    path = tmp_path / "example.yaml"
    path.write_text(code, encoding="utf-8")
    if tag == "framework":
        fw = cl.read_framework_yaml(path)
        assert fw.indicators
    elif tag == "recipe":
        assert cl.Recipe.load(path).to_dict()
    else:
        assert yaml.safe_load(code) is not None


def test_every_registered_method_is_documented() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    missing = [f"{stage}.{m.name}" for stage, reg in STAGES.items() for m in reg if f"`{m.name}`" not in text]
    assert not missing, f"undocumented methods: {missing}"


def test_docs_links_resolve() -> None:
    for path in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"
