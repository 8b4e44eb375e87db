"""Weighting and multi-criteria methods end to end on the demo: world-class on the illustrative data with an AHP
panel of three experts, with entropy weights, and with TOPSIS at the top of the tree."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.ahp import priorities
from clusterleap.cli import app
from clusterleap.cli.core import demo_recipe_path
from clusterleap.illustrative import illustrative_data
from tests.conftest import ROOT

PANEL = ROOT / "docs" / "examples" / "world-class" / "ahp-panel.yaml"


@pytest.fixture(scope="module")
def data() -> cl.Dataset:
    return illustrative_data()


@pytest.fixture(scope="module")
def demo_recipe() -> cl.Recipe:
    return cl.Recipe.load(demo_recipe_path())


def run(fw: str, data: cl.Dataset, recipe: cl.Recipe) -> cl.Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        return cl.evaluate(fw, data, recipe)


def test_ahp_panel_of_three_experts(data: cl.Dataset, demo_recipe: cl.Recipe, tmp_path: Path) -> None:
    out = tmp_path / "ahp-recipe.yaml"
    res = CliRunner().invoke(app, ["weights", "ahp", "--framework", "world-class", "--judgements", str(PANEL),
                                   "--recipe", str(demo_recipe_path()), "--out", str(out)])
    assert res.exit_code == 0, res.output
    recipe = cl.Recipe.load(out)
    result = run("world-class", data, recipe)
    # AIJ: the element-wise geometric mean of the three experts' matrices, then the principal eigenvector
    step = recipe.weight.step_for("WCI", 4)
    matrices = np.array([e["matrix"] for e in step.kwargs["experts"]], dtype=float)
    pooled = np.exp(np.log(matrices).mean(axis=0))
    expected = priorities(pooled).weights
    used = result.weights.loc[["TI", "PC", "EE", "ES", "AM"], "used"].to_numpy()
    np.testing.assert_allclose(used, expected, atol=1e-9)
    assert used.argmax() == 0  # the panel puts technology innovation first
    # the index is the weighted geometric mean of the dimensions with those weights (the demo recipe's top level)
    dims = result.scores[["TI", "PC", "EE", "ES", "AM"]].to_numpy()
    np.testing.assert_allclose(result.score("WCI"), np.exp(np.log(dims) @ expected), rtol=1e-9)


def test_entropy_weights(data: cl.Dataset, demo_recipe: cl.Recipe) -> None:
    with pytest.raises(cl.RecipeError, match="'entropy' draws on the other units"):
        demo_recipe.with_step("weight", "entropy")  # on fixed goalposts a score must not depend on the others
    # data-driven weights rank the units in the file: on a relative basis they are allowed
    recipe = dataclasses.replace(demo_recipe, basis=cl.Basis()).with_step("weight", "entropy")
    result = run("world-class", data, recipe)
    w = result.weights
    for parent in ("WCI", "TI", "AM1"):
        kids = list(result.framework.children[parent])
        assert w.loc[kids, "used"].sum() == pytest.approx(1.0)
    # entropy favours the dimensions whose scores vary most: not equal weights
    dims = w.loc[["TI", "PC", "EE", "ES", "AM"], "used"]
    assert dims.max() - dims.min() > 0.01
    assert w.loc[list(result.framework.indicators), "effective"].sum() == pytest.approx(1.0)


def test_topsis_at_the_dimension_level(data: cl.Dataset, demo_recipe: cl.Recipe) -> None:
    recipe = cl.Recipe.from_dict({**demo_recipe.to_dict(), "basis": "relative",
                                  "aggregate": {"method": "arithmetic", "levels": {4: "topsis"}}})
    result = run("world-class", data, recipe)
    idx = result.score("WCI")
    assert idx.between(0, 100).all()
    # a unit at least as good on every dimension as another scores at least as high
    dims = result.scores[["TI", "PC", "EE", "ES", "AM"]]
    best = dims.sum(axis=1).idxmax()
    dominated = (dims.le(dims.loc[best], axis=1)).all(axis=1)
    assert (idx[dominated] <= idx[best] + 1e-9).all()
    # benchmarks still lead on median
    bench = np.asarray(data.benchmark)
    assert idx[bench].median() > idx[~bench].median()
