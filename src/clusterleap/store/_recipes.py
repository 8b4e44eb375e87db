"""Recipes from the form or the YAML view: the engine's registries as the form's options, the form's methods,
parameters, scoring basis and grading scheme (a built-in one, or tiers built in the form) turned into a recipe the
engine checks, and its messages placed at the field or the YAML line they concern (see :mod:`.admin`)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

import clusterleap as cl

from .._files import read_yaml
from .._recipe import DEFAULT_METHODS, STAGE_ORDER
from .._registry import did_you_mean
from ..grading import builtin_schemes, check_basis
from ..stages import STAGES
from ._objects import _require_staff, add_recipe, recipe_of
from ._yaml_lines import line_of
from .accounts import Actor
from .errors import Invalid
from .models import RecipeVersion

__all__ = ["FORM_BASES", "TIER_FIELDS", "MethodInfo", "ParamInfo", "form_tiers", "recipe_from_form", "recipe_from_yaml",
           "recipe_yaml", "save_recipe", "scheme_from_form", "stage_methods"]

#: The scoring bases the recipe form offers (a frozen basis needs statistics from ``clusterleap calibrate``: it is
#: written in the YAML view, and kept by the form when the version it edits has one).
FORM_BASES = ("relative", "goalposts")


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
                     base_id: int | None = None, scheme: Mapping[str, Any] | None = None) -> cl.Recipe:
    """A recipe from the form: a method and its parameters per stage, the scoring basis and a grading scheme (a
    built-in name; '' for the default of the basis; ``custom`` for the tiers of ``scheme``, see
    :func:`scheme_from_form`; ``keep`` for the edited version's own). Overrides per level or node and a frozen
    basis of the version the form edits (``base_id``) are kept. Errors are placed at the stage (or
    ``stage.param``, or ``grading.N.key`` for tier N) field."""
    doc: dict[str, Any] = {}
    base: RecipeVersion | None = None
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
    if grading == CUSTOM:
        try:
            doc["grading"] = scheme_from_form(scheme or {})
        except Invalid as exc:
            errors.update(exc.fields)
    elif grading == KEEP:
        kept = base.content.get("grading") if base_id is not None and base is not None else None
        if kept is None:
            errors["grading"] = "the edited version has no grading scheme of its own to keep"
        else:
            doc["grading"] = kept
    elif grading:
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


#: what the form's grading option means besides a built-in scheme's name
CUSTOM, KEEP = "custom", "keep"
#: a tier's fields in the form, in the order of its columns (``floor``: on every dimension, ``floors: {'*': v}``)
TIER_FIELDS = ("code", "name_en", "name_zh", "min_score", "floor", "top_percent", "benchmark_margin")
_NUMBERS = ("min_score", "floor", "top_percent", "benchmark_margin")
_TIER_AT = re.compile(r"^grading scheme(?: '[^']*')?, tier (\d+)(?: \('[^']*'\))?: (.*)$", re.S)


def _form_number(text: Any) -> tuple[float | None, str]:
    """A number typed in a tier's field ('' for none); (value, message) with a message when it is not a number."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None, ""
    if isinstance(text, bool):
        return None, f"{text!r} is not a number (expected a decimal number such as 60 or 7.5)"
    if isinstance(text, int | float):
        return float(text), ""
    try:
        return float(str(text).strip()), ""
    except ValueError:
        return None, f"{str(text)!r} is not a number (expected a decimal number such as 60 or 7.5, with '.' as " \
                     "the decimal separator)"


def scheme_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """A grading scheme built in the recipe form (``{"name", "tiers": [{code, name_en, name_zh, min_score, floor,
    top_percent, benchmark_margin}, ...]}``, tiers highest first, numbers as typed), checked by the engine
    (``GradingScheme.from_dict``). Errors name the tier and its field: ``grading.2.top_percent``."""
    tiers_in = list(form.get("tiers") or [])
    errors: dict[str, str] = {}
    tiers: list[dict[str, Any]] = []
    for n, raw in enumerate(tiers_in, start=1):
        tier: dict[str, Any] = {"code": str(raw.get("code") or "").strip()}
        for key in ("name_en", "name_zh"):
            if str(raw.get(key) or "").strip():
                tier[key] = str(raw[key]).strip()
        for key in _NUMBERS:
            value, problem = _form_number(raw.get(key))
            if problem:
                errors[f"grading.{n}.{key}"] = problem
            elif value is not None and key == "floor":
                tier["floors"] = {"*": value}
            elif value is not None:
                tier[key] = value
        if not tier["code"]:
            errors[f"grading.{n}.code"] = "a tier needs a code (e.g. A, world_class)"
        tiers.append(tier)
    if not tiers:
        errors["grading"] = "a grading scheme needs at least one tier (highest first)"
    if errors:
        raise Invalid(f"{len(errors)} field(s) of the grading scheme need correcting", fields=errors)
    doc = {"name": str(form.get("name") or "").strip() or "custom", "tiers": tiers}
    try:
        cl.GradingScheme.from_dict(doc)
    except cl.ClusterleapError as exc:
        m = _TIER_AT.match(str(exc))
        raise Invalid(str(exc), fields={_scheme_field(str(exc)): m.group(2) if m else str(exc)}) from None
    return doc


def _scheme_field(message: str) -> str:
    """The form field of an engine message about a scheme: ``grading.N.key`` for tier N (the key the message
    begins with: ``tier 2 ('B'): top_percent is 150 ...``; a floor's for floors, the code's otherwise), else
    ``grading``."""
    m = _TIER_AT.match(message)
    if m is None:
        return "grading"
    first = m.group(2).split(" ", 1)[0]
    key = first if first in _NUMBERS else "floor" if first.startswith("floor") else "code"
    return f"grading.{m.group(1)}.{key}"


def form_tiers(scheme: cl.GradingScheme) -> list[dict[str, str]] | None:
    """A scheme's tiers as the form shows them (numbers as text), or None when the form cannot show the scheme
    (criteria, floors on single nodes, another reference group, a coverage rule or another index: the YAML view
    edits those)."""
    if scheme.criteria or scheme.min_coverage is not None or scheme.index is not None:
        return None
    rows = []
    for t in scheme.tiers:
        if t.among != "domestic" or t.min_criteria is not None or any(code != "*" for code, _ in t.floors):
            return None
        floor = dict(t.floors).get("*")
        rows.append({"code": t.code, "name_en": t.name_en, "name_zh": t.name_zh,
                     **{k: "" if v is None else f"{v:g}" for k, v in (
                         ("min_score", t.min_score), ("floor", floor), ("top_percent", t.top_percent),
                         ("benchmark_margin", t.benchmark_margin))}})
    return rows


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
