"""Outputs: never into the current folder or a special file, never over an existing output without --force (which
replaces it whole), one writer at a time, errors that name the user's path, formulas neutralised in every CSV and
xlsx written, a report's robustness folder checked against the report's inputs, PDF scratch folders swept."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import clusterleap as cl
from clusterleap import _tables as tables
from clusterleap._files import _atomic as files
from clusterleap._files import neutralise, write_atomic_dir, write_atomic_file
from clusterleap.cli import app
from clusterleap.report import _chromium
from tests.conftest import ROOT

runner = CliRunner()
CORPUS = ROOT / "tests" / "corpus"
FW, DATA = str(CORPUS / "mini.yaml"), str(CORPUS / "good.csv")


def cli(*args: object) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return res.exit_code, " ".join(res.output.split())


def test_existing_outputs_need_force_and_force_replaces_the_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "res"
    assert cli("evaluate", "-f", FW, "-d", DATA, "-o", out)[0] == 0
    (out / "mine.txt").write_text("a user's file", encoding="utf-8")
    code, text = cli("evaluate", "-f", FW, "-d", DATA, "-o", out)
    assert code == 2
    assert text == f"error: {out}: exists and is not empty (use --force to replace it as a whole)"
    assert (out / "mine.txt").exists()
    assert cli("evaluate", "-f", FW, "-d", DATA, "-o", out, "--force")[0] == 0
    assert not (out / "mine.txt").exists() and (out / "scores.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # nothing temporary left
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("evaluate", "-f", FW, "-d", DATA, "-o", empty)[0] == 0  # an empty folder is no one's output


@pytest.mark.parametrize("target", ["", "."])
def test_never_into_the_current_folder(target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, text = cli("evaluate", "-f", FW, "-d", DATA, "-o", target, "--force")
    assert code == 2 and "is the current folder (name a new folder or file to write)" in text
    assert list(tmp_path.iterdir()) == []


def test_never_over_a_special_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in (["evaluate", "-f", FW, "-d", DATA, "-o", fifo, "--force"],
                 ["template", FW, "-o", fifo, "--format", "csv", "--force"],
                 ["report", "-f", FW, "-d", DATA, "-o", "/dev/null", "--format", "html", "--force"]):
        code, text = cli(*args)
        assert code == 2 and "is a special file (FIFO, device or socket)" in text, text
    assert fifo.exists() and not fifo.is_file()
    assert os.path.exists("/dev/null") and not Path("/dev/null").is_file()


def test_a_csv_template_never_overwrites_its_neighbour(tmp_path: Path) -> None:
    neighbour = tmp_path / "t-indicators.csv"
    neighbour.write_text("precious", encoding="utf-8")
    code, text = cli("template", FW, "-o", tmp_path / "t.csv")
    assert code == 2 and text == f"error: {neighbour}: exists (use --force to replace it)"
    assert neighbour.read_text(encoding="utf-8") == "precious" and not (tmp_path / "t.csv").exists()


def test_templates_write_names_as_text_never_as_formulas(tmp_path: Path) -> None:
    fw = tmp_path / "fw.yaml"
    fw.write_text((CORPUS / "mini.yaml").read_text(encoding="utf-8").replace(
        "name_en: Indicator A", "name_en: '=HYPERLINK(\"http://example.invalid\",\"x\")'"), encoding="utf-8")
    assert cli("template", fw, "-o", tmp_path / "t.xlsx")[0] == 0
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["indicators"]
    cell = next(c for row in ws.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix
    assert cli("template", fw, "-o", tmp_path / "t.csv")[0] == 0
    text = (tmp_path / "t-indicators.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert cli("template-ahp", fw, "-o", tmp_path / "q.xlsx")[0] == 0
    for ws in openpyxl.load_workbook(tmp_path / "q.xlsx").worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_neutralise_keeps_numbers_and_quotes_formulas() -> None:
    assert [neutralise(s) for s in ["=1+1", "+x", "-x", "@SUM(A1)", "\tx", "-1.5", "+2e3", "-", "plain", "-inf"]] \
        == ["'=1+1", "'+x", "'-x", "'@SUM(A1)", "'\tx", "-1.5", "+2e3", "'-", "plain", "-inf"]
    df = pd.DataFrame({"t": ["=x", "y"], "v": [-1.5, 2.0]}, index=pd.Index(["@a", "b"], name="unit"))
    out = tables.neutralise_frame(df)
    assert list(out["t"]) == ["'=x", "y"] and list(out.index) == ["'@a", "b"]
    assert out["v"].tolist() == [-1.5, 2.0]


def test_concurrent_writers_take_turns(tmp_path: Path) -> None:
    """Two writers of one folder: the second waits for the first and then finds its output (no mix)."""
    out = tmp_path / "out"
    order: list[str] = []

    def slow(d: Path) -> None:
        (d / "a.txt").write_text("first", encoding="utf-8")
        time.sleep(0.5)
        (d / "b.txt").write_text("first", encoding="utf-8")
        order.append("first")

    t = threading.Thread(target=lambda: write_atomic_dir(out, slow))
    t.start()
    time.sleep(0.1)
    errors: list[BaseException] = []
    try:
        write_atomic_dir(out, lambda d: (d / "a.txt").write_text("second", encoding="utf-8"))
    except FileExistsError as exc:
        errors.append(exc)
    t.join()
    assert order == ["first"] and len(errors) == 1  # the second found a complete folder and refused it
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {"a.txt": "first", "b.txt": "first"}


def test_a_full_disk_names_the_users_path(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"

    def full(tmp: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    with pytest.raises(OSError) as info:
        write_atomic_file(target, full)
    assert info.value.filename == str(target) and "No space left on device" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_mount_point_is_filled_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At a mount point (a Docker volume) the folder cannot be renamed: its entries are replaced inside it."""
    out = tmp_path / "vol"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    monkeypatch.setattr(files.os.path, "ismount", lambda p: Path(p) == out)
    write_atomic_dir(out, lambda d: (d / "new.txt").write_text("new", encoding="utf-8"), force=True)
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]


