"""The report's error type."""

from __future__ import annotations

from ..errors import ClusterleapError

__all__ = ["ReportError"]


class ReportError(ClusterleapError):
    """A report cannot be made: unknown format or language, robustness tables that do not fit the result, or a
    missing tool (Chromium for PDF). The message names the place and what was expected."""
