"""Report building blocks: strings in both languages, escaping for every context, colours that survive grey-scale
printing, rank intervals, spreadsheet cells that never become formulas, atomic writes and robustness tables that
must fit the result."""

from __future__ import annotations

import itertools
import json
import re
import string
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clusterleap as cl
from clusterleap._recipe import Recipe, Step
from clusterleap.io import load_framework
from clusterleap.report import ReportError, Robustness, build_report, write_report
from clusterleap.report import write_atomic as write_atomic_fn
from clusterleap.report._charts import PALETTE, ptext, tier_colours, wrap
from clusterleap.report._formatting import MINUS, fmt, fmt_rank, fmt_signed, interval, minus_signs
from clusterleap.report._html import css_string, safe_json
from clusterleap.report._i18n import STRINGS, _load
from clusterleap.report._recipe_text import SENTENCES, describe_recipe, describe_step, step_code
from clusterleap.report._xlsx import FORMULA_START, _cell
from clusterleap.stages import STAGES

MINI = Path(__file__).resolve().parents[1] / "docs" / "examples" / "mini"


@pytest.fixture(scope="module")
def mini() -> cl.Result:
    return cl.evaluate(MINI / "framework.yaml", MINI / "data.csv", MINI / "recipe.yaml")


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


def test_both_languages_have_the_same_strings_and_fields() -> None:
    en, zh = STRINGS["en"], STRINGS["zh"]
    assert set(en) == set(zh)
    for key in en:
        assert _fields(en[key]) == _fields(zh[key]), key
        assert zh[key], key


def test_negative_numbers_carry_a_true_minus_and_zero_no_sign() -> None:
    assert MINUS == "\u2212"
    assert fmt(-2.04) == "\u22122.0" and fmt(-0.123, 2) == "\u22120.12" and fmt(3.25, 2) == "3.25"
    assert fmt(-0.04) == "0.0" and fmt(-0.004, 2) == "0.00" and fmt(float("nan")) == "–"
    assert fmt_signed(1.5) == "+1.5" and fmt_signed(-23.06) == "\u221223.1" and fmt_signed(-0.01) == "0.0"
    assert fmt_rank(-3) == "\u22123" and fmt_rank(12) == "12"
    assert minus_signs("lowest z -0.05 >= -0.5 (threshold -5)") == \
        "lowest z \u22120.05 >= \u22120.5 (threshold \u22125)"
    # hyphens in codes, ranges and words stay
    kept = "E-019, 2019-2024, 5-95 %, well-known, x-1, 1.5-2"
    assert minus_signs(kept) == kept
    assert minus_signs("（阈值 -5）") == "（阈值 \u22125）"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(min_value=0, max_value=3))
def test_fmt_reads_back_as_the_rounded_value(x: float, digits: int) -> None:
    text = fmt(x, digits)
    assert "-" not in text
    assert float(text.replace(MINUS, "-")) == pytest.approx(round(x, digits), abs=10.0 ** -digits)


def test_vocabulary_file_refuses_an_entry_without_both_languages() -> None:
    assert _load("title:\n  en: Report\n  zh: 报告\n") == {"en": {"title": "Report"}, "zh": {"title": "报告"}}
    with pytest.raises(ReportError, match=r"key 'title': expected text for exactly en, zh"):
        _load("title:\n  en: Report\n")
    with pytest.raises(ReportError, match=r"key 'n': expected text"):
        _load("n:\n  en: 1\n  zh: 一\n")
    with pytest.raises(ReportError, match="expected a mapping"):
        _load("- title\n")


@given(st.text())
def test_safe_json_round_trips_and_cannot_end_a_script(s: str) -> None:
    out = safe_json({"name": s, "n": [1.5, float("nan")]})
    assert "<" not in out and ">" not in out and "&" not in out
    assert "\u2028" not in out and "\u2029" not in out
    assert json.loads(out) == {"name": s, "n": [1.5, None]}


