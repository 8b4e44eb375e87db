"""Illustrative data: an invented panel of Chinese clusters and foreign benchmarks for every indicator of the pool.

For demonstrations, tutorials and tests, never for conclusions about real clusters (see docs/illustrative-data.md).
The data is generated, deterministically from ``seed`` with numpy's ``default_rng``; it copies no file. Units carry
generic names ("Cluster E-017 (high-end equipment, east)") and codes (CN001, BM01); the sectors, macro-regions and
provinces of the domestic units follow the published composition of China's 45 national advanced manufacturing
clusters of 2022 (MIIT), scaled to ``n_domestic`` by largest remainders, and are paired at random.

The model, per indicator ``i``, unit ``u`` and year index ``t`` (0 for the first year), on a link scale (log for
levels and count means, logit for shares in per cent)::

    eta[t, u] = link(median_i of the unit's group) + loading_i * strength_u + sector_i[sector_u]
                + unit_i[u] + growth_i * (1 + 0.3 momentum_u) * t + noise_i[t, u]

``strength`` (a latent cluster strength) and ``momentum`` (how fast a unit improves) are shared by all indicators,
which gives the cross-indicator correlations; the group medians make benchmarks stronger (labour productivity 5x,
value-added rate 1.5x, as the seed reports for developed countries against China) and domestic clusters grow faster
(catching up). Counts are Poisson with a gamma-distributed unit effect (heavy tails), rising with the cluster's size;
counts of list memberships are stocks and never fall. Employment is derived as revenue x value-added rate /
labour productivity, CO2 intensity as energy intensity x an emission factor. Finally a few series are multiplied by
3-6 (outliers) and about 2.7 % of values are removed (2 % of cells at random, and the first two years of about 2 % of
units, as for clusters that began reporting late).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._dataset import Dataset
from .errors import DataError
from .io._data_files import read_data

__all__ = [
    "BENCHMARK_REGION", "INDICATORS", "REGIONS", "SECTORS", "illustrative_data", "illustrative_frame",
    "largest_remainder",
]

FloatArray = npt.NDArray[np.float64]

#: Sectors of the 45 national clusters of 2022 (English label, Chinese label, count of 45). Source: the field counts
#: of the 2022 list as reported at http://www.360doc.com/content/22/1201/19/11781270_1058421011.shtml.
SECTORS: tuple[tuple[str, str, int], ...] = (
    ("information technology", "新一代信息技术", 13),
    ("high-end equipment", "高端装备", 13),
    ("new materials", "新材料", 7),
    ("biomedicine", "生物医药及高端医疗器械", 5),
    ("consumer goods", "消费品", 4),
    ("new-energy vehicles", "新能源及智能网联汽车", 3),
)

#: Macro-regions (label, Chinese label, code letter, provinces with their counts of the 45). Source: the 2022 list as
#: reported at https://m.21jingji.com (regions) and https://m.gotohui.com/ndata/list/181328.html (provinces); the two
#: cross-province clusters are labelled Beijing-Tianjin-Hebei and Sichuan-Chongqing.
REGIONS: tuple[tuple[str, str, str, tuple[tuple[str, int], ...]], ...] = (
    ("east", "东部", "E", (("Jiangsu", 10), ("Guangdong", 7), ("Zhejiang", 4), ("Shanghai", 3), ("Shandong", 3),
                           ("Hebei", 1), ("Fujian", 1), ("Beijing-Tianjin-Hebei", 1))),
    ("central", "中部", "C", (("Hunan", 4), ("Hubei", 2), ("Anhui", 1), ("Jiangxi", 1))),
    ("west", "西部", "W", (("Sichuan", 2), ("Shaanxi", 1), ("Inner Mongolia", 1), ("Sichuan-Chongqing", 1))),
    ("north-east", "东北", "N", (("Liaoning", 1), ("Jilin", 1))),
)

#: The region label of benchmark (foreign) clusters.
BENCHMARK_REGION = ("overseas", "境外")

_IT, _EQ, _MT, _BM, _CG, _EV = (s[0] for s in SECTORS)
Kind = Literal["level", "share", "count", "stock", "rate"]


@dataclass(frozen=True)
class _Spec:
    """How one indicator is generated. Medians are in the indicator's unit for the first year at average strength;
    ``growth`` is per year on the link scale (log or logit); ``sector`` effects are multipliers for levels and counts
    and logit shifts for shares; ``shape`` is the gamma shape of count unit effects (smaller = heavier tail);
    ``size`` the elasticity of a count to the cluster's revenue."""

    code: str
    kind: Kind
    dom: float
    bm: float
    load: float
    growth: float
    bm_growth: float
    decimals: int = 1
    sd_unit: float = 0.3
    sd_year: float = 0.05
    sector: Mapping[str, float] = field(default_factory=dict)
    shape: float = 1.0
    size: float = 0.0
    clip: tuple[float, float] = (0.0, math.inf)


