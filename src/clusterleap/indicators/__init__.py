"""From enterprise records to cluster indicators: definitions as data (:mod:`.spec`), run through Ibis on DuckDB or
Spark (:mod:`.engines`), with bad records counted and handled (:mod:`.records`), the regional-science measures
(:mod:`.measures`), a seeded synthetic records generator (:mod:`.synth`) and a data set with provenance and a
coverage report (:mod:`.build`). See docs/indicators.md.

This package sits at the edge (it imports Ibis, pandas and, when asked for, PySpark); nothing in the core imports it.
"""

from __future__ import annotations

from .build import Build, Coverage, SourceCoverage, build_indicators
from .engines import ENGINES, connect, spark_session
from .measures import Missing
from .records import BadRecords
from .spec import Spec, load_spec

__all__ = [
    "ENGINES",
    "BadRecords",
    "Build",
    "Coverage",
    "Missing",
    "SourceCoverage",
    "Spec",
    "build_indicators",
    "connect",
    "load_spec",
    "spark_session",
]
