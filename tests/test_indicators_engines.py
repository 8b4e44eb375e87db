"""The same definitions give the same indicator table on DuckDB and on Spark, on a million firm-year rows of
synthetic records, and both equal an independent pandas computation of the definitions written here.

Spark needs pyspark and a Java runtime: its test skips (saying which is missing) unless CLUSTERLEAP_REQUIRE_SPARK
is set, when it fails instead. One local SparkSession (local[2], 2 shuffle partitions, UI off) serves the module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

pytest.importorskip("ibis", reason="the records extra (ibis-framework with DuckDB) is not installed")

from clusterleap.indicators import Build, SyntheticRecords, build_indicators, synthesize, write_synthetic

SPEC = ROOT / "tests" / "indicators" / "engines" / "spec.yaml"
YEARS = list(range(2021, 2025))
N_FIRMS = 166_667  # x 6 years = 1,000,002 firm-year rows
RTOL = 1e-9


@pytest.fixture(scope="module")
def synthetic() -> SyntheticRecords:
    recs = synthesize(N_FIRMS, (2019, 2024), n_regions=40, n_clusters=300, buyer_share=0.2, purchases_per_buyer=1,
                      seed=7)
    assert len(recs.firms) >= 1_000_000
    return recs


@pytest.fixture(scope="module")
def records(synthetic: SyntheticRecords, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic(tmp_path_factory.mktemp("million") / "records", synthetic)


@pytest.fixture(scope="module")
def duckdb_build(records: Path) -> Build:
    return build_indicators(SPEC, records, "duckdb")


# --------------------------------------------------------------------------- the definitions, written with pandas


def pandas_indicators(r: SyntheticRecords) -> pd.DataFrame:
    """spec.yaml computed the plain way: merges and groupbys, nothing shared with clusterleap.indicators."""
    ind = r.industries.assign(category=r.industries.category.replace("", np.nan))
    firms = r.firms.merge(ind, on="industry", how="left")
    firms = firms.merge(r.clusters[["cluster", "region", "category"]], on=["region", "category"], how="left")
    f = firms[firms.year.isin(YEARS) & firms.cluster.notna()]
    g = f.groupby(["cluster", "year"])
    out = pd.DataFrame({
        "rd_intensity": g.rd.sum() / g.revenue.sum() * 100,
        "little_giants": f[f.little_giant].groupby(["cluster", "year"]).firm.nunique(),
        "smart_share": g.smart_factory.mean() * 100,
    })
    out["little_giants"] = out["little_giants"].fillna(0.0)
    # patents of the 3 years ending with the year, each through its firm's cluster in the patent's year
    pat = r.patents.merge(firms[["firm", "year", "cluster"]], on=["firm", "year"])
    pat = pat[pat.cluster.notna()]
    out["patents_3y"] = pd.concat({y: pat[(pat.year > y - 3) & (pat.year <= y)].groupby("cluster")
                                  .invention_patents.sum() for y in YEARS}, names=["year", "cluster"]
                                  ).swaplevel().astype(float)
    buy = r.purchases.merge(firms[["firm", "year", "cluster"]], left_on=["buyer", "year"], right_on=["firm", "year"])
    buy = buy[buy.cluster.notna() & buy.year.isin(YEARS)]
    gb = buy.groupby(["cluster", "year"])
    total = gb.amount.sum()
    local = buy[buy.local].groupby(["cluster", "year"]).amount.sum().reindex(total.index, fill_value=0.0)
    out["local_supply_rate"] = local / total * 100
    crit = buy[buy.critical]
    s = crit.groupby(["cluster", "year", "input", "supplier"]).amount.sum().reset_index()
    tot = s.groupby(["cluster", "year", "input"]).amount.transform("sum")
    s["sq"] = (s.amount / tot) ** 2
    per_input = s.groupby(["cluster", "year", "input"]).agg(hhi=("sq", "sum"), total=("amount", "sum"))
    per_input["w"] = per_input.hhi * per_input.total
    hh = per_input.groupby(["cluster", "year"]).agg(w=("w", "sum"), total=("total", "sum"))
    out["supplier_hhi"] = hh.w / hh.total * 10_000

    # regional measures, within the universe of the cluster's category (traded / local)
    emp = firms.groupby(["region", "universe", "category", "year"], dropna=False).employees.sum().reset_index()
    e_r = emp.groupby(["region", "universe", "year"]).employees.sum()
    e_k = emp.groupby(["category", "year"]).employees.sum()
    e_n = emp.groupby(["universe", "year"]).employees.sum()
    e_u = firms[firms.cluster.notna()].groupby(["cluster", "year"]).employees.sum()
    univ = ind.dropna(subset=["category"]).groupby("category").universe.first()
    cl = r.clusters.set_index("cluster")
    rows = []
    for c in cl.index:
        reg, cat = cl.region[c], cl.category[c]
        u = univ[cat]
        for y in YEARS:
            eu = e_u.get((c, y), 0.0)
            lq = (eu / e_r[(reg, u, y)]) / (e_k[(cat, y)] / e_n[(u, y)])
            eub = e_u.get((c, y - 2), 0.0)
            ss = (eu - eub * e_k[(cat, y)] / e_k[(cat, y - 2)]) / eub * 100 if eub else np.nan
            rows.append((c, y, lq, eu / e_r[(reg, u, y)], ss))
    reg_df = pd.DataFrame(rows, columns=["cluster", "year", "lq", "regional_share", "ss_competitive"])
    reg_df = reg_df.set_index(["cluster", "year"])
    # strong: the cluster's quotient reaches the top quarter of all regions' quotients in its category and year
    n_regions = len(r.regions)
    cells = emp.dropna(subset=["category"]).copy()
    cells["lq"] = [(e / e_r[(rg, u, y)]) / (e_k[(k, y)] / e_n[(u, y)])
                   for rg, u, k, y, e in cells[["region", "universe", "category", "year", "employees"]].itertuples(
                       index=False)]
    n_top = int(np.ceil(0.25 * n_regions))

    def cut(v: pd.Series) -> float:
        full = np.sort(np.concatenate([v.to_numpy(), np.zeros(n_regions - len(v))]))[::-1]
        return float(full[n_top - 1])

    cuts = cells.groupby(["category", "year"]).lq.apply(cut)
    reg_df["strong"] = [float(lq >= cuts[(cl.category[c], y)] and lq > 0)
                        for (c, y), lq in reg_df.lq.items()]
    out = out.join(reg_df, how="outer")
    full = pd.MultiIndex.from_product([list(cl.index), YEARS], names=["cluster", "year"])
    return out.reindex(full)


@pytest.fixture(scope="module")
def by_pandas(synthetic: SyntheticRecords) -> pd.DataFrame:
    return pandas_indicators(synthetic)


def as_frame(b: Build) -> pd.DataFrame:
    return b.table.set_index(["unit", "year"]).drop(columns="name")


def assert_same(ours: pd.DataFrame, theirs: pd.DataFrame, what: str) -> None:
    assert list(ours.index) == list(theirs.index), what
    for col in ours.columns:
        a, b = ours[col].to_numpy(dtype=float), theirs[col].to_numpy(dtype=float)
        assert (np.isnan(a) == np.isnan(b)).all(), f"{what}, {col}: missing values differ"
        ok = ~np.isnan(a)
        assert ok.sum() > 0, f"{what}, {col}: no value to compare"
        np.testing.assert_allclose(a[ok], b[ok], rtol=RTOL, atol=0, err_msg=f"{what}, {col}")


def test_duckdb_equals_pandas(duckdb_build: Build, by_pandas: pd.DataFrame) -> None:
    ours = as_frame(duckdb_build)
    theirs = by_pandas[ours.columns]
    theirs.index = theirs.index.set_names(["unit", "year"])
    assert_same(ours, theirs, "duckdb vs pandas")
    assert duckdb_build.table.strong.sum() > 0 and (duckdb_build.table.strong == 0).sum() > 0
    assert not duckdb_build.coverage.bad


# -------------------------------------------------------------------------------------------------------- Spark


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'clusterleap[spark]')"
    java = shutil.which("java") or (os.environ.get("JAVA_HOME") and Path(os.environ["JAVA_HOME"], "bin", "java"))
    if not java:
        return "no Java runtime (java on PATH or JAVA_HOME): Spark needs Java 17, e.g. Debian's openjdk-17-jre-headless"
    probe = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"java -version failed: {probe.stderr.strip()[:200]}"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    missing = _spark_missing()
    if missing:
        if os.environ.get("CLUSTERLEAP_REQUIRE_SPARK"):
            pytest.fail(f"CLUSTERLEAP_REQUIRE_SPARK is set but {missing}")
        pytest.skip(missing)
    from clusterleap.indicators import spark_session

    session = spark_session("local[2]", shuffle_partitions=2,
                            config={"spark.driver.memory": "2g", "spark.sql.ansi.enabled": "false"})
    yield session
    session.stop()


def test_spark_equals_duckdb(spark: Any, records: Path, duckdb_build: Build, by_pandas: pd.DataFrame) -> None:
    on_spark = build_indicators(SPEC, records, "spark", session=spark)
    assert_same(as_frame(on_spark), as_frame(duckdb_build), "spark vs duckdb")
    assert on_spark.provenance["engine"].startswith("pyspark")
    assert [s.rows_used for s in on_spark.coverage.sources] == [s.rows_used for s in duckdb_build.coverage.sources]
