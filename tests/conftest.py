"""Shared fixtures. Reference data lives in ../shared/data (outside the project); tests that need it skip with a
clear reason when it is absent."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test when it is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} is absent (tests read it from ../shared/data, never a copy)")
    return path


@pytest.fixture(scope="session")
def asem_paths() -> tuple[Path, Path]:
    """COINr's ASEM example: (iMeta CSV, iData CSV)."""
    return shared_path("asem", "ASEM_iMeta.csv"), shared_path("asem", "ASEM_iData.csv")


@pytest.fixture(scope="session")
def asem(asem_paths: tuple[Path, Path]) -> tuple[object, object]:
    """The ASEM framework and data set, loaded once."""
    import clusterleap as cl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        return cl.read_imeta(asem_paths[0]), cl.read_data(asem_paths[1])


#: COINr's default ASEM build, as ../shared/data/asem/SOURCE.md documents it: the recipe file of the docs, as a dict.
ASEM_RECIPE: dict[str, object] = yaml.safe_load(
    (ROOT / "docs" / "examples" / "asem" / "recipe.yaml").read_text(encoding="utf-8")
)
