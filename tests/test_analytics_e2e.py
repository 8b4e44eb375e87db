"""End to end on the built-in world-class framework and the illustrative data: grades with reasons, types, gaps,
actions, and trends over the years."""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import clusterleap as cl
from clusterleap.analysis import analyse, grades, trends
from clusterleap.grading import builtin_schemes
from clusterleap.illustrative import illustrative_data


@pytest.fixture(scope="module")
def demo() -> tuple[cl.Result, cl.Dataset, cl.Recipe]:
    ds = illustrative_data()
    recipe = cl.Recipe.load(Path(str(resources.files("clusterleap") / "data" / "demo-recipe.yaml")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        return cl.evaluate("world-class", ds, recipe), ds, recipe


def test_demo_grades_types_gaps_and_actions(demo: tuple[cl.Result, cl.Dataset, cl.Recipe]) -> None:
    r, _, _ = demo
    an = analyse(r, peer="sector")
    g = an.grades
    assert set(g["tier"]) <= {"world_class", "candidate", "national", "regional", "emerging", ""}
    assert g["tier"].nunique() >= 3
    graded = g[g["tier"] != ""]
    assert graded["reason"].str.len().gt(10).all() and graded["reason_zh"].str.len().gt(5).all()
    # a unit below the top tier is told what keeps it out of the tier above
    below = graded[graded["tier_pos"] > 0]
    assert below["reason"].str.contains("kept from").all()
    assert below["reason_zh"].str.contains("未达").all()
    # no graded unit has a dimension below its tier's floor
    sch = builtin_schemes()["default"]
    for unit, row in graded.iterrows():
        tier = sch.tiers[int(row["tier_pos"])]
        floor = dict(tier.floors).get("*")
        if floor is not None:
            assert (r.scores.loc[unit, ["TI", "PC", "EE", "ES", "AM"]] >= floor).all()
    t = an.types
    assert t["type"].ne("").mean() > 0.9 and t["type"].nunique() >= 4
    # the index is a geometric mean of the dimensions: the gap parts still add up exactly
    gp = an.gaps
    assert gp.description == "the benchmark median on each indicator"
    ok = gp.gap["WCI"].notna()
    assert np.allclose(gp.contribution.loc[ok, list(r.framework.indicators)].sum(axis=1), gp.gap.loc[ok, "WCI"],
                       atol=1e-9)
    acts = an.actions
    assert acts["unit"].nunique() > 40
    assert {"technology_foundation", "premium_products", "flagship_firms", "ecosystem_guidance"} <= set(acts["action"])
    row = acts.iloc[0]
    assert row["node"] in r.framework and row["score"] == r.scores.loc[row["unit"], row["node"]]
    assert row["source_zh"] and row["expert_zh"]
    p = an.profile("CN001")
    assert p.grade["reason"] == g.loc["CN001", "reason"]
    assert p.illustrative


def test_demo_observatory_stars(demo: tuple[cl.Result, cl.Dataset, cl.Recipe]) -> None:
    r, ds, _ = demo
    g = grades(r, "observatory")
    ti = ds.years.index(r.year)
    lq = ds.column("location_quotient")[ti]
    assert (g["meets_specialisation"].to_numpy() == (lq >= 2)).all()
    emp = ds.column("employment")[ti]
    n = int(np.sum(~np.isnan(emp)))
    assert g["meets_size"].sum() == int(np.ceil(0.1 * n))
    assert (g["stars"] == g[["meets_size", "meets_specialisation", "meets_labour_productivity"]].sum(axis=1)).all()


def test_demo_trends(demo: tuple[cl.Result, cl.Dataset, cl.Recipe]) -> None:
    _, ds, recipe = demo
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        tr = trends("world-class", ds, recipe)
    assert tr.years == (2019, 2020, 2021, 2022, 2023, 2024)
    assert tr.group == "region" and tr.frontier_kind == "benchmark median"
    d = tr.disparity
    assert np.allclose(d["within"] + d["between"] + d["transvariation"], d["gini"], atol=1e-12)
    # the illustrative domestic clusters catch up: the mean index rises and most distances to the frontier shrink
    assert d["mean"].iloc[-1] > d["mean"].iloc[0]
    dom = ~np.asarray(ds.benchmark)
    closing = tr.projection.loc[dom, "slope"] < 0
    assert closing.mean() > 0.5
    proj = tr.projection.loc[dom & tr.projection["projected_year"].notna().to_numpy()]
    assert (proj["projected_year"] > 2024).all()
    assert proj["status"].str.contains("naive linear extrapolation").all()
    m = tr.transitions
    assert int(m.to_numpy().sum()) == len(ds.units)
    assert set(tr.coupling["class"]) - {""} and tr.coupling["D"].dropna().between(0, 1).all()
