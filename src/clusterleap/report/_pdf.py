"""The PDF report: the HTML report in its print layout, printed to A4 by headless Chromium.

Why Chromium: the PDF is the same document as the HTML (same template, same charts drawn by the same plotly.js,
as vector SVG), with CSS paged media for the page size, margins and page numbers (``@page`` margin boxes with
``counter(page)``, supported by Chromium since version 131) and Chinese set in the locally installed Noto CJK
fonts. No other tool (LaTeX, a PDF library drawing charts again) would keep the two formats the same.

Page numbers in the table of contents take a second print, of the front matter alone: the first PDF's named
destinations (Chromium writes one per internal link target, e.g. ``#sec-ranking``) give each section's page; they
are written into the contents' reserved page-number slots of the loaded page (no reload; the slots have a fixed
width, so the layout does not move), everything after the contents is removed from the page (the first section
starts on a new page, so the cover and contents lay out as before; the page footer keeps the full page count),
the remaining pages are printed again, and their content replaces that of the same pages of the first PDF, whose
links, destinations and every other page are kept. Chromium lays out the whole document for any print, even of a
page range, so printing the front matter alone costs a tenth of a full print instead of half of it. The same
destinations give the bookmarks (PDF outline) of every section and of every cluster's profile, added with pypdf.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReportError
from ._chromium import Browser, file_url, find_chromium, scratch_dir

__all__ = ["Bookmark", "add_outline", "check_fonts", "find_chromium", "html_to_pdf", "named_destination_pages"]

#: A4 at 96 px per inch: the viewport the print layout is computed in.
A4_PX = (794, 1123)
#: Fills the table of contents' page slots (``<span class="pg" data-page-of="ID">``) from ``{id: page}``.
FILL_TOC = """(pages => {
  document.querySelectorAll("[data-page-of]").forEach(el => {
    const n = pages[el.getAttribute("data-page-of")];
    el.textContent = n === undefined ? "" : String(n);
  });
  return true;
})(%s)"""
#: Leaves only the front matter (what precedes ``<main>``: the cover and the contents) in the page, its footer
#: saying "page / TOTAL" with the whole report's page count (``%d``), for the reprint of the contents.
FRONT_ONLY = """(total => {
  const main = document.querySelector("main");
  if (!main) { return false; }
  while (main.nextSibling) { main.nextSibling.remove(); }
  main.remove();
  const style = document.createElement("style");
  style.textContent = `@page { @bottom-center { content: counter(page) " / ${total}"; } }`;
  document.head.appendChild(style);
  return true;
})(%d)"""


@dataclass(frozen=True)
class Bookmark:
    """An outline entry: its title, the element id it points to, and entries below it."""

    title: str
    target: str
    children: Sequence[Bookmark] = field(default_factory=tuple)


def _pypdf() -> object:
    try:
        import pypdf
    except ModuleNotFoundError:
        raise ReportError("PDF output needs pypdf (page numbers and bookmarks): pip install pypdf") from None
    return pypdf


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's warnings about harmless quirks of Chromium's PDFs (e.g. the trailer's object count)."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def named_destination_pages(pdf: bytes) -> dict[str, int]:
    """Page number (1 = first) of every named destination of a PDF."""
    _pypdf()
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        with _quiet_pypdf():
            reader = PdfReader(io.BytesIO(pdf))
            out = {}
            for name, dest in reader.named_destinations.items():
                page = reader.get_destination_page_number(dest)
                if page is not None and page >= 0:
                    out[str(name).lstrip("/")] = int(page) + 1
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ReportError(f"cannot read the PDF Chromium printed ({exc})") from None
    return out


def page_count(pdf: bytes) -> int:
    """The number of pages of a PDF."""
    _pypdf()
    from pypdf import PdfReader

    with _quiet_pypdf():
        return len(PdfReader(io.BytesIO(pdf)).pages)


def add_outline(pdf: bytes, bookmarks: Sequence[Bookmark], pages: dict[str, int], *, title: str = "",
                lang: str = "", front: bytes = b"") -> bytes:
    """The PDF with bookmarks (entries whose target has no page are left out), its title and language, opening
    with the bookmarks shown. The content of the pages of ``front`` (a print of the first pages alone, e.g. the
    contents with their page numbers filled in) replaces that of the PDF's first pages; their links stay."""
    _pypdf()
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import IndirectObject, NameObject, TextStringObject

    with _quiet_pypdf():
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
        front_pages = PdfReader(io.BytesIO(front)).pages if front else []
        if len(front_pages) >= len(writer.pages):
            raise ReportError(f"the reprint of the contents has {len(front_pages)} pages, the report "
                              f"{len(writer.pages)}")
        if front_pages:
            n = len(writer.pages)
            for k, page in enumerate(front_pages):
                added = writer.add_page(page)  # copies the page's objects into this file
                target = writer.pages[k]
                for key in ("/Contents", "/Resources"):
                    target[NameObject(key)] = added.raw_get(key)
            while len(writer.pages) > n:
                writer.remove_page(len(writer.pages) - 1)

    def add(marks: Sequence[Bookmark], parent: IndirectObject | None = None) -> None:
        for m in marks:
            if m.target not in pages:
                continue
            item = writer.add_outline_item(title=m.title, page_number=pages[m.target] - 1, parent=parent,
                                           is_open=not m.children)
            add(m.children, item)

    add(bookmarks)
    if bookmarks:
        writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": title, "/Creator": "clusterleap"})
    if lang:
        writer._root_object[NameObject("/Lang")] = TextStringObject(lang)
    out = io.BytesIO()
    with _quiet_pypdf():
        writer.write(out)
    return out.getvalue()


