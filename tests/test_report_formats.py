"""The demo report (world-class framework, illustrative data, demo recipe, analytics and a small robustness run) in
both languages and all three formats, with two hostile unit names that must stay plain text everywhere.

Each format and language is rendered once per module (PDF printing takes seconds). Browser and PDF tests need
Debian's chromium; they skip with the reason when it is absent, unless CLUSTERLEAP_REQUIRE_CHROMIUM is set (CI).
"""

from __future__ import annotations

import html as html_lib
import io
import json
import math
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap._result import illustrative_notice
from clusterleap.cli import app
from clusterleap.cli.core import demo_recipe_path
from clusterleap.illustrative import illustrative_frame
from clusterleap.report import Report, build_report, write_report
from clusterleap.report._chromium import Browser, BrowserError, file_url, find_chromium
from clusterleap.report._i18n import STRINGS
from clusterleap.report._xlsx import sheets

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
HOSTILE = {"CN001": SCRIPT, "CN002": FORMULA}
SPACE = """\
name: report-test
factors:
  - weights: {noise: 0.25, level: 2}
  - choice: {stage: aggregate, options: [nominal, arithmetic]}
"""
LANGS = ("en", "zh")
SECTIONS = ("summary", "ranking", "heatmap", "profiles", "robustness", "coherence", "trends", "quality", "annex")

runner = CliRunner()


def squeeze(text: str) -> str:
    """Text without whitespace (PDF text extraction and console output break lines where they like)."""
    return re.sub(r"\s+", "", text)


def need_chromium() -> None:
    try:
        find_chromium()
    except BrowserError as exc:
        if os.environ.get("CLUSTERLEAP_REQUIRE_CHROMIUM"):
            pytest.fail(f"CLUSTERLEAP_REQUIRE_CHROMIUM is set but {exc}")
        pytest.skip(f"Debian's chromium is not installed here ({exc}); .ci/run installs it for CI")


# -- fixtures -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def data_csv(work: Path) -> Path:
    """The illustrative data with two units renamed to hostile strings (in both name columns)."""
    frame = illustrative_frame()
    for unit, name in HOSTILE.items():
        frame.loc[frame["unit"] == unit, ["name", "name_zh"]] = name
    path = work / "data.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def result(data_csv: Path) -> cl.Result:
    return cl.evaluate("world-class", data_csv, demo_recipe_path())


