"""The wide-years layout (one row per unit, a column ``<variable>_<year>``), the unit and name columns named on the
command line, and units left out by pattern: what reading the UNDP's HDI file as it comes needs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.cli import app

runner = CliRunner()

FILE = """\
iso3,country,region,hdi_rank_2022,le_2021,le_2022,eys_2022,gnipc_2021
CHE,Switzerland,EUR,1,83.5,84.0,16.6,66933
NOR,Norway,EUR,2,83.2,83.4,18.7,
ZZK.WORLD,World,,,71.4,72.0,12.8,16752
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "undp.csv"
    p.write_text(FILE, encoding="utf-8")
    return p


def test_one_row_per_unit_and_year(path: Path) -> None:
    ds = cl.read_data(path, layout="wide-years", unit="iso3", name="country")
    assert ds.units == ("CHE", "NOR", "ZZK.WORLD") and ds.names[0] == "Switzerland"
    assert ds.years == (2021, 2022)
    assert set(ds.variables) == {"hdi_rank", "le", "eys", "gnipc"}
    assert ds.groups["region"] == ("EUR", "EUR", None)  # columns without a year are the unit's
    le = ds.values[:, :, ds.variables.index("le")]
    np.testing.assert_array_equal(le, [[83.5, 83.2, 71.4], [84.0, 83.4, 72.0]])
    eys = ds.values[:, :, ds.variables.index("eys")]
    assert np.isnan(eys[0]).all() and eys[1, 1] == 18.7  # a variable missing in a year is missing there
    gnipc = ds.values[:, :, ds.variables.index("gnipc")]
    assert gnipc[0, 0] == 66933 and np.isnan(gnipc[0, 1]) and np.isnan(gnipc[1]).all()
    # places are the file's own lines
    assert ds.place(1, 1, "le") == f'{path} line 3, column "le"'


def test_wide_years_refusals(path: Path, tmp_path: Path) -> None:
    with pytest.raises(cl.DataError, match=r"no unit column 'iso'.*did you mean \"iso3\""):
        cl.read_data(path, layout="wide-years", unit="iso")
    plain = tmp_path / "plain.csv"
    plain.write_text("unit,a,b\nC1,1,2\n", encoding="utf-8")
    with pytest.raises(cl.DataError, match=r"no column named <variable>_<year>"):
        cl.read_data(plain, layout="wide-years")
    both = tmp_path / "both.csv"
    both.write_text("unit,year,a_2020\nC1,2020,1\n", encoding="utf-8")
    with pytest.raises(cl.DataError, match=r"a column 'year' besides the <variable>_<year> columns"):
        cl.read_data(both, layout="wide-years")
    with pytest.raises(cl.DataError, match=r"layout 'wide-year' is unknown \(did you mean \"wide-years\"\?\)"):
        cl.read_data(path, layout="wide-year")


FRAMEWORK = """\
name: life
tree:
  code: I
  children: [le]
indicators:
  le: {name_en: Life expectancy, goalposts: {lo: 20, hi: 85}}
"""


def test_evaluate_reads_it_and_leaves_out_the_aggregates(path: Path, tmp_path: Path) -> None:
    fw = tmp_path / "life.yaml"
    fw.write_text(FRAMEWORK, encoding="utf-8")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("basis: goalposts\nnormalise: {method: goalposts, scale: 1}\n", encoding="utf-8")
    base = ["evaluate", "-f", str(fw), "-d", str(path), "-r", str(recipe), "--layout", "wide-years",
            "--unit-column", "iso3", "--name-column", "country", "--year", "2022"]
    res = runner.invoke(app, [*base, "--exclude", "ZZ*", "-o", str(tmp_path / "out")], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    scores = (tmp_path / "out" / "scores.csv").read_text(encoding="utf-8")
    assert "ZZK.WORLD" not in scores and "CHE" in scores
    # scores on a 0-1 scale print with three decimals: (84.0 - 20) / 65
    assert f"{(84.0 - 20) / 65:.3f}" in res.output and "Switzerland" in res.output
    bad = runner.invoke(app, [*base, "--exclude", "XX*", "-o", str(tmp_path / "out2")])
    assert bad.exit_code == 2
    assert "--exclude 'XX*': no unit code of" in " ".join(bad.output.split())
    assert not (tmp_path / "out2").exists()
