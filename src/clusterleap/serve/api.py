"""The JSON API (under /api): every action of the pages, for scripts too; documented by the OpenAPI schema at
/api/openapi.json (for logged-in users). Statuses: 401 anonymous, 404 for objects the caller may not see (the same
as for objects that do not exist), 403 for actions the caller's role may not take on what it sees, 409 for a
state that does not allow the action, 422 for input that fails a check, with ``fields`` naming each field."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select

import clusterleap as cl

from ..report import build_report, render_report
from ..store import admin as adm
from ..store import workspace as ws
from ..store.accounts import create_token
from ..store.errors import Forbidden, Invalid, NotFound
from ..store.models import (
    FrameworkVersion,
    RecipeVersion,
    Round,
    RoundState,
    Run,
    Submission,
    SubmissionState,
    round_state,
    submission_state,
)
from .auth import MAX_ID, ActorDep, DbDep, Id
from .robustness import cluster_interval

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["api"])


# -- models -------------------------------------------------------------------------------------------------------
class Problem(BaseModel):
    detail: str
    fields: dict[str, str] = Field(default_factory=dict)


class Me(BaseModel):
    username: str
    role: str
    clusters: list[str]


class RoundOut(BaseModel):
    id: int
    year: int
    title: str
    state: RoundState
    framework_id: int
    recipe_id: int
    published_run_id: int | None
    created_at: datetime


class RoundIn(BaseModel):
    year: int = Field(ge=1900, le=2200)
    framework_id: int = Field(ge=1, le=MAX_ID)
    recipe_id: int = Field(ge=1, le=MAX_ID)
    title: str = Field("", max_length=300)
    grading: dict[str, Any] | str | None = Field(None, description="a built-in grading scheme by name, a scheme "
                                                 "mapping, or null for the recipe's own or its basis's default")


class SubmissionOut(BaseModel):
    round_id: int
    unit: str
    version: int
    state: SubmissionState
    values: dict[str, float | None]
    comment: str
    created_by: str
    created_at: datetime
    warnings: dict[str, str] = Field(default_factory=dict)


class SubmissionIn(BaseModel):
    values: dict[str, str | float | None] = Field(default_factory=dict)


class ReviewIn(BaseModel):
    decision: Literal["accept", "return"]
    comment: str = Field("", max_length=5000)


class RunOut(BaseModel):
    id: int
    round_id: int
    created_by: str
    created_at: datetime
    data_hash: str
    n_units: int
    notes: list[str]
    provenance: dict[str, Any]


class RankingRow(BaseModel):
    unit: str
    name: str
    name_zh: str
    sector: str
    region: str
    benchmark: bool
    score: float | None
    rank: float | None
    dimensions: dict[str, float | None]
    grade: str
    grade_zh: str
    type: str
    type_zh: str


class Ranking(BaseModel):
    round_id: int
    run_id: int
    rows: list[RankingRow]


class FieldOut(BaseModel):
    code: str
    name_en: str
    name_zh: str
    unit: str
    definition: str
    lo: float | None
    hi: float | None
    plausible: tuple[float, float] | None
    denominator_of: list[str]
    reference: tuple[float, float] | None = Field(None, description="(floor, world-class level) of the "
                                                  "indicator's goalposts in the unit entered, if it has them")


class HistoryRow(BaseModel):
    round_id: int
    year: int
    score: float | None
    rank: float | None
    n_units: int
    grade: str
    grade_zh: str
    published: bool


class FrameworkOut(BaseModel):
    id: int
    name: str
    version: int
    title_en: str
    title_zh: str
    hash: str
    origin: str
    created_by: str
    created_at: datetime


class RecipeOut(BaseModel):
    id: int
    name: str
    version: int
    hash: str
    content: dict[str, Any]
    created_by: str
    created_at: datetime


class RecipeIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    yaml: str = Field(min_length=1, max_length=200_000)


class TokenIn(BaseModel):
    name: str = Field("", max_length=200)


class TokenOut(BaseModel):
    token: str


class AuditOut(BaseModel):
    id: int
    at: datetime
    username: str
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem},
    422: {"model": Problem},
}


def round_out(r: Round) -> RoundOut:
    return RoundOut(id=r.id, year=r.year, title=r.title, state=round_state(r.state),
                    framework_id=r.framework_id, recipe_id=r.recipe_id, published_run_id=r.published_run_id,
                    created_at=r.created_at)


def submission_out(s: Submission, warnings: dict[str, str] | None = None) -> SubmissionOut:
    return SubmissionOut(round_id=s.round_id, unit=s.unit, version=s.version, state=submission_state(s.state),
                         values=s.values, comment=s.comment, created_by=s.created_by, created_at=s.created_at,
                         warnings=warnings or {})


def run_out(r: Run) -> RunOut:
    return RunOut(id=r.id, round_id=r.round_id, created_by=r.created_by, created_at=r.created_at,
                  data_hash=r.data_hash, n_units=r.n_units, notes=[str(n) for n in r.notes],
                  provenance=r.provenance)


# -- routes -------------------------------------------------------------------------------------------------------
@router.get("/me", response_model=Me, responses=ERRORS)
def me(actor: ActorDep) -> Me:
    return Me(username=actor.username, role=actor.role, clusters=sorted(actor.clusters))


@router.get("/rounds", response_model=list[RoundOut], responses=ERRORS)
def rounds(actor: ActorDep, session: DbDep) -> list[RoundOut]:
    return [round_out(r) for r in ws.list_rounds(session, actor)]


@router.post("/rounds", response_model=RoundOut, status_code=201, responses=ERRORS)
def create_round(body: RoundIn, actor: ActorDep, session: DbDep) -> RoundOut:
    """A new round (admin): year, framework version, recipe version and grading scheme, checked against the
    recipe's scoring basis; it opens for submissions at once."""
    return round_out(adm.create_round_checked(session, actor, body.year, body.framework_id, body.recipe_id,
                                              body.title, body.grading or None))


