"""From enterprise records to cluster indicators: definitions as data (:mod:`._spec`, read by :mod:`._load`), run
through Ibis on DuckDB or Spark (:mod:`._engines`), with the code lists (:mod:`._codes`), bad records counted and
handled (:mod:`._records`), the regional-science measures (:mod:`._measures`), a seeded synthetic records generator
(:mod:`._synth`) and a data set with provenance and a coverage report (:mod:`._build`). See docs/indicators.md.

The submodules are internal; the public names are this package's ``__all__``.

This package sits at the edge: nothing in the core imports it. Ibis (and PySpark) are optional extras
(``clusterleap[records]``, ``clusterleap[spark]``), so the names that need them are loaded on first use; reading a
definitions file and writing synthetic records work without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._load import load_spec
from ._spec import Spec
from ._synth import SyntheticRecords, synthesize, write_synthetic

if TYPE_CHECKING:
    from ._build import Build, Coverage, SourceCoverage, build_indicators
    from ._engines import ENGINES, connect, spark_session
    from ._measures import Missing
    from ._records import BadRecords

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

_NEEDS_IBIS = {"Build": "_build", "Coverage": "_build", "SourceCoverage": "_build", "build_indicators": "_build",
               "ENGINES": "_engines", "connect": "_engines", "spark_session": "_engines", "Missing": "_measures",
               "BadRecords": "_records"}


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