def _share(code: str, dom: float, bm: float, load: float, growth: float, bm_growth: float,
           sector: Mapping[str, float] | None = None, sd_unit: float = 0.35) -> _Spec:
    return _Spec(code, "share", dom, bm, load, growth, bm_growth, 1, sd_unit, 0.05, sector or {})


def _count(code: str, dom: float, bm: float, load: float, growth: float, bm_growth: float, shape: float,
           size: float, sector: Mapping[str, float] | None = None, stock: bool = False,
           clip: float = math.inf) -> _Spec:
    return _Spec(code, "stock" if stock else "count", dom, bm, load, growth, bm_growth, 0, 0.15, 0.0, sector or {},
                 shape, size, (0.0, clip))


#: Generation order: the size variables first (counts and rates depend on them), derived ones where their inputs are.
_SPECS: tuple[_Spec, ...] = (
    _Spec("revenue", "level", 1800, 3500, 0.3, 0.07, 0.02, 1, 0.7, 0.04,
          {_IT: 1.4, _EV: 1.3, _CG: 0.8, _BM: 0.6}),
    _share("value_added_rate", 22, 33, 0.15, 0.02, 0.0,
           {_BM: 0.35, _EQ: 0.1, _MT: -0.15, _CG: -0.1, _EV: -0.1}, sd_unit=0.15),
    _Spec("labour_productivity", "level", 24, 120, 0.25, 0.06, 0.015, 1, 0.2, 0.03,
          {_BM: 1.3, _CG: 0.7, _IT: 1.1, _EQ: 0.95}),
    _Spec("rd_intensity", "level", 2.2, 5.0, 0.3, 0.05, 0.01, 2, 0.25, 0.05,
          {_IT: 1.4, _BM: 2.0, _CG: 0.55, _MT: 0.8, _EV: 1.15}),
    _Spec("invention_patents", "rate", 25, 45, 0.4, 0.08, 0.02, 0, 0.4, 0.06, {_IT: 1.6, _BM: 1.3, _CG: 0.5}),
    _Spec("new_product_rd_ratio", "level", 14, 16, 0.12, 0.01, 0.0, 2, 0.3, 0.08, {_BM: 0.6, _CG: 1.4}),
    _Spec("pct_applications", "rate", 2.5, 12, 0.5, 0.09, 0.02, 0, 0.5, 0.08,
          {_IT: 2.0, _BM: 1.5, _CG: 0.5, _MT: 0.7}),
    _Spec("top_cited_patent_share", "level", 0.4, 3.0, 0.6, 0.08, -0.01, 2, 0.5, 0.1, clip=(0.0, 30.0)),
    _count("st_awards", 2, 4, 0.35, 0.04, 0.0, 1.0, 0.3),
    _count("intl_standards_led", 1.5, 8, 0.4, 0.10, 0.01, 0.6, 0.3, {_IT: 1.8, _EQ: 1.2, _CG: 0.6}),
    _count("intl_standards_participated", 6, 25, 0.4, 0.08, 0.01, 0.8, 0.3, {_IT: 1.8, _EQ: 1.2, _CG: 0.6}),
    _count("standards_secretariats", 0.3, 3, 0.4, 0.08, 0.0, 0.5, 0.3, stock=True),
    _share("domestic_supply_share", 62, 75, 0.3, 0.08, 0.0, {_IT: -0.4, _BM: -0.2, _CG: 0.5, _EV: 0.3}),
    _count("chokepoint_items", 6, 1.5, -0.35, -0.07, -0.02, 1.5, 0.0, {_IT: 1.6, _BM: 1.2, _CG: 0.4}),
    _share("own_design_share", 45, 80, 0.35, 0.08, 0.01),
    _count("first_of_kind", 3, 4, 0.35, 0.08, 0.0, 1.0, 0.3, {_EQ: 2.0, _MT: 1.5, _CG: 0.2, _IT: 0.6}),
    _count("global_brands", 0.15, 1.5, 0.45, 0.08, 0.0, 0.5, 0.4, {_CG: 3.0, _IT: 2.0, _EV: 1.5, _MT: 0.3}),
    _Spec("world_market_share", "level", 4, 12, 0.5, 0.04, -0.01, 2, 0.5, 0.05, clip=(0.0, 60.0)),
    _count("global_top10_firms", 0.3, 2.5, 0.45, 0.05, 0.0, 0.6, 0.4, clip=10),
    _count("single_champions", 6, 10, 0.3, 0.08, 0.01, 1.2, 0.4, {_EQ: 1.3, _MT: 1.3, _BM: 0.7}, stock=True),
    _count("little_giants", 35, 40, 0.25, 0.12, 0.01, 1.5, 0.4, stock=True),
    _share("local_supply_rate", 45, 55, 0.25, 0.05, 0.0, {_EV: 0.3, _EQ: 0.2, _IT: -0.2, _BM: -0.2}, sd_unit=0.3),
    _share("smart_mfg_share", 15, 45, 0.35, 0.15, 0.05, {_EV: 0.4, _IT: 0.3, _CG: -0.3}),
    _count("lighthouse_factories", 0.12, 1.2, 0.45, 0.25, 0.08, 0.4, 0.4, {_EV: 2.0, _IT: 1.5, _CG: 1.2, _BM: 0.6},
           stock=True, clip=15),
    _count("innovation_platforms", 8, 10, 0.3, 0.05, 0.01, 1.5, 0.4, stock=True),
    _Spec("tech_contract_ratio", "level", 1.2, 2.0, 0.3, 0.10, 0.02, 2, 0.45, 0.08, {_BM: 1.6, _IT: 1.3, _CG: 0.5}),
    _share("cluster_org_score", 60, 78, 0.25, 0.06, 0.01),
    _Spec("vc_pe_ratio", "level", 0.6, 1.5, 0.5, 0.03, 0.0, 2, 0.6, 0.25,
          {_IT: 1.5, _BM: 2.2, _CG: 0.5, _EQ: 0.8, _EV: 1.4}),
    _count("listed_firms", 20, 30, 0.3, 0.07, 0.01, 1.5, 0.4, stock=True),
    _share("tech_green_credit_share", 18, 25, 0.25, 0.12, 0.03),
    _share("cnc_rate", 58, 80, 0.3, 0.08, 0.02, {_EQ: 0.3, _EV: 0.3, _CG: -0.3, _BM: -0.1}),
    _share("digital_design_rate", 78, 92, 0.3, 0.10, 0.03),
    _share("foundation_self_sufficiency", 50, 75, 0.3, 0.08, 0.01, {_IT: -0.4, _BM: -0.2, _CG: 0.4}),
    _Spec("supplier_hhi", "level", 2600, 1600, -0.15, -0.03, -0.005, 0, 0.25, 0.05, clip=(100.0, 10000.0)),
    _share("dual_source_share", 60, 82, 0.3, 0.08, 0.02),
    _Spec("energy_intensity", "level", 0.45, 0.22, -0.15, -0.04, -0.02, 3, 0.3, 0.04,
          {_MT: 2.5, _CG: 0.9, _IT: 0.4, _BM: 0.5, _EQ: 0.7, _EV: 0.8}),
    _share("green_factory_share", 8, 20, 0.3, 0.15, 0.04),
    _Spec("rd_personnel_share", "level", 8, 15, 0.25, 0.04, 0.01, 1, 0.25, 0.05, {_IT: 1.5, _BM: 1.4, _CG: 0.6}),
    _share("skilled_worker_share", 12, 22, 0.2, 0.05, 0.01),
    _share("exports_share", 22, 45, 0.15, 0.01, 0.0, {_CG: 0.6, _IT: 0.5, _BM: -0.3, _MT: -0.2}, sd_unit=0.5),
    _Spec("fdi_share", "level", 0.8, 1.5, 0.1, -0.02, 0.0, 2, 0.6, 0.2),
    _Spec("location_quotient", "level", 2.5, 3.0, 0.2, 0.01, 0.0, 2, 0.4, 0.02),
    _share("joint_patent_share", 12, 20, 0.25, 0.04, 0.01),
    _share("governance_score", 62, 75, 0.2, 0.05, 0.01),
)

