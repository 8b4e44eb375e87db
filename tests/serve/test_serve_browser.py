"""The evaluation round in a real browser: Playwright for Python driving Debian's chromium (no browser download).

A contributor logs in, enters a bad value and sees the engine's precise error at the field, fixes it and submits;
the analyst returns one submission with a comment, accepts the others, evaluates and publishes; the contributor of
the returned cluster reads the comment; a viewer sees only published rounds, switches the language, and a report
downloads and opens. A screenshot of every page goes to build/test-output/serve/ (or $CLUSTERLEAP_TEST_OUTPUT).
Skipped with the reason when chromium or playwright is absent; a failure instead when CLUSTERLEAP_REQUIRE_CHROMIUM
is set."""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clusterleap.illustrative import illustrative_frame

from .conftest import YEARS, Workspace

CHROMIUM = os.environ.get("CLUSTERLEAP_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OUT = Path(os.environ.get("CLUSTERLEAP_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "build" / "test-output")
           ) / "serve"


def _need_browser() -> Any:
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright for Python is not installed (the 'webtest' extra)"
    if problem is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        problem = f"chromium is absent ({CHROMIUM}; apt-get install chromium)"
    if problem is not None:
        if os.environ.get("CLUSTERLEAP_REQUIRE_CHROMIUM"):
            pytest.fail(f"CLUSTERLEAP_REQUIRE_CHROMIUM is set but {problem}")
        pytest.skip(problem)
    return sync_playwright


@pytest.fixture
def server(sqlite_workspace: Workspace) -> Iterator[tuple[str, Workspace]]:
    """The app served by uvicorn on a free loopback port, in a thread of the test process."""
    import uvicorn

    from clusterleap.serve.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(sqlite_workspace.store), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started:
        if time.time() > deadline:
            pytest.fail("uvicorn did not start within 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", sqlite_workspace
    srv.should_exit = True
    thread.join(timeout=10)


class Shots:
    def __init__(self) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.png"):
            old.unlink()
        self.n = 0

    def __call__(self, page: Any, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(OUT / f"{self.n:02d}-{name}.png"), full_page=True)


def _login(browser: Any, base: str, user: str, password: str, shots: Shots | None = None) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.errors = errors
    page.goto(base + "/rounds")
    assert "/login" in page.url  # anonymous: only the login page
    if shots:
        shots(page, "login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/rounds$"))
    return page


def _values_2024(unit: str) -> dict[str, float | None]:
    frame = illustrative_frame(n_domestic=8, n_benchmark=3, years=YEARS)
    row = frame[(frame.unit == unit) & (frame.year == 2024)].iloc[0]
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def _csrf(page: Any) -> str:
    return str(page.get_attribute('meta[name="csrf-token"]', "content"))


