"""Administration of a workspace: accounts, frameworks (uploaded or built in), recipes from a form or a YAML text,
evaluation rounds (created, opened and closed for submissions) and the data template of a round.

Like :mod:`.workspace`, every operation takes the :class:`Actor` asking and enforces its own rules. Checks are the
engine's own (``load_framework``, ``Recipe.from_dict``, ``check_basis``); their messages are kept word for word and
placed at the form field or the line of the YAML text they concern, so a person can find what to correct.
"""

from __future__ import annotations

import io
import re
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import clusterleap as cl

from .._files import neutralise_workbook
from .._registry import did_you_mean
from .._tables import neutralise_frame
from ..grading import builtin_schemes, check_basis
from ..io._framework_files import builtin_dir, builtin_frameworks, framework_to_yaml
from ._objects import _require_admin
from ._recipes import (
    FORM_BASES,
    TIER_FIELDS,
    MethodInfo,
    form_tiers,
    recipe_from_form,
    recipe_from_yaml,
    recipe_yaml,
    save_recipe,
    stage_methods,
)
from ._yaml_lines import line_of
from .accounts import Actor, add_user
from .errors import Conflict, Invalid, NotFound
from .models import Cluster, FrameworkVersion, RecipeVersion, Round, User, UserCluster
from .workspace import (
    add_framework,
    audit,
    create_round,
    current_submissions,
    form_fields,
    framework_of,
    get_round,
    recipe_of,
)

__all__ = [
    "FORM_BASES",
    "FRAMEWORK_SUFFIXES",
    "TIER_FIELDS",
    "MethodInfo",
    "UserInfo",
    "add_builtin_framework",
    "create_account",
    "create_round_checked",
    "form_tiers",
    "framework_yaml",
    "line_of",
    "list_accounts",
    "recipe_from_form",
    "recipe_from_yaml",
    "recipe_yaml",
    "save_recipe",
    "set_account_active",
    "set_round_open",
    "stage_methods",
    "template_bytes",
    "upload_framework_file",
]

FRAMEWORK_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
GENERATED_PASSWORD_BYTES = 15  # 20 URL-safe characters


# -- accounts -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserInfo:
    username: str
    role: str
    active: bool
    clusters: tuple[str, ...]
    password: str | None = None  # a generated password, returned once when the account is created


def _info(db: Session, user: User, password: str | None = None) -> UserInfo:
    units = tuple(sorted(db.scalars(select(UserCluster.unit).where(UserCluster.user_id == user.id))))
    return UserInfo(user.username, user.role, user.active, units, password)


def list_accounts(db: Session, actor: Actor) -> list[UserInfo]:
    _require_admin(actor, "list accounts")
    return [_info(db, u) for u in db.scalars(select(User).order_by(User.username))]


def create_account(db: Session, actor: Actor, username: str, role: str, clusters: Sequence[str] = (),
                   password: str = "") -> UserInfo:
    """A new account (admin). Contributors need clusters known to the workspace; other roles take none. With no
    password a random one of 20 characters is generated and returned once: there is never a default password."""
    _require_admin(actor, "create accounts")
    codes = [c.strip() for c in clusters if c.strip()]
    if role != "contributor" and codes:
        raise Invalid(f"a {role} account sees clusters by its role: clusters belong to contributors only",
                      field="clusters")
    if role == "contributor" and not codes:
        raise Invalid("a contributor needs at least one cluster: the codes of the clusters it enters data for",
                      field="clusters")
    known = set(db.scalars(select(Cluster.code)))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Invalid(f"cluster {unknown[0]!r} is not in this workspace{did_you_mean(unknown[0], sorted(known))}",
                      field="clusters")
    generated = None if password else secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    user = add_user(db, username, password or generated or "", role, tuple(codes))
    audit(db, actor, "user.add", "user", user.username, {"role": role, "clusters": codes,
                                                          "password": "generated" if generated else "set"})
    return _info(db, user, generated)


