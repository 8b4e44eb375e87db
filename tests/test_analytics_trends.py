"""Monitoring: Gini and Dagum's decomposition by hand, CAGR and projection, coupling coordination, comparable
scores over years (pooled or base-year bounds), tier transitions."""

from __future__ import annotations

import math
import re
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clusterleap as cl
from clusterleap.analysis import (
    cagr,
    coordination_class,
    coupling_coordination,
    dagum,
    gini,
    linear_crossing,
    panel_scores,
    reach_year,
    trends,
)
from clusterleap.errors import DataError, RecipeError
from conftest import shared_path


def test_dagum_hand_example() -> None:
    """Groups A = {1, 3}, B = {2, 6}; n = 4, mu = 3. Sum of |y_i - y_r| over ordered pairs = 32, so G = 32 / (2 *
    16 * 3) = 1/3. G_AA = 4 / (2 * 4 * 2) = 1/4, G_BB = 8 / (2 * 4 * 4) = 1/4; p = (1/2, 1/2), s = (1/3, 2/3):
    G_w = 1/4 * 1/2 * 1/3 + 1/4 * 1/2 * 2/3 = 1/8. G_AB = (1 + 5 + 1 + 3) / (2 * 2 * (2 + 4)) = 5/12; B is richer:
    d = (1 + 0 + 5 + 3) / 4 = 9/4, p = 1/4, D = (9/4 - 1/4) / (9/4 + 1/4) = 4/5; weight G_AB (p_A s_B + p_B s_A) =
    5/12 * 1/2 = 5/24: G_nb = 5/24 * 4/5 = 1/6 and G_t = 5/24 * 1/5 = 1/24. 1/8 + 1/6 + 1/24 = 1/3."""
    d = dagum([1.0, 3.0, 2.0, 6.0], ["A", "A", "B", "B"])
    assert d.total == pytest.approx(float(Fraction(1, 3)))
    assert d.within == pytest.approx(float(Fraction(1, 8)))
    assert d.between == pytest.approx(float(Fraction(1, 6)))
    assert d.transvariation == pytest.approx(float(Fraction(1, 24)))
    assert d.group_gini["A"] == pytest.approx(0.25) and d.group_gini["B"] == pytest.approx(0.25)
    assert d.pair_gini.loc["A", "B"] == pytest.approx(5 / 12)
    assert d.affluence.loc["B", "A"] == pytest.approx(0.8)
    assert gini([1.0, 3.0, 2.0, 6.0]) == pytest.approx(1 / 3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.1, 100), st.sampled_from("abcd")), min_size=2, max_size=30))
def test_dagum_parts_add_up_to_the_gini(pairs: list[tuple[float, str]]) -> None:
    x = [v for v, _ in pairs]
    g = [lab for _, lab in pairs]
    d = dagum(x, g)
    assert d.within + d.between + d.transvariation == pytest.approx(d.total, abs=1e-12)
    assert d.total == pytest.approx(gini(x))
    assert min(d.within, d.between, d.transvariation) >= -1e-12


def test_dagum_errors_and_missing_values() -> None:
    d = dagum([1.0, 3.0, np.nan, 2.0, 6.0, 5.0], ["A", "A", "A", "B", "B", None])
    assert d.total == pytest.approx(1 / 3)  # the NaN and the unlabelled value are left out
    with pytest.raises(DataError, match="at least 2 values"):
        dagum([1.0], ["A"])


def test_cagr_and_linear_projection() -> None:
    assert cagr(50.0, 72.0, 2) == pytest.approx(0.2)  # sqrt(72 / 50) - 1
    assert math.isnan(cagr(0.0, 10.0, 3))
    # distances 10, 8, 6 in 2020-2022 fall by 2 a year: the line 4050 - 2 t reaches zero in 2025
    slope, intercept, year = linear_crossing([2020, 2021, 2022], [10.0, 8.0, 6.0])
    assert slope == pytest.approx(-2.0) and intercept == pytest.approx(4050.0) and year == pytest.approx(2025.0)
    assert math.isnan(linear_crossing([2020, 2021], [5.0, 6.0])[2])  # widening: no crossing
    assert math.isnan(linear_crossing([2020, 2021], [5.0, np.nan])[0])


