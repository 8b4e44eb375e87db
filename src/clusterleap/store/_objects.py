"""Workspace objects that everything else refers to: the audit log, frameworks and recipes (versions), clusters
and rounds, each with the authorisation of the actor asking (see :mod:`clusterleap.store.workspace`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import clusterleap as cl

from .accounts import Actor
from .errors import Conflict, Forbidden, Invalid, NotFound
from .models import (
    AuditEntry,
    Cluster,
    FrameworkVersion,
    RecipeVersion,
    Round,
    Run,
    utcnow,
)

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


def _require_admin(actor: Actor, what: str) -> None:
    if actor.role != "admin":
        raise Forbidden(f"{actor.username} ({actor.role}) may not {what} (only admins do)")


def _require_staff(actor: Actor, what: str) -> None:
    if not actor.is_staff:
        raise Forbidden(f"{actor.username} ({actor.role}) may not {what} (analysts and admins do)")


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


def audit_log(db: Session, actor: Actor, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    _require(actor, "admin", "analyst")
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)))
