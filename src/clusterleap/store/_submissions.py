"""Submissions: the form generated from a round's framework, the engine's checks of entered or uploaded values,
versions (draft -> submitted -> returned -> accepted) and review (see :mod:`clusterleap.store.workspace`)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import clusterleap as cl

from .._files import read_yaml
from .._registry import close_match
from ..io._framework_files import builtin_dir
from ._objects import META_COLUMNS, _require, audit, framework_of, get_round
from .accounts import Actor
from .errors import Conflict, Forbidden, Invalid, NotFound
from .models import (
    Cluster,
    FrameworkVersion,
    Round,
    Submission,
)


# -- submissions --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One input of a submission form, from the framework: code, names, unit, definition, hard bounds and the
    plausible range seen in the previous round."""

    code: str
    name_en: str
    name_zh: str
    unit: str
    definition: str
    lo: float | None
    hi: float | None
    plausible: tuple[float, float] | None
    denominator_of: tuple[str, ...] = ()
    group_en: str = ""
    group_zh: str = ""
    #: (floor, world-class level) of the indicator's goalposts, in the unit entered (not for denominated or
    #: transformed indicators, whose goalposts are in other units): a scale for the value when no earlier round
    #: gives a plausible range
    reference: tuple[float, float] | None = None

    def label(self, lang: str) -> str:
        first, second = (self.name_zh, self.name_en) if lang == "zh" else (self.name_en, self.name_zh)
        return first or second or self.code


_RANGE = re.compile(r"(?:score|index)\s+(-?[\d,.]+)\s*-\s*(-?[\d,.]+)")


def _bounds(unit: str) -> tuple[float | None, float | None]:
    """Hard bounds a unit implies: a share in per cent lies in 0-100, a 'score 0-100' in 0-100."""
    u = unit.strip().lower()
    if u.startswith("%"):
        return 0.0, 100.0
    m = _RANGE.search(u)
    if m:
        return float(m.group(1).replace(",", "")), float(m.group(2).replace(",", ""))
    return None, None


def form_fields(db: Session, rnd: Round) -> list[Field]:
    """The inputs of the round's submission form: every indicator of its framework, then the denominators."""
    fw = framework_of(db.get_one(FrameworkVersion, rnd.framework_id))
    seen = _previous_values(db, rnd)
    out = []
    denominators: dict[str, list[str]] = {}
    top = set(fw.children[fw.root.code])
    for code in fw.indicators:
        n = fw[code]
        lo, hi = _bounds(n.unit)
        dim = next((fw[a] for a in fw.ancestors(code) if a in top), None)
        out.append(Field(code, n.name_en, n.name_zh, n.unit, n.definition, lo, hi, seen.get(code),
                         group_en=dim.name_en if dim else "", group_zh=dim.name_zh if dim else "",
                         reference=_reference(n)))
        if n.denominator:
            denominators.setdefault(n.denominator, []).append(code)
    pool = _pool()
    for code, users in denominators.items():
        if code in fw:
            continue
        d = pool.get(code, {})  # a denominator defined in the built-in indicator pool keeps its names and unit
        out.append(Field(code, str(d.get("name_en") or code.replace("_", " ").capitalize()), str(d.get("name_zh", "")),
                         str(d.get("unit", "")), str(d.get("definition", "")).strip(), None, None, seen.get(code),
                         tuple(users), "Denominators", "分母"))
    return out


def _reference(n: cl.Node) -> tuple[float, float] | None:
    if n.goalposts is None or n.denominator or n.transform:
        return None
    lo, hi = n.goalposts.lo, n.goalposts.hi
    return (lo, hi) if n.direction > 0 else (hi, lo)


_POOL: dict[str, Mapping[str, Any]] = {}


def _pool() -> dict[str, Mapping[str, Any]]:
    """The definitions of the built-in indicator pool (frameworks/pool.yaml), read once."""
    if not _POOL:
        doc = read_yaml(builtin_dir() / "pool.yaml", cl.FrameworkError) or {}
        _POOL.update({str(k): v for k, v in (doc.get("indicators") or {}).items() if isinstance(v, Mapping)})
    return _POOL


