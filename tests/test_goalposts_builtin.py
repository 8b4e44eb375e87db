"""Goalposts of the built-in frameworks: every indicator has a floor and a world-class level with their reasoning,
consistent with its target; the framework files carry them (loader, serialisation, ``clusterleap show``), and scores
on them are fixed: they follow the hand formula and do not depend on which other units are in the data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap._framework import Framework, Goalposts, Node, framework_from_dict
from clusterleap.cli.app import app
from clusterleap.errors import FrameworkError
from clusterleap.illustrative import illustrative_frame
from clusterleap.io import framework_to_yaml

NAMES = ("world-class", "nie-five-features", "chen-local-global")
GOALPOST_RECIPE = {"impute": "none", "treat": "none", "normalise": "goalposts"}


@pytest.fixture(scope="module")
def frameworks() -> dict[str, Framework]:
    return {n: cl.load_framework(n) for n in NAMES}


def _world_class_end(n: Node) -> float:
    assert n.goalposts is not None
    return n.goalposts.hi if n.direction > 0 else n.goalposts.lo


# -- every indicator has documented goalposts --------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_indicator_has_goalposts_with_a_reason(name: str, frameworks: dict[str, Framework]) -> None:
    fw = frameworks[name]
    for code in fw.indicators:
        n = fw[code]
        assert n.goalposts is not None, f"{name}, {code}: no goalposts"
        lo, hi = n.goalposts.lo, n.goalposts.hi
        assert math.isfinite(lo) and math.isfinite(hi) and lo < hi, (code, lo, hi)
        assert n.goalposts.cap, f"{code}: built-in goalposts are capped (scores stay on 0-100)"
        reason = n.goalposts_reason.lower()
        assert len(reason) >= 80, f"{code}: the goalposts need their reasoning"
        assert "floor" in reason and "world-class" in reason, f"{code}: the reason says why this floor and level"
        if n.direction < 0:
            assert "lower is better" in reason, f"{code}: the reason says which end is world-class"


@pytest.mark.parametrize("name", NAMES)
def test_world_class_end_is_the_target(name: str, frameworks: dict[str, Framework]) -> None:
    """hi is the target for higher-is-better indicators, lo for lower-is-better ones (the pipeline turns (lo, hi) into
    (-hi, -lo) for those, so lo is where the score is 100)."""
    fw = frameworks[name]
    for code in fw.indicators:
        n = fw[code]
        if n.target is not None:
            assert _world_class_end(n) == n.target, code
            assert str(f"{n.target:g}") in n.goalposts_reason.replace(",", ""), f"{code}: reason names the target"


def test_goalposts_anchored_on_the_seed(frameworks: dict[str, Framework]) -> None:
    fw = frameworks["world-class"]
    # natural zeros: the score is the share of the world-class level, so the seed's 1/5 and 2/3 read off directly
    assert (fw["labour_productivity"].goalposts, fw["value_added_rate"].goalposts) == (
        Goalposts(0, 120), Goalposts(0, 33))
    # the seed's export share of China's world-leading industries
    assert cl.load_framework("nie-five-features")["exports_share"].goalposts == Goalposts(0, 42)
    # lower is better: world-class at lo (the merger guidelines' unconcentrated HHI), floor at hi (majority supplier)
    assert fw["supplier_hhi"].goalposts == Goalposts(1500, 5000)
    # a location quotient of 1 is no concentration at all: the floor is 1, not 0
    assert cl.load_framework("chen-local-global")["location_quotient"].goalposts == Goalposts(1, 4)
    # employment follows from the other world-class levels: 1 trillion CNY x 33 % / 120 = 27.5, rounded up to 30
    chen = cl.load_framework("chen-local-global")
    revenue, employment = (chen[c].goalposts for c in ("revenue", "employment"))
    va, lp = (fw[c].goalposts for c in ("value_added_rate", "labour_productivity"))
    assert revenue is not None and employment is not None and va is not None and lp is not None
    assert employment.hi == math.ceil(revenue.hi * va.hi / 100 / lp.hi / 10) * 10


# -- scores on the goalposts ---------------------------------------------------------------------------------------
def _subset(codes: list[str]) -> Framework:
    """A two-dimension framework over some pool indicators, with their built-in metadata."""
    wc = cl.load_framework("world-class")
    nie = cl.load_framework("nie-five-features")
    meta = {**{c: nie[c] for c in nie.indicators}, **{c: wc[c] for c in wc.indicators}}
    half = len(codes) // 2
    nodes = [Node("R", None), Node("A", "R"), Node("B", "R")]
    nodes += [Node(**{**meta[c].__dict__, "parent": "A" if i < half else "B"}) for i, c in enumerate(codes)]
    return Framework.from_nodes("subset", nodes)


def test_scores_follow_the_hand_formula() -> None:
    """Hand-computed: (x - lo) / (hi - lo) * 100 capped, reversed for lower-is-better indicators."""
    fw = _subset(["labour_productivity", "value_added_rate", "supplier_hhi", "energy_intensity"])
    data = pd.DataFrame({
        "unit": ["cn_avg", "leader", "laggard"],
        "labour_productivity": [24.0, 150.0, 6.0],   # 20, capped 100, 5
        "value_added_rate": [22.0, 33.0, 16.5],      # 66.67, 100, 50
        "supplier_hhi": [2600.0, 1000.0, 6000.0],    # (5000-2600)/3500 = 68.57, capped 100, capped 0
        "energy_intensity": [1.0, 0.2, 0.6],         # floor 0, world-class 100, midway 50
    })
    res = cl.evaluate(fw, data, GOALPOST_RECIPE)
    got = res.stage("normalised").loc[["cn_avg", "leader", "laggard"], list(fw.indicators)]
    expected = np.array([
        [20.0, 200 / 3, 2400 / 35, 0.0],
        [100.0, 100.0, 100.0, 100.0],
        [5.0, 50.0, 0.0, 50.0],
    ])
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def illustrative_2024() -> pd.DataFrame:
    frame = illustrative_frame()
    return frame[frame.year == 2024].reset_index(drop=True)


def test_illustrative_scores_on_the_world_class_goalposts(illustrative_2024: pd.DataFrame) -> None:
    """Every world-class indicator of the illustrative 2024 data scores as the hand formula on the raw columns says
    (denominated counts per 10,000 employees), and benchmarks score higher than domestic clusters on most."""
    fw = cl.load_framework("world-class")
    res = cl.evaluate(fw, illustrative_2024, GOALPOST_RECIPE)
    got = res.stage("normalised")
    frame = illustrative_2024.set_index("unit")
    bench = frame["benchmark"].astype(bool)
    higher_for_benchmarks = 0
    for code in fw.indicators:
        n = fw[code]
        assert n.goalposts is not None
        x = frame[code].astype(float)
        if n.denominator:
            x = x / frame[n.denominator].astype(float)
        lo, hi = n.goalposts.lo, n.goalposts.hi
        s = ((x - lo) / (hi - lo)).clip(0, 1) * 100
        s = 100 - s if n.direction < 0 else s
        np.testing.assert_allclose(got.loc[s.index, code].to_numpy(float), s.to_numpy(), atol=1e-9, err_msg=code)
        higher_for_benchmarks += s[bench].median() >= s[~bench].median()
    assert higher_for_benchmarks >= 0.9 * len(fw.indicators)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 89), min_size=1, max_size=30, unique=True))
def test_goalpost_scores_do_not_depend_on_the_other_units(illustrative_2024: pd.DataFrame, rows: list[int]) -> None:
    """The score of a unit on fixed goalposts is the same in any file that contains it."""
    fw = cl.load_framework("world-class")
    full = cl.evaluate(fw, illustrative_2024, GOALPOST_RECIPE).stage("normalised")
    part = cl.evaluate(fw, illustrative_2024.iloc[sorted(rows)], GOALPOST_RECIPE).stage("normalised")
    pd.testing.assert_frame_equal(part, full.loc[part.index], check_exact=True)


# -- the file format -----------------------------------------------------------------------------------------------
_HEAD = "name: bad\nindicators:\n"
_TREE = "tree:\n  code: R\n  children: [a, b]\n"
_OK_B = "  b: {direction: 1}\n"

BAD = {
    "reason_list": ("  a: {goalposts: {lo: 0, hi: 1}, goalposts_reason: [zero, one]}\n",
                    r"node 'a': goalposts_reason is \['zero', 'one'\] \(expected text"),
    "reason_number": ("  a: {goalposts: [0, 1], goalposts_reason: 42}\n",
                      r"node 'a': goalposts_reason is 42 \(expected text"),
    "reason_mapping": ("  a: {goalposts: [0, 1], goalposts_reason: {floor: zero}}\n",
                       r"node 'a': goalposts_reason is \{'floor': 'zero'\} \(expected text"),
    "reason_without_goalposts": ("  a: {goalposts_reason: Zero is the natural floor.}\n",
                                 r"node 'a': goalposts_reason is given but there are no goalposts \(expected "
                                 r"goalposts \{lo: \.\., hi: \.\.\}"),
    "lo_not_below_hi": ("  a: {goalposts: {lo: 5, hi: 5}, goalposts_reason: equal}\n",
                        r"node 'a': goalposts \(5\.0, 5\.0\) must be finite with lo < hi"),
    "hi_nan": ("  a: {goalposts: {lo: 0, hi: .nan}}\n", r"node 'a': goalposts \(0\.0, nan\) must be finite"),
    "lo_text": ("  a: {goalposts: {lo: zero, hi: 1}}\n", r"node 'a': goalposts\.lo is 'zero' \(expected a number\)"),
    "cap_text": ("  a: {goalposts: {lo: 0, hi: 1, cap: 'no'}}\n",
                 r"node 'a': goalposts\.cap is 'no' \(expected true or false\)"),
    "no_hi": ("  a: {goalposts: {lo: 0}}\n", r"node 'a': goalposts must be \{lo: \.\., hi: \.\., cap: true\|false\}"),
    "three_numbers": ("  a: {goalposts: [0, 1, 2]}\n", r"node 'a': goalposts must be \{lo: \.\., hi: \.\."),
    "unknown_key": ("  a: {goalposts: {lo: 0, hi: 1, reason: x}}\n", r"node 'a', goalposts: unknown key 'reason'"),
    "misspelt_reason": ("  a: {goalposts: [0, 1], goalpost_reason: x}\n",
                        r"node 'a': unknown key 'goalpost_reason' \(did you mean .goalposts_reason.\?\)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_loader_refuses_malformed_goalposts(case: str, tmp_path: Path) -> None:
    body, message = BAD[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(_HEAD + body + _OK_B + _TREE, encoding="utf-8")
    with pytest.raises(FrameworkError, match=message) as err:
        cl.read_framework_yaml(path)
    assert str(err.value).startswith(str(path)), "the message names the file first"


def test_tree_override_of_the_reason_is_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "override.yaml"
    path.write_text(_HEAD + "  a: {goalposts: [0, 1]}\n" + _OK_B
                    + "tree:\n  code: R\n  children: [{code: a, goalposts_reason: [x]}, b]\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=rf"{path}, node 'a': goalposts_reason is \['x'\] \(expected text"):
        cl.read_framework_yaml(path)


def test_python_nodes_are_validated() -> None:
    with pytest.raises(FrameworkError, match=r"node 'a': goalposts_reason is given but there are no goalposts"):
        Framework.from_nodes("x", [Node("R", None), Node("a", "R", kind="indicator", goalposts_reason="why")])


def test_reason_and_empty_reason_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(_HEAD + "  a: {goalposts: [0, 1], goalposts_reason: '  Zero; one is world-class.  '}\n"
                    + "  b: {goalposts: {lo: 0, hi: 2, cap: false}, goalposts_reason: null}\n" + _TREE,
                    encoding="utf-8")
    fw = cl.read_framework_yaml(path)
    assert fw["a"].goalposts == Goalposts(0, 1, True) and fw["a"].goalposts_reason == "Zero; one is world-class."
    assert fw["b"].goalposts == Goalposts(0, 2, False) and fw["b"].goalposts_reason == ""


# -- serialisation -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_round_trips_keep_goalposts_and_reasons(name: str, frameworks: dict[str, Framework], tmp_path: Path) -> None:
    fw = frameworks[name]
    back = framework_from_dict(fw.to_dict())
    path = tmp_path / f"{name}.yaml"
    path.write_text(framework_to_yaml(fw), encoding="utf-8")
    again = cl.read_framework_yaml(path)
    for other in (back, again):
        assert other.hash == fw.hash
        for code in fw.indicators:
            assert other[code].goalposts == fw[code].goalposts, code
            assert other[code].goalposts_reason == fw[code].goalposts_reason != "", code
    assert "goalposts_reason" in path.read_text(encoding="utf-8")


def test_reason_is_part_of_the_framework_hash(frameworks: dict[str, Framework]) -> None:
    fw = frameworks["chen-local-global"]
    nodes = [Node(**{**n.__dict__, "goalposts_reason": "changed"}) if n.code == "revenue" else n for n in fw.nodes]
    assert Framework.from_nodes(fw.name, nodes, name_en=fw.name_en, name_zh=fw.name_zh,
                                description=fw.description, level_names=fw.level_names).hash != fw.hash
    assert fw.to_dict()["nodes"][fw.order.index("revenue")]["goalposts_reason"] == fw["revenue"].goalposts_reason


# -- clusterleap show -------------------------------------------------------------------------------------------------
def test_show_prints_goalposts(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["show", "world-class"], catch_exceptions=False, env={"COLUMNS": "250"}).output
    assert "↑ 10,000 CNY per employee, target 120, goalposts 0–120" in out
    assert "↓ index 0-10,000, target 1500, goalposts 1500–5000" in out
    assert "↓ tce per 10,000 CNY, goalposts 0.2–1" in out
    path = tmp_path / "uncapped.yaml"
    path.write_text(_HEAD + "  a: {unit: '%', goalposts: {lo: 0, hi: 2, cap: false}}\n" + _OK_B + _TREE,
                    encoding="utf-8")
    out = runner.invoke(app, ["show", str(path)], catch_exceptions=False, env={"COLUMNS": "250"}).output
    assert "↑ %, goalposts 0–2 uncapped" in out
    assert "goalposts" not in out.split("b ")[-1], "no goalposts printed where there are none"