@pytest.fixture(scope="module")
def robustness_dir(work: Path, data_csv: Path) -> Path:
    """A small Sobol' run written by the real command."""
    space = work / "space.yaml"
    space.write_text(SPACE, encoding="utf-8")
    out = work / "robustness"
    res = runner.invoke(app, ["robustness", "-f", "world-class", "-d", str(data_csv), "-r", str(demo_recipe_path()),
                              "--space", str(space), "--samples", "32", "--sobol", "--seed", "7", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def reports(result: cl.Result, robustness_dir: Path) -> dict[str, Report]:
    from clusterleap.analysis import analyse

    an = analyse(result)
    return {lang: build_report(result, lang=lang, analytics=an, robustness=robustness_dir) for lang in LANGS}


@pytest.fixture(scope="module")
def html(reports: dict[str, Report], work: Path) -> dict[str, Path]:
    return {lang: write_report(rep, work / f"demo-{lang}.html") for lang, rep in reports.items()}


@pytest.fixture(scope="module")
def xlsx(reports: dict[str, Report], work: Path) -> dict[str, Path]:
    return {lang: write_report(rep, work / f"demo-{lang}.xlsx") for lang, rep in reports.items()}


@pytest.fixture(scope="module")
def pdf(reports: dict[str, Report], work: Path) -> dict[str, Path]:
    """Both PDFs, printed at the same time (each by its own Chromium, which mostly runs outside Python)."""
    need_chromium()
    for rep in reports.values():  # assemble in this thread (cached properties are not built concurrently)
        _ = rep.profiles, rep.ranking, rep.robustness_view, rep.coherence_view, rep.trends_view
    with ThreadPoolExecutor(max_workers=len(reports)) as pool:
        futures = {lang: pool.submit(write_report, rep, work / f"demo-{lang}.pdf") for lang, rep in reports.items()}
        return {lang: f.result() for lang, f in futures.items()}


@pytest.fixture(scope="module")
def pdf_text(pdf: dict[str, Path]) -> dict[str, tuple[list[str], Any]]:
    return {lang: _pdf_text(path) for lang, path in pdf.items()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    need_chromium()
    with Browser() as b:
        yield b


# -- the report's content -----------------------------------------------------------------------------------------
def test_sections_appear_with_their_data(reports: dict[str, Report], result: cl.Result) -> None:
    assert [k for k, _ in reports["en"].sections] == list(SECTIONS)
    bare = build_report(result, analytics=False, robustness=None, coherence=False, trends=False)
    assert [k for k, _ in bare.sections] == ["summary", "ranking", "heatmap", "quality", "annex"]
    assert [t for _, t in reports["zh"].sections][:4] == ["摘要", "排名", "维度得分", "集群画像"]


def test_ranking_follows_the_result(reports: dict[str, Report], result: cl.Result, robustness_dir: Path) -> None:
    rows = reports["en"].ranking
    expected = result.ranking()
    assert [r["code"] for r in rows] == list(expected.index)
    top = rows[0]
    assert top["score"] == f"{result.score().max():.1f}"
    ri = pd.read_csv(robustness_dir / "rank_intervals.csv", dtype={"unit": str})
    row = ri[(ri["node"] == "WCI") & (ri["unit"] == "CN010")].iloc[0]
    mine = next(r for r in rows if r["code"] == "CN010")
    assert mine["interval"] == f"{math.floor(row['rank_p5'])}–{math.ceil(row['rank_p95'])}"


def test_summary_counts_every_cluster_by_grade(reports: dict[str, Report]) -> None:
    rep = reports["zh"]
    assert rep.analytics is not None
    g = rep.analytics.grades
    bench = np.asarray(rep.result.data.benchmark, dtype=bool)
    counts = g.loc[~bench, "grade_zh"].replace("", "未评级").value_counts()
    shown = {g["grade"]: g["count"] for g in rep.summary["grades"]}
    assert shown == {str(k): int(v) for k, v in counts.items()}
    # the 80 domestic clusters; the 10 benchmarks are references, not graded and not counted
    assert sum(shown.values()) == 80 and (g.loc[bench, "tier_pos"] == -1).all()
    top = rep.summary["top"]
    assert all(not r["bench"] for r in top) and len(top) == 5


def test_profiles_show_the_analytics(reports: dict[str, Report]) -> None:
    rep = reports["en"]
    assert rep.analytics is not None
    profiles = {p["code"]: p for p in rep.profiles}
    assert len(profiles) == 90
    p = profiles["CN002"]
    assert p["name"] == FORMULA
    g = rep.analytics.grades.loc["CN002"]
    assert p["grade"] == g["grade"] and p["reason"] == g["reason"]
    acts = rep.analytics.actions
    assert [a["action"] for a in p["actions"]] == list(acts[acts["unit"] == "CN002"]["action_en"])
    zh = {q["code"]: q for q in reports["zh"].profiles}["CN002"]
    assert zh["grade"] == g["grade_zh"]


# -- HTML -----------------------------------------------------------------------------------------------------------
def test_html_is_one_offline_file(html: dict[str, Path]) -> None:
    text = html["en"].read_text(encoding="utf-8")
    head, _, _ = text.partition('<script type="application/json"')
    assert not re.search(r"<(link|img|iframe|object|embed)\b", head)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", head)
    assert "@import" not in head and "url(" not in head
    assert text.count("<script") == 3 and 'src=' not in re.sub(r"<script>.*?</script>", "", text, flags=re.S)
    assert "default-src 'none'" in html_lib.unescape(head)
    size = html["en"].stat().st_size
    assert 4_800_000 < size < 6_500_000  # plotly.js (4.8 MB) once, plus about 1 MB of report


def test_html_escapes_hostile_names(html: dict[str, Path]) -> None:
    for path in html.values():
        text = path.read_text(encoding="utf-8")
        assert SCRIPT not in text  # never raw: escaped in markup, \\u003c-escaped in the JSON blob
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        start = text.index('<script type="application/json" id="report-data">')
        blob = text[text.index(">", start) + 1:text.index("</script>", start)]
        assert "<" not in blob and ">" not in blob and "&" not in blob
        data = json.loads(blob)
        ticks = [t for fig in data["charts"]["heatmap"] for t in fig["layout"]["yaxis"]["ticktext"]]
        assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in ticks)  # plotly shows entities literally


def test_chinese_report_describes_the_recipe_in_chinese(html: dict[str, Path], reports: dict[str, Report],
                                                        result: cl.Result) -> None:
    """The method section says stage by stage, in the report's language, what the recipe does; the recipe's own
    description (English in the demo recipe) is shown as given, labelled as its author's note, in a report of its
    language only: a Chinese report does not quote English prose."""
    rep = reports["zh"]
    text = html_lib.unescape(html["zh"].read_text(encoding="utf-8"))
    summary = text[text.index('<section id="sec-summary">'):text.index('<section id="sec-ranking">')]
    method = summary[summary.index(rep.t["method"]):]
    for step in rep.method_steps:
        assert f'<th scope="row">{step.label}</th><td>{step.text}<div class="step"><code>{step.code}</code>' in method
    assert "对下级节点作加权几何平均" in method and "缺失值不填补（由汇总步骤处理）" in method
    description = result.recipe.description.strip()
    assert description.startswith("Scores on the framework's fixed goalposts")
    assert description not in text and rep.t["recipe_note"] not in text
    en = html_lib.unescape(html["en"].read_text(encoding="utf-8"))
    en_summary = en[en.index('<section id="sec-summary">'):en.index('<section id="sec-ranking">')]
    t_en = reports["en"].t
    assert description not in en_summary[:en_summary.index(t_en["method"])]
    assert f'<span class="note-label">{t_en["recipe_note"]}</span> {description}</p>' in en_summary
    assert en_summary.count(description) == 1


def test_html_and_workbook_say_the_data_is_illustrative(html: dict[str, Path], xlsx: dict[str, Path]) -> None:
    """Each output of illustrative data carries the notice in the report's language: the HTML on its cover; the
    workbook in the first row of its first sheet, in every sheet's page header and in its properties."""
    for lang in LANGS:
        notice, short = illustrative_notice(lang), STRINGS[lang]["illustrative_short"]
        assert STRINGS[lang]["illustrative"] == notice
        text = html_lib.unescape(html[lang].read_text(encoding="utf-8"))
        assert f'<p class="notice" role="note">{notice}</p>' in text
        assert STRINGS["zh" if lang == "en" else "en"]["illustrative"] not in text
        wb = openpyxl.load_workbook(xlsx[lang], read_only=True)
        first = next(wb.worksheets[0].iter_rows(max_row=1))[0]
        assert first.value == notice and first.font.b
        assert wb.properties.description == notice and wb.properties.subject == short
        with zipfile.ZipFile(xlsx[lang]) as z:
            names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
            assert len(names) == len(wb.sheetnames)
            for name in names:
                assert f"<oddHeader>&amp;C{html_lib.escape(short)}</oddHeader>" in z.read(name).decode("utf-8"), name


def test_print_layout_fits_the_text_width(reports: dict[str, Report], browser: Browser, work: Path) -> None:
    """The PDF prints the print layout on A4's text width (180 mm, the charts' print width). Nothing may be
    wider, or Chromium shrinks the whole document to fit; and the summary's list of top clusters, which a grid
    with a wide chart beside it once squeezed to a character or two per line, keeps every name on one line."""
    from clusterleap.report._charts import PRINT_WIDTH
    from clusterleap.report._html import render_html

    for lang, rep in reports.items():
        path = work / f"print-{lang}.html"
        path.write_text(render_html(rep, "print"), encoding="utf-8")
        page = browser.new_page(width=PRINT_WIDTH, height=1100)
        page.send("Emulation.setEmulatedMedia", {"media": "print"})
        page.goto(file_url(path))
        page.wait_for("window.__reportReady || window.__reportError", 60, "the charts")
        assert page.evaluate("window.__reportError || ''") == ""
        assert page.evaluate("matchMedia('print').matches") is True
        assert page.evaluate("document.documentElement.scrollWidth") <= PRINT_WIDTH, lang
        lines = page.evaluate("[...document.querySelectorAll('ol.top li a')].map(a => { const r = "
                              "document.createRange(); r.selectNodeContents(a); "
                              "return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; })")
        assert lines == [1] * 5, lang
        wide = page.evaluate("Math.min(...[...document.querySelectorAll('ol.top li a')].map(a => "
                             "a.getBoundingClientRect().width))")
        assert wide > PRINT_WIDTH / 3, lang


def test_html_opens_offline_in_chromium(html: dict[str, Path], browser: Browser) -> None:
    for lang, path in html.items():
        page = browser.new_page()
        page.goto(file_url(path))
        page.wait_for("window.__reportReady || window.__reportError", 60, "the charts")
        assert page.evaluate("window.__reportError || ''") == ""
        charts = page.evaluate("document.querySelectorAll('[data-chart]').length")
        drawn = page.evaluate("document.querySelectorAll('[data-chart] .main-svg').length > 0 && "
                              "[...document.querySelectorAll('[data-chart]')].filter(d => d.querySelector("
                              "'.main-svg')).length")
        # grades, heatmap, rank intervals, Sobol', leave-one-out, index and dimensions, five dimension blocks,
        # trends
        assert charts == 12 and drawn == charts, lang
        # radars are drawn when a profile is opened: open them all
        page.evaluate("document.querySelectorAll('details.profile').forEach(d => d.open = true); 1")
        page.wait_for("[...document.querySelectorAll('[data-radar]')].every(d => d.querySelector('.main-svg'))",
                      60, "every radar")
        assert page.evaluate("document.querySelectorAll('[data-radar] .main-svg').length") >= 90
        assert page.errors() == [], lang
        assert page.dialogs() == [], lang
        assert [u for u in page.requests() if not u.startswith(("file:", "data:"))] == [], lang
        # the hostile names are text: in the table, the profile headings and the chart labels
        assert page.evaluate("document.querySelectorAll('script').length") == 3
        links = page.evaluate("[...document.querySelectorAll('table.ranking td a')].map(a => a.textContent)")
        assert SCRIPT in links and FORMULA in links
        svg = page.evaluate("document.querySelector('[data-chart^=heatmap] .main-svg').parentNode.textContent")
        assert SCRIPT in svg


def test_content_security_policy_blocks_an_injected_script(html: dict[str, Path], browser: Browser,
                                                            work: Path) -> None:
    """Defence in depth: were a name ever written unescaped, the page's policy (only its own scripts, by hash)
    would still refuse to run it, while the report's own scripts run."""
    text = html["en"].read_text(encoding="utf-8")
    forged = work / "forged.html"
    forged.write_text(text.replace("<main>", "<main><script>alert(2)</script>", 1), encoding="utf-8")
    page = browser.new_page()
    page.goto(file_url(forged))
    page.wait_for("window.__reportReady || window.__reportError", 60, "the charts")
    assert page.dialogs() == []
    assert any("Content Security Policy" in e for e in page.errors())
    assert page.evaluate("document.querySelectorAll('[data-chart] .main-svg').length") > 0


def test_a_small_report_opens_cleanly(browser: Browser, tmp_path: Path) -> None:
    mini = Path(__file__).resolve().parents[1] / "docs" / "examples" / "mini"
    result = cl.evaluate(mini / "framework.yaml", mini / "data.csv", mini / "recipe.yaml")
    path = write_report(result, tmp_path / "mini.html", lang="zh")
    page = browser.new_page()
    page.goto(file_url(path))
    page.wait_for("window.__reportReady || window.__reportError", 60, "the charts")
    page.evaluate("document.querySelectorAll('details.profile').forEach(d => d.open = true); 1")
    page.wait_for("[...document.querySelectorAll('[data-radar]')].every(d => d.querySelector('.main-svg'))",
                  30, "every radar")
    assert page.errors() == [] and page.evaluate("window.__reportError || ''") == ""
    n = len(result.units)
    assert page.evaluate("document.querySelectorAll('[data-radar] .main-svg').length") >= n
    legend = page.evaluate("document.querySelector('.radar-key').textContent")
    assert "标杆中位数" in legend and "国内中位数" in legend and "本集群" in legend


# -- PDF ------------------------------------------------------------------------------------------------------------
def _pdf_text(path: Path) -> tuple[list[str], Any]:
    """Text per page (poppler's pdftotext when installed, it is much faster than pypdf) and a pypdf reader."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
        pages = out.stdout.decode("utf-8").split("\f")[:len(reader.pages)]
    else:
        pages = [p.extract_text() or "" for p in reader.pages]
    return pages, reader


def test_pdf_is_a4_with_page_numbers_contents_and_bookmarks(pdf_text: dict[str, tuple[list[str], Any]],
                                                            reports: dict[str, Report]) -> None:
    for lang, (pages, reader) in pdf_text.items():
        n = len(pages)
        assert 40 < n < 200
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4 in points
        for k in (1, 2, n // 2, n):
            assert f"{k} / {n}" in pages[k - 1], (lang, k)
        rep = reports[lang]
        titles = [t for _, t in rep.sections]
        toc = pages[0] + pages[1]
        assert all(t in toc for t in titles)
        outline = reader.outline
        top = [o.title for o in outline if not isinstance(o, list)]
        assert top == titles
        # every section starts on the page its bookmark and the contents give
        for key, title in rep.sections:
            item = next(o for o in outline if not isinstance(o, list) and o.title == title)
            page_no = reader.get_destination_page_number(item) + 1
            assert re.search(rf"^\s*\d+\. {re.escape(title)}\s+{page_no}$", toc, re.M), (lang, key)
            assert title in pages[page_no - 1], (lang, key, page_no)
        profiles = outline[top.index(rep.t["sec_profiles"]) + 1]
        assert isinstance(profiles, list) and len(profiles) == 90


def test_pdf_text_is_chinese_and_hostile_names_are_text(pdf_text: dict[str, tuple[list[str], Any]]) -> None:
    text = "".join(pdf_text["zh"][0]).replace("\n", "")
    for heading in ("摘要", "排名", "维度得分", "集群画像", "稳健性分析", "统计一致性", "跃升监测", "方法附录"):
        assert heading in text
    assert STRINGS["zh"]["illustrative"] in text
    assert "世界级先进制造业集群评价指数" in text
    for name in (SCRIPT, FORMULA):
        assert name in text
    en = "".join(pdf_text["en"][0]).replace("\n", "")
    assert "Cluster profiles" in en and "Method annex" in en and SCRIPT in en


def test_pdf_lists_the_top_clusters_one_per_line(pdf_text: dict[str, tuple[list[str], Any]],
                                                 reports: dict[str, Report]) -> None:
    """In the printed summary, each of the five highest-ranked domestic clusters is one line: rank, name, score."""
    for lang, (pages, _) in pdf_text.items():
        rep = reports[lang]
        page = next(p for p in pages if rep.t["top_clusters"] in p)
        lines = [squeeze(line) for line in page.splitlines()]
        for r in rep.summary["top"]:
            want = squeeze(f"{r['rank']}{r['name']}")
            assert any(line.startswith(want) and line.endswith(r["score"]) for line in lines), (lang, r["name"])


def test_pdf_says_the_data_is_illustrative_on_every_page(pdf_text: dict[str, tuple[list[str], Any]]) -> None:
    for lang, (pages, reader) in pdf_text.items():
        t = STRINGS[lang]
        assert squeeze(illustrative_notice(lang)) in squeeze(pages[0])  # on the cover
        assert all(t["illustrative_short"] in page for page in pages), lang  # in every page's top margin
        assert len(pages) == len(reader.pages)


# -- Excel ----------------------------------------------------------------------------------------------------------
def test_workbook_cells_are_never_formulas(xlsx: dict[str, Path]) -> None:
    for lang, path in xlsx.items():
        with zipfile.ZipFile(path) as z:
            sheets_xml = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
            assert len(sheets_xml) > 30
            for name in sheets_xml:
                body = z.read(name).decode("utf-8")
                assert "<f>" not in body and "<f " not in body, (lang, name)  # a formula cell has an <f> child
                assert 't="inlineStr"' in body


def test_workbook_holds_every_table(xlsx: dict[str, Path], reports: dict[str, Report], result: cl.Result) -> None:
    en = openpyxl.load_workbook(xlsx["en"], read_only=True)
    assert en.sheetnames == [s.title for s in sheets(reports["en"])]
    lang = "zh"
    wb = openpyxl.load_workbook(xlsx[lang])
    assert wb.sheetnames == [s.title for s in sheets(reports[lang])]
    t = STRINGS[lang]
    for key in ("sheet_ranking", "sheet_scores", "sheet_grades", "sheet_types", "sheet_gaps", "sheet_actions",
                "sheet_weights", "sheet_rank_intervals", "sheet_sobol", "sheet_leave_one_out",
                "sheet_correlations", "sheet_provenance"):
        assert t[key] in wb.sheetnames, key
        assert STRINGS["en"][key] in en.sheetnames, key
    assert t["sheet_stage"].format(name=t["stage_normalised"]) in wb.sheetnames
    ranking = wb[t["sheet_ranking"]]
    assert ranking.freeze_panes == "B2"
    header = [c.value for c in ranking[1]]
    code_col, name_col = header.index(t["code"]), header.index(t["name"])
    names = {row[code_col].value: row[name_col] for row in ranking.iter_rows(min_row=2)}
    assert names["CN001"].value == SCRIPT and names["CN001"].data_type == "s"
    assert names["CN002"].value == FORMULA and names["CN002"].data_type == "s"
    assert names["CN002"].quotePrefix
    first = [c.value for c in ranking[2]]
    assert first[code_col] == result.ranking().index[0]
    scores = wb[t["sheet_scores"]]
    header = [c.value for c in scores[1]]
    row = next(r for r in scores.iter_rows(min_row=2) if r[0].value == "CN003")
    cell = row[header.index("WCI")]
    assert cell.value == pytest.approx(float(result.scores.loc["CN003", "WCI"]), abs=1e-12)
    assert cell.number_format == "0.00" and scores.freeze_panes == "B2"
    about = [c.value for row in wb[t["sheet_about"]].iter_rows() for c in row if c.value]
    assert t["illustrative"] in about


# -- command line ---------------------------------------------------------------------------------------------------
def test_cli_report_writes_html_with_robustness(data_csv: Path, robustness_dir: Path, work: Path) -> None:
    out = work / "cli.html"
    res = runner.invoke(app, ["report", "-f", "world-class", "-d", str(data_csv), "-r", str(demo_recipe_path()),
                              "--robustness", str(robustness_dir), "--lang", "zh", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert squeeze(illustrative_notice("zh")) in squeeze(res.output)  # in the report's language
    assert illustrative_notice("en")[:20] not in res.output
    text = out.read_text(encoding="utf-8")
    assert 'id="sec-robustness"' in text and "稳健性分析" in text
    assert [p.name for p in work.glob(".cli.html.*")] == []


def test_cli_pdf_without_chromium_fails_in_one_line(data_csv: Path, work: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CLUSTERLEAP_CHROMIUM", raising=False)
    out = work / "none.pdf"
    res = runner.invoke(app, ["report", "-f", "world-class", "-d", str(data_csv), "--format", "pdf", "-o", str(out)])
    assert res.exit_code == 2
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Chromium" in errors[0] and "apt-get install chromium" in res.output
    assert not out.exists() and not list(work.glob(".none.pdf.*"))


def test_cli_refuses_robustness_of_another_year(data_csv: Path, robustness_dir: Path, work: Path) -> None:
    out = work / "year.html"
    res = runner.invoke(app, ["report", "-f", "world-class", "-d", str(data_csv), "-r", str(demo_recipe_path()),
                              "--year", "2023", "--robustness", str(robustness_dir), "-o", str(out)])
    assert res.exit_code == 2
    assert "summary.json" in res.output and "2024" in res.output and "2023" in res.output
    assert not out.exists()


def test_python_api_infers_the_format_and_refuses_unknown_ones(result: cl.Result, work: Path) -> None:
    from clusterleap.report import ReportError

    with pytest.raises(ReportError, match=r"report\.doc"):
        write_report(result, work / "report.doc")
    with pytest.raises(ReportError, match="language 'fr'"):
        build_report(result, lang="fr")
    path = write_report(result, work / "plain.xlsx", analytics=False, coherence=False, trends=False)
    wb = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    assert "Grades" not in wb.sheetnames and "Scores" in wb.sheetnames


# -- what a reader sees: screenshots, page images, chart text that fits, Chinese throughout ---------------------------
#: Screenshots and page images land here (ignored by git), to be looked at.
ARTEFACTS = Path(os.environ.get("CLUSTERLEAP_TEST_OUTPUT", Path(__file__).resolve().parents[1] / "build" /
                                "test-output")) / "report"
#: Every text element of every chart, with its box and the chart's, measured by the browser.
CHART_TEXT = """() => {
  const out = [];
  document.querySelectorAll('[data-chart], [data-radar]').forEach(div => {
    const box = div.getBoundingClientRect();
    const name = div.getAttribute('data-chart') || ('radar ' + div.getAttribute('data-radar'));
    div.querySelectorAll('svg.main-svg text').forEach(t => {
      const s = t.textContent.trim();
      if (!s) { return; }
      const r = t.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) { return; }
      out.push({chart: name, text: s, l: r.left - box.left, r: box.right - r.right, t: r.top - box.top,
                b: box.bottom - r.bottom});
    });
  });
  return out;
}"""


@pytest.fixture(scope="module")
def playwright_browser() -> Iterator[Any]:
    """Playwright driving Debian's chromium (the real browser a reader opens the report in)."""
    need_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CLUSTERLEAP_REQUIRE_CHROMIUM"):
            pytest.fail("CLUSTERLEAP_REQUIRE_CHROMIUM is set but playwright is not installed")
        pytest.skip("playwright for Python is not installed (the 'webtest' extra)")
    from clusterleap.report._chromium import sandbox_flags

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=list(sandbox_flags()))
        yield browser
        browser.close()