def test_coupling_coordination_hand_example() -> None:
    """U = (0.25, 1): C = 2 sqrt(0.25) / 1.25 = 0.8, T = 0.625, D = sqrt(0.5) = 0.7071 (intermediate coordination).
    Equal systems couple perfectly (C = 1); a zero system gives C = 0."""
    c, t, d = coupling_coordination(np.array([[0.25, 1.0], [0.5, 0.5], [0.0, 0.5], [np.nan, 0.5]]))
    assert c[:3] == pytest.approx([0.8, 1.0, 0.0])
    assert t[:3] == pytest.approx([0.625, 0.5, 0.25])
    assert d[:3] == pytest.approx([math.sqrt(0.5), math.sqrt(0.5), 0.0])
    assert np.isnan(d[3])
    assert coordination_class(float(d[0])) == ("intermediate coordination", "中级协调")
    assert coordination_class(1.0) == ("quality coordination", "优质协调")
    three = coupling_coordination(np.array([0.2, 0.4, 0.8]), weights=[1, 1, 2])
    assert three[0] == pytest.approx(3 * (0.2 * 0.4 * 0.8) ** (1 / 3) / 1.4)
    assert three[1] == pytest.approx(0.25 * 0.2 + 0.25 * 0.4 + 0.5 * 0.8)


def _panel() -> tuple[cl.Framework, cl.Dataset]:
    fw = cl.Framework.from_nodes("p", [cl.Node("I", None), cl.Node("D1", "I"), cl.Node("D2", "I"),
                                       cl.Node("x", "D1", kind="indicator"), cl.Node("y", "D2", kind="indicator")])
    df = pd.DataFrame({
        "unit": ["A", "B", "C", "A", "B", "C"],
        "year": [2020, 2020, 2020, 2021, 2021, 2021],
        "region": ["e", "w", "e"] * 2,
        "x": [0.0, 10, 5, 10, 20, 5],
        "y": [0.0, 10, 5, 10, 20, 5],
        "benchmark": [0, 0, 1] * 2,
    })
    return fw, cl.read_data(df)


def _pooled(fw: cl.Framework, ds: cl.Dataset, **kw: Any) -> cl.Recipe:
    """The default recipe on a frozen basis fitted on every unit of every year."""
    return cl.calibrate(fw, ds, cl.Recipe(**kw))


def test_pooled_and_base_year_normalisation() -> None:
    fw, ds = _panel()
    with pytest.raises(RecipeError, match="relative basis, whose scores are not comparable across years"):
        panel_scores(fw, ds, cl.Recipe())
    pooled, _, yrs = panel_scores(fw, ds, cl.Recipe(), reference="pooled")
    assert yrs == (2020, 2021)
    # pooled min-max over both years, 0..20: 2020 A 0, B 50, C 25; 2021 A 50, B 100, C 25
    assert pooled[:, :, 0] == pytest.approx(np.array([[0.0, 50, 25], [50, 100, 25]]))
    base, _, _ = panel_scores(fw, ds, cl.Recipe(), reference="first")
    # fitted on 2020 (0..10): 2021 B = 20 scores 200, beyond the scale
    assert base[:, :, 0] == pytest.approx(np.array([[0.0, 100, 50], [100, 200, 50]]))
    assert base[:, :, 0] == pytest.approx(panel_scores(fw, ds, cl.Recipe(), reference=2020)[0][:, :, 0])
    with pytest.raises(RecipeError, match="reference 2019"):
        panel_scores(fw, ds, cl.Recipe(), reference=2019)
    with pytest.raises(DataError, match="at least two years"):
        panel_scores(fw, ds, cl.Recipe(), years=[2020], reference="pooled")
    # the same scales frozen into the recipe: every cluster-year then has the score evaluate gives it
    frozen = _pooled(fw, ds)
    scores, _, _ = panel_scores(fw, ds, frozen)
    assert scores == pytest.approx(pooled)
    for k, year in enumerate(yrs):
        assert scores[k] == pytest.approx(cl.evaluate(fw, ds, frozen, year).score_array)
    first = cl.calibrate(fw, ds, cl.Recipe(), years=[2020], clip=False)
    assert panel_scores(fw, ds, first)[0][:, :, 0] == pytest.approx(base[:, :, 0])
    with pytest.raises(RecipeError, match="already fixes the scale"):
        panel_scores(fw, ds, frozen, reference="first")


