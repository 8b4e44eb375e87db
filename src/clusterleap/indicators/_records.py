"""Records as Ibis tables: read in place, typed, checked for bad records, and assigned to clusters.

Every check counts on the records as read, keeps up to five examples, and applies the handling the definitions
name (``reject``: the record is left out of every computation; ``missing``: the bad value is unknown, so every
aggregate that uses it is unknown; ``error``: the build stops). Nothing is dropped without being counted.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from ..errors import DataError
from ._codes import NONE, CodeLists, Labels, code_tables
from ._engines import checkpoint, fetch, file_statistics_ignored, read_table
from ._keys import KeyYears, duplicates_possible, key_years
from ._spec import Condition, Source, Spec

__all__ = ["BadRecords", "Prepared", "condition", "prepare_sources"]

#: Cells that mean "missing" in CSV records (the project's markers, see docs/data.md).
MISSING_MARKERS = ("", "NA", "N/A", "NAN", "NULL", "NONE", "#N/A", "-", "--", ".", "..", "...")
N_EXAMPLES = 5


@dataclass(frozen=True)
class BadRecords:
    """One kind of bad record in one source: how many, what was done, and examples (records as read)."""

    source: str
    kind: str
    count: int
    handling: str
    column: str | None = None
    examples: tuple[Mapping[str, Any], ...] = ()

    @property
    def what(self) -> str:
        kind = {"unknown_code": "an unknown region, industry or firm code (or year)", "duplicate": "a duplicated key",
                "negative": "a negative value", "not_a_number": "a value that is not a number"}[self.kind]
        return f"{kind}{f' in {self.column!r}' if self.column else ''}"

    def describe(self) -> str:
        done = {"reject": "rejected (left out of every indicator)", "missing": "treated as missing",
                "error": "stopped the build"}[self.handling]
        return f"source '{self.source}': {self.count} record(s) with {self.what}: {done}"


@dataclass
class Prepared:
    """A source after checks: its assigned table (columns ``_year, _region, _category, _universe, _unit, _firm`` and
    the declared columns; region, category, universe and cluster as the integers of ``labels``) and what the checks
    found."""

    source: Source
    path: Path
    table: ir.Table
    rows_read: int
    labels: Labels
    bad: list[BadRecords] = field(default_factory=list)
    #: the values that may be missing after the checks (empty cells as read, or bad values treated as missing)
    nullable: set[str] = field(default_factory=set)
    #: per firm, its records' years (when the key is firm and year and no firm-year occurs twice), for the coverage
    key_years: KeyYears | None = None


# ----------------------------------------------------------------------------------------------------- expressions

_OPS: Mapping[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}
_TRUE = ("true", "1", "yes", "t", "y", "1.0")


def _typed(col: ir.Column, value: Any) -> tuple[ir.Value, Any]:
    """Compare a column as the literal's type: flags as true/false whatever their storage (boolean, 0/1, text),
    numbers as numbers, anything else as text, so a CSV read as text and a typed Parquet file give the same."""
    if isinstance(value, bool):
        if col.type().is_boolean():
            return col, value
        if col.type().is_numeric():
            return col.cast("float64") == 1.0, value
        return col.cast("string").lower().isin(_TRUE), value
    if isinstance(value, int | float):
        return col.cast("float64"), float(value)
    return col.cast("string"), str(value)


def condition(t: ir.Table, conds: Sequence[Condition]) -> ir.BooleanValue | None:
    """The conjunction of filters as an Ibis boolean (None when there is none)."""
    parts: list[ir.BooleanValue] = []
    for c in conds:
        col = t[c.column]
        if c.op in ("in", "not_in"):
            vals = list(c.value)
            sample = vals[0] if vals else ""
            typed, _ = _typed(col, sample)
            lits = [_typed(col, v)[1] for v in vals]
            expr = typed.isin(lits)
            parts.append(~expr if c.op == "not_in" else expr)
        elif isinstance(c.value, bool) and c.op in ("eq", "ne"):
            # a flag: the test itself, never "flag = TRUE" (which not every engine's SQL parses)
            flag = _typed(col, True)[0]
            parts.append(flag if (c.op == "eq") == c.value else ~flag)
        else:
            typed, lit = _typed(col, c.value)
            parts.append(_OPS[c.op](typed, lit))
    return reduce(operator.and_, parts) if parts else None


def _count_flags(t: ir.Table, flags: Mapping[str, ir.BooleanValue], **more: ir.Scalar) -> dict[str, int]:
    """The rows of ``t``, how many hold each flag, and the further aggregates ``more`` (integers; 0 for null), in
    one pass."""
    aggs: dict[str, ir.Scalar] = {"_rows": t.count(), **more}
    aggs |= {name: flag.ifelse(1, 0).sum() for name, flag in flags.items()}
    out = fetch(t.aggregate(**aggs)).iloc[0]
    return {str(k): int(v) if v == v and v is not None else 0 for k, v in out.items()}


def _examples(t: ir.Table, flag: ir.BooleanValue, cols: Sequence[str], order: Sequence[str]) -> tuple[
        Mapping[str, Any], ...]:
    df = fetch(t.filter(flag).select(*cols).order_by(list(order)).limit(N_EXAMPLES))
    return tuple({str(k): (None if (isinstance(v, float) and v != v) else v) for k, v in row.items()}
                 for row in df.astype(object).to_dict("records"))


def _stop(bad: BadRecords, path: Path) -> DataError:
    shown = "; ".join(", ".join(f"{k}={v}" for k, v in ex.items()) for ex in bad.examples[:2])
    return DataError(f"{path}: {bad.count} record(s) of source '{bad.source}' with {bad.what} "
                     f"(on_bad.{bad.kind}: error), e.g. {shown}")


def _code(col: ir.Column, path: Path) -> ir.StringValue:
    """A code (region, industry, firm) as text: stripped of surrounding blanks when read from a CSV file, where
    they are an accident of the format; as stored in a typed file (Parquet), where a blank is part of the value (a
    code with one does not match the code list and is reported as unknown, never silently taken as another)."""
    text: ir.StringValue = col.cast("string")
    return text.strip() if path.suffix.lower() == ".csv" else text


def _typed_table(t: ir.Table, src: Source, path: Path) -> ir.Table:
    """The declared columns as read (for examples), plus their typed roles: ``_year`` (a 32-bit integer), ``_region``,
    ``_ind``, ``_firm`` (text), ``_v_<value>`` (float64, NaN kept as read) and, for a value read as text,
    ``_nan_<value>`` (the cell is not a number)."""
    missing = [c for c in src.columns if c not in t.columns]
    if missing:
        raise DataError(f"{path}: no column '{missing[0]}' (source '{src.name}' declares it; the file has "
                        f"{', '.join(t.columns)})")
    cols: dict[str, ir.Value] = {c: t[c] for c in src.columns}
    year = t[src.year]
    cols["_year"] = year.strip().try_cast("int32") if year.type().is_string() else year.cast("int32")
    for name, role in ((src.region, "_region"), (src.industry, "_ind"), (src.firm, "_firm")):
        if name:
            cols[role] = _code(t[name], path)
    for c in src.values:
        col = t[c]
        if col.type().is_string():
            text = col.strip()
            blank = text.upper().isin(list(MISSING_MARKERS)) | text.isnull()
            num = blank.ifelse(ibis.null("float64"), text.try_cast("float64"))
            cols[f"_v_{c}"] = num
            cols[f"_nan_{c}"] = ~blank & num.isnull()
        else:
            cols[f"_v_{c}"] = col.cast("float64")
    return t.select(**cols)


def _nan(t: ir.Table, src_types: Mapping[str, str], c: str) -> ir.BooleanValue | None:
    """Cells of value ``c`` that hold something other than a number: text that does not parse, or NaN; None when
    the column cannot hold one (integers, booleans)."""
    kind = src_types[c]
    if kind == "text":
        flag: ir.BooleanValue = t[f"_nan_{c}"]
        return flag
    if kind == "float":
        return t[f"_v_{c}"].isnan().fill_null(False)
    return None


def _flags(t: ir.Table, src: Source, types: Mapping[str, str], dup: bool) -> dict[str, ir.BooleanValue]:
    """Every kind of bad record as a flag on ``t``: ``_unknown``, ``_dup`` (when some key occurs twice),
    ``_nan_<value>`` and ``_neg_<value>``."""
    flags: dict[str, ir.BooleanValue] = {"_unknown": t._unknown}
    if dup:
        flags["_dup"] = t._dup
    for c in src.values:
        nan = _nan(t, types, c)
        if nan is not None:
            flags[f"_nan_{c}"] = nan
        flags[f"_neg_{c}"] = (t[f"_v_{c}"] < 0).fill_null(False)
    return flags


def _value_kinds(t: ir.Table, src: Source) -> dict[str, str]:
    """How each value column is stored as read: ``text``, ``float`` (may hold NaN) or ``exact`` (cannot)."""
    return {c: "text" if t[c].type().is_string() else "float" if t[c].type().is_floating() else "exact"
            for c in src.values}


def _order(src: Source) -> list[str]:
    return list(src.key) or [src.year]


def _handle(con: BaseBackend, src: Source, spec: Spec, found: Mapping[str, int], checked: ir.Table, path: Path,
            report: list[BadRecords]) -> tuple[list[str], dict[str, list[str]]]:
    """Count, exemplify (from ``checked``, the records as read) and apply the handling of every kind of bad record
    found: the flags whose records are rejected, and per value the flags that make it missing."""
    reject: list[str] = []
    nulls: dict[str, list[str]] = {}
    kinds: list[tuple[str, str, str | None, str]] = [("unknown_code", "_unknown", None, spec.handling.unknown_code)]
    if src.key:
        kinds.append(("duplicate", "_dup", ", ".join(src.key), spec.handling.duplicate))
    for c in src.values:
        kinds += [("not_a_number", f"_nan_{c}", c, spec.handling.not_a_number),
                  ("negative", f"_neg_{c}", c, spec.handling.negative)]
    for kind, flag, column, handling in kinds:
        n = found.get(flag, 0)
        if n == 0:
            continue
        with file_statistics_ignored(con):
            examples = _examples(checked, checked[flag], src.columns, _order(src))
        bad = BadRecords(src.name, kind, n, handling, column, examples)
        if handling == "error":
            raise _stop(bad, path)
        report.append(bad)
        if handling == "reject":
            reject.append(flag)
        else:
            assert column is not None  # unknown codes and duplicates are rejected or stop the build
            nulls.setdefault(column, []).append(flag)
    return reject, nulls


def _assign(t: ir.Table, src: Source, mt: Mapping[str, ir.Table]) -> ir.Table:
    """Each record's cluster ``_unit`` (null outside every cluster): its region and category, or the explicit list of
    firms, which takes precedence. Left joins on unique keys, so every record stays, once."""
    if src.via is None:
        if src.region is not None:
            c = mt["clusters"]
            t = t.left_join(c, (t._region == c._c_region) & (t._category == c._c_cat)).drop("_c_region", "_c_cat")
            t = t.rename(_unit="_c_unit")
        else:
            t = t.mutate(_unit=ibis.null("int32"), _region=ibis.null("int32"))
        if "firms" in mt and src.firm is not None:
            f = mt["firms"]
            t = t.left_join(f, t._firm == f._f_firm).drop("_f_firm")
            t = t.mutate(_unit=t._f_unit.coalesce(t._unit)).drop("_f_unit")
    return t


def _aliases(src: Source) -> dict[str, str]:
    """Declared columns that are a role column too, as cleaned (the firm as trimmed text, the year as an integer):
    stored once, under the role's name."""
    out = {src.year: "_year"}
    if src.firm:
        out[src.firm] = "_firm"
    return out


