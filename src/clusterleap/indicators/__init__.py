"""From enterprise records to cluster indicators: definitions as data (:mod:`.spec`), run through Ibis on DuckDB or
Spark (:mod:`.engines`), with bad records counted and handled (:mod:`.records`), the regional-science measures
(:mod:`.measures`), a seeded synthetic records generator (:mod:`.synth`) and a data set with provenance and a
coverage report (:mod:`.build`). See docs/indicators.md.

This package sits at the edge: nothing in the core imports it. Ibis (and PySpark) are optional extras
(``clusterleap[records]``, ``clusterleap[spark]``), so the names that need them are loaded on first use; reading a
definitions file and writing synthetic records work without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .spec import Spec, load_spec
from .synth import SyntheticRecords, synthesize, write_synthetic

if TYPE_CHECKING:
    from .build import Build, Coverage, SourceCoverage, build_indicators
    from .engines import ENGINES, connect, spark_session
    from .measures import Missing
    from .records import BadRecords

__all__ = [
    "ENGINES",
    "BadRecords",
    "Build",
    "Coverage",
    "Missing",
    "SourceCoverage",
    "Spec",
    "SyntheticRecords",
    "build_indicators",
    "connect",
    "load_spec",
    "spark_session",
    "synthesize",
    "write_synthetic",
]

_NEEDS_IBIS = {"Build": "build", "Coverage": "build", "SourceCoverage": "build", "build_indicators": "build",
               "ENGINES": "engines", "connect": "engines", "spark_session": "engines", "Missing": "measures",
               "BadRecords": "records"}


def __getattr__(name: str) -> Any:
    """The names that need Ibis, imported when first asked for (PEP 562)."""
    if name not in _NEEDS_IBIS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(f".{_NEEDS_IBIS[name]}", __name__)
    except ImportError as exc:
        raise ImportError(f"clusterleap.indicators.{name} needs the records extra (Ibis with DuckDB): pip install "
                          f"'clusterleap[records]' ({exc})") from exc
    return getattr(module, name)
