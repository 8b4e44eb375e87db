"""The work of ``clusterleap template`` and ``clusterleap check``: what to collect, and how well the data cover it.

Loaded when one of those commands runs (pandas and the engine), never for ``--help``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
from rich.table import Table
from rich.text import Text

from .._api import as_dataset, as_recipe, evaluate
from .._files import check_target, write_atomic_file
from .._framework import Framework
from .._pipeline import screen
from .._recipe import Plan, Step
from .._result import ILLUSTRATIVE_NOTICE, Result
from .._tables import write_csv
from ..analysis._grades import scheme_for
from ..errors import ClusterleapError
from ..io._framework_files import load_framework
from ..stages._arrays import sample_moments
from ._data import read_data_opt
from ._words import fmt as _fmt
from .app import console
from .coherence import print_coherence
from .options import Layout


def indicator_sheet(fw: Framework) -> pd.DataFrame:
    """One row per indicator: what to collect and how."""
    rows = []
    for c in fw.indicators:
        n = fw.by_code[c]
        rows.append({
            "code": c, "name_en": n.name_en, "name_zh": n.name_zh, "unit": n.unit,
            "direction": "higher is better" if n.direction > 0 else "lower is better",
            "definition": n.definition, "source": n.source, "denominator": n.denominator or "",
            "target": n.target if n.target is not None else "", "parent": n.parent or "",
        })
    return pd.DataFrame(rows)


def data_columns(fw: Framework) -> list[str]:
    denominators = sorted({d for c in fw.indicators if (d := fw.by_code[c].denominator)} - set(fw.indicators))
    return ["unit", "name", "sector", "region", "benchmark", "year", *fw.indicators, *denominators]


def write_template(fw: Framework, out: Path, fmt: str, force: bool = False) -> list[Path]:
    """Write a data-collection template: a units x indicators sheet and a sheet of indicator definitions (a CSV
    template is two files: both targets are checked before either is written)."""
    data = pd.DataFrame(columns=data_columns(fw))
    info = indicator_sheet(fw)
    if fmt == "xlsx":
        from ..io._template import write_template_xlsx  # heavy: openpyxl, for an xlsx template only

        write_atomic_file(out, lambda tmp: write_template_xlsx(fw, list(data.columns), info, tmp), force=force)
        return [out]
    info_path = out.with_name(f"{out.stem}-indicators.csv")
    for path in (out, info_path):
        check_target(path, folder=False, force=force)
    write_atomic_file(out, lambda tmp: write_csv(data, tmp, index=False), force=force)
    write_atomic_file(info_path, lambda tmp: write_csv(info, tmp, index=False), force=force)
    return [out, info_path]


def run_template(framework: str, out: Path, fmt: str | None, force: bool) -> None:
    """``clusterleap template``: write the template and say what it holds."""
    fw = load_framework(framework)
    kind = fmt or ("csv" if out.suffix.lower() == ".csv" else "xlsx")
    written = write_template(fw, out, kind, force)
    console.print(f"wrote {', '.join(str(p) for p in written)}: {len(fw.indicators)} indicators of {fw.name!r}")


def quality(result: Result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage of the raw data per indicator and per unit, and skewness and kurtosis of the values the outlier
    treatment sees (after denomination and transform), flagged as COINr's rule would (|skew| >= 2, kurtosis >=
    3.5)."""
    raw = result.stage("raw")
    present = raw.notna()
    skew, kurt, _ = sample_moments(result.stage("transformed").to_numpy()[None], axis=-2)
    per_ind = pd.DataFrame({
        "coverage": present.mean(axis=0), "missing": (~present).sum(axis=0), "skewness": skew[0],
        "kurtosis": kurt[0],
    })
    per_ind.index.name = "indicator"
    per_ind["outlier_flag"] = (per_ind["skewness"].abs() >= 2) & (per_ind["kurtosis"] >= 3.5)
    per_unit = pd.DataFrame({"name": list(result.data.names), "coverage": present.mean(axis=1),
                             "missing": (~present).sum(axis=1)}, index=raw.index)
    return per_ind, per_unit



