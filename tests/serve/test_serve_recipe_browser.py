"""A grading scheme built in the recipe form, in a real browser (Playwright driving Debian's chromium): the analyst
chooses "tiers built below", adds a tier, sees a typing error and an error of the engine at the tier's field and a
scheme with fixed cut-offs refused on a relative basis, then saves it on goalposts; the new version opens with the
tiers filled in, in English and in Chinese. Screenshots go to build/test-output/serve-recipe/ (or
$CLUSTERLEAP_TEST_OUTPUT). Skipped with the reason when chromium or playwright is absent; a failure instead when
CLUSTERLEAP_REQUIRE_CHROMIUM is set."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clusterleap.store.models import RecipeVersion

from .conftest import Workspace
from .test_serve_browser import CHROMIUM, FLAGS, _login, _need_browser, server  # noqa: F401 (the fixture)

OUT = Path(os.environ.get("CLUSTERLEAP_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "build" / "test-output")
           ) / "serve-recipe"


def _shot(page: Any, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _error(page: Any, field: str) -> str:
    slot = page.locator(f'#recipe-form [data-error-for="{field}"]')
    slot.wait_for(state="visible")
    return str(slot.inner_text())


def test_grading_scheme_built_in_the_recipe_form(server: tuple[str, Workspace]) -> None:  # noqa: F811
    sync_playwright = _need_browser()
    base, ws = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        analyst = _login(browser, base, "analyst", ws.passwords["analyst"])
        analyst.goto(base + "/recipes/1")
        analyst.wait_for_selector("#recipe-form")
        assert analyst.locator("#scheme-builder").is_hidden()
        analyst.select_option("#grading", "custom")
        assert analyst.locator("#scheme-builder").is_visible()
        assert analyst.locator("#scheme-builder tr[data-tier]").count() == 2  # A and B to start with
        analyst.fill('[name="scheme.name"]', "three tiers")
        analyst.fill('[name="grading.1.name_en"]', "World-class")
        analyst.fill('[name="grading.1.name_zh"]', "世界级")
        analyst.fill('[name="grading.1.top_percent"]', "1O")  # a letter O
        analyst.click("[data-add-tier]")
        assert analyst.locator("#scheme-builder tr[data-tier]").count() == 3
        analyst.fill('[name="grading.3.code"]', "C")
        analyst.fill('[name="grading.2.benchmark_margin"]', "-5")
        analyst.select_option("#basis", "relative")
        analyst.click("#save-form")
        assert _error(analyst, "grading.1.top_percent") == (
            "'1O' is not a number (expected a decimal number such as 60 or 7.5, with '.' as the decimal separator)")
        assert analyst.get_attribute('[name="grading.1.top_percent"]', "aria-invalid") == "true"
        _shot(analyst, "01-tier-typing-error-en")

        analyst.fill('[name="grading.1.top_percent"]', "10")
        analyst.click("#save-form")  # now the engine's own check of the scheme
        assert _error(analyst, "grading.2.benchmark_margin") == "benchmark_margin is -5.0 (expected >= 0 points)"
        listed = analyst.inner_text("[data-form-errors]")
        assert "Tier 2 › Within points of the benchmark median: benchmark_margin is -5.0" in listed
        _shot(analyst, "02-tier-engine-error-en")

        analyst.fill('[name="grading.2.benchmark_margin"]', "5")
        analyst.fill('[name="grading.1.min_score"]', "60")  # a fixed cut-off: refused on a relative basis
        analyst.click("#save-form")
        assert _error(analyst, "grading").startswith("grading scheme 'three tiers' compares scores with fixed "
                                                     "numbers (tier 'A' min_score 60)")
        # a tier removed renumbers the others (and their fields) before the form is sent
        analyst.click('#scheme-builder tr[data-tier] >> nth=2 >> [data-remove-tier]')
        assert analyst.locator("#scheme-builder tr[data-tier]").count() == 2
        analyst.click("[data-add-tier]")
        analyst.fill('[name="grading.3.code"]', "C")
        analyst.fill('[name="grading.3.name_en"]', "Developing")
        analyst.select_option("#basis", "goalposts")
        analyst.click("#save-form")
        analyst.wait_for_url(re.compile(r".*/recipes/(?!1$)\d+$"))
        recipe_id = int(analyst.url.rsplit("/", 1)[1])
        assert analyst.input_value("#grading") == "custom"
        assert analyst.input_value('[name="grading.1.min_score"]') == "60"
        assert analyst.input_value('[name="grading.2.benchmark_margin"]') == "5"
        assert analyst.input_value('[name="grading.3.name_en"]') == "Developing"
        assert analyst.input_value('[name="scheme.name"]') == "three tiers"
        _shot(analyst, "03-saved-en")
        with ws.store.session() as db:
            row = db.scalars(select(RecipeVersion).where(RecipeVersion.id == recipe_id)).one()
            assert row.content["grading"] == {"name": "three tiers", "tiers": [
                {"code": "A", "name_en": "World-class", "name_zh": "世界级", "min_score": 60.0, "top_percent": 10.0},
                {"code": "B", "benchmark_margin": 5.0},
                {"code": "C", "name_en": "Developing"}]}
            assert row.content["basis"] == "goalposts"

        analyst.goto(f"{base}/lang/zh?next=/recipes/{recipe_id}")
        analyst.wait_for_selector("#scheme-builder")
        builder = analyst.inner_text("#scheme-builder")
        for words in ("分级方案：各等级由高到低", "综合指数不低于", "各维度得分不低于", "增加等级"):
            assert words in builder
        assert not re.search(r"\b(Tier|Code|Remove|Add a tier|Index at least)\b", builder)
        _shot(analyst, "04-saved-zh")
        assert not analyst.errors  # no script errors, no Content-Security-Policy violations
        browser.close()