def _open(browser: Any, path: Path, *, print_mode: bool, width: int = 1200) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 1000})
    if print_mode:
        page.emulate_media(media="print")
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.__reportReady || window.__reportError", timeout=120_000)
    assert page.evaluate("window.__reportError || ''") == ""
    if not print_mode:  # radars are drawn when a profile opens: open them all
        page.evaluate("document.querySelectorAll('details.profile').forEach(d => d.open = true)")
        page.wait_for_function("[...document.querySelectorAll('[data-radar]')].every(d => d.querySelector("
                               "'.main-svg'))", timeout=120_000)
    return page


@pytest.fixture(scope="module")
def print_html(reports: dict[str, Report], work: Path) -> dict[str, Path]:
    from clusterleap.report._html import render_html

    out = {}
    for lang, rep in reports.items():
        out[lang] = work / f"print-layout-{lang}.html"
        out[lang].write_text(render_html(rep, "print"), encoding="utf-8")
    return out


def test_no_chart_text_is_clipped(playwright_browser: Any, html: dict[str, Path], print_html: dict[str, Path]) -> None:
    """Every text element of every chart (axis and tick labels, the radar's dimension names, legends, colour bars,
    cell values) lies inside its chart's box, on screen and in the print layout, in both languages: nothing is cut
    at the chart's edge ("competitivenes", a legend ending "...technology, over")."""
    from clusterleap.report._charts import PRINT_WIDTH

    for lang in LANGS:
        for mode, path, width in (("screen", html[lang], 1200), ("print", print_html[lang], PRINT_WIDTH)):
            page = _open(playwright_browser, path, print_mode=mode == "print", width=width)
            boxes = page.evaluate(CHART_TEXT)
            page.close()
            charts = {b["chart"] for b in boxes}
            assert len(charts) >= 12 + 90, (lang, mode, len(charts))  # every chart and every radar has text
            radar = [b for b in boxes if b["chart"] == "radar 0"]
            assert len(radar) >= 5, (lang, mode)  # the five dimension names
            clipped = [b for b in boxes if min(b["l"], b["r"], b["t"], b["b"]) < -0.5]
            assert clipped == [], (lang, mode, clipped[:5])


