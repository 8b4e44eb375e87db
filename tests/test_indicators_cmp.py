"""The U.S. Cluster Mapping Project's published regional shares and location quotients, recomputed from
state x category employment with the definitions file tests/indicators/us_cluster_mapping/spec.yaml.

The records folder is written in a temporary folder from ../shared/data/us_cluster_mapping (SOURCE.md): the states'
rows as they are (linked, not copied), the category list with its traded / local universe, and each category's
national employment, ``emp_tl / cluster_emp_per_tf`` (the same in every state to the published float precision;
the median over states, rounded to whole persons). National traded and local totals follow from those.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, shared_path

pytest.importorskip("ibis", reason="the records extra (ibis-framework with DuckDB) is not installed")

from clusterleap.indicators import build_indicators

SPEC = ROOT / "tests" / "indicators" / "us_cluster_mapping" / "spec.yaml"
STATES = "cmp_states_clusters_2016.csv"


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return pd.read_csv(shared_path("us_cluster_mapping", STATES))


@pytest.fixture(scope="module")
def records(published: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cmp-records")
    (folder / STATES).symlink_to(shared_path("us_cluster_mapping", STATES))
    pd.DataFrame({"region": sorted(published.region_code_t.unique())}).to_csv(folder / "regions.csv", index=False)
    cats = published.groupby("cluster_code_t").cluster_type.first()
    pd.DataFrame({"industry": cats.index, "category": cats.index, "universe": cats.to_numpy()}).to_csv(
        folder / "categories.csv", index=False)
    national = (published.emp_tl / published.cluster_emp_per_tf).replace(np.inf, np.nan)
    per_cat = published.assign(n=national).groupby("cluster_code_t").n.median().round()
    pd.DataFrame({"category": per_cat.index, "year": 2016, "emp": per_cat.to_numpy().astype("int64")}).to_csv(
        folder / "national.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def built(published: pd.DataFrame, records: Path) -> pd.DataFrame:
    b = build_indicators(SPEC, records, "duckdb")
    assert not b.coverage.bad and not b.coverage.missing
    pub = published.assign(unit=published.region_code_t.astype(str) + "/" + published.cluster_code_t.astype(str))
    merged = b.table.merge(pub, on="unit", suffixes=("", "_pub"), validate="one_to_one")
    assert len(merged) == 50 * 67 == len(b.table)
    return merged


@pytest.mark.parametrize("column", ["region_emp_per_tf", "lq_tf", "cluster_emp_per_tf"])
def test_published_values_recomputed_to_1e6(built: pd.DataFrame, column: str) -> None:
    ours, theirs = built[column].to_numpy(), built[f"{column}_pub"].to_numpy()
    not_suppressed = ~built.supression_b.astype(bool).to_numpy()
    zero = theirs == 0  # no employment in the state: both are exactly 0
    assert (ours[zero] == 0).all()
    rel = np.abs(ours[~zero & not_suppressed] / theirs[~zero & not_suppressed] - 1)
    assert rel.size > 3000
    assert rel.max() < 1e-6, f"{column}: largest relative difference {rel.max():.3g}"


def test_lq_is_relative_to_the_universe(built: pd.DataFrame) -> None:
    """Location quotients of traded categories compare with traded employment only: recomputing them against all
    employment would miss the published values by far more than 1e-6 (the test could fail)."""
    share_all = built.emp_tl / built.groupby("region_code_t").emp_tl.transform("sum")
    traded = (built.cluster_type == "traded") & (built.emp_tl > 0)
    assert (np.abs(share_all[traded] / built.region_emp_per_tf_pub[traded] - 1) > 0.1).all()


def test_every_published_strong_cluster_is_in_the_top_quarter(built: pd.DataFrame) -> None:
    """The project calls a traded regional cluster strong when it is in the top quarter of regions on its
    specialisation measure and passes size thresholds (``qualifying_b``): every published strong cluster must be
    flagged by ``strong_cluster`` (top quarter of the 50 states on the quotient), and the flags are exactly 13 of
    50 per category (ceil(0.25 x 50)) unless quotients tie."""
    traded = built[built.cluster_type == "traded"]
    published = traded.strong_b.astype(str) == "True"
    assert published.sum() == 512
    assert (traded.strong_quarter[published] == 1).all()
    per_category = traded.groupby("cluster_code_t").strong_quarter.sum()
    assert (per_category == 13).all()
    assert ((traded.strong_quarter == 1) & ~published).sum() > 0  # the size thresholds are the project's own
