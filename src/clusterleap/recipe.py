"""The recipe: how a result is made, as a frozen, hashable value.

A :class:`Recipe` holds one :class:`Plan` per stage. A plan is a default :class:`Step` (method + parameters) with
optional overrides per level (``levels``, for weights and aggregation: the level of the parent node) and per node
(``nodes``: an indicator code for indicator stages, a parent code for weights and aggregation). Parameters are checked
against the method's signature when the recipe is built, and stored with every default filled in, so that a saved
recipe says exactly what ran. A variant is ``dataclasses.replace(recipe, normalise=Step("zscore"))``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .errors import RecipeError
from .registry import Registry, _freeze, did_you_mean

if TYPE_CHECKING:
    from .analysis.grades import GradingScheme

__all__ = ["STAGE_ORDER", "Plan", "Recipe", "Step"]

#: Stages in the order the pipeline runs them.
STAGE_ORDER = ("denominate", "transform", "impute", "treat", "normalise", "weight", "aggregate", "rank")
#: Stages applied per indicator (overrides by indicator code) and per parent node (overrides by level or code).
INDICATOR_STAGES = frozenset({"denominate", "transform", "impute", "treat", "normalise"})
NODE_STAGES = frozenset({"weight", "aggregate"})


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str)
                                                  for v in value):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True, init=False)
class Step:
    """One method with its parameters, e.g. ``Step("minmax", lo=0, hi=100)``."""

    method: str
    params: tuple[tuple[str, Any], ...]

    def __init__(self, method: str, /, **params: Any) -> None:
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "params", tuple(sorted((k, _freeze(v)) for k, v in params.items())))

    @property
    def kwargs(self) -> dict[str, Any]:
        """The parameters as keyword arguments (containers thawed back to lists and dicts): a fresh dict."""
        return {k: _thaw(v) for k, v in self.params}

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, **{k: _thaw(v) for k, v in self.params}}

    @classmethod
    def parse(cls, spec: Any, where: str) -> Step:
        """A step from ``"name"``, ``{method: name, param: value}`` or a Step."""
        if isinstance(spec, Step):
            return spec
        if isinstance(spec, str):
            return cls(spec)
        if isinstance(spec, Mapping) and "method" in spec:
            return cls(str(spec["method"]), **{str(k): v for k, v in spec.items() if k != "method"})
        raise RecipeError(f"{where}: expected a method name or {{method: name, ...parameters}}, got {spec!r}")

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params)
        return f"Step({self.method!r}{args})"


@dataclass(frozen=True)
class Plan:
    """A stage's default step and its overrides by level (of the parent node) and by node code."""

    default: Step
    levels: tuple[tuple[int, Step], ...] = ()
    nodes: tuple[tuple[str, Step], ...] = ()

    def step_for(self, code: str, level: int) -> Step:
        """The step for a node: its own override, else its level's, else the default."""
        for c, s in self.nodes:
            if c == code:
                return s
        for lv, s in self.levels:
            if lv == level:
                return s
        return self.default

    def steps(self) -> list[Step]:
        return [self.default, *(s for _, s in self.levels), *(s for _, s in self.nodes)]

    def to_dict(self) -> Any:
        d: dict[str, Any] = self.default.to_dict()
        if not self.levels and not self.nodes:
            return d
        if self.levels:
            d["levels"] = {lv: s.to_dict() for lv, s in self.levels}
        if self.nodes:
            d["nodes"] = {c: s.to_dict() for c, s in self.nodes}
        return d

    @classmethod
    def parse(cls, spec: Any, where: str, default_method: str | None = None) -> Plan:
        """A plan from a Plan, a Step, a method name or a mapping ``{method, ...params, levels, nodes}``; a mapping
        without ``method`` keeps ``default_method``."""
        if isinstance(spec, Plan):
            return spec
        if isinstance(spec, (Step, str)):
            return cls(Step.parse(spec, where))
        if not isinstance(spec, Mapping):
            raise RecipeError(f"{where}: expected a method name or a mapping, got {spec!r}")
        spec = dict(spec)
        levels_raw = spec.pop("levels", None) or {}
        nodes_raw = spec.pop("nodes", None) or {}
        if "method" not in spec:
            if default_method is None:
                raise RecipeError(f"{where}: no 'method'")
            spec["method"] = default_method
        default = Step.parse(spec, where)
        levels = []
        for lv, s in dict(levels_raw).items():
            try:
                level = int(lv)
            except (TypeError, ValueError):
                raise RecipeError(f"{where}.levels: {lv!r} is not a level number (2 = first level above "
                                  "indicators)") from None
            levels.append((level, Step.parse(s, f"{where}.levels.{lv}")))
        nodes = [(str(c), Step.parse(s, f"{where}.nodes.{c}")) for c, s in dict(nodes_raw).items()]
        return cls(default, tuple(sorted(levels)), tuple(sorted(nodes)))