def test_screenshots_and_page_images_for_the_reader(playwright_browser: Any, html: dict[str, Path],
                                                    pdf: dict[str, Path], reports: dict[str, Report]) -> None:
    """Screenshots of every section of the HTML report and images of the PDF pages where each section starts
    (and the page after), in both languages, written to build/test-output/report/ to be looked at; each image
    is checked to show something (not a blank page)."""
    from PIL import Image, ImageStat

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTEFACTS.glob("*.png"):
        old.unlink()
    shots: list[Path] = []
    for lang in LANGS:
        page = _open(playwright_browser, html[lang], print_mode=False)
        for key, _ in reports[lang].sections:
            target = ARTEFACTS / f"html-{lang}-{key}.png"
            selector = f"#sec-{key}" if key != "profiles" else "#sec-profiles details.profile"
            page.locator(selector).first.screenshot(path=str(target))
            shots.append(target)
        page.close()
        _, reader = _pdf_text(pdf[lang])
        from clusterleap.report._pdf import named_destination_pages

        pages = named_destination_pages(pdf[lang].read_bytes())
        wanted = sorted({1} | {n for key, n in pages.items() if key.startswith("sec-")} |
                        {n + 1 for key, n in pages.items() if key.startswith("sec-")})
        for n in wanted:
            if n > len(reader.pages):
                continue
            stem = ARTEFACTS / f"pdf-{lang}-p{n:03d}"
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(n), "-l", str(n),
                            str(pdf[lang]), str(stem)], check=True, capture_output=True)
            shots.append(stem.with_suffix(".png"))
    assert len(shots) > 2 * (len(SECTIONS) + 10)
    for path in shots:
        with Image.open(path) as im:
            assert im.width > 300 and im.height > 100, path
            assert ImageStat.Stat(im.convert("L")).stddev[0] > 5, path  # not blank