def test_plotly_text_is_entity_escaped_and_wrapped() -> None:
    assert ptext('<a href="javascript:x">&</a>') == '&lt;a href="javascript:x"&gt;&amp;&lt;/a&gt;'
    assert wrap("Technology innovation leadership", 16) == "Technology<br>innovation<br>leadership"
    assert wrap("技术创新引领能力", 4) == "技术创新<br>引领能力"
    assert wrap("技术创新引领", 5) == "技术创新<br>引领" and wrap("企业梯队实力", 5) == "企业梯队<br>实力"
    assert wrap("产品竞争力", 4) == "产品竞<br>争力"  # never a line of one character
    assert wrap("<b>bold</b> text here", 11) == "&lt;b&gt;bold&lt;/b&gt;<br>text here"


def test_css_string_escapes_everything_but_letters() -> None:
    out = css_string('a"b\\c</style>示例')
    assert out.startswith('"') and out.endswith('"')
    inner = out[1:-1]
    assert '"' not in inner and "<" not in inner and "示" not in inner
    assert "\\22 " in inner and "\\3c " in inner and "\\793a " in inner


def test_rank_intervals_widen_to_whole_ranks() -> None:
    assert interval(10.0, 11.65) == "10–12"
    assert interval(3.4, 8.0) == "3–8"
    assert interval(1.0, 1.0) == "1–1"
    assert interval(float("nan"), 4.0) == ""


def _lightness(hex_colour: str) -> float:
    """CIE L* (0 black to 100 white) of an sRGB colour: what a grey-scale print keeps of it. Relative luminance
    ``Y`` as in WCAG 2.x, then ``L* = 116 Y^(1/3) - 16`` (``903.3 Y`` below ``Y = 0.008856``)."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    y = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return 903.3 * y if y <= 0.008856 else 116 * y ** (1 / 3) - 16


def test_grade_colours_get_lighter_tier_by_tier() -> None:
    for n in (2, 3, 5, 7):
        light = [_lightness(c) for c in tier_colours(n)]
        assert all(b - a > 8 for a, b in itertools.pairwise(light)), (n, light)
    assert tier_colours(5)[0] == "#00224e"  # cividis starts at dark blue


def test_the_two_main_series_differ_in_lightness() -> None:
    assert _lightness(PALETTE[1]) - _lightness(PALETTE[0]) > 20  # blue and orange apart in grey-scale


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1+1"])
def test_formula_like_text_is_a_quoted_string_cell(value: str, tmp_path: Path) -> None:
    assert value.startswith(FORMULA_START)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append([_cell(ws, value, "0.00"), _cell(ws, 2.5, "0.00"), _cell(ws, float("nan"), "0.00"),
               _cell(ws, np.int64(3), "0.00"), _cell(ws, "a\x00b\x07", "0.00"), _cell(ws, pd.NA, "")])
    wb.save(tmp_path / "x.xlsx")
    row = next(openpyxl.load_workbook(tmp_path / "x.xlsx")["s"].iter_rows())
    # (XML parsers read a carriage return as a line feed)
    assert row[0].value == value.replace("\r", "\n") and row[0].data_type == "s" and row[0].quotePrefix
    assert row[1].value == 2.5 and row[1].number_format == "0.00"
    assert row[2].value is None
    assert row[3].value == 3 and row[3].number_format == "0"
    assert row[4].value == "ab"


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.html"
    write_atomic_fn(path, b"old")

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic_fn(path, b"new", force=True)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_unknown_language_and_format(mini: cl.Result, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="expected one of en, zh"):
        build_report(mini, lang="de")
    with pytest.raises(ReportError, match="'odt' is not one of html, pdf, xlsx"):
        write_report(mini, tmp_path / "x.odt")
    assert not list(tmp_path.iterdir())


def test_report_of_a_small_framework_without_benchmarks(mini: cl.Result, tmp_path: Path) -> None:
    rep = build_report(mini, lang="zh", trends=False)
    assert [k for k, _ in rep.sections] == ["summary", "ranking", "heatmap", "profiles", "coherence", "quality",
                                            "annex"]
    assert rep.label(rep.dims[0]) == mini.framework.by_code[rep.dims[0]].name_zh
    html = write_report(rep, tmp_path / "mini.html").read_text(encoding="utf-8")
    # the mini data is not illustrative: no notice in any format
    assert STRINGS["zh"]["illustrative"] not in html and STRINGS["zh"]["illustrative_short"] not in html
    wb = openpyxl.load_workbook(write_report(rep, tmp_path / "mini.xlsx"), read_only=True)
    assert next(wb.worksheets[0].iter_rows(max_row=1, values_only=True))[0] != STRINGS["zh"]["illustrative"]
    assert not wb.properties.description
    assert [r["code"] for r in rep.ranking] == list(mini.ranking().index)


# -- the recipe in words -------------------------------------------------------------------------------------------
def _default_step(stage: str, name: str) -> Step:
    """A method's step with its defaults, and sample values for its required parameters."""
    required = {"group": "sector", "unit": "BM01", "criteria": ("TI", "AM"), "experts": ()}
    params = STAGES[stage].get(name).params.values()
    return Step(name, **{p.name: required[p.name] if p.required else p.default for p in params})


