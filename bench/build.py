"""Benchmark: indicators from 10 million firm-year rows (synthetic records, 300 clusters x 6 years, the world-class
pool's record-based definitions of docs/examples/records/spec.yaml: 24 indicators).

DuckDB (through Ibis, `clusterleap.indicators.build_indicators`, 2 threads, a memory limit of 1.5 GB beyond which it
spills to disk) against the baseline, in the same run: pandas reading the same Parquet files and computing the same
definitions with merges and groupbys. Each runs in a fresh process, so its wall time, CPU time and peak memory (the
whole process's peak RSS, DuckDB included, read from /proc by the process) are its own; then Spark local mode (time
only: its memory is the JVM's). The aim: DuckDB under 10 s and 2 GB on 2 cores. On a shared machine the wall time
depends on the load (printed before and after); the CPU time much less.

Run: .venv/bin/python bench/build.py [--rows 10000000] [--no-spark] [--memory-limit 1.5GB|none] [--keep DIR]
(--keep writes the synthetic records into DIR once and reads them from there in later runs)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DOC_SPEC = ROOT / "docs" / "examples" / "records" / "spec.yaml"
YEARS = (2019, 2024)
N_CLUSTERS = 300
#: the measures the pandas baseline does not reimplement are left out of the benchmark's definitions
LEFT_OUT = ("employment_specialisation", "employment_growth_competitive", "strong_cluster")


def bench_spec(folder: Path) -> Path:
    """The docs' definitions over all six years, without the three measures the baseline leaves out."""
    import yaml

    doc = yaml.safe_load(DOC_SPEC.read_text(encoding="utf-8"))
    doc["years"] = list(YEARS)
    for code in LEFT_OUT:
        del doc["indicators"][code]
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ the pandas baseline


def pandas_build(spec_path: Path, records: Path) -> pd.DataFrame:
    """The definitions the plain way: read every table whole, merge the clusters in, one groupby per indicator."""
    from clusterleap.indicators import load_spec

    spec = load_spec(spec_path)
    years = list(range(YEARS[0], YEARS[1] + 1))
    ind = pd.read_csv(records / "industries.csv", dtype=str, keep_default_na=False)
    ind["category"] = ind["category"].replace("", np.nan)
    clusters = pd.read_csv(records / "clusters.csv", dtype=str)
    firms = pd.read_parquet(records / "firms.parquet").merge(ind, on="industry", how="left")
    firms = firms.merge(clusters[["cluster", "region", "category"]], on=["region", "category"], how="left")
    key = firms[["firm", "year", "cluster"]]
    tables = {"firms": firms,
              "patents": pd.read_parquet(records / "patents.parquet").merge(key, on=["firm", "year"], how="left"),
              "purchases": pd.read_parquet(records / "purchases.parquet").merge(
                  key.rename(columns={"firm": "buyer"}), on=["buyer", "year"], how="left")}
    index = pd.MultiIndex.from_product([list(clusters.cluster), years], names=["cluster", "year"])
    out = pd.DataFrame(index=index)

    def mask(df: pd.DataFrame, conds: tuple) -> pd.Series:  # type: ignore[type-arg]
        m = pd.Series(True, index=df.index)
        for c in conds:
            m &= df[c.column] == c.value
        return m

    def agg(df: pd.DataFrame, a: object, base: pd.Series) -> pd.Series:
        m = base & mask(df, a.where)  # type: ignore[attr-defined]
        sub = df[m]
        g = sub.groupby(["cluster", "_y"])
        if a.column is None:  # type: ignore[attr-defined]
            s = g.size()
        elif a.fn == "count_distinct":  # type: ignore[attr-defined]
            s = g[a.column].nunique()  # type: ignore[attr-defined]
        else:
            s = getattr(g[a.column], a.fn)()  # type: ignore[attr-defined]
        return s.astype(float).reindex(index).fillna(0.0)

    for code, i in ((i.code, i) for i in spec.indicators):
        df = tables[i.source]
        df = df[df.cluster.notna()]
        if i.window > 1:
            df = pd.concat([df[(df.year > y - i.window) & (df.year <= y)].assign(_y=y) for y in years])
        else:
            df = df[df.year.isin(years)].assign(_y=df.year)
        base = mask(df, i.where)
        if i.measure == "ratio":
            num = agg(df, i.numerator, base)
            if i.denominator is not None:
                den = agg(df, i.denominator, base)
                out[code] = num / den.where(den != 0) * i.scale
            else:
                out[code] = num * i.scale
        elif i.measure == "herfindahl":
            sub = df[base]
            s = sub.groupby(["cluster", "_y", i.params["within"], i.params["over"]])[i.params["of"]].sum()
            per = s.groupby(level=[0, 1, 2]).agg(["sum", lambda v: (v * v).sum()])
            per.columns = ["tot", "sq"]
            w = (per.sq / per.tot).groupby(level=[0, 1]).sum() / per.tot.groupby(level=[0, 1]).sum()
            out[code] = w.reindex(index) * i.scale
        elif i.measure == "location_quotient":
            all_firms = tables["firms"]
            all_firms = all_firms[all_firms.year.isin(years)]
            of = i.params["of"]
            e_r = all_firms.groupby(["region", "year"])[of].sum()
            e_k = all_firms.groupby(["category", "year"])[of].sum()
            e_n = all_firms.groupby("year")[of].sum()
            e_u = df.groupby(["cluster", "_y"])[of].sum().reindex(index).fillna(0.0)
            cl = clusters.set_index("cluster")
            reg = cl.region.reindex(index.get_level_values(0)).to_numpy()
            cat = cl.category.reindex(index.get_level_values(0)).to_numpy()
            yr = index.get_level_values(1).to_numpy()
            er = e_r.reindex(pd.MultiIndex.from_arrays([reg, yr])).to_numpy()
            ek = e_k.reindex(pd.MultiIndex.from_arrays([cat, yr])).to_numpy()
            en = e_n.reindex(yr).to_numpy()
            out[code] = (e_u.to_numpy() / er) / (ek / en)
    return out


