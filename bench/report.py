"""Benchmark: the PDF of the demo report (world-class framework, 90 illustrative clusters, analytics and a small
Sobol' run), the issue's aim being under 10 s on two cores.

Figures: assembling the report, rendering the HTML, and printing the PDF (wall seconds, and the CPU seconds of
Chromium's processes, which are steadier than wall time on a shared machine). Baseline, in the same process: the
same print layout printed the way it was first done, the whole document twice (the second time with the contents'
page numbers filled in) rather than once plus the front matter alone. Both the default (every cluster's profile)
and the length a minister reads (domestic top-20 profiles) are timed. Run: .venv/bin/python bench/report.py
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from pypdf import PdfReader
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap.cli import app
from clusterleap.cli.core import demo_recipe_path
from clusterleap.illustrative import illustrative_frame
from clusterleap.report import _pdf as pdf_module
from clusterleap.report import build_report, render_report
from clusterleap.report._chromium import Browser, file_url
from clusterleap.report._html import render_html
from clusterleap.report._pdf import A4_PX, FILL_TOC, named_destination_pages

SPACE = "name: bench\nfactors:\n  - weights: {noise: 0.25, level: 2}\n" \
        "  - choice: {stage: aggregate, options: [nominal, arithmetic]}\n"
TICK = os.sysconf("SC_CLK_TCK")
#: (label, language, build_report options) of each PDF timed.
VARIANTS: list[tuple[str, str, dict[str, Any]]] = [("English, all 90 profiles", "en", {}),
                                                   ("Chinese, all 90 profiles", "zh", {}),
                                                   ("English, domestic top-20 profiles", "en",
                                                    {"profiles": "domestic:20"}),
                                                   ("Chinese, domestic top-20 profiles", "zh",
                                                    {"profiles": "domestic:20"})]


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by process ``root`` and its descendants (Linux /proc)."""
    procs: dict[int, tuple[int, float]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2:].split()
        procs[int(d)] = (int(f[1]), sum(int(x) for x in f[11:15]) / TICK)
    total = 0.0
    for pid, (_, cpu) in procs.items():
        p = pid
        while p in procs and p != root:
            p = procs[p][0]
        total += cpu if p == root else 0.0
    return total


def baseline_print(html: str, tmp: Path) -> tuple[float, float]:
    """Wall and Chromium CPU seconds of the former way: load, print the whole document, fill the contents' page
    numbers, print the whole document again."""
    path = tmp / "baseline.html"
    path.write_text(html, encoding="utf-8")
    t = time.perf_counter()
    with Browser() as browser:
        page = browser.new_page(width=A4_PX[0], height=A4_PX[1])
        page.goto(file_url(path))
        page.wait_for("window.__reportReady || window.__reportError", 300, "the charts")
        pdf = page.print_pdf(timeout=300)
        page.evaluate(FILL_TOC % json.dumps(named_destination_pages(pdf)))
        page.print_pdf(timeout=300)
        cpu = tree_cpu(browser.pid)
    return time.perf_counter() - t, cpu


class CountingBrowser(Browser):
    """The PDF writer's browser, noting the CPU seconds its processes used when it closes."""

    cpu: ClassVar[list[float]] = []

    def __exit__(self, *exc: object) -> None:
        CountingBrowser.cpu.append(tree_cpu(self.pid))
        super().__exit__(*exc)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    data = tmp / "data.csv"
    illustrative_frame().to_csv(data, index=False)
    (tmp / "space.yaml").write_text(SPACE, encoding="utf-8")
    CliRunner().invoke(app, ["robustness", "-f", "world-class", "-d", str(data), "-r", str(demo_recipe_path()),
                             "--space", str(tmp / "space.yaml"), "--samples", "32", "--sobol", "--seed", "7",
                             "--out", str(tmp / "rob")])
    result = cl.evaluate("world-class", data, demo_recipe_path())
    setattr(pdf_module, "Browser", CountingBrowser)  # noqa: B010  (the module's own name, replaced for the run)
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared with other work: wall times move with it)")
    for label, lang, options in VARIANTS:
        t = time.perf_counter()
        report = build_report(result, lang=lang, robustness=tmp / "rob", **options)
        _ = report.profiles, report.ranking  # assembled here, not while rendering
        t_build, t = time.perf_counter() - t, time.perf_counter()
        render_html(report, "print")
        t_html, t = time.perf_counter() - t, time.perf_counter()
        pdf = render_report(report, "pdf")
        t_pdf = time.perf_counter() - t
        cpu = CountingBrowser.cpu[-1]
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(f"{label}: assemble {t_build:.2f} s, HTML {t_html:.2f} s, PDF {t_pdf:.2f} s wall ({cpu:.1f} s "
              f"Chromium CPU), {pages} pages")
        if lang == "en" and not options:
            base_wall, base_cpu = baseline_print(render_html(report, "print"), tmp)
            print(f"  baseline, the whole document printed twice: {base_wall:.2f} s wall ({base_cpu:.1f} s Chromium "
                  f"CPU); ratio {base_wall / t_pdf:.2f}x wall, {base_cpu / cpu:.2f}x Chromium CPU")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
