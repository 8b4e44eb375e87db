"""The illustrative data: deterministic, shaped like China's national clusters, free of real names, complete for the
indicator pool, readable back from CSV, and evaluable with benchmarks ahead of domestic clusters."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import clusterleap as cl
from clusterleap.illustrative import (
    BENCHMARK_REGION,
    INDICATORS,
    SECTORS,
    illustrative_data,
    illustrative_frame,
    largest_remainder,
)
from clusterleap.io._framework_files import builtin_dir
from tests.conftest import shared_path

GROUP_RECIPE = {"impute": {"method": "group_mean", "group": "sector"}, "treat": "skew_kurtosis"}
#: The facts file's field labels -> our sector labels.
FIELDS = {
    "new-generation information technology": "information technology",
    "high-end equipment": "high-end equipment",
    "new materials": "new materials",
    "biomedicine and high-end medical devices": "biomedicine",
    "consumer goods": "consumer goods",
    "new-energy and intelligent connected vehicles": "new-energy vehicles",
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return illustrative_frame()


@pytest.fixture(scope="module")
def data() -> cl.Dataset:
    return illustrative_data()


@pytest.fixture(scope="module")
def facts() -> dict[str, dict[str, int]]:
    """Counts of the 45 national clusters of 2022 by field, macro-region and province, from the sourced facts."""
    table = pd.read_csv(shared_path("china_clusters", "list_45_aggregate_facts.csv"))
    out: dict[str, dict[str, int]] = {"sector": {}, "region": {}, "province": {}}
    for fact, value in zip(table.fact, table.value, strict=True):
        if fact.startswith("field: "):
            out["sector"][FIELDS[fact[7:]]] = int(value)
        elif fact.startswith("region: "):
            counts = [int(v) for v in value.split(" / ")]
            out["region"] = dict(zip(["east", "central", "west", "north-east"], counts, strict=True))
        elif fact.startswith(("province count: ", "cross-province: ")):
            names = fact.split(": ", 1)[1].split(" / ")
            n = int(value.split()[0])
            for name in names:
                name = name.split(" (")[0].replace("Chengdu-Chongqing", "Sichuan-Chongqing")
                out["province"][name] = n
    assert sum(out["sector"].values()) == sum(out["region"].values()) == sum(out["province"].values()) == 45
    return out


def _units(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop_duplicates("unit").set_index("unit")


# -- determinism ----------------------------------------------------------------------------------------------------
def test_same_seed_same_data(frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(illustrative_frame(seed=2026), frame)
    a, b = illustrative_data(seed=7), illustrative_data(seed=7)
    assert a.hash == b.hash


def test_other_seed_other_data(frame: pd.DataFrame) -> None:
    other = illustrative_frame(seed=2027)
    assert other.shape == frame.shape and list(other.columns) == list(frame.columns)
    values = frame[list(INDICATORS)].to_numpy()
    other_values = other[list(INDICATORS)].to_numpy()
    both = ~np.isnan(values) & ~np.isnan(other_values)
    assert (values[both] != other_values[both]).mean() > 0.5
    assert illustrative_data(seed=1).hash != illustrative_data(seed=2).hash


# -- shape: units, years, proportions -------------------------------------------------------------------------------
def test_units_years_and_columns(frame: pd.DataFrame, data: cl.Dataset) -> None:
    assert len(frame) == 90 * 6
    assert list(frame.columns[:9]) == ["unit", "name", "name_zh", "year", "sector", "region", "province", "benchmark",
                                       "illustrative"]
    assert list(frame.columns[9:]) == list(INDICATORS)
    assert data.years == tuple(range(2019, 2025))
    assert data.units[:3] == ("CN001", "CN002", "CN003") and data.units[-1] == "BM10"
    assert data.illustrative is True
    assert data.benchmark is not None and int(data.benchmark.sum()) == 10
    assert all(u.startswith("BM") == b for u, b in zip(data.units, data.benchmark, strict=True))
    assert set(data.groups) == {"name_zh", "sector", "region", "province"}
    units = _units(frame)
    assert set(units.region[units.benchmark]) == {BENCHMARK_REGION[0]}
    assert units.province[units.benchmark].isna().all() and units.province[~units.benchmark].notna().all()


def test_every_pool_indicator_is_a_column() -> None:
    pool = yaml.safe_load((builtin_dir() / "pool.yaml").read_text(encoding="utf-8"))["indicators"]
    assert list(INDICATORS) == list(pool)


def test_largest_remainder_by_hand() -> None:
    # 80 x (13, 13, 7, 5, 4, 3) / 45 = 23.11, 23.11, 12.44, 8.89, 7.11, 5.33: floors sum to 78, the two largest
    # remainders (0.89 biomedicine, 0.44 new materials) get one more
    assert largest_remainder([13, 13, 7, 5, 4, 3], 80) == [23, 23, 13, 9, 7, 5]
    assert largest_remainder([30, 8, 5, 2], 80) == [53, 14, 9, 4]
    assert largest_remainder([13, 13, 7, 5, 4, 3], 10) == [3, 3, 1, 1, 1, 1]
    assert largest_remainder([1, 1, 1], 2) == [1, 1, 0]  # ties go to the earlier entry


def test_proportions_follow_the_45_national_clusters(frame: pd.DataFrame, facts: dict[str, dict[str, int]]) -> None:
    units = _units(frame)
    domestic = units[~units.benchmark]
    n = len(domestic)
    for col, tolerance in (("sector", 1.0), ("region", 1.0), ("province", 2.0)):
        counts = domestic[col].value_counts().to_dict()
        assert set(counts) == set(facts[col])
        for key, k45 in facts[col].items():
            assert abs(counts[key] - n * k45 / 45) < tolerance, (col, key, counts[key])
    assert sum(SECTORS[i][2] for i in range(len(SECTORS))) == 45


def test_45_units_reproduce_the_published_counts(facts: dict[str, dict[str, int]]) -> None:
    units = _units(illustrative_frame(n_domestic=45, n_benchmark=0, years=[2022]))
    assert not units.benchmark.any()
    for col in ("sector", "region", "province"):
        assert units[col].value_counts().to_dict() == facts[col]


@pytest.mark.parametrize(("n_domestic", "n_benchmark"), [(1, 0), (7, 2), (150, 25)])
def test_any_size(n_domestic: int, n_benchmark: int) -> None:
    df = illustrative_frame(n_domestic=n_domestic, n_benchmark=n_benchmark, years=range(2020, 2023))
    units = _units(df)
    assert len(units) == n_domestic + n_benchmark and int(units.benchmark.sum()) == n_benchmark
    shares = {s[0]: s[2] / 45 for s in SECTORS}
    for sector, k in units.sector[~units.benchmark].value_counts().items():
        assert abs(k - n_domestic * shares[str(sector)]) < 1
    assert set(df.year) == {2020, 2021, 2022}


def test_region_follows_province(frame: pd.DataFrame) -> None:
    units = _units(frame)
    east = {"Jiangsu", "Guangdong", "Zhejiang", "Shanghai", "Shandong", "Hebei", "Fujian", "Beijing-Tianjin-Hebei"}
    assert set(units.province[units.region == "east"]) == east
    assert set(units.province[units.region == "north-east"]) == {"Liaoning", "Jilin"}


# -- no real names --------------------------------------------------------------------------------------------------
def test_names_are_generic(frame: pd.DataFrame) -> None:
    sectors = "|".join(re.escape(s[0]) for s in SECTORS)
    pattern = re.compile(rf"^(Cluster [ECWN]-\d{{3}} \(({sectors}), (east|central|west|north-east)\)"
                         rf"|Benchmark B-\d{{2}} \(({sectors}), overseas\))$")
    units = _units(frame)
    for code, name in units.name.items():
        assert pattern.match(name), name
        assert code[-2:] in name  # the code's number appears in the name
    assert units.name.is_unique and units.name_zh.is_unique


def test_no_real_place_name_in_unit_names(frame: pd.DataFrame) -> None:
    clusters = pd.read_csv(shared_path("china_clusters", "clusters_partial.csv"))
    places: set[str] = set()
    for loc in clusters.location_as_named.dropna():
        places.add(loc)
        for part in re.split(r"[-()（）]", loc):
            part = part.strip()
            if len(part) >= 2:
                places |= {part, part.removesuffix("市")}
    assert {"深圳市", "苏州", "京津冀", "浙东"} <= places
    units = _units(frame)
    for name in [*units.name, *units.name_zh]:
        hits = [p for p in places if p in name]
        assert not hits, f"{name!r} contains {hits}"


# -- values ---------------------------------------------------------------------------------------------------------
def test_missing_share_within_band(frame: pd.DataFrame) -> None:
    # 2 % of cells at random plus the first two years of 2 % of units: (0.02 + 2 x 2 / 540 x 0.98) = 2.73 %
    share = frame[list(INDICATORS)].isna().to_numpy().mean()
    assert 0.02 <= share <= 0.03
    row_missing = frame[list(INDICATORS)].isna().all(axis=1)
    assert row_missing.sum() == 4 and set(frame.year[row_missing]) == {2019, 2020}
    for seed in (1, 2):
        other = illustrative_frame(seed=seed)[list(INDICATORS)].isna().to_numpy().mean()
        assert 0.02 <= other <= 0.03


def test_magnitudes_and_seed_ratios(frame: pd.DataFrame) -> None:
    first = frame[frame.year == 2019]
    med = first.groupby("benchmark")[list(INDICATORS)].median()
    # the seed: Chinese labour productivity ~1/5 and value-added rate ~2/3 of developed countries'
    assert 3.5 < med.labour_productivity[True] / med.labour_productivity[False] < 7.0
    assert 1.25 < med.value_added_rate[True] / med.value_added_rate[False] < 1.8
    shares = [c for c in INDICATORS if c.endswith(("_share", "_rate", "_score")) and c != "world_market_share"]
    assert ((frame[shares] >= 0) & (frame[shares] <= 100) | frame[shares].isna()).all().all()
    counts = ["st_awards", "intl_standards_led", "single_champions", "little_giants", "lighthouse_factories"]
    values = frame[counts].stack().dropna()
    assert (values == values.round()).all() and (values >= 0).all()
    # 80 domestic clusters: lead-industry revenue in 2021 of the order of the 45's 19 trillion CNY (one 亿 = 1e8)
    revenue_2021 = frame[(frame.year == 2021) & ~frame.benchmark].revenue.sum() / 1e4
    assert 15 < revenue_2021 < 35


def test_domestic_clusters_catch_up(frame: pd.DataFrame) -> None:
    med = frame.groupby(["year", "benchmark"]).labour_productivity.median().unstack()
    ratio = med[True] / med[False]
    assert ratio[2024] < ratio[2019]
    assert (med[False].diff().dropna() > 0).all()  # domestic productivity rises every year


def test_correlated_through_cluster_strength(frame: pd.DataFrame) -> None:
    domestic = frame[(frame.year == 2024) & ~frame.benchmark]
    positive = ["rd_intensity", "own_design_share", "smart_mfg_share", "cnc_rate", "foundation_self_sufficiency",
                "dual_source_share", "cluster_org_score", "skilled_worker_share"]
    corr = domestic[positive].corr(method="spearman").to_numpy()
    assert corr[np.triu_indices(len(positive), 1)].mean() > 0.15
    # lower-is-better indicators fall as strength rises
    assert domestic[["own_design_share", "supplier_hhi"]].corr(method="spearman").iloc[0, 1] < 0
    # the same unit's series are persistent: year-on-year rank correlation is high
    wide = frame.pivot(index="unit", columns="year", values="cnc_rate")
    assert wide[2023].corr(wide[2024], method="spearman") > 0.8


def test_derived_and_heavy_tailed(frame: pd.DataFrame) -> None:
    ok = frame[["revenue", "value_added_rate", "labour_productivity", "employment"]].notna().all(axis=1)
    f = frame[ok]
    implied = f.revenue * f.value_added_rate / 100 / f.labour_productivity
    assert np.allclose(implied, f.employment, rtol=0.01, atol=0.01)
    last = frame[frame.year == 2024]
    for code in ("intl_standards_participated", "little_giants", "lighthouse_factories", "invention_patents"):
        assert last[code].skew() > 2.0, code
    # list memberships are stocks: they never fall from one year to the next (where both years are present)
    wide = frame.pivot(index="unit", columns="year", values="single_champions")
    steps = wide.diff(axis=1).iloc[:, 1:].stack().dropna()
    assert len(steps) > 400
    assert (steps >= 0).all()


# -- round trip and evaluation --------------------------------------------------------------------------------------
def test_csv_round_trip(frame: pd.DataFrame, data: cl.Dataset, tmp_path: Path) -> None:
    path = tmp_path / "illustrative.csv"
    frame.to_csv(path, index=False)
    back = cl.read_data(path)
    assert back.illustrative, "the marker column keeps a written copy flagged illustrative"
    assert back.units == data.units and back.years == data.years and back.variables == data.variables
    assert back.variables == INDICATORS
    assert np.array_equal(back.values, data.values, equal_nan=True)
    assert back.names == data.names
    assert dict(back.groups) == dict(data.groups)
    assert back.benchmark is not None and data.benchmark is not None
    assert np.array_equal(back.benchmark, data.benchmark)
    assert back.hash == data.hash


def test_bad_arguments() -> None:
    with pytest.raises(cl.DataError, match="n_domestic is 0"):
        illustrative_frame(n_domestic=0)
    with pytest.raises(cl.DataError, match="years"):
        illustrative_frame(years=[2020, 2019])


@pytest.mark.parametrize("recipe", [None, GROUP_RECIPE], ids=["default", "group-mean-skew-kurtosis"])
@pytest.mark.parametrize("framework", ["world-class", "nie-five-features", "chen-local-global"])
def test_evaluate_benchmarks_ahead(data: cl.Dataset, framework: str, recipe: dict[str, object] | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)  # the data covers the whole pool; each tree uses part
        result = cl.evaluate(framework, data, recipe)
    assert result.illustrative
    index = result.score()
    assert index.notna().all()  # the last year has no wholly missing unit
    bench = np.asarray(data.benchmark)
    assert index[bench].median() > index[~bench].median() + 5
    if framework == "world-class":
        top10 = result.ranking().index[:10]
        assert sum(u.startswith("BM") for u in top10) >= 5


def test_doc_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/illustrative-data.md's example runs, and the ranking it shows is the one the code gives."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "illustrative-data.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", doc, re.S)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(block.group(1), namespace)
    shown = re.findall(r"^# (\w+) +(\d+) .*?([\d.]+)$", block.group(1), re.M)
    ranking = namespace["result"].ranking()  # type: ignore[attr-defined]
    assert [u for u, _, _ in shown] == list(ranking.index[:3])
    assert [float(s) for _, _, s in shown] == pytest.approx(list(ranking.WCI[:3]), abs=1e-6)
    again = namespace["again"]
    assert isinstance(again, cl.Dataset) and again.hash == namespace["data"].hash  # type: ignore[attr-defined]


def test_no_warning_for_the_pool_columns_a_framework_leaves_unused(data: cl.Dataset) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", cl.DataWarning)
        for name in cl.builtin_frameworks():
            data.check_against(cl.load_framework(name))
