"""The UNDP HDI 2022, expressed as a framework file and a recipe (docs/examples/hdi), reproduces the published HDI
and rank of every country (HDR 2023/24 composite indices time series)."""

from __future__ import annotations

import pandas as pd
import pytest

import clusterleap as cl
from tests.conftest import ROOT, shared_path

EXAMPLES = ROOT / "docs" / "examples" / "hdi"


@pytest.fixture(scope="module")
def hdr() -> pd.DataFrame:
    path = shared_path("hdi", "HDR23-24_Composite_indices_complete_time_series.csv")
    df = pd.read_csv(path, encoding="utf-8-sig")
    return df[df.iso3.str.len() == 3].set_index("iso3")


@pytest.fixture(scope="module")
def result(hdr: pd.DataFrame) -> cl.Result:
    data = pd.DataFrame({
        "unit": hdr.index, "name": hdr.country, "le": hdr.le_2022, "eys": hdr.eys_2022, "mys": hdr.mys_2022,
        "gnipc": hdr.gnipc_2022,
    }).dropna()
    return cl.evaluate(EXAMPLES / "hdi.yaml", data, EXAMPLES / "hdi-recipe.yaml")


def test_every_country_hdi_as_published(result: cl.Result, hdr: pd.DataFrame) -> None:
    mine = result.score("HDI").round(3)
    published = hdr.loc[list(mine.index), "hdi_2022"]
    assert len(mine) == hdr.hdi_2022.notna().sum() == 193
    assert (mine - published).abs().max() == 0


def test_every_country_rank_as_published(result: cl.Result, hdr: pd.DataFrame) -> None:
    mine = result.rank("HDI")
    published = hdr.loc[list(mine.index), "hdi_rank_2022"]
    assert (mine.astype(float).to_numpy() == published.to_numpy()).all()
    # ties share the best rank: the published table has shared ranks, so must we
    assert mine.duplicated().any()


def test_dimension_indices_follow_the_technical_note(result: cl.Result, hdr: pd.DataFrame) -> None:
    import numpy as np

    u = "NOR"
    health = (hdr.loc[u, "le_2022"] - 20) / 65
    edu = (min(hdr.loc[u, "eys_2022"], 18) / 18 + min(hdr.loc[u, "mys_2022"], 15) / 15) / 2
    income = min(1.0, (np.log(hdr.loc[u, "gnipc_2022"]) - np.log(100)) / (np.log(75000) - np.log(100)))
    assert result.scores.loc[u, "health"] == pytest.approx(min(health, 1.0), abs=1e-12)
    assert result.scores.loc[u, "education"] == pytest.approx(edu, abs=1e-12)
    assert result.scores.loc[u, "income"] == pytest.approx(income, abs=1e-12)
    assert result.score("HDI")[u] == pytest.approx((health * edu * income) ** (1 / 3), abs=1e-12)
