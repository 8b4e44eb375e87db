"""Grades: schemes, hand-computed tiers and reasons, floors never violated, the vectorised kernel, the European
Cluster Observatory stars on real U.S. cluster data, and the recipe's ``grading`` field."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clusterleap as cl
from clusterleap.analysis import assign_grades, grades, transition_matrix
from clusterleap.errors import DataError, RecipeError
from clusterleap.grading import (
    Criterion,
    GradingScheme,
    Tier,
    builtin_schemes,
    load_scheme,
    observatory_scheme,
    tier_array,
)
from conftest import ASEM_RECIPE, shared_path

SCHEME = GradingScheme.from_dict({
    "name": "test",
    "tiers": [
        {"code": "top", "name_en": "top", "name_zh": "顶级", "min_score": 70, "floors": {"*": 50}},
        {"code": "mid", "name_en": "middle", "name_zh": "中级", "min_score": 50},
        {"code": "low", "name_en": "low", "name_zh": "低级"},
    ],
})


def _scores() -> pd.DataFrame:
    return pd.DataFrame(
        {"I": [80.0, 75.0, 40.0, np.nan, 72.0], "D1": [60.0, 45.0, 30.0, 10.0, 50.0],
         "D2": [55.0, 90.0, 20.0, 10.0, 70.0]},
        index=pd.Index(["A", "B", "C", "D", "E"], name="unit"),
    )


def test_hand_computed_tiers_and_reasons() -> None:
    g = assign_grades(_scores(), SCHEME, dimensions=["D1", "D2"])
    assert list(g["tier"]) == ["top", "mid", "low", "", "top"]
    assert list(g["tier_pos"]) == [0, 1, 2, -1, 0]
    assert g.loc["A", "grade_zh"] == "顶级"
    # B: index 75 >= 70 but D1 45 < floor 50 keeps it out of the top tier (the seed's "no breakpoints")
    assert g.loc["B", "reason"] == "middle: index 75.0 >= 50; kept from top by D1 45.0 < floor 50"
    assert g.loc["B", "reason_zh"] == "中级：指数 75.0 ≥ 50；因D1 45.0 < 底线 50，未达顶级"
    assert g.loc["C", "reason"] == "low: no conditions; kept from middle by index 40.0 < 50"
    assert g.loc["A", "reason"] == ("top: index 80.0 >= 70; no short board below its floor (closest: D2 55.0 >= "
                                    "floor 50)")
    # E sits exactly on the floor: at the floor is not below it
    assert g.loc["E", "tier"] == "top"
    assert g.loc["D", "reason"] == "not graded: the index is missing"


def test_a_node_floor_overrides_the_star_floor() -> None:
    sch = GradingScheme((Tier("top", min_score=70, floors=(("*", 50.0), ("D1", 40.0))), Tier("rest")))
    g = assign_grades(_scores(), sch, dimensions=["D1", "D2"])
    assert g.loc["B", "tier"] == "top"  # D1 45 >= its own floor 40


@st.composite
def _case(draw: st.DrawFn) -> tuple[np.ndarray, GradingScheme]:
    u = draw(st.integers(1, 12))
    vals = draw(st.lists(st.one_of(st.floats(0, 100), st.just(math.nan)), min_size=3 * u, max_size=3 * u))
    x = np.array(vals).reshape(u, 3)
    n_tiers = draw(st.integers(1, 4))
    tiers = []
    for k in range(n_tiers):
        floors = {}
        if draw(st.booleans()):
            floors["*"] = draw(st.floats(0, 100))
        if draw(st.booleans()):
            floors["D2"] = draw(st.floats(0, 100))
        tiers.append({"code": f"t{k}", "min_score": draw(st.one_of(st.none(), st.floats(0, 100))),
                      "floors": floors})
    return x, GradingScheme.from_dict({"tiers": tiers})


@settings(max_examples=150, deadline=None)
@given(_case())
def test_no_grade_is_given_against_a_floor(case: tuple[np.ndarray, GradingScheme]) -> None:
    """A unit in a tier meets every condition of that tier (no dimension below a floor) and fails some condition of
    every tier above it."""
    x, sch = case
    df = pd.DataFrame(x, columns=["I", "D1", "D2"])
    tiers = tier_array(x[None], ["I", "D1", "D2"], sch, dimensions=["D1", "D2"])[0]
    labelled = assign_grades(df, sch, dimensions=["D1", "D2"])
    assert list(labelled["tier_pos"]) == list(tiers)

    def meets(i: int, t: Tier) -> bool:
        ok = not np.isnan(x[i, 0]) and (t.min_score is None or x[i, 0] >= t.min_score)
        floors = dict(t.floors)
        for j, d in ((1, "D1"), (2, "D2")):
            f = floors.get(d, floors.get("*"))
            if f is not None:
                ok = ok and not np.isnan(x[i, j]) and x[i, j] >= f
        return ok

    for i, t in enumerate(tiers):
        if t >= 0:
            assert meets(i, sch.tiers[t])
            assert not any(meets(i, sch.tiers[k]) for k in range(t))
        else:
            assert np.isnan(x[i, 0]) or not any(meets(i, tier) for tier in sch.tiers)


def test_tier_array_is_vectorised_over_samples() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, size=(200, 30, 3))
    nodes = ["I", "D1", "D2"]
    together = tier_array(x, nodes, SCHEME, dimensions=["D1", "D2"])
    one_by_one = np.stack([tier_array(x[s:s + 1], nodes, SCHEME, dimensions=["D1", "D2"])[0] for s in range(200)])
    assert together.shape == (200, 30)
    assert (together == one_by_one).all()


def test_top_percent_and_ties() -> None:
    # among 10 domestic units the top 20 % are those fewer than 2 others beat
    sch = GradingScheme((Tier("lead", top_percent=20), Tier("rest")))
    df = pd.DataFrame({"I": [10.0, 10, 9, 8, 7, 6, 5, 4, 3, 2, 99]})
    bench = [False] * 10 + [True]  # the benchmark does not count among the reference units
    g = assign_grades(df, sch, bench)
    assert list(g["tier"]) == ["lead", "lead"] + ["rest"] * 8 + [""]  # the benchmark is a reference, not graded
    assert "not in the top 20 % of domestic units" in g.loc[2, "reason"]
    assert g.loc[10, "tier_pos"] == -1 and g.loc[10, "reason"].startswith("benchmark: a reference")


def test_benchmark_margin() -> None:
    sch = GradingScheme((Tier("wc", benchmark_margin=5), Tier("rest")))
    df = pd.DataFrame({"I": [66.0, 64.0, 60.0, 70.0, 80.0]})
    g = assign_grades(df, sch, [False, False, True, True, True])  # benchmark median 70, threshold 65
    assert list(g["tier"]) == ["wc", "rest", "", "", ""]  # benchmarks: references, not graded
    assert g.loc[1, "reason"] == "rest: no conditions; kept from wc by index 64.0 < 65.0 (benchmark median minus 5)"
    with pytest.raises(DataError, match="benchmark units"):
        assign_grades(df, sch)


def test_meets_n_of_m_criteria() -> None:
    sch = GradingScheme(
        tiers=(Tier("gold", min_criteria=3), Tier("silver", min_criteria=2), Tier("none")),
        criteria=(Criterion("a", "A", min_value=50), Criterion("b", "B", min_value=50),
                  Criterion("c", "C", min_value=50)),
    )
    df = pd.DataFrame({"I": [1.0, 1, 1], "A": [60.0, 60, 10], "B": [60.0, 10, 10], "C": [60.0, 60, 60]})
    g = assign_grades(df, sch)
    assert list(g["tier"]) == ["gold", "silver", "none"]
    assert list(g["stars"]) == [3, 2, 1]
    assert list(g["meets_b"]) == [True, False, False]
    assert g.loc[1, "reason"] == "silver: meets 2 criteria (a, c) >= 2; kept from gold by meets 2 criteria (a, c) < 3"


def test_observatory_stars_on_us_cluster_mapping() -> None:
    """The Observatory's three stars on a real data set: the 50 states' regional clusters of one category (U.S.
    Cluster Mapping Project 2016). Size: top 10 % of the 50 states on employment = the 5 largest; specialisation:
    location quotient >= 2; focus: top 10 % on the cluster's share of the state's employment."""
    path = shared_path("us_cluster_mapping", "cmp_states_clusters_2016.csv")
    df = pd.read_csv(path)
    one = df[df["cluster_code_t"] == df.loc[df["cluster_type"] == "traded", "cluster_code_t"].iloc[0]]
    one = one.set_index("region_short_name_t")
    assert len(one) == 50
    sch = observatory_scheme("emp", "lq", "focus")
    data = {"emp": one["emp_tl"].to_numpy(float), "lq": one["lq_tf"].to_numpy(float),
            "focus": one["region_emp_per_tf"].to_numpy(float)}
    g = assign_grades(pd.DataFrame({"I": np.zeros(50)}, index=one.index), sch, data=data)
    size = set(one["emp_tl"].nlargest(5).index)
    focus = set(one["region_emp_per_tf"].nlargest(5).index)
    spec = set(one.index[one["lq_tf"] >= 2])
    assert set(g.index[g["meets_size"]]) == size
    assert set(g.index[g["meets_focus"]]) == focus
    assert set(g.index[g["meets_specialisation"]]) == spec
    expected = {u: (u in size) + (u in focus) + (u in spec) for u in one.index}
    assert g["stars"].to_dict() == expected
    three = {u for u, s in expected.items() if s == 3}
    assert set(g.index[g["tier"] == "three_stars"]) == three


def test_top_percent_within_groups() -> None:
    crit = Criterion("size", "emp", source="data", top_percent=50, within="sector")
    sch = GradingScheme((Tier("big", min_criteria=1), Tier("small")), (crit,))
    emp = np.array([1.0, 2, 3, 4, 10, 20])
    g = assign_grades(pd.DataFrame({"I": np.zeros(6)}), sch, data={"emp": emp},
                      groups={"sector": ["a", "a", "a", "a", "b", "b"]})
    assert list(g["tier"]) == ["small", "small", "big", "big", "small", "big"]


def test_scheme_round_trip_and_yaml(tmp_path: object) -> None:
    for name, sch in builtin_schemes().items():
        again = GradingScheme.from_dict(sch.to_dict())
        assert again == sch, name
        assert hash(again) == hash(sch)
    path = tmp_path / "s.yaml"  # type: ignore[operator]
    path.write_text(SCHEME.to_yaml(), encoding="utf-8")
    assert load_scheme(path) == SCHEME
    assert load_scheme("relative") == builtin_schemes()["relative"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"tiers": []}, "'tiers' must be a non-empty list"),
        ({"tiers": [{"code": "a", "floorz": {}}]}, "tier 1 ('a'): unknown key 'floorz' (did you mean \"floors\"?)"),
        ({"tiers": [{"code": "a"}, {"code": "a"}]}, "tier 2 ('a'): the code appears twice"),
        ({"tiers": [{"code": "a", "min_score": "high"}]}, "min_score is 'high' (expected a finite number)"),
        ({"tiers": [{"code": "a", "top_percent": 120}]}, "top_percent is 120.0"),
        ({"tiers": [{"code": "a", "min_criteria": 2}]}, "min_criteria is 2 but the scheme has 0 criteria"),
        ({"tiers": [{"code": "a"}], "criteria": [{"code": "c", "variable": "x"}]}, "needs min_value or top_percent"),
    ],
)
def test_scheme_errors_name_the_place(spec: dict[str, object], message: str) -> None:
    with pytest.raises(RecipeError) as err:
        GradingScheme.from_dict(spec, "s.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("s.yaml")


def test_unknown_floor_node_and_builtin_name() -> None:
    sch = GradingScheme((Tier("a", floors=(("D9", 10.0),)), Tier("b")))
    with pytest.raises(RecipeError, match="node 'D9' is not among the scores"):
        assign_grades(_scores(), sch)
    with pytest.raises(RecipeError, match='did you mean "relative"'):
        load_scheme("relativ")


def test_recipe_carries_a_grading_scheme(tmp_path: object) -> None:
    plain = cl.Recipe()
    assert "grading" not in plain.to_dict()
    with_g = cl.Recipe(grading=SCHEME.to_dict())  # type: ignore[arg-type]
    assert with_g.grading == SCHEME
    assert with_g.to_dict()["grading"] == SCHEME.to_dict()
    assert with_g.hash != plain.hash
    assert cl.Recipe.from_dict(with_g.to_dict()) == with_g
    path = tmp_path / "r.yaml"  # type: ignore[operator]
    with_g.save(path)
    assert cl.Recipe.load(path).grading == SCHEME
    with pytest.raises(RecipeError, match=r"r2\.yaml, grading, tier 1 \('a'\): unknown key 'min'"):
        cl.Recipe.from_dict({"grading": {"tiers": [{"code": "a", "min": 3}]}}, "r2.yaml")
    with pytest.raises(RecipeError, match="expected a grading scheme"):
        cl.Recipe(grading=3)  # type: ignore[arg-type]


def test_grades_of_a_result_use_the_recipes_scheme(asem: tuple[object, object]) -> None:
    fw, ds = asem
    sch = GradingScheme((Tier("high", min_score=55, floors=(("*", 40.0),)), Tier("other")), name="asem")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        relative = cl.evaluate(fw, ds, cl.Recipe.from_dict({**ASEM_RECIPE, "grading": sch.to_dict()}))  # type: ignore[arg-type]
        with pytest.raises(RecipeError, match="scores on a relative basis"):
            grades(relative)
        # a frozen basis fitted on the same units gives the same scores, now on a scale that stays put
        frozen = cl.calibrate(fw, ds, cl.Recipe(grading=sch, denominate="none"))
        r = cl.evaluate(fw, ds, frozen)
        plain = cl.evaluate(fw, ds, cl.Recipe(denominate="none"))
    np.testing.assert_allclose(r.scores.to_numpy(), plain.scores.to_numpy(), rtol=0, atol=1e-9)
    g = grades(r)
    expect = (r.scores["Index"] >= 55) & (r.scores["Conn"] >= 40) & (r.scores["Sust"] >= 40)
    assert (g["tier"] == np.where(expect, "high", "other")).all()
    assert g["score"].equals(r.scores["Index"].rename("score"))


def test_transition_matrix_counts() -> None:
    m = transition_matrix(["a", "a", "b", "c", ""], ["a", "b", "b", "", "c"], ["a", "b", "c"])
    assert list(m.index) == ["a", "b", "c", "ungraded"]
    assert m.loc["a", "a"] == 1 and m.loc["a", "b"] == 1 and m.loc["b", "b"] == 1
    assert m.loc["c", "ungraded"] == 1 and m.loc["ungraded", "c"] == 1
    assert int(m.to_numpy().sum()) == 5
