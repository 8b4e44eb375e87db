"""Robustness analyses of stored runs as background jobs.

Three parts, so that the web layer, scripts and the job runner share one set of rules:

- **operations with authorisation** (the caller an :class:`Actor`): analysts and admins start and cancel an analysis
  of a run they see; whoever sees a run sees its finished analyses. A run the caller may not see is
  :class:`NotFound` (as in :mod:`.workspace`), an action the caller's role may not take on what it sees is
  :class:`Forbidden`;
- **the computation** (:func:`compute_robustness`): the run regenerated from its stored data and provenance (the
  data hash is checked), the uncertainty space sampled and propagated with the engine's robustness API, then rank
  intervals, grade probabilities and the messages that explain failed samples. It runs in a child process that the
  server's job runner (``clusterleap.serve.jobs``) starts, so a page never waits for it and a cancel ends it at once;
- **the runner's bookkeeping** (:func:`claim_next`, :func:`set_progress`, :func:`finish`, :func:`recover`...): job
  states ``queued -> running -> done | failed | cancelled | interrupted``. A finished result (the summary, messages,
  provenance and every unit's row) is written in the one transaction that sets ``done``, so nobody ever sees part
  of one; a job that was running when the server stopped (or was killed) is marked ``interrupted`` on the next start.

The method is the Monte Carlo uncertainty analysis of composite indicators (Saisana, Saltelli & Tarantola 2005,
J. R. Stat. Soc. A 168(2); the JRC/OECD Handbook 2008, step 7): each sample re-evaluates the round with one draw of
the contestable choices, and a unit's rank interval is the 5th to 95th percentile of its ranks over the samples.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

import clusterleap as cl

from .._files import read_yaml
from ..analysis import scheme_for
from ..errors import SpaceError
from ..robustness import Problem, Space, grade_shares, propagate
from .accounts import Actor
from .errors import Conflict, Forbidden, Invalid, NotFound
from .models import JOB_STATES, Job, JobUnit, Round, Run, utcnow
from .workspace import audit, get_round, visible_run

__all__ = [
    "ACTIVE", "DEFAULT_SAMPLES", "DEFAULT_SPACE", "KIND", "MAX_ACTIVE", "MAX_SAMPLES", "MIN_SAMPLES", "RUNNER",
    "STATES", "cancel_job", "claim_next", "compute_robustness", "finish", "get_job", "interval_for",
    "job_inputs", "job_units", "jobs_of_round", "mark", "parse_space", "recover", "robustness_child", "set_progress",
    "start_robustness",
]

KIND = "robustness"
STATES = JOB_STATES
ACTIVE = ("queued", "running")
#: Samples of one analysis: enough for stable 5-95 % rank intervals at the low end, a few minutes at the high end.
MIN_SAMPLES, DEFAULT_SAMPLES, MAX_SAMPLES = 20, 500, 20_000
#: Analyses waiting or running at once (they run one after the other; more would only queue up).
MAX_ACTIVE = 5
#: The default uncertainty space: every weight but the root's varies uniformly by ±25 % of its nominal value.
DEFAULT_SPACE: dict[str, Any] = {"name": "weights ±25 %", "factors": [{"weights": {"noise": 0.25}}]}
#: The name the runner writes in the audit log.
RUNNER = "robustness-runner"
QUANTILES = (0.05, 0.95)
#: Keep every sample's scores (needed to say which nodes failed and why) up to this many bytes of scores and ranks.
KEEP_BYTES = 400_000_000


# -- operations with authorisation --------------------------------------------------------------------------------
def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden(f"{actor.username} ({actor.role}) may not run robustness analyses (needs analyst or admin)")


def parse_space(text: str | None) -> dict[str, Any]:
    """The uncertainty space of a YAML text (the layout of docs/robustness.md) as a checked mapping; the default
    space when the text is empty. Errors name the line and the factor."""
    if text is None or not text.strip():
        return Space.from_dict(DEFAULT_SPACE, source="space").to_dict()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "space.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            doc = read_yaml(path, SpaceError)
        except SpaceError as exc:
            raise Invalid(str(exc).replace(str(path), "space"), field="space") from None
    if not isinstance(doc, Mapping):
        raise Invalid("space: expected a mapping with a 'factors' list", field="space")
    try:
        space = Space.from_dict(doc, source="space")
    except SpaceError as exc:
        raise Invalid(str(exc), field="space") from None
    if any(not isinstance(f, dict) or "framework" in f for f in doc.get("factors") or []):
        raise Invalid("space: a framework choice names files on the server; the workspace varies the round's own "
                      "framework only", field="space")
    return space.to_dict()


def start_robustness(db: Session, actor: Actor, run_id: int, samples: int = DEFAULT_SAMPLES, seed: int | None = None,
                     space: str | None = None) -> Job:
    """Queue a robustness analysis of run ``run_id`` (analyst or admin): ``samples`` Monte Carlo samples of the
    uncertainty ``space`` (YAML text; default: :data:`DEFAULT_SPACE`) from ``seed`` (drawn and recorded when
    None)."""
    run = db.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    visible_run(db, actor, run.round_id, run_id)  # NotFound before Forbidden: unseen runs stay unseen
    _require_staff(actor)
    if not MIN_SAMPLES <= samples <= MAX_SAMPLES:
        raise Invalid(f"samples {samples}: expected {MIN_SAMPLES} to {MAX_SAMPLES:,}", field="samples")
    if seed is not None and not 0 <= seed < 2**63:
        raise Invalid(f"seed {seed}: expected a whole number from 0 to 2^63 - 1", field="seed")
    spec = parse_space(space)
    active = db.scalar(select(Job.id).where(Job.kind == KIND, Job.state.in_(ACTIVE)).offset(MAX_ACTIVE - 1)
                       .limit(1))
    if active is not None:
        raise Conflict(f"{MAX_ACTIVE} robustness analyses are already waiting or running: wait for one to end or "
                       "cancel one")
    if seed is None:
        seed = secrets.randbits(63)
    job = Job(kind=KIND, run_id=run_id, state="queued", progress=0.0, message="queued",
              params={"samples": samples, "seed": seed, "space": spec, "space_yaml": space or ""},
              cancel_requested=False, created_by=actor.username)
    db.add(job)
    db.flush()
    audit(db, actor, "robustness.start", "job", job.id, {"run_id": run_id, "samples": samples, "seed": seed,
                                                           "space": spec})
    return job


def get_job(db: Session, actor: Actor, job_id: int) -> Job:
    """A job of a run the actor sees (staff: every job; others: finished jobs of the published run)."""
    job = db.get(Job, job_id)
    if job is None or job.kind != KIND:
        raise NotFound(f"no robustness analysis {job_id}")
    run = db.get_one(Run, job.run_id)
    try:
        visible_run(db, actor, run.round_id, run.id)
    except NotFound:
        raise NotFound(f"no robustness analysis {job_id}") from None
    if not actor.is_staff and job.state != "done":
        raise NotFound(f"no robustness analysis {job_id}")
    return job


def cancel_job(db: Session, actor: Actor, job_id: int) -> Job:
    """Cancel a queued or running job (analyst or admin): a queued one ends at once, a running one when the runner
    next looks (within a second; its child process is stopped and nothing of its result is kept)."""
    job = get_job(db, actor, job_id)  # NotFound before Forbidden
    _require_staff(actor)
    if job.state not in ACTIVE:
        raise Conflict(f"robustness analysis {job_id} is {job.state}: only a queued or running one can be cancelled")
    if job.state == "queued":
        job.state, job.message, job.finished_at = "cancelled", "cancelled", utcnow()
    else:
        job.cancel_requested = True
    job.updated_at = utcnow()
    audit(db, actor, "robustness.cancel", "job", job.id, {"run_id": job.run_id, "state": job.state})
    db.flush()
    return job


def jobs_of_round(db: Session, actor: Actor, round_id: int) -> list[Job]:
    """The round's robustness jobs the actor sees, newest first (staff: all; others: finished jobs of the
    published run)."""
    rnd = get_round(db, actor, round_id)
    q = select(Job).join(Run, Run.id == Job.run_id).where(Run.round_id == round_id, Job.kind == KIND)
    if not actor.is_staff:
        if rnd.state != "published" or rnd.published_run_id is None:
            return []
        q = q.where(Job.run_id == rnd.published_run_id, Job.state == "done")
    return list(db.scalars(q.order_by(Job.id.desc())))


def job_units(db: Session, job: Job) -> dict[str, JobUnit]:
    """Every unit's row of a finished job (empty for any other state)."""
    if job.state != "done":
        return {}
    return {u.unit: u for u in db.scalars(select(JobUnit).where(JobUnit.job_id == job.id))}