def set_account_active(db: Session, actor: Actor, username: str, active: bool) -> UserInfo:
    """Disable (or enable again) an account: a disabled account's sessions and tokens stop working at once, its
    history stays. An admin cannot disable their own account (so a workspace always keeps an admin)."""
    _require_admin(actor, "disable or enable accounts")
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    if not active and user.id == actor.user_id:
        raise Conflict("you cannot disable your own account (another admin can)")
    if user.active != active:
        user.active = active
        audit(db, actor, "user.enable" if active else "user.disable", "user", username, {})
        db.flush()
    return _info(db, user)


# -- frameworks ---------------------------------------------------------------------------------------------------
_NODE = re.compile(r"node '([^']+)'")
_KEY = re.compile(r"unknown key '([^']+)'|: (\w+) is ")
_HAS_LINE = re.compile(r"line \d+")


def _framework_message(message: str, text: str | None, name: str) -> str:
    """The engine's message with the line of the node (or key) it names, when it names none itself: 'x.yaml,
    node ...' becomes 'x.yaml line 9, node ...'."""
    if text is None or _HAS_LINE.search(message):
        return message
    path = [next(g for g in m.groups() if g) for m in (_NODE.search(message), _KEY.search(message)) if m]
    line = line_of(text, path) if path else None
    if line is None:
        return message
    if message.startswith(f"{name}, ") or message.startswith(f"{name}: "):
        return f"{name} line {line}{message[len(name):]}"
    return f"line {line}: {message}"


def upload_framework_file(db: Session, actor: Actor, name: str, content: bytes) -> FrameworkVersion:
    """Check an uploaded framework file with the engine and store it as the next version of its name (admin).

    A YAML file may include the built-in indicator pool (``include: pool.yaml``) as the built-in frameworks do.
    Errors name the file as uploaded and the line (YAML) or row (iMeta) they concern."""
    _require_admin(actor, "add frameworks")
    name = Path(name or "framework.yaml").name
    suffix = Path(name).suffix.lower()
    if suffix not in FRAMEWORK_SUFFIXES:
        raise Invalid(f"{name}: expected a {', '.join(FRAMEWORK_SUFFIXES)} framework file", field="file")
    text = None
    if suffix in (".yaml", ".yml"):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid(f"{name}: not UTF-8 text (byte {exc.start})", field="file") from None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        for included in builtin_dir().glob("*.yaml"):  # the built-in pool, for `include: pool.yaml`
            if not (Path(tmp) / included.name).exists():
                shutil.copyfile(included, Path(tmp) / included.name)
        try:
            fw = cl.load_framework(path)
        except cl.ClusterleapError as exc:
            msg = str(exc).replace(str(path), name).replace(f"{tmp}/", "")
            raise Invalid(_framework_message(msg, text, name), field="file") from None
    return add_framework(db, actor, fw, origin=f"upload {name}")


def add_builtin_framework(db: Session, actor: Actor, name: str) -> FrameworkVersion:
    """A built-in framework as a workspace version (admin; the same content as the latest version adds none)."""
    _require_admin(actor, "add frameworks")
    if name not in builtin_frameworks():
        raise NotFound(f"no built-in framework {name!r}{did_you_mean(name, list(builtin_frameworks()))}")
    return add_framework(db, actor, cl.load_framework(name), origin="built-in")


def framework_yaml(row: FrameworkVersion) -> str:
    """A stored framework version as YAML, in the engine's own form."""
    return framework_to_yaml(framework_of(row))


