"""A corpus of broken, hostile and careless framework, data, recipe, space, grading and judgement files
(tests/corpus), each with its exact outcome: an error naming the place (file, line or row, column, node) and what
was expected; a warning; or, for files that used to be misread, the value read. Generated files (spreadsheets,
other encodings, very wide or nested files) are written by tests/make_corpus.py."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import clusterleap as cl
from clusterleap.grading import load_scheme
from clusterleap.io import read_judgements
from clusterleap.robustness import Space
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
    "data_non_numeric.csv": (cl.DataError, r"data_non_numeric.csv line 3, column \"a\": '12,5%' is not a number "
                                           r"\(expected a decimal number with '.' as the decimal separator"),
    "data_duplicate_unit.csv": (cl.DataError, r"line 4: unit 'u1' in year 2023 already appears in line 2"),
    "data_missing_indicator.csv": (cl.DataError, r"data_missing_indicator.csv: no column for indicator 'b' of "
                                                 r"framework 'mini'$"),
    "data_missing_denominator.csv": (cl.DataError, r"no column for denominator 'pop'"),
    "data_infinite.csv": (cl.DataError, r"line 3, column \"a\": inf is infinite \(expected a finite number\)"),
    "data_bad_year.csv": (cl.DataError, r"line 2, column 'year': '2023.5' is not a year \(expected an integer\)"),
    "data_no_unit_column.csv": (cl.DataError, r"no unit column \(expected one named unit"),
    "data_empty_unit.csv": (cl.DataError, r"line 3, column 'unit': empty unit code"),
    "data_bad_benchmark.csv": (cl.DataError, r"line 2, column 'benchmark': 'maybe' is not a yes/no flag"),
    "data_meta_changes.csv": (cl.DataError, r"line 3, column 'region': 'west' differs from 'east' in line 2"),
    "data_zero_denominator.csv": (cl.DataError, r"line 3, column \"pop\": denominator of 'c' is 0"),
    "long_duplicate.csv": (cl.DataError, r"line 3: unit 'u1', indicator 'a', year 2023 already appears in line 2"),
    "long_non_numeric.csv": (cl.DataError, r"long_non_numeric.csv line 3, column \"b\": 'n.a.' is not a number"),
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

CASES.update({
    # the one YAML reader: aliases, nesting, duplicate keys, the YAML 1.2 core schema
    "fw_billion_laughs.yaml": (cl.FrameworkError, r"fw_billion_laughs.yaml: expands to more than 200,000 values "
                                                  r"through aliases"),
    "fw_recursive_alias.yaml": (cl.FrameworkError, r"line 1, column 7: an alias refers to a mapping or list that "
                                                   r"contains it"),
    "fw_deep_nesting.yaml": (cl.FrameworkError, r"line 1, column 53: nested deeper than 50 levels"),
    "fw_duplicate_indicator.yaml": (cl.FrameworkError, r"line 7, column 3: key 'a' appears twice in one mapping "
                                                       r"\(first at line 5; the second would silently replace"),
    "fw_duplicate_tree_key.yaml": (cl.FrameworkError, r"line 10, column 3: key 'code' appears twice in one mapping "
                                                      r"\(first at line 9"),
    "fw_code_true.yaml": (cl.FrameworkError, r"child 2 of 'D1': code True is a YAML boolean \(quote it to use it as "
                                             r"a code: 'true'\)"),
    "fw_text_is_mapping.yaml": (cl.FrameworkError, r"fw_text_is_mapping.yaml: name_en is a mapping \(expected "
                                                   r"text\)"),
    "fw_weight_inf.yaml": (cl.FrameworkError, r"node 'D1': weight inf is not a finite number"),
    "fw_weight_nan.yaml": (cl.FrameworkError, r"node 'D1': weight nan is not a finite number"),
    "fw_goalposts_inf.yaml": (cl.FrameworkError, r"node 'b': goalposts \(0.0, inf\) must be finite with lo < hi"),
    "fw_direction_text.yaml": (cl.FrameworkError, r"node 'b': direction is 'down' \(expected 1 or -1\)"),
    "fw_empty.yaml": (cl.FrameworkError, r"fw_empty.yaml: expected a mapping with keys name, tree, indicators"),
    "fw_top_list.yaml": (cl.FrameworkError, r"fw_top_list.yaml: expected a mapping with keys name, tree"),
    "fw_tab_indent.yaml": (cl.FrameworkError, r"line 3, column 1: invalid YAML \(found character '\\t' that cannot "
                                              r"start any token\)"),
    "recipe_billion_laughs.yaml": (cl.RecipeError, r"expands to more than 200,000 values through aliases"),
    "recipe_deep_nesting.yaml": (cl.RecipeError, r"line 1, column 53: nested deeper than 50 levels"),
    "recipe_duplicate_stage.yaml": (cl.RecipeError, r"line 2, column 1: key 'normalise' appears twice"),
    "recipe_duplicate_param.yaml": (cl.RecipeError, r"line 1, column 38: key 'hi' appears twice"),
    "recipe_bool_yes.yaml": (cl.RecipeError, r"normalise: parameter 'cap' is 'yes' \(expected bool\)"),
    "recipe_top_list.yaml": (cl.RecipeError, r"recipe_top_list.yaml: expected a mapping of stage -> method"),
    "recipe_tab_indent.yaml": (cl.RecipeError, r"line 2, column 1: invalid YAML"),
    "recipe_not_utf8.yaml": (cl.RecipeError, r"recipe_not_utf8.yaml: not UTF-8 text \(invalid continuation byte at "
                                             r"byte 49\)"),
    "space_billion_laughs.yaml": (cl.SpaceError, r"expands to more than 200,000 values through aliases"),
    "space_deep_nesting.yaml": (cl.SpaceError, r"line 1, column 53: nested deeper than 50 levels"),
    "space_duplicate_key.yaml": (cl.SpaceError, r"line 3, column 1: key 'factors' appears twice"),
    "grading_billion_laughs.yaml": (cl.RecipeError, r"expands to more than 200,000 values through aliases"),
    "grading_deep_nesting.yaml": (cl.RecipeError, r"line 1, column 53: nested deeper than 50 levels"),
    "grading_duplicate_key.yaml": (cl.RecipeError, r"line 2, column 1: key 'name' appears twice"),
    "judge_billion_laughs.yaml": (cl.JudgementError, r"expands to more than 200,000 values through aliases"),
    "judge_deep_nesting.yaml": (cl.JudgementError, r"line 1, column 53: nested deeper than 50 levels"),
    "judge_duplicate_key.yaml": (cl.JudgementError, r"line 2, column 1: key 'framework' appears twice"),
    # parameters and results must be finite
    "recipe_minmax_hi_inf.yaml": (cl.RecipeError, r"normalise: parameter 'hi' is inf \(expected a finite number\)"),
    "recipe_minmax_lo_neg_inf.yaml": (cl.RecipeError, r"normalise: parameter 'lo' is -inf \(expected a finite "
                                                      r"number\)"),
    "recipe_power_p_nan.yaml": (cl.RecipeError, r"aggregate: parameter 'p' is nan \(expected a finite number\)"),
    "data_huge_values.csv": (cl.DataError, r"data_huge_values.csv: the score of node 'a' for unit 'u1' is NaN "
                                           r"although its inputs are numbers \(normalising gave nan"),
    # the data reader: encodings, separators, line numbers, short rows, limits
    "data_gbk.csv": (cl.DataError, r"data_gbk.csv line 2: not UTF-8 text \(byte 0xbc at offset 35\). It looks like "
                                   r"GBK/GB18030 .* Save it as 'CSV UTF-8'"),
    "data_latin1.csv": (cl.DataError, r"data_latin1.csv line 2: not UTF-8 text \(byte 0xe9 at offset 39\). Save it "
                                      r"as 'CSV UTF-8'"),
    "data_short_row.csv": (cl.DataError, r"data_short_row.csv line 3: 5 cells, fewer than the 8 columns of the "
                                         r"header"),
    "data_long_row.csv": (cl.DataError, r"data_long_row.csv line 3: 9 cells, more than the 8 columns of the header"),
    "data_blank_line.csv": (cl.DataError, r"data_blank_line.csv line 5, column \"a\": 'x' is not a number"),
    "data_quoted_newline.csv": (cl.DataError, r"data_quoted_newline.csv line 4, column \"a\": '2.5x' is not a "
                                              r"number"),
    "data_separator_comma_decimal.csv": (cl.DataError, r"line 2, column \"a\": '1,5' is not a number \(expected a "
                                                       r"decimal number with '.'"),
    "data_duplicate_column.csv": (cl.DataError, r"data_duplicate_column.csv: column 'a' appears twice"),
    "data_unnamed_column.csv": (cl.DataError, r"column 9 has no name in the header but holds values \(first '5'\)"),
    "data_too_many_columns.csv": (cl.DataError, r"line 1: 20,001 columns is more than the limit of 16,384"),
    "data_all_blank.csv": (cl.DataError, r"data_all_blank.csv: no data rows"),
    "data_empty_file.csv": (cl.DataError, r"data_empty_file.csv: no data rows"),
    "data_unknown_type.json": (cl.DataError, r"unknown file type '.json' \(expected .csv, .xlsx or .parquet\)"),
    "data_not_a_zip.xlsx": (cl.DataError, r"data_not_a_zip.xlsx: cannot be read as xlsx \(BadZipFile: File is not a "
                                          r"zip file\)"),
    "long_val_column.csv": (cl.DataError, r"a column 'indicator' as in a long file, but no value column \(expected "
                                          r"one named value or Value; columns: unit, indicator, year, val\)"),
    # indicator columns that hold no number name their first cell
    "data_text_indicator.csv": (cl.DataError, r"line 2, column \"a\": 'high' is not a number: indicator 'a' of "
                                              r"framework 'mini' needs numbers"),
    "data_bool_indicator.csv": (cl.DataError, r"line 2, column \"a\": 'TRUE' is not a number"),
    "data_date_indicator.csv": (cl.DataError, r"line 2, column \"a\": '2023-01-05' is not a number"),
    "data_text_indicator.xlsx": (cl.DataError, r"sheet 'data' row 2, column \"a\": 'high' is not a number"),
    "data_bool_indicator.xlsx": (cl.DataError, r"sheet 'data' row 2, column \"a\": 'True' is not a number"),
    # years
    "data_year_typo.csv": (cl.DataError, r"line 4, column 'year': 20233 is not a plausible year \(expected "
                                         r"1900-2100; a typo\?\)"),
    "data_year_1850.csv": (cl.DataError, r"line 2, column 'year': 1850 is not a plausible year"),
    "data_year_date_text.csv": (cl.DataError, r"line 3, column 'year': '2023-01-01' is not a year"),
    "data_date_year.xlsx": (cl.DataError, r"sheet 'data' row 3, column 'year': a date \(2023-01-01\) is not a year "
                                          r"\(expected an integer\) \(format the column as a number"),
    # spreadsheets: limits, merged cells, formulas, sheets
    "data_far_cell.xlsx": (cl.DataError, r"sheet 'data': a cell at XFD1048576 makes the table 1,048,576 rows x "
                                         r"16,384 columns, more than the limit of 5,000,000 cells"),
    "data_formula_no_value.xlsx": (cl.DataError, r"sheet 'data', cell G3: formula '=G2\*2' has no stored value"),
    "data_merged_cells.xlsx": (cl.DataError, r"sheet 'data': cells C2:C3 are merged"),
    "data_only_definitions.xlsx": (cl.DataError, r"cannot tell which sheet holds the data \(sheets: indicators\); "
                                                 r"name it 'data' or choose one with --sheet"),
    "data_two_sheets.xlsx": (cl.DataError, r"cannot tell which sheet holds the data \(sheets: first, second\)"),
})

#: Files that must warn (and are read anyway): the warning's pattern.
WARNS = {
    "data_year_sparse.csv": r"data_year_sparse.csv line 8: year 2024 has 1 unit\(s\), the other years 3 \(a mistyped "
                            r"year\?",
    "data_percent_cells.xlsx": r"sheet 'data', column 'a': 2 cell\(s\) formatted as percent in Excel \(e.g. E2 "
                               r"stores 0.015, shown as 1.5 %\); read as the percentage shown",
    "data_empty_indicator.csv": r"data_empty_indicator.csv: only 2 of the 3 indicators of framework 'mini' carry data "
                                r"in 2023 \(1 empty: b\); the scores rest on those 2, and empty indicators are left "
                                r"out of their parents' means \(their weight goes to their siblings\)",
    "data_empty_dimension.csv": r"data_empty_dimension.csv: dimension\(s\) D2 of framework 'mini' have no data for "
                                r"any unit in 2023: the index is computed without them",
}


def _a(r: Any) -> list[float]:
    return [float(v) for v in r.stage("raw")["a"]]


#: Files that used to be misread: what must be read from them.
READS: dict[str, Callable[[Any], Any]] = {
    "fw_code_no.yaml": lambda fw: "NO" in fw.indicators,
    "fw_code_yes_off.yaml": lambda fw: {"yes", "off"} <= set(fw.indicators),
    "fw_code_leading_zero.yaml": lambda fw: "007" in fw.indicators,
    "fw_weight_2e0.yaml": lambda fw: fw.by_code["D1"].weight == 2.0,
    "fw_merge_key.yaml": lambda fw: fw.by_code["c"].unit == "count" and fw.by_code["c"].direction == 1,
    "fw_weight_huge.yaml": lambda fw: fw.by_code["D1"].weight == 1e308,
    "recipe_hi_1e2.yaml": lambda r: float(r.scores["IDX"].max()) <= 100.0,
    "data_semicolon.csv": lambda r: _a(r)[:2] == [1.5, 2.5],
    "data_tab.csv": lambda r: _a(r)[:2] == [1.5, 2.5],
    "data_bom_semicolon.csv": lambda r: list(r.units) == ["u1", "u2", "u3"],
    "data_utf16.csv": lambda r: _a(r)[:2] == [1.5, 2.5],
    "data_trailing_separators.csv": lambda r: _a(r)[:2] == [1.5, 2.5],
    "data_nul_byte.csv": lambda r: r.data.names[0] == "Unit\x001",
    "data_benchmark_chinese.csv": lambda r: list(r.data.benchmark) == [True, False, False],
    "data_benchmark_chinese.xlsx": lambda r: list(r.data.benchmark) == [True, False, False],
    "data_blank_rows.xlsx": lambda r: list(r.units) == ["u1", "u2", "u3"] and _a(r)[:2] == [1.5, 2.5],
    "data_renamed_sheet.xlsx": lambda r: "Daten" in r.data.source and _a(r)[:2] == [1.5, 2.5],
    "data_percent_cells.xlsx": lambda r: _a(r)[:2] == [1.5, 2.5],
    "data_year_sparse.csv": lambda r: r.year == 2024,
    "data_formula_unit.csv": lambda r: r.units[0].startswith("=HYPERLINK"),
    "data_formula_text_unit.xlsx": lambda r: r.units[0].startswith("=HYPERLINK"),
    # an empty indicator's weight goes to its sibling (D1 is a alone), an empty dimension's to the other (IDX is D1)
    "data_empty_indicator.csv": lambda r: r.scores["b"].isna().all() and list(r.scores["D1"][:2]) == [0.0, 100.0],
    "data_empty_dimension.csv": lambda r: r.scores["D2"].isna().all() and list(r.scores["IDX"]) == list(r.scores["D1"]),
}


def run(name: str) -> Any:
    path = CORPUS / name
    if name.startswith(("fw_", "imeta_")):
        return cl.load_framework(path)
    if name.startswith(("data_", "long_")):
        return cl.evaluate(CORPUS / "mini.yaml", path)
    if name.startswith("space_"):
        return Space.from_yaml(path)
    if name.startswith("grading_"):
        return load_scheme(path)
    if name.startswith("judge_"):
        return read_judgements(path)
    return cl.evaluate(CORPUS / "mini.yaml", CORPUS / "good.csv", path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_gives_its_precise_error(name: str) -> None:
    kind, pattern = CASES[name]
    with pytest.raises(kind) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        run(name)
    message = str(info.value)
    assert name in message or "recipe" in message, f"the message does not name the file: {message}"
    assert re.search(pattern, message), message
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize("name", sorted(READS))
def test_file_once_misread_is_read_right(name: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", cl.DataWarning)
        got = run(name)
    assert READS[name](got), name
    said = [str(w.message) for w in caught if issubclass(w.category, cl.DataWarning)]
    if name in WARNS:
        assert any(re.search(WARNS[name], m) for m in said), said
    else:
        assert not [m for m in said if name in m], said


def test_every_corpus_file_is_covered() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"mini.yaml", "good.csv"}
    assert files == set(CASES) | set(READS)
    assert len(files) + 2 > 120


def test_the_good_file_passes() -> None:
    result = cl.evaluate(CORPUS / "mini.yaml", CORPUS / "good.csv")
    assert result.scores.shape == (3, 6)


def test_written_tables_neutralise_formulas(tmp_path: Path) -> None:
    """A unit code that a spreadsheet would run (=HYPERLINK(...), @SUM(1)) is written with a leading apostrophe in
    every CSV; numbers, including negative ones, are written unchanged."""
    result = cl.evaluate(CORPUS / "mini.yaml", CORPUS / "data_formula_unit.csv")
    out = result.to_csv(tmp_path / "out")
    seen = 0
    for path in sorted(out.rglob("*.csv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = next(iter(__import__("csv").reader([line])))
            for cell in cells:
                assert not cell.startswith(("=", "@", "+")), (path, cell)
                if cell.startswith("'=HYPERLINK") or cell == "'@SUM(1)":
                    seen += 1
    assert seen >= 10
