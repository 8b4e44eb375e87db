"""Evaluation runs: the engine run on a round's accepted submissions, stored whole in one transaction, and what
the pages read from a stored run (see :mod:`clusterleap.store.workspace`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

import clusterleap as cl

from ._objects import _require, audit, framework_of, get_round, list_rounds, recipe_of
from ._submissions import Field, current_submissions, form_fields
from .accounts import Actor
from .errors import Conflict, NotFound
from .models import (
    Cluster,
    FrameworkVersion,
    RecipeVersion,
    Round,
    Run,
    RunUnit,
    Submission,
)
from .profiles import all_profiles


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
    gap_reference_zh = analytics.gaps.describe("zh")
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
        p["benchmark_zh"] = gap_reference_zh if p.get("benchmark") else ""
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
