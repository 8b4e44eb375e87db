"""The Python API as a user meets it at a prompt: a short repr of a result, ranks in rank order, and errors in a
recipe built in Python reported against the Python call."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import clusterleap as cl
from tests.conftest import ROOT

MINI = ROOT / "docs" / "examples" / "mini"


@pytest.fixture(scope="module")
def mini() -> cl.Result:
    return cl.evaluate(MINI / "framework.yaml", MINI / "data.csv", MINI / "recipe.yaml")


def test_result_repr_is_a_one_line_summary(mini: cl.Result) -> None:
    text = repr(mini)
    assert "\n" not in text and len(text) < 300
    # the three best units in rank order, with their index scores
    best = mini.rank().index[:3]
    shown = [f"{u} {mini.score()[u]:.4g}" for u in best]
    assert ", ".join(shown) in text
    assert f"{len(mini.units)} units" in text and repr(mini.framework.name) in text and str(mini.year) in text


def test_result_repr_says_what_was_screened_out() -> None:
    data = cl.read_data(MINI / "data.csv")
    recipe = cl.Recipe(screen=cl.Step("coverage", min_share=0.99))
    res = cl.evaluate(MINI / "framework.yaml", data, recipe)
    dropped = len(data.units) - len(res.units)
    assert dropped > 0, "the mini data should have a unit with missing values"
    assert f"({dropped} screened out)" in repr(res)


def test_rank_rows_are_in_rank_order(mini: cl.Result) -> None:
    for node in mini.framework.order:
        ranks = mini.rank(node)
        values = ranks.to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        assert (np.diff(present) >= 0).all(), node
        assert np.isnan(values[len(present):]).all(), f"{node}: missing ranks come last"
        # the same ranks as the table, only in another order
        assert ranks.sort_index().equals(mini.ranks[node].sort_index())
    assert mini.rank().iloc[0] == 1


def test_invalid_step_built_in_python_names_the_call_not_the_file(tmp_path: Path) -> None:
    recipe = cl.Recipe.load(MINI / "recipe.yaml")
    with pytest.raises(cl.RecipeError) as err:
        dataclasses.replace(recipe, treat=cl.Step("winsorise", lower=0.05, upperr=0.95))
    message = str(err.value)
    assert str(MINI / "recipe.yaml") not in message and "recipe.yaml" not in message
    assert message.startswith("Recipe argument treat=Step('winsorise', lower=0.05, upperr=0.95): ")
    assert "no parameter 'upperr'" in message and 'did you mean "upper"' in message
    with pytest.raises(cl.RecipeError, match=r"^Recipe argument normalise='zscor': unknown normalise method"):
        cl.Recipe(normalise="zscor")


def test_invalid_step_read_from_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("treat: {method: winsorise, upperr: 0.9}\n", encoding="utf-8")
    with pytest.raises(cl.RecipeError, match=rf"^{path}, treat: method 'winsorise' has no parameter 'upperr'"):
        cl.Recipe.load(path)
