"""Read an indicator-definitions file into a :class:`~._spec.Spec`, validating every part, with errors that name the
file, the line and the key path (e.g. ``spec.yaml line 31, indicators.rd_intensity.numerator: unknown aggregate
'summ'``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .._files import read_yaml
from ..errors import IndicatorSpecError
from ._spec import (
    AGGREGATES,
    HANDLING,
    MEASURES,
    OPERATORS,
    SHIFT_SHARE_COMPONENTS,
    Aggregate,
    Condition,
    Handling,
    Indicator,
    Membership,
    Source,
    Spec,
)

__all__ = ["load_spec"]

_TOP = {"name", "description", "years", "membership", "sources", "on_bad", "indicators"}
_MEMBERSHIP = {"regions", "industries", "clusters", "each", "firms"}
_SOURCE = {"file", "key", "year", "region", "industry", "firm", "values", "attributes", "via", "national"}
_INDICATOR = {"measure", "source", "where", "window", "scale", "name", "numerator", "denominator", "of", "over",
              "within", "national", "base", "component", "relative", "top"}

# ----------------------------------------------------------------------------------------------------- line numbers


def _lines(text: str) -> dict[tuple[str, ...], int]:
    """Line (1-based) of every key path in a YAML document, e.g. ``("indicators", "rd_intensity", "numerator")``."""
    out: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        out.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, str(k.value))
                out[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, str(i)))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return out


class _Ctx:
    """Builds messages that name the file, the nearest line and the key path."""

    def __init__(self, path: Path, lines: Mapping[tuple[str, ...], int]) -> None:
        self.path = path
        self.lines = lines

    def err(self, keys: tuple[str, ...], message: str) -> IndicatorSpecError:
        probe = keys
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        at = f" line {line}" if line else ""
        where = ".".join(keys)
        return IndicatorSpecError(f"{self.path}{at}{', ' + where if where else ''}: {message}")

    def mapping(self, value: Any, keys: tuple[str, ...], allowed: set[str] | frozenset[str], what: str
                ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.err(keys, f"expected a mapping ({what}), found {type(value).__name__}")
        unknown = sorted(str(k) for k in value if str(k) not in allowed)
        if unknown:
            raise self.err((*keys, unknown[0]), f"unknown key '{unknown[0]}' (expected one of "
                                                 f"{', '.join(sorted(allowed))})")
        return value

    def text(self, value: Any, keys: tuple[str, ...], what: str) -> str:
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
            raise self.err(keys, f"expected {what}, found {value!r}")
        return str(value)

    def names(self, value: Any, keys: tuple[str, ...], what: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.err(keys, f"expected {what} (a name or a list of names), found {value!r}")
        return tuple(self.text(v, (*keys, str(i)), what) for i, v in enumerate(items))


# ----------------------------------------------------------------------------------------------------------- parts


def _conditions(ctx: _Ctx, value: Any, keys: tuple[str, ...]) -> tuple[Condition, ...]:
    """``{column: value}`` (equality) or ``{column: {op: value, ...}}``."""
    if value is None:
        return ()
    doc = ctx.mapping(value, keys, {str(k) for k in value} if isinstance(value, Mapping) else set(),
                      "column: value or column: {op: value}")
    out: list[Condition] = []
    for col, cond in doc.items():
        ck = (*keys, str(col))
        if isinstance(cond, Mapping):
            for op, v in cond.items():
                if op not in OPERATORS:
                    raise ctx.err((*ck, str(op)), f"unknown operator '{op}' (expected one of {', '.join(OPERATORS)})")
                if op in ("in", "not_in") and not isinstance(v, list):
                    raise ctx.err((*ck, str(op)), f"'{op}' takes a list of values, found {v!r}")
                out.append(Condition(str(col), str(op), tuple(v) if isinstance(v, list) else v))
        elif isinstance(cond, list):
            out.append(Condition(str(col), "in", tuple(cond)))
        else:
            out.append(Condition(str(col), "eq", cond))
    return tuple(out)


def _aggregate(ctx: _Ctx, value: Any, keys: tuple[str, ...]) -> Aggregate:
    """``{sum: column}``, ``{count: rows}``, ``{count_distinct: firm}``, ... with an optional ``where``."""
    if not isinstance(value, Mapping):
        raise ctx.err(keys, f"expected an aggregate such as {{sum: revenue}} or {{count: rows}}, found {value!r}")
    fns = [k for k in value if k != "where"]
    if len(fns) != 1 or fns[0] not in AGGREGATES:
        bad = next((k for k in fns if k not in AGGREGATES), None)
        detail = f"unknown aggregate '{bad}'" if bad is not None else "exactly one aggregate is needed"
        raise ctx.err(keys, f"{detail} (expected one of {', '.join(AGGREGATES)})")
    fn = str(fns[0])
    col = value[fn]
    rows = fn == "count" and col in (True, "rows", None)
    column = None if rows else ctx.text(col, (*keys, fn), "a column name")
    return Aggregate(fn, column, _conditions(ctx, value.get("where"), (*keys, "where")))


def _source(ctx: _Ctx, name: str, value: Any) -> Source:
    keys = ("sources", name)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ctx.err(keys, f"a source name is letters, digits and '_' (starting with a letter), found {name!r}")
    doc = ctx.mapping(value, keys, _SOURCE, "a record table")
    if "file" not in doc:
        raise ctx.err(keys, "no 'file' (the table's Parquet or CSV file, relative to the records folder)")
    file = ctx.text(doc["file"], (*keys, "file"), "a file name")
    if Path(file).suffix.lower() not in (".parquet", ".csv") and not file.endswith("/"):
        raise ctx.err((*keys, "file"), f"'{file}' is neither .parquet nor .csv (nor a folder of Parquet files, "
                                       "written with a trailing '/')")
    national = bool(doc.get("national", False))
    year = ctx.text(doc.get("year", "year"), (*keys, "year"), "a column name")
    via = doc.get("via")
    via_name: str | None = None
    via_on: tuple[tuple[str, str], ...] = ()
    if via is not None:
        vdoc = ctx.mapping(via if isinstance(via, Mapping) else {"source": via}, (*keys, "via"), {"source", "match"},
                           "source: NAME, match: {this_column: its_column}")
        via_name = ctx.text(vdoc.get("source"), (*keys, "via", "source"), "the name of another source")
        on = vdoc.get("match", {"firm": "firm"})
        if not isinstance(on, Mapping) or not on:
            raise ctx.err((*keys, "via", "match"), "expected a mapping {this_column: that_source's_column}")
        via_on = tuple((str(a), str(b)) for a, b in on.items())
    region = doc.get("region", None if via is not None or national else "region")
    industry = doc.get("industry", None if via is not None else "industry")
    if national and (industry is None or via is not None):
        raise ctx.err(keys, "a national source needs an 'industry' column (and no 'via')")
    if via is None and not national and (region is None or industry is None):
        raise ctx.err(keys, "a source needs 'region' and 'industry' columns, or 'via' another source")
    key = ctx.names(doc.get("key", []), (*keys, "key"), "the columns that identify a record") if "key" in doc else ()
    if not key and not national:
        raise ctx.err(keys, "no 'key' (the columns that identify one record, e.g. [firm, year]; "
                            "duplicated keys are bad records)")
    values = ctx.names(doc["values"], (*keys, "values"), "numeric columns") if "values" in doc else ()
    attributes = ctx.names(doc["attributes"], (*keys, "attributes"), "column names") if "attributes" in doc else ()
    return Source(name=name, file=file, key=key, year=year,
                  region=ctx.text(region, (*keys, "region"), "a column name") if region is not None else None,
                  industry=ctx.text(industry, (*keys, "industry"), "a column name") if industry is not None else None,
                  firm=ctx.text(doc["firm"], (*keys, "firm"), "a column name") if "firm" in doc else None,
                  values=values, attributes=attributes, via=via_name, via_on=via_on, national=national)


def _positive_int(ctx: _Ctx, value: Any, keys: tuple[str, ...], what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ctx.err(keys, f"expected {what} (a whole number >= 1), found {value!r}")
    return value


def _indicator(ctx: _Ctx, code: str, value: Any, sources: Mapping[str, Source]) -> Indicator:
    keys = ("indicators", code)
    doc = ctx.mapping(value, keys, _INDICATOR, "an indicator definition")
    measure = str(doc.get("measure", "ratio"))
    if measure not in MEASURES:
        raise ctx.err((*keys, "measure"), f"unknown measure '{measure}' (expected one of {', '.join(MEASURES)})")
    allowed = MEASURES[measure] | {"measure", "source", "where", "window", "scale", "name"}
    extra = sorted(k for k in doc if k not in allowed)
    if extra:
        raise ctx.err((*keys, extra[0]), f"'{extra[0]}' does not apply to measure '{measure}' (it takes "
                                          f"{', '.join(sorted(MEASURES[measure]))})")
    src = ctx.text(doc.get("source"), (*keys, "source"), "the name of a source")
    if src not in sources or sources[src].national:
        raise ctx.err((*keys, "source"), f"unknown source '{src}' (expected one of "
                                          f"{', '.join(n for n, s in sources.items() if not s.national)})")
    window = _positive_int(ctx, doc.get("window", 1), (*keys, "window"), "a number of years")
    scale = doc.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, int | float):
        raise ctx.err((*keys, "scale"), f"expected a number, found {scale!r}")
    params: dict[str, Any] = {}
    numerator = denominator = None
    if measure == "ratio":
        if "numerator" not in doc:
            raise ctx.err(keys, "a ratio needs a 'numerator' (and optionally a 'denominator')")
        numerator = _aggregate(ctx, doc["numerator"], (*keys, "numerator"))
        if doc.get("denominator") is not None:
            denominator = _aggregate(ctx, doc["denominator"], (*keys, "denominator"))
    else:
        params["of"] = ctx.text(doc.get("of"), (*keys, "of"), "the column to measure (e.g. employment)")
        for opt in ("over", "within"):
            if opt in doc:
                params[opt] = ctx.text(doc[opt], (*keys, opt), "a column name")
        if measure == "herfindahl" and "over" not in params:
            raise ctx.err(keys, "herfindahl needs 'over' (the column whose shares are squared, e.g. supplier)")
        if measure != "herfindahl" and params.get("within", "universe") != "universe":
            raise ctx.err((*keys, "within"), f"'within' takes 'universe' for {measure} (totals within the "
                                               "category's universe), found {params['within']!r}")
        if "national" in doc:
            nat = ctx.text(doc["national"], (*keys, "national"), "the name of a national source")
            if nat not in sources or not sources[nat].national:
                raise ctx.err((*keys, "national"), f"'{nat}' is not a source marked national: true")
            params["national"] = nat
        if measure == "shift_share":
            params["base"] = _positive_int(ctx, doc.get("base", 1), (*keys, "base"), "years back to the base year")
            comp = doc.get("component", "competitive")
            if comp not in SHIFT_SHARE_COMPONENTS:
                raise ctx.err((*keys, "component"), f"unknown component {comp!r} (expected one of "
                                                      f"{', '.join(SHIFT_SHARE_COMPONENTS)})")
            params["component"] = comp
            params["relative"] = bool(doc.get("relative", False))
        if measure == "strong_cluster":
            top = doc.get("top", 0.25)
            if isinstance(top, bool) or not isinstance(top, int | float) or not 0 < top <= 1:
                raise ctx.err((*keys, "top"), f"expected a share of regions in (0, 1], found {top!r}")
            params["top"] = float(top)
        if window != 1 and measure != "herfindahl":
            raise ctx.err((*keys, "window"), f"'{measure}' is measured in the year itself (window: 1)")
    return Indicator(code=code, measure=measure, source=src, line=ctx.lines.get(keys, 0),
                     where=_conditions(ctx, doc.get("where"), (*keys, "where")), window=window, scale=float(scale),
                     name=str(doc["name"]) if doc.get("name") else None, numerator=numerator,
                     denominator=denominator, params=params)


def _check_columns(ctx: _Ctx, ind: Indicator, sources: Mapping[str, Source]) -> None:
    """Every column an indicator uses is declared in its source (so a typo is caught before reading records)."""
    src = sources[ind.source]
    known = set(src.columns)
    used: list[tuple[tuple[str, ...], str]] = [(("where", c.column), c.column) for c in ind.where]
    for part, agg in (("numerator", ind.numerator), ("denominator", ind.denominator)):
        if agg is not None:
            if agg.column is not None:
                used.append(((part, agg.fn), agg.column))
            used += [((part, "where", c.column), c.column) for c in agg.where]
    for p in ("of", "over"):
        if p in ind.params:
            used.append(((p,), ind.params[p]))
    if "within" in ind.params and ind.measure == "herfindahl":
        used.append((("within",), ind.params["within"]))
    for keys, col in used:
        if col not in known:
            raise ctx.err(("indicators", ind.code, *keys),
                          f"column '{col}' is not declared in source '{src.name}' (declared: {', '.join(sorted(known))}"
                          "; numeric columns go under 'values', flags and other columns under 'attributes')")
    numeric = {a.column for a in (ind.numerator, ind.denominator) if a and a.fn in ("sum", "mean", "min", "max")}
    numeric |= {ind.params["of"]} if "of" in ind.params else set()
    for col in sorted(c for c in numeric if c):
        if col not in src.values:
            raise ctx.err(("indicators", ind.code), f"column '{col}' is aggregated as a number but is not among "
                                                     f"source '{src.name}' values ({', '.join(src.values) or 'none'})")


def load_spec(path: str | Path) -> Spec:
    """Read and validate an indicator-definitions file (see docs/indicators.md)."""
    path = Path(path)
    doc = read_yaml(path, IndicatorSpecError)
    raw = path.read_bytes()
    ctx = _Ctx(path, _lines(raw.decode("utf-8")))
    doc = ctx.mapping(doc, (), _TOP, "name, membership, sources, indicators")
    for required in ("membership", "sources", "indicators"):
        if required not in doc:
            raise ctx.err((), f"no '{required}' section")
    mdoc = ctx.mapping(doc["membership"], ("membership",), _MEMBERSHIP, "regions, industries, clusters or each")
    for required in ("regions", "industries"):
        if required not in mdoc:
            raise ctx.err(("membership",), f"no '{required}' (the code list file, relative to the records folder)")
    if ("clusters" in mdoc) == ("each" in mdoc):
        raise ctx.err(("membership",), "give either 'clusters' (a file of cluster, region, category) or 'each' "
                                       "(a code template such as \"{region}-{category}\"), not both or neither")
    each = mdoc.get("each")
    if each is not None and ("{region}" not in str(each) or "{category}" not in str(each)):
        raise ctx.err(("membership", "each"), f"the template must hold {{region}} and {{category}}, found {each!r}")
    membership = Membership(
        regions=ctx.text(mdoc["regions"], ("membership", "regions"), "a file name"),
        industries=ctx.text(mdoc["industries"], ("membership", "industries"), "a file name"),
        clusters=ctx.text(mdoc["clusters"], ("membership", "clusters"), "a file name") if "clusters" in mdoc else None,
        each=str(each) if each is not None else None,
        firms=ctx.text(mdoc["firms"], ("membership", "firms"), "a file name") if "firms" in mdoc else None,
    )
    sdoc = doc["sources"]
    if not isinstance(sdoc, Mapping) or not sdoc:
        raise ctx.err(("sources",), "expected a mapping of source names to record tables")
    sources = {str(n): _source(ctx, str(n), v) for n, v in sdoc.items()}
    for s in sources.values():
        if s.via is not None:
            parent = sources.get(s.via)
            if parent is None or parent.via is not None or parent.national:
                raise ctx.err(("sources", s.name, "via"), f"'{s.via}' is not a source with region and industry "
                                                          "columns")
            want = tuple(sorted([*(b for _, b in s.via_on), parent.year]))
            if tuple(sorted(parent.key)) != want:
                raise ctx.err(("sources", s.name, "via"), f"'{s.via}' must be keyed by the joined columns and its "
                                                          f"year ({', '.join(want)}), its key is "
                                                          f"{', '.join(parent.key)}")
        if membership.firms is not None and s.firm is None and not s.national and s.via is None:
            raise ctx.err(("sources", s.name), "membership.firms lists firms: every source with codes needs a 'firm' "
                                               "column (a source 'via' another takes its firms' clusters)")
    hdoc = ctx.mapping(doc.get("on_bad") or {}, ("on_bad",), set(HANDLING), "what to do with bad records")
    handling: dict[str, str] = {}
    for kind, choice in hdoc.items():
        if choice not in HANDLING[kind]:
            raise ctx.err(("on_bad", kind), f"unknown handling {choice!r} (expected one of "
                                             f"{', '.join(HANDLING[kind])})")
        handling[kind] = str(choice)
    idoc = doc["indicators"]
    if not isinstance(idoc, Mapping) or not idoc:
        raise ctx.err(("indicators",), "expected a mapping of indicator codes to definitions")
    indicators = tuple(_indicator(ctx, str(c), v, sources) for c, v in idoc.items())
    for ind in indicators:
        _check_columns(ctx, ind, sources)
    years = doc.get("years")
    span: tuple[int, int] | None = None
    if years is not None:
        if (not isinstance(years, list) or len(years) != 2 or not all(isinstance(y, int) for y in years)
                or years[0] > years[1]):
            raise ctx.err(("years",), f"expected [first, last] output years, found {years!r}")
        span = (int(years[0]), int(years[1]))
    return Spec(path=path, name=str(doc.get("name") or path.stem), sha256=hashlib.sha256(raw).hexdigest(),
                membership=membership, sources=sources, indicators=indicators, handling=Handling(**handling),
                years=span, description=str(doc.get("description") or ""))