def test_every_method_has_a_sentence_in_both_languages() -> None:
    en, zh = SENTENCES["en"], SENTENCES["zh"]
    assert set(en) == set(zh)
    for key in en:
        assert _fields(en[key]) == _fields(zh[key]), key
    fw = load_framework("world-class")
    for stage, registry in STAGES.items():
        for method in registry:
            assert f"{stage}.{method.name}" in en, f"add a sentence for {stage} method {method.name!r}"
            step = _default_step(stage, method.name)
            for lang in ("en", "zh"):
                text = describe_step(stage, step, fw, lang)
                assert "{" not in text and "}" not in text, (stage, method.name, lang)
                assert text.endswith("." if lang == "en" else "。"), (stage, method.name, lang)
            # the Chinese sentence is Chinese: no English word of three or more letters but method names
            zh_text = describe_step(stage, step, fw, "zh")
            words = {w for w in re.findall(r"[A-Za-z]{3,}", zh_text)} - {"COINr", "CRITIC", "TOPSIS", "VIKOR",
                                                                         "Saaty", "Copeland", "log", "benefit",
                                                                         "the", "doubt", "sector", "framework",
                                                                         "entropy"}
            assert not words, (stage, method.name, words)


def test_the_demo_recipe_in_words() -> None:
    """The demo recipe, stage by stage, in both languages (the exact sentences a reader gets)."""
    from clusterleap.cli.core import demo_recipe_path

    fw = load_framework("world-class")
    recipe = Recipe.load(demo_recipe_path())
    zh = {s.stage: s for s in describe_recipe(recipe, fw, "zh")}
    en = {s.stage: s for s in describe_recipe(recipe, fw, "en")}
    assert list(zh) == ["basis", "screen", "denominate", "transform", "impute", "treat", "normalise", "weight",
                        "aggregate", "rank"]
    assert zh["basis"].text.startswith("得分以框架的固定目标值为基准：各指标底线记 0 分、世界级水平记 100 分")
    assert en["basis"].code == "goalposts"
    assert en["screen"].text == ("Units with data on fewer than 66.7 % of the indicators or on fewer than 50 % of any "
                                 "dimension's are screened out: they are listed with their coverage and neither "
                                 "ranked nor graded.")
    assert zh["impute"].label == "缺失值"
    assert zh["impute"].text == "缺失值不填补（由汇总步骤处理）。"
    assert zh["normalise"].text == "各指标按固定目标值（底线至世界级水平）线性缩放到 0–100，数值越大越好。"
    assert zh["aggregate"].text == ("对下级节点作加权算术平均（下级节点缺失时，其权重在其余节点间重新分配）。"
                                    "第 4 层（世界级先进制造业集群评价指数）：对下级节点作加权几何平均，"
                                    "使某一方面的短板不能被其他方面的长处完全弥补。")
    assert zh["rank"].text == "得分最高者排名第 1；并列者取最好名次。"
    assert en["aggregate"].text == (
        "Weighted arithmetic mean of the children (a missing child's weight is shared among the children present). "
        "At level 4 (World-class advanced manufacturing cluster index): weighted geometric mean of the children, "
        "so that a weak child is not fully compensated by strong ones.")
    assert en["treat"].text == "No outlier treatment."  # the goalposts cap instead
    # the exact steps, the same in both languages but for the level's name
    assert en["aggregate"].code == "arithmetic (missing reweight); level 4: geometric (missing reweight)"
    assert zh["treat"].code == en["treat"].code == "none"
    # the framework's denominators are counted: world-class names two (of 39 indicators), no transforms
    n = sum(1 for c in fw.indicators if fw.by_code[c].denominator)
    assert en["denominate"].text == ("The indicators for which the framework names a denominator are divided by it "
                                     f"({n} of 39 indicators).")
    assert zh["denominate"].text == f"指标体系指定了分母的指标除以该分母（39 项指标中的 {n} 项）。" and n == 2
    assert zh["transform"].text == "指标体系未指定变换，指标按原值使用。"


