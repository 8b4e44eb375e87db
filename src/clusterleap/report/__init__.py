"""Reports of a result for people: a self-contained offline HTML page, a PDF of it (A4, with contents and page
numbers), and an Excel workbook of every table; in English or Chinese.

>>> from clusterleap.report import write_report
>>> write_report(result, "report.html", fmt="html", lang="zh")            # doctest: +SKIP
>>> write_report(result, "report.pdf", fmt="pdf", robustness="rob-out/")  # doctest: +SKIP

Sections appear when their data does (see :func:`build_report`); files are written all or nothing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._files import write_atomic_file
from .._result import Result
from ..errors import ReportError
from ..robustness._folder import Robustness, load_robustness
from ._gather import build_report
from ._html import render_html
from ._i18n import LANGS
from ._pdf import Bookmark, find_chromium, html_to_pdf
from ._view import Report
from ._xlsx import write_xlsx

if TYPE_CHECKING:
    from ..analysis._profile import Analytics
    from ..analysis._trends import Trends
    from ..robustness import Samples

__all__ = ["FORMATS", "LANGS", "Report", "ReportError", "Robustness", "build_report", "load_robustness",
           "render_report", "write_atomic", "write_report"]

Format = Literal["html", "pdf", "xlsx"]
FORMATS: tuple[str, ...] = ("html", "pdf", "xlsx")


def render_report(report: Report, fmt: str) -> bytes:
    """The report file's bytes in ``fmt`` ('html', 'pdf' or 'xlsx')."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        profiles = tuple(Bookmark(f"{p['rank']}. {p['name']}", p["anchor"]) for p in report.profiles)
        marks = [Bookmark(title, f"sec-{key}", profiles if key == "profiles" else ())
                 for key, title in report.sections]
        return html_to_pdf(render_html(report, "print"), lang=report.lang, title=report.heading, bookmarks=marks)
    if fmt == "xlsx":
        buf = io.BytesIO()
        write_xlsx(report, buf)
        return buf.getvalue()
    raise ReportError(f"report format {fmt!r}: expected one of {', '.join(FORMATS)}")


def write_atomic(path: str | Path, data: bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` all or nothing; an existing file only with ``force`` (see
    :func:`clusterleap._files.write_atomic_file`)."""
    return write_atomic_file(path, lambda tmp: tmp.write_bytes(data), force=force)


def write_report(
    result: Result | Report,
    path: str | Path,
    *,
    fmt: str | None = None,
    lang: str = "en",
    analytics: Analytics | bool = True,
    robustness: Robustness | Samples | str | Path | None = None,
    coherence: bool = True,
    trends: Trends | bool = True,
    title: str = "",
    profiles: str | Sequence[str] | None = "all",
    force: bool = False,
) -> Path:
    """Write a report of ``result`` to ``path`` in ``fmt`` (by default from the file's suffix: .html, .pdf,
    .xlsx) and ``lang`` ('en' or 'zh'). The other options are :func:`build_report`'s; a ready :class:`Report` may be
    passed instead of a result (its language then rules). PDF needs Chromium (``chromium`` on the PATH, or
    ``CLUSTERLEAP_CHROMIUM``). An existing file at ``path`` is replaced only with ``force``."""
    fmt = fmt or Path(path).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ReportError(f"{path}: report format {fmt!r} is not one of {', '.join(FORMATS)} (give fmt= or use a "
                          ".html, .pdf or .xlsx file name)")
    if fmt == "pdf":
        find_chromium()  # fail before the report is assembled when it cannot be printed
    report = result if isinstance(result, Report) else build_report(
        result, lang=lang, analytics=analytics, robustness=robustness, coherence=coherence, trends=trends,
        title=title, profiles=profiles)
    return write_atomic(path, render_report(report, fmt), force=force)
