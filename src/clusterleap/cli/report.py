"""Report command: ``clusterleap report`` writes an offline HTML page, a PDF or an Excel workbook."""

from __future__ import annotations

import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import DataWarning
from .app import app, console, guarded
from .options import DataOpt, ForceOpt, FrameworkOpt, Lang, RecipeOpt, SheetOpt, YearOpt

__all__ = ["report"]

#: The default of --max-profiles: the report's own default (clusterleap.report._view.MAX_PROFILES, held equal by a
#: test), written here because importing the report package would slow every command's start.
MAX_PROFILES = 200


class Format(StrEnum):
    html = "html"
    pdf = "pdf"
    xlsx = "xlsx"


@app.command("report")
@guarded
def report(
    framework: FrameworkOpt,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (.html, .pdf or .xlsx).")],
    recipe: RecipeOpt = None,
    year: YearOpt = None,
    robustness: Annotated[Path | None, typer.Option(
        "--robustness", help="Folder written by 'clusterleap robustness --out' (adds the robustness section).")]
    = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the report: en or zh.")] = Lang.en,
    fmt: Annotated[Format | None, typer.Option("--format", help="html, pdf or xlsx (default: from --out's "
                                               "suffix).")] = None,
    title: Annotated[str, typer.Option("--title", help="Title (default: the framework's name).")] = "",
    profiles: Annotated[str, typer.Option("--profiles", help="Clusters with a profile: all, domestic, none, top:N, "
                                          "domestic:N or unit codes separated by commas.")] = "all",
    scheme: Annotated[str | None, typer.Option("--scheme", help="Grading scheme: default, relative, observatory "
                                               "or a YAML file (default: the recipe's, else default).")] = None,
    peer: Annotated[str | None, typer.Option("--peer", help="Unit metadata column whose groups are the peers "
                                             "(default: all domestic clusters).")] = None,
    benchmark: Annotated[str | None, typer.Option("--benchmark", "-b", help="Gap reference: a unit code, median, "
                                                  "best or targets.")] = None,
    max_profiles: Annotated[int, typer.Option("--max-profiles", min=0, metavar="N",
                                              help="Cluster profiles shown, the first in "
                                              "rank order (0: none; each adds a page).")] = MAX_PROFILES,
    force: ForceOpt = False,
    sheet: SheetOpt = None,
) -> None:
    """Write a report: HTML, PDF or Excel.

    Summary, ranking with grades and types, dimension heatmap, a profile per cluster (radar, strengths and short
    boards, gaps, actions), robustness (with --robustness), coherence, trends and a method annex. HTML works
    offline in one file; PDF (A4, contents, page numbers) needs Chromium."""
    # heavy: pandas, the engine and the report stack, imported when the command runs, not for --help
    from .._api import as_recipe, evaluate
    from .._files import check_target
    from .._result import illustrative_notice
    from ..analysis._profile import analyse
    from ..report import FORMATS, ReportError, build_report, write_report
    from ._data import read_data_opt

    kind = fmt.value if fmt is not None else out.suffix.lstrip(".").lower()
    if kind not in FORMATS:
        raise ReportError(f"--out {out}: cannot tell the format from the suffix {out.suffix!r}; use --format "
                          "html, pdf or xlsx")
    check_target(out, folder=False, force=force)  # before the work, not after it
    if kind == "pdf":
        from ..report._pdf import check_fonts, find_chromium  # on use: the report stack, for a PDF only

        find_chromium()  # fail before the evaluation when the PDF cannot be printed
        check_fonts(lang.value)
    result = evaluate(framework, read_data_opt(data, sheet), as_recipe(recipe), year)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # already reported once by the evaluation above
        an = analyse(result, peer=peer, benchmark=benchmark, scheme=scheme)
        rep = build_report(result, lang=lang.value, analytics=an, robustness=robustness, title=title,
                           profiles=profiles, max_profiles=max_profiles)
    if result.illustrative:
        console.print(illustrative_notice(lang.value), style="yellow")
    path = write_report(rep, out, fmt=kind, force=force)
    size = path.stat().st_size
    console.print(f"wrote {path} ({kind}, {lang.value}, {size / 1e6:.1f} MB)" if size >= 100_000 else
                  f"wrote {path} ({kind}, {lang.value}, {size / 1e3:.0f} kB)")
