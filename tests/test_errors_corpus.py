"""A corpus of broken framework, data and recipe files (tests/corpus), each producing its precise error: the
place (file, row, column, node) and what was expected."""

from __future__ import annotations

import re
import warnings

import pytest

import clusterleap as cl
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "corpus"

CASES = {
    # frameworks
    "fw_unknown_key.yaml": (cl.FrameworkError, r"node 'R': unknown key 'childen' \(did you mean \"children\"\?\)"),
    "fw_undefined_indicator.yaml": (cl.FrameworkError, r"node 'zz': indicator is not defined"),
    "fw_bad_direction.yaml": (cl.FrameworkError, r"node 'a': direction is 2 \(expected 1 or -1\)"),
    "fw_negative_weight.yaml": (cl.FrameworkError, r"node 'b': weight -1.0 is negative \(expected >= 0\)"),
    "fw_zero_weights.yaml": (cl.FrameworkError, r"node 'R': the weights of its children \(a, b\) are all zero"),
    "fw_bad_goalposts.yaml": (cl.FrameworkError, r"node 'a': goalposts \(5.0, 1.0\) must be finite with lo < hi"),
    "fw_invalid_yaml.yaml": (cl.FrameworkError, r"fw_invalid_yaml.yaml line 5, column 1: invalid YAML"),
    "fw_duplicate_code.yaml": (cl.FrameworkError, r"node 'a': the code appears twice"),
    "fw_bad_transform.yaml": (cl.FrameworkError,
                              r"node 'a': transform 'sqrt' is unknown \(expected one of log, log1p\)"),
    "fw_empty_children.yaml": (cl.FrameworkError, r"node 'R': 'children' must be a non-empty list"),
    "fw_weight_not_number.yaml": (cl.FrameworkError, r"node 'a': weight is 'heavy' \(expected a number\)"),
    "imeta_two_roots.csv": (cl.FrameworkError, r"2 nodes have no parent \(R, S\); expected exactly one root"),
    "imeta_cycle.csv": (cl.FrameworkError, r"nodes form a cycle P -> Q -> P"),
    "imeta_indicator_with_children.csv": (cl.FrameworkError, r"node 'a': an indicator cannot have children"),
    "imeta_unknown_parent.csv": (cl.FrameworkError, r"node 'a': parent 'Pilar' is not a node of the framework"),
    "imeta_bad_weight.csv": (cl.FrameworkError, r"row 2, column 'Weight': 'one' is not a number"),
    "imeta_bad_type.csv": (cl.FrameworkError, r"row 2, column 'Type': 'Indicatr' \(expected Indicator, Aggregate"),
    "imeta_missing_column.csv": (cl.FrameworkError, r"no column 'Parent'"),
    # data
    "data_non_numeric.csv": (cl.DataError, r"data_non_numeric.csv row 3, column \"a\": '12,5%' is not a number "
                                           r"\(expected a decimal number with '.' as the decimal separator"),
    "data_duplicate_unit.csv": (cl.DataError, r"row 4: unit 'u1' in year 2023 already appears in row 2"),
    "data_missing_indicator.csv": (cl.DataError, r"data_missing_indicator.csv: no column for indicator 'b' of "
                                                 r"framework 'mini'$"),
    "data_missing_denominator.csv": (cl.DataError, r"no column for denominator 'pop'"),
    "data_infinite.csv": (cl.DataError, r"row 3, column \"a\": inf is infinite \(expected a finite number\)"),
    "data_bad_year.csv": (cl.DataError, r"row 2, column 'year': '2023.5' is not a year \(expected an integer\)"),
    "data_no_unit_column.csv": (cl.DataError, r"no unit column \(expected one named unit"),
    "data_empty_unit.csv": (cl.DataError, r"row 3, column 'unit': empty unit code"),
    "data_bad_benchmark.csv": (cl.DataError, r"row 2, column 'benchmark': 'maybe' is not a yes/no flag"),
    "data_meta_changes.csv": (cl.DataError, r"row 3, column 'region': 'west' differs from 'east' in row 2"),
    "data_zero_denominator.csv": (cl.DataError, r"row 3, column \"pop\": denominator of 'c' is 0"),
    "long_duplicate.csv": (cl.DataError, r"row 3: unit 'u1', indicator 'a', year 2023 already appears in row 2"),
    "long_non_numeric.csv": (cl.DataError, r"long_non_numeric.csv row 3, column \"b\": 'n.a.' is not a number"),
    # recipes
    "recipe_unknown_method.yaml": (cl.RecipeError, r"normalise: unknown normalise method 'minmx' \(did you mean "
                                                   r"\"minmax\"\?\)"),
    "recipe_unknown_param.yaml": (cl.RecipeError, r"normalise: method 'minmax' has no parameter 'hgh'"),
    "recipe_bad_param_type.yaml": (cl.RecipeError, r"normalise: parameter 'lo' is 'zero' \(expected float\)"),
    "recipe_bad_param_value.yaml": (cl.RecipeError, r"normalise: method 'minmax': needs lo < hi"),
    "recipe_unknown_stage.yaml": (cl.RecipeError, r"unknown key 'normalize' \(did you mean \"normalise\"\?\)"),
    "recipe_bad_literal.yaml": (cl.RecipeError, r"rank: parameter 'ties' is 'first' \(expected one of: average"),
    "recipe_bad_level.yaml": (cl.RecipeError, r"aggregate.levels: 'top' is not a level number"),
    "recipe_unknown_node.yaml": (cl.RecipeError, r"recipe_unknown_node.yaml, normalise.nodes: 'zz' is not a node"),
    "recipe_missing_param.yaml": (cl.RecipeError, r"impute: method 'group_mean' needs parameter 'group'"),
    "recipe_unknown_group.yaml": (cl.RecipeError, r"impute: group column 'sector' is not a unit-metadata column of "
                                                  r".*good.csv \(did you mean|expected one of: region\)"),
}


def run(name: str) -> None:
    path = CORPUS / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        if name.startswith(("fw_", "imeta_")):
            cl.load_framework(path)
        elif name.startswith(("data_", "long_")):
            cl.evaluate(CORPUS / "mini.yaml", path)
        else:
            cl.evaluate(CORPUS / "mini.yaml", CORPUS / "good.csv", path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_gives_its_precise_error(name: str) -> None:
    kind, pattern = CASES[name]
    with pytest.raises(kind) as info:
        run(name)
    message = str(info.value)
    assert name in message or "recipe" in message, f"the message does not name the file: {message}"
    assert re.search(pattern, message), message


def test_every_corpus_file_is_covered() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"mini.yaml", "good.csv"}
    assert files == set(CASES)


def test_the_good_file_passes() -> None:
    result = cl.evaluate(CORPUS / "mini.yaml", CORPUS / "good.csv")
    assert result.scores.shape == (3, 6)
