"""Build a data set of indicators from records: read, check, assign, aggregate, and write it with its provenance
and a coverage report, all or nothing."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from .._files import write_atomic_dir
from .._tables import write_tables
from ..errors import DataError
from ._codes import CodeLists, read_code_lists
from ._engines import connect, distinct, engine_version, fetch, release
from ._keys import firms_in_years
from ._load import load_spec
from ._measures import Missing, compute_indicators
from ._records import BadRecords, Prepared, prepare_sources
from ._spec import Spec

__all__ = ["OUTPUT_FILES", "Build", "Coverage", "SourceCoverage", "build_indicators", "file_sha256"]

#: What ``Build.write`` puts in the output folder (the table is ``indicators.csv`` or ``indicators.parquet``).
OUTPUT_FILES = ("indicators.csv", "indicators.parquet", "provenance.json", "coverage.json", "coverage.txt")


@dataclass(frozen=True)
class SourceCoverage:
    """How many records of a source were read and used, and how many of them (and of its firms) fall in a cluster."""

    source: str
    file: str
    rows_read: int
    rows_used: int
    records_in_clusters: int
    records_outside: int
    firms_in_clusters: int | None = None
    firms_outside: int | None = None


@dataclass(frozen=True)
class Coverage:
    """Records matched and unmatched to clusters, records rejected (and why), indicators with missing values."""

    sources: tuple[SourceCoverage, ...]
    bad: tuple[BadRecords, ...]
    missing: tuple[Missing, ...]
    units: int
    years: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"units": self.units, "years": list(self.years),
                "sources": [asdict(s) for s in self.sources],
                "bad_records": [asdict(b) | {"examples": [dict(e) for e in b.examples]} for b in self.bad],
                "missing_values": [asdict(m) | {"examples": [list(e) for e in m.examples]} for m in self.missing]}

    def text(self) -> str:
        """The report as a reader wants it: one paragraph per part, counts first, then examples."""
        lines = [f"Coverage: {self.units} clusters x {len(self.years)} years ({self.years[0]}-{self.years[-1]})"
                 if self.years else f"Coverage: {self.units} clusters, no years", "", "Records"]
        for s in self.sources:
            firms = (f"; firms: {s.firms_in_clusters:,} in clusters, {s.firms_outside:,} outside"
                     if s.firms_in_clusters is not None else "")
            lines.append(f"  {s.source} ({s.file}): {s.rows_read:,} read, {s.rows_used:,} used; in the output years "
                         f"{s.records_in_clusters:,} in clusters, {s.records_outside:,} outside any cluster{firms}")
        lines += ["", "Bad records"]
        if not self.bad:
            lines.append("  none")
        for b in self.bad:
            lines.append(f"  {b.describe()}")
            for ex in b.examples:
                lines.append("      e.g. " + ", ".join(f"{k}={v}" for k, v in ex.items()))
        lines += ["", "Missing values"]
        if not self.missing:
            lines.append("  none: every indicator has a value for every cluster and year")
        for m in self.missing:
            shown = ", ".join(f"{u} {y}" for u, y in m.examples)
            lines.append(f"  {m.indicator}: {m.count} cluster-year(s), {m.reason} (e.g. {shown})")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Build:
    """The indicator table (one row per cluster and year: ``unit, name, year`` and the indicators, the project's
    wide layout), its coverage report and provenance."""

    table: pd.DataFrame
    coverage: Coverage
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def write(self, out: str | Path, fmt: str = "csv") -> Path:
        """Write ``indicators.<fmt>``, ``provenance.json``, ``coverage.json`` and ``coverage.txt`` into ``out``, all
        or nothing."""
        if fmt not in ("csv", "parquet"):
            raise DataError(f"unknown format '{fmt}' (expected csv or parquet)")

        def write(tmp: Path) -> None:
            write_tables(tmp, {"indicators": self.table.set_index("unit")}, fmt)
            (tmp / "provenance.json").write_text(json.dumps(self.provenance, indent=2, default=str) + "\n",
                                                 encoding="utf-8")
            (tmp / "coverage.json").write_text(json.dumps(self.coverage.to_dict(), indent=2, default=str) + "\n",
                                               encoding="utf-8")
            (tmp / "coverage.txt").write_text(self.coverage.text(), encoding="utf-8")

        return write_atomic_dir(out, write)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (their names and hashes, in order)."""
    if path.is_dir():
        h = hashlib.sha256()
        for p in sorted(path.rglob("*")):
            if p.is_file():
                h.update(f"{p.relative_to(path)}\0{file_sha256(p)}\n".encode())
        return h.hexdigest()
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _years(spec: Spec, prepared: Mapping[str, Prepared]) -> tuple[int, ...]:
    if spec.years is not None:
        return tuple(range(spec.years[0], spec.years[1] + 1))
    found: set[int] = set()
    for p in prepared.values():
        if not p.source.national:
            found |= {int(y) for y in fetch(p.table.select("_year").distinct())["_year"].dropna()}
    return tuple(sorted(found))


