"""Grade probabilities under uncertainty: vectorised grading of every sample equals grading each sample alone,
shares sum to one, and with no uncertainty every unit keeps its nominal grade for sure."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.analysis import assign_grades
from clusterleap.cli import app
from clusterleap.cli.core import demo_recipe_path
from clusterleap.grading import default_scheme
from clusterleap.illustrative import illustrative_data
from clusterleap.robustness import Problem, grade_probabilities, grade_shares, propagate
from tests.conftest import ROOT

SPACE = ROOT / "docs" / "examples" / "world-class" / "space.yaml"


@pytest.fixture(scope="module")
def problem() -> Problem:
    data = illustrative_data(n_domestic=30, n_benchmark=5)
    recipe = cl.Recipe.from_dict({**cl.Recipe.load(demo_recipe_path()).to_dict(),
                                  "grading": default_scheme().to_dict()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        return Problem.build("world-class", data, recipe, SPACE)


def test_vectorised_grades_equal_grading_each_sample(problem: Problem) -> None:
    samples = propagate(problem, problem.sample(64, seed=7))
    fast = grade_shares(samples)
    bench = np.asarray(problem.data.benchmark, dtype=bool)
    fw = problem.framework

    def grader(frame: pd.DataFrame) -> pd.Series:
        g = assign_grades(frame, problem.recipe.grading, bench, index=fw.root.code,
                          dimensions=fw.children[fw.root.code], groups=dict(problem.data.groups))
        return g["tier"]

    slow = grade_probabilities(samples, grader, labels=[t.code for t in default_scheme().tiers])
    assert (fast["nominal"] == slow["nominal"]).all()
    for code in (t.code for t in default_scheme().tiers):
        np.testing.assert_allclose(fast[code].to_numpy(), slow[code].to_numpy())
    tiers = [t.code for t in default_scheme().tiers] + (["ungraded"] if "ungraded" in fast else [])
    np.testing.assert_allclose(fast[tiers].sum(axis=1), 1.0)
    # the weights and methods move some clusters between grades, not all
    assert ((fast[tiers] > 0).sum(axis=1) > 1).any()


def test_no_uncertainty_keeps_the_nominal_grade(problem: Problem) -> None:
    still = Problem.build(problem.framework, problem.data, problem.recipe, {"factors": []})
    samples = propagate(still, still.sample(8, seed=1))
    shares = grade_shares(samples)
    nominal = cl.analysis.grades(still.nominal)["tier"]
    assert (shares["nominal"] == nominal.reindex(shares.index)).all()
    for unit, row in shares.iterrows():
        if row["nominal"]:
            assert row[row["nominal"]] == 1.0, unit


def test_robustness_cli_writes_grade_probabilities(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    from clusterleap.illustrative import illustrative_frame

    illustrative_frame(n_domestic=20, n_benchmark=3).to_csv(data, index=False)
    res = CliRunner().invoke(app, ["robustness", "-f", "world-class", "-d", str(data), "-r",
                                   str(demo_recipe_path()), "-s", str(SPACE), "-n", "50", "--seed", "3",
                                   "--grading", "default", "--no-leave-one-out", "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    shares = pd.read_csv(tmp_path / "out" / "grade_probabilities.csv", index_col="unit")
    assert len(shares) == 23 and "Grade probabilities" in res.output
    cols = [c for c in shares.columns if c != "nominal"]
    np.testing.assert_allclose(shares[cols].sum(axis=1), 1.0)
