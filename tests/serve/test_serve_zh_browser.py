"""Chinese pages are Chinese: every page of the workspace, opened in Chinese in a real browser (Playwright driving
Debian's chromium), shows no English word that clusterleap wrote. English may only come from what users entered
(user, recipe and framework names, the framework's definitions and sources where it gives them in English only) or
be a code, an identifier of the recipe language (method and parameter names, which the YAML view uses too) or the
name of a method or piece of software. Screenshots of every page go to build/test-output/serve-zh/ (or
$CLUSTERLEAP_TEST_OUTPUT). Skipped with the reason when chromium or playwright is absent; a failure instead when
CLUSTERLEAP_REQUIRE_CHROMIUM is set."""

from __future__ import annotations

import collections
import os
import re
from pathlib import Path
from typing import Any

from clusterleap._recipe import STAGE_ORDER
from clusterleap.stages import STAGES
from clusterleap.store import workspace as ws_ops
from clusterleap.store._submissions import _pool
from clusterleap.store.models import FrameworkVersion, RecipeVersion, User

from .conftest import Workspace
from .test_serve_browser import CHROMIUM, FLAGS, _login, _need_browser, server  # noqa: F401 (the fixture)

OUT = Path(os.environ.get("CLUSTERLEAP_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "build" / "test-output")
           ) / "serve-zh"
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
#: the page as a reader sees it, without code (codes, YAML, method identifiers shown as code) or scripts
PLAIN_TEXT = """() => { const skip = 'pre, code, .code, script, style, noscript, textarea, select, [lang=en]';
  const out = [document.title];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (!n.parentElement.closest(skip)) { out.push(n.textContent); }
  }
  return out.join(' '); }"""
#: names of methods, software and formats, written the same in Chinese text
NAMES = {"clusterleap", "YAML", "COINr", "iMeta", "CSV", "xlsx", "csv", "PDF", "HTML", "JSON", "API", "Box-Cox",
         "TOPSIS", "VIKOR", "CRITIC", "AHP", "AIJ", "AIP", "Saaty", "EM", "Copeland", "NumPy", "Python", "Parquet",
         "log", "min", "max", "lo", "hi", "ref", "share", "scale", "Plotly", "plotly", "benefit", "of", "the",
         "doubt", "UTC", "Excel"}


def _allowed(ws: Workspace) -> set[str]:
    """Words users entered and identifiers of the recipe language."""
    words: set[str] = set(NAMES)
    with ws.store.session() as db:
        for u in db.query(User):
            words |= set(WORD.findall(u.username))
        for r in db.query(RecipeVersion):
            words |= set(WORD.findall(r.name)) | set(WORD.findall(r.created_by))
        for f in db.query(FrameworkVersion):
            words |= set(WORD.findall(f.name)) | set(WORD.findall(f.created_by))
            fw = ws_ops.framework_of(f)
            for n in fw.nodes:
                words |= set(WORD.findall(n.definition)) | set(WORD.findall(n.source)) | set(WORD.findall(n.code)) \
                    | set(WORD.findall(n.name_en))  # the submission form shows both names, as the issue asks
                if not getattr(n, "unit_zh", ""):
                    words |= set(WORD.findall(n.unit))
    for entry in _pool().values():  # denominators the form describes from the built-in indicator pool
        for key in ("name_en", "definition", "unit", "source"):
            words |= set(WORD.findall(str(entry.get(key, ""))))
    for stage in STAGE_ORDER:
        for m in STAGES[stage]:
            words |= set(WORD.findall(m.name)) | {w for p in m.params for w in WORD.findall(p)}
    return words


def _untranslated(text: str, allowed: set[str]) -> list[str]:
    found = collections.Counter(w for w in WORD.findall(text) if w not in allowed
                                and not (w.isupper() and len(w) <= 6) and len(w) > 1)
    return [f"{w} ({k})" for w, k in found.most_common()]


def _zh(page: Any, base: str, path: str, allowed: set[str]) -> list[str]:
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    assert page.locator("html[lang=zh-CN]").count() == 1, path
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / (path.strip("/").replace("/", "-").split("?")[0] + "-zh.png")), full_page=True)
    bad = _untranslated(page.evaluate(PLAIN_TEXT), allowed)
    return [f"{path}: {', '.join(bad)}"] if bad else []


def test_chinese_pages_have_no_untranslated_words(server: tuple[str, Workspace]) -> None:  # noqa: F811
    sync_playwright = _need_browser()
    base, ws = server
    allowed = _allowed(ws)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        for user, paths in (
                ("analyst", ["/rounds", "/rounds/2", "/rounds/2/clusters/CN001", "/rounds/2/clusters/BM01",
                             "/rounds/2/compare?units=CN001&units=CN002&units=BM01", "/trends",
                             "/rounds/3/submissions", "/rounds/3/submissions/CN001", "/rounds/2/robustness",
                             "/audit", "/recipes", "/recipes/1"]),
                ("admin", ["/admin/accounts", "/admin/rounds", "/admin/frameworks", "/rounds/3/upload"]),
                ("contributor", ["/rounds", "/rounds/3/submissions/CN001", "/rounds/2/clusters/CN002"]),
                ("viewer", ["/rounds", "/rounds/2"])):
            page = _login(browser, base, user, ws.passwords[user])
            page.goto(f"{base}/lang/zh?next=/rounds")
            for path in paths:
                problems += _zh(page, base, path, allowed)
            assert page.errors == [], page.errors
        browser.close()
    assert not problems, "\n".join(problems)
