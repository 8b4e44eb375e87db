"""The membership tables: code lists of regions and industries, the clusters and the optional explicit list of
firms, read and checked in pandas (they are small), and the small integers that stand for their codes in the
engine's tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd

from ..errors import DataError
from ._engines import memtable
from ._spec import Spec

__all__ = ["NONE", "CodeLists", "Labels", "code_tables", "read_code_lists"]


@dataclass(frozen=True)
class CodeLists:
    """The membership tables, small enough for pandas: regions, industries (with category and universe), clusters
    (cluster, region, category, name) and the optional explicit firm list (firm, cluster)."""

    regions: pd.DataFrame
    industries: pd.DataFrame
    clusters: pd.DataFrame
    firms: pd.DataFrame | None
    files: tuple[Path, ...]


def _read_small_csv(path: Path, required: Sequence[str], what: str) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: file not found ({what})")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"{path}: no column '{missing[0]}' ({what}; expected columns {', '.join(required)}, found "
                        f"{', '.join(df.columns)})")
    for col in df.columns:
        df[col] = df[col].str.strip()
    return df


def _unique(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    dup = df.duplicated(cols, keep=False)
    if dup.any():
        rows = [int(i) + 2 for i in df.index[dup][:2]]
        raise DataError(f"{path} rows {rows[0]} and {rows[1]}: duplicated {', '.join(cols)} "
                        f"{', '.join(df.loc[df.index[dup][0], cols])}")


def read_code_lists(spec: Spec, records: Path) -> CodeLists:
    """Read and check the code lists and cluster tables named by ``spec.membership`` (paths relative to the
    records folder)."""
    m = spec.membership
    rpath, ipath = records / m.regions, records / m.industries
    regions = _read_small_csv(rpath, ["region"], "the list of region codes")
    _unique(regions, ["region"], rpath)
    industries = _read_small_csv(ipath, ["industry", "category"], "industry codes and their cluster category")
    _unique(industries, ["industry"], ipath)
    if "universe" not in industries.columns:
        industries["universe"] = ""
    cats = industries[industries.category != ""].groupby("category").universe.nunique()
    if (cats > 1).any():
        raise DataError(f"{ipath}: category '{cats.index[cats > 1][0]}' has industries in more than one universe "
                        "(a category belongs to one universe, e.g. traded or local)")
    files = [rpath, ipath]
    if m.clusters is not None:
        cpath = records / m.clusters
        clusters = _read_small_csv(cpath, ["cluster", "region", "category"], "the clusters")
        _unique(clusters, ["cluster"], cpath)
        _unique(clusters, ["region", "category"], cpath)
        for col, known, what in (("region", regions.region, "region"), ("category", industries.category, "category")):
            bad = ~clusters[col].isin(set(known))
            if bad.any():
                i = clusters.index[bad][0]
                raise DataError(f"{cpath} row {i + 2}, column \"{col}\": unknown {what} '{clusters.loc[i, col]}' "
                                f"(expected a code of {rpath if col == 'region' else ipath})")
        files.append(cpath)
    else:
        template = m.each or "{region}-{category}"
        categories = sorted(c for c in industries.category.unique() if c)
        clusters = pd.DataFrame([(template.format(region=r, category=c), r, c) for r in regions.region
                                 for c in categories], columns=["cluster", "region", "category"])
    if "name" not in clusters.columns:
        clusters["name"] = clusters["cluster"]
    clusters["name"] = clusters["name"].where(clusters["name"] != "", clusters["cluster"])
    firms = None
    if m.firms is not None:
        fpath = records / m.firms
        firms = _read_small_csv(fpath, ["firm", "cluster"], "the explicit list of firms and their clusters")
        _unique(firms, ["firm"], fpath)
        bad = ~firms.cluster.isin(set(clusters.cluster))
        if bad.any():
            i = firms.index[bad][0]
            raise DataError(f"{fpath} row {i + 2}, column \"cluster\": unknown cluster '{firms.loc[i, 'cluster']}'")
        files.append(fpath)
    return CodeLists(regions=regions, industries=industries, clusters=clusters.reset_index(drop=True),
                     firms=firms, files=tuple(files))


#: The integer that stands for no category or universe in the code lists sent to the engine (made null there).
NONE = -1


@dataclass(frozen=True)
class Labels:
    """The codes behind the small integers that stand for regions, categories, universes and clusters in the
    engine's tables (the position in each tuple): four integer columns instead of four text columns per record,
    a third less memory and faster grouping. Aggregates are decoded back to the codes when fetched."""

    region: tuple[str, ...]
    category: tuple[str, ...]
    universe: tuple[str, ...]
    unit: tuple[str, ...]

    @classmethod
    def of(cls, codes: CodeLists) -> Labels:
        ind = codes.industries
        return cls(tuple(codes.regions.region.astype(str)), tuple(sorted(c for c in ind.category.unique() if c)),
                   tuple(sorted(u for u in ind.universe.unique() if u)), tuple(codes.clusters.cluster))

    def ids(self, role: str, values: pd.Series) -> pd.Series:
        """The integer of each code of ``role`` (``region``, ``category``, ``universe``, ``unit``); -1 for none (a
        plain integer column travels to every engine alike; :data:`NONE` marks it)."""
        index = {code: i for i, code in enumerate(getattr(self, role))}
        return values.map(index).fillna(NONE).astype("int32")

    def decode(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with its columns ``_region, _category, _universe, _unit`` as codes (None where null)."""
        for col in ("_region", "_category", "_universe", "_unit"):
            if col in df:
                names = dict(enumerate(getattr(self, col[1:])))
                df[col] = df[col].map(lambda v, n=names: None if v is None or v != v else n[int(v)]).astype(object)
        return df


def code_tables(codes: CodeLists, labels: Labels) -> dict[str, ir.Table]:
    """The code lists as small tables the engine joins records with, codes replaced by their integers."""
    ind = codes.industries
    i32 = "int32"
    out = {
        "regions": memtable(pd.DataFrame({"_r_code": codes.regions.region.astype(str),
                                          "_r_id": labels.ids("region", codes.regions.region.astype(str)),
                                          "_r_known": True}),
                            schema={"_r_code": "string", "_r_id": i32, "_r_known": "boolean"}),
        "industries": memtable(pd.DataFrame({"_i_code": ind.industry.astype(str),
                                             "_i_cat": labels.ids("category", ind.category),
                                             "_i_univ": labels.ids("universe", ind.universe), "_i_known": True}),
                               schema={"_i_code": "string", "_i_cat": i32, "_i_univ": i32, "_i_known": "boolean"}),
        "clusters": memtable(pd.DataFrame({"_c_region": labels.ids("region", codes.clusters.region),
                                           "_c_cat": labels.ids("category", codes.clusters.category),
                                           "_c_unit": labels.ids("unit", codes.clusters.cluster)}),
                             schema={"_c_region": i32, "_c_cat": i32, "_c_unit": i32}),
    }
    if codes.firms is not None:
        out["firms"] = memtable(pd.DataFrame({"_f_firm": codes.firms.firm,
                                              "_f_unit": labels.ids("unit", codes.firms.cluster)}),
                                schema={"_f_firm": "string", "_f_unit": i32})
    return out
