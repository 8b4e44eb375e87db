"""Reading data sets: wide and long layouts from CSV, Excel, Parquet and DataFrames give the same data set;
missing markers; unit metadata; warnings for columns the framework ignores."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clusterleap as cl
from clusterleap.io._data_files import MISSING_MARKERS, parse_cell
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "corpus"

WIDE = pd.DataFrame({
    "unit": ["u1", "u2", "u1", "u2"],
    "name": ["Unit 1", "Unit 2", "Unit 1", "Unit 2"],
    "region": ["east", "west", "east", "west"],
    "benchmark": ["no", "yes", "no", "yes"],
    "year": [2022, 2022, 2023, 2023],
    "a": [1.0, 2.0, 1.5, None],
    "b": [3.0, 4.0, 3.5, 4.5],
})


def long_of(wide: pd.DataFrame) -> pd.DataFrame:
    return wide.melt(id_vars=["unit", "name", "region", "benchmark", "year"], var_name="indicator",
                     value_name="value")


def same(x: cl.Dataset, y: cl.Dataset) -> None:
    assert x.units == y.units and x.years == y.years and x.names == y.names
    assert dict(x.groups) == dict(y.groups)
    assert x.benchmark is not None and y.benchmark is not None
    assert (x.benchmark == y.benchmark).all()
    order = [y.variables.index(v) for v in x.variables]
    np.testing.assert_array_equal(x.values, y.values[:, :, order])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize("layout", ["wide", "long"])
def test_layouts_and_formats_agree(tmp_path: Path, fmt: str, layout: str) -> None:
    ref = cl.read_data(WIDE)
    df = WIDE if layout == "wide" else long_of(WIDE)
    path = tmp_path / f"data.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "xlsx":
        df.to_excel(path, index=False, sheet_name="data")
    else:
        df.to_parquet(path)
    same(ref, cl.read_data(path))
    assert ref.hash == cl.read_data(path).hash


def test_wide_reading_details() -> None:
    ds = cl.read_data(WIDE)
    assert ds.units == ("u1", "u2") and ds.years == (2022, 2023) and ds.variables == ("a", "b")
    assert ds.names == ("Unit 1", "Unit 2") and ds.groups == {"region": ("east", "west")}
    assert ds.benchmark is not None and list(ds.benchmark) == [False, True]
    assert np.isnan(ds.values[1, 1, 0]) and ds.values[1, 0, 1] == 3.5


@pytest.mark.parametrize("marker", [*sorted(MISSING_MARKERS), "  NA ", "N/a", "#N/A"])
def test_missing_markers(marker: str) -> None:
    value = parse_cell(marker)
    assert value is not None and np.isnan(value)


@pytest.mark.parametrize("cell", ["12,5%", "1,234", "12%", "abc", "1.2.3", "--5", "$3"])
def test_non_numbers_are_not_coerced(cell: str) -> None:
    assert parse_cell(cell) is None


@pytest.mark.parametrize(("cell", "value"), [("1e3", 1000.0), (" -2.5 ", -2.5), (".5", 0.5), ("+7", 7.0),
                                             ("3.", 3.0)])
def test_numbers(cell: str, value: float) -> None:
    assert parse_cell(cell) == value


def test_text_column_is_metadata_until_used_as_an_indicator() -> None:
    df = pd.DataFrame({"unit": ["x", "y", "z"], "sector": ["ict", "ict", "bio"], "a": [1, 2, 3], "b": [1, 2, 3]})
    ds = cl.read_data(df)
    assert ds.groups["sector"] == ("ict", "ict", "bio")
    fw = cl.read_framework_yaml(CORPUS / "mini.yaml")
    with pytest.raises(cl.DataError, match="no column for indicator 'c'"):
        ds.check_against(fw)


def test_columns_not_in_the_framework_warn_then_are_ignored() -> None:
    df = pd.read_csv(CORPUS / "good.csv")
    df["extra_1"] = 1.0
    with pytest.warns(cl.DataWarning, match=r"1 column\(s\) not in framework 'mini' are ignored: extra_1"):
        result = cl.evaluate(CORPUS / "mini.yaml", df)
    assert "extra_1" not in result.scores


def test_denominator_missing_makes_the_value_missing() -> None:
    df = pd.read_csv(CORPUS / "good.csv")
    df.loc[1, "pop"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = cl.evaluate(CORPUS / "mini.yaml", df)
    assert np.isnan(result.stage("denominated").loc["u2", "c"])
    assert result.stage("denominated").loc["u1", "c"] == pytest.approx(0.1)


def test_imeta_reader_matches_the_file(asem_paths: tuple[Path, Path]) -> None:
    fw = cl.read_imeta(asem_paths[0])
    assert len(fw.indicators) == 49 and fw.n_levels == 4 and fw.root.code == "Index"
    assert fw["Flights"].denominator == "Population" and fw["CostImpEx"].direction == -1
    assert fw.children["Conn"] == ("Physical", "ConEcFin", "Political", "Instit", "P2P")
    assert fw["LPI"].target == pytest.approx(4.11803135)


def test_framework_yaml_round_trip(asem_paths: tuple[Path, Path], tmp_path: Path) -> None:
    from clusterleap.io import framework_to_yaml

    fw = cl.read_imeta(asem_paths[0])
    path = tmp_path / "asem.yaml"
    path.write_text(framework_to_yaml(fw), encoding="utf-8")
    again = cl.read_framework_yaml(path)
    assert again.hash == fw.hash


def test_an_unfilled_table_is_an_error(tmp_path: Path) -> None:
    pd.DataFrame(columns=["unit", "name", "sector", "a", "b"]).to_csv(tmp_path / "empty.csv", index=False)
    with pytest.raises(cl.DataError, match=r"empty.csv: no data rows"):
        cl.read_data(tmp_path / "empty.csv")


def test_rows_count_alike_in_parquet_and_dataframes(tmp_path: Path) -> None:
    df = pd.DataFrame({"unit": ["u1", "u2", "u3"], "a": ["1", "2", "12,5%"], "b": [1.0, 2.0, 3.0],
                       "c": [1.0, 1.0, 1.0], "pop": [1.0, 1.0, 1.0]})
    df.to_parquet(tmp_path / "d.parquet")
    fw = cl.read_framework_yaml(CORPUS / "mini.yaml")
    for source in (df, tmp_path / "d.parquet"):
        with pytest.raises(cl.DataError, match=r"row 3, column \"a\": '12,5%'"):
            cl.read_data(source).check_against(fw)


def test_empty_columns_are_ignored_without_a_warning() -> None:
    import warnings

    df = pd.read_csv(CORPUS / "good.csv")
    df["sector"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", cl.DataWarning)
        cl.read_data(df).check_against(cl.read_framework_yaml(CORPUS / "mini.yaml"))
