"""Standing against peers, obstacle degrees, marginal gains, and the profile of one cluster whose every number is a
cell of a table."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clusterleap as cl
from clusterleap.analysis import (
    analyse,
    frontier_gains,
    marginal_gains,
    obstacle_degrees,
    profile,
    short_boards,
    standing,
    unit_interval,
)
from clusterleap.errors import DataError
from conftest import ASEM_RECIPE


def _two_level() -> cl.Framework:
    return cl.Framework.from_nodes("two", [
        cl.Node("I", None),
        cl.Node("A", "I"), cl.Node("B", "I"),
        cl.Node("a1", "A", kind="indicator"), cl.Node("a2", "A", kind="indicator", weight=3.0),
        cl.Node("b1", "B", kind="indicator"),
    ])


def _data() -> cl.Dataset:
    df = pd.DataFrame({
        "unit": ["u1", "u2", "u3", "u4", "u5", "bm"],
        "sector": ["s", "s", "s", "t", "t", "s"],
        "a1": [0.0, 10, 20, 5, 15, 20],
        "a2": [20.0, 10, 0, 5, 15, 20],
        "b1": [0.0, 4, 8, 2, 6, 10],
        "benchmark": [0, 0, 0, 0, 0, 1],
    })
    return cl.read_data(df)


def test_standing_peer_median_and_percentile() -> None:
    r = cl.evaluate(_two_level(), _data())
    t = standing(r, "sector")
    # b1 min-max over 0..10: u1 0, u2 40, u3 80; u1's peers in sector s (domestic, not itself): u2 and u3
    assert t.loc[("u1", "b1"), "score"] == 0.0
    assert t.loc[("u1", "b1"), "peer_median"] == pytest.approx(60.0)
    assert t.loc[("u1", "b1"), "peer_gap"] == pytest.approx(-60.0)
    assert t.loc[("u1", "b1"), "peer_percentile"] == 0.0
    assert t.loc[("u2", "b1"), "peer_percentile"] == 50.0  # above u1, below u3
    assert t.loc[("u4", "b1"), "peers"] == 1  # sector t: u5 only
    # the benchmark median of b1 is the one benchmark's score, 100
    assert t.loc[("u1", "b1"), "bench_median"] == 100.0
    assert t.loc[("u1", "b1"), "bench_gap"] == -100.0
    assert t.loc[("u1", "I"), "rank"] == r.ranks.loc["u1", "I"]
    everyone = standing(r)  # no peer column: all domestic units are peers
    assert everyone.loc[("u1", "b1"), "peers"] == 4
    with pytest.raises(DataError, match="no unit metadata column 'sectr'"):
        standing(r, "sectr")


def test_short_boards_and_strengths() -> None:
    r = cl.evaluate(_two_level(), _data())
    t = standing(r, "sector")
    sb = short_boards(t, "u1", n=1)
    assert list(sb.index) == ["a1", "B"]  # a1 75 points below its peers, b1 only 60; aspect A is above them
    assert (sb["peer_gap"] < 0).all()
    st = short_boards(t, "u3", n=5, strengths=True, level=1)
    assert (st["peer_gap"] > 0).all()
    assert list(st["peer_gap"]) == sorted(st["peer_gap"], reverse=True)
    with pytest.raises(DataError, match="no unit 'x'"):
        short_boards(t, "x")


def test_obstacle_degrees_hand_example() -> None:
    """Weights a1 1/4, a2 3/4 in A (A and B 1/2 each): effective F = (1/8, 3/8, 1/2). u2 has a1 = a2 = 50 and
    b1 = 40 on 0-100, so I = (0.5, 0.5, 0.6) and FI = (1/16, 3/16, 0.3); O = FI / 0.55."""
    r = cl.evaluate(_two_level(), _data())
    o = obstacle_degrees(r)
    fi = np.array([1 / 16, 3 / 16, 0.3])
    assert o.loc["u2", ["a1", "a2", "b1"]].to_numpy() == pytest.approx(fi / fi.sum())
    assert o.loc["u2", "A"] == pytest.approx((1 / 16 + 3 / 16) / 0.55)
    assert o.loc["u2", "I"] == pytest.approx(1.0)
    ind = list(r.framework.indicators)
    sums = o[ind].sum(axis=1, min_count=1)
    assert np.allclose(sums.drop("bm"), 1.0)
    assert math.isnan(sums["bm"])  # at the top of every scale: no obstacle at all
    assert unit_interval(r).loc["u2", "b1"] == pytest.approx(0.4)


def test_obstacle_degrees_sum_to_one_on_asem(asem: tuple[object, object]) -> None:
    fw, ds = asem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        r = cl.evaluate(fw, ds)  # type: ignore[arg-type]
    o = obstacle_degrees(r)
    ind = list(r.framework.indicators)
    assert np.allclose(o[ind].sum(axis=1), 1.0)
    assert np.allclose(o["Index"], 1.0)
    assert (o[ind].fillna(0) >= 0).all().all()


def test_marginal_gains_are_effective_weights_for_arithmetic_means(asem: tuple[object, object]) -> None:
    fw, ds = asem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        r = cl.evaluate(fw, ds, ASEM_RECIPE)  # type: ignore[arg-type]
    g = marginal_gains(r)
    eff = r.weights.loc[list(r.framework.indicators), "effective"].to_numpy()
    assert np.allclose(g.to_numpy(), eff[None, :], atol=1e-9)


def test_marginal_gains_geometric_hand_example() -> None:
    """Index = sqrt(x1 x2) at (25, 100): dI/dx1 = 0.5 sqrt(100 / 25) = 1, dI/dx2 = 0.5 sqrt(25 / 100) = 0.25."""
    fw = cl.Framework.from_nodes("g", [cl.Node("I", None), cl.Node("x1", "I", kind="indicator"),
                                       cl.Node("x2", "I", kind="indicator")])
    df = pd.DataFrame({"unit": ["Z", "U", "R"], "x1": [0.0, 25.0, 100.0], "x2": [0.0, 100.0, 25.0]})
    r = cl.evaluate(fw, cl.read_data(df), cl.Recipe(aggregate="geometric"))
    g = marginal_gains(r, delta=1e-6)
    assert g.loc["U", "x1"] == pytest.approx(1.0, rel=1e-5)
    assert g.loc["U", "x2"] == pytest.approx(0.25, rel=1e-5)
    f = frontier_gains(r)
    assert f.loc["U", "x1"] == pytest.approx(100.0 - 50.0)  # sqrt(100 * 100) - sqrt(25 * 100)
    assert f.loc["U", "x2"] == 0.0
    with pytest.raises(DataError, match="positive step"):
        marginal_gains(r, delta=0)


def test_every_number_of_a_profile_is_a_cell_of_a_table() -> None:
    r = cl.evaluate(_two_level(), _data())
    an = analyse(r, peer="sector")
    p = an.profile("u2")
    assert p.scores.equals(r.scores.loc["u2"])
    assert p.ranks.equals(r.ranks.loc["u2"])
    assert p.score == r.scores.loc["u2", "I"]
    assert p.grade.equals(an.grades.loc["u2"])
    assert p.type.equals(an.types.loc["u2"])
    for df in (p.short_boards, p.strengths):
        for node, row in df.iterrows():
            assert row.equals(an.standing.loc[("u2", node)])
    for node, row in p.gaps.iterrows():
        assert row["contribution"] == an.gaps.contribution.loc["u2", node]
        assert row["reference"] == an.gaps.reference.loc["u2", node]
        assert row["score"] == r.scores.loc["u2", node]
    for node, v in p.obstacles.items():
        assert v == an.obstacles.loc["u2", node]
    for node, v in p.gains.items():
        assert v == an.gains.loc["u2", node]
    assert p.actions.equals(an.actions[an.actions["unit"] == "u2"])
    d = p.to_dict()
    assert d["grade"]["reason"] == an.grades.loc["u2", "reason"]
    assert d["score"] == r.scores.loc["u2", "I"]
    # the shortcut gives the same profile
    q = profile(r, "u2", peer="sector")
    assert q.to_dict() == d
    with pytest.raises(DataError, match='did you mean "u2"'):
        profile(r, "u22")


def test_analytics_tables_written_atomically(tmp_path: object) -> None:
    r = cl.evaluate(_two_level(), _data())
    an = analyse(r)
    out = an.write(tmp_path / "out")  # type: ignore[operator]
    grades = pd.read_csv(out / "grades.csv", index_col=0)
    assert list(grades.index) == list(r.units)
    contrib = pd.read_csv(out / "gaps" / "contribution.csv", index_col=0)
    assert np.allclose(contrib.to_numpy(), an.gaps.contribution.to_numpy(), equal_nan=True)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(1, 9).flatmap(lambda u: st.tuples(
    st.lists(st.lists(st.one_of(st.sampled_from([0.0, 1.0, 2.0, 5.0, math.nan]), st.floats(-5, 5)),
                      min_size=2, max_size=2), min_size=u, max_size=u),
    st.lists(st.booleans(), min_size=u, max_size=u),
    st.lists(st.booleans(), min_size=u, max_size=u))))
def test_leave_one_out_median_and_percentile_match_the_definition(
        case: tuple[list[list[float]], list[bool], list[bool]]) -> None:
    """Per row: the median of the members other than the row itself (NaN left out, as nanmedian) and the share of
    them scoring lower, ties counted half; computed by one sort per column instead of one median per row."""
    from clusterleap.analysis._diagnostics import _leave_one_out

    x = np.array(case[0], dtype=float)
    members, drop = np.array(case[1]), np.array(case[1]) & np.array(case[2])
    med, pct = _leave_one_out(x, members, drop)
    for i in range(len(x)):
        others = members.copy()
        if drop[i]:
            others[i] = False
        px = x[others]
        for j in range(x.shape[1]):
            col = px[:, j][~np.isnan(px[:, j])]
            want = float(np.median(col)) if len(col) else math.nan
            assert (math.isnan(want) and math.isnan(med[i, j])) or med[i, j] == pytest.approx(want), (i, j)
            if len(col) and not math.isnan(x[i, j]):
                lower = (col < x[i, j]).sum() + 0.5 * (col == x[i, j]).sum()
                assert pct[i, j] == pytest.approx(100.0 * lower / len(col)), (i, j)
            else:
                assert math.isnan(pct[i, j])


def test_a_units_row_is_found_by_its_code_and_a_repeated_code_is_refused() -> None:
    from clusterleap.analysis._profile import _row

    table = pd.DataFrame({"WCI": [10.0, 20.0, 30.0]}, index=pd.Index(["a", "b", "c"], name="unit"))
    assert _row(table, "b").to_dict() == {"WCI": 20.0}
    with pytest.raises(ValueError, match="'a' is on more than one row"):
        _row(pd.DataFrame({"WCI": [1.0, 2.0]}, index=["a", "a"]), "a")