def _source_coverage(p: Prepared, years: Sequence[int]) -> SourceCoverage:
    """Records used, and in the output years inside and outside every cluster (and their firms): one pass over the
    records, the firms counted from the per-firm years when the checks kept them (one row per firm, not per record)."""
    t = p.table
    in_years = t._year.isin(list(years))
    inside, outside = in_years & t._unit.notnull(), in_years & t._unit.isnull()
    aggs: dict[str, Any] = {"used": t.count(), "inside": t.count(where=inside), "outside": t.count(where=outside)}
    ky = p.key_years if p.key_years is not None and p.key_years.firms else None
    if "_firm" in t.columns and ky is None:
        aggs |= {"fin": distinct(t._firm, inside), "fout": distinct(t._firm, outside)}
    row = fetch(t.aggregate(**aggs)).iloc[0]

    def n(name: str) -> int:
        v = row[name]
        return 0 if v is None or v != v else int(v)

    firms: tuple[int | None, int | None] = (None, None)
    if ky is not None:
        firms = firms_in_years(ky, years)
    elif "_firm" in t.columns:
        firms = (n("fin"), n("fout"))
    return SourceCoverage(p.source.name, p.source.file, p.rows_read, n("used"), n("inside"), n("outside"), *firms)


def build_indicators(spec: Spec | str | Path, records: str | Path, engine: str = "duckdb", *,
                     session: Any = None, master: str | None = None, memory_limit: str | None = None,
                     threads: int | None = None, work: str | Path | None = None,
                     spark_config: dict[str, str] | None = None,
                     progress: Callable[[str], None] | None = None) -> Build:
    """Compute every indicator of ``spec`` from the records in the folder ``records`` on ``engine`` (``duckdb`` or
    ``spark``; ``session`` an existing SparkSession, else one for ``master``, a Spark master URL, with the Spark
    properties ``spark_config``, e.g. ``{"spark.executor.memory": "8g"}``). DuckDB spills what does not fit
    in ``memory_limit`` into a temporary folder under ``work`` (default: the system's temporary folder), removed at
    the end."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    records = Path(records)
    if not records.is_dir():
        raise DataError(f"{records}: not a folder (expected the folder of record files the definitions name)")
    say = progress or (lambda _msg: None)
    say("reading code lists")
    codes: CodeLists = read_code_lists(spec, records)
    # the inputs' hashes, for the provenance, computed beside the engine's work (hashlib lets go of the GIL)
    with ThreadPoolExecutor(max_workers=1) as hasher, \
            tempfile.TemporaryDirectory(prefix="clusterleap-build-", dir=work) as tmp:
        hashes = {s.name: hasher.submit(file_sha256, records / s.file) for s in spec.sources.values()
                  if (records / s.file).exists()}
        say(f"connecting to {engine}")
        con = connect(engine, session=session, master=master, memory_limit=memory_limit, threads=threads,
                      temp_directory=tmp, spark_config=spark_config)
        try:
            prepared = prepare_sources(con, spec, records, codes, say)
            years = _years(spec, prepared)
            if not years:
                raise DataError(f"{records}: the records hold no year (and the definitions set no 'years')")
            values, missing = compute_indicators(spec, prepared, codes, years, say)
            say("coverage and provenance")
            cover = tuple(_source_coverage(p, years) for p in prepared.values() if not p.source.national)
        finally:
            release(con)
    zero = [m for m in missing if m.reason == "zero denominator"]
    if zero and spec.handling.zero_denominator == "error":
        m = zero[0]
        raise DataError(f"{spec.path}, indicator {m.indicator}: a denominator of zero for {m.count} cluster-year(s) "
                        f"(on_bad.zero_denominator: error), e.g. {' '.join(map(str, m.examples[0]))}")
    bad = tuple(b for p in prepared.values() for b in p.bad)
    names = codes.clusters.set_index("cluster")["name"]
    table = values.reset_index()
    table.insert(1, "name", table["unit"].map(names))
    coverage = Coverage(cover, bad, tuple(missing), len(codes.clusters), tuple(years))
    rows_used = {c.source: c.rows_used for c in cover}
    provenance: dict[str, Any] = {
        "clusterleap": version("clusterleap"),
        "engine": engine_version(con),
        "ibis": ibis.__version__,
        "spec": {"file": str(spec.path), "name": spec.name, "sha256": spec.sha256},
        "records": str(records.resolve()),
        "inputs": [{"source": p.source.name, "file": p.source.file, "sha256": hashes[p.source.name].result(),
                    "rows_read": p.rows_read, "rows_used": rows_used.get(p.source.name)}
                   for p in prepared.values()],
        "code_lists": [{"file": str(f.relative_to(records)), "sha256": file_sha256(f)} for f in codes.files],
        "units": len(codes.clusters), "years": list(years), "indicators": list(spec.codes),
        "bad_records": sum(b.count for b in bad),
    }
    return Build(table, coverage, provenance)
