"""A grading scheme built in the recipe form, through the API the form calls: typing errors and the engine's own
errors at the tier's field, the basis rule at the scheme, and the stored scheme as the engine reads it back."""

from __future__ import annotations

import clusterleap as cl
from clusterleap.grading import observatory_scheme
from clusterleap.store._recipes import form_tiers, scheme_from_form

from .conftest import Workspace, client_for


def _post(client: object, scheme: dict[str, object], basis: str = "goalposts") -> object:
    return client.post("/api/recipes/form", json={  # type: ignore[attr-defined]
        "name": "graded", "basis": basis, "grading": "custom", "scheme": scheme, "base_id": 1})


def test_scheme_errors_at_the_tier_field(workspace: Workspace) -> None:
    analyst = client_for(workspace, "analyst")
    r = _post(analyst, {"name": "s", "tiers": [{"code": "A", "min_score": "6o"}, {"code": "", "top_percent": 5}]})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert r.json()["fields"] == {  # type: ignore[attr-defined]
        "grading.1.min_score": "'6o' is not a number (expected a decimal number such as 60 or 7.5, with '.' as the "
                               "decimal separator)",
        "grading.2.code": "a tier needs a code (e.g. A, world_class)"}
    r = _post(analyst, {"name": "s", "tiers": [{"code": "A", "top_percent": "150"}, {"code": "A"}]})
    assert r.json()["fields"] == {  # type: ignore[attr-defined]
        "grading.1.top_percent": "top_percent is 150.0 (expected a percentage in (0, 100])"}
    r = _post(analyst, {"name": "s", "tiers": [{"code": "A", "top_percent": "10"}, {"code": "A"}]})
    assert r.json()["fields"] == {  # type: ignore[attr-defined]
        "grading.2.code": "the code appears twice (tier codes must be unique)"}
    r = _post(analyst, {"name": "s", "tiers": []})
    assert r.json()["fields"] == {  # type: ignore[attr-defined]
        "grading": "a grading scheme needs at least one tier (highest first)"}
    r = _post(analyst, {"name": "s", "tiers": [{"code": "A", "floor": "40"}, {"code": "B"}]}, basis="relative")
    assert list(r.json()["fields"]) == ["grading"]  # type: ignore[attr-defined]
    assert r.json()["fields"]["grading"].startswith(  # type: ignore[attr-defined]
        "grading scheme 's' compares scores with fixed numbers (tier 'A' floors)")


def test_scheme_saved_as_the_engine_reads_it(workspace: Workspace) -> None:
    analyst = client_for(workspace, "analyst")
    tiers = [{"code": "A", "name_zh": "世界级", "min_score": "60", "floor": "35"},
             {"code": "B", "top_percent": "25", "benchmark_margin": "10"}, {"code": "C", "name_en": "Others"}]
    r = _post(analyst, {"name": "three", "tiers": tiers})
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    stored = analyst.get(f"/api/recipes/{r.json()['id']}").json()["content"]  # type: ignore[attr-defined]
    recipe = cl.Recipe.from_dict(stored)
    scheme = cl.GradingScheme.from_dict(scheme_from_form({"name": "three", "tiers": tiers}))
    assert scheme.tiers[0].floors == (("*", 35.0),) and scheme.tiers[0].min_score == 60.0
    assert scheme.tiers[1].top_percent == 25.0 and scheme.tiers[1].benchmark_margin == 10.0
    assert not scheme.tiers[2].has_conditions
    # the form shows the stored scheme again as it was typed
    assert form_tiers(scheme) == [
        {"code": "A", "name_en": "", "name_zh": "世界级", "min_score": "60", "floor": "35", "top_percent": "",
         "benchmark_margin": ""},
        {"code": "B", "name_en": "", "name_zh": "", "min_score": "", "floor": "", "top_percent": "25",
         "benchmark_margin": "10"},
        {"code": "C", "name_en": "Others", "name_zh": "", "min_score": "", "floor": "", "top_percent": "",
         "benchmark_margin": ""}]
    assert recipe.grading == scheme and stored["basis"] == "goalposts"
    # schemes the form cannot show are kept whole: the Observatory's stars need criteria
    assert form_tiers(observatory_scheme()) is None