def _previous_values(db: Session, rnd: Round) -> dict[str, tuple[float, float]]:
    """Per variable, the range of accepted values of the latest earlier round on the same framework name."""
    fw_name = db.get_one(FrameworkVersion, rnd.framework_id).name
    prev = db.scalar(select(Round).join(FrameworkVersion, FrameworkVersion.id == Round.framework_id)
                     .where(FrameworkVersion.name == fw_name, Round.year < rnd.year)
                     .order_by(Round.year.desc()).limit(1))
    if prev is None:
        return {}
    vals: dict[str, list[float]] = {}
    for sub in current_submissions(db, prev.id).values():
        if sub.state != "accepted":
            continue
        for k, v in sub.values.items():
            if isinstance(v, int | float) and math.isfinite(v):
                vals.setdefault(k, []).append(float(v))
    return {k: (min(v), max(v)) for k, v in vals.items() if v}


def current_submissions(db: Session, round_id: int, units: Iterable[str] | None = None) -> dict[str, Submission]:
    """The current (highest) version of every cluster's submission in a round."""
    latest = (select(Submission.unit, func.max(Submission.version).label("v"))
              .where(Submission.round_id == round_id).group_by(Submission.unit).subquery())
    q = select(Submission).join(latest, (Submission.unit == latest.c.unit) & (Submission.version == latest.c.v)) \
        .where(Submission.round_id == round_id)
    if units is not None:
        q = q.where(Submission.unit.in_(list(units)))
    return {s.unit: s for s in db.scalars(q.order_by(Submission.unit))}


def _may_see_unit(actor: Actor, unit: str) -> bool:
    return actor.is_staff or (actor.role == "contributor" and unit in actor.clusters)


def get_submission(db: Session, actor: Actor, round_id: int, unit: str) -> Submission | None:
    """The current submission of ``unit`` (None when nothing is entered yet); NotFound for a unit the actor may
    not see, exactly as for one that does not exist."""
    get_round(db, actor, round_id)
    if not _may_see_unit(actor, unit) or db.get(Cluster, unit) is None:
        raise NotFound(f"no submission of {unit} in round {round_id}")
    return current_submissions(db, round_id, [unit]).get(unit)


def submission_history(db: Session, actor: Actor, round_id: int, unit: str) -> list[Submission]:
    get_submission(db, actor, round_id, unit)
    return list(db.scalars(select(Submission).where(Submission.round_id == round_id, Submission.unit == unit)
                           .order_by(Submission.version)))


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    return str(v).strip()


def validate_values(fields: Sequence[Field], raw: Mapping[str, Any], unit: Cluster, year: int,
                    framework: cl.Framework) -> tuple[dict[str, float | None], dict[str, str], dict[str, str]]:
    """Check one cluster's values with the engine's reader: returns (values, errors by field, warnings by field).

    The values go through ``clusterleap.read_data`` as one row of a data file, then ``Dataset.check_against`` the
    framework; each error the engine raises names a column, is recorded at that field, and the check repeats with
    the field blanked until none is left. Then hard bounds (shares 0-100) are errors and values outside the
    previous round's range are warnings."""
    codes = [f.code for f in fields]
    unknown = sorted(set(raw) - set(codes))
    errors: dict[str, str] = {k: f"{k!r} is not an input of this form" for k in unknown}
    cells = {c: _text(raw.get(c)) for c in codes}
    place = f"{unit.code} {year}"
    values: dict[str, float | None] = {}
    for _ in range(len(codes) + 1):
        row: dict[str, Any] = {"unit": unit.code, "name": unit.name or unit.code, "year": year,
                               "benchmark": "yes" if unit.benchmark else "no"}
        row.update({c: (None if c in errors else (cells[c] or None)) for c in codes})
        # a second, all-numeric row keeps every column numeric, so that a bad cell is reported as such (a column
        # of nothing but text would be read as a label column instead)
        probe = {**row, "unit": f"{unit.code}~probe", "name": "probe", **{c: "0" for c in codes}}
        frame = pd.DataFrame([row, probe], dtype=object)
        try:
            ds = replace(cl.read_data(frame), source=place)
            ds.check_against(framework)
        except cl.DataError as exc:
            msg = str(exc)
            m = re.search(r'column "([^"]+)"', msg)
            if m is None or m.group(1) not in codes or m.group(1) in errors:
                raise Invalid(msg) from None
            errors[m.group(1)] = msg.split(": ", 1)[1] if ": " in msg else msg
            continue
        col = {v: i for i, v in enumerate(ds.variables)}
        ui = ds.units.index(unit.code)
        for c in codes:
            x = float(ds.values[0, ui, col[c]]) if c in col else math.nan
            values[c] = None if (c in errors or math.isnan(x)) else x
        break
    warnings: dict[str, str] = {}
    for f in fields:
        v = values.get(f.code)
        if v is None or f.code in errors:
            continue
        if (f.lo is not None and v < f.lo) or (f.hi is not None and v > f.hi):
            errors[f.code] = f"{v:g} is outside {f.lo:g} to {f.hi:g} (expected a value in {f.unit!r})"
        elif f.plausible is not None:
            lo, hi = f.plausible
            span = hi - lo
            if v < lo - 0.5 * span or v > hi + 0.5 * span:
                warnings[f.code] = (f"{v:g} is far outside last round's values ({lo:g} to {hi:g}): please check "
                                    "the unit and the decimal point")
    return values, errors, warnings


