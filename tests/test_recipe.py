"""Recipes: frozen and hashable, YAML round trip, per-level and per-node plans, precise errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import clusterleap as cl
from clusterleap import Plan, Recipe, Step
from clusterleap._recipe import STAGE_ORDER
from tests.conftest import ASEM_RECIPE


def test_defaults_are_filled_in_and_explicit() -> None:
    r = Recipe()
    assert r.normalise.default == Step("minmax", lo=0.0, hi=100.0)
    assert r.rank.default == Step("descending", ties="min", decimals=None)
    assert Recipe(normalise=Step("minmax")) == Recipe(normalise=Step("minmax", lo=0, hi=100))


def test_frozen_and_hashable() -> None:
    r = Recipe.from_dict(ASEM_RECIPE)
    assert hash(r) == hash(Recipe.from_dict(ASEM_RECIPE))
    assert len({r, Recipe.from_dict(ASEM_RECIPE), Recipe()}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.name = "x"  # type: ignore[misc]


def test_variant_with_replace() -> None:
    r = Recipe.from_dict(ASEM_RECIPE)
    v = dataclasses.replace(r, normalise=Step("zscore"))
    assert v.normalise.default == Step("zscore", mean=0.0, sd=1.0)
    assert v.impute == r.impute and v != r
    assert r.with_step("aggregate", "geometric").aggregate.default.method == "geometric"


def test_yaml_round_trip(tmp_path: Path) -> None:
    r = Recipe.from_dict({
        **ASEM_RECIPE,
        "aggregate": {"method": "arithmetic", "levels": {4: "geometric"}, "nodes": {"Conn": {"method": "power",
                                                                                          "p": 0.5}}},
        "normalise": {"method": "minmax", "nodes": {"LPI": "zscore"}},
    })
    path = tmp_path / "r.yaml"
    r.save(path)
    again = Recipe.load(path)
    assert again == r and again.hash == r.hash
    assert again.aggregate.step_for("Index", 4).method == "geometric"
    assert again.aggregate.step_for("Conn", 3) == Step("power", p=0.5, missing="reweight")
    assert again.aggregate.step_for("Sust", 3).method == "arithmetic"
    assert again.normalise.step_for("LPI", 1).method == "zscore"


def test_a_mapping_without_method_keeps_the_stage_default() -> None:
    r = Recipe.from_dict({"aggregate": {"levels": {3: "geometric"}}})
    assert r.aggregate.default.method == "arithmetic" and r.aggregate.levels[0][1].method == "geometric"


def test_levels_only_for_node_stages() -> None:
    with pytest.raises(cl.RecipeError, match="'levels' overrides apply to weight and aggregate only"):
        Recipe(normalise=Plan(Step("minmax"), levels=((2, Step("zscore")),)))


def test_plan_precedence() -> None:
    plan = Plan(Step("arithmetic"), ((3, Step("geometric")),), (("X", Step("harmonic")),))
    assert plan.step_for("X", 3).method == "harmonic"
    assert plan.step_for("Y", 3).method == "geometric"
    assert plan.step_for("Y", 2).method == "arithmetic"


def test_stage_order() -> None:
    assert STAGE_ORDER == ("screen", "denominate", "transform", "impute", "treat", "normalise", "weight", "aggregate",
                           "rank")


def test_per_node_normalisation_changes_only_that_indicator(asem) -> None:  # type: ignore[no-untyped-def]
    fw, data = asem
    base = cl.evaluate(fw, data, ASEM_RECIPE)
    mixed = cl.evaluate(fw, data, {**ASEM_RECIPE, "normalise": {"method": "minmax", "nodes": {"LPI": "rank"}}})
    diff = (base.stage("normalised") != mixed.stage("normalised")).any()
    assert list(diff[diff].index) == ["LPI"]
    assert mixed.stage("normalised")["LPI"].max() == 51


def test_geometric_at_the_top_arithmetic_below(asem) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    fw, data = asem
    r = cl.evaluate(fw, data, {**ASEM_RECIPE, "aggregate": {"method": "arithmetic", "levels": {4: "geometric"}}})
    s = r.scores
    np.testing.assert_allclose(s["Index"], np.sqrt(s["Conn"] * s["Sust"]), rtol=1e-12)
    np.testing.assert_allclose(s["Conn"], s[list(fw.children["Conn"])].mean(axis=1), rtol=1e-12)
