"""Synthetic enterprise records, seeded, for the tests, the benchmark and the demo: **invented** firms in invented
regions and industries, with Pareto-distributed sizes (Axtell 2001: US firm sizes follow Zipf's law), annual
accounts, R&D and patents, flags of the Chinese lists ("little giants", single champions), and purchase relations
between firms.

Nothing here describes a real firm or place. :func:`synthesize` returns the tables; :func:`write_synthetic` writes
them as a records folder (Parquet records, CSV code lists) that ``docs/examples/records/spec.yaml`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import write_atomic_dir

__all__ = ["SyntheticRecords", "synthesize", "write_synthetic"]


@dataclass(frozen=True)
class SyntheticRecords:
    """The tables of a records folder: code lists (regions, industries, clusters) and records (firms: one row per
    firm and year; patents: per firm and year; purchases: per buyer, supplier, input and year)."""

    regions: pd.DataFrame
    industries: pd.DataFrame
    clusters: pd.DataFrame
    firms: pd.DataFrame
    patents: pd.DataFrame
    purchases: pd.DataFrame


def synthesize(n_firms: int = 2000, years: tuple[int, int] = (2019, 2024), *, n_regions: int = 30,
               n_categories: int = 20, industries_per_category: int = 4, n_clusters: int = 60,
               in_cluster: float = 0.6, purchases_per_buyer: int = 6, buyer_share: float = 0.3,
               seed: int = 0) -> SyntheticRecords:
    """Invented records for ``n_firms`` firms over ``years`` (inclusive): ``n_firms x n_years`` firm-year rows.

    A share ``in_cluster`` of the firms sit in one of ``n_clusters`` clusters (a category in a region); the others are
    spread over all regions and industries, including industries outside any category. Firm size (employees) is
    Pareto with tail index 1.1; revenue, R&D, energy and the rest scale with it, with noise; firms grow a few per
    cent a year. A share ``buyer_share`` of the firms report ``purchases_per_buyer`` purchase relations a year."""
    rng = np.random.default_rng(seed)
    y0, y1 = years
    n_years = y1 - y0 + 1
    regions = pd.DataFrame({"region": [f"R{i:02d}" for i in range(1, n_regions + 1)],
                            "name": [f"Region {i:02d}" for i in range(1, n_regions + 1)]})
    cats = [f"K{i:02d}" for i in range(1, n_categories + 1)]
    ind_rows = [(f"{c}{j}", c, "traded" if k % 4 else "local")
                for k, c in enumerate(cats) for j in range(1, industries_per_category + 1)]
    ind_rows += [(f"X{j:02d}", "", "local") for j in range(1, 6)]  # industries in no cluster category
    industries = pd.DataFrame(ind_rows, columns=["industry", "category", "universe"])
    pairs = rng.choice(n_regions * n_categories, size=min(n_clusters, n_regions * n_categories), replace=False)
    pairs.sort()
    clusters = pd.DataFrame({"cluster": [f"CL{i:03d}" for i in range(1, len(pairs) + 1)],
                             "region": regions.region.to_numpy()[pairs // n_categories],
                             "category": np.array(cats)[pairs % n_categories]})
    clusters["name"] = [f"Cluster {i:03d} ({c}, {r})" for i, (r, c) in
                        enumerate(zip(clusters.region, clusters.category, strict=True), 1)]

    # firms: place, industry, size (fixed), then a panel of yearly accounts
    n = n_firms
    placed = rng.random(n) < in_cluster
    which = rng.integers(0, len(clusters), n)
    anywhere = regions.region.to_numpy()[rng.integers(0, n_regions, n)]
    region = np.where(placed, clusters.region.to_numpy()[which], anywhere)
    cat_ind = industries[industries.category != ""]
    by_cat = {c: g.industry.to_numpy() for c, g in cat_ind.groupby("category")}
    own = np.array([by_cat[c][rng.integers(0, len(by_cat[c]))] for c in clusters.category.to_numpy()[which]])
    industry = np.where(placed, own, industries.industry.to_numpy()[rng.integers(0, len(industries), n)])
    size = np.minimum(np.round(8 * (rng.pareto(1.1, n) + 1)), 300_000)
    productivity = rng.lognormal(np.log(60.0), 0.5, n)  # 10,000 CNY revenue per employee
    rd_rate = np.where(rng.random(n) < 0.6, rng.beta(2, 40, n), 0.0)
    little = (size > 50) & (size < 1000) & (rng.random(n) < 0.05 + 0.3 * (rd_rate > 0.05))
    champion = (size > 500) & (rng.random(n) < 0.08)
    listed = (size > 300) & (rng.random(n) < 0.25)
    firm_id = np.array([f"F{i:07d}" for i in range(1, n + 1)])

    yrs = np.arange(y0, y1 + 1)
    growth = rng.normal(0.04, 0.08, (n_years, n)).cumsum(axis=0)
    emp = np.maximum(1.0, np.round(size[None, :] * np.exp(growth - growth[:1])))
    rev = emp * productivity[None, :] * np.exp(rng.normal(0, 0.1, (n_years, n)))
    rd = rev * rd_rate[None, :] * np.exp(rng.normal(0, 0.2, (n_years, n)))

    def noise(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, (n_years, n))

    firms = pd.DataFrame({
        "firm": np.tile(firm_id, n_years), "year": np.repeat(yrs, n),
        "region": np.tile(region, n_years), "industry": np.tile(industry, n_years),
        "employees": emp.ravel(), "revenue": rev.ravel(), "rd": rd.ravel(),
        "new_product_sales": (rev * np.minimum(1.0, rd_rate[None, :] * 6) * noise(0.5, 1.5)).ravel(),
        "value_added": (rev * noise(0.15, 0.35)).ravel(),
        "exports": (rev * noise(0.0, 0.4) * (rng.random((n_years, n)) < 0.5)).ravel(),
        "energy": (rev * noise(0.02, 0.12)).ravel(),
        "co2": (rev * noise(0.05, 0.3)).ravel(),
        "rd_personnel": np.round(emp * np.minimum(0.6, rd_rate[None, :] * 4) * noise(0.7, 1.3)).ravel(),
        "skilled_workers": np.round(emp * noise(0.05, 0.35)).ravel(),
        "little_giant": np.tile(little, n_years), "single_champion": np.tile(champion, n_years),
        "listed": np.tile(listed, n_years),
        "smart_factory": (rng.random((n_years, n)) < 0.05 + 0.1 * np.log10(emp) / 5).ravel(),
        "green_factory": (rng.random((n_years, n)) < 0.04 + 0.02 * np.arange(n_years)[:, None]).ravel(),
    })

    # patents and standards: firms that do R&D, counts Poisson in their R&D
    active = firms[firms.rd > 0]
    lam = active.rd.to_numpy() / 40.0
    patents = pd.DataFrame({"firm": active.firm.to_numpy(), "year": active.year.to_numpy(),
                            "invention_patents": rng.poisson(lam), "pct_applications": rng.poisson(lam * 0.15),
                            "standards_led": rng.poisson(lam * 0.01),
                            "standards_participated": rng.poisson(lam * 0.04)})
    patents = patents[(patents.invention_patents + patents.pct_applications + patents.standards_participated) > 0]

    # purchases: buyers choose suppliers (other firms), several per critical input
    buyers = firm_id[rng.random(n) < buyer_share]
    k = purchases_per_buyer
    m = len(buyers) * k
    b = np.repeat(buyers, k)
    s_idx = rng.integers(0, n, m)
    supplier = firm_id[s_idx]
    b_idx = np.searchsorted(firm_id, b)
    base = pd.DataFrame({"buyer": b, "supplier": supplier, "input": [f"IN{j}" for j in rng.integers(1, 4, m)],
                         "local": region[s_idx] == region[b_idx], "domestic": rng.random(m) < 0.8,
                         "critical": rng.random(m) < 0.5, "scale": rng.lognormal(0, 1, m) * size[b_idx]})
    base = base[base.buyer != base.supplier].drop_duplicates(["buyer", "supplier", "input"])
    purchases = pd.concat([base.assign(year=int(y), amount=base.scale * rng.lognormal(0, 0.3, len(base)))
                           for y in yrs], ignore_index=True).drop(columns="scale")
    purchases = purchases[["buyer", "supplier", "input", "year", "amount", "local", "domestic", "critical"]]
    return SyntheticRecords(regions, industries, clusters, firms.reset_index(drop=True),
                            patents.reset_index(drop=True), purchases.reset_index(drop=True))


def write_synthetic(folder: str | Path, records: SyntheticRecords) -> Path:
    """Write a records folder, all or nothing: ``regions.csv``, ``industries.csv``, ``clusters.csv`` and
    ``firms.parquet``, ``patents.parquet``, ``purchases.parquet``."""

    def write(tmp: Path) -> None:
        records.regions.to_csv(tmp / "regions.csv", index=False)
        records.industries.to_csv(tmp / "industries.csv", index=False)
        records.clusters.to_csv(tmp / "clusters.csv", index=False)
        for name in ("firms", "patents", "purchases"):
            getattr(records, name).to_parquet(tmp / f"{name}.parquet", index=False)

    return write_atomic_dir(folder, write)