def test_trends_tables() -> None:
    fw, ds = _panel()
    scheme = {"tiers": [{"code": "hi", "min_score": 60}, {"code": "mid", "min_score": 40}, {"code": "lo"}]}
    tr = trends(fw, ds, _pooled(fw, ds), scheme=scheme)
    assert tr.index.loc["B", 2021] == pytest.approx(100.0)
    assert tr.growth.loc["B", "cagr"] == pytest.approx(1.0)  # 50 -> 100 in one year
    assert math.isnan(tr.growth.loc["A", "cagr"])  # from 0
    # frontier: the benchmark C's index (25 both years); distance of B 25 - 100 = -75: beyond the frontier
    assert list(tr.frontier["frontier"]) == [25.0, 25.0]
    assert tr.distance.loc["A", 2020] == 25.0 and tr.distance.loc["A", 2021] == -25.0
    assert tr.projection.loc["B", "status"] == "at or beyond the frontier"
    # the benchmark C is a reference: scored, not graded
    assert list(tr.grades[2020]) == ["lo", "mid", ""] and list(tr.grades[2021]) == ["mid", "hi", ""]
    m = tr.transitions
    assert m.loc["lo", "mid"] == 1 and m.loc["mid", "hi"] == 1 and m.loc["ungraded", "ungraded"] == 1
    assert int(m.to_numpy().sum()) == 3
    # disparity among the domestic units A and B, by region (one each): all between-group
    d = tr.disparity.loc[2021]
    assert d["gini"] == pytest.approx(gini([50.0, 100.0]))
    assert d["within"] == pytest.approx(0.0) and d["between"] + d["transvariation"] == pytest.approx(d["gini"])
    assert d["cv"] == pytest.approx(25 / 75)
    assert d["sd_log"] == pytest.approx(np.std(np.log([50.0, 100.0])))
    # 2020: A 0 (east) and B 50 (west): G = 0.5, all of it between the regions (B is richer on every pair)
    d0 = tr.disparity.loc[2020]
    assert d0["gini"] == pytest.approx(0.5) and d0["between"] == pytest.approx(0.5)
    assert d0["within"] == 0.0 and d0["transvariation"] == pytest.approx(0.0)
    # coupling of the two dimensions (equal here): C = 1 and D = sqrt(T)
    cpl = tr.coupling.loc[(2021, "A")]
    assert cpl["C"] == pytest.approx(1.0) and cpl["D"] == pytest.approx(math.sqrt(0.5))


