"""The engines the definitions run on, through Ibis: DuckDB embedded (the default: reads Parquet and CSV in place,
spills to disk when the data outgrow memory) and PySpark (local mode on one machine, or a cluster by its master URL).

Only this module knows which engine it talks to; everything else builds engine-neutral Ibis expressions.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from ..errors import DataError

__all__ = ["ENGINES", "checkpoint", "connect", "distinct", "engine_version", "fetch", "file_statistics_ignored",
           "memtable", "read_table", "release", "spark_session"]

ENGINES = ("duckdb", "spark")


def spark_session(master: str = "local[*]", *, shuffle_partitions: int | None = None,
                  config: dict[str, str] | None = None) -> Any:
    """A SparkSession for ``master`` (``local[2]``, ``spark://host:7077``, ``yarn``, ...), its UI and console
    progress off; a session that already exists in the process is reused (Spark allows one per process)."""
    from pyspark.sql import SparkSession  # pyspark is an optional extra: imported only when Spark is asked for

    builder = (SparkSession.builder.master(master).appName("clusterleap indicators")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC"))
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def connect(engine: str = "duckdb", *, session: Any = None, master: str | None = None,
            memory_limit: str | None = None, threads: int | None = None, temp_directory: str | Path | None = None,
            spark_config: dict[str, str] | None = None) -> BaseBackend:
    """An Ibis connection: ``duckdb`` (in memory, optionally with a ``memory_limit`` such as ``"2GB"`` beyond which
    DuckDB spills to ``temp_directory``, and a number of ``threads``) or ``spark`` (the given ``session``, else one
    for ``master``, default ``local[*]``, with the Spark properties ``spark_config``).

    DuckDB is told that the order of rows does not matter (``preserve_insertion_order``: every result here is an
    aggregate or sorted), which lets it write and scan tables in parallel without holding rows back to keep them in
    order."""
    if engine == "duckdb":
        config: dict[str, Any] = {"preserve_insertion_order": False}
        if temp_directory is not None:
            config["temp_directory"] = str(temp_directory)
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        return ibis.duckdb.connect(**config)
    if engine == "spark":
        try:
            return ibis.pyspark.connect(session if session is not None else spark_session(master or "local[*]",
                                                                                       config=spark_config))
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise DataError(f"engine spark: pyspark is not installed ({exc}); install clusterleap[spark]") from None
    raise DataError(f"unknown engine '{engine}' (expected one of {', '.join(ENGINES)})")


def engine_version(con: BaseBackend) -> str:
    """The engine's name and version, for provenance."""
    return f"{con.name} {con.version}"


def read_table(con: BaseBackend, path: Path, name: str) -> ir.Table:
    """A file (``.parquet`` or ``.csv``) or a folder of Parquet files as a table, read in place. CSV cells are read
    as text on both engines (so that codes keep their spelling and non-numbers can be reported, not guessed at)."""
    if not path.exists():
        raise DataError(f"{path}: file not found (source '{name}')")
    with quiet():
        return _read(con, path, f"clusterleap_{name}")


def _read(con: BaseBackend, path: Path, table_name: str) -> ir.Table:
    if path.is_dir():
        target = str(path / "*.parquet") if con.name == "duckdb" else str(path)
        return con.read_parquet(target, table_name=table_name)
    if path.suffix.lower() == ".parquet":
        return con.read_parquet(str(path), table_name=table_name)
    if con.name == "duckdb":
        return con.read_csv(str(path), table_name=table_name, all_varchar=True)
    return con.read_csv(str(path), table_name=table_name, inferSchema=False)


@contextmanager
def file_statistics_ignored(con: BaseBackend) -> Iterator[None]:
    """Queries on records as read, without the engine trusting the statistics a file carries. Parquet writers leave
    NaN out of a column's minimum and maximum, and DuckDB then folds a test for NaN to false: the records a count
    found by NaN (on the table in the engine, whose statistics are its own) would have no examples."""
    if con.name != "duckdb":
        yield
        return
    con.raw_sql("SET disabled_optimizers = 'statistics_propagation'")
    try:
        yield
    finally:
        con.raw_sql("RESET disabled_optimizers")


def distinct(col: ir.Column, where: ir.BooleanValue | None = None) -> ir.IntegerScalar:
    """The number of distinct values of ``col`` among the rows where ``where`` holds: written as the distinct count
    of a value that is null where ``where`` does not hold, rather than a filtered distinct count. Both mean the same;
    DuckDB inserts every row's value into the distinct set before it applies a filter (seconds and hundreds of MB
    per aggregate on ten million rows), and skips nulls at once."""
    if where is None:
        return col.nunique()
    return where.ifelse(col, ibis.null(col.type())).nunique()


def fetch(expr: ir.Expr) -> pd.DataFrame:
    """Execute an expression into a pandas DataFrame, without the libraries' own deprecation chatter (Ibis on a
    newer pandas or DuckDB) reaching the user."""
    with quiet():
        out: pd.DataFrame = expr.to_pandas()
    return out


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the deprecation warnings Ibis raises on newer pandas and DuckDB (they are not the user's to fix)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="ibis")
        warnings.filterwarnings("ignore", category=FutureWarning, module="ibis")
        warnings.filterwarnings("ignore", message=".*infer_string.*")
        yield


def memtable(df: pd.DataFrame, schema: dict[str, str] | None = None) -> ir.Table:
    """A small in-memory table (code lists, output years) that any engine can join with."""
    with quiet():
        return ibis.memtable(df, schema=schema)


def checkpoint(con: BaseBackend, expr: ir.Table, name: str, *, keep: bool = True) -> ir.Table:
    """Give an expression a name in the engine, so that later queries start from that name (and compile fast) instead
    of repeating every join before it. With ``keep`` the result is computed once and kept (DuckDB: a temporary
    table, spilled to the temp folder beyond the memory limit; Spark: a DataFrame persisted in memory and on disk);
    without, it is a view the engine recomputes, streaming, for each query. :func:`release` drops them."""
    with quiet():
        con._run_pre_execute_hooks(expr)  # registers the in-memory code lists with the engine
        sql = con.compile(expr)
        if con.name == "duckdb":
            kind = "TABLE" if keep else "VIEW"
            con.raw_sql(f'CREATE OR REPLACE TEMP {kind} "{name}" AS {sql}')
        else:
            frame = con._session.sql(sql)
            if keep:
                frame = frame.persist()
                _persisted.setdefault(id(con), []).append(frame)
            frame.createOrReplaceTempView(name)
        _named.setdefault(id(con), []).append((name, keep))
        out: ir.Table = con.table(name)
    return out


_persisted: dict[int, list[Any]] = {}
_named: dict[int, list[tuple[str, bool]]] = {}


def release(con: BaseBackend) -> None:
    """Drop what :func:`checkpoint` named (views first, then tables) and unpersist Spark's DataFrames."""
    with quiet():
        for name, keep in reversed(_named.pop(id(con), [])):
            if con.name == "duckdb":
                con.raw_sql(f'DROP {"TABLE" if keep else "VIEW"} IF EXISTS "{name}"')
            else:
                con._session.catalog.dropTempView(name)
        for frame in _persisted.pop(id(con), []):
            frame.unpersist()