def run_check(framework: str, data: Path, year: int | None, coherence: bool, recipe: Path | None,
              sheet: str | None, layout: Layout, unit_column: str | None, name_column: str | None,
              exclude: list[str] | None) -> None:
    """``clusterleap check``: fit, coverage, outlier flags and (with ``coherence``) statistical coherence."""
    fw = load_framework(framework)
    ds = as_dataset(read_data_opt(data, sheet, layout, unit_column, name_column, exclude))
    yr = ds.years[ds.year_index(year)]
    rc = as_recipe(recipe)
    # every unit is evaluated, so that coverage is shown even for units the recipe's screen would remove
    result = evaluate(fw, ds, replace(rc, screen=Plan(Step("none"))), yr)  # checks the data against the framework
    per_ind, _ = quality(result)
    cov = result.coverage.copy()
    cov["screened_out"] = ~screen(fw, ds, rc, [yr]).kept[0]
    k = len(fw.indicators)
    carried = int((per_ind.coverage > 0).sum())
    thin = carried < k / 2 or float(cov.coverage.mean()) < 0.5
    console.print(Text.assemble(("thin data" if thin else "ok", "bold red" if thin else "green"), ": "), end="")
    console.print(f"{ds.source} fits framework {fw.name!r}: {len(ds.units)} units, "
                  f"{k} indicators, years {ds.years[0]}-{ds.years[-1]} (checked {yr})")
    if ds.illustrative:
        console.print(ILLUSTRATIVE_NOTICE, style="yellow")
    overall = float(per_ind.coverage.mean())
    console.print(f"coverage {overall:.1%}; {int(per_ind.missing.sum())} missing values; {carried} of {k} "
                  f"indicators carry data", style="bold red" if thin else None)
    if thin:
        console.print(f"most of framework {fw.name!r} is empty in this data: scores would rest on {carried} "
                      f"indicator(s); grades need data on {_share_rule(result)} of the indicators", style="bold red")
    n_out = int(cov["screened_out"].sum())
    if n_out:
        console.print(f"{n_out} of {len(ds.units)} units fail the recipe's screening rule "
                      f"({rc.screen.default.method}) and would be neither ranked nor graded", style="bold red")
    console.print(dimension_coverage_table(result))
    table = Table(title="Indicators with missing values or outlier flags")
    for col in ("indicator", "coverage", "missing", "skewness", "kurtosis", "flag"):
        table.add_column(col)
    shown = per_ind[(per_ind.missing > 0) | per_ind.outlier_flag]
    for code, row in shown.iterrows():
        table.add_row(str(code), f"{row['coverage']:.1%}", str(int(row["missing"])), _fmt(row["skewness"]),
                      _fmt(row["kurtosis"]), "skew/kurtosis" if row["outlier_flag"] else "")
    if len(shown):
        console.print(table)
    low = cov[cov.coverage < 0.9]
    if len(low):
        ut = Table(title="Units with less than 90 % coverage")
        for col in ("unit", "name", "indicators", "coverage", "status"):
            ut.add_column(col)
        for code, row in low.sort_values("coverage").iterrows():
            status = "screened out" if row.screened_out else ""
            ut.add_row(str(code), str(row["name"]), f"{int(row.indicators_with_data)} of {k}",
                       f"{row.coverage:.1%}", status)
        console.print(ut)
    if coherence:
        print_coherence(result, console)


def _share_rule(result: Result) -> str:
    """The coverage the grading scheme asks for, in words."""
    try:
        rule = scheme_for(result.recipe).min_coverage
    except ClusterleapError:
        rule = None
    return f"at least {rule:.0%}" if rule else "a share set by the grading scheme"


def dimension_coverage_table(result: Result) -> Table:
    """Coverage per dimension: the mean share of its indicators with data, and how many units have none."""
    fw = result.framework
    t = Table(title=f"Coverage by dimension, {result.year}")
    for col in ("dimension", "indicators", "mean coverage", "units without data"):
        t.add_column(col, justify="left" if col == "dimension" else "right")
    for d, row in result.dimension_coverage.iterrows():
        t.add_row(f"{d} {fw.by_code[str(d)].label('en')}", str(int(row["indicators"])),
                  f"{row['mean_coverage']:.0%}", str(int(row["units_without_data"])))
    return t