@router.get("/rounds/{round_id}", response_model=RoundOut, responses=ERRORS)
def get_round(round_id: Id, actor: ActorDep, session: DbDep) -> RoundOut:
    return round_out(ws.get_round(session, actor, round_id))


@router.get("/rounds/{round_id}/fields", response_model=list[FieldOut], responses=ERRORS)
def fields(round_id: Id, actor: ActorDep, session: DbDep) -> list[FieldOut]:
    """The inputs of the round's submission form (from its framework)."""
    rnd = ws.get_round(session, actor, round_id)
    return [FieldOut(code=f.code, name_en=f.name_en, name_zh=f.name_zh, unit=f.unit, definition=f.definition,
                     lo=f.lo, hi=f.hi, plausible=f.plausible, denominator_of=list(f.denominator_of),
                     reference=f.reference)
            for f in ws.form_fields(session, rnd)]


@router.get("/rounds/{round_id}/submissions", response_model=list[SubmissionOut], responses=ERRORS)
def submissions(round_id: Id, actor: ActorDep, session: DbDep) -> list[SubmissionOut]:
    """Current submissions: all for analysts and admins, the caller's own clusters' for contributors."""
    ws.get_round(session, actor, round_id)
    if actor.role == "viewer":
        raise NotFound(f"no submissions visible in round {round_id}")
    units = None if actor.is_staff else sorted(actor.clusters)
    return [submission_out(s) for s in ws.current_submissions(session, round_id, units).values()]


@router.get("/rounds/{round_id}/submissions/{unit}", response_model=SubmissionOut | None, responses=ERRORS)
def get_submission(round_id: Id, unit: str, actor: ActorDep, session: DbDep) -> SubmissionOut | None:
    """The current version (null when nothing is entered yet)."""
    s = ws.get_submission(session, actor, round_id, unit)
    return submission_out(s) if s else None


@router.get("/rounds/{round_id}/submissions/{unit}/versions", response_model=list[SubmissionOut], responses=ERRORS)
def submission_versions(round_id: Id, unit: str, actor: ActorDep, session: DbDep) -> list[SubmissionOut]:
    return [submission_out(s) for s in ws.submission_history(session, actor, round_id, unit)]


@router.put("/rounds/{round_id}/submissions/{unit}", response_model=SubmissionOut, responses=ERRORS)
def save_submission(round_id: Id, unit: str, body: SubmissionIn, actor: ActorDep, session: DbDep,
                    submit: bool = False) -> SubmissionOut:
    """Save the values as a new draft version, or submit them for review with ``?submit=true``."""
    row, warnings = ws.save_submission(session, actor, round_id, unit, body.values, submit=submit)
    return submission_out(row, warnings)


