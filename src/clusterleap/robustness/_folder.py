"""The robustness folder: the tables ``clusterleap robustness --out DIR`` writes, and reads back for a report.

One module owns the folder's format, its writer (:func:`write_folder`) and its reader (:meth:`Robustness.read`):
``rank_intervals.csv`` (required), ``design.csv``, ``sobol.csv``, ``sobol_units.csv``, ``grade_probabilities.csv``,
``compare_recipes.csv``, ``leave_one_out.csv`` and ``summary.json``, which lists the files the run wrote (a table left
from an earlier run is not read) and says what the run was made from (framework, year, recipe, data hash), so
that a report refuses tables of other data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._files import write_atomic_dir
from .._result import Result, write_illustrative_notice
from .._tables import write_csv
from ..errors import ReportError
from ._samples import Samples

__all__ = ["RANK_INTERVAL_COLUMNS", "Robustness", "load_robustness", "write_folder"]

#: Columns ``clusterleap robustness`` writes to rank_intervals.csv that a report needs.
RANK_INTERVAL_COLUMNS = ("node", "unit", "nominal_rank", "median_rank")


def write_folder(out: Path, tables: Mapping[str, pd.DataFrame], summary: Mapping[str, Any], *, illustrative: bool,
                 force: bool = False) -> None:
    """Write ``tables`` (``name -> table``, as CSV) and ``summary.json`` (with the list of files written) into
    ``out``, all or nothing: the folder is replaced as a whole (with ``force``), so no table of an earlier run
    survives beside the new ones. Tables made from illustrative data get the notice beside them."""
    content = {**summary, "files": [*sorted(f"{name}.csv" for name in tables), "summary.json"]}

    def write(d: Path) -> None:
        for name, df in tables.items():
            write_csv(df, d / f"{name}.csv", index=False, float_format="%.10g")
        (d / "summary.json").write_text(json.dumps(content, ensure_ascii=False, indent=2, default=str),
                                        encoding="utf-8")
        if illustrative:
            write_illustrative_notice(d)

    write_atomic_dir(out, write, force=force)


@dataclass(frozen=True, eq=False)
class Robustness:
    """The tables of an uncertainty and sensitivity analysis, as ``clusterleap robustness --out DIR`` writes them:
    ``rank_intervals`` (required), ``sobol``, ``sobol_units``, ``leave_one_out``, ``design``,
    ``grade_probabilities`` (per unit: ``nominal`` grade and one share column per grade) and ``summary``."""

    rank_intervals: pd.DataFrame
    sobol: pd.DataFrame | None = None
    sobol_units: pd.DataFrame | None = None
    leave_one_out: pd.DataFrame | None = None
    design: pd.DataFrame | None = None
    grade_probabilities: pd.DataFrame | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)
    source: str = "robustness"

    @property
    def quantiles(self) -> tuple[str, str]:
        """The lower and upper rank-quantile columns, e.g. ``('rank_p5', 'rank_p95')``."""
        cols = sorted((c for c in self.rank_intervals.columns if str(c).startswith("rank_p")),
                      key=lambda c: float(str(c)[6:]))
        return str(cols[0]), str(cols[-1])

    @property
    def percent(self) -> tuple[str, str]:
        lo, hi = self.quantiles
        return lo[6:], hi[6:]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by name."""
        out = {"rank_intervals": self.rank_intervals}
        for name in ("sobol", "sobol_units", "leave_one_out", "design", "grade_probabilities"):
            df = getattr(self, name)
            if df is not None:
                out[name] = df
        return out

    @classmethod
    def read(cls, directory: str | Path) -> Robustness:
        """The tables of ``directory`` (the ``--out`` folder of ``clusterleap robustness``)."""
        d = Path(directory)
        if not d.is_dir():
            raise ReportError(f"{d}: no such folder (make it with: clusterleap robustness ... --out {d})")
        path = d / "rank_intervals.csv"
        if not path.is_file():
            raise ReportError(f"{d}: no rank_intervals.csv (make the folder with: clusterleap robustness ... "
                              f"--out {d})")

        listed: set[str] | None = None

        def read(name: str, index: str | None = None) -> pd.DataFrame | None:
            p = d / f"{name}.csv"
            if not p.is_file() or (listed is not None and p.name not in listed):
                return None  # a table the run did not write (left from an earlier run) is not its own
            try:
                df = pd.read_csv(p, dtype={"unit": str, "node": str, "removed": str})
            except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise ReportError(f"{p}: not a readable CSV table ({exc})") from None
            if index is not None and index in df.columns:
                df = df.set_index(index)
            return df

        summary: dict[str, Any] = {}
        sp = d / "summary.json"
        if sp.is_file():
            try:
                summary = json.loads(sp.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ReportError(f"{sp}: not valid JSON ({exc})") from None
            if not isinstance(summary, dict):
                raise ReportError(f"{sp}: expected a JSON object")
            files = summary.get("files")
            if isinstance(files, list):
                listed = {str(f) for f in files}
        ri = read("rank_intervals")
        assert ri is not None
        rob = cls(ri, read("sobol"), read("sobol_units"), read("leave_one_out"), read("design"),
                  read("grade_probabilities", "unit"), summary, str(d))
        rob._check_columns()
        return rob

    @classmethod
    def from_samples(cls, samples: Samples, leave_one_out: pd.DataFrame | None = None) -> Robustness:
        """The tables of an uncertainty analysis run in Python (Sobol' indices when its design is Saltelli's)."""
        sobol = samples.sobol("index") if samples.design == "saltelli" else None
        rob = cls(samples.rank_intervals(), sobol, None, leave_one_out, samples.design_table().reset_index(),
                  None, samples.summary(), "uncertainty analysis")
        rob._check_columns()
        return rob

    def _check_columns(self) -> None:
        missing = [c for c in RANK_INTERVAL_COLUMNS if c not in self.rank_intervals.columns]
        if not any(str(c).startswith("rank_p") for c in self.rank_intervals.columns):
            missing.append("rank_p<lower>, rank_p<upper>")
        if missing:
            raise ReportError(f"{self.source}/rank_intervals.csv: missing column(s) {', '.join(missing)} (expected "
                              "the table clusterleap robustness writes)")
        if self.sobol is not None:
            gone = [c for c in ("factor", "S1", "ST") if c not in self.sobol.columns]
            if gone:
                raise ReportError(f"{self.source}/sobol.csv: missing column(s) {', '.join(gone)}")
        if self.leave_one_out is not None:
            gone = [c for c in ("removed", "unit", "shift") if c not in self.leave_one_out.columns]
            if gone:
                raise ReportError(f"{self.source}/leave_one_out.csv: missing column(s) {', '.join(gone)}")

    def check(self, result: Result) -> None:
        """Refuse tables of another framework, year or set of clusters than the result's."""
        where = f"{self.source}/summary.json"
        fw_name = self.summary.get("framework")
        if fw_name is not None and str(fw_name) != result.framework.name:
            raise ReportError(f"{where}: the robustness run is of framework {fw_name!r}, the report of "
                              f"{result.framework.name!r}")
        year = self.summary.get("year")
        if year is not None and int(year) != int(result.year):
            raise ReportError(f"{where}: the robustness run is for {year}, the report for {result.year} "
                              "(use --year or rerun the robustness analysis)")
        data_hash = self.summary.get("data_hash")
        if data_hash is not None and str(data_hash) != result.data.hash:
            raise ReportError(f"{where}: the robustness run was made from other data (data hash "
                              f"{str(data_hash)[:12]}, the report's {result.data.hash[:12]}); rerun clusterleap "
                              "robustness on the report's data")
        recipe = self.summary.get("recipe")
        if recipe is not None:  # both as JSON has them (level keys become text), the recipe's name aside
            recipe = {k: v for k, v in json.loads(json.dumps(recipe, default=str)).items() if k != "name"}
        mine = {k: v for k, v in json.loads(json.dumps(result.recipe.to_dict(), default=str)).items() if k != "name"}
        if recipe is not None and recipe != mine:
            keys = sorted(k for k in set(recipe) | set(mine) if recipe.get(k) != mine.get(k)) if isinstance(
                recipe, dict) else []
            differ = f" (they differ in {', '.join(keys)})" if keys else ""
            raise ReportError(f"{where}: the robustness run used another recipe than the report{differ}; rerun "
                              "clusterleap robustness with the report's recipe")
        root = result.framework.root.code
        ri = self.rank_intervals
        rows = ri[ri["node"].astype(str) == root]
        where = f"{self.source}/rank_intervals.csv"
        if rows.empty:
            raise ReportError(f"{where}: no rows for the index node {root!r} of framework "
                              f"{result.framework.name!r}")
        have, want = set(rows["unit"].astype(str)), set(result.units)
        if have != want:
            extra, lost = sorted(have - want), sorted(want - have)
            what = (f"unit {extra[0]!r} is not in the report's data" if extra
                    else f"unit {lost[0]!r} of the report's data is missing")
            raise ReportError(f"{where}: {what} (the robustness run must use the same data)")


def load_robustness(spec: Robustness | Samples | str | Path | None) -> Robustness | None:
    """Robustness tables from themselves, a folder written by ``clusterleap robustness`` or a Samples object."""
    if spec is None or isinstance(spec, Robustness):
        return spec
    if isinstance(spec, str | Path):
        return Robustness.read(spec)
    if isinstance(spec, Samples):
        return Robustness.from_samples(spec)
    raise ReportError(f"robustness: expected a folder, Robustness or Samples, got {type(spec).__name__}")
