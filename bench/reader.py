"""Benchmark: reading wide CSV files of growing width, to show the reader's cost is linear in the number of cells
(the duplicate-column check used to be quadratic: 100,000 columns took 460 s), and the YAML reader's refusal of an
alias bomb against reading an ordinary framework.

Run alone: ``.venv/bin/python bench/reader.py``. Prints seconds per file and the ratio of each to the narrowest
(a linear reader gives ratios close to the ratio of cells).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

import clusterleap as cl
from clusterleap.errors import FrameworkError

ROWS = 20
ROOT = Path(__file__).resolve().parents[1]


def _wide(path: Path, columns: int) -> Path:
    head = ",".join(["unit", *(f"x{i}" for i in range(columns))])
    rows = [",".join([f"u{r}", *(str((r * 7 + i) % 97) for i in range(columns))]) for r in range(ROWS)]
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return path


def _time(job: object) -> float:
    start = time.perf_counter()
    job()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        for columns in (1_000, 4_000, 16_000):
            path = _wide(Path(tmp) / f"w{columns}.csv", columns)
            seconds = min(_time(lambda p=path: cl.read_data(p)) for _ in range(3))
            base = base or seconds
            print(f"wide CSV, {ROWS} rows x {columns:>6,} columns: {seconds:7.3f} s  ratio {seconds / base:5.1f} "
                  f"(cells x{columns / 1_000:.0f})")
    mini = ROOT / "tests" / "corpus" / "mini.yaml"
    bomb = ROOT / "tests" / "corpus" / "fw_billion_laughs.yaml"
    ordinary = min(_time(lambda: cl.load_framework(mini)) for _ in range(5))

    def refuse() -> None:
        with contextlib.suppress(FrameworkError):
            cl.load_framework(bomb)

    refused = min(_time(refuse) for _ in range(5))
    print(f"YAML: ordinary framework {ordinary * 1e3:.1f} ms; alias bomb refused in {refused * 1e3:.1f} ms "
          f"(ratio {refused / ordinary:.1f})")


if __name__ == "__main__":
    main()