def _kept(flags: Mapping[str, ir.BooleanValue], src: Source, spec: Spec) -> ir.BooleanValue | None:
    """The records the handling keeps when no key occurs twice: none of the flags whose records are rejected."""
    h = spec.handling
    rules = {"_unknown": h.unknown_code} | {f"_nan_{c}": h.not_a_number for c in src.values} | {
        f"_neg_{c}": h.negative for c in src.values}
    rejected = [flags[f] for f, how in rules.items() if how == "reject" and f in flags]
    return ~reduce(operator.or_, rejected) if rejected else None


def _duplicated_keys(con: BaseBackend, t: ir.Table, keys: Sequence[str], name: str) -> ir.Table:
    """The keys that occur more than once, with their count ``_dupn``: one hash aggregation, whose (small) result is
    kept in the engine."""
    g = t.group_by([t[k].name(f"_dk_{i}") for i, k in enumerate(keys)]).aggregate(_dupn=ibis._.count())
    g = g.filter(reduce(operator.and_, [g._dupn > 1, *(g[f"_dk_{i}"].notnull() for i in range(len(keys)))]))
    return checkpoint(con, g, f"clusterleap_{name}_dupkeys")


def _mark_duplicates(t: ir.Table, dk: ir.Table, keys: Sequence[str]) -> ir.Table:
    """``t`` with ``_dup``: the record's key occurs more than once."""
    t = t.left_join(dk, [t[k] == dk[f"_dk_{i}"] for i, k in enumerate(keys)])
    return t.mutate(_dup=t._dupn.notnull()).drop(*(f"_dk_{i}" for i in range(len(keys))), "_dupn")