def test_a_write_nested_in_another_does_not_wait_for_it(tmp_path: Path) -> None:
    """A folder written into the new folder of a write (a command writing its analytics' own folder) neither waits
    for the outer write's locks nor leaves anything behind."""
    out = tmp_path / "out"

    def outer(d: Path) -> None:
        write_atomic_dir(d, lambda e: (e / "inner.txt").write_text("inner", encoding="utf-8"))
        (d / "outer.txt").write_text("outer", encoding="utf-8")

    t = threading.Thread(target=lambda: write_atomic_dir(out, outer), daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the nested write waited for the outer one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == ["inner.txt", "outer.txt"]


# A writer in another process: it makes a work folder of the given name (with a file in ``new`` or ``old``), takes
# its lock as a writer does, says so, then keeps it until its stdin closes.
HOLDER = """
import fcntl, os, sys
work = sys.argv[1]
os.makedirs(os.path.join(work, sys.argv[2]))
open(os.path.join(work, sys.argv[2], "a.txt"), "w").write("half")
fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("ready", flush=True)
sys.stdin.read()
"""


def _holder(work: Path, inner: str = "new") -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(work), inner], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def test_a_dead_writers_work_folder_is_swept_and_a_live_writers_is_kept(tmp_path: Path) -> None:
    """Any write into a folder removes the work folders there whose writer is dead (their lock is free), whatever
    target they were for, and keeps those of a live writer; a previous output a dead writer had set aside between
    two renames is put back, not removed."""
    dead = tmp_path / ".out.clusterleap-0123456789abcdef"
    aside = tmp_path / ".res.clusterleap-00000000000000aa"
    live = tmp_path / ".other.csv.clusterleap-fedcba9876543210"
    mine = tmp_path / ".notes.clusterleap-draft"  # not a work folder's name: never touched
    mine.mkdir()
    for work, inner in ((dead, "new"), (aside, "old")):
        proc = _holder(work, inner)
        proc.communicate("")  # the writer ends; the kernel drops its lock
    writer = _holder(live)
    try:
        write_atomic_file(tmp_path / "x.txt", lambda p: p.write_text("x", encoding="utf-8"))
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, mine.name, "res", "x.txt"])
        assert (tmp_path / "res" / "a.txt").read_text(encoding="utf-8") == "half"  # put back
        assert (live / "new" / "a.txt").exists()
        assert files.sweep(tmp_path) == []
    finally:
        writer.communicate("")
    assert files.sweep(tmp_path) == [live]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, "res", "x.txt"])


