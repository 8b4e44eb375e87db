"""Definitions files are validated like every other file: errors name the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterleap.errors import IndicatorSpecError
from clusterleap.indicators import load_spec
from tests.conftest import ROOT

GOOD = """\
name: t
membership:
  regions: regions.csv
  industries: industries.csv
  clusters: clusters.csv
sources:
  firms:
    file: firms.parquet
    key: [firm, year]
    values: [revenue, rd]
    attributes: [flag]
indicators:
  rd_intensity:
    source: firms
    numerator: {sum: rd}
    denominator: {sum: revenue}
    scale: 100
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_docs_example_loads() -> None:
    spec = load_spec(ROOT / "docs" / "examples" / "records" / "spec.yaml")
    assert len(spec.indicators) >= 20
    assert spec.sources["purchases"].via == "firms" and spec.sources["purchases"].via_on == (("buyer", "firm"),)
    assert {i.measure for i in spec.indicators} >= {"ratio", "herfindahl", "location_quotient", "shift_share",
                                                    "strong_cluster", "specialisation"}
    assert len(spec.sha256) == 64


def test_a_good_file(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, GOOD))
    (ind,) = spec.indicators
    assert (ind.code, ind.numerator.fn, ind.numerator.column, ind.scale) == ("rd_intensity", "sum", "rd", 100.0)
    assert spec.handling.duplicate == "reject" and spec.handling.zero_denominator == "missing"


@pytest.mark.parametrize(("old", "new", "message"), [
    ("numerator: {sum: rd}", "numerator: {summ: rd}",
     "line 15, indicators.rd_intensity.numerator: unknown aggregate 'summ' (expected one of count, count_distinct, "
     "max, mean, min, sum)"),
    ("numerator: {sum: rd}", "numerator: {sum: rnd}",
     "line 15, indicators.rd_intensity.numerator.sum: column 'rnd' is not declared in source 'firms'"),
    ("    source: firms\n    numerator", "    source: farms\n    numerator",
     "line 14, indicators.rd_intensity.source: unknown source 'farms' (expected one of firms)"),
    ("    scale: 100", "    scale: 100\n    window: 0",
     "line 18, indicators.rd_intensity.window: expected a number of years (a whole number >= 1), found 0"),
    ("    scale: 100", "    scale: 100\n    over: supplier",
     "line 18, indicators.rd_intensity.over: 'over' does not apply to measure 'ratio'"),
    ("    key: [firm, year]\n", "",
     "line 7, sources.firms: no 'key' (the columns that identify one record"),
    ("  clusters: clusters.csv", "  clusters: clusters.csv\n  each: '{region}-{category}'",
     "line 2, membership: give either 'clusters'"),
    ("name: t", "name: t\non_bad: {duplicate: keep}",
     "line 2, on_bad.duplicate: unknown handling 'keep' (expected one of reject, error)"),
    ("numerator: {sum: rd}", "numerator: {sum: rd, where: {flag: {like: x}}}",
     "line 15, indicators.rd_intensity.numerator.where.flag.like: unknown operator 'like'"),
    ("  rd_intensity:\n", "  rd_intensity:\n    measure: lq\n",
     "line 14, indicators.rd_intensity.measure: unknown measure 'lq'"),
])
def test_errors_name_the_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(IndicatorSpecError) as err:
        load_spec(path)
    assert str(err.value).startswith(f"{path} {message}"), str(err.value)


def test_yaml_syntax_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IndicatorSpecError, match=r"line 4, column 1: invalid YAML"):
        load_spec(write(tmp_path, "name: t\nsources:\n  - [a\n"))
    with pytest.raises(IndicatorSpecError, match="file not found"):
        load_spec(tmp_path / "nope.yaml")


def test_the_definitions_shown_in_the_docs_load(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    block = text.split("<!-- example: indicators -->\n```yaml\n", 1)[1].split("```", 1)[0]
    spec = load_spec(write(tmp_path, block))
    assert [i.code for i in spec.indicators] == ["rd_intensity", "little_giants", "intl_patents_5y",
                                                 "local_supply_rate", "supplier_hhi", "location_quotient"]
    assert spec.indicators[2].window == 5 and spec.years == (2020, 2024)