def interval_for(db: Session, run_id: int, unit: str) -> tuple[Job, JobUnit] | None:
    """The unit's row of the latest finished robustness job of a run (the caller has checked that the run is
    visible), or None when no analysis of that run has finished."""
    job = db.scalar(select(Job).where(Job.run_id == run_id, Job.kind == KIND, Job.state == "done")
                    .order_by(Job.id.desc()).limit(1))
    if job is None:
        return None
    row = db.get(JobUnit, (job.id, unit))
    return None if row is None else (job, row)


# -- the computation (in the runner's child process) --------------------------------------------------------------
Progress = Callable[[str, int, int], None]


def job_inputs(db: Session, job_id: int) -> dict[str, Any]:
    """What the computation needs, as plain data for the child process: the run's stored data, provenance and the
    round's grading, and the job's parameters."""
    job = db.get_one(Job, job_id)
    run = db.get_one(Run, job.run_id)
    rnd = db.get_one(Round, run.round_id)
    return {"job_id": job.id, "run_id": run.id, "round_id": rnd.id, "data": run.data, "provenance": run.provenance,
            "grading": rnd.grading, **job.params}


def compute_robustness(inputs: Mapping[str, Any], progress: Progress | None = None) -> dict[str, Any]:
    """The analysis of one run: returns the job's result (``summary``, ``messages``, ``provenance``, ``tiers``)
    and ``units`` (per unit: rank intervals by node and grade probabilities). ``progress(phase, done, total)``
    is called as it goes (phases ``preparing``, ``propagating``, ``summarising``)."""
    def tell(phase: str, done: int = 0, total: int = 0) -> None:
        if progress is not None:
            progress(phase, done, total)

    tell("preparing")
    samples, seed = int(inputs["samples"]), int(inputs["seed"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cl.regenerate(inputs["provenance"], cl.read_data(pd.DataFrame(inputs["data"])))
        space = Space.from_dict(inputs["space"], source="space")
        problem = Problem.build(result.framework, result.data, result.recipe, space, result.year)
        scheme = scheme_for(result.recipe, inputs.get("grading"),
                            benchmarks=bool(np.asarray(result.data.benchmark).any()))
        nodes = problem.output_nodes()
        keep = samples * len(problem.units) * len(nodes) * 16 <= KEEP_BYTES
        chunk = max(1, min(-(-samples // 40), 1_000_000 // max(1, len(problem.units) * len(result.framework.order))))
        draws = problem.sample(samples, seed)
        tell("propagating", 0, samples)
        out = propagate(problem, draws, chunk=chunk, seed=seed, keep=keep, grading=scheme,
                        progress=lambda done, total: tell("propagating", done, total))
        tell("summarising", samples, samples)
        intervals = out.rank_intervals(QUANTILES)
        shares = grade_shares(out, scheme)
    root = result.framework.root.code
    lo, hi = (f"rank_p{q * 100:g}" for q in QUANTILES)
    units: dict[str, dict[str, Any]] = {u: {"intervals": {}, "grades": {}} for u in problem.units}
    for row in intervals.to_dict(orient="records"):
        units[str(row["unit"])]["intervals"][str(row["node"])] = {
            "nominal": _num(row["nominal_rank"]), "median": _num(row["median_rank"]), "lo": _num(row[lo]),
            "hi": _num(row[hi]), "shift": _num(row["mean_abs_shift"]), "valid": int(row["n_valid"])}
    tiers = [c for c in shares.columns if c != "nominal"]
    for r in shares.reset_index().to_dict(orient="records"):
        units[str(r["unit"])]["grades"] = {"nominal": str(r["nominal"]), "p": {t: _num(r[t]) for t in tiers}}
    failed = int(out.failed.sum())
    messages = []
    if failed:
        messages.append(out.missing_message() if out.kept else
                        f"{failed} of {out.n} samples left some aggregate without a score (samples not kept, so "
                        "the nodes are not named; use fewer samples to see them)")
    seen: set[str] = set()
    for w in caught:
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            messages.append(text)
    names = {t.code: (t.name_en or t.code, t.name_zh or t.name_en or t.code) for t in scheme.tiers}
    names["ungraded"] = ("ungraded", "未分级")
    return {
        "summary": {"samples": samples, "failed": failed, "seconds": round(out.seconds, 3), "index": root,
                    "nodes": list(nodes), "factors": list(problem.factor_labels), "kept": out.kept},
        "messages": messages,
        "tiers": [{"code": t, "name_en": names.get(t, (t, t))[0], "name_zh": names.get(t, (t, t))[1]} for t in tiers],
        "provenance": {"run_id": inputs["run_id"], "round_id": inputs["round_id"],
                       "data_hash": result.provenance.data_hash,
                       "recipe_hash": result.recipe.hash, "framework": result.framework.name,
                       "framework_hash": result.framework.hash, "year": result.year, "space": space.to_dict(),
                       "samples": samples, "seed": seed, "design": "montecarlo", "quantiles": list(QUANTILES),
                       "grading": scheme.name, "clusterleap": cl.__version__},
        "units": units,
    }


def _num(v: Any) -> float | None:
    x = float(v)
    return x if np.isfinite(x) else None


def robustness_child(conn: Any, inputs: Mapping[str, Any], parent: int) -> None:
    """The child process's work: compute and send ``("done", result)`` or ``("error", message)`` on ``conn``, and
    ``("progress", phase, done, total)`` as it goes. It ends itself when the server that started it is gone (killed:
    then nothing would store its result)."""
    def progress(phase: str, done: int, total: int) -> None:
        if os.getppid() != parent:
            os._exit(3)
        conn.send(("progress", phase, done, total))

    try:
        conn.send(("done", compute_robustness(inputs, progress)))
    except cl.ClusterleapError as exc:
        conn.send(("error", str(exc)))
    except MemoryError:
        conn.send(("error", "the analysis ran out of memory: use fewer samples"))
    except Exception as exc:  # the job fails with the reason; the server goes on
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


# -- the runner's bookkeeping -------------------------------------------------------------------------------------
def recover(db: Session) -> int:
    """On server start: jobs left ``running`` by a server that stopped or was killed become ``interrupted`` (their
    partial work is gone: nothing of it was stored). Returns how many."""
    now = utcnow()
    res = db.execute(update(Job).where(Job.kind == KIND, Job.state == "running").values(
        state="interrupted", message="interrupted", finished_at=now, updated_at=now).returning(Job.id))
    ids = [r[0] for r in res]
    for job_id in ids:
        audit(db, RUNNER, "robustness.interrupted", "job", job_id, {})
    return len(ids)


def claim_next(db: Session) -> int | None:
    """Take the oldest queued job (it becomes ``running``); None when none waits."""
    job_id = db.scalar(select(Job.id).where(Job.kind == KIND, Job.state == "queued").order_by(Job.id).limit(1))
    if job_id is None:
        return None
    now = utcnow()
    res = db.execute(update(Job).where(Job.id == job_id, Job.state == "queued").values(
        state="running", message="preparing", started_at=now, updated_at=now))
    return job_id if isinstance(res, CursorResult) and res.rowcount == 1 else None


def set_progress(db: Session, job_id: int, fraction: float, message: str) -> bool:
    """Record a running job's progress; returns whether a cancel was asked for."""
    db.execute(update(Job).where(Job.id == job_id, Job.state == "running").values(
        progress=max(0.0, min(1.0, fraction)), message=message, updated_at=utcnow()))
    return bool(db.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def mark(db: Session, job_id: int, state: str, message: str) -> None:
    """End a running job as ``cancelled``, ``failed`` or ``interrupted`` with ``message`` (no result is kept)."""
    now = utcnow()
    db.execute(update(Job).where(Job.id == job_id, Job.state == "running").values(
        state=state, message=message, finished_at=now, updated_at=now))
    audit(db, RUNNER, f"robustness.{state}", "job", job_id, {"message": message[:500]})


def finish(db: Session, job_id: int, payload: Mapping[str, Any]) -> str:
    """Store a finished analysis: the result and every unit's row, with ``done``, in the caller's one transaction;
    when a cancel came in meanwhile, nothing is stored and the job is ``cancelled``. Returns the final state."""
    job = db.get_one(Job, job_id, with_for_update=True)
    if job.state != "running":
        return job.state
    if job.cancel_requested:
        mark(db, job_id, "cancelled", "cancelled")
        return "cancelled"
    units = payload["units"]
    db.add_all(JobUnit(job_id=job_id, unit=u, intervals=v["intervals"], grades=v["grades"]) for u, v in units.items())
    now = utcnow()
    job.result = {k: v for k, v in payload.items() if k != "units"}
    job.state, job.progress, job.message, job.finished_at, job.updated_at = "done", 1.0, "done", now, now
    audit(db, RUNNER, "robustness.done", "job", job_id, {"run_id": job.run_id, "units": len(units),
                                                         "failed": payload["summary"]["failed"]})
    db.flush()
    return "done"
