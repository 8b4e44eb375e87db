"""Fault tests: random kills during writes, hostile files under a memory limit, and fuzzing of the readers.

- 100 SIGKILLs at random moments of ``evaluate --out``, ``robustness --out`` and ``report`` leave either the
  complete previous output or the complete new one (the two differ, so a mix would show), and, once the killed
  writer's watcher has run (no later write needed), no temporary entry at all;
- each hostile file of the corpus (alias bombs, deep nesting, a far spreadsheet cell, 100,000 columns) and
  ``robustness -n 2e8`` end in their one-line error with a peak memory under 1 GB, measured in a child process
  under an address-space limit;
- hypothesis fuzzes the data reader, the framework loader and the recipe loader: every failure is a
  ClusterleapError of one line, within a time limit (hypothesis' deadline) and a memory limit per example.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import os
import random
import re
import resource
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clusterleap as cl
from clusterleap.cli import app
from clusterleap.cli.app import err_console
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "corpus"
TMP_TAG = ".clusterleap-"
SPACE = """\
name: kill-test
factors:
  - weights: {level: 1, noise: 0.25}
  - name: normalisation
    choice:
      stage: normalise
      options: [{method: minmax, lo: 1, hi: 100}, {method: zscore, mean: 10, sd: 2}]
"""
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork, rlimits and renameat2 are Linux's")


def _child(args: list[str]) -> None:
    """Run the command line with its output thrown away, and exit with its code."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    code = 0
    try:
        code = int(app(args, standalone_mode=False) or 0)
    except SystemExit as exc:
        code = int(exc.code or 0)
    except BaseException:
        code = 3
    os._exit(code)


