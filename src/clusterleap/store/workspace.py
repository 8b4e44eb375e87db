"""Workspace operations: frameworks, recipes, clusters, rounds, submissions, evaluation runs and the audit log.

Every operation takes the :class:`Actor` asking and enforces authorisation itself, so the web pages, the JSON API
and scripts share one set of rules:

- admins do everything; analysts everything but accounts, frameworks and rounds;
- contributors see rounds that collect data or are published, their own clusters' submissions (another cluster's
  is :class:`NotFound`, never Forbidden, so its existence is not disclosed) and published results;
- viewers see published rounds and their results only.

Versioned objects are appended, never updated: a submission change is a new row with the next version (states
draft -> submitted -> returned (with a comment) -> ... -> accepted), an evaluation is a new run. The data of a
submission is checked by the engine's own reader (``clusterleap.read_data`` and ``Dataset.check_against``), whose
messages are shown at the field they name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

import clusterleap as cl

from .._files import read_yaml
from ..io._framework_files import builtin_dir
from .accounts import Actor
from .errors import Conflict, Forbidden, Invalid, NotFound
from .models import (
    AuditEntry,
    Cluster,
    FrameworkVersion,
    RecipeVersion,
    Round,
    Run,
    RunUnit,
    Submission,
    utcnow,
)
from .profiles import all_profiles

__all__ = [
    "Field", "add_framework", "add_recipe", "audit", "audit_log", "cluster_history", "cluster_view", "create_round",
    "current_submissions", "evaluate_round", "form_fields", "framework_of", "get_round", "get_submission",
    "list_rounds", "publish_round", "ranking", "recipe_of", "review_submission", "run_result", "save_submission",
    "submission_history", "upload_submissions", "upsert_cluster", "validate_values", "visible_run",
]

META_COLUMNS = ("unit", "name", "name_zh", "year", "sector", "region", "province", "benchmark")


# -- helpers ------------------------------------------------------------------------------------------------------
def audit(db: Session, actor: Actor | str, action: str, object_type: str, object_id: object,
          detail: Mapping[str, Any] | None = None) -> None:
    """Append one entry to the audit log (in the caller's transaction, so it commits with the change)."""
    name = actor if isinstance(actor, str) else actor.username
    db.add(AuditEntry(username=name, action=action, object_type=object_type, object_id=str(object_id),
                      detail=dict(detail or {})))


def _require(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"{actor.username} ({actor.role}) may not do this (needs {' or '.join(roles)})")


_FRAMEWORKS: dict[tuple[str, int, str], cl.Framework] = {}


def framework_of(row: FrameworkVersion) -> cl.Framework:
    """The engine's framework from a stored version (the inverse of ``Framework.to_dict``). Versions never change,
    so each is built (and validated) once per process."""
    key = (row.name, row.version, row.hash)
    cached = _FRAMEWORKS.get(key)
    if cached is None:
        cached = _FRAMEWORKS[key] = _build_framework(row)
    return cached


def _build_framework(row: FrameworkVersion) -> cl.Framework:
    d = row.content
    nodes = []
    for raw in d["nodes"]:
        fields = {"parent": None, **raw}
        gp = fields.pop("goalposts", None)
        nodes.append(cl.Node(**fields, goalposts=cl.Goalposts(**gp) if gp else None))
    return cl.Framework(name=d["name"], nodes=tuple(nodes), name_en=d.get("name_en", ""),
                        name_zh=d.get("name_zh", ""), description=d.get("description", ""),
                        level_names=tuple(d.get("level_names", ())), source=f"{d['name']} v{row.version}")


def recipe_of(row: RecipeVersion) -> cl.Recipe:
    return cl.Recipe.from_dict(row.content, source=f"recipe {row.name} v{row.version}")


# -- frameworks and recipes ---------------------------------------------------------------------------------------
def add_framework(db: Session, actor: Actor, fw: cl.Framework, origin: str = "") -> FrameworkVersion:
    """Store ``fw`` as the next version of its name (admin); the same content as the latest version adds none."""
    _require(actor, "admin")
    latest = db.scalar(select(FrameworkVersion).where(FrameworkVersion.name == fw.name)
                       .order_by(FrameworkVersion.version.desc()).limit(1))
    if latest is not None and latest.hash == fw.hash:
        return latest
    row = FrameworkVersion(name=fw.name, version=(latest.version + 1) if latest else 1, title_en=fw.name_en,
                           title_zh=fw.name_zh, content=fw.to_dict(), hash=fw.hash, origin=origin,
                           created_by=actor.username)
    db.add(row)
    db.flush()
    audit(db, actor, "framework.add", "framework", row.id, {"name": row.name, "version": row.version,
                                                              "origin": origin})
    return row


def add_recipe(db: Session, actor: Actor, recipe: cl.Recipe, name: str) -> RecipeVersion:
    """Store ``recipe`` as the next version of ``name`` (analyst or admin)."""
    _require(actor, "admin", "analyst")
    latest = db.scalar(select(RecipeVersion).where(RecipeVersion.name == name)
                       .order_by(RecipeVersion.version.desc()).limit(1))
    if latest is not None and latest.hash == recipe.hash:
        return latest
    row = RecipeVersion(name=name, version=(latest.version + 1) if latest else 1, content=recipe.to_dict(),
                        hash=recipe.hash, created_by=actor.username)
    db.add(row)
    db.flush()
    audit(db, actor, "recipe.add", "recipe", row.id, {"name": name, "version": row.version})
    return row


def upsert_cluster(db: Session, actor: Actor, code: str, **meta: Any) -> Cluster:
    _require(actor, "admin")
    row = db.get(Cluster, code)
    if row is None:
        row = Cluster(code=code, **meta)
        db.add(row)
        audit(db, actor, "cluster.add", "cluster", code, meta)
    else:
        for k, v in meta.items():
            setattr(row, k, v)
        audit(db, actor, "cluster.update", "cluster", code, meta)
    db.flush()
    return row


# -- rounds -------------------------------------------------------------------------------------------------------
def create_round(db: Session, actor: Actor, year: int, framework_id: int, recipe_id: int, title: str = "",
                 grading: Mapping[str, Any] | None = None) -> Round:
    _require(actor, "admin")
    if db.get(FrameworkVersion, framework_id) is None:
        raise Invalid(f"framework version {framework_id} does not exist", field="framework_id")
    if db.get(RecipeVersion, recipe_id) is None:
        raise Invalid(f"recipe version {recipe_id} does not exist", field="recipe_id")
    if grading is not None:
        try:
            cl.GradingScheme.from_dict(grading)
        except cl.ClusterleapError as exc:
            raise Invalid(str(exc), field="grading") from None
    row = Round(year=year, title=title or f"Evaluation round {year}", framework_id=framework_id,
                recipe_id=recipe_id, grading=dict(grading) if grading else None, created_by=actor.username)
    db.add(row)
    db.flush()
    audit(db, actor, "round.create", "round", row.id, {"year": year, "framework_id": framework_id,
                                                       "recipe_id": recipe_id})
    return row


def _round_visible(actor: Actor, rnd: Round) -> bool:
    if actor.is_staff:
        return True
    if actor.role == "contributor":
        return True
    return rnd.state == "published"


def list_rounds(db: Session, actor: Actor) -> list[Round]:
    rows = db.scalars(select(Round).order_by(Round.year.desc(), Round.id.desc()))
    return [r for r in rows if _round_visible(actor, r)]


def get_round(db: Session, actor: Actor, round_id: int) -> Round:
    rnd = db.get(Round, round_id)
    if rnd is None or not _round_visible(actor, rnd):
        raise NotFound(f"no round {round_id}")
    return rnd


def publish_round(db: Session, actor: Actor, round_id: int, run_id: int | None = None) -> Round:
    """Publish a round with one of its runs (the latest by default); published results are seen by everyone."""
    rnd = get_round(db, actor, round_id)  # NotFound before Forbidden: unseen rounds stay unseen
    _require(actor, "admin", "analyst")
    if run_id is None:
        run_id = db.scalar(select(func.max(Run.id)).where(Run.round_id == round_id))
        if run_id is None:
            raise Conflict(f"round {round_id} has no evaluation run to publish (evaluate it first)")
    run = db.get(Run, run_id)
    if run is None or run.round_id != round_id:
        raise NotFound(f"no run {run_id} in round {round_id}")
    rnd.state, rnd.published_run_id, rnd.published_at = "published", run.id, utcnow()
    audit(db, actor, "round.publish", "round", round_id, {"run_id": run.id})
    db.flush()
    return rnd


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
    row and column (the engine's), or the cluster that may not be entered."""
    rnd = get_round(db, actor, round_id)
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
    problems: dict[str, str] = {}
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


# -- evaluation runs ----------------------------------------------------------------------------------------------
def _frame(db: Session, rnd: Round, subs: Sequence[Submission], fields: Sequence[Field]) -> pd.DataFrame:
    clusters = {c.code: c for c in db.scalars(select(Cluster).where(Cluster.code.in_([s.unit for s in subs])))}
    illustrative = all(c.illustrative for c in clusters.values())
    rows = []
    for s in subs:
        c = clusters[s.unit]
        row: dict[str, Any] = {"unit": c.code, "name": c.name or c.code, "name_zh": c.name_zh or None,
                               "year": rnd.year, "sector": c.sector or None, "region": c.region or None,
                               "province": c.province or None, "benchmark": "yes" if c.benchmark else "no"}
        if illustrative:
            row["illustrative"] = "yes"
        row.update({f.code: s.values.get(f.code) for f in fields})
        rows.append(row)
    frame = pd.DataFrame(rows)
    for f in fields:
        frame[f.code] = pd.to_numeric(frame[f.code], errors="coerce").astype(float)
    return frame


def _clean(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]


def evaluate_round(db: Session, actor: Actor, round_id: int) -> Run:
    """Evaluate a round on its accepted submissions (analyst or admin): a new run with the data it read, the
    result's provenance and every unit's summary and profile, written in one transaction."""
    rnd = get_round(db, actor, round_id)  # NotFound before Forbidden
    _require(actor, "admin", "analyst")
    subs = [s for s in current_submissions(db, round_id).values() if s.state == "accepted"]
    if len(subs) < 2:
        raise Conflict(f"round {round_id} has {len(subs)} accepted submission(s): at least 2 are needed")
    fields = form_fields(db, rnd)
    frame = _frame(db, rnd, subs, fields)
    fw = framework_of(db.get_one(FrameworkVersion, rnd.framework_id))
    recipe = recipe_of(db.get_one(RecipeVersion, rnd.recipe_id))
    result = cl.evaluate(fw, cl.read_data(frame), recipe)
    with threadpool_limits(1):  # k-means with one thread: spinning OpenMP threads stall a busy server
        analytics = cl.analyse(result, scheme=rnd.grading)
    run = Run(round_id=round_id, created_by=actor.username, data_hash=result.provenance.data_hash,
              provenance=result.provenance.to_dict(), data=_records(frame), submission_ids=[s.id for s in subs],
              notes=list(analytics.notes), n_units=len(result.units))
    db.add(run)
    db.flush()
    root = fw.root.code
    dims = list(fw.children[root])
    bench = np.asarray(result.data.benchmark, dtype=bool)
    meta = frame.set_index("unit")
    grades, types = analytics.grades, analytics.types
    # every profile at once, reading each analytics table once (per-unit profiles made this quadratic and slow)
    profiles = all_profiles(analytics)
    bench_median = _benchmark_median(result, dims, bench)
    dim_scores = _records(result.scores[dims].reset_index(drop=True))
    rows = []
    for pos, code in enumerate(result.ranking(root).index):
        code = str(code)
        i = result.units.index(code)
        p = profiles.get(code) or _profile(analytics, result, code)
        m = meta.loc[code]
        summary = {
            "unit": code, "name": str(m["name"]), "name_zh": _clean(m["name_zh"]) or "",
            "sector": _clean(m["sector"]) or "", "region": _clean(m["region"]) or "",
            "benchmark": bool(bench[i]), "score": p["score"], "rank": p["rank"],
            "dimensions": dim_scores[i],
            "grade": str(grades.loc[code, "grade"]), "grade_zh": str(grades.loc[code, "grade_zh"]),
            "type": str(types.loc[code, "type_name"]), "type_zh": str(types.loc[code, "type_name_zh"]),
        }
        p["reason"] = str(grades.loc[code, "reason"])
        p["reason_zh"] = str(grades.loc[code, "reason_zh"])
        p["benchmark_profile"] = bench_median
        rows.append({"run_id": run.id, "unit": code, "position": pos, "benchmark": bool(bench[i]),
                     "summary": {k: _clean(v) if not isinstance(v, dict) else v for k, v in summary.items()},
                     "profile": _jsonable(p)})
    db.execute(insert(RunUnit), rows)  # one statement for every unit
    audit(db, actor, "run.create", "run", run.id, {"round_id": round_id, "units": len(result.units),
                                                   "data_hash": run.data_hash})
    db.flush()
    return run


def _profile(analytics: Any, result: cl.Result, code: str) -> dict[str, Any]:
    """The unit's profile as a dict; a unit without an index (too many missing values) gets its scores only."""
    score = result.scores.loc[code, result.framework.root.code]
    if isinstance(score, float) and math.isfinite(score):
        out: dict[str, Any] = analytics.profile(code).to_dict()
        return out
    return {"unit": code, "name": result.data.names[result.units.index(code)], "year": result.year,
            "index": result.framework.root.code, "score": None, "rank": None, "n_units": len(result.units),
            "illustrative": result.illustrative, "benchmark": "",
            "scores": {str(k): _clean(v) for k, v in result.scores.loc[code].items()},
            "ranks": {str(k): _clean(v) for k, v in result.ranks.loc[code].items()},
            "grade": {}, "type": {}, "strengths": [], "short_boards": [], "gaps": [], "obstacles": {},
            "gains": {}, "actions": []}


def _benchmark_median(result: cl.Result, dims: Sequence[str], bench: np.ndarray) -> dict[str, float | None]:
    if not bench.any():
        return {}
    scores = result.scores.loc[list(np.asarray(result.units)[bench]), list(dims)]
    return {d: _clean(float(np.nanmedian(scores[d].to_numpy(dtype=float)))) for d in dims}


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return _clean(v)


def visible_run(db: Session, actor: Actor, round_id: int, run_id: int | None = None) -> Run:
    """The run whose results the actor may see: any run for staff, the published run for everyone else."""
    rnd = get_round(db, actor, round_id)
    if not actor.is_staff:
        if rnd.state != "published" or rnd.published_run_id is None or run_id not in (None, rnd.published_run_id):
            raise NotFound(f"round {round_id} has no published results")
        return db.get_one(Run, rnd.published_run_id)
    if run_id is None:
        run_id = rnd.published_run_id or db.scalar(select(func.max(Run.id)).where(Run.round_id == round_id))
    run = db.get(Run, run_id) if run_id is not None else None
    if run is None or run.round_id != round_id:
        raise NotFound(f"round {round_id} has no evaluation run yet")
    return run


def ranking(db: Session, actor: Actor, round_id: int, run_id: int | None = None) -> tuple[Run, list[dict[str, Any]]]:
    run = visible_run(db, actor, round_id, run_id)
    rows = db.scalars(select(RunUnit.summary).where(RunUnit.run_id == run.id).order_by(RunUnit.position))
    return run, list(rows)


def cluster_view(db: Session, actor: Actor, round_id: int, unit: str) -> tuple[Run, dict[str, Any]]:
    run = visible_run(db, actor, round_id)
    row = db.get(RunUnit, (run.id, unit))
    if row is None:
        raise NotFound(f"no cluster {unit} in round {round_id}")
    return run, {**row.profile, "summary": row.summary}


def cluster_history(db: Session, actor: Actor, unit: str) -> list[dict[str, Any]]:
    """The unit's index, rank and grade in every round whose results the actor may see (published rounds; staff
    also see the latest run of unpublished ones)."""
    out = []
    for rnd in sorted(list_rounds(db, actor), key=lambda r: r.year):
        try:
            run = visible_run(db, actor, rnd.id)
        except NotFound:
            continue
        s = db.scalar(select(RunUnit.summary).where(RunUnit.run_id == run.id, RunUnit.unit == unit))
        if s is not None:  # the summary only: a profile is much larger and not needed here
            out.append({"round_id": rnd.id, "year": rnd.year, "score": s["score"], "rank": s["rank"],
                        "n_units": run.n_units, "grade": s["grade"], "grade_zh": s["grade_zh"],
                        "published": rnd.state == "published"})
    return out


def run_result(db: Session, actor: Actor, run_id: int) -> tuple[Run, cl.Result]:
    """The engine's result of a stored run, regenerated from its provenance and data (checked by hash)."""
    run = db.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    visible_run(db, actor, run.round_id, run_id)
    ds = cl.read_data(pd.DataFrame(run.data))
    return run, cl.regenerate(run.provenance, ds)


def audit_log(db: Session, actor: Actor, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    _require(actor, "admin", "analyst")
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)))