def save_submission(db: Session, actor: Actor, round_id: int, unit: str, raw: Mapping[str, Any],
                    submit: bool = False) -> tuple[Submission, dict[str, str]]:
    """Save the values a contributor entered as a new draft version (or submit them with ``submit``). Raises
    Invalid with the errors by field when a value fails a check (nothing is saved then); returns the new version and
    the warnings by field."""
    current = get_submission(db, actor, round_id, unit)
    if actor.role != "contributor" and actor.role != "admin":
        raise Forbidden(f"{actor.username} ({actor.role}) may not enter data (contributors enter their clusters')")
    rnd = get_round(db, actor, round_id)
    if rnd.state != "collecting":
        raise Conflict(f"round {round_id} is {rnd.state}: it no longer takes data")
    if current is not None and current.state in ("submitted", "accepted"):
        raise Conflict(f"the submission of {unit} is {current.state}: it can change only when returned")
    fields = form_fields(db, rnd)
    fw = framework_of(db.get_one(FrameworkVersion, rnd.framework_id))
    values, errors, warnings = validate_values(fields, raw, db.get_one(Cluster, unit), rnd.year, fw)
    if errors:
        raise Invalid(f"{len(errors)} value(s) of {unit} need correcting", fields=errors)
    if submit:
        missing = [f.code for f in fields if values.get(f.code) is None]
        if len(missing) == len(fields):
            raise Invalid("nothing to submit: every value is empty", fields={c: "empty" for c in missing[:1]})
    row = Submission(round_id=round_id, unit=unit, version=(current.version + 1) if current else 1,
                     state="submitted" if submit else "draft", values=values, comment="",
                     created_by=actor.username)
    db.add(row)
    db.flush()
    audit(db, actor, "submission.submit" if submit else "submission.save", "submission", f"{round_id}/{unit}",
          {"version": row.version, "warnings": warnings})
    return row, warnings


