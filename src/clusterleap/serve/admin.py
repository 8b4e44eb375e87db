"""Administration in the browser and through the API: accounts, frameworks, recipes (a form and a YAML view),
evaluation rounds (created, opened and closed for submissions) and the data template of a round (download and
upload for many clusters).

``api`` holds the JSON endpoints (in the OpenAPI schema); ``pages`` the pages, which read through the same store
operations and act through these endpoints from ``static/admin.js``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

import clusterleap as cl

from .._recipe import STAGE_ORDER, Plan
from ..grading import GradingScheme, builtin_schemes
from ..io._framework_files import builtin_frameworks
from ..store import admin as adm
from ..store import workspace as ws
from ..store.errors import Forbidden, NotFound
from ..store.models import Cluster, FrameworkVersion, RecipeVersion, Round
from ._methods_zh import summary
from .api import ERRORS, FrameworkOut, RecipeOut, RoundOut, recipe_out, round_out
from .auth import MAX_ID, ActorDep, CallerDep, DbDep, Id
from .pages import _ctx, _login
from .render import lang_of, render

__all__ = ["api", "pages"]

api = APIRouter(prefix="/api", tags=["administration"])
pages = APIRouter(include_in_schema=False)


# -- models -------------------------------------------------------------------------------------------------------
class AccountOut(BaseModel):
    username: str
    role: str
    active: bool
    clusters: list[str]


class AccountCreated(AccountOut):
    password: str | None = Field(None, description="the generated password, shown this once (null when the "
                                                   "request set one)")


class AccountIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    role: Literal["admin", "analyst", "contributor", "viewer"]
    clusters: list[Annotated[str, Field(max_length=80)]] = Field(default_factory=list, max_length=10_000)
    password: str = Field("", max_length=1000, description="empty: a random password is generated and returned "
                                                          "once")


class AccountPatch(BaseModel):
    active: bool


class BuiltinFramework(BaseModel):
    name: str
    title_en: str
    title_zh: str
    indicators: int
    latest_version: int | None = Field(description="the workspace's latest version of this name, if any")
    current: bool = Field(description="the latest version holds exactly the built-in content")


class ParamOut(BaseModel):
    name: str
    kind: str
    default: Any
    required: bool


class MethodOut(BaseModel):
    name: str
    summary: str
    reference: str
    relative: bool = Field(description="draws on the other units in the file (refused on a comparable basis)")
    params: list[ParamOut]


class SchemeOut(BaseModel):
    name: str
    title: str
    description: str
    absolute: bool = Field(description="compares scores with fixed numbers (needs a comparable basis)")


class RecipeOptions(BaseModel):
    stages: dict[str, list[MethodOut]]
    bases: list[str]
    grading: list[SchemeOut]


class StepIn(BaseModel):
    method: str = Field(min_length=1, max_length=100)
    params: dict[str, Any] = Field(default_factory=dict)


class TierIn(BaseModel):
    """One tier of a grading scheme built in the form (numbers as typed; empty for no condition)."""

    code: str = Field("", max_length=60)
    name_en: str = Field("", max_length=200)
    name_zh: str = Field("", max_length=200)
    min_score: str | float | None = None
    floor: str | float | None = None
    top_percent: str | float | None = None
    benchmark_margin: str | float | None = None


class SchemeIn(BaseModel):
    """A grading scheme built in the form: its name and tiers, highest first."""

    name: str = Field("", max_length=100)
    tiers: list[TierIn] = Field(default_factory=list, max_length=20)


class RecipeFormIn(BaseModel):
    """The recipe form: a method (and parameters) per stage, the scoring basis and a grading scheme: a built-in
    one's name, '' for the default of the basis, ``custom`` for the tiers of ``scheme``, ``keep`` for the edited
    version's own. ``base_id``: the version edited, whose per-level and per-node overrides stay."""

    name: str = Field(min_length=1, max_length=200)
    stages: dict[str, StepIn] = Field(default_factory=dict)
    basis: str = Field("relative", max_length=40)
    grading: str = Field("", max_length=100)
    base_id: int | None = Field(None, ge=1, le=MAX_ID)
    scheme: SchemeIn | None = None


def account_out(u: adm.UserInfo) -> AccountOut:
    return AccountOut(username=u.username, role=u.role, active=u.active, clusters=list(u.clusters))


def framework_out(r: FrameworkVersion) -> FrameworkOut:
    return FrameworkOut(id=r.id, name=r.name, version=r.version, title_en=r.title_en, title_zh=r.title_zh,
                        hash=r.hash, origin=r.origin, created_by=r.created_by, created_at=r.created_at)