@router.post("/rounds/{round_id}/submissions", response_model=list[SubmissionOut], responses=ERRORS)
def upload_submissions(round_id: Id, file: UploadFile, actor: ActorDep, session: DbDep,
                       submit: bool = False) -> list[SubmissionOut]:
    """Data of many clusters from one filled-in data template (CSV, xlsx or Parquet; ``clusterleap template``):
    a new version per cluster, all or nothing; ``?submit=true`` submits them for review."""
    name = Path(file.filename or "data.csv").name
    if Path(name).suffix.lower() not in (".csv", ".xlsx", ".parquet"):
        raise Invalid(f"{name}: expected a .csv, .xlsx or .parquet data file", field="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(file.file.read())
        rows = ws.upload_submissions(session, actor, round_id, path, submit=submit)
    return [submission_out(r) for r in rows]


@router.post("/rounds/{round_id}/submissions/{unit}/review", response_model=SubmissionOut, responses=ERRORS)
def review(round_id: Id, unit: str, body: ReviewIn, actor: ActorDep, session: DbDep) -> SubmissionOut:
    return submission_out(ws.review_submission(session, actor, round_id, unit, body.decision, body.comment))


@router.get("/rounds/{round_id}/runs", response_model=list[RunOut], responses=ERRORS)
def runs(round_id: Id, actor: ActorDep, session: DbDep) -> list[RunOut]:
    """Evaluation runs of the round: all for analysts and admins, the published one for everyone else."""
    rnd = ws.get_round(session, actor, round_id)
    if actor.is_staff:
        return [run_out(r) for r in session.scalars(select(Run).where(Run.round_id == round_id).order_by(Run.id))]
    if rnd.state == "published" and rnd.published_run_id is not None:
        return [run_out(session.get_one(Run, rnd.published_run_id))]
    return []


@router.post("/rounds/{round_id}/runs", response_model=RunOut, status_code=201, responses=ERRORS)
def evaluate(round_id: Id, actor: ActorDep, session: DbDep) -> RunOut:
    """Evaluate the round's accepted submissions: a new run (old runs stay)."""
    return run_out(ws.evaluate_round(session, actor, round_id))


@router.post("/rounds/{round_id}/publish", response_model=RoundOut, responses=ERRORS)
def publish(round_id: Id, actor: ActorDep, session: DbDep,
            run_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> RoundOut:
    return round_out(ws.publish_round(session, actor, round_id, run_id))


@router.get("/rounds/{round_id}/ranking", response_model=Ranking, responses=ERRORS)
def ranking(round_id: Id, actor: ActorDep, session: DbDep) -> Ranking:
    run, rows = ws.ranking(session, actor, round_id)
    return Ranking(round_id=round_id, run_id=run.id, rows=[RankingRow(**r) for r in rows])


@router.get("/rounds/{round_id}/clusters/{unit}", response_model=dict[str, Any], responses=ERRORS)
def cluster(round_id: Id, unit: str, actor: ActorDep, session: DbDep) -> dict[str, Any]:
    """One cluster's profile in the round's visible run: scores, ranks, grade and reason, type, strengths, short
    boards, gaps, actions and the benchmark median of each dimension; ``robustness``: the index rank interval and
    grade probabilities from the latest finished robustness analysis of that run (null when none)."""
    run, view = ws.cluster_view(session, actor, round_id, unit)
    return {**view, "robustness": cluster_interval(session, run.id, unit)}


@router.get("/clusters/{unit}/history", response_model=list[HistoryRow], responses=ERRORS)
def history(unit: str, actor: ActorDep, session: DbDep) -> list[HistoryRow]:
    return [HistoryRow(**h) for h in ws.cluster_history(session, actor, unit)]


MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/runs/{run_id}/report", responses={**ERRORS, 200: {"content": {m: {} for m in MEDIA.values()}}},
            response_class=Response)
def report(request: Request, run_id: Id, actor: ActorDep, session: DbDep, fmt: Literal["html", "pdf", "xlsx"] = "html",
           lang: Literal["en", "zh"] = "en") -> Response:
    """The report of a stored run (regenerated from its provenance and data), as a download."""
    run = session.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    ws.visible_run(session, actor, run.round_id, run_id)  # the cache is behind the same authorisation
    rnd = session.get_one(Round, run.round_id)
    cache: dict[tuple[int, str, str], bytes] = request.app.state.reports
    key = (run_id, fmt, lang)
    body = cache.get(key)
    if body is None:
        _, result = ws.run_result(session, actor, run_id)
        analytics = cl.analyse(result, scheme=rnd.grading)
        body = render_report(build_report(result, lang=lang, analytics=analytics, trends=False), fmt)
        if len(cache) >= 16:  # runs never change, so a report of one is cached; keep the newest few
            cache.pop(next(iter(cache)))
        cache[key] = body
    name = f"clusterleap-round-{rnd.year}-run-{run.id}-{lang}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/frameworks", response_model=list[FrameworkOut], responses=ERRORS)