def upload_submissions(db: Session, actor: Actor, round_id: int, path: Path, submit: bool = False
                       ) -> list[Submission]:
    """Data of many clusters from one file (the data template: CSV, Excel or Parquet, read by the engine), all or
    nothing: each cluster's row becomes a new version as :func:`save_submission` makes it. Errors name the file's
    row and column (the engine's), the cluster that may not be entered, or a column that is neither an input of
    the round nor a column of the template (a misspelt input would otherwise lose its values unseen). A round
    that no longer takes data refuses the whole file with one Conflict."""
    rnd = get_round(db, actor, round_id)
    if rnd.state != "collecting":  # one answer for the whole file, not one per cluster
        raise Conflict(f"round {round_id} is {rnd.state}: it no longer takes data")
    try:  # messages name the file as the user sent it, not the temporary copy
        ds = replace(cl.read_data(path), source=path.name)
    except cl.DataError as exc:
        raise Invalid(str(exc).replace(str(path), path.name), field="file") from None
    if rnd.year not in ds.years and len(ds.years) > 1:
        raise Invalid(f"{path.name}: no rows for {rnd.year}, the year of this round (years present: "
                      f"{', '.join(map(str, ds.years))})", field="file")
    yi = ds.years.index(rnd.year) if rnd.year in ds.years else 0
    codes = [f.code for f in form_fields(db, rnd)]
    rows: list[Submission] = []
    problems: dict[str, str] = _unknown_columns(path, codes)
    for ui, unit in enumerate(ds.units):
        if not _may_see_unit(actor, unit) or db.get(Cluster, unit) is None:
            problems[unit] = f"{ds.place(yi, ui, codes[0]).split(',')[0]}: {unit!r} is not a cluster you may " \
                             "enter data for"
            continue
        raw: dict[str, Any] = {}
        for c in codes:
            if c in ds.text and (yi * len(ds.units) + ui) in ds.text[c]:
                raw[c] = ds.text[c][yi * len(ds.units) + ui]
            elif c in ds.variables:
                x = float(ds.values[yi, ui, ds.variables.index(c)])
                raw[c] = None if math.isnan(x) else repr(x)
        try:
            row, _ = save_submission(db, actor, round_id, unit, raw, submit=submit)
        except Invalid as exc:
            # each problem at its cell of the file (row and column), as well as its cluster and field
            problems.update({f"{unit}.{k}": f"{ds.place(yi, ui, k)}: {v}" if k in ds.variables else v
                             for k, v in exc.fields.items()} or {unit: str(exc)})
            continue
        except Conflict as exc:
            problems[unit] = str(exc)
            continue
        rows.append(row)
    if problems:
        raise Invalid(f"{path.name}: {len(problems)} problem(s); nothing was saved", fields=problems)
    return rows


def _column_letter(i: int) -> str:
    """Excel's name of the column at 0-based position ``i`` (A, ..., Z, AA, ...)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _header(path: Path) -> list[str]:
    """The column names of a data file, in order (the first sheet of a workbook, as the engine reads it)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        frame = pd.read_excel(path, nrows=0)
    elif suffix == ".parquet":
        frame = pd.read_parquet(path).iloc[:0]
    else:
        frame = pd.read_csv(path, nrows=0)
    return [str(c) for c in frame.columns]


def _unknown_columns(path: Path, codes: Sequence[str]) -> dict[str, str]:
    """A problem for every column that is neither an input of the round, a column of the data template, the
    engine's ``illustrative`` flag nor an indicator of the built-in pool (a data file made for ``clusterleap
    evaluate`` carries those; they are ignored), at its header cell, with the input it may be a misspelling of (key
    ``*.<column>``: it concerns every cluster)."""
    known = set(codes) | set(META_COLUMNS) | {"illustrative"} | set(_pool())
    out = {}
    for i, name in enumerate(_header(path)):
        if name in known:
            continue
        cell = f"cell {_column_letter(i)}1" if path.suffix.lower() == ".xlsx" else f"line 1, column {i + 1}"
        close = close_match(name, codes)  # a close input's name only, not the list of every input
        hint = f' (did you mean "{close}"?)' if close is not None else ""
        out[f"*.{name}"] = (f'{path.name} {cell} "{name}": not an input of this round nor a column of the data '
                            f"template{hint}; remove the column or correct its name")
    return out


def review_submission(db: Session, actor: Actor, round_id: int, unit: str, decision: str,
                      comment: str = "") -> Submission:
    """Accept a submitted version, or return it with a comment (analyst or admin); a new version records it."""
    current = get_submission(db, actor, round_id, unit)  # NotFound before Forbidden: other clusters stay unseen
    _require(actor, "admin", "analyst")
    if current is None or current.state != "submitted":
        raise Conflict(f"the submission of {unit} is {current.state if current else 'not entered'}: only a "
                       "submitted one can be reviewed")
    if decision not in ("accept", "return"):
        raise Invalid(f"decision {decision!r}: expected accept or return", field="decision")
    if decision == "return" and not comment.strip():
        raise Invalid("say what needs changing: a returned submission needs a comment", field="comment")
    row = Submission(round_id=round_id, unit=unit, version=current.version + 1,
                     state="accepted" if decision == "accept" else "returned", values=dict(current.values),
                     comment=comment.strip(), created_by=actor.username)
    db.add(row)
    db.flush()
    audit(db, actor, f"submission.{decision}", "submission", f"{round_id}/{unit}",
          {"version": row.version, "comment": row.comment})
    return row