# -- API: accounts ------------------------------------------------------------------------------------------------
@api.get("/users", response_model=list[AccountOut], responses=ERRORS)
def users(actor: ActorDep, session: DbDep) -> list[AccountOut]:
    """Every account with its role, state and (for contributors) clusters (admin)."""
    return [account_out(u) for u in adm.list_accounts(session, actor)]


@api.post("/users", response_model=AccountCreated, status_code=201, responses=ERRORS)
def create_account(body: AccountIn, actor: ActorDep, session: DbDep) -> AccountCreated:
    """A new account (admin); contributors need clusters of the workspace. Without a password a random one is
    generated and returned in this response only."""
    u = adm.create_account(session, actor, body.username, body.role, body.clusters, body.password)
    return AccountCreated(**account_out(u).model_dump(), password=u.password)


@api.patch("/users/{username}", response_model=AccountOut, responses=ERRORS)
def patch_account(username: Annotated[str, Path(max_length=80)], body: AccountPatch, actor: ActorDep,
                  session: DbDep) -> AccountOut:
    """Disable an account (its sessions and tokens stop working at once) or enable it again (admin)."""
    return account_out(adm.set_account_active(session, actor, username, body.active))


# -- API: frameworks ----------------------------------------------------------------------------------------------
@api.get("/frameworks/builtin", response_model=list[BuiltinFramework], responses=ERRORS)
def builtin(actor: ActorDep, session: DbDep) -> list[BuiltinFramework]:
    """The frameworks shipped with clusterleap, and the workspace's latest version of each name."""
    out = []
    for name in sorted(builtin_frameworks()):
        if name == "pool":
            continue  # the shared indicator pool, not a framework
        fw = cl.load_framework(name)
        latest = session.scalar(select(FrameworkVersion).where(FrameworkVersion.name == fw.name)
                                .order_by(FrameworkVersion.version.desc()).limit(1))
        out.append(BuiltinFramework(name=name, title_en=fw.name_en, title_zh=fw.name_zh,
                                    indicators=len(fw.indicators), latest_version=latest.version if latest else None,
                                    current=latest is not None and latest.hash == fw.hash))
    return out


@api.post("/frameworks/builtin/{name}", response_model=FrameworkOut, status_code=201, responses=ERRORS)
def add_builtin(name: Annotated[str, Path(max_length=200)], actor: ActorDep, session: DbDep) -> FrameworkOut:
    """A built-in framework as a workspace version (admin; the same content as the latest version adds none)."""
    return framework_out(adm.add_builtin_framework(session, actor, name))


@api.get("/frameworks/{framework_id}/yaml", response_class=Response, responses={
    **ERRORS, 200: {"content": {"text/yaml; charset=utf-8": {}}}})