#: Indicators computed from others: employment = revenue x VA rate / productivity; CO2 = energy x emission factor.
DERIVED = ("employment", "co2_intensity")
#: Column order of the indicators: the order of the pool file (pool.yaml).
INDICATORS: tuple[str, ...] = (
    "rd_intensity", "invention_patents", "new_product_rd_ratio", "pct_applications", "top_cited_patent_share",
    "st_awards", "intl_standards_led", "intl_standards_participated", "standards_secretariats",
    "domestic_supply_share", "chokepoint_items", "own_design_share", "first_of_kind", "value_added_rate",
    "global_brands", "world_market_share", "global_top10_firms", "single_champions", "little_giants",
    "local_supply_rate", "labour_productivity", "smart_mfg_share", "lighthouse_factories", "innovation_platforms",
    "tech_contract_ratio", "cluster_org_score", "vc_pe_ratio", "listed_firms", "tech_green_credit_share", "cnc_rate",
    "digital_design_rate", "foundation_self_sufficiency", "supplier_hhi", "dual_source_share", "energy_intensity",
    "co2_intensity", "green_factory_share", "rd_personnel_share", "skilled_worker_share", "revenue", "employment",
    "exports_share", "fdi_share", "location_quotient", "joint_patent_share", "governance_score",
)
#: Indicators whose series may be made outliers (multiplied by 3-6): counts and volatile ratios.
_OUTLIER_CANDIDATES = (*(s.code for s in _SPECS if s.kind in ("count", "stock", "rate")),
                       "tech_contract_ratio", "vc_pe_ratio", "new_product_rd_ratio")
