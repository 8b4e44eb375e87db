"""The framework commands: ``frameworks`` and ``show``. Light on purpose: they load the framework files and
nothing of the engine, so that they answer at once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..io._framework_files import builtin_frameworks, load_framework
from .app import app, console, guarded
from .options import Lang, LangOpt


@app.command()
@guarded
def frameworks() -> None:
    """List the built-in frameworks."""
    table = Table(title="Built-in frameworks", show_lines=True)
    found = builtin_frameworks()
    # the name is what users type and the counts are short: they never shrink; the titles (English above Chinese)
    # take the width that is left and wrap, never cut
    table.add_column("name", no_wrap=True, min_width=max(map(cell_len, found), default=4))
    table.add_column("title / 名称", ratio=1, overflow="fold")
    table.add_column("dims", justify="right", no_wrap=True)
    table.add_column("indicators", justify="right", no_wrap=True)
    for name, path in found.items():
        fw = load_framework(path)
        titles = "\n".join(t for t in (fw.name_en, fw.name_zh) if t)
        table.add_row(name, titles, str(len(fw.children[fw.root.code])), str(len(fw.indicators)))
    console.print(table)


#: The fixed words of ``show`` (units come from the framework: ``unit`` and ``unit_zh``).
SHOW_WORDS = {
    "en": {"target": "target", "goalposts": "goalposts", "uncapped": "uncapped", "sep": ", "},
    "zh": {"target": "目标值", "goalposts": "评分区间", "uncapped": "不封顶", "sep": "；"},
}


@app.command()
@guarded
def show(
    framework: Annotated[str, typer.Argument(help="Built-in name, YAML file or COINr iMeta CSV.")],
    lang: LangOpt = Lang.en,
) -> None:
    """Show a framework's tree.

    Codes, names, weights within the parent, and each indicator's direction, unit, world-class target and
    goalposts (lo–hi in the indicator's unit)."""
    fw = load_framework(framework)
    w = fw.nominal_weights()
    words = SHOW_WORDS[lang.value]

    def label(code: str) -> Text:
        n = fw.by_code[code]
        text = Text.assemble((code, "bold"), f" {n.label(lang.value)}  ", (f"w={w[code]:.3g}", "dim"))
        if n.is_indicator:
            arrow = "↑" if n.direction > 0 else "↓"
            extra = f" {arrow} {n.unit_label(lang.value)}"
            if n.target is not None:
                extra += f"{words['sep']}{words['target']} {n.target:g}"
            if n.goalposts is not None:
                extra += (f"{words['sep']}{words['goalposts']} {n.goalposts.lo:g}–{n.goalposts.hi:g}"
                          + ("" if n.goalposts.cap else f" {words['uncapped']}"))
            text.append(extra, style="cyan")
        return text

    tree = Tree(label(fw.root.code))

    def grow(node: Tree, code: str) -> None:
        for kid in fw.children[code]:
            grow(node.add(label(kid)), kid)

    grow(tree, fw.root.code)
    title = (fw.name_zh or fw.name_en) if lang.value == "zh" else (fw.name_en or fw.name_zh)
    console.print(Text.assemble((fw.name, "bold"), f": {title}" if title else ""))
    console.print(tree)