def framework_yaml(framework_id: Id, actor: ActorDep, session: DbDep) -> Response:
    """One stored framework version as a YAML file (the engine's own form)."""
    row = session.get(FrameworkVersion, framework_id)
    if row is None:
        raise NotFound(f"no framework version {framework_id}")
    return Response(adm.framework_yaml(row), media_type="text/yaml; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{row.name}-v{row.version}.yaml"'})


# -- API: recipes -------------------------------------------------------------------------------------------------
def _schemes() -> list[SchemeOut]:
    return [SchemeOut(name=k, title=_first_clause(v.description) or v.name or k, description=v.description,
                      absolute=bool(v.absolute_rules())) for k, v in builtin_schemes().items()]


def _first_clause(text: str) -> str:
    """The start of a description up to its first colon, parenthesis or full stop: a title for a list."""
    return re.split(r"[:(.]", text, maxsplit=1)[0].strip()


@api.get("/recipe-options", response_model=RecipeOptions, responses=ERRORS)
def recipe_options(actor: ActorDep) -> RecipeOptions:
    """What the recipe form offers: every stage's methods and parameters from the engine's registries, the
    scoring bases and the built-in grading schemes."""
    stages = {stage: [MethodOut(name=m.name, summary=m.summary, reference=m.reference, relative=m.relative,
                                params=[ParamOut(name=p.name, kind=p.kind, default=_jsonable(p.default),
                                                 required=p.required) for p in m.params])
                      for m in methods] for stage, methods in adm.stage_methods().items()}
    return RecipeOptions(stages=stages, bases=list(adm.FORM_BASES), grading=_schemes())


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and v != v:
        return None
    return v if v is None or isinstance(v, str | int | float | bool | list | dict) else str(v)


@api.post("/recipes/form", response_model=RecipeOut, status_code=201, responses=ERRORS)
def recipe_form(body: RecipeFormIn, actor: ActorDep, session: DbDep) -> RecipeOut:
    """A recipe from the form, checked by the engine (errors at the stage or ``stage.param`` field): a new
    version of ``name`` (analyst or admin); the same content as the latest version adds none."""
    if not actor.is_staff:
        raise Forbidden("only analysts and admins set recipes")
    recipe = adm.recipe_from_form(session, {k: v.model_dump() for k, v in body.stages.items()}, body.basis,
                                  body.grading, body.base_id,
                                  body.scheme.model_dump() if body.scheme is not None else None)
    return recipe_out(adm.save_recipe(session, actor, recipe, body.name))


@api.get("/recipes/{recipe_id}", response_model=RecipeOut, responses=ERRORS)
def get_recipe(recipe_id: Id, actor: ActorDep, session: DbDep) -> RecipeOut:
    row = session.get(RecipeVersion, recipe_id)
    if row is None:
        raise NotFound(f"no recipe version {recipe_id}")
    return recipe_out(row)


# -- API: rounds --------------------------------------------------------------------------------------------------
@api.post("/rounds/{round_id}/close", response_model=RoundOut, responses=ERRORS)
def close_round(round_id: Id, actor: ActorDep, session: DbDep) -> RoundOut:
    """Close a round for submissions (admin): contributors can no longer enter or change data."""
    return round_out(adm.set_round_open(session, actor, round_id, False))


@api.post("/rounds/{round_id}/open", response_model=RoundOut, responses=ERRORS)
def open_round(round_id: Id, actor: ActorDep, session: DbDep) -> RoundOut:
    """Open a closed round for submissions again (admin)."""
    return round_out(adm.set_round_open(session, actor, round_id, True))


MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@api.get("/rounds/{round_id}/template", response_class=Response, responses={
    **ERRORS, 200: {"content": {m: {} for m in MEDIA.values()}}})
def template(round_id: Id, actor: ActorDep, session: DbDep,
             fmt: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx") -> Response:
    """The round's data template: a row per cluster the caller may enter data for, with its current values (and
    in xlsx a sheet defining each input); fill it in and upload it to ``POST /api/rounds/{id}/submissions``."""
    name, body = adm.template_bytes(session, actor, round_id, fmt)
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- pages --------------------------------------------------------------------------------------------------------
def _admin_only(c: Any) -> None:
    if c.actor.role != "admin":
        raise Forbidden(f"{c.actor.username} ({c.actor.role}) may not open the administration (only admins do)")


@pages.get("/admin/accounts")
def accounts_page(request: Request, c: CallerDep, session: DbDep) -> Response:
    if c.actor is None:
        return _login(request)
    _admin_only(c)
    clusters = list(session.scalars(select(Cluster).order_by(Cluster.benchmark, Cluster.code)))
    return render(request, "admin_accounts.html", _ctx(c, users=adm.list_accounts(session, c.actor),
                                                        clusters=clusters))


@pages.get("/admin/frameworks")
def frameworks_page(request: Request, c: CallerDep, session: DbDep) -> Response:
    if c.actor is None:
        return _login(request)
    _admin_only(c)
    rows = list(session.scalars(select(FrameworkVersion).order_by(FrameworkVersion.name,
                                                                  FrameworkVersion.version.desc())))
    sizes = {r.id: len(ws.framework_of(r).indicators) for r in rows}
    used = _count(session, Round.framework_id)
    return render(request, "admin_frameworks.html", _ctx(c, rows=rows, sizes=sizes, used=used,
                                                          builtin=builtin(c.actor, session)))


def _count(session: Any, column: Any) -> dict[int, int]:
    """How many rounds use each framework (or recipe) version."""
    out: dict[int, int] = {}
    for v in session.scalars(select(column)):
        out[v] = out.get(v, 0) + 1
    return out


@pages.get("/admin/rounds")
def rounds_admin_page(request: Request, c: CallerDep, session: DbDep) -> Response:
    if c.actor is None:
        return _login(request)
    _admin_only(c)
    rounds = list(session.scalars(select(Round).order_by(Round.year.desc(), Round.id.desc())))
    frameworks = {f.id: f for f in session.scalars(select(FrameworkVersion).order_by(
        FrameworkVersion.name, FrameworkVersion.version.desc()))}
    recipes = {r.id: r for r in session.scalars(select(RecipeVersion).order_by(
        RecipeVersion.name, RecipeVersion.version.desc()))}
    years = [r.year for r in rounds]
    return render(request, "admin_rounds.html", _ctx(
        c, rounds=rounds, frameworks=frameworks, recipes=recipes, schemes=_schemes(),
        next_year=(max(years) + 1) if years else 2025,
        grading={r.id: _grading_of(r, recipes[r.recipe_id]) for r in rounds}))


def _grading_of(rnd: Round, recipe_row: RecipeVersion) -> tuple[str, str]:
    """The grading scheme a round grades with, and where it comes from: the round ('') , the recipe ('recipe') or
    the default of the recipe's basis ('basis'), as evaluation chooses it."""
    if rnd.grading:
        return str(rnd.grading.get("name") or "custom"), ""
    recipe = ws.recipe_of(recipe_row)
    if recipe.grading is not None:
        return recipe.grading.name or "custom", "recipe"
    return ("default" if recipe.basis.comparable else "relative"), "basis"


@pages.get("/recipes")
def recipes_page(request: Request, c: CallerDep, session: DbDep) -> Response:
    if c.actor is None:
        return _login(request)
    if not c.actor.is_staff:
        raise Forbidden(f"{c.actor.username} ({c.actor.role}) may not set recipes (analysts and admins do)")
    rows = list(session.scalars(select(RecipeVersion).order_by(RecipeVersion.name, RecipeVersion.version.desc())))
    used = _count(session, Round.recipe_id)
    return render(request, "recipes.html", _ctx(c, rows=rows, used=used))


@pages.get("/recipes/{recipe_id}")
def recipe_page(request: Request, recipe_id: Id, c: CallerDep, session: DbDep) -> Response:
    """One recipe version in the form and in the YAML view; saving either makes a new version."""
    if c.actor is None:
        return _login(request)
    if not c.actor.is_staff:
        raise Forbidden(f"{c.actor.username} ({c.actor.role}) may not set recipes (analysts and admins do)")
    row = session.get(RecipeVersion, recipe_id)
    if row is None:
        raise NotFound(f"no recipe version {recipe_id}")
    recipe = ws.recipe_of(row)
    current = {stage: _plan_view(recipe.plan(stage)) for stage in STAGE_ORDER}
    versions = list(session.scalars(select(RecipeVersion).where(RecipeVersion.name == row.name)
                                    .order_by(RecipeVersion.version.desc())))
    grading, tiers = _form_grading(recipe.grading)
    lang = lang_of(request)
    return render(request, "recipe.html", _ctx(
        c, method_summary=lambda stage, m: summary(stage, m.name, m.summary, lang), row=row, recipe=recipe,
        current=current, methods=adm.stage_methods(), stages=STAGE_ORDER,
        bases=adm.FORM_BASES, schemes=_schemes(), grading=grading, tiers=tiers, tier_fields=adm.TIER_FIELDS,
        scheme_name=recipe.grading.name if grading == "custom" and recipe.grading is not None else "",
        yaml_text=adm.recipe_yaml(row), versions=versions))


def _form_grading(scheme: GradingScheme | None) -> tuple[str, list[dict[str, str]]]:
    """The form's grading choice for a recipe's scheme ('' for none, a built-in name, 'custom' for tiers the form
    shows, 'keep' for a scheme only the YAML view can edit) and the tiers the builder starts with."""
    start = [{"code": "A", "name_en": "", "name_zh": ""}, {"code": "B", "name_en": "", "name_zh": ""}]
    if scheme is None:
        return "", start
    builtin = builtin_schemes().get(scheme.name)
    if builtin is not None and builtin == scheme:
        return scheme.name, start
    tiers = adm.form_tiers(scheme)
    return ("custom", tiers) if tiers is not None else ("keep", start)


def _plan_view(plan: Plan) -> dict[str, Any]:
    """A stage of a recipe for the form: its default method, its parameters as YAML flow text, and a summary of
    the overrides by level or node (which the form keeps)."""
    params = {k: yaml.safe_dump(v, default_flow_style=True, allow_unicode=True).strip().removesuffix("...").strip()
              for k, v in plan.default.kwargs.items()}
    overrides = [f"levels.{lv}: {s.method}" for lv, s in plan.levels] + [f"nodes.{c}: {s.method}"
                                                                        for c, s in plan.nodes]
    return {"method": plan.default.method, "params": params, "overrides": "; ".join(overrides)}


@pages.get("/rounds/{round_id}/upload")
def upload_page(request: Request, round_id: Id, c: CallerDep, session: DbDep) -> Response:
    """The data template of a round: download it, fill it in, upload it (all or nothing)."""
    if c.actor is None:
        return _login(request)
    rnd = ws.get_round(session, c.actor, round_id)
    if c.actor.role == "viewer":
        raise NotFound(f"no submissions visible in round {round_id}")
    fw = session.get_one(FrameworkVersion, rnd.framework_id)
    rc = session.get_one(RecipeVersion, rnd.recipe_id)
    may_enter = c.actor.role in ("contributor", "admin") and rnd.state == "collecting"
    return render(request, "upload.html", _ctx(c, round=rnd, framework=fw, recipe=rc, may_enter=may_enter,
                                                n_fields=len(ws.form_fields(session, rnd))))