def _grading(spec: Any, where: str) -> GradingScheme:
    """A grading scheme from itself or a mapping (the optional ``grading`` field of a recipe)."""
    from .analysis.grades import GradingScheme

    if isinstance(spec, GradingScheme):
        return spec
    if isinstance(spec, Mapping):
        return GradingScheme.from_dict(spec, where)
    raise RecipeError(f"{where}: expected a grading scheme (a mapping with 'tiers'), got {spec!r}")


def _stages() -> dict[str, Registry]:
    from .stages import STAGES

    return STAGES


#: Each stage's default method.
DEFAULT_METHODS = {
    "denominate": "framework", "transform": "framework", "impute": "none", "treat": "none",
    "normalise": "minmax", "weight": "framework", "aggregate": "arithmetic", "rank": "descending",
}


def _default(stage: str) -> Any:
    return field(default_factory=lambda: Plan(Step(DEFAULT_METHODS[stage])))


@dataclass(frozen=True)
class Recipe:
    """How to build a result: one plan per stage, in :data:`STAGE_ORDER`. Defaults: framework denominators and
    transforms, no imputation or treatment, min-max 0-100, framework weights, arithmetic means, ranks with ties
    sharing the best rank."""

    denominate: Plan = _default("denominate")
    transform: Plan = _default("transform")
    impute: Plan = _default("impute")
    treat: Plan = _default("treat")
    normalise: Plan = _default("normalise")
    weight: Plan = _default("weight")
    aggregate: Plan = _default("aggregate")
    rank: Plan = _default("rank")
    name: str = ""
    description: str = ""
    source: str = field(default="", compare=False)
    grading: GradingScheme | None = None

    def __post_init__(self) -> None:
        if self.grading is not None:
            object.__setattr__(self, "grading", _grading(self.grading, f"{self.source or 'recipe'}, grading"))
        stages = _stages()
        for stage in STAGE_ORDER:
            where = f"{self.source or 'recipe'}, {stage}"
            plan = Plan.parse(getattr(self, stage), where)
            if plan.levels and stage not in NODE_STAGES:
                raise RecipeError(f"{where}: 'levels' overrides apply to weight and aggregate only "
                                  "(use 'nodes' with indicator codes)")
            if (plan.levels or plan.nodes) and stage == "rank":
                raise RecipeError(f"{where}: rank takes no per-level or per-node overrides")

            def canon(step: Step, at: str, _reg: Registry = stages[stage], _stage: str = stage) -> Step:
                if step.method not in _reg:
                    raise RecipeError(f"{at}: unknown {_stage} method {step.method!r}"
                                      f"{did_you_mean(step.method, _reg.names())}")
                return Step(step.method, **_reg.get(step.method).check_params(dict(step.params), at))

            plan = Plan(
                canon(plan.default, where),
                tuple((lv, canon(s, f"{where}.levels.{lv}")) for lv, s in plan.levels),
                tuple((c, canon(s, f"{where}.nodes.{c}")) for c, s in plan.nodes),
            )
            object.__setattr__(self, stage, plan)

    # -- conveniences -------------------------------------------------------------------------------------------
    def with_step(self, stage: str, step: Step | str) -> Recipe:
        """A copy with the default step of ``stage`` replaced (overrides kept)."""
        if stage not in STAGE_ORDER:
            raise RecipeError(f"unknown stage {stage!r}{did_you_mean(stage, list(STAGE_ORDER))}")
        plan: Plan = getattr(self, stage)
        changes: dict[str, Any] = {stage: replace(plan, default=Step.parse(step, stage))}
        return replace(self, **changes)

    def plan(self, stage: str) -> Plan:
        return getattr(self, stage)  # type: ignore[no-any-return]

    # -- serialisation ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.name:
            d["name"] = self.name
        if self.description:
            d["description"] = self.description
        for stage in STAGE_ORDER:
            d[stage] = self.plan(stage).to_dict()
        if self.grading is not None:
            d["grading"] = self.grading.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "") -> Recipe:
        where = source or "recipe"
        if not isinstance(d, Mapping):
            raise RecipeError(f"{where}: expected a mapping of stage -> method")
        known = {f.name for f in fields(cls)} - {"source"}
        for key in d:
            if key not in known:
                raise RecipeError(f"{where}: unknown key {key!r}{did_you_mean(str(key), sorted(known))}")
        kwargs: dict[str, Any] = {}
        for key, value in d.items():
            if key in ("name", "description"):
                kwargs[key] = str(value)
            elif key == "grading":
                kwargs[key] = None if value is None else _grading(value, f"{where}, grading")
            else:
                kwargs[key] = Plan.parse(value, f"{where}, {key}", DEFAULT_METHODS[key])
        if "name" not in kwargs and source.endswith((".yaml", ".yml")):
            kwargs["name"] = Path(source).stem
        return cls(**kwargs, source=source)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Recipe:
        from .files import read_yaml

        return cls.from_dict(read_yaml(path, RecipeError) or {}, str(path))

    @property
    def hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()