MISSING_CELLS = 0.02  # share of indicator cells removed at random
LATE_UNITS = 0.02  # share of units whose first two years are missing


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    name_zh: str
    sector: str
    region: str
    province: str | None
    benchmark: bool


def largest_remainder(counts: Sequence[float], total: int) -> list[int]:
    """Integers proportional to ``counts`` summing to ``total`` (Hamilton's method: floors, then one more to the
    largest remainders; ties go to the earlier entry)."""
    s = float(sum(counts))
    quotas = [c * total / s for c in counts]
    out = [math.floor(q) for q in quotas]
    order = sorted(range(len(counts)), key=lambda i: (-(quotas[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _units(rng: np.random.Generator, n_domestic: int, n_benchmark: int) -> list[_Unit]:
    zh_sector = {s[0]: s[1] for s in SECTORS}
    sector_counts = [s[2] for s in SECTORS]
    places: list[tuple[str, str, str, str]] = []  # region, region_zh, letter, province
    for (region, region_zh, letter, provinces), n in zip(
            REGIONS, largest_remainder([sum(p[1] for p in r[3]) for r in REGIONS], n_domestic), strict=True):
        for (province, _), k in zip(provinces, largest_remainder([p[1] for p in provinces], n), strict=True):
            places += [(region, region_zh, letter, province)] * k
    sectors = [s[0] for s, k in zip(SECTORS, largest_remainder(sector_counts, n_domestic), strict=True)
               for _ in range(k)]
    sectors = [sectors[i] for i in rng.permutation(len(sectors))]
    units = []
    for i, ((region, region_zh, letter, province), sector) in enumerate(zip(places, sectors, strict=True), 1):
        units.append(_Unit(
            f"CN{i:03d}", f"Cluster {letter}-{i:03d} ({sector}, {region})",
            f"集群{letter}-{i:03d}（{zh_sector[sector]}，{region_zh}）", sector, region, province, False))
    bm_sectors = [s[0] for s, k in zip(SECTORS, largest_remainder(sector_counts, n_benchmark), strict=True)
                  for _ in range(k)] if n_benchmark else []
    region, region_zh = BENCHMARK_REGION
    for j, sector in enumerate(bm_sectors, 1):
        units.append(_Unit(
            f"BM{j:02d}", f"Benchmark B-{j:02d} ({sector}, {region})",
            f"标杆集群B-{j:02d}（{zh_sector[sector]}，{region_zh}）", sector, region, None, True))
    return units


def _link(kind: Kind, v: FloatArray | float) -> FloatArray:
    v = np.asarray(v, dtype=float)
    if kind == "share":
        p = v / 100.0
        return np.asarray(np.log(p / (1 - p)))
    return np.asarray(np.log(v))


def _generate(rng: np.random.Generator, units: Sequence[_Unit], n_years: int) -> dict[str, FloatArray]:
    """Every indicator's ``(years, units)`` values before outliers and missing values (rounded)."""
    u = len(units)
    bench = np.array([x.benchmark for x in units])
    sector = np.array([x.sector for x in units])
    strength = rng.normal(0.0, np.where(bench, 0.8, 1.0))
    momentum = rng.normal(0.0, 1.0, u)
    t = np.arange(n_years, dtype=float)[:, None]
    out: dict[str, FloatArray] = {}
    size = np.zeros(u)
    for spec in _SPECS:
        multiplicative = spec.kind != "share"
        eff = np.array([spec.sector.get(s, 1.0 if multiplicative else 0.0) for s in sector], dtype=float)
        eta = (
            np.where(bench, _link(spec.kind, spec.bm), _link(spec.kind, spec.dom))
            + spec.load * strength
            + (np.log(eff) if multiplicative else eff)
            + rng.normal(0.0, spec.sd_unit, u)
            + np.where(bench, spec.bm_growth, spec.growth) * (1 + 0.3 * momentum) * t
            + rng.normal(0.0, 1.0, (n_years, u)) * spec.sd_year
        )
        if spec.kind == "share":
            x = 100.0 / (1.0 + np.exp(-eta))
        elif spec.kind == "level":
            x = np.exp(eta)
        elif spec.kind == "rate":  # a rate per 10,000 employees, recorded as the count
            x = rng.poisson(np.exp(eta) * out["employment"]).astype(float)
        else:
            frailty = rng.gamma(spec.shape, 1.0 / spec.shape, u)
            x = rng.poisson(np.exp(eta + spec.size * size) * frailty).astype(float)
            if spec.kind == "stock":
                x = np.maximum.accumulate(x, axis=0)
        out[spec.code] = np.round(np.clip(x, *spec.clip), spec.decimals)
        if spec.code == "revenue":
            log_rev = np.log(out["revenue"][0])
            size = log_rev - np.median(log_rev)
        if spec.code == "labour_productivity":
            employment = out["revenue"] * out["value_added_rate"] / 100.0 / out["labour_productivity"]
            out["employment"] = np.round(employment, 2)
        if spec.code == "energy_intensity":
            factor = np.where(bench, 1.7, 2.3) * np.exp(-0.015 * t) * np.exp(rng.normal(0.0, 0.05, (n_years, u)))
            out["co2_intensity"] = np.round(out["energy_intensity"] * factor, 3)
    return out


def _outliers(rng: np.random.Generator, values: dict[str, FloatArray], n: int) -> None:
    """Multiply ``n`` whole unit series of count-like indicators by a factor of 3 to 6 (kept integer for counts)."""
    u = next(iter(values.values())).shape[1]
    for _ in range(n):
        code = _OUTLIER_CANDIDATES[int(rng.integers(len(_OUTLIER_CANDIDATES)))]
        unit = int(rng.integers(u))
        factor = float(rng.uniform(3.0, 6.0))
        col = values[code]
        decimals = next(s.decimals for s in _SPECS if s.code == code)
        col[:, unit] = np.round(np.maximum(col[:, unit], 1.0) * factor, decimals)


def _missing(rng: np.random.Generator, values: dict[str, FloatArray]) -> None:
    """Remove ``MISSING_CELLS`` of all cells at random, and the first two years of ``LATE_UNITS`` of the units."""
    cube = np.stack([values[c] for c in INDICATORS], axis=-1)  # (years, units, indicators)
    k = round(MISSING_CELLS * cube.size)
    flat = cube.reshape(-1)
    flat[rng.choice(cube.size, size=k, replace=False)] = np.nan
    n_years, u = cube.shape[:2]
    if n_years > 1:
        late = rng.choice(u, size=max(1, round(LATE_UNITS * u)), replace=False)
        cube[: min(2, n_years - 1), late, :] = np.nan
    for i, c in enumerate(INDICATORS):
        values[c] = cube[:, :, i]


def _check(seed: int, n_domestic: int, n_benchmark: int, years: Iterable[int]) -> tuple[int, ...]:
    yrs = tuple(int(y) for y in years)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise DataError(f"illustrative data: seed is {seed!r} (expected an integer)")
    if n_domestic < 1:
        raise DataError(f"illustrative data: n_domestic is {n_domestic} (expected at least 1)")
    if n_benchmark < 0:
        raise DataError(f"illustrative data: n_benchmark is {n_benchmark} (expected 0 or more)")
    if not yrs or len(set(yrs)) != len(yrs) or list(yrs) != sorted(yrs):
        raise DataError(f"illustrative data: years {list(yrs)} must be a non-empty increasing sequence")
    return yrs


def illustrative_frame(
    seed: int = 2026,
    n_domestic: int = 80,
    n_benchmark: int = 10,
    years: Iterable[int] = range(2019, 2025),
) -> pd.DataFrame:
    """The illustrative panel as a wide table: one row per unit and year (units in code order, then years), columns
    unit, name, name_zh, year, sector, region, province (empty for benchmarks), benchmark, illustrative (``yes``),
    then every indicator of the pool (missing values as NaN). Written as CSV it reads back with
    :func:`clusterleap.read_data` unchanged, still flagged illustrative."""
    yrs = _check(seed, n_domestic, n_benchmark, years)
    rng = np.random.default_rng(seed)
    units = _units(rng, n_domestic, n_benchmark)
    values = _generate(rng, units, len(yrs))
    _outliers(rng, values, max(1, round(0.05 * len(units))))
    _missing(rng, values)
    n_years, n_units = len(yrs), len(units)
    rows: dict[str, object] = {
        "unit": np.repeat([x.code for x in units], n_years),
        "name": np.repeat([x.name for x in units], n_years),
        "name_zh": np.repeat([x.name_zh for x in units], n_years),
        "year": np.tile(np.array(yrs, dtype=np.int64), n_units),
        "sector": np.repeat([x.sector for x in units], n_years),
        "region": np.repeat([x.region for x in units], n_years),
        "province": np.repeat(np.array([x.province for x in units], dtype=object), n_years),
        "benchmark": np.repeat([x.benchmark for x in units], n_years),
        # the marker that keeps files written from this table flagged when they are read back (see read_data)
        "illustrative": np.repeat("yes", n_years * n_units),
    }
    for code in INDICATORS:
        rows[code] = values[code].T.reshape(-1)  # unit-major, years inside
    return pd.DataFrame(rows)


def illustrative_data(
    seed: int = 2026,
    n_domestic: int = 80,
    n_benchmark: int = 10,
    years: Iterable[int] = range(2019, 2025),
) -> Dataset:
    """The illustrative panel as a :class:`Dataset` flagged ``illustrative=True``, so every result made from it says
    so. Group columns: name_zh, sector, region, province; benchmarks flagged. Same seed, same data, bit for bit."""
    frame = illustrative_frame(seed, n_domestic, n_benchmark, years)
    ds = read_data(frame)
    return replace(ds, source=f"illustrative data (seed {seed})")