def test_round_in_the_browser(server: tuple[str, Workspace]) -> None:
    sync_playwright = _need_browser()
    base, ws = server
    shots = Shots()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)

        # -- a viewer before publication: 2024 is not there ---------------------------------------------------
        viewer = _login(browser, base, "viewer", ws.passwords["viewer"], shots)
        assert "2024" not in viewer.inner_text("table.data")
        assert "2023" in viewer.inner_text("table.data")
        shots(viewer, "viewer-rounds-before")
        assert viewer.goto(base + "/rounds/3").status == 404

        # -- the contributor enters CN001's data ------------------------------------------------------------
        page = _login(browser, base, "contributor", ws.passwords["contributor"])
        shots(page, "contributor-rounds")
        page.goto(base + "/rounds/3/submissions")
        assert page.locator("tr[data-unit]").count() == 2  # CN001 and CN002 only
        shots(page, "contributor-submissions")
        page.click('tr[data-unit="CN001"] a >> nth=0')
        page.wait_for_selector("#submission-form")
        values = _values_2024("CN001")
        codes = [c.removeprefix("in-") for c in page.eval_on_selector_all(
            "#submission-form input[name]", "els => els.map(e => e.id)")]
        for code in codes:
            v = values.get(code)
            page.fill(f"#in-{code}", "" if v is None else repr(float(v)))
        page.fill("#in-rd_intensity", "12,5%")  # a decimal comma and a per cent sign
        page.fill("#in-domestic_supply_share", "150")  # a share above 100 %
        page.click("#submit")
        err = page.locator('[data-error-for="rd_intensity"]')
        err.wait_for(state="visible")
        assert "'12,5%' is not a number" in err.inner_text()
        assert "decimal separator" in err.inner_text()
        assert "outside 0 to 100" in page.inner_text('[data-error-for="domestic_supply_share"]')
        assert page.get_attribute("#in-rd_intensity", "aria-invalid") == "true"
        shots(page, "contributor-form-errors")
        page.fill("#in-rd_intensity", "2.5")
        page.fill("#in-domestic_supply_share", repr(float(values["domestic_supply_share"])))
        page.click("#submit")
        page.wait_for_selector("#state.state-submitted")
        shots(page, "contributor-submitted")
        # CN002 through the API, as a script would
        r = page.request.put(base + "/api/rounds/3/submissions/CN002?submit=true",
                             headers={"X-CSRF-Token": _csrf(page)},
                             data={"values": {c: _values_2024("CN002").get(c) for c in codes}})
        assert r.status == 200, r.text()

        # -- the analyst reviews, evaluates and publishes --------------------------------------------------------
        analyst = _login(browser, base, "analyst", ws.passwords["analyst"])
        analyst.goto(base + "/rounds/3/submissions")
        shots(analyst, "analyst-submissions")
        analyst.goto(base + "/rounds/3/submissions/CN003")
        analyst.fill("textarea[name=comment]", "Patent counts look like the 2023 values: please check.")
        analyst.click("#return")
        analyst.wait_for_url(re.compile(r".*/rounds/3/submissions$"))
        assert "returned" in analyst.inner_text('tr[data-unit="CN003"]')
        analyst.goto(base + "/rounds/3/submissions/CN001")
        shots(analyst, "analyst-review")
        analyst.click("#accept")
        analyst.wait_for_url(re.compile(r".*/rounds/3/submissions$"))
        csrf = _csrf(analyst)
        for row in analyst.request.get(base + "/api/rounds/3/submissions").json():
            if row["state"] == "submitted":
                r = analyst.request.post(base + f"/api/rounds/3/submissions/{row['unit']}/review",
                                         headers={"X-CSRF-Token": csrf}, data={"decision": "accept"})
                assert r.status == 200, r.text()
        analyst.reload()
        analyst.click("#evaluate")
        analyst.wait_for_selector("#publish")
        shots(analyst, "analyst-evaluated")
        analyst.click("#publish")
        analyst.wait_for_url(re.compile(r".*/rounds/3$"))
        assert "published" in analyst.inner_text(".heading")
        shots(analyst, "analyst-ranking")
        analyst.goto(base + "/audit")
        assert "submission.return" in analyst.inner_text("#audit")
        shots(analyst, "analyst-audit")

        # -- the returned cluster's contributor reads the comment --------------------------------------------------
        other = _login(browser, base, "contrib-b", ws.passwords["contrib-b"])
        other.goto(base + "/rounds/3/submissions/CN003")
        assert "Patent counts look like the 2023 values" in other.inner_text("#returned")
        shots(other, "contributor-returned")

        # -- the viewer after publication: ranking, cluster page, language switch, report ----------------------
        viewer.goto(base + "/rounds")
        assert "2024" in viewer.inner_text("table.data")
        viewer.goto(base + "/rounds/3")
        ranking = viewer.inner_text("table.ranking >> nth=0")
        assert "CN001" in ranking and "CN003" not in ranking  # CN003 was returned, not evaluated
        assert viewer.locator("table.ranking").count() == 2  # benchmarks apart
        shots(viewer, "viewer-ranking")
        viewer.check('input[name=units][value="CN001"]')
        viewer.check('input[name=units][value="CN002"]')
        viewer.click("#compare-form button")
        viewer.wait_for_selector("#radar .main-svg")
        assert "CN001" in viewer.inner_html("#comparison") and "CN002" in viewer.inner_html("#comparison")
        shots(viewer, "viewer-compare")
        viewer.goto(base + "/rounds/3")
        viewer.click('table.ranking >> nth=0 >> a >> nth=0')
        viewer.wait_for_selector("#radar .main-svg")
        assert viewer.locator("#history .main-svg").count() >= 1
        shots(viewer, "viewer-cluster")
        viewer.goto(base + "/trends")
        viewer.wait_for_selector("#trend .main-svg")
        assert [c.inner_text() for c in viewer.query_selector_all("#trends tbody tr td:first-child")] == [
            "2022", "2023", "2024"]
        shots(viewer, "viewer-trends")
        viewer.go_back()
        viewer.click("#lang-switch")
        viewer.wait_for_selector("h2:has-text('各维度得分与标杆中位数对比')")
        shots(viewer, "viewer-cluster-zh")
        viewer.goto(base + "/rounds/3")
        assert "国内集群" in viewer.inner_text("main")
        shots(viewer, "viewer-ranking-zh")
        with viewer.expect_download() as info:
            viewer.click("text=HTML")
        path = OUT / "report.html"
        info.value.save_as(str(path))
        report = viewer.context.new_page()
        report.goto(path.as_uri())
        assert "CN001" in report.content()
        shots(report, "report")

        for pg in (viewer, page, analyst, other):
            assert pg.errors == [], pg.errors
        browser.close()