#: Words a Chinese report may show in Latin letters: names of methods and people, file formats, and software.
LATIN_NAMES = frozenset({
    "clusterleap", "Pearson", "Spearman", "Sobol", "Saltelli", "Cronbach", "Gini", "Dagum", "JavaScript", "HTML",
    "PDF", "NumPy", "Python", "UTC", "Box-Cox", "COINr", "Excel",
})
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
#: Text the page shows as code (recipe, steps, codes), which a Chinese report shows as it is.
CODE_TEXT = """() => [...document.querySelectorAll('pre, code, .code')].map(e => e.textContent).join(' ')"""
PLAIN_TEXT = """() => { const b = document.body.cloneNode(true);
  b.querySelectorAll('pre, code, .code, script, style, noscript').forEach(e => e.remove());
  return b.textContent; }"""


def _words(text: str) -> set[str]:
    return set(WORD.findall(text))


def _input_words(result: cl.Result, data_csv: Path) -> set[str]:
    """Words that come from the user's inputs rather than from clusterleap: the data file (names, metadata, its
    path), the codes and the framework's own texts where it gives them in one language only (definitions and
    sources; units where it has no Chinese unit), and the recipe as written, its description aside."""
    import yaml

    words = _words(data_csv.read_text(encoding="utf-8")) | _words(str(data_csv))
    fw = result.framework
    for n in fw.nodes:
        words |= _words(n.code) | _words(n.definition) | _words(n.source) | _words(n.name_en)
        if not getattr(n, "unit_zh", ""):
            words |= _words(n.unit)
    recipe = yaml.safe_load(result.recipe.to_yaml())
    recipe.pop("description", None)
    return words | _words(yaml.safe_dump(recipe)) | _words(fw.name)


