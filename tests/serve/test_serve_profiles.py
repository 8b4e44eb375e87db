"""Every unit's profile at once (``store.profiles.all_profiles``) is exactly what the engine's per-unit
``Analytics.profile(unit).to_dict()`` gives, key order and list order included, on the demo recipe and on a recipe
whose peers are the sector (so that strengths, short boards, obstacles, gains and actions all have rows)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the workspace needs the 'web' extra")

import clusterleap as cl
from clusterleap.illustrative import illustrative_frame
from clusterleap.store._runs import _jsonable
from clusterleap.store.profiles import all_profiles


def _demo_recipe() -> cl.Recipe:
    return cl.Recipe.load(Path(str(resources.files("clusterleap") / "data" / "demo-recipe.yaml")))


@pytest.mark.parametrize("peer", [None, "sector"])
@pytest.mark.parametrize("year", [2019, 2024])
def test_all_profiles_equal_the_engines_profiles(peer: str | None, year: int) -> None:
    frame = illustrative_frame(n_domestic=60, n_benchmark=6, years=range(2019, 2025))
    result = cl.evaluate("world-class", cl.read_data(frame[frame.year == year]), _demo_recipe())
    analytics = cl.analyse(result, peer=peer)
    fast = all_profiles(analytics)
    root = result.framework.root.code
    scored = [u for u in result.units if result.scores.loc[u, root] == result.scores.loc[u, root]]
    assert list(fast) == scored and len(scored) >= 60
    assert any(p["short_boards"] for p in fast.values()) and any(p["strengths"] for p in fast.values())
    assert any(p["actions"] for p in fast.values())
    for unit in scored:
        slow = analytics.profile(unit).to_dict()
        assert json.dumps(_jsonable(fast[unit]), ensure_ascii=False) == \
            json.dumps(_jsonable(slow), ensure_ascii=False), unit
