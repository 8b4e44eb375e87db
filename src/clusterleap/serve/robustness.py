"""Robustness analyses in the workspace: the JSON API (start, follow, cancel, read) and the page of a round's
analyses. The work itself runs in the background (:mod:`clusterleap.serve.jobs`); the page follows a running job by
polling ``GET /api/jobs/{id}`` from its static script (``static/jobs.js``; no inline scripts)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from ..store import jobs as sj
from ..store import workspace as ws
from ..store.errors import Conflict, NotFound
from ..store.models import FrameworkVersion, Job, JobState, RecipeVersion, Run, job_state
from .auth import MAX_ID, ActorDep, CallerDep, DbDep, Id
from .render import lang_of, render

__all__ = ["api_router", "cluster_interval", "page_router"]

api_router = APIRouter(prefix="/api", tags=["robustness"])
page_router = APIRouter(include_in_schema=False)


class Problem(BaseModel):
    detail: str
    fields: dict[str, str] = Field(default_factory=dict)


ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": Problem} for s in (401, 403, 404, 409, 422)}


class RobustnessIn(BaseModel):
    samples: int = Field(sj.DEFAULT_SAMPLES, ge=sj.MIN_SAMPLES, le=sj.MAX_SAMPLES,
                         description="Monte Carlo samples of the uncertainty space")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="random seed (drawn and recorded when absent)")
    space: str | None = Field(None, max_length=100_000, description="the uncertainty space as YAML (the layout of "
                              "docs/robustness.md); default: every weight but the root's varies by ±25 %")


class Tier(BaseModel):
    code: str
    name_en: str
    name_zh: str


class JobResult(BaseModel):
    summary: dict[str, Any]
    messages: list[str]
    tiers: list[Tier]
    provenance: dict[str, Any]


class JobOut(BaseModel):
    id: int
    run_id: int
    round_id: int
    state: JobState
    progress: float = Field(description="0 to 1")
    phase: str = Field(description="queued, preparing, propagating, summarising, or the final state; the "
                                   "reason when failed")
    samples: int
    seed: int
    space: dict[str, Any]
    cancel_requested: bool
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: JobResult | None


class Interval(BaseModel):
    nominal: float | None
    median: float | None
    lo: float | None = Field(description="5th percentile of the rank")
    hi: float | None = Field(description="95th percentile of the rank")
    shift: float | None = Field(description="mean absolute shift from the nominal rank")
    valid: int = Field(description="samples with a score")


class Grades(BaseModel):
    nominal: str
    p: dict[str, float | None] = Field(description="probability of each grade (tier code; 'ungraded')")


class JobUnitOut(BaseModel):
    unit: str
    intervals: dict[str, Interval]
    grades: Grades


def job_out(job: Job, round_id: int) -> JobOut:
    p = job.params
    return JobOut(id=job.id, run_id=job.run_id, round_id=round_id, state=job_state(job.state),
                  progress=job.progress, phase=job.message, samples=int(p["samples"]), seed=int(p["seed"]),
                  space=p["space"], cancel_requested=job.cancel_requested, created_by=job.created_by,
                  created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
                  result=JobResult(**job.result) if job.state == "done" and job.result else None)


def _round_of(session: Any, job: Job) -> int:
    return int(session.get_one(Run, job.run_id).round_id)


def _wake(request: Request) -> None:
    runner = getattr(request.app.state, "jobs", None)
    if runner is not None:
        runner.wake()


# -- API ----------------------------------------------------------------------------------------------------------
@api_router.post("/runs/{run_id}/robustness", response_model=JobOut, status_code=201, responses=ERRORS)
def start(request: Request, run_id: Id, body: RobustnessIn, actor: ActorDep, session: DbDep,
          after: BackgroundTasks) -> JobOut:
    """Start a robustness analysis of a stored run (analyst or admin): it is queued and runs in the background;
    follow it with ``GET /api/jobs/{id}``."""
    job = sj.start_robustness(session, actor, run_id, body.samples, body.seed, body.space)
    after.add_task(_wake, request)  # after the response, so after the request's transaction committed
    return job_out(job, _round_of(session, job))


@api_router.get("/rounds/{round_id}/robustness", response_model=list[JobOut], responses=ERRORS)
def round_jobs(round_id: Id, actor: ActorDep, session: DbDep) -> list[JobOut]:
    """The round's robustness analyses, newest first (analysts and admins: all; others: the finished analyses of
    the published run)."""
    return [job_out(j, round_id) for j in sj.jobs_of_round(session, actor, round_id)]


@api_router.get("/jobs/{job_id}", response_model=JobOut, responses=ERRORS)
def get_job(job_id: Id, actor: ActorDep, session: DbDep) -> JobOut:
    """A robustness analysis: its state and progress, and when done its summary, messages and provenance."""
    job = sj.get_job(session, actor, job_id)
    return job_out(job, _round_of(session, job))


@api_router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=ERRORS)
def cancel(request: Request, job_id: Id, actor: ActorDep, session: DbDep, after: BackgroundTasks) -> JobOut:
    """Cancel a queued or running analysis (analyst or admin); nothing of its result is kept."""
    job = sj.cancel_job(session, actor, job_id)
    after.add_task(_wake, request)
    return job_out(job, _round_of(session, job))


@api_router.get("/jobs/{job_id}/units", response_model=list[JobUnitOut], responses=ERRORS)
def units(job_id: Id, actor: ActorDep, session: DbDep) -> list[JobUnitOut]:
    """Every unit's rank intervals (by node) and grade probabilities of a finished analysis."""
    job = sj.get_job(session, actor, job_id)
    if job.state != "done":
        raise Conflict(f"robustness analysis {job_id} is {job.state}: results exist only when it is done")
    return [JobUnitOut.model_validate({"unit": u.unit, "intervals": u.intervals, "grades": u.grades})
            for u in sorted(sj.job_units(session, job).values(), key=lambda u: u.unit)]


