"""Indicator commands: from enterprise records to a data set of cluster indicators.

- ``clusterleap indicators build --spec S --records DIR [--engine duckdb|spark] --out OUT`` computes every
  indicator the definitions file names and writes ``indicators.csv`` (or ``.parquet``), ``provenance.json``,
  ``coverage.json`` and ``coverage.txt`` into OUT, all or nothing;
- ``clusterleap indicators synth --out DIR`` writes invented, seeded records to try it on.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ..errors import DataError
from .app import app, console, err_console, guarded, sub_app

indicators_app = sub_app("Indicators from enterprise records.\n\nDefinitions as data, computed on DuckDB or Spark.")
app.add_typer(indicators_app, name="indicators")

#: What ``build`` writes into --out (the table is indicators.csv or indicators.parquet).
OUTPUT_FILES = ("indicators.csv", "indicators.parquet", "provenance.json", "coverage.json", "coverage.txt")
SYNTH_FILES = ("regions.csv", "industries.csv", "clusters.csv", "firms.parquet", "patents.parquet",
               "purchases.parquet")


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class TableFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


def _refuse_overwrite(out: Path, names: tuple[str, ...], force: bool) -> None:
    """Never replace earlier outputs unasked."""
    present = [n for n in names if (out / n).exists()]
    if present and not force:
        raise DataError(f"{out / present[0]}: exists (give --force to replace the outputs in {out})")


def _spark_config(pairs: list[str]) -> dict[str, str]:
    """``--spark-conf KEY=VALUE`` options as Spark properties."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DataError(f"--spark-conf {pair!r}: expected KEY=VALUE, e.g. spark.executor.memory=8g")
        out[key.strip()] = value.strip()
    return out


@indicators_app.command("build")
@guarded
def build_cmd(
    spec: Annotated[Path, typer.Option("--spec", "-s", help="Indicator definitions (YAML, see docs/indicators.md).")],
    records: Annotated[Path, typer.Option("--records", "-r", help="Folder of the record files the definitions name.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for indicators.csv, provenance.json, coverage.*")],
    engine: Annotated[Engine, typer.Option(help="duckdb (embedded) or spark.")] = Engine.duckdb,
    format: Annotated[TableFormat, typer.Option("--format", help="The indicator table as csv or parquet.")] = (
        TableFormat.csv),
    master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*]), e.g. spark://host:7077."
                                               )] = None,
    memory_limit: Annotated[str | None, typer.Option(help="DuckDB memory limit, e.g. 4GB (beyond it DuckDB spills "
                                                     "to disk).")] = None,
    spark_conf: Annotated[list[str] | None, typer.Option(
        "--spark-conf", metavar="KEY=VALUE",
        help="A Spark property KEY=VALUE, e.g. spark.executor.memory=8g (repeatable).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace earlier outputs in --out.")] = False,
) -> None:
    """Compute cluster indicators from enterprise records.

    Writes the data set with its provenance and a coverage report."""
    import clusterleap.indicators as records_api  # heavy: pandas and the record engines, not needed for --help

    definitions = records_api.load_spec(spec)
    spark_config = _spark_config(spark_conf or [])
    if spark_config and engine is not Engine.spark:
        raise DataError("--spark-conf sets Spark properties: it needs --engine spark")
    _refuse_overwrite(out, OUTPUT_FILES, force)
    try:
        build_indicators = records_api.build_indicators
    except ImportError as exc:
        raise DataError(str(exc)) from None
    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        result = build_indicators(definitions, records, engine.value, master=master, memory_limit=memory_limit,
                                  spark_config=spark_config, progress=lambda msg: bar.update(task, description=msg))
    result.write(out, format.value)
    cov = result.coverage
    n_bad = sum(b.count for b in cov.bad)
    n_missing = sum(m.count for m in cov.missing)
    console.print(f"{cov.units} clusters x {len(cov.years)} years x {len(definitions.indicators)} indicators "
                  f"({engine.value}); {n_bad:,} bad record(s), {n_missing:,} missing value(s): see {out}/coverage.txt")
    for b in cov.bad:
        console.print(f"  {b.describe()}")
    console.print(f"wrote {out}/indicators.{format.value}, provenance.json, coverage.json, coverage.txt")


@indicators_app.command("synth")
@guarded
def synth_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the invented records.")],
    firms: Annotated[int, typer.Option(help="Number of firms (rows: firms x years).")] = 2000,
    first_year: Annotated[int, typer.Option(help="First year.")] = 2019,
    last_year: Annotated[int, typer.Option(help="Last year.")] = 2024,
    clusters: Annotated[int, typer.Option(help="Number of clusters.")] = 60,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same records).")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace earlier records in --out.")] = False,
) -> None:
    """Write invented enterprise records to try definitions on.

    Seeded firms, patents, purchases and code lists; nothing in them describes a real firm or place."""
    from ..indicators import synthesize, write_synthetic  # heavy: pandas and pyarrow, not needed for --help

    if firms < 1 or last_year < first_year or clusters < 1:
        raise DataError("--firms and --clusters must be >= 1 and --last-year >= --first-year")
    _refuse_overwrite(out, SYNTH_FILES, force)
    recs = synthesize(firms, (first_year, last_year), n_clusters=clusters, seed=seed)
    write_synthetic(out, recs)
    console.print(f"wrote {out}/: {len(recs.firms):,} firm-years, {len(recs.patents):,} patent rows, "
                  f"{len(recs.purchases):,} purchases, {len(recs.clusters)} clusters (invented records)")
