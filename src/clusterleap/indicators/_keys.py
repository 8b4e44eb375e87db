"""Duplicated firm-years and the firms of the coverage report, in one aggregation per firm.

A source keyed by one column and the year (``key: [firm, year]``) has a duplicated key exactly when some firm has two
records in one year. Grouping by the firm alone (a fraction of the groups of firm x year) gives, per firm, the number
of its records ``n`` and the sum ``s`` of ``2^(year - first year)``: with each year at most once, ``s`` is a set of
distinct bits and has exactly ``n`` of them; any repeated year carries into a higher bit and leaves fewer than ``n``
(the population count of a sum of powers of two is their number less the carries). The same groups give, per firm,
the years in which it has records inside a cluster and outside every cluster (again as bits), from which the coverage
report counts the firms of the output years without another pass over the records.

When the check finds a firm with fewer bits than records (or the years span more than :data:`SPAN`), the caller
falls back to the exact aggregation by the whole key, which finds and counts every duplicated record. Everything is
plain integer arithmetic in Ibis (sums, shifts, bitwise and), the same on every engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
from ibis.backends import BaseBackend

from ._engines import checkpoint, fetch

__all__ = ["SPAN", "KeyYears", "duplicates_possible", "firms_in_years", "key_years"]

#: The most years a per-firm year mask holds (bits 0 to 29: every sum stays far from 64-bit overflow, and a record
#: set without duplicates sums to less than 2^30, so any larger sum is a duplicate).
SPAN = 30


@dataclass(frozen=True)
class KeyYears:
    """One row per value of the key's non-year column (``_k``): records with a year ``_n``, their year bits summed
    ``_s`` and, when the column is the source's firm, the bits of the years with records kept inside a cluster
    (``_in``) and outside every cluster (``_out``); bit ``i`` stands for the year ``year0 + i``."""

    table: ir.Table
    year0: int
    firms: bool


def key_years(con: BaseBackend, t: ir.Table, keys: Sequence[str], years: tuple[int, int],
              kept: ir.BooleanValue | None, name: str) -> KeyYears | None:
    """The per-key table of ``t`` (kept in the engine), or None when the key is not one column and ``_year``, or the
    years ``years`` (first, last) span more than :data:`SPAN`. ``kept``: the records the handling keeps (for the
    firm counts; None: all)."""
    if len(keys) != 2 or "_year" not in keys or years[1] - years[0] >= SPAN:
        return None
    k = keys[0] if keys[1] == "_year" else keys[1]
    bit = (ibis.literal(1, "int64") << (t._year - years[0]).cast("int64")).cast("int64")
    aggs: dict[str, ir.Scalar] = {"_n": t._year.count(), "_s": bit.sum()}
    firms = k == "_firm" and "_unit" in t.columns
    if firms:
        inside = t._unit.notnull() if kept is None else kept & t._unit.notnull()
        outside = t._unit.isnull() if kept is None else kept & t._unit.isnull()
        aggs |= {"_in": bit.sum(where=inside), "_out": bit.sum(where=outside)}
    g = t.filter(t[k].notnull()).group_by(t[k].name("_k")).aggregate(**aggs)
    return KeyYears(checkpoint(con, g, f"clusterleap_{name}_keyyears"), years[0], firms)


def popcount(x: ir.IntegerValue) -> ir.IntegerValue:
    """The number of set bits of a non-negative integer below 2^32 (the SWAR count of Hacker's Delight, 5-1, with
    shifts and masks only: no multiplication to overflow)."""
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    x = x + (x >> 8)
    x = x + (x >> 16)
    return x & 0x3F


def duplicates_possible(ky: KeyYears) -> bool:
    """Whether some key value has two records in one year (a sum of year bits with fewer bits than records)."""
    g = ky.table
    s = g._s.cast("int64")  # a 64-bit integer whatever type the engine gave the sum (DuckDB: 128 bits)
    suspect = (s >= 2**SPAN) | (popcount(s) != g._n)
    n = fetch(g.aggregate(n=g.count(where=suspect)))["n"].iloc[0]
    return bool(n == n and n is not None and int(n) > 0)


def firms_in_years(ky: KeyYears, years: Sequence[int]) -> tuple[int, int]:
    """Firms with records inside a cluster, and outside every cluster, in ``years`` (valid once
    :func:`duplicates_possible` found none)."""
    mask = sum(1 << (y - ky.year0) for y in set(years) if 0 <= y - ky.year0 < SPAN)
    g = ky.table
    inside, outside = g._in.cast("int64"), g._out.cast("int64")
    row = fetch(g.aggregate(fin=g.count(where=(inside & mask) != 0), fout=g.count(where=(outside & mask) != 0))).iloc[0]

    def n(v: object) -> int:
        """A count as the engine returns it: an integer of numpy or Python, or missing (None, NaN) for none."""
        return int(v) if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v == v) else 0

    return n(row["fin"]), n(row["fout"])