# -- administration -------------------------------------------------------------------------------------------------
BAD_FRAMEWORK = b"name: tiny\ninclude: pool.yaml\ntree:\n  code: IDX\n  children:\n    - code: A\n" \
                b"      children: [rd_intensity]\n    - code: B\n      weight: heavy\n      children: [exports_share]\n"


def test_administration_in_the_browser(server: tuple[str, Workspace]) -> None:
    """The admin creates an analyst (with a generated password) and a round, and sees a bad framework file's line;
    the analyst edits the recipe in the form and sees a field error, and a line error in the YAML view; the
    contributor downloads the round's template and uploads it with one bad cell, which the page names by cluster
    and cell. Every new page is photographed in English and in Chinese."""
    import io

    import pandas as pd

    sync_playwright = _need_browser()
    base, ws = server
    out = OUT / "admin"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()

    def shot(page: Any, name: str) -> None:
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)

        # -- the admin: an analyst account, a round, a framework upload with an error ------------------------------
        admin = _login(browser, base, "admin", ws.passwords["admin"])
        admin.click("header nav >> text=Administration")
        admin.wait_for_url(re.compile(r".*/admin/rounds$"))
        admin.click("nav.subnav >> text=Accounts")
        admin.fill("#account-form input[name=username]", "analyst-2")
        admin.select_option("#account-form select[name=role]", "contributor")
        admin.fill("#account-form input[name=clusters]", "CN01")
        admin.click("#create-account")
        err = admin.locator('#account-form [data-error-for="clusters"]')
        err.wait_for(state="visible")
        assert "'CN01' is not in this workspace" in err.inner_text() and "CN001" in err.inner_text()
        shot(admin, "accounts-error-en")
        admin.select_option("#account-form select[name=role]", "analyst")
        admin.fill("#account-form input[name=clusters]", "")
        admin.click("#create-account")
        admin.locator("#generated").wait_for(state="visible")
        password = admin.inner_text("#generated [data-password]")
        assert len(password) == 20
        shot(admin, "accounts-created-en")
        admin.reload()
        assert "analyst-2" in admin.inner_text("#accounts")

        admin.goto(base + "/admin/rounds")
        admin.fill("#round-form input[name=year]", "2025")
        admin.fill("#round-form input[name=title]", "Evaluation round 2025")
        admin.select_option("#round-form select[name=grading]", "default")
        admin.click("#create-round")
        admin.wait_for_selector('#rounds-admin tr:has-text("Evaluation round 2025")')
        row = admin.locator('#rounds-admin tr:has-text("Evaluation round 2025")')
        assert "collecting data" in row.inner_text() and "default" in row.inner_text()
        row.locator("button").click()  # close it for submissions
        admin.wait_for_selector('#rounds-admin tr:has-text("Evaluation round 2025") >> text=closed')
        shot(admin, "rounds-en")

        admin.goto(base + "/admin/frameworks")
        admin.set_input_files("#framework-form input[type=file]",
                              files=[{"name": "tiny.yaml", "mimeType": "text/yaml", "buffer": BAD_FRAMEWORK}])
        admin.click("#upload-framework")
        ferr = admin.locator('#framework-form [data-error-for="file"]')
        ferr.wait_for(state="visible")
        assert ferr.inner_text() == "tiny.yaml line 9, node 'B': weight is 'heavy' (expected a number)"
        shot(admin, "frameworks-error-en")

        # -- the analyst: the recipe form and the YAML view ---------------------------------------------------------
        analyst = _login(browser, base, "analyst-2", password)
        analyst.click("header nav >> text=Recipes")
        analyst.wait_for_url(re.compile(r".*/recipes$"))
        shot(analyst, "recipes-en")
        analyst.click("#recipes a >> nth=0")
        analyst.wait_for_selector("#recipe-form")
        assert analyst.input_value('select[data-stage="normalise"]') == "minmax"
        analyst.fill('input[name="normalise.lo"]', "zero")
        analyst.click("#save-form")
        perr = analyst.locator('[data-error-for="normalise.lo"]')
        perr.wait_for(state="visible")
        assert perr.inner_text() == "parameter 'lo' is 'zero' (expected float)"
        shot(analyst, "recipe-field-error-en")
        analyst.fill('input[name="normalise.lo"]', "0")
        analyst.select_option("#basis", "relative")  # absolute cut-offs on scores that only rank: refused
        analyst.select_option("#grading", "default")
        analyst.click("#save-form")
        gerr = analyst.locator('#recipe-form [data-error-for="grading"]')
        gerr.wait_for(state="visible")
        assert gerr.inner_text().startswith("grading scheme 'default' compares scores with fixed numbers")
        shot(analyst, "recipe-grading-error-en")
        analyst.select_option('select[data-stage="aggregate"]', "geometric")
        analyst.select_option("#basis", "goalposts")
        analyst.click("#save-form")
        analyst.wait_for_url(re.compile(r".*/recipes/(?!1$)\d+$"))
        assert "v2" in analyst.inner_text("h1")
        assert analyst.input_value('select[data-stage="aggregate"]') == "geometric"
        area = analyst.locator("#recipe-yaml textarea")
        area.fill(area.input_value().replace("method: minmax", "method: minmx", 1))
        analyst.click("#save-yaml")
        yerr = analyst.locator('#recipe-yaml [data-error-for="yaml"]')
        yerr.wait_for(state="visible")
        text = area.input_value()
        line = text[:text.index("minmx")].count("\n") + 1 - 1  # the 'normalise:' key sits on the line above
        assert yerr.inner_text().startswith(f"line {line}: recipe, normalise: unknown normalise method 'minmx'")
        selected = analyst.evaluate("() => { const a = document.querySelector('#recipe-yaml textarea');"
                                    " return a.value.slice(a.selectionStart, a.selectionEnd); }")
        assert selected.startswith("normalise")
        shot(analyst, "recipe-yaml-error-en")

        # -- the contributor: the round's template with one bad cell ---------------------------------------------
        contributor = _login(browser, base, "contributor", ws.passwords["contributor"])
        contributor.goto(base + "/rounds/3/submissions")
        contributor.click("#upload-link")
        contributor.wait_for_url(re.compile(r".*/rounds/3/upload$"))
        with contributor.expect_download() as info:
            contributor.click("#template-xlsx")
        sheets = pd.read_excel(info.value.path(), sheet_name=None)
        data = sheets["data"]
        assert list(data["unit"]) == ["CN001", "CN002"]
        codes = list(data.columns[7:])
        for unit in ("CN001", "CN002"):
            values = _values_2024(unit)
            for c in codes:
                data.loc[data.unit == unit, c] = values.get(c)
        data[codes] = data[codes].astype(object)
        data.loc[data.unit == "CN002", "value_added_rate"] = "28,5"  # a decimal comma
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            data.to_excel(xw, sheet_name="data", index=False)
        contributor.set_input_files("#upload-form input[type=file]", files=[{
            "name": "filled.xlsx", "buffer": buf.getvalue(),
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
        contributor.click("#upload")
        problem = contributor.locator('#problems tr[data-problem="CN002.value_added_rate"]')
        problem.wait_for(state="visible")
        cells = problem.locator("td").all_inner_texts()
        assert cells[:2] == ["CN002", "value_added_rate"]
        assert cells[2].startswith("filled.xlsx") and 'row 3, column "value_added_rate"' in cells[2]
        assert "'28,5' is not a number" in cells[2]
        assert contributor.locator("#problems tbody tr").count() == 1
        shot(contributor, "upload-problems-en")

        # -- the submission form: both names, unit, definition and the plausible range -----------------------------
        contributor.goto(base + "/rounds/3/submissions/CN001")
        field = contributor.inner_text("#field-rd_intensity")
        for part in ("R&D intensity", "研发经费投入强度", "% of revenue", "Intramural R&D expenditure",
                     "Allowed: 0–100", "Last round's range"):
            assert part in field, (part, field)
        shot(contributor, "submission-form-en")

        # -- every new page in Chinese ----------------------------------------------------------------------------
        for page, paths in ((admin, ["/admin/accounts", "/admin/rounds", "/admin/frameworks"]),
                            (analyst, ["/recipes", "/recipes/1"]),
                            (contributor, ["/rounds/3/upload", "/rounds/3/submissions/CN001"])):
            page.goto(base + paths[0])
            page.click("#lang-switch")
            page.wait_for_load_state()
            for path in paths:
                page.goto(base + path)
                assert page.locator("html[lang=zh-CN]").count() == 1
                shot(page, path.strip("/").replace("/", "-") + "-zh")
                page.click("#lang-switch")  # and in English
                page.wait_for_load_state()
                shot(page, path.strip("/").replace("/", "-") + "-en")
                page.click("#lang-switch")
                page.wait_for_load_state()
        field = contributor.inner_text("#field-rd_intensity")
        assert "研发经费投入强度" in field and "R&D intensity" in field and "上一轮取值范围" in field

        for pg in (admin, analyst, contributor):
            assert pg.errors == [], pg.errors
        browser.close()