# A writer killed in the middle: it writes a folder (and, with "old", on a system that cannot swap two folders),
# says so, then stops for good (in the callback, or between the two renames that replace an existing folder).
KILLED = """
import os, sys, time
from pathlib import Path
from clusterleap._files import _atomic as files
target, how = Path(sys.argv[1]), sys.argv[2]
def stop():
    print("ready", flush=True)
    time.sleep(600)
def write(d):
    (d / "a.txt").write_text("new", encoding="utf-8")
    if how == "callback":
        stop()
if how == "between":
    files._exchange = lambda a, b: False
    rename = os.rename
    def rename_then_stop(a, b):
        rename(a, b)
        if Path(b).name == "old":
            stop()
    files.os.rename = rename_then_stop
files.write_atomic_dir(target, write, force=True)
"""


@pytest.mark.parametrize("how", ["callback", "between"])
def test_a_killed_writer_leaves_nothing_behind_without_a_next_write(tmp_path: Path, how: str) -> None:
    """SIGKILL a writer mid-write: its watcher removes the work folder (and puts the previous output back where
    the kill came between two renames) with no later write into the folder."""
    out = tmp_path / "out"
    write_atomic_dir(out, lambda d: (d / "a.txt").write_text("old", encoding="utf-8"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(out), how], stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    assert len(list(tmp_path.iterdir())) == (1 if how == "between" else 2)  # a work folder (and out, or not)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 20
    while [p.name for p in tmp_path.iterdir()] != ["out"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out / "a.txt").read_text(encoding="utf-8") == "old"


def test_report_refuses_a_robustness_folder_of_other_inputs(tmp_path: Path) -> None:
    space = tmp_path / "space.yaml"
    space.write_text("factors:\n  - weights: {level: 1, noise: 0.25}\n", encoding="utf-8")
    rob = tmp_path / "rob"
    code, text = cli("robustness", "-f", FW, "-d", DATA, "-s", space, "-n", "16", "--seed", "1",
                     "--no-leave-one-out", "-o", rob)
    assert code == 0, text
    summary = json.loads((rob / "summary.json").read_text(encoding="utf-8"))
    assert summary["data_hash"] == cl.read_data(DATA).hash
    other = tmp_path / "other.yaml"
    other.write_text("normalise: {method: zscore}\n", encoding="utf-8")
    code, text = cli("report", "-f", FW, "-d", DATA, "-r", other, "--robustness", rob, "-o", tmp_path / "r.html")
    assert code == 2
    assert text == (f"error: {rob}/summary.json: the robustness run used another recipe than the report (they differ "
                    "in normalise); rerun clusterleap robustness with the report's recipe")
    data2 = tmp_path / "d.csv"
    data2.write_text((CORPUS / "good.csv").read_text(encoding="utf-8").replace("1.5", "1.6"), encoding="utf-8")
    code, text = cli("report", "-f", FW, "-d", data2, "--robustness", rob, "-o", tmp_path / "r.html")
    assert code == 2 and "the robustness run was made from other data (data hash" in text
    # a stale table beside the run's own (not listed in its summary) is not read
    (rob / "sobol.csv").write_text("factor,S1,S1_conf,ST,ST_conf\nstale,1,0,1,0\n", encoding="utf-8")
    from clusterleap.robustness import Robustness

    assert Robustness.read(rob).sobol is None
    assert not (tmp_path / "r.html").exists()


def test_pdf_scratch_folders_of_dead_runs_are_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_chromium.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(_chromium.tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / "clusterleap-pdf-999999999-x"
    dead.mkdir()
    (dead / "report.html").write_text("<html>", encoding="utf-8")
    alive = tmp_path / f"clusterleap-pdf-{os.getppid()}-y"
    alive.mkdir()
    new = Path(_chromium.scratch_dir("clusterleap-pdf-"))
    assert not dead.exists() and alive.exists() and new.name.startswith(f"clusterleap-pdf-{os.getpid()}-")


def test_no_sandbox_only_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUSTERLEAP_CHROMIUM_NO_SANDBOX", raising=False)
    monkeypatch.setattr(_chromium.os, "geteuid", lambda: 1000)
    assert _chromium.sandbox_flags() == ()
    assert "--no-sandbox" not in _chromium.FLAGS
    monkeypatch.setattr(_chromium.os, "geteuid", lambda: 0)
    assert _chromium.sandbox_flags() == ("--no-sandbox",)
    monkeypatch.setattr(_chromium.os, "geteuid", lambda: 1000)
    monkeypatch.setenv("CLUSTERLEAP_CHROMIUM_NO_SANDBOX", "1")
    assert _chromium.sandbox_flags() == ("--no-sandbox",)


def test_robustness_refuses_a_run_too_large_for_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from clusterleap.robustness import _memory as memory

    monkeypatch.setattr(memory, "memory_available", lambda: 1_000_000_000)
    space = tmp_path / "space.yaml"
    space.write_text("factors:\n  - weights: {level: 1, noise: 0.25}\n", encoding="utf-8")
    # 10,000,000 runs of 3 units x 3 aggregates and 3 uncertain inputs: 8 x (10^7 x (9 + 27) + 2 x 3 x 3 x 7)
    # bytes + 200 MB = 3.08 GB, over 80 % of 1 GB
    code, text = cli("robustness", "-f", FW, "-d", DATA, "-s", space, "-n", "10000000", "-o", tmp_path / "rob")
    assert code == 2
    assert text == ("error: --samples: 10,000,000 runs need about 3.1 GB of memory, more than the limit of 800 MB "
                    "(80 % of the 1.0 GB available); use fewer samples (memory grows with samples x units x nodes)")
    code, text = cli("robustness", "-f", FW, "-d", DATA, "-s", space, "-n", "10000000", "--memory-limit", "2.5",
                     "-o", tmp_path / "rob")
    assert code == 2 and "more than the limit of 2.5 GB (the limit given)" in text
    assert not (tmp_path / "rob").exists()


def test_weights_explain_writes_whole_files(tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    assert cli("weights", "explain", "-f", FW, "-d", DATA, "-o", out)[0] == 0
    first = out.read_bytes()
    code, text = cli("weights", "explain", "-f", FW, "-d", DATA, "-o", out)
    assert code == 2 and "exists (use --force to replace it)" in text and out.read_bytes() == first


def test_non_finite_results_name_node_unit_and_cause() -> None:
    with pytest.raises(cl.DataError, match=r"good.csv: the score of node 'IDX' for unit 'u1' is NaN although its "
                                           r"inputs are numbers \(aggregating its children \(D1=50, D2=50\) "
                                           r"overflowed"):
        cl.evaluate(CORPUS / "fw_weight_huge.yaml", CORPUS / "good.csv")


def test_sheet_option_chooses_the_data_sheet() -> None:
    book = CORPUS / "data_two_sheets.xlsx"
    code, text = cli("check", "-f", FW, "-d", book)
    assert code == 2 and "cannot tell which sheet holds the data (sheets: first, second)" in text
    code, text = cli("check", "-f", FW, "-d", book, "--sheet", "second")
    assert code == 0 and "sheet 'second' fits framework 'mini'" in text
    code, text = cli("check", "-f", FW, "-d", CORPUS / "data_renamed_sheet.xlsx", "--sheet", "indicators")
    assert code == 2 and "sheet 'indicators': holds indicator definitions" in text