def prepare_sources(con: BaseBackend, spec: Spec, records: Path, codes: CodeLists,
                    progress: Callable[[str], None] | None = None) -> dict[str, Prepared]:
    """Read every source, check it (unknown codes, duplicated keys, negative and non-numeric values), apply the
    handling, and assign each record its cluster (``_unit``, null when the record belongs to no cluster).

    Each source is read once: one pass keeps the columns the definitions use, typed, with each record's cluster and
    the flags of unknown codes (a table in the engine, spilled to disk beyond the memory limit). Counting the bad
    records (with the range of years, in one pass), finding the keys that occur twice (one aggregation per firm when
    the key is firm and year, see :mod:`._keys`; by the whole key otherwise), handling them and every later
    aggregate read that table; only the examples of bad records go back to the records as read. The handling is a
    view on the table (no copy)."""
    labels = Labels.of(codes)
    mt = code_tables(codes, labels)
    out: dict[str, Prepared] = {}
    # sources with codes first: the ones joined 'via' them need their cleaned records
    for src in sorted(spec.sources.values(), key=lambda s: s.via is not None):
        if progress:
            progress(f"checking records of '{src.name}'")
        path = records / src.file
        raw = read_table(con, path, src.name)
        t = _typed_table(raw, src, path)
        types = _value_kinds(raw, src)
        if src.via is None:
            if src.region is not None:
                r = mt["regions"]
                t = t.left_join(r, t._region == r._r_code).drop("_r_code", "_region").rename(_region="_r_id")
            t = t.left_join(mt["industries"], t._ind == mt["industries"]._i_code).drop("_i_code")
            known = t._i_known.fill_null(False)
            if src.region is not None:
                known = known & t._r_known.fill_null(False)
            t = t.mutate(_category=t._i_cat.nullif(NONE), _universe=t._i_univ.nullif(NONE)).drop("_i_cat", "_i_univ")
        else:
            parent = out[src.via].table
            pcols = {f"_p_{b}": parent[b].cast("string") for _, b in src.via_on}
            p = parent.select(**pcols, _p_year=parent._year, _p_region=parent._region, _p_cat=parent._category,
                              _p_univ=parent._universe, _p_unit=parent._unit, _p_known=ibis.literal(True))
            preds = [_code(t[a], path) == p[f"_p_{b}"] for a, b in src.via_on] + [t._year == p._p_year]
            t = t.left_join(p, preds).drop(*pcols, "_p_year")
            known = t._p_known.fill_null(False)
            t = t.rename(_region="_p_region", _category="_p_cat", _universe="_p_univ", _unit="_p_unit")
        t = _assign(t.mutate(_unknown=~known | t._year.isnull()), src, mt)
        aliases = _aliases(src)
        kept = [c for c in ("_year", "_region", "_category", "_universe", "_unit", "_firm", "_unknown")
                if c in t.columns]
        kept += [c for c in dict.fromkeys((*src.key, *src.attributes, *(a for a, _ in src.via_on)))
                 if c not in src.values and c not in aliases]
        kept += [c for v in src.values for c in (f"_v_{v}", f"_nan_{v}") if c in t.columns]
        stored = checkpoint(con, t.select(*kept), f"clusterleap_{src.name}_records")
        nulls_read = {f"_null_{c}": stored[f"_v_{c}"].isnull() for c in src.values}
        found = _count_flags(stored, _flags(stored, src, types, False) | nulls_read,
                             _ymin=stored._year.min(), _ymax=stored._year.max())
        keys = [aliases.get(k, k) for k in src.key]
        # one aggregation per firm when the key is firm and year; the exact one by the whole key when it may not hold
        ky = key_years(con, stored, keys, (found["_ymin"], found["_ymax"]),
                       _kept(_flags(stored, src, types, False), src, spec), src.name) if keys else None
        n_dup = 0
        if keys and (ky is None or duplicates_possible(ky)):
            ky = None
            dk = _duplicated_keys(con, stored, keys, src.name)
            n_dup = int(fetch(dk.aggregate(n=dk._dupn.sum()))["n"].fillna(0).iloc[0])
            if n_dup:
                t, stored = (_mark_duplicates(x, dk, keys) for x in (t, stored))
        found["_dup"] = n_dup
        # the records as read with every flag, for the examples (a view: computed again only when there are some)
        checked = checkpoint(con, t.mutate(**_flags(t, src, types, n_dup > 0)), f"clusterleap_{src.name}_checked",
                             keep=False)
        flags = _flags(stored, src, types, n_dup > 0)
        prep = Prepared(src, path, stored, found["_rows"], labels, key_years=ky)
        reject, nulls = _handle(con, src, spec, found, checked, path, prep.bad)
        u = stored
        if reject:
            u = u.filter(~reduce(operator.or_, [flags[f] for f in reject]))
        values: dict[str, ir.Value] = {}
        uflags = _flags(u, src, types, n_dup > 0)
        for c in src.values:
            v = u[f"_v_{c}"]
            if types[c] == "float" and found.get(f"_nan_{c}", 0):
                v = u[f"_v_{c}"].isnan().ifelse(ibis.null("float64"), v)
            if c in nulls:
                v = reduce(operator.or_, [uflags[f] for f in nulls[c]]).ifelse(ibis.null("float64"), v)
            if c in nulls or found.get(f"_null_{c}", 0) or found.get(f"_nan_{c}", 0):
                prep.nullable.add(c)
            values[c] = v
        keep: dict[str, ir.Value] = {c: u[c] for c in ("_year", "_region", "_category", "_universe", "_unit",
                                                       "_firm") if c in u.columns}
        keep |= {c: u[c] for c in kept if not c.startswith("_")}
        keep |= {name: u[role] for name, role in aliases.items() if name not in src.values}
        keep |= values
        prep.table = checkpoint(con, u.select(**keep), f"clusterleap_{src.name}_assigned", keep=False)
        out[src.name] = prep
    return {name: out[name] for name in spec.sources}
