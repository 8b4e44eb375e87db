"""A robustness analysis in a real browser (Playwright driving Debian's chromium): the analyst starts one from the
round's robustness page, watches its progress bar move, sees the rank intervals when it is done and the rank
interval on a cluster page (in both languages); a second analysis is cancelled from the page. Screenshots go to
build/test-output/serve-robustness/ (or $CLUSTERLEAP_TEST_OUTPUT). Skipped with the reason when chromium or
playwright is absent; a failure instead when CLUSTERLEAP_REQUIRE_CHROMIUM is set."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .conftest import Workspace
from .test_serve_browser import CHROMIUM, FLAGS, _login, _need_browser, server  # noqa: F401 (the fixture)

OUT = Path(os.environ.get("CLUSTERLEAP_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "build" / "test-output")
           ) / "serve-robustness"


def _shot(page: Any, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_robustness_in_the_browser(server: tuple[str, Workspace]) -> None:  # noqa: F811
    sync_playwright = _need_browser()
    base, ws = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        analyst = _login(browser, base, "analyst", ws.passwords["analyst"])
        analyst.goto(base + "/rounds/2")
        analyst.click("nav >> text=Robustness 2023")
        analyst.wait_for_selector("#start-robustness")
        assert analyst.input_value("#run") == "2"  # the published run
        _shot(analyst, "01-robustness-empty")

        # a bad space is named at its field, nothing is started
        analyst.fill("#space", "factors:\n  - weights: {noise: 2}\n")
        analyst.click("#start")
        err = analyst.locator('[data-error-for="space"]')
        err.wait_for(state="visible")
        assert "noise" in err.inner_text()
        _shot(analyst, "02-robustness-bad-space")

        # start, and watch the progress move
        analyst.fill("#space", "")
        analyst.fill("#samples", "8000")
        analyst.fill("#seed", "2024")
        analyst.click("#start")
        analyst.wait_for_url(re.compile(r".*/rounds/2/robustness\?run=2$"))
        row = analyst.locator("tr[data-job]").first
        assert row.get_attribute("data-state") in ("queued", "running")
        # the progress bar moves, unless the analysis ends first (8,000 samples take a second or two on an idle
        # machine): then the page has already reloaded with the results
        analyst.wait_for_function(
            "() => { const b = document.querySelector('[data-job-progress]');"
            " return (b && b.value > 0.1) || document.querySelector('#intervals') !== null; }",
            timeout=120_000)
        if analyst.locator("#intervals").count() == 0:
            assert re.search(r"\d+ %", analyst.inner_text("[data-job-phase]"))
            _shot(analyst, "03-robustness-running")
        analyst.wait_for_selector("#intervals", timeout=180_000)  # the page reloads when the analysis ends
        assert "done" in analyst.inner_text("#jobs")
        first = analyst.locator("#intervals tbody tr").first
        assert re.fullmatch(r"\d+–\d+", first.locator("td").nth(3).inner_text().strip())
        _shot(analyst, "04-robustness-done")

        # the rank interval on a cluster page, as the API gives it
        rob = analyst.request.get(base + "/api/rounds/2/clusters/CN002").json()["robustness"]
        api = rob["interval"]
        share = round(rob["grades"]["p"][rob["grades"]["nominal"]] * 100)
        analyst.goto(base + "/rounds/2/clusters/CN002")
        card = analyst.inner_text("#rank-interval")
        assert f"{int(api['lo'])}–{int(api['hi'])}" in card
        assert "8000 samples" in analyst.inner_text("#rank-interval-note")
        assert f"in {share} % of the samples." in analyst.inner_text("#rank-interval-note")
        analyst.wait_for_selector("#radar .main-svg")
        _shot(analyst, "05-cluster-rank-interval")
        analyst.click("#lang-switch")
        analyst.wait_for_selector("text=排名区间（5–95%）")
        analyst.wait_for_selector("#radar .main-svg")
        assert f"{share}% 的样本中等级为" in analyst.inner_text("#rank-interval-note")
        _shot(analyst, "06-cluster-rank-interval-zh")

        # a long analysis, cancelled from the page
        analyst.goto(base + "/rounds/2/robustness")
        analyst.fill("#samples", "20000")
        analyst.click("#start")
        analyst.wait_for_url(re.compile(r".*\?run=2$"))
        # cancelled at once: the child's start-up alone (a fresh interpreter) outlasts the click
        analyst.click("button[data-cancel-job]", timeout=30_000)
        analyst.wait_for_selector("tr[data-job][data-state=cancelled]", timeout=30_000)
        _shot(analyst, "07-robustness-cancelled")

        # a viewer sees the interval of the published run, and no robustness controls
        viewer = _login(browser, base, "viewer", ws.passwords["viewer"])
        viewer.goto(base + "/rounds/2/clusters/CN002")
        assert f"{int(api['lo'])}–{int(api['hi'])}" in viewer.inner_text("#rank-interval")
        assert viewer.locator("nav >> text=Robustness").count() == 0
        viewer.goto(base + "/rounds/2/robustness")
        assert viewer.locator("#start-robustness").count() == 0 and viewer.locator("#intervals").count() == 1
        _shot(viewer, "08-viewer-robustness")
        for pg in (analyst, viewer):
            assert pg.errors == [], pg.errors
        browser.close()
