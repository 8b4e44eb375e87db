"""From assigned records to indicator values: ratios of aggregates and the regional-science measures.

The heavy part runs in the engine as Ibis expressions: one aggregation per source and window for all the ratios
that read it, one per employment column for the regional totals (region x category x year, a few thousand rows
however many records there are), two for a Herfindahl index. The arithmetic on those small tables (ratios, the
location quotient, shift-share, strong-cluster flags) is then the same code for every engine.

Measures (E = employment or another extensive column; u a cluster, r its region, k its category, all within the
category's universe when ``within: universe``):

- ``location_quotient``: (E_u / E_r) / (E_k / E), Florence (1948); U.S. Cluster Mapping's ``lq_tf``;
- ``regional_share``: E_u / E_r, the cluster's share of its region's employment (``region_emp_per_tf``);
- ``national_share``: E_u / E_k, its share of national employment in its category (``cluster_emp_per_tf``);
- ``specialisation``: Herfindahl index of the region's employment across categories, sum_k (E_rk / E_r)^2;
- ``herfindahl``: concentration of a cluster's ``of`` over the values of ``over`` (suppliers, firms), sum of
  squared shares; with ``within`` the index per group (e.g. per critical input), weighted by the group's total;
- ``shift_share``: growth of E_u from the base year b to t split as in Dunn (1960): national growth
  E_u,b (g - 0) with g = E_t / E_b - 1, industry mix E_u,b (g_k - g), competitive (regional) E_u,t - E_u,b (1 + g_k);
  the three add up to E_u,t - E_u,b (``total``); ``relative: true`` divides by E_u,b;
- ``strong_cluster``: 1 when the cluster's location quotient is among the top ``top`` share (default a quarter) of
  the regions' quotients for its category and year, in the manner of Delgado, Porter and Stern (2014, 2016), else 0.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from functools import reduce
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from ._codes import CodeLists, Labels
from ._engines import distinct, fetch, memtable
from ._records import Prepared, condition
from ._spec import Aggregate, Indicator, Spec

__all__ = ["Missing", "compute_indicators"]

N_EXAMPLES = 5
NO_RECORDS, MISSING_INPUT, ZERO_DENOMINATOR, NO_BASE = ("no records", "missing input", "zero denominator",
                                                        "no base year")


@dataclass(frozen=True)
class Missing:
    """Cluster-years an indicator has no value for, and why."""

    indicator: str
    reason: str
    count: int
    examples: tuple[tuple[str, int], ...]


def _and(*parts: ir.BooleanValue | None) -> ir.BooleanValue | None:
    kept = [p for p in parts if p is not None]
    return reduce(operator.and_, kept) if kept else None


def _window(t: ir.Table, years: Sequence[int], window: int) -> ir.Table:
    """The records that count for each output year ``_y``: the year itself, or the ``window`` years ending with it."""
    if window == 1:
        return t.filter(t._year.isin(list(years))).mutate(_y=t._year)
    y = memtable(pd.DataFrame({"_y": list(years)}))
    return t.cross_join(y).filter((ibis._._year <= ibis._._y) & (ibis._._year > ibis._._y - window))


def _aggregate(t: ir.Table, a: Aggregate, where: ir.BooleanValue | None, name: str, nullable: Set[str],
               once: str | None = None) -> dict[str, ir.Scalar]:
    """The aggregate ``a`` as ``name``, and for a sum, mean, minimum or maximum of a column that may hold missing
    values the number of them as ``{name}__na`` (a missing input makes the value missing). ``once``: a column whose
    values occur at most once in each group, whose distinct values are therefore simply counted."""
    cond = _and(where, condition(t, a.where))
    if a.column is None:
        return {name: t.count(where=cond)}
    col = t[a.column]
    if a.fn == "count":
        return {name: col.count(where=cond)}
    if a.fn == "count_distinct":
        return {name: col.count(where=cond) if a.column == once else distinct(col, cond)}
    fn: Callable[..., ir.Scalar] = getattr(col, a.fn)
    out = {name: fn(where=cond)}
    if a.column in nullable:
        out[f"{name}__na"] = col.isnull().ifelse(1, 0).sum(where=cond)
    return out


def _fetch(expr: ir.Table, index: list[str], labels: Labels) -> pd.DataFrame:
    """Run an aggregate; its grouping columns as codes (region, category, universe, cluster) and years."""
    df: pd.DataFrame = labels.decode(fetch(expr))
    for c in index:
        if c in ("_y", "_year"):
            df[c] = df[c].astype("int64")
        else:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def _examples(mask: pd.Series) -> tuple[tuple[str, int], ...]:
    return tuple((str(u), int(y)) for u, y in mask.index[mask.to_numpy()][:N_EXAMPLES])


class _Result:
    """Values and reasons for missing values of every indicator, on the cluster x year index."""

    def __init__(self, index: pd.MultiIndex) -> None:
        self.index = index
        self.values: dict[str, pd.Series] = {}
        self.reasons: dict[str, pd.Series] = {}

    def put(self, code: str, values: pd.Series, reasons: pd.Series) -> None:
        v = values.reindex(self.index).astype("float64")
        r = reasons.reindex(self.index).fillna("")
        r = r.where(v.isna() | (r == ""), "")
        r = r.where(~(v.isna() & (r == "")), NO_RECORDS)
        self.values[code] = v
        self.reasons[code] = r

    def missing(self) -> list[Missing]:
        out = []
        for code, r in self.reasons.items():
            for reason in (MISSING_INPUT, ZERO_DENOMINATOR, NO_RECORDS, NO_BASE):
                mask = r == reason
                if mask.any():
                    out.append(Missing(code, reason, int(mask.sum()), _examples(mask)))
        return out


def _reasons(index: pd.Index, *rules: tuple[Any, str]) -> pd.Series:
    """The first reason whose mask holds, per row."""
    out = pd.Series("", index=index, dtype=object)
    for mask, reason in reversed(rules):
        m = np.asarray(mask, dtype=bool)
        out[m] = reason
    return out


# ------------------------------------------------------------------------------------------------------------ ratios


def _once_a_year(prep: Prepared, window: int) -> str | None:
    """The column that, with the year, is the source's key: after the checks (a duplicated key is rejected or stops
    the build) each of its values occurs at most once in a cluster-year, so its distinct count is a count."""
    key, year = prep.source.key, prep.source.year
    return None if window != 1 or len(key) != 2 or year not in key else key[0] if key[1] == year else key[1]


def _ratios(res: _Result, inds: Sequence[Indicator], prep: Prepared, years: Sequence[int], window: int) -> None:
    t = prep.table.filter(prep.table._unit.notnull())
    w = _window(t, years, window)
    once = _once_a_year(prep, window)
    aggs: dict[str, ir.Scalar] = {"__rows": w.count()}
    alias: dict[str, str] = {}
    names: dict[str, str] = {}  # one aggregate per distinct definition, however many indicators use it
    for i, ind in enumerate(inds):
        assert ind.numerator is not None
        for role, agg in (("n", ind.numerator), ("d", ind.denominator)):
            if agg is None:
                continue
            same = repr((agg, ind.where))
            if same not in names:
                names[same] = f"a{len(names)}"
                aggs |= _aggregate(w, agg, condition(w, ind.where), names[same], prep.nullable, once)
            alias[f"{role}{i}"] = names[same]
    df = _fetch(w.group_by(["_unit", "_y"]).aggregate(**aggs), ["_unit", "_y"], prep.labels)
    df = df.set_index(["_unit", "_y"]).reindex(res.index)
    no_rows = df["__rows"].isna()

    def part(part_name: str, agg: Aggregate) -> tuple[pd.Series, pd.Series]:
        name = alias[part_name]
        v = df[name].astype("float64")
        if agg.fn in ("sum", "count", "count_distinct"):
            v = v.fillna(0.0)
        na = df[f"{name}__na"].fillna(0) > 0 if f"{name}__na" in df else pd.Series(False, index=df.index)
        return v, na

    for i, ind in enumerate(inds):
        assert ind.numerator is not None
        num, num_na = part(f"n{i}", ind.numerator)
        if ind.denominator is None:
            value = num.where(~num_na) * ind.scale
            reasons = _reasons(df.index, (num_na, MISSING_INPUT))
        else:
            den, den_na = part(f"d{i}", ind.denominator)
            na = num_na | den_na
            zero = (den == 0) & ~na
            value = (num / den.where(den != 0)).where(~na) * ind.scale
            reasons = _reasons(df.index, (na, MISSING_INPUT), (zero & no_rows, NO_RECORDS), (zero, ZERO_DENOMINATOR))
        res.put(ind.code, value, reasons)


# ------------------------------------------------------------------------------------------------ regional totals


@dataclass
class _Totals:
    """Regional totals of one column: per region x category x universe x year (``cells``), per cluster-year
    (``units``), and the national totals per category x universe x year (``national``); each with ``e`` (the sum)
    and ``na`` (how many missing values went into it)."""

    cells: pd.DataFrame
    units: pd.DataFrame
    national: pd.DataFrame


def _sum_na(t: ir.Table, col: str, nullable: Set[str]) -> dict[str, ir.Scalar]:
    """The sum of ``col``, the rows and, when ``col`` may hold missing values, how many went into the sum (``na``;
    :func:`_totals` fills 0 otherwise)."""
    out = {"e": t[col].sum(), "n": t.count()}
    if col in nullable:
        out["na"] = t[col].isnull().ifelse(1, 0).sum()
    return out


def _totals(prep: Prepared, national: Prepared | None, col: str, where: Sequence[Any], years: Sequence[int]
            ) -> _Totals:
    t = prep.table
    t = t.filter(_and(t._year.isin(list(years)), condition(t, where)))
    keys = ["_region", "_category", "_universe", "_year"]
    # one pass: by region x category x universe x year and cluster (a few thousand rows), then summed in pandas
    both = _fetch(t.group_by([*keys, "_unit"]).aggregate(**_sum_na(t, col, prep.nullable)), [*keys, "_unit"],
                  prep.labels)
    both["na"] = both.get("na", 0)
    cells = both.groupby(keys, dropna=False, as_index=False)[["e", "na", "n"]].sum(min_count=1)
    units = both[both._unit.notna()].groupby(["_unit", "_year"], as_index=False)[["e", "na", "n"]].sum(min_count=1)
    if national is not None:
        n = national.table.filter(national.table._year.isin(list(years)))
        ncol = col if col in national.source.values else national.source.values[0]
        nat = _fetch(n.group_by(keys[1:]).aggregate(**_sum_na(n, ncol, national.nullable)), keys[1:],
                     prep.labels)
        nat["na"] = nat.get("na", 0)
    else:
        nat = cells.groupby(keys[1:], dropna=False, as_index=False)[["e", "na", "n"]].sum()
    for df in (cells, units, nat):
        df["e"] = df["e"].astype("float64").fillna(0.0)
        df["na"] = df["na"].fillna(0).astype("int64")
        if "_universe" in df:
            df["_universe"] = df["_universe"].fillna("")
    return _Totals(cells, units, nat)


def _lookup(frame: pd.DataFrame, totals: pd.DataFrame, keys: list[str], prefix: str) -> pd.DataFrame:
    """Sum ``totals`` by ``keys`` and attach them to ``frame`` as ``{prefix}e`` and ``{prefix}na``."""
    g = totals.groupby(keys, dropna=False, as_index=False)[["e", "na"]].sum()
    g = g.rename(columns={"e": f"{prefix}e", "na": f"{prefix}na"})
    out = frame.merge(g, on=keys, how="left")
    out[f"{prefix}e"] = out[f"{prefix}e"].fillna(0.0)
    out[f"{prefix}na"] = out[f"{prefix}na"].fillna(0)
    return out


def _frame(res: _Result, codes: CodeLists, tot: _Totals, within: bool, shift: int = 0) -> pd.DataFrame:
    """One row per cluster-year with E_u, E_r, E_rk, E_k, E (suffix ``e``) and their missing counts (``na``)."""
    cl = codes.clusters.set_index("cluster")
    univ = codes.industries[codes.industries.category != ""].groupby("category").universe.first()
    f = res.index.to_frame(index=False)
    f.columns = pd.Index(["_unit", "_year"])
    f["_year"] = f["_year"] - shift
    f["_region"] = f["_unit"].map(cl.region)
    f["_category"] = f["_unit"].map(cl.category)
    f["_universe"] = f["_category"].map(univ).fillna("") if within else ""
    cells = tot.cells if within else tot.cells.assign(_universe="")
    nat = tot.national if within else tot.national.assign(_universe="")
    f = _lookup(f, tot.units, ["_unit", "_year"], "u_")
    f = _lookup(f, cells, ["_region", "_universe", "_year"], "r_")
    f = _lookup(f, cells, ["_region", "_category", "_year"], "rk_")
    f = _lookup(f, nat, ["_category", "_year"], "k_")
    f = _lookup(f, nat, ["_universe", "_year"], "n_")
    f.index = res.index
    return f


def _na(f: pd.DataFrame, *parts: str) -> pd.Series:
    return reduce(operator.or_, [f[f"{p}na"] > 0 for p in parts])


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    return a / b.where(b != 0)


def _lq(f: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    na = _na(f, "u_", "r_", "k_", "n_")
    zero = (f.r_e == 0) | (f.k_e == 0) | (f.n_e == 0)
    value = _div(_div(f.u_e, f.r_e), _div(f.k_e, f.n_e)).where(~na)
    return value, _reasons(f.index, (na, MISSING_INPUT), (zero, ZERO_DENOMINATOR))


def _regional(res: _Result, ind: Indicator, prepared: Mapping[str, Prepared], codes: CodeLists,
              years: Sequence[int], cache: dict[tuple[Any, ...], Any]) -> None:
    p = ind.params
    within = p.get("within") == "universe"
    nat = prepared[p["national"]] if "national" in p else None
    base = int(p.get("base", 0))
    need = sorted(set(years) | {y - base for y in years})
    key = (ind.source, p["of"], ind.where, tuple(need), p.get("national"))
    if key not in cache:
        cache[key] = _totals(prepared[ind.source], nat, p["of"], ind.where, need)
    tot: _Totals = cache[key]

    def frame(shift: int) -> pd.DataFrame:
        if (key, within, shift) not in cache:
            cache[(key, within, shift)] = _frame(res, codes, tot, within, shift)
        out: pd.DataFrame = cache[(key, within, shift)]
        return out

    f = frame(0)
    m = ind.measure
    if m == "location_quotient":
        value, reasons = _lq(f)
    elif m == "regional_share":
        na = _na(f, "u_", "r_")
        value, reasons = _div(f.u_e, f.r_e).where(~na), _reasons(f.index, (na, MISSING_INPUT),
                                                                 (f.r_e == 0, ZERO_DENOMINATOR))
    elif m == "national_share":
        na = _na(f, "u_", "k_")
        value, reasons = _div(f.u_e, f.k_e).where(~na), _reasons(f.index, (na, MISSING_INPUT),
                                                                 (f.k_e == 0, ZERO_DENOMINATOR))
    elif m == "specialisation":
        value, reasons = _specialisation(f, tot, within)
    elif m == "strong_cluster":
        lq, reasons = _lq(f)
        value = _strong(lq, f, tot, float(p["top"]), len(codes.regions), within)
    else:
        b = frame(base)
        value, reasons = _shift_share(f, b, str(p["component"]), bool(p["relative"]),
                                      [y - base for y in res.index.get_level_values(1)], tot)
    res.put(ind.code, value * (ind.scale if m != "strong_cluster" else 1.0), reasons)


def _specialisation(f: pd.DataFrame, tot: _Totals, within: bool) -> tuple[pd.Series, pd.Series]:
    cells = tot.cells[tot.cells._category.notna()]
    if not within:
        cells = cells.assign(_universe="")
    g = cells.groupby(["_region", "_universe", "_category", "_year"], as_index=False)[["e", "na"]].sum()
    g["r"] = g.groupby(["_region", "_universe", "_year"]).e.transform("sum")
    g["sq"] = (g.e / g.r.where(g.r != 0)) ** 2
    h = g.groupby(["_region", "_universe", "_year"], as_index=False).agg(h=("sq", "sum"), na=("na", "sum"),
                                                                        r=("e", "sum"))
    out = f[["_region", "_universe", "_year"]].merge(h, on=["_region", "_universe", "_year"], how="left")
    out.index = f.index
    na = out.na.fillna(0) > 0
    zero = out.r.fillna(0) == 0
    return out.h.where(~na & ~zero), _reasons(f.index, (na, MISSING_INPUT), (zero, ZERO_DENOMINATOR))


def _strong(lq: pd.Series, f: pd.DataFrame, tot: _Totals, top: float, regions: int, within: bool) -> pd.Series:
    """1 where the cluster's quotient reaches the top ``top`` share of all regions' quotients for its category and
    year (regions without employment in the category count, with 0), else 0; missing where the quotient is."""
    cells = tot.cells if within else tot.cells.assign(_universe="")
    region_total = cells.groupby(["_region", "_universe", "_year"]).e.sum()  # every industry, as in the quotient
    cells = cells[cells._category.notna()]
    rk = cells.groupby(["_region", "_universe", "_category", "_year"], as_index=False).e.sum()
    r = pd.Series(region_total.reindex(pd.MultiIndex.from_arrays([rk._region, rk._universe, rk._year])).to_numpy(),
                  index=rk.index)
    k = tot.national if within else tot.national.assign(_universe="")
    kk = k.groupby(["_category", "_year"]).e.sum()
    nn = k.groupby(["_universe", "_year"]).e.sum()
    share_k = kk.reindex(pd.MultiIndex.from_arrays([rk._category, rk._year])).to_numpy()
    share_n = nn.reindex(pd.MultiIndex.from_arrays([rk._universe, rk._year])).to_numpy()
    rk["lq"] = (rk.e / r.where(r != 0)) / (share_k / np.where(share_n != 0, share_n, np.nan))
    rk["lq"] = rk["lq"].fillna(0.0)
    n_top = max(1, int(np.ceil(top * regions - 1e-9)))

    def threshold(g: pd.Series) -> float:
        values = np.sort(np.concatenate([g.to_numpy(), np.zeros(max(0, regions - len(g)))]))[::-1]
        return float(values[n_top - 1])

    cut = rk.groupby(["_category", "_year"]).lq.apply(threshold)
    at = cut.reindex(pd.MultiIndex.from_arrays([f._category.to_numpy(), f._year.to_numpy()])).to_numpy()
    strong = (lq.to_numpy() >= at - 1e-12 * np.abs(at)) & (lq.to_numpy() > 0)
    return pd.Series(np.where(lq.isna(), np.nan, strong.astype("float64")), index=lq.index)


def _shift_share(f: pd.DataFrame, b: pd.DataFrame, component: str, relative: bool, base_years: list[int],
                 tot: _Totals) -> tuple[pd.Series, pd.Series]:
    present = set(tot.cells._year.unique()) | set(tot.national._year.unique())
    no_base = pd.Series([y not in present for y in base_years], index=f.index)
    na = _na(f, "u_", "k_", "n_") | _na(b, "u_", "k_", "n_")
    zero = (b.k_e == 0) | (b.n_e == 0)
    g = _div(f.n_e, b.n_e) - 1
    gk = _div(f.k_e, b.k_e) - 1
    parts = {"national": b.u_e * g, "mix": b.u_e * (gk - g), "competitive": f.u_e - b.u_e * (1 + gk),
             "total": f.u_e - b.u_e}
    value = parts[component]
    reasons = [(no_base, NO_BASE), (na, MISSING_INPUT), (zero, ZERO_DENOMINATOR)]
    if relative:
        value = _div(value, b.u_e)
        reasons.append((b.u_e == 0, ZERO_DENOMINATOR))
    return value.where(~na & ~no_base), _reasons(f.index, *reasons)


# --------------------------------------------------------------------------------------------------------- herfindahl


def _herfindahl(res: _Result, ind: Indicator, prep: Prepared, years: Sequence[int]) -> None:
    p = ind.params
    t = prep.table.filter(prep.table._unit.notnull())
    w = _window(t, years, ind.window)
    cond = condition(w, ind.where)
    if cond is not None:
        w = w.filter(cond)
    groups = ["_unit", "_y", *([p["within"]] if "within" in p else [])]
    g1 = w.group_by([*groups, p["over"]]).aggregate(s=w[p["of"]].sum(),
                                                    na=w[p["of"]].isnull().ifelse(1, 0).sum())
    g2 = g1.group_by(groups).aggregate(tot=g1.s.sum(), sq=(g1.s * g1.s).sum(), na=g1.na.sum())
    df = _fetch(g2, ["_unit", "_y"], prep.labels)
    df["tot"] = df["tot"].astype("float64").fillna(0.0)
    df["part"] = _div(df.sq.astype("float64"), df.tot)  # sum of s^2 / T = HHI x T: the T-weighted mean's numerator
    agg = df.groupby(["_unit", "_y"]).agg(part=("part", lambda s: s.sum(min_count=1)), tot=("tot", "sum"),
                                          na=("na", "sum"))
    agg = agg.reindex(res.index)
    na = agg.na.fillna(0) > 0
    zero = (agg.tot == 0) & ~na
    value = _div(agg.part, agg.tot).where(~na) * ind.scale
    res.put(ind.code, value, _reasons(res.index, (na, MISSING_INPUT), (zero, ZERO_DENOMINATOR)))


def compute_indicators(spec: Spec, prepared: Mapping[str, Prepared], codes: CodeLists, years: Sequence[int],
                       progress: Callable[[str], None] | None = None) -> tuple[pd.DataFrame, list[Missing]]:
    """Every indicator of ``spec`` for every cluster and output year: a frame indexed by (unit, year) with one
    column per indicator, and the missing values by indicator and reason."""
    units = list(codes.clusters.cluster)
    index = pd.MultiIndex.from_product([units, list(years)], names=["unit", "year"])
    res = _Result(index)
    cache: dict[tuple[Any, ...], Any] = {}
    batches: dict[tuple[str, int], list[Indicator]] = {}
    for ind in spec.indicators:
        if ind.measure == "ratio":
            batches.setdefault((ind.source, ind.window), []).append(ind)
    for (source, window), inds in batches.items():
        if progress:
            progress(f"aggregating {len(inds)} indicator(s) of '{source}'"
                     f"{f' over {window}-year windows' if window > 1 else ''}")
        _ratios(res, inds, prepared[source], years, window)
    for ind in spec.indicators:
        if ind.measure == "ratio":
            continue
        if progress:
            progress(f"computing {ind.code} ({ind.measure.replace('_', ' ')})")
        if ind.measure == "herfindahl":
            _herfindahl(res, ind, prepared[ind.source], years)
        else:
            _regional(res, ind, prepared, codes, years, cache)
    table = pd.DataFrame({ind.code: res.values[ind.code] for ind in spec.indicators}, index=index)
    return table, res.missing()