def check_fonts(lang: str) -> None:
    """Refuse a Chinese PDF when fontconfig knows no font for Chinese (it would print empty boxes)."""
    if lang != "zh" or shutil.which("fc-list") is None:
        return
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30,
                               check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if not found:
        raise ReportError("a Chinese PDF needs a Chinese font, and none is installed: install one (Debian/Ubuntu: "
                          "apt-get install fonts-noto-cjk)")


def html_to_pdf(html: str, *, lang: str = "en", title: str = "", bookmarks: Sequence[Bookmark] = (),
                timeout: float = 300.0) -> bytes:
    """Print the report ``html`` (rendered in print mode) to PDF, with page numbers in its table of contents and
    ``bookmarks``."""
    executable = find_chromium()
    check_fonts(lang)
    _pypdf()
    tmp = scratch_dir("clusterleap-pdf-")  # a kill leaves it behind; the next run removes it
    try:
        return _print(html, executable, tmp, timeout, bookmarks, title, lang)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _print(html: str, executable: str, tmp: str, timeout: float, bookmarks: Sequence[Bookmark], title: str,
           lang: str) -> bytes:
    with Browser(executable, timeout=timeout) as browser:
        page = browser.new_page(width=A4_PX[0], height=A4_PX[1])
        path = Path(tmp) / "report.html"
        path.write_text(html, encoding="utf-8")
        page.goto(file_url(path), timeout=timeout)
        page.wait_for("window.__reportReady || window.__reportError", timeout, "the charts to be drawn")
        error = page.evaluate("window.__reportError || ''")
        if error:
            raise ReportError(f"a chart of the report failed to draw in Chromium: {error}")
        pdf = page.print_pdf(timeout=timeout)
        pages = named_destination_pages(pdf)
        front = b""
        first = min((n for key, n in pages.items() if key.startswith("sec-")), default=1)
        if first > 1:  # the cover and contents are pages 1 .. first - 1
            page.evaluate(FILL_TOC % json.dumps(pages))
            page.evaluate(FRONT_ONLY % page_count(pdf))
            front = page.print_pdf(timeout=timeout, pageRanges=f"1-{first - 1}")
    return add_outline(pdf, bookmarks, pages, title=title, lang="zh-CN" if lang == "zh" else lang, front=front)