def _untranslated(text: str, allowed: set[str]) -> list[str]:
    """Latin-letter words of ``text`` that are neither allowed, codes (all capitals) nor symbols (one letter: r,
    z, α's Latin neighbours), most frequent first."""
    import collections

    names = {n.lower() for n in LATIN_NAMES}  # the cover sets clusterleap in capitals
    found = collections.Counter(w for w in WORD.findall(text) if w not in allowed and w.lower() not in names
                                and not (w.isupper() and len(w) <= 6) and len(w) > 1)
    return [f"{w} ({k})" for w, k in found.most_common()]


def test_chinese_outputs_have_no_untranslated_words(playwright_browser: Any, html: dict[str, Path],
                                                    print_html: dict[str, Path], pdf_text: dict[str, Any],
                                                    xlsx: dict[str, Path], result: cl.Result,
                                                    data_csv: Path) -> None:
    """A Chinese report is Chinese: the HTML as a reader sees it (charts included, code blocks aside), the PDF's
    text and every text cell of the workbook hold no English word that clusterleap wrote; English words may only
    come from the user's inputs (names and metadata in the data, the framework's definitions, the recipe as
    written) or be names of methods and software. No tier codes, factor names, recipe notes or metadata words."""
    allowed = _input_words(result, data_csv)
    page = _open(playwright_browser, html["zh"], print_mode=False)
    shown = page.evaluate(PLAIN_TEXT)
    page.close()
    assert "摘要" in shown
    bad = _untranslated(shown, allowed)
    assert not bad, f"HTML: {bad}"
    page = _open(playwright_browser, print_html["zh"], print_mode=True, width=794)
    code = _words(page.evaluate(CODE_TEXT))
    page.close()
    pages, _ = pdf_text["zh"]
    bad = _untranslated("\n".join(pages), allowed | code)
    assert not bad, f"PDF: {bad}"
    wb = openpyxl.load_workbook(xlsx["zh"], read_only=True)
    cells = [ws.title for ws in wb.worksheets]
    for ws in wb.worksheets:
        cells += [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    words = [c for c in cells if not re.fullmatch(r"[0-9a-f]{64}|[A-Za-z0-9_.-]+", c)]  # hashes and codes aside
    bad = _untranslated("\n".join(words), allowed | code)
    assert not bad, f"workbook: {bad}"


def test_key_findings_are_read_from_the_tables(reports: dict[str, Report], robustness_dir: Path) -> None:
    """Each key finding's numbers are those of the table its link points to, computed here independently: the
    leader and its index (ranking), the grade counts (summary chart), the commonest short board among domestic
    clusters (their standing against peers), the domestic median index of the last two years (monitoring) and
    the leader's rank interval (robustness)."""
    from clusterleap.report._story import findings

    for lang, rep in reports.items():
        found = {f.key: f for f in findings(rep)}
        assert list(found) == ["leader", "grades", "short_boards", "change", "robustness"], lang
        assert {f.section for f in found.values()} <= {k for k, _ in rep.sections}
        ranking = rep.result.ranking()
        bench = dict(zip(rep.result.units, rep.benchmark.tolist(), strict=True))
        leader = next(u for u in ranking.index if not bench[u])
        i = rep.result.units.index(leader)
        assert rep.names[i] in found["leader"].text
        assert f"{float(rep.result.scores.loc[leader, rep.root]):.1f}" in found["leader"].text
        for g in rep.summary["grades"]:
            part = rep.t["finding_grade_part"].format(grade=g["grade"], count=g["count"])
            assert part in found["grades"].text, (lang, part)
        st = rep.analytics.standing if rep.analytics is not None else None
        assert st is not None
        counts: dict[str, int] = {}
        for u in ranking.index:
            if bench[u]:
                continue
            gaps = st.loc[u]["peer_gap"].astype(float)
            d = gaps[gaps.index.isin(rep.dims)]
            if d.min() < 0:
                counts[str(d.idxmin())] = counts.get(str(d.idxmin()), 0) + 1
        top = max(counts, key=lambda c: counts[c])
        assert found["short_boards"].text.startswith(
            rep.t["finding_boards"].format(name=rep.label(top), k=counts[top], n=int((~rep.benchmark).sum())))
        assert rep.trends is not None
        idx = rep.trends.index
        dom = [u for u in idx.index if not bench[u]]
        for year in idx.columns[-2:]:
            assert f"{float(idx.loc[dom, year].astype(float).median()):.1f}" in found["change"].text
        ri = pd.read_csv(robustness_dir / "rank_intervals.csv", dtype={"unit": str})
        row = ri[(ri["node"] == rep.root) & (ri["unit"] == leader)].iloc[0]
        lo, hi = math.floor(row["rank_p5"]), math.ceil(row["rank_p95"])
        assert (str(lo) if lo == hi else f"{lo}–{hi}") in found["robustness"].text
