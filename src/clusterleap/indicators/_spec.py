"""Indicator definitions as data: how each indicator of a pool is computed from enterprise records.

A definitions file (YAML) names the record tables (``sources``), how a record finds its cluster (``membership``:
region code and industry code mapped to clusters, as the U.S. Cluster Mapping maps NAICS codes to cluster
categories, or an explicit firm list), what to do with bad records (``on_bad``) and, per indicator, either a ratio of
two aggregates (numerator, denominator, filters, a rolling time window) or one of the built-in regional-science
measures. Nothing in it is engine-specific: the build turns it into Ibis expressions. This module holds the definitions'
shape; :mod:`._load` reads and validates a file into it.

Errors name the file, the line and the key, e.g. ``spec.yaml line 31, indicators.rd_intensity.numerator: unknown
aggregate 'summ' (expected one of count, count_distinct, max, mean, min, sum)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "AGGREGATES",
    "HANDLING",
    "MEASURES",
    "Aggregate",
    "Condition",
    "Handling",
    "Indicator",
    "Membership",
    "Source",
    "Spec",
]

#: Aggregates a numerator or denominator may use.
AGGREGATES = ("count", "count_distinct", "max", "mean", "min", "sum")
#: Comparison operators of a filter.
OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "not_in")
#: Built-in measures besides ``ratio`` (see :mod:`._measures`), with their parameters.
MEASURES: Mapping[str, frozenset[str]] = {
    "ratio": frozenset({"numerator", "denominator"}),
    "location_quotient": frozenset({"of", "within", "national"}),
    "regional_share": frozenset({"of", "within"}),
    "national_share": frozenset({"of", "national"}),
    "specialisation": frozenset({"of", "within"}),
    "herfindahl": frozenset({"of", "over", "within"}),
    "shift_share": frozenset({"of", "within", "national", "base", "component", "relative"}),
    "strong_cluster": frozenset({"of", "within", "national", "top"}),
}
SHIFT_SHARE_COMPONENTS = ("national", "mix", "competitive", "total")
#: What may be done with each kind of bad record (the first choice is the default).
HANDLING: Mapping[str, tuple[str, ...]] = {
    "unknown_code": ("reject", "error"),
    "duplicate": ("reject", "error"),
    "negative": ("reject", "missing", "error"),
    "not_a_number": ("reject", "missing", "error"),
    "zero_denominator": ("missing", "error"),
}


@dataclass(frozen=True)
class Condition:
    """A filter on one column: ``column op value`` (``in`` and ``not_in`` take a list)."""

    column: str
    op: str
    value: Any


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of a record column (or of rows, for ``count``) over the records that pass ``where``."""

    fn: str
    column: str | None
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Source:
    """A table of records: its file (relative to the records folder), the columns that identify a record (``key``),
    its year column, its code columns (or ``via``: the firm's codes come from another source's record of the same
    year), and the numeric ``values`` that are checked for negative and non-numeric cells."""

    name: str
    file: str
    key: tuple[str, ...]
    year: str = "year"
    region: str | None = None
    industry: str | None = None
    firm: str | None = None
    values: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    via: str | None = None
    via_on: tuple[tuple[str, str], ...] = ()
    national: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the definitions use, in a stable order."""
        cols = [*self.key, self.year, self.region, self.industry, self.firm, *self.values, *self.attributes,
                *(a for a, _ in self.via_on)]
        return tuple(dict.fromkeys(c for c in cols if c))


@dataclass(frozen=True)
class Membership:
    """How a record finds its cluster: code lists of regions and industries (``industries`` also maps each industry
    to a cluster ``category`` and, optionally, a ``universe`` such as traded / local), the clusters (a file of
    ``cluster, region, category[, name]`` rows, or ``each``: every category in every region, coded by a template
    such as ``"{region}-{category}"``), and optionally an explicit list of ``firm, cluster`` that takes precedence."""

    regions: str
    industries: str
    clusters: str | None = None
    each: str | None = None
    firms: str | None = None


@dataclass(frozen=True)
class Handling:
    """What to do with each kind of bad record (see :data:`HANDLING`)."""

    unknown_code: str = "reject"
    duplicate: str = "reject"
    negative: str = "reject"
    not_a_number: str = "reject"
    zero_denominator: str = "missing"


@dataclass(frozen=True)
class Indicator:
    """One indicator: a ``ratio`` of aggregates or a built-in measure, over one source, per cluster and year.

    ``window`` is the number of calendar years ending with the data year whose records count (1: the year alone);
    ``scale`` multiplies the result (100 for per cent)."""

    code: str
    measure: str
    source: str
    line: int
    where: tuple[Condition, ...] = ()
    window: int = 1
    scale: float = 1.0
    name: str | None = None
    numerator: Aggregate | None = None
    denominator: Aggregate | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """A validated definitions file."""

    path: Path
    name: str
    sha256: str
    membership: Membership
    sources: Mapping[str, Source]
    indicators: tuple[Indicator, ...]
    handling: Handling = Handling()
    years: tuple[int, int] | None = None
    description: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators)
