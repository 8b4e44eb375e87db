"""The public API is exactly what docs/architecture.md lists: the public modules and each one's names."""

from __future__ import annotations

import importlib
import pkgutil
import re

import clusterleap
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
LISTED = dict(re.findall(r"^- `(clusterleap[\w.]*)`: (.*)$", DOC, re.M))
STAGE_MODULES = ("screen", "denominate", "transform", "impute", "treat", "normalise", "weight", "aggregate", "rank")
APPLICATIONS = ("clusterleap.cli", "clusterleap.serve", "clusterleap.store")


def test_every_listed_module_exports_exactly_the_listed_names() -> None:
    assert "clusterleap" in LISTED and len(LISTED) >= 10
    for module, line in LISTED.items():
        documented = set(re.findall(r"`([^`]+)`", line))
        assert set(importlib.import_module(module).__all__) == documented, module


def test_every_other_module_is_internal() -> None:
    public = set(LISTED) | {f"clusterleap.stages.{s}" for s in STAGE_MODULES}
    for info in pkgutil.walk_packages(clusterleap.__path__, "clusterleap."):
        name = info.name
        if name.startswith(APPLICATIONS):
            continue
        if not any(part.startswith("_") for part in name.split(".")[1:]):
            assert name in public, f"{name} is neither listed as public in docs/architecture.md nor internal (_)"


def test_stage_modules_are_catalogues() -> None:
    for stage in STAGE_MODULES:
        module = importlib.import_module(f"clusterleap.stages.{stage}")
        assert module.METHODS.stage == stage
        assert hasattr(module, f"{stage.capitalize()}Kernel"), f"{stage}: no kernel Protocol"
        assert f"`{stage}`" in DOC