def cluster_interval(session: Any, run_id: int, unit: str) -> dict[str, Any] | None:
    """The index rank interval and grade probabilities of ``unit`` from the latest finished analysis of the run
    (which the caller has checked the actor sees), for the cluster page and its API."""
    found = sj.interval_for(session, run_id, unit)
    if found is None:
        return None
    job, row = found
    index = (job.result or {}).get("summary", {}).get("index")
    return {"job_id": job.id, "samples": job.params["samples"], "finished_at": job.finished_at.isoformat()
            if job.finished_at else None, "index": index, "interval": row.intervals.get(index),
            "grades": row.grades, "tiers": (job.result or {}).get("tiers", [])}


# -- page ---------------------------------------------------------------------------------------------------------
@page_router.get("/rounds/{round_id}/robustness")
def robustness_page(request: Request, round_id: Id, c: CallerDep, session: DbDep,
                    job: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                    run: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    """The round's analyses: a form to start one (staff), the running ones with their progress and a cancel
    button, and the results of the chosen (else the latest finished) analysis."""
    if c.actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    rnd = ws.get_round(session, c.actor, round_id)
    jobs = sj.jobs_of_round(session, c.actor, round_id)
    runs = list(session.scalars(select(Run).where(Run.round_id == round_id).order_by(Run.id.desc()))) \
        if c.actor.is_staff else []
    chosen = next((j for j in jobs if j.id == job), None) if job is not None else \
        next((j for j in jobs if j.state == "done"), None)
    if job is not None and chosen is None:
        raise NotFound(f"no robustness analysis {job} in round {round_id}")
    fw_row = session.get_one(FrameworkVersion, rnd.framework_id)
    fw = ws.framework_of(fw_row)
    lang = lang_of(request)
    rows: list[dict[str, Any]] = []
    tiers: list[dict[str, Any]] = []
    if chosen is not None and chosen.state == "done":
        root = fw.root.code
        ranking = {r["unit"]: r for r in ws.ranking(session, c.actor, round_id, chosen.run_id)[1]}
        for unit, u in sj.job_units(session, chosen).items():
            summary = ranking.get(unit, {})
            rows.append({"unit": unit, "name": (summary.get("name_zh") if lang == "zh" else "")
                         or summary.get("name", unit), "benchmark": summary.get("benchmark", False),
                         "iv": u.intervals.get(root) or {}, "grades": u.grades})
        rows.sort(key=lambda r: (r["iv"].get("nominal") is None, r["iv"].get("nominal") or 0.0, r["unit"]))
        # the grade columns: every tier, and 'ungraded' when a graded (domestic) cluster is so in some samples
        tiers = [t for t in (chosen.result or {}).get("tiers", []) if t["code"] != "ungraded"
                 or any(r["grades"]["p"].get("ungraded") for r in rows if not r["benchmark"])]
    default_run = rnd.published_run_id or (runs[0].id if runs else None)
    return render(request, "robustness.html", {
        "actor": c.actor, "csrf": c.csrf, "round": rnd, "framework": fw_row,
        "recipe": session.get_one(RecipeVersion, rnd.recipe_id), "jobs": jobs, "runs": runs, "chosen": chosen,
        "rows": rows, "tiers": tiers, "run_choice": run or default_run, "defaults": sj,
        "space_default": json.dumps(sj.DEFAULT_SPACE, ensure_ascii=False),
        "default_space_yaml": "factors:\n  - weights: {noise: 0.25}   # every weight but the root's, ±25 %\n"})