def test_trends_on_the_asem_panel() -> None:
    """COINr's artificial ASEM panel (51 countries, 5 years): every year's Dagum parts add up to its Gini."""
    meta = shared_path("asem", "ASEM_iMeta.csv")
    data = shared_path("asem", "ASEM_iData_p.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        tr = trends(meta, data, group="EurAsia_group", reference="pooled")
    assert len(tr.years) == 5
    d = tr.disparity
    assert np.allclose(d["within"] + d["between"] + d["transvariation"], d["gini"], atol=1e-12)
    assert tr.frontier_kind == "best domestic unit"
    assert (tr.distance.min() >= -1e-12).all()
    assert tr.scores.shape == (5 * 51, len(tr.scores.columns))


def test_reach_year_rounds_to_the_nearest_whole_year() -> None:
    assert reach_year(2024.6, 2023) == 2025 and reach_year(2026.4, 2024) == 2026 and reach_year(2026.5, 2024) == 2027
    # the last observed distance (2024) is still positive: not before the next year, whatever the line says
    assert reach_year(2023.2, 2024) == 2025
    assert reach_year(float("nan"), 2024) is None


def _closing_panel() -> tuple[cl.Framework, cl.Dataset]:
    """One indicator; L stays at 0 and the benchmark B at 100 (the pooled min-max scale is the raw one), A rises
    50, 60, 65: distances to the frontier 50, 40, 35."""
    fw = cl.Framework.from_nodes("c", [cl.Node("I", None), cl.Node("x", "I", kind="indicator")])
    df = pd.DataFrame({"unit": ["A", "B", "L"] * 3, "year": [2020] * 3 + [2021] * 3 + [2022] * 3,
                       "x": [50.0, 100, 0, 60, 100, 0, 65, 100, 0], "benchmark": [0, 1, 0] * 3})
    return fw, cl.read_data(df)


def test_projection_is_reported_to_the_year() -> None:
    """Least squares through (2020, 50), (2021, 40), (2022, 35): slope -7.5, mean 41.667 at 2021, so zero at
    2021 + 41.667 / 7.5 = 2026.56, reported as 2027."""
    fw, ds = _closing_panel()
    scheme = {"tiers": [{"code": "hi", "min_score": 60}, {"code": "lo"}]}
    tr = trends(fw, ds, _pooled(fw, ds), scheme=scheme)
    pr = tr.projection.loc["A"]
    assert pr["projected_year"] == pytest.approx(2021 + (125 / 3) / 7.5)
    assert pr["reach_year"] == 2027
    assert "around 2027 (to the nearest year" in pr["status"] and "约在 2027 年达到前沿" in pr["status_zh"]
    assert not any(re.search(r"\d{4}\.\d", s) for s in [*tr.projection["status"], *tr.projection["status_zh"]])
    assert pd.isna(tr.projection.loc["B", "reach_year"])


def test_trends_say_their_reference_frontier_and_tiers_in_both_languages() -> None:
    fw, ds = _panel()
    scheme = {"tiers": [{"code": "hi", "name_en": "high", "name_zh": "高", "min_score": 60},
                        {"code": "mid", "name_en": "middle", "min_score": 40}, {"code": "lo"}]}
    tr = trends(fw, ds, _pooled(fw, ds), scheme=scheme)
    assert tr.reference == "basis" and tr.frontier_kind == "benchmark median"  # codes
    assert tr.describe_reference().startswith("a frozen reference (fitted on all units of ")
    assert tr.reference_zh.startswith("冻结的参照（拟合于all units of")
    assert tr.describe_frontier("en") == "the median index of the benchmark clusters"
    assert tr.frontier_kind_zh == tr.describe_frontier("zh") == "标杆集群指数的中位数"
    relative = {"tiers": [{"code": "top", "top_percent": 50}, {"code": "rest"}]}
    pooled = trends(fw, ds, reference="pooled", scheme=relative)
    assert pooled.describe_reference() == "all years pooled" and pooled.reference_zh == "各年合并"
    first = trends(fw, ds, reference="first", frontier="best", scheme=relative)
    assert first.describe_reference("zh") == "首年（2020 年）" and first.describe_reference() == "the first year, 2020"
    assert first.frontier_kind_zh == "最佳标杆集群的指数"
    assert trends(fw, ds, reference=2021, scheme=relative).describe_reference("zh") == "2021 年"
    with pytest.raises(RecipeError, match="compares scores with fixed numbers"):
        trends(fw, ds, reference="pooled", scheme=scheme)
    # tier labels: the scheme's names, the other language's when one is missing, else the code
    assert [tr.tier_label(c) for c in ("hi", "mid", "lo")] == ["high", "middle", "lo"]
    assert [tr.tier_label(c, "zh") for c in ("hi", "mid", "lo", "ungraded")] == ["高", "middle", "lo", "未分级"]
    zh = tr.transitions_labelled("zh")
    # the benchmark is a reference, counted as ungraded in both years
    assert list(zh.index) == ["高", "middle", "lo", "未分级"] and list(zh.columns) == ["高", "middle", "lo", "未分级"]
    assert zh.to_numpy().tolist() == tr.transitions.to_numpy().tolist()
    assert zh.loc["lo", "middle"] == tr.transitions.loc["lo", "mid"] == 1
