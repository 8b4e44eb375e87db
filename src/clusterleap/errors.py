"""The errors clusterleap raises at its edges.

Every message says where (file, row, column, node), what was found and what was expected, so the CLI can print it
as one line without a traceback::

    ClusterleapError
     +-- FrameworkError   a framework file or tree is invalid
     +-- DataError        a data file or table is invalid, or does not fit the framework
     +-- RecipeError      a recipe names an unknown method or parameter, or a bad value
     +-- JudgementError   an expert-judgement (AHP) file is invalid
     +-- SpaceError       an uncertainty space is invalid
     +-- ReportError      a report cannot be made (format, language, robustness folder, Chromium)
     +-- IndicatorSpecError  an indicator-definitions file (records to indicators) is invalid
     +-- MemoryLimitError  a run would need more memory (or runs) than the limit (robustness analyses)
"""

from __future__ import annotations

__all__ = [
    "ClusterleapError",
    "DataError",
    "DataWarning",
    "FrameworkError",
    "IndicatorSpecError",
    "JudgementError",
    "MemoryLimitError",
    "MethodWarning",
    "RecipeError",
    "ReportError",
    "SpaceError",
]


class ClusterleapError(Exception):
    """Base of every error clusterleap raises on bad input."""


class FrameworkError(ClusterleapError):
    """A framework (file, table or tree) is invalid."""


class DataError(ClusterleapError):
    """A data set is invalid or does not fit the framework."""


class RecipeError(ClusterleapError):
    """A recipe or one of its steps is invalid."""


class JudgementError(ClusterleapError):
    """Expert judgements (pairwise comparisons) are invalid."""


class SpaceError(ClusterleapError):
    """An uncertainty space is invalid."""


class MemoryLimitError(ClusterleapError):
    """A run would need more memory, or more runs, than the limit allows (estimated before anything is allocated,
    see :func:`clusterleap.robustness.uncertainty_analysis`); nothing was allocated. ``need`` and ``limit`` are the
    estimate and the limit in bytes (``limit`` None when the number of runs is what is refused)."""

    def __init__(self, message: str, need: int, limit: int | None) -> None:
        super().__init__(message)
        self.need = need
        self.limit = limit


class ReportError(ClusterleapError):
    """A report cannot be made: unknown format or language, robustness tables that do not fit the result, or a
    missing tool (Chromium for PDF). The message names the place and what was expected."""


class DataWarning(UserWarning):
    """Data that is used anyway but deserves attention (e.g. columns the framework ignores)."""


class MethodWarning(UserWarning):
    """A method's result is used anyway but is not exactly what was asked, and a user must know it (a solver that
    missed its target, an approximation in place of an exact computation, a decomposition that could not be made)."""


class IndicatorSpecError(ClusterleapError):
    """An indicator-definitions file (how indicators are computed from records) is invalid."""
