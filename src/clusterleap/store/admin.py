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
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

import clusterleap as cl

from .._files import neutralise_workbook, read_yaml
from .._recipe import DEFAULT_METHODS, STAGE_ORDER
from .._registry import did_you_mean
from .._tables import neutralise_frame
from ..grading import builtin_schemes, check_basis
from ..io._framework_files import builtin_dir, builtin_frameworks, framework_to_yaml
from ..stages import STAGES
from .accounts import Actor, add_user
from .errors import Conflict, Forbidden, Invalid, NotFound
from .models import Cluster, FrameworkVersion, RecipeVersion, Round, User, UserCluster
from .workspace import (
    add_framework,
    add_recipe,
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
    "MethodInfo",
    "UserInfo",
    "add_builtin_framework",
    "create_account",
    "create_round_checked",
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
#: The scoring bases the recipe form offers (a frozen basis needs statistics from ``clusterleap calibrate``: it is
#: written in the YAML view, and kept by the form when the version it edits has one).
FORM_BASES = ("relative", "goalposts")
GENERATED_PASSWORD_BYTES = 15  # 20 URL-safe characters


def _require_admin(actor: Actor, what: str) -> None:
    if actor.role != "admin":
        raise Forbidden(f"{actor.username} ({actor.role}) may not {what} (only admins do)")


def _require_staff(actor: Actor, what: str) -> None:
    if not actor.is_staff:
        raise Forbidden(f"{actor.username} ({actor.role}) may not {what} (analysts and admins do)")


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
def line_of(text: str, path: Sequence[str]) -> int | None:
    """The 1-based line of the YAML node at ``path`` (mapping keys, or ``code`` values of tree entries), or of the
    deepest part of it found; None when the text does not parse or nothing matches."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    found: int | None = None
    for part in path:
        nxt = _child(node, part) if node is not None else None
        if nxt is None:
            break
        found, node = nxt
    return found


def _child(node: yaml.Node, part: str) -> tuple[int, yaml.Node] | None:
    """The entry named ``part`` under ``node``: a mapping key, or (searched depth-first) a mapping whose ``code``
    is ``part``."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == part:
                return k.start_mark.line + 1, v
    stack: list[yaml.Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and k.value == "code" and isinstance(v, yaml.ScalarNode) \
                        and v.value == part:
                    return k.start_mark.line + 1, n
            stack.extend(v for _, v in reversed(n.value))
        elif isinstance(n, yaml.SequenceNode):
            for item in reversed(n.value):
                if isinstance(item, yaml.ScalarNode) and item.value == part:
                    return item.start_mark.line + 1, item
            stack.extend(reversed(n.value))
    return None


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


# -- recipes ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParamInfo:
    name: str
    kind: str
    default: Any
    required: bool


@dataclass(frozen=True)
class MethodInfo:
    stage: str
    name: str
    summary: str
    reference: str
    relative: bool
    params: tuple[ParamInfo, ...]


def stage_methods() -> dict[str, list[MethodInfo]]:
    """Every stage's methods from the engine's registries (what the recipe form offers), in pipeline order."""
    out: dict[str, list[MethodInfo]] = {}
    for stage in STAGE_ORDER:
        out[stage] = [MethodInfo(stage, m.name, m.summary, m.reference, m.relative,
                                 tuple(ParamInfo(p.name, p.kind, None if p.required else p.default, p.required)
                                       for p in m.params.values()))
                      for m in STAGES[stage]]
    return out


_WHERE = re.compile(r"^recipe, (screen|denominate|transform|impute|treat|normalise|weight|aggregate|rank|basis|"
                    r"grading)([.\w]*)")
_PARAM = re.compile(r"parameter '(\w+)'")


def _recipe_error(message: str) -> tuple[str, str, str]:
    """(field, the part of the path after the field, the message without its place) of an engine message."""
    m = _WHERE.match(message)
    if m is None:
        if message.startswith("grading scheme"):
            return "grading", "", message
        return "", "", message
    rest = message[m.end():].lstrip(",: ")
    field = m.group(1)
    p = _PARAM.search(message)
    if p and field in STAGES:
        return f"{field}.{p.group(1)}", m.group(2).lstrip("."), rest
    return field, m.group(2).lstrip("."), rest


def _checked(doc: Mapping[str, Any]) -> cl.Recipe:
    """The engine's recipe from a mapping, with its grading checked against its basis (absolute cut-offs on a
    relative basis are refused, as evaluation would refuse them)."""
    recipe = cl.Recipe.from_dict(doc, source="recipe")
    if recipe.grading is not None:
        check_basis(recipe.grading, recipe.basis)
    return recipe


def recipe_from_yaml(text: str) -> cl.Recipe:
    """A recipe from its YAML text; an error names the line it concerns (``line N: ...`` in field ``yaml``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recipe.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            doc = read_yaml(path, cl.RecipeError)
        except cl.RecipeError as exc:
            raise Invalid(str(exc).replace(str(path), "recipe YAML"), field="yaml") from None
    if not isinstance(doc, Mapping):
        raise Invalid("line 1: expected a mapping of stages to methods (e.g. normalise: minmax)", field="yaml")
    try:
        return _checked(doc)
    except cl.ClusterleapError as exc:
        field, sub, _ = _recipe_error(str(exc))
        parts = [p for p in [field.split(".")[0], *sub.split(".")] if p] if field else []
        if field.count(".") == 1:
            parts.append(field.split(".")[1])
        unknown = re.search(r"unknown key '([^']+)'", str(exc))
        if unknown and not sub:  # a key the recipe does not know: its own line
            parts = [p for p in [field, unknown.group(1)] if p]
        line = line_of(text, parts) if parts else None
        raise Invalid(f"line {line}: {exc}" if line else str(exc), field="yaml") from None


def _param_value(raw: Any) -> Any:
    """A parameter as the form sends it: text is read as a YAML scalar or flow value ('0' -> 0, '[a, b]' -> a
    list, 'true' -> true); other JSON values are taken as they are."""
    if not isinstance(raw, str):
        return raw
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def recipe_from_form(db: Session, stages: Mapping[str, Mapping[str, Any]], basis: str, grading: str,
                     base_id: int | None = None) -> cl.Recipe:
    """A recipe from the form: a method and its parameters per stage, the scoring basis and a grading scheme (a
    built-in name, or '' for the default of the basis). Overrides per level or node and a frozen basis of the
    version the form edits (``base_id``) are kept. Errors are placed at the stage (or ``stage.param``) field."""
    doc: dict[str, Any] = {}
    if base_id is not None:
        base = db.get(RecipeVersion, base_id)
        if base is None:
            raise Invalid(f"recipe version {base_id} does not exist", field="base_id")
        doc = {k: v for k, v in base.content.items() if k != "grading"}
    errors: dict[str, str] = {}
    for stage, step in stages.items():
        if stage not in STAGE_ORDER:
            errors[stage] = f"{stage!r} is not a stage{did_you_mean(stage, list(STAGE_ORDER))}"
            continue
        method = str(step.get("method") or DEFAULT_METHODS[stage])
        params = {str(k): _param_value(v) for k, v in dict(step.get("params") or {}).items()
                  if not (isinstance(v, str) and not v.strip()) and v is not None}
        old = doc.get(stage)
        keep = {k: v for k, v in old.items() if k in ("levels", "nodes")} if isinstance(old, Mapping) else {}
        doc[stage] = {"method": method, **params, **keep}
    old_basis = doc.get("basis")
    if basis == "frozen" and isinstance(old_basis, Mapping) and old_basis.get("kind") == "frozen":
        pass  # the frozen statistics of the edited version stay
    elif basis in FORM_BASES:
        doc["basis"] = basis
    else:
        errors["basis"] = f"basis {basis!r}: expected one of {', '.join(FORM_BASES)} (a frozen basis is written " \
                          "in the YAML view)"
    if grading:
        schemes = builtin_schemes()
        if grading not in schemes:
            errors["grading"] = f"grading scheme {grading!r} is not built in{did_you_mean(grading, list(schemes))}"
        else:
            doc["grading"] = schemes[grading].to_dict()
    if errors:
        raise Invalid(f"{len(errors)} field(s) of the recipe need correcting", fields=errors)
    try:
        return _checked(doc)
    except cl.ClusterleapError as exc:
        field, _, rest = _recipe_error(str(exc))
        raise Invalid(str(exc), field=None, fields={field or "form": rest}) from None


class _BlockDumper(yaml.SafeDumper):
    """Long and multi-line texts as literal blocks, so that a description reads as written (and loads back the
    same, so saving an unchanged YAML view adds no version)."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.rstrip("\n") or (len(value) > 100 and "\n" in value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def recipe_yaml(row: RecipeVersion) -> str:
    """The recipe version as YAML (as the engine writes it, with long texts as blocks)."""
    text = yaml.dump(recipe_of(row).to_dict(), Dumper=_BlockDumper, allow_unicode=True, sort_keys=False,
                     width=100)
    return str(text)


def save_recipe(db: Session, actor: Actor, recipe: cl.Recipe, name: str) -> RecipeVersion:
    """Store a checked recipe as the next version of ``name`` (analyst or admin); never overwrites."""
    _require_staff(actor, "set recipes")
    if not name.strip():
        raise Invalid("a recipe needs a name", field="name")
    return add_recipe(db, actor, recipe, name.strip())


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