def test_node_overrides_and_unknown_methods_in_words(mini: cl.Result) -> None:
    fw = mini.framework
    ind = fw.indicators[0]
    recipe = Recipe(normalise={"method": "minmax", "nodes": {ind: {"method": "rank", "ties": "average"}}},
                    rank={"method": "descending", "ties": "dense", "decimals": 1})
    zh = {s.stage: s.text for s in describe_recipe(recipe, fw, "zh")}
    name = fw.by_code[ind].name_zh or fw.by_code[ind].name_en
    assert zh["normalise"].endswith(f"{name}（{ind}）：各指标以集群在全部集群中的排名代替"
                                    "（数值越大排名越高；并列者取平均名次）。")
    assert zh["rank"] == "得分最高者排名第 1；并列者取最好名次，其后名次不跳号，排名前得分先保留 1 位小数。"
    en = {s.stage: s.text for s in describe_recipe(recipe, fw, "en")}
    assert f"For {fw.by_code[ind].name_en} ({ind}): each indicator is replaced by" in en["normalise"]
    # a method without a sentence (a plug-in) is shown by its exact name and parameters
    plug = Step("plug_in", alpha=0.5, mode="fast")
    assert step_code(plug) == "plug_in (alpha 0.5, mode fast)"
    assert describe_step("weight", plug, fw, "zh") == "plug_in (alpha 0.5, mode fast)."


# -- robustness tables --------------------------------------------------------------------------------------------
def _intervals(units: list[str], root: str = "INDEX") -> pd.DataFrame:
    return pd.DataFrame({"node": root, "level": 3, "unit": units, "name": units, "nominal_rank": 1.0,
                         "median_rank": 1.0, "rank_p5": 1.0, "rank_p95": 2.0})


def test_robustness_folder_errors_name_the_file(tmp_path: Path, mini: cl.Result) -> None:
    with pytest.raises(ReportError, match="no such folder"):
        Robustness.read(tmp_path / "absent")
    with pytest.raises(ReportError, match=r"no rank_intervals\.csv"):
        Robustness.read(tmp_path)
    pd.DataFrame({"node": ["INDEX"], "unit": ["a"]}).to_csv(tmp_path / "rank_intervals.csv", index=False)
    with pytest.raises(ReportError, match=r"rank_intervals.csv: missing column\(s\) nominal_rank, median_rank"):
        Robustness.read(tmp_path)