# -- rounds -------------------------------------------------------------------------------------------------------
def create_round_checked(db: Session, actor: Actor, year: int, framework_id: int, recipe_id: int, title: str = "",
                         grading: Mapping[str, Any] | str | None = None) -> Round:
    """A new round (admin): year, framework version, recipe version and grading scheme (a built-in name, a scheme
    mapping, or None for the recipe's own or its basis's default), the scheme checked against the recipe's basis
    with the engine's rule. Rounds open for submissions when created."""
    _require_admin(actor, "create rounds")
    scheme: dict[str, Any] | None
    if isinstance(grading, str) and grading:
        schemes = builtin_schemes()
        if grading not in schemes:
            raise Invalid(f"grading scheme {grading!r} is not built in{did_you_mean(grading, list(schemes))}",
                          field="grading")
        scheme = schemes[grading].to_dict()
    else:
        scheme = dict(grading) if isinstance(grading, Mapping) else None
    recipe_row = db.get(RecipeVersion, recipe_id)
    if recipe_row is not None and scheme is not None:
        try:
            check_basis(cl.GradingScheme.from_dict(scheme), recipe_of(recipe_row).basis,
                        f"{recipe_row.name} v{recipe_row.version}")
        except cl.ClusterleapError as exc:
            raise Invalid(str(exc), field="grading") from None
    return create_round(db, actor, year, framework_id, recipe_id, title, scheme)


def set_round_open(db: Session, actor: Actor, round_id: int, open_: bool) -> Round:
    """Open a round for submissions or close it (admin). A published round stays as published."""
    rnd = get_round(db, actor, round_id)  # NotFound before Forbidden
    _require_admin(actor, "open or close rounds")
    if rnd.state == "published":
        raise Conflict(f"round {round_id} is published: its data no longer changes")
    state = "collecting" if open_ else "closed"
    if rnd.state != state:
        rnd.state = state
        audit(db, actor, "round.open" if open_ else "round.close", "round", round_id, {})
        db.flush()
    return rnd


# -- the data template --------------------------------------------------------------------------------------------
def template_bytes(db: Session, actor: Actor, round_id: int, fmt: str) -> tuple[str, bytes]:
    """The round's data template (file name, bytes): one row per cluster the actor may enter data for (every
    cluster for staff), with the cluster's current values, and in xlsx a second sheet defining each input."""
    rnd = get_round(db, actor, round_id)
    if actor.role == "viewer":
        raise NotFound(f"no data template visible in round {round_id}")
    if fmt not in ("csv", "xlsx"):
        raise Invalid(f"format {fmt!r}: expected csv or xlsx", field="fmt")
    fields = form_fields(db, rnd)
    q = select(Cluster).order_by(Cluster.benchmark, Cluster.code)
    if not actor.is_staff:
        q = q.where(Cluster.code.in_(sorted(actor.clusters)))
    clusters = list(db.scalars(q))
    subs = current_submissions(db, round_id, [c.code for c in clusters])
    rows = []
    for c in clusters:
        values = subs[c.code].values if c.code in subs else {}
        rows.append({"unit": c.code, "name": c.name or c.code, "name_zh": c.name_zh, "sector": c.sector,
                     "region": c.region, "benchmark": "yes" if c.benchmark else "no", "year": rnd.year,
                     **{f.code: values.get(f.code) for f in fields}})
    meta = ["unit", "name", "name_zh", "sector", "region", "benchmark", "year"]
    data = pd.DataFrame(rows, columns=[*meta, *(f.code for f in fields)])
    info = pd.DataFrame([{"code": f.code, "name_en": f.name_en, "name_zh": f.name_zh, "unit": f.unit,
                          "definition": f.definition,
                          "allowed": "" if f.lo is None else f"{f.lo:g} to {f.hi:g}",
                          "last_round_range": "" if f.plausible is None else
                          f"{f.plausible[0]:g} to {f.plausible[1]:g}",
                          "denominator_of": ", ".join(f.denominator_of)} for f in fields])
    stem = f"clusterleap-round-{rnd.year}-template"
    if fmt == "csv":
        return f"{stem}.csv", neutralise_frame(data).to_csv(index=False).encode("utf-8")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        data.to_excel(xw, sheet_name="data", index=False)
        info.to_excel(xw, sheet_name="indicators", index=False)
        for sheet in xw.book.worksheets:
            sheet.freeze_panes = "B2" if sheet.title == "data" else "A2"
            for col in sheet.columns:
                sheet.column_dimensions[col[0].column_letter].width = 16
        neutralise_workbook(xw.book)
    return f"{stem}.xlsx", buf.getvalue()