def _processes() -> multiprocessing.context.ForkServerContext:
    """Children forked from a fresh single-threaded server that has imported clusterleap once: cheap to start, and
    safe (forking the test process itself, whose other threads may hold locks, can deadlock a child)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["clusterleap.cli", "tests.test_faults"])
    return ctx


def _run(args: list[str], kill_after: float | None = None) -> int | None:
    """Run ``args`` in a child; SIGKILL it after ``kill_after`` seconds. The exit code, or None if killed."""
    proc = _processes().Process(target=_child, args=(args,))
    proc.start()
    proc.join(kill_after)
    if proc.exitcode is None:
        proc.kill()
        proc.join()
    code = proc.exitcode
    return None if code == -signal.SIGKILL else code


def _snapshot(path: Path) -> dict[str, bytes]:
    """Every file of an output (a folder or one file) and its bytes; the time of the run left out."""
    if not path.exists():
        return {}
    if path.is_file():
        return {path.name: _timeless(path.read_bytes())}
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(path))] = _timeless(p.read_bytes())
    return out


def _timeless(data: bytes) -> bytes:
    """Bytes with the time of the run (timestamps, seconds taken) masked: they differ between identical runs."""
    data = re.sub(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\+00:00| UTC)?", b"<time>", data)
    return re.sub(rb'"seconds": [0-9.e+-]+', b'"seconds": 0', data)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TMP_TAG in p.name)


def _settled(folder: Path, seconds: float = 30.0) -> list[str]:
    """The temporary entries in ``folder`` once a killed writer's watcher has removed its work folder (it does so
    within milliseconds of the kill; the wait only absorbs a loaded machine)."""
    deadline = time.monotonic() + seconds
    while _leftovers(folder) and time.monotonic() < deadline:
        time.sleep(0.02)
    return _leftovers(folder)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("kill-inputs")
    (d / "space.yaml").write_text(SPACE, encoding="utf-8")
    (d / "a.yaml").write_text("normalise: {method: minmax, lo: 0, hi: 100}\n", encoding="utf-8")
    (d / "b.yaml").write_text("normalise: {method: minmax, lo: 0, hi: 10}\n", encoding="utf-8")
    return {"space": d / "space.yaml", "a": d / "a.yaml", "b": d / "b.yaml"}


def _commands(inputs: dict[str, Path], out: Path) -> dict[str, Callable[[str], list[str]]]:
    fw, data = str(CORPUS / "mini.yaml"), str(CORPUS / "good.csv")
    return {
        "evaluate": lambda r: ["evaluate", "-f", fw, "-d", data, "-r", str(inputs[r]), "-o", str(out / "eval"),
                               "--force"],
        "robustness": lambda r: ["robustness", "-f", fw, "-d", data, "-s", str(inputs["space"]), "-r",
                                 str(inputs[r]), "-n", "64", "--seed", "1", "--no-leave-one-out", "-o",
                                 str(out / "rob"), "--force"],
        "report": lambda r: ["report", "-f", fw, "-d", data, "-r", str(inputs[r]), "-o", str(out / "r.html"),
                             "--title", f"recipe {r}", "--force"],
    }


def test_random_kills_leave_the_old_or_the_new_output_whole(inputs: dict[str, Path], tmp_path: Path) -> None:
    rng = random.Random(20261204)
    out = tmp_path / "out"
    out.mkdir()
    commands = _commands(inputs, out)
    targets = {"evaluate": out / "eval", "robustness": out / "rob", "report": out / "r.html"}
    kills = {"evaluate": 55, "robustness": 30, "report": 15}  # the report is the slowest to make
    total = 0
    for name, make in commands.items():
        target = targets[name]
        complete = {}
        seconds = 0.0
        for r in ("a", "b"):
            start = time.monotonic()
            assert _run(make(r)) == 0, name
            seconds = max(seconds, time.monotonic() - start)
            complete[r] = _snapshot(target)
        assert complete["a"] != complete["b"], f"{name}: the two outputs must differ for a mix to show"
        current = "b"
        for _ in range(kills[name]):
            new = "a" if current == "b" else "b"
            code = _run(make(new), kill_after=rng.uniform(0.0, 1.1 * seconds))
            total += 1
            # a kill cannot clean up after itself, but its watcher does: nothing is left, before any later write
            assert _settled(out) == [], f"{name}: a kill left {_leftovers(out)}"
            got = _snapshot(target)
            assert got in (complete["a"], complete["b"]), f"{name}: a kill left a mixed or partial output"
            if code == 0:
                assert got == complete[new]
            current = new if got == complete[new] else current
        assert _run(make("a")) == 0
        assert _snapshot(target) == complete["a"]
        assert _leftovers(out) == [], f"{name}: temporary files left after a complete write"
    assert total == 100


# -- memory of hostile files ------------------------------------------------------------------------------------
MEMORY_LIMIT = 1 << 30  # what a hostile file may make clusterleap hold
ADDRESS_LIMIT = 4 << 30  # the hard stop (address space, which counts more than resident memory)


@contextlib.contextmanager
def _address_limit(extra: int) -> Iterator[None]:
    """Lower this process' soft address-space limit to its current size plus ``extra`` bytes, then restore it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm", encoding="ascii") as fh:
        size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _measured(name: str, tmp: str, out: multiprocessing.connection.Connection) -> None:
    """In a child: run hostile job ``name`` under the address-space limit; send its outcome and peak memory."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, resource.getrlimit(resource.RLIMIT_AS)[1]))
    job, _ = _hostile(Path(tmp), write=False)[name]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            job()
        text = "ok"
    except cl.ClusterleapError as exc:
        text = str(exc)
    except BaseException as exc:
        text = f"!{type(exc).__name__}: {exc}"
    out.send((text, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
    out.close()


def _peak(name: str, tmp: Path) -> tuple[str, int]:
    """Run hostile job ``name`` in a child process under an address-space limit: its outcome ('ok' or the error
    message) and its peak resident memory in bytes."""
    ctx = _processes()
    here, there = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_measured, args=(name, str(tmp), there))
    proc.start()
    there.close()
    got: tuple[str, int] = here.recv() if here.poll(300) else ("!no answer in 300 s", 0)
    proc.join(60)
    return got


def _hostile(tmp: Path, write: bool = True) -> dict[str, tuple[Callable[[], object], str]]:
    wide = tmp / "wide.csv"
    space = tmp / "space.yaml"
    if write:
        wide.write_text(",".join(["unit", *(f"x{i}" for i in range(100_000))]) + "\n" + "u1" + ",1" * 100_000
                        + "\n", encoding="utf-8")
        space.write_text(SPACE, encoding="utf-8")
    fw, data = CORPUS / "mini.yaml", CORPUS / "good.csv"

    def cli(*args: object) -> Callable[[], object]:
        def job() -> None:
            with err_console.capture() as cap:
                code = app([str(a) for a in args], standalone_mode=False)
            if code:
                raise cl.ClusterleapError(f"exit {code}: {cap.get().strip()}")

        return job

    jobs: dict[str, tuple[Callable[[], object], str]] = {
        "100,000 columns": (lambda: cl.read_data(wide), "100,001 columns is more than the limit of 16,384"),
        "robustness -n 2e8": (cli("robustness", "-f", fw, "-d", data, "-s", space, "-n", "200000000", "-o",
                                  tmp / "rob"),
                              "exit 2: error: --samples: 200,000,000 runs is more than the limit of 20,000,000"),
    }
    for name in ("fw_billion_laughs.yaml", "fw_deep_nesting.yaml", "fw_recursive_alias.yaml"):
        jobs[name] = (lambda p=CORPUS / name: cl.load_framework(p), "")
    for name in ("recipe_billion_laughs.yaml", "recipe_deep_nesting.yaml"):
        jobs[name] = (lambda p=CORPUS / name: cl.evaluate(fw, data, p), "")
    for name in ("data_far_cell.xlsx", "data_too_many_columns.csv", "data_huge_values.csv"):
        jobs[name] = (lambda p=CORPUS / name: cl.evaluate(fw, p), "")
    for name in ("space_billion_laughs.yaml", "grading_billion_laughs.yaml", "judge_billion_laughs.yaml"):
        jobs[name] = (lambda p=CORPUS / name: _load_any(p), "")
    return jobs


def _load_any(path: Path) -> object:
    from clusterleap.grading import load_scheme
    from clusterleap.io import read_judgements
    from clusterleap.robustness import Space

    if path.name.startswith("space_"):
        return Space.from_yaml(path)
    if path.name.startswith("grading_"):
        return load_scheme(path)
    return read_judgements(path)


def test_hostile_files_stay_under_a_gigabyte(tmp_path: Path) -> None:
    from tests.test_errors_corpus import CASES

    for name, (_, expected) in _hostile(tmp_path).items():
        outcome, peak = _peak(name, tmp_path)
        assert not outcome.startswith("!"), f"{name}: {outcome}"
        want = expected or CASES[name][1]
        assert outcome != "ok" and (expected in outcome if expected else re.search(want, outcome)), (name, outcome)
        assert peak < MEMORY_LIMIT, f"{name}: peak memory {peak / 1e6:.0f} MB"


# -- fuzzing ----------------------------------------------------------------------------------------------------
FUZZ = settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow], derandomize=True)
CELLS = st.one_of(
    st.sampled_from(["", "NA", "-", "1.5", "-2e3", "1e308", "-1e308", "inf", "nan", "12,5%", "2023", "20233",
                     "是", "否", "TRUE", "=1+1", "@x", '"q"', "u1", "u2", "east", "2023-01-01"]),
    st.text(max_size=8),
)
COLUMNS = st.sampled_from(["unit", "name", "year", "benchmark", "region", "a", "b", "c", "pop", "indicator",
                           "value", "", "a", "Unit", "val"])


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.lists(COLUMNS, min_size=1, max_size=9))
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 2), max_size=8))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(sep.join(r) for r in [header, *rows]) + draw(st.sampled_from(["", end, end * 2]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030", "latin-1"]))
    if draw(st.booleans()) and len(text) > 3:
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.text(max_size=4)) + text[i + 1:]
    return text.encode(encoding, errors="replace")


def _one_line_or_ok(job: Callable[[], object]) -> None:
    with _address_limit(MEMORY_LIMIT), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            job()
        except cl.ClusterleapError as exc:
            message = str(exc)
            assert message and "\n" not in message.strip(), message
            assert "Traceback" not in message and "datetime.datetime" not in message, message


@FUZZ
@given(raw=csv_bytes())
def test_fuzz_data_reader(raw: bytes, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(raw)
    _one_line_or_ok(lambda: cl.evaluate(CORPUS / "mini.yaml", path))


MINI = (CORPUS / "mini.yaml").read_text(encoding="utf-8")
YAML_BITS = st.sampled_from(["&a ", "*a", "<<: *a", "{", "}", "[", "]", ": ", "- ", "\n", "  ", "NO", "yes", "2e0",
                             ".inf", ".nan", "~", "'", '"', "\t", "code: x", "children: []", "weight: -1", "&b [*b]"])


@st.composite
def yaml_text(draw: st.DrawFn, base: str) -> str:
    text = base
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 6))
        text = text[:i] + draw(st.one_of(YAML_BITS, st.text(max_size=5))) + text[i + cut:]
    return text


@FUZZ
@given(text=yaml_text(MINI))
def test_fuzz_framework_loader(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fw.yaml"
    path.write_text(text, encoding="utf-8", errors="replace")
    _one_line_or_ok(lambda: cl.load_framework(path))


RECIPE = yaml.safe_dump({"normalise": {"method": "minmax", "lo": 0, "hi": 100},
                         "aggregate": {"method": "arithmetic"}, "impute": {"method": "none"}})


@FUZZ
@given(text=yaml_text(RECIPE))
def test_fuzz_recipe_loader(text: str, tmp_path: Path) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8", errors="replace")
    _one_line_or_ok(lambda: cl.evaluate(CORPUS / "mini.yaml", CORPUS / "good.csv", path))