# ----------------------------------------------------------------------------------------------- child processes


def peak_rss_mib() -> float:
    """The process's peak resident set (VmHWM), DuckDB's memory included. Read in the process itself: the maximum
    RSS that wait4 reports for a child also holds the memory of the parent it was forked from (Linux carries the
    old address space's high-water mark over an exec), here the records the parent synthesised."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - not Linux


def child(engine: str, spec: Path, records: Path, result: Path, memory_limit: str | None) -> None:
    """Build in this process and print its wall and CPU seconds (every thread of the process, from the start of the
    build; Spark: the driver's Python only, the JVM is another process) and its peak memory."""
    if engine == "pandas":
        t0, c0 = time.perf_counter(), os.times()
        table = pandas_build(spec, records).reset_index().rename(columns={"cluster": "unit"})
    else:
        from clusterleap.indicators import build_indicators, spark_session

        session = None
        if engine == "spark":
            session = spark_session("local[2]", shuffle_partitions=8, config={"spark.driver.memory": "6g"})
        t0, c0 = time.perf_counter(), os.times()  # Spark: without the JVM's start-up
        build = build_indicators(spec, records, engine, session=session, memory_limit=memory_limit, threads=2)
        table = build.table.drop(columns="name")
    wall, c1 = time.perf_counter() - t0, os.times()
    table.to_parquet(result)
    print(json.dumps({"wall": wall, "cpu": c1.user + c1.system - c0.user - c0.system, "peak": peak_rss_mib()}))


def run_child(engine: str, spec: Path, records: Path, out: Path, memory_limit: str | None
              ) -> tuple[float, float, float]:
    """Run one engine in a fresh process: (wall seconds, CPU seconds, peak RSS in MiB), as the child measured them,
    and print the load average (1 minute) before and after it. CPU time says what the wall time would be on an idle
    machine with one core; the wall time depends on the load."""
    load0 = os.getloadavg()[0]
    args = [sys.executable, __file__, "--child", engine, "--spec", str(spec), "--records", str(records),
            "--result", str(out), "--memory-limit", memory_limit or "none"]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed (status {proc.returncode}): {proc.stdout}{proc.stderr[-2000:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  ({engine}: load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after)")
    return float(got["wall"]), float(got["cpu"]), float(got["peak"])


def max_rel_diff(a: Path, b: Path) -> float:
    x = pd.read_parquet(a).set_index(["unit", "year"]).sort_index()
    y = pd.read_parquet(b).set_index(["unit", "year"]).sort_index()[x.columns]
    xa, ya = x.to_numpy(float), y.to_numpy(float)
    if not (np.isnan(xa) == np.isnan(ya)).all():
        return float("inf")
    ok = ~np.isnan(xa) & (ya != 0)
    return float(np.max(np.abs(xa[ok] / ya[ok] - 1))) if ok.any() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="firm-year rows (firms x 6 years)")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--memory-limit", default="1.5GB",
                        help="DuckDB memory limit (default 1.5GB; 'none': DuckDB's default, 80%% of the RAM)")
    parser.add_argument("--keep", type=Path, help="folder for the synthetic records, reused when present")
    parser.add_argument("--child", choices=["duckdb", "spark", "pandas"])
    parser.add_argument("--spec", type=Path)
    parser.add_argument("--records", type=Path)
    parser.add_argument("--result", type=Path)
    a = parser.parse_args()
    if a.memory_limit.lower() == "none":
        a.memory_limit = None
    if a.child:
        child(a.child, a.spec, a.records, a.result, a.memory_limit)
        return

    from clusterleap.indicators import load_spec, synthesize, write_synthetic

    n_years = YEARS[1] - YEARS[0] + 1
    with tempfile.TemporaryDirectory(prefix="clusterleap-bench-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        records = a.keep if a.keep is not None else tmp / "records"
        if not (records / "firms.parquet").exists():
            recs = synthesize(-(-a.rows // n_years), YEARS, n_regions=60, n_categories=40, n_clusters=N_CLUSTERS,
                              buyer_share=0.1, purchases_per_buyer=3, seed=1)
            write_synthetic(records, recs)
            del recs
        sizes = [pq.ParquetFile(records / f"{n}.parquet").metadata.num_rows for n in ("firms", "patents", "purchases")]
        spec = bench_spec(tmp)
        print(f"synthetic records: {sizes[0]:,} firm-years, {sizes[1]:,} patent rows, {sizes[2]:,} purchases "
              f"({time.perf_counter() - t0:.1f} s to make or find); {N_CLUSTERS} clusters x {n_years} years x "
              f"{len(load_spec(spec).indicators)} indicators")
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        wd, cd, md = run_child("duckdb", spec, records, tmp / "duckdb.parquet", a.memory_limit)
        print(f"duckdb (Ibis):      wall {wd:7.2f} s   cpu {cd:7.2f} s   peak {md:7.0f} MiB   (2 threads, memory "
              f"limit {a.memory_limit or 'DuckDB default'})")
        wp, cp, mp = run_child("pandas", spec, records, tmp / "pandas.parquet", None)
        print(f"pandas (baseline):  wall {wp:7.2f} s   cpu {cp:7.2f} s   peak {mp:7.0f} MiB")
        print(f"ratio pandas/duckdb: wall {wp / wd:.2f}x, cpu {cp / cd:.2f}x, memory {mp / md:.2f}x; largest "
              f"relative difference {max_rel_diff(tmp / 'duckdb.parquet', tmp / 'pandas.parquet'):.2e}")
        if not a.no_spark:
            ws, _, _ = run_child("spark", spec, records, tmp / "spark.parquet", None)
            print(f"spark local[2]:     wall {ws:7.2f} s   (without JVM start-up; the JVM's CPU is not counted); "
                  f"largest relative difference to duckdb "
                  f"{max_rel_diff(tmp / 'spark.parquet', tmp / 'duckdb.parquet'):.2e}")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
