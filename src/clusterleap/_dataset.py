"""The data set: values of units x years x variables, with unit metadata.

Variables are indicators and denominators alike (the framework says which is which). Metadata (names, group columns
such as region or sector, the benchmark flag) is constant per unit. ``rows`` keeps each value's row in its source
file so that errors found later (when the data meets a framework) can still name the place.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt

from ._framework import Framework
from ._frozen import Converted
from ._registry import did_you_mean
from .errors import DataError, DataWarning

__all__ = ["YEAR_RANGE", "Dataset"]

#: Plausible years: a year outside is refused as a typo (20233) or a wrong column.
YEAR_RANGE = (1900, 2100)
#: A year of a panel with fewer units than this share of the best-covered year gets a warning.
SPARSE_YEAR_SHARE = 0.5

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Values ``(years, units, variables)`` with NaN for missing, plus unit metadata.

    ``text`` holds variables whose cells were not all numbers, cell by cell, so that using one as an indicator is an
    error naming the first bad cell (row, column, value), while using it as a group column is fine.
    """

    units: tuple[str, ...]
    years: tuple[int, ...]
    variables: tuple[str, ...]
    values: FloatArray
    names: tuple[str, ...] = ()
    groups: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    benchmark: Converted[npt.ArrayLike | None, npt.NDArray[np.bool_]] = Converted(None)
    rows: npt.NDArray[np.int64] | None = None  # (years, units, 1) for wide files, (years, units, variables) long
    text: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    source: str = "data"
    row_label: str = "row"
    illustrative: bool = False
    year_column: str = ""  # the source's year column ("" when it has none: one year, stored as 0)

    def __post_init__(self) -> None:
        t, u, v = len(self.years), len(self.units), len(self.variables)
        if self.values.shape != (t, u, v):
            raise DataError(f"{self.source}: values have shape {self.values.shape}, expected {(t, u, v)}")
        if len(set(self.units)) != u:
            dup = next(x for x in self.units if self.units.count(x) > 1)
            raise DataError(f"{self.source}: unit {dup!r} appears twice (unit codes must be unique)")
        if not self.names:
            object.__setattr__(self, "names", self.units)
        given: object = self.benchmark  # what was passed (the field holds a boolean array once built)
        object.__setattr__(self, "benchmark",
                           np.zeros(u, dtype=bool) if given is None else np.asarray(given, dtype=bool))
        for col, labels in self.groups.items():
            if len(labels) != u:
                raise DataError(f"{self.source}: group column {col!r} has {len(labels)} labels for {u} units")
        if self.year_column:
            self._check_years()

    def _first_row(self, year_i: int) -> str:
        """' row N' (or ' line N') of the first value of a year in the source, or ''."""
        if self.rows is None:
            return ""
        found = self.rows[year_i][self.rows[year_i] >= 0]
        return f" {self.row_label} {int(found.min())}" if found.size else ""

    def _check_years(self) -> None:
        """Refuse implausible years (a typo such as 20233 would otherwise be "the latest year", evaluated alone)
        and warn about a year of a panel with far fewer units than the others (a mistyped year, or a year not yet
        collected whose results cover only a few units)."""
        lo, hi = YEAR_RANGE
        for t, y in enumerate(self.years):
            if not lo <= y <= hi:
                raise DataError(f"{self.source}{self._first_row(t)}, column {self.year_column!r}: {y} is not a "
                                f"plausible year (expected {lo}-{hi}; a typo?)")
        if len(self.years) < 2 or self.rows is None:
            return
        counts = (self.rows >= 0).any(axis=2).sum(axis=1)
        best = int(counts.max())
        for t, y in enumerate(self.years):
            if counts[t] < SPARSE_YEAR_SHARE * best:
                others = sorted(int(c) for i, c in enumerate(counts) if i != t)
                span = f"{others[0]}" if others[0] == others[-1] else f"{others[0]}-{others[-1]}"
                warnings.warn(
                    f"{self.source}{self._first_row(t)}: year {y} has {int(counts[t])} unit(s), the other years "
                    f"{span} (a mistyped year? results for {y} cover only those units)",
                    DataWarning, stacklevel=4)

    @property
    def is_panel(self) -> bool:
        return len(self.years) > 1

    @cached_property
    def hash(self) -> str:
        """SHA-256 of labels, metadata and values (NaN-canonical): what provenance records."""
        h = hashlib.sha256()
        for part in (self.units, self.years, self.variables, self.names):
            h.update(repr(part).encode())
        for col in sorted(self.groups):
            h.update(repr((col, self.groups[col])).encode())
        h.update(self.benchmark.tobytes())
        # the canonical bytes a block at a time: the same digest as of the whole array, without copies of it
        flat = np.ascontiguousarray(self.values).reshape(-1)
        step = 1 << 20
        for i in range(0, flat.size, step):
            v = flat[i : i + step]
            h.update(np.where(np.isnan(v), np.nan, v).astype("<f8").tobytes())
        return h.hexdigest()

    def column(self, name: str) -> FloatArray:
        """The ``(years, units)`` values of one variable."""
        try:
            return self.values[:, :, self.variables.index(name)]
        except ValueError:
            raise DataError(f"{self.source}: no column {name!r}") from None

    def year_index(self, year: int | None) -> int:
        """Index of ``year`` (the latest year when None)."""
        if year is None:
            return len(self.years) - 1
        if year not in self.years:
            raise DataError(
                f"{self.source}: no data for year {year} (years present: {', '.join(map(str, self.years))})"
            )
        return self.years.index(year)

    def group_codes(self, column: str) -> tuple[npt.NDArray[np.int64], tuple[str, ...]]:
        """Integer codes per unit for a metadata column (-1 where empty) and the labels they stand for."""
        if column not in self.groups:
            raise DataError(
                f"{self.source}: no unit metadata column {column!r}{did_you_mean(column, list(self.groups))}"
                if self.groups
                else f"{self.source}: no unit metadata column {column!r} (the data has no group columns)"
            )
        labels = self.groups[column]
        uniq = tuple(sorted({x for x in labels if x is not None}))
        pos = {lab: i for i, lab in enumerate(uniq)}
        return np.array([-1 if x is None else pos[x] for x in labels], dtype=np.int64), uniq

    def place(self, year_i: int, unit_i: int, variable: str) -> str:
        """Where one value came from, e.g. 'data.csv row 17, column "rd_intensity"'."""
        row = ""
        if self.rows is not None:
            v = self.variables.index(variable) if self.rows.shape[2] > 1 else 0
            if self.rows[year_i, unit_i, v] >= 0:
                row = f" {self.row_label} {self.rows[year_i, unit_i, v]}"
        return f'{self.source}{row}, column "{variable}"'

    def select_units(self, keep: npt.NDArray[np.bool_]) -> Dataset:
        """The data set of the units where ``keep`` is true, with their metadata and source rows (what screening
        leaves for the pipeline)."""
        idx = np.flatnonzero(keep)
        pos = {int(u): i for i, u in enumerate(idx)}
        n_old, n_new = len(self.units), len(idx)
        text = {}
        for col, cells in self.text.items():
            kept = {}
            for flat, cell in cells.items():
                t, u = divmod(flat, n_old)
                if u in pos:
                    kept[t * n_new + pos[u]] = cell
            text[col] = kept
        return replace(
            self,
            units=tuple(self.units[i] for i in idx),
            values=self.values[:, idx, :],
            names=tuple(self.names[i] for i in idx),
            groups={g: tuple(labels[i] for i in idx) for g, labels in self.groups.items()},
            benchmark=self.benchmark[idx],
            rows=None if self.rows is None else self.rows[:, idx, :],
            text=text,
        )

    # -- meeting a framework ------------------------------------------------------------------------------------
    def check_against(self, fw: Framework) -> None:
        """Raise DataError unless every framework indicator and denominator is a numeric, finite column; warn about
        numeric columns the framework does not use (except in illustrative data, which covers the whole pool)."""
        denominators = {d for c in fw.indicators if (d := fw.by_code[c].denominator) is not None}
        needed = list(fw.indicators) + sorted(denominators - set(fw.indicators))
        missing = [c for c in needed if c not in self.variables]
        if missing:
            first = missing[0]
            hint = did_you_mean(first, [v for v in self.variables if v not in needed]) if self.variables else ""
            more = ""
            if len(missing) > 1:
                listed = ", ".join(missing[1:6]) + ("..." if len(missing) > 6 else "")
                more = f" and {len(missing) - 1} more ({listed})"
            what = "denominator" if first not in fw.indicators else "indicator"
            if first in self.groups:  # a column of text, yes/no or dates: name its first cell
                u = next((i for i, x in enumerate(self.groups[first]) if x is not None), 0)
                t = next((i for i in range(len(self.years)) if self.rows is not None
                          and self.rows[i, u, 0] >= 0), 0)
                where = self.place(t, u, first) if self.rows is not None and self.rows.shape[2] == 1 else (
                    f'{self.source}, column "{first}"')
                raise DataError(
                    f"{where}: {self.groups[first][u]!r} is not a number: {what} {first!r} of framework "
                    f"{fw.name!r} needs numbers (this column holds no number at all: text, yes/no or dates)"
                )
            raise DataError(
                f"{self.source}: no column for {what} {first!r} of framework {fw.name!r}{hint}{more}"
            )
        for col in needed:
            bad = self.text.get(col)
            if bad:
                flat, cell = next(iter(sorted(bad.items())))
                t, u = divmod(flat, len(self.units))
                raise DataError(
                    f"{self.place(t, u, col)}: {cell!r} is not a number (expected a decimal number with '.' as the "
                    "decimal separator, or an empty cell / NA for a missing value)"
                )
            vals = self.column(col)
            inf = np.argwhere(np.isinf(vals))
            if inf.size:
                t, u = (int(i) for i in inf[0])
                raise DataError(f"{self.place(t, u, col)}: {vals[t, u]} is infinite (expected a finite number)")
        # Empty columns (a template's unfilled sector or region, say) lose nothing by being ignored.
        unused = [v for v in self.variables if v not in needed and v not in self.text
                  and not np.isnan(self.column(v)).all()]
        # Illustrative data carries the whole indicator pool on purpose, so every framework leaves some unused.
        if unused and not self.illustrative:
            warnings.warn(
                f"{self.source}: {len(unused)} column(s) not in framework {fw.name!r} are ignored: "
                f"{', '.join(unused[:8])}{'...' if len(unused) > 8 else ''}",
                DataWarning,
                stacklevel=3,
            )