def test_robustness_of_other_units_or_framework_is_refused(tmp_path: Path, mini: cl.Result) -> None:
    units = list(mini.units)
    root = mini.framework.root.code
    _intervals(units, root).to_csv(tmp_path / "rank_intervals.csv", index=False)
    (tmp_path / "summary.json").write_text(json.dumps({"framework": mini.framework.name, "year": mini.year}))
    rob = Robustness.read(tmp_path)
    rob.check(mini)
    assert rob.quantiles == ("rank_p5", "rank_p95") and rob.percent == ("5", "95")
    _intervals([*units[:-1], "ZZ9"], root).to_csv(tmp_path / "rank_intervals.csv", index=False)
    with pytest.raises(ReportError, match="unit 'ZZ9' is not in the report's data"):
        Robustness.read(tmp_path).check(mini)
    (tmp_path / "summary.json").write_text(json.dumps({"framework": "other", "year": mini.year}))
    with pytest.raises(ReportError, match=r"summary\.json: the robustness run is of framework 'other'"):
        Robustness.read(tmp_path).check(mini)


def test_robustness_from_samples_fills_the_intervals(mini: cl.Result) -> None:
    from clusterleap.robustness import Space, WeightNoise, uncertainty_analysis

    samples = uncertainty_analysis(MINI / "framework.yaml", MINI / "data.csv", MINI / "recipe.yaml",
                                   Space((WeightNoise(0.4),)), samples=16, seed=3, sobol=True)
    rep = build_report(mini, robustness=samples, trends=False)
    assert "robustness" in [k for k, _ in rep.sections]
    ri = samples.rank_intervals()
    root = ri[ri["node"] == mini.framework.root.code].set_index("unit")
    for row in rep.ranking:
        lo, hi = root.loc[row["code"], "rank_p5"], root.loc[row["code"], "rank_p95"]
        assert row["interval"] == interval(lo, hi)
    assert [s["factor"] for s in rep.robustness_view["sobol"]] == list(samples.sobol("index")["factor"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_grade_probabilities_list_graded_clusters_and_say_which_are_left_out(mini: cl.Result, lang: str) -> None:
    """Benchmarks are never graded: their rows would read "nan" and "100 % not graded". They are left out of the
    table and counted in a note; every graded cluster keeps its row, in ranking order, with its nominal grade."""
    bench = np.asarray(mini.data.benchmark, dtype=bool)
    units = list(mini.units)
    assert bench.any() and not bench.all()
    gp = pd.DataFrame({"nominal": [None if b else "national" for b in bench], "national": 0.75,
                       "regional": 0.25}, index=pd.Index(units, name="unit"))
    ri = pd.DataFrame({"node": mini.framework.root.code, "unit": units, "median_rank": 1.0, "rank_p5": 1.0,
                       "rank_p95": 2.0})
    rep = build_report(mini, robustness=Robustness(ri, grade_probabilities=gp), trends=False, lang=lang)
    probs = rep.robustness_view["probs"]
    graded = [rep.names[i] for i in rep.order if not bench[i]]
    assert [r["name"] for r in probs["rows"]] == graded
    assert all(r["nominal"] == "national" and r["p"] == ["75 %", "25 %"] for r in probs["rows"])
    assert str(int(bench.sum())) in probs["left_out"]
    assert "nan" not in json.dumps(probs)


def test_a_framework_too_small_for_analytics_still_reports(tmp_path: Path) -> None:
    fw = cl.Framework.from_nodes("one", [
        cl.Node("I", None, "Index"), cl.Node("D", "I", "Only dimension"),
        cl.Node("a", "D", "A", kind="indicator"), cl.Node("b", "D", "B", kind="indicator")])
    result = cl.evaluate(fw, pd.DataFrame({"unit": list("PQRS"), "a": [1.0, 2, 3, 4], "b": [4.0, 1, 2, 3]}))
    rep = build_report(result, lang="zh")
    assert [k for k, _ in rep.sections] == ["summary", "ranking", "heatmap", "coherence", "quality", "annex"]
    assert len(rep.notes) == 1 and "types need at least two dimensions" in rep.notes[0]
    assert rep.notes[0].startswith("未包含分级")
    html = write_report(rep, tmp_path / "one.html").read_text(encoding="utf-8")
    assert "未包含分级" in html and 'id="sec-profiles"' not in html
    wb = openpyxl.load_workbook(write_report(rep, tmp_path / "one.xlsx"), read_only=True)
    about = [c.value for row in wb["说明"].iter_rows() for c in row if c.value]
    assert rep.notes[0] in about and "分级" not in wb.sheetnames


def test_radar_without_benchmarks_compares_with_all_clusters(tmp_path: Path) -> None:
    from clusterleap.report._charts import radar_spec

    data = pd.read_csv(MINI / "data.csv").drop(columns=["benchmark"])
    result = cl.evaluate(MINI / "framework.yaml", data, MINI / "recipe.yaml")
    rep = build_report(result, lang="en", trends=False)
    spec = radar_spec(rep, print_mode=False)
    assert [trace["name"] for trace in spec["base"]] == ["Median of all clusters"]
    scores = np.asarray(result.scores[list(rep.dims)], dtype=float)
    assert spec["base"][0]["r"][:-1] == pytest.approx(list(np.median(scores, axis=0)), abs=0.01)
    assert spec["theta"][0] == spec["theta"][-1]  # the polygon is closed


def test_a_report_profiles_the_first_units_in_rank_order(mini: cl.Result) -> None:
    """Profiles of at most max_profiles units, the first in rank order; the report says so and links only to them."""
    from clusterleap.report._html import render_html

    n = len(mini.units)
    assert n > 2
    full = build_report(mini, max_profiles=None)
    assert [p["code"] for p in full.profiles] == [r["code"] for r in full.ranking] and full.profiles_cut == ""
    two = build_report(mini, max_profiles=2)
    first = [r["code"] for r in two.ranking][:2]
    assert [p["code"] for p in two.profiles] == first
    assert [r["code"] for r in two.ranking if r["profiled"]] == first
    assert two.profiles_cut == (f"Profiles of the first 2 of the {n} clusters in rank order. 'clusterleap report "
                                "--max-profiles' sets how many a report shows; 'clusterleap profile UNIT' gives any "
                                "cluster's.")
    page = render_html(two)
    links = re.findall(r'<td class="cname"><a href="#(u\d+)">', page)
    assert links == [r["anchor"] for r in two.ranking[:2]]
    assert two.profiles_cut.replace("'", "&#39;") in page
    none = build_report(mini, max_profiles=0)
    assert none.profiles == [] and "profiles" not in [k for k, _ in none.sections]
    assert 'id="sec-profiles"' not in render_html(none)
    assert len(re.findall(r'<details class="profile"', render_html(full))) == n


def test_the_report_command_caps_profiles(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clusterleap.cli import app

    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", "-f", str(MINI / "framework.yaml"), "-d", str(MINI / "data.csv"), "-r",
                                   str(MINI / "recipe.yaml"), "-o", str(out), "--max-profiles", "1"])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert len(re.findall(r'<details class="profile"', page)) == 1 and "Profiles of the first 1 of the " in page


def test_the_report_command_and_the_python_report_default_to_the_same_profile_cap() -> None:
    from clusterleap.cli import report as report_cli
    from clusterleap.report._view import MAX_PROFILES

    assert report_cli.MAX_PROFILES == MAX_PROFILES == 200


def test_workbook_contents_link_scores_in_rank_order_and_imputed_cells_shaded(mini: cl.Result,
                                                                               tmp_path: Path) -> None:
    """The about sheet's list of sheets links to each sheet; scores and ranks run in rank order with the name
    beside the code; the cells the recipe imputed (C03's R&D intensity, missing in the data) are shaded in the
    imputed, treated and normalised stage sheets, and nowhere else."""
    from clusterleap.report._xlsx import IMPUTED_FILL

    path = write_report(mini, tmp_path / "mini.xlsx", lang="zh", trends=False)
    wb = openpyxl.load_workbook(path)
    t = STRINGS["zh"]
    about = wb[t["sheet_about"]]
    links = {c.value: c.hyperlink.location for row in about.iter_rows() for c in row if c.hyperlink is not None}
    listed = wb.sheetnames[1:]
    assert set(links) == set(listed)
    assert all(links[name] == f"'{name}'!A1" for name in listed)
    assert t["imputed_note"].split("{")[0] in "".join(str(c.value) for row in about.iter_rows() for c in row)

    scores = wb[t["sheet_scores"]]
    header = [c.value for c in scores[1]]
    assert header[:3] == [t["code"], t["rank"], t["name"]]
    ranking = mini.ranking()
    codes = [row[0].value for row in scores.iter_rows(min_row=2)]
    assert codes == list(ranking.index)
    ranks = [row[1].value for row in scores.iter_rows(min_row=2)]
    assert ranks == sorted(ranks) and ranks[0] == 1
    first = next(scores.iter_rows(min_row=2))
    assert first[2].value == mini.data.names[mini.units.index(codes[0])]
    assert first[header.index(mini.framework.root.code)].value == pytest.approx(float(mini.score().max()))

    mask = mini.stage("imputed_mask").astype(bool)
    assert mask.to_numpy().sum() == 1 and bool(mask.loc["C03", "rd_intensity"])
    for name in ("raw", "imputed", "treated", "normalised"):
        ws = wb[t["sheet_stage"].format(name=t[f"stage_{name}"])]
        head = [c.value for c in ws[1]]
        shaded = {(row[0].value, head[c.column - 1]) for row in ws.iter_rows(min_row=2) for c in row
                  if c.fill.fgColor.rgb == "00" + IMPUTED_FILL.fgColor.rgb[-6:]}
        assert shaded == (set() if name == "raw" else {("C03", "rd_intensity")}), name


def test_profiles_are_the_readers_choice(mini: cl.Result, tmp_path: Path) -> None:
    """``profiles`` picks the clusters with a profile, always in rank order: all, the domestic ones, the top N,
    the top N domestic ones, a list, or none (and then no profiles section); a bad choice says what is expected."""
    from clusterleap.report._selection import select_profiles

    ranked = list(mini.ranking().index)
    bench = dict(zip(mini.units, np.asarray(mini.data.benchmark, dtype=bool).tolist(), strict=True))
    domestic = [u for u in ranked if not bench[u]]
    assert any(bench.values()) and domestic != ranked  # the mini data has benchmarks to leave out
    assert select_profiles(mini, "all") is None and select_profiles(mini, None) is None
    assert select_profiles(mini, "domestic") == tuple(domestic)
    assert select_profiles(mini, "top:3") == tuple(ranked[:3])
    assert select_profiles(mini, "domestic:2") == tuple(domestic[:2])
    assert select_profiles(mini, f"{ranked[4]}, {ranked[1]}") == (ranked[1], ranked[4])  # rank order
    assert select_profiles(mini, [ranked[2]]) == (ranked[2],)
    assert select_profiles(mini, "none") == ()
    for bad, says in (("top:0", "whole number"), ("domestic:x", "whole number"), ("C99", "'C99' is not in"),
                      (",", "no unit codes")):
        with pytest.raises(ReportError, match=says):
            select_profiles(mini, bad)
    rep = build_report(mini, profiles="domestic:2", trends=False)
    assert [p["code"] for p in rep.profiles] == domestic[:2]
    html = write_report(rep, tmp_path / "two.html").read_text(encoding="utf-8")
    assert html.count('class="profile"') == 2
    # the ranking links only to the profiles there are
    for i, u in enumerate(mini.units):
        assert (f'href="#u{i}"' in html) == (u in domestic[:2]), u
    none = build_report(mini, profiles="none", trends=False)
    assert "profiles" not in [k for k, _ in none.sections] and none.profiles == []
