"""The command line reads well at 80 columns: help without type placeholders for flags, tables that never cut a code
into a duplicate, Chinese units in Chinese, obstacle degrees and marginal gains of the same indicators, and gaps
whose shares add up to 100 % within each level."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import typer.main
from typer import _click as click
from typer.core import TyperGroup
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.analysis import analyse, importance
from clusterleap.cli import app
from clusterleap.cli.core import demo_recipe_path
from clusterleap.illustrative import illustrative_frame
from clusterleap.io import builtin_frameworks, load_framework

runner = CliRunner()
NARROW = {"COLUMNS": "80"}


def invoke(*args: str) -> str:
    res = runner.invoke(app, list(args), env=NARROW)
    assert res.exit_code == 0, res.output
    return res.output


def all_commands() -> list[list[str]]:
    """Every command path: [], ["evaluate"], ["weights", "ahp"], ..."""
    paths: list[list[str]] = []
    root = typer.main.get_command(app)

    def walk(cmd: click.Command, path: list[str]) -> None:
        paths.append(path)
        if isinstance(cmd, TyperGroup):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None, name
                walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "clusterleap")
def test_help_reads_well_at_80_columns(path: list[str]) -> None:
    text = invoke(*path, "--help")
    assert invoke(*path, "-h") == text
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80, [ln for ln in lines if len(ln) > 80]
    assert "<bool>" not in text and "list[" not in text
    # a command's summary in its group's list is a whole sentence, not cut with "..."
    if len(path) >= 1:
        parent = invoke(*path[:-1], "--help")
        row = next(ln for ln in parent.splitlines() if ln.strip().startswith(path[-1] + " "))
        assert not row.rstrip().endswith("..."), row


def test_version() -> None:
    assert invoke("--version").strip() == f"clusterleap {cl.__version__}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    path = tmp_path_factory.mktemp("demo") / "data.csv"
    illustrative_frame().to_csv(path, index=False)
    return path, demo_recipe_path()


def test_frameworks_shows_every_name_and_title_whole() -> None:
    text = invoke("frameworks")
    assert "…" not in text
    flat = " ".join(re.sub(r"[│┃]", " ", text).split())
    first_cells = [ln.split("│")[1].strip() for ln in text.splitlines() if ln.startswith("│")]
    assert [c for c in first_cells if c] == list(builtin_frameworks())
    for path in builtin_frameworks().values():
        fw = load_framework(path)
        assert " ".join(fw.name_en.split()) in flat or all(w in flat for w in fw.name_en.split())


def test_weights_explain_shows_every_code_whole_once(demo: tuple[Path, Path]) -> None:
    data, recipe = demo
    text = invoke("weights", "explain", "-f", "world-class", "-d", str(data), "-r", str(recipe))
    assert "…" not in text
    fw = load_framework("world-class")
    rows = [ln.split()[0] for ln in text.splitlines() if ln.split() and ln.split()[0] in fw.indicators]
    assert sorted(rows) == sorted(fw.indicators)
    # the printed percentages are the importance table's
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        table = importance(cl.evaluate("world-class", data, recipe))
    row = next(ln for ln in text.splitlines() if ln.startswith("rd_intensity "))
    cells = row.split()
    assert cells[2] == f"{100 * table.loc['rd_intensity', 'nominal']:.1f}"
    assert cells[4] == f"{100 * table.loc['rd_intensity', 'effective']:.1f}"
    assert cells[6] == f"{100 * table.loc['rd_intensity', 'importance']:.1f}"


def test_show_in_chinese_translates_units() -> None:
    fw = load_framework("world-class")
    assert all(fw.by_code[c].unit_zh for c in fw.indicators), "every built-in indicator has a Chinese unit"
    text = runner.invoke(app, ["show", "world-class", "--lang", "zh"], env={"COLUMNS": "250"}).output
    for c in fw.indicators:
        line = next(ln for ln in text.splitlines() if re.search(rf"\b{c}\b", ln))
        assert fw.by_code[c].unit_zh in line, (c, line)
    # no English unit words outside the codes
    english = {w.lower() for c in fw.indicators for w in re.findall(r"[A-Za-z]{3,}", fw.by_code[c].unit)}
    prose = text
    for code in sorted([*fw.order, fw.name], key=len, reverse=True):
        prose = re.sub(rf"\b{code}\b", " ", prose)
    left = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", prose)} & english
    assert not left, left
    assert "target" not in prose and "goalposts" not in prose


def test_profile_obstacles_and_gains_belong_to_the_same_indicators(demo: tuple[Path, Path]) -> None:
    data, recipe = demo
    unit = "CN025"
    text = runner.invoke(app, ["profile", unit, "-f", "world-class", "-d", str(data), "-r", str(recipe)],
                         env={"COLUMNS": "200"}).output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        an = analyse(cl.evaluate("world-class", data, recipe))
    section = text[text.index("Obstacle degrees and marginal gains"):]
    section = section[:section.index("└")]
    fw = an.result.framework
    rows = {}
    for ln in section.splitlines():
        cells = [c.strip() for c in ln.strip("│┃").split("│")]
        if cells and cells[0].split(" ")[0] in fw.indicators:
            rows[cells[0].split(" ")[0]] = cells
    top_obstacles = an.obstacles.loc[unit, list(fw.indicators)].sort_values(ascending=False).index[:5]
    top_gains = an.gains.loc[unit].sort_values(ascending=False).index[:5]
    assert set(rows) == set(top_obstacles) | set(top_gains)
    for code, cells in rows.items():
        assert cells[2] == f"{an.obstacles.loc[unit, code]:.3f}", code
        assert cells[3] == f"{an.gains.loc[unit, code]:.3f}", code
    obstacles = [float(rows[c][2]) for c in rows]
    assert obstacles == sorted(obstacles, reverse=True)


def test_gaps_show_one_level_per_table_with_shares_adding_to_100(demo: tuple[Path, Path]) -> None:
    data, recipe = demo
    text = runner.invoke(app, ["gaps", "-f", "world-class", "-d", str(data), "-r", str(recipe), "--unit", "CN025",
                               "--top", "50"], env={"COLUMNS": "200"}).output
    fw = load_framework("world-class")
    tables = text.split("gap by node: ")[1:]
    assert len(tables) == fw.n_levels - 1
    for table in tables:
        level = int(re.search(r"\(level (\d)\)", table).group(1))  # type: ignore[union-attr]
        codes = [ln.strip("│ ").split(" ")[0] for ln in table.splitlines() if ln.startswith("│")]
        nodes = [c for c in codes if c in fw.by_code]
        assert nodes and all(fw.level[c] == level for c in nodes), (level, nodes)
        assert set(nodes) == set(fw.at_level(level))
        shares = [float(m) for m in re.findall(r"(-?\d+\.\d) %", table)]
        total = shares.pop()  # the total row
        assert total == 100.0 and sum(shares) == pytest.approx(100.0, abs=0.05 * len(shares))


def test_profile_at_80_columns_cuts_no_code_and_no_chinese_heading(demo: tuple[Path, Path]) -> None:
    """At 80 columns every node of the dimension, short-board and strength tables shows its code whole (the name
    wraps after it) and a Chinese heading is never broken inside a word; Chinese lines take Chinese punctuation."""
    data, recipe = demo
    args = ["profile", "CN025", "-f", "world-class", "-d", str(data), "-r", str(recipe)]
    fw = load_framework("world-class")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        p = analyse(cl.evaluate("world-class", data, recipe)).profile("CN025")
    expected = {*fw.children[fw.root.code], *p.short_boards.index, *p.strengths.index}
    for lang, title in (("en", "Dimensions"), ("zh", "维度")):
        text = invoke(*args, "--lang", lang)
        assert "…" not in text
        tables = text[text.index(title):text.index("Obstacle" if lang == "en" else "障碍度与边际收益")]
        first = [ln.strip("│ ").split(" ")[0] for ln in tables.splitlines() if ln.startswith("│")]
        assert expected <= set(first), expected - set(first)
    zh = invoke(*args, "--lang", "zh")
    for heading in ("同类中位数", "与参照差距", "指数差距贡献", "较同类中位数"):
        assert heading in zh, heading
    assert "等级：" in zh and "类型：" in zh and "差距参照：" in zh
    assert not re.search(r"[\u4e00-\u9fff][:;,] ", zh), re.findall(r".{6}[\u4e00-\u9fff][:;,] .{6}", zh)


def test_evaluate_in_chinese_says_what_it_wrote_in_chinese(demo: tuple[Path, Path], tmp_path: Path) -> None:
    data, recipe = demo
    text = invoke("evaluate", "-f", "world-class", "-d", str(data), "-r", str(recipe), "-o", str(tmp_path / "out"),
                  "--lang", "zh")
    assert "世界级先进制造业集群评价指数，2024" in text and "评分基准：" in text
    assert "已写入" in " ".join(text.split()) and "wrote" not in text