def frameworks(actor: ActorDep, session: DbDep) -> list[FrameworkOut]:
    rows = session.scalars(select(FrameworkVersion).order_by(FrameworkVersion.name, FrameworkVersion.version))
    return [FrameworkOut(id=r.id, name=r.name, version=r.version, title_en=r.title_en, title_zh=r.title_zh,
                         hash=r.hash, origin=r.origin, created_by=r.created_by, created_at=r.created_at)
            for r in rows]


@router.post("/frameworks", response_model=FrameworkOut, status_code=201, responses=ERRORS)
def upload_framework(file: UploadFile, actor: ActorDep, session: DbDep) -> FrameworkOut:
    """Upload a framework file (YAML, or COINr's iMeta as CSV or xlsx): a new version of its name (admin)."""
    row = adm.upload_framework_file(session, actor, file.filename or "", file.file.read())
    return FrameworkOut(id=row.id, name=row.name, version=row.version, title_en=row.title_en,
                        title_zh=row.title_zh, hash=row.hash, origin=row.origin, created_by=row.created_by,
                        created_at=row.created_at)


def recipe_out(r: RecipeVersion) -> RecipeOut:
    return RecipeOut(id=r.id, name=r.name, version=r.version, hash=r.hash, content=r.content,
                     created_by=r.created_by, created_at=r.created_at)


@router.get("/recipes", response_model=list[RecipeOut], responses=ERRORS)
def recipes(actor: ActorDep, session: DbDep) -> list[RecipeOut]:
    return [recipe_out(r) for r in session.scalars(select(RecipeVersion).order_by(RecipeVersion.name,
                                                                                   RecipeVersion.version))]


@router.post("/recipes", response_model=RecipeOut, status_code=201, responses=ERRORS)
def add_recipe(body: RecipeIn, actor: ActorDep, session: DbDep) -> RecipeOut:
    """A recipe from its YAML text, checked by the engine: a new version of ``name`` (analyst or admin)."""
    if not actor.is_staff:
        raise Forbidden("only analysts and admins set recipes")
    recipe = adm.recipe_from_yaml(body.yaml)
    return recipe_out(ws.add_recipe(session, actor, recipe, body.name))


@router.post("/tokens", response_model=TokenOut, status_code=201, responses=ERRORS)
def token(body: TokenIn, actor: ActorDep, session: DbDep) -> TokenOut:
    """A new API token for the caller (shown once; send it as ``Authorization: Bearer <token>``)."""
    tok = create_token(session, actor.username, body.name)
    ws.audit(session, actor, "token.create", "user", actor.username, {"name": body.name})
    return TokenOut(token=tok)


@router.get("/audit", response_model=list[AuditOut], responses=ERRORS)
def audit(actor: ActorDep, session: DbDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
          offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> list[AuditOut]:
    return [AuditOut(id=a.id, at=a.at, username=a.username, action=a.action, object_type=a.object_type,
                     object_id=a.object_id, detail=a.detail) for a in ws.audit_log(session, actor, limit, offset)]


def openapi_route(request: Request, actor: ActorDep) -> dict[str, Any]:
    """The OpenAPI schema (for logged-in users: anonymous callers get nothing but the login page)."""
    schema: dict[str, Any] = request.app.openapi()
    return schema


router.add_api_route("/openapi.json", openapi_route, methods=["GET"], include_in_schema=False)
