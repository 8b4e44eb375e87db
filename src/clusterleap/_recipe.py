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
import math
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from ._files import read_yaml
from ._frozen import Converted, freeze, thaw
from ._registry import Registry, did_you_mean
from .errors import RecipeError
from .grading import GradingScheme
from .stages import STAGES

__all__ = ["STAGE_ORDER", "Basis", "BasisLike", "GradingLike", "Plan", "PlanLike", "Recipe", "Step"]

#: Stages in the order the pipeline runs them (``screen`` chooses the units, the others transform their values).
STAGE_ORDER = ("screen", "denominate", "transform", "impute", "treat", "normalise", "weight", "aggregate", "rank")
#: Stages applied per indicator (overrides by indicator code) and per parent node (overrides by level or code).
INDICATOR_STAGES = frozenset({"denominate", "transform", "impute", "treat", "normalise"})
NODE_STAGES = frozenset({"weight", "aggregate"})


@dataclass(frozen=True, init=False)
class Step:
    """One method with its parameters, e.g. ``Step("minmax", lo=0, hi=100)``."""

    method: str
    params: tuple[tuple[str, Any], ...]

    def __init__(self, method: str, /, **params: Any) -> None:
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "params", tuple(sorted((k, freeze(v)) for k, v in params.items())))

    @property
    def kwargs(self) -> dict[str, Any]:
        """The parameters as keyword arguments (containers thawed back to lists and dicts): a fresh dict."""
        return {k: thaw(v) for k, v in self.params}

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, **{k: thaw(v) for k, v in self.params}}

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


BasisKind = Literal["relative", "goalposts", "frozen"]
_BASIS_KINDS = ("relative", "goalposts", "frozen")
_STAT_NAMES = ("min", "max", "mean", "sd")


@dataclass(frozen=True)
class Basis:
    """Where the normalisers' statistics come from: what a score is measured against.

    - ``relative`` (the default): the units in the file, year by year. Scores rank those units against each other
      and change when units are added or removed: fit for exploration, not for absolute grades or for following a
      cluster over the years.
    - ``goalposts``: fixed bounds per indicator from the framework (a floor and a world-class level), as the UNDP's
      HDI does; values beyond them are capped where the goalposts say ``cap``. Min-max then scores 0 at the floor and
      100 at the world-class level, whatever else is in the file.
    - ``frozen``: statistics (min, max, mean, standard deviation per indicator, in the indicator's own units after
      treatment) fitted once on a reference population and written into the recipe (``clusterleap calibrate``), so
      that later data sets and years are scored on the same scale; ``fitted_on`` says what population, and the
      statistics are part of the recipe's hash and so of every result's provenance. ``clip`` sets values beyond the
      reference range to its bounds (as goalposts cap), so that a unit never scores outside the normaliser's scale.

    On a comparable basis (goalposts, frozen) a unit's score depends on its own data only, so every stage must be
    unit-level: methods that draw on the other units (medians, ranks, data-driven weights, TOPSIS) are refused when
    the recipe is built."""

    kind: BasisKind = "relative"
    stats: tuple[tuple[str, tuple[float, float, float, float]], ...] = ()
    clip: bool = True
    fitted_on: str = ""

    @property
    def comparable(self) -> bool:
        """True when a score means the same whatever other units are in the file and whatever the year."""
        return self.kind != "relative"

    def stat(self, code: str) -> tuple[float, float, float, float] | None:
        """(min, max, mean, sd) of one indicator on a frozen basis."""
        return dict(self.stats).get(code)

    def to_dict(self) -> Any:
        if self.kind != "frozen":
            return self.kind
        d: dict[str, Any] = {"kind": "frozen"}
        if self.fitted_on:
            d["fitted_on"] = self.fitted_on
        d["clip"] = self.clip
        d["stats"] = {c: dict(zip(_STAT_NAMES, v, strict=True)) for c, v in self.stats}
        return d

    @classmethod
    def parse(cls, spec: Any, where: str) -> Basis:
        """A basis from itself, a kind name or a mapping ``{kind, stats: {code: {min, max, mean, sd}}, clip,
        fitted_on}``."""
        if isinstance(spec, Basis):
            return spec
        if spec is None:
            return cls()
        if isinstance(spec, str):
            spec = {"kind": spec}
        if not isinstance(spec, Mapping):
            raise RecipeError(f"{where}: expected one of {', '.join(_BASIS_KINDS)} or a mapping with 'kind', "
                              f"got {type(spec).__name__}")
        for key in spec:
            if key not in ("kind", "stats", "clip", "fitted_on"):
                raise RecipeError(f"{where}: unknown key {key!r}"
                                  f"{did_you_mean(str(key), ['kind', 'stats', 'clip', 'fitted_on'])}")
        kind = spec.get("kind", "relative")
        if kind not in _BASIS_KINDS:
            raise RecipeError(f"{where}: kind {kind!r} is not a scoring basis{did_you_mean(str(kind), _BASIS_KINDS)}")
        clip = spec.get("clip", True)
        if not isinstance(clip, bool):
            raise RecipeError(f"{where}: clip is {clip!r} (expected true or false)")
        fitted_on = spec.get("fitted_on", "")
        if not isinstance(fitted_on, str):
            raise RecipeError(f"{where}: fitted_on is {fitted_on!r} (expected a text)")
        raw = spec.get("stats") or {}
        if kind != "frozen" and raw:
            raise RecipeError(f"{where}: 'stats' belong to a frozen basis (kind is {kind!r})")
        if kind == "frozen" and not raw:
            raise RecipeError(f"{where}: a frozen basis needs 'stats' per indicator (write them with "
                              "`clusterleap calibrate`)")
        if not isinstance(raw, Mapping):
            raise RecipeError(f"{where}: stats must map indicator codes to {{min, max, mean, sd}}")
        stats = []
        for code, v in raw.items():
            at = f"{where}, stats.{code}"
            if not isinstance(v, Mapping) or set(v) != set(_STAT_NAMES):
                raise RecipeError(f"{at}: expected a mapping with exactly min, max, mean and sd")
            nums = []
            for name in _STAT_NAMES:
                x = v[name]
                if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                    raise RecipeError(f"{at}: {name} is {x!r} (expected a finite number)")
                nums.append(float(x))
            mn, mx, mean, sd = nums
            if not mn <= mean <= mx or sd < 0:
                raise RecipeError(f"{at}: min {mn:g}, max {mx:g}, mean {mean:g}, sd {sd:g} are inconsistent "
                                  "(expected min <= mean <= max and sd >= 0)")
            stats.append((str(code), (mn, mx, mean, sd)))
        return cls(kind, tuple(sorted(stats)), clip, fitted_on)

    def describe(self, lang: str = "en") -> str:
        """One line for outputs: what the scores are measured against."""
        zh = lang == "zh"
        if self.kind == "goalposts":
            return ("固定目标值（框架的底线与世界级水平）" if zh
                    else "fixed goalposts (the framework's floors and world-class levels)")
        if self.kind == "frozen":
            on = self.fitted_on or ("参照总体" if zh else "a reference population")
            return f"冻结的参照（拟合于{on}）" if zh else f"a frozen reference (fitted on {on})"
        return "相对（仅对文件中的单元排序）" if zh else "relative (ranks the units in the file only)"


def _grading(spec: Any, where: str) -> GradingScheme:
    """A grading scheme from itself or a mapping (the optional ``grading`` field of a recipe)."""
    if isinstance(spec, GradingScheme):
        return spec
    if isinstance(spec, Mapping):
        return GradingScheme.from_dict(spec, where)
    raise RecipeError(f"{where}: expected a grading scheme (a mapping with 'tiers'), got {spec!r}")


def _python_place(key: str, value: Any) -> str:
    """Where a recipe built in Python went wrong: the argument as the call gave it (a plan without overrides shown
    as its step)."""
    if isinstance(value, Plan) and not (value.levels or value.nodes):
        value = value.default
    return f"Recipe argument {key}={value!r}" if value != "..." else f"Recipe argument {key}"


def _check_comparable(stage: str, plan: Plan, registry: Registry[Any], basis: Basis, where: str) -> None:
    """On a comparable basis every method must give a unit's value from its own data (and the basis)."""
    for step in plan.steps():
        method = registry.get(step.method)
        if method.relative:
            raise RecipeError(
                f"{where}: {stage} method {step.method!r} draws on the other units in the file, so scores on the "
                f"{basis.kind} basis would change when units are added or removed ({_UNIT_LEVEL_HINTS[stage]})")
        if stage == "normalise" and basis.kind == "goalposts" and step.method == "zscore":
            raise RecipeError(f"{where}: zscore needs a mean and a standard deviation, which goalposts do not give "
                              "(use minmax or goalposts on fixed goalposts, or a frozen basis from "
                              "`clusterleap calibrate`)")


_UNIT_LEVEL_HINTS = {
    "screen": "screening is by each unit's own coverage",
    "denominate": "",
    "transform": "",
    "impute": "use none, locf or linear (a unit's own years) on a comparable basis",
    "treat": "use none: the basis caps values at its bounds instead",
    "normalise": "use minmax, goalposts, target, frontier or proportion, which take their bounds from the basis",
    "weight": "use framework, equal or ahp weights; data-driven weights rank the units in the file",
    "aggregate": "use arithmetic, geometric, harmonic or power means",
    "rank": "",
}


#: Each stage's default method.
DEFAULT_METHODS = {
    "screen": "none", "denominate": "framework", "transform": "framework", "impute": "none", "treat": "none",
    "normalise": "minmax", "weight": "framework", "aggregate": "arithmetic", "rank": "descending",
}


#: What a recipe's stage field accepts: a plan, a step, a method name or a mapping ``{method, ...params, levels,
#: nodes}`` (read with :meth:`Plan.parse`). The field then holds the :class:`Plan`.
PlanLike = Plan | Step | str | Mapping[str, Any]
#: What a recipe's ``basis`` accepts: a basis, a kind name, a mapping (:meth:`Basis.parse`) or None (relative).
BasisLike = Basis | BasisKind | Mapping[str, Any] | None
#: What a recipe's ``grading`` accepts: a scheme, a mapping with ``tiers``, or None (no grading scheme).
GradingLike = GradingScheme | Mapping[str, Any] | None

def _default(stage: str) -> Converted[PlanLike, Plan]:
    return Converted(Plan(Step(DEFAULT_METHODS[stage])))


@dataclass(frozen=True)
class Recipe:
    """How to build a result: one plan per stage, in :data:`STAGE_ORDER`. Defaults: framework denominators and
    transforms, no imputation or treatment, min-max 0-100, framework weights, arithmetic means, ranks with ties
    sharing the best rank."""

    screen: Converted[PlanLike, Plan] = _default("screen")
    denominate: Converted[PlanLike, Plan] = _default("denominate")
    transform: Converted[PlanLike, Plan] = _default("transform")
    impute: Converted[PlanLike, Plan] = _default("impute")
    treat: Converted[PlanLike, Plan] = _default("treat")
    normalise: Converted[PlanLike, Plan] = _default("normalise")
    weight: Converted[PlanLike, Plan] = _default("weight")
    aggregate: Converted[PlanLike, Plan] = _default("aggregate")
    rank: Converted[PlanLike, Plan] = _default("rank")
    name: str = ""
    description: str = ""
    source: str = field(default="", compare=False)
    grading: Converted[GradingLike, GradingScheme | None] = Converted(None)
    basis: Converted[BasisLike, Basis] = Converted(Basis())

    #: where the values being checked were read from (given by :meth:`from_dict`); a recipe built or changed in
    #: Python (``Recipe(...)``, ``dataclasses.replace``) is checked against the arguments of that call instead, never
    #: against a file the new values did not come from
    read_from: InitVar[str] = ""

    def __post_init__(self, read_from: str) -> None:
        def place(key: str, value: Any) -> str:
            return f"{read_from}, {key}" if read_from else _python_place(key, value)

        object.__setattr__(self, "basis", Basis.parse(self.basis, place("basis", self.basis)))
        if self.grading is not None:
            object.__setattr__(self, "grading", _grading(self.grading, place("grading", "...")))
        stages = STAGES
        for stage in STAGE_ORDER:
            where = place(stage, getattr(self, stage))
            plan = Plan.parse(getattr(self, stage), where)
            if plan.levels and stage not in NODE_STAGES:
                raise RecipeError(f"{where}: 'levels' overrides apply to weight and aggregate only "
                                  "(use 'nodes' with indicator codes)")
            if (plan.levels or plan.nodes) and stage in ("rank", "screen"):
                raise RecipeError(f"{where}: {stage} takes no per-level or per-node overrides")

            def canon(step: Step, at: str, _reg: Registry[Any] = stages[stage], _stage: str = stage) -> Step:
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
            if self.basis.comparable:
                _check_comparable(stage, plan, stages[stage], self.basis, where)

    # -- conveniences -------------------------------------------------------------------------------------------
    def with_step(self, stage: str, step: Step | str) -> Recipe:
        """A copy with the default step of ``stage`` replaced (overrides kept)."""
        if stage not in STAGE_ORDER:
            raise RecipeError(f"unknown stage {stage!r}{did_you_mean(stage, list(STAGE_ORDER))}")
        plan: Plan = getattr(self, stage)
        changes: dict[str, Any] = {stage: replace(plan, default=Step.parse(step, stage))}
        return replace(self, **changes)

    def plan(self, stage: str) -> Plan:
        """The plan of ``stage`` (one of :data:`STAGE_ORDER`)."""
        plan: Plan = getattr(self, stage)
        return plan

    # -- serialisation ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.name:
            d["name"] = self.name
        if self.description:
            d["description"] = self.description
        for stage in STAGE_ORDER:
            d[stage] = self.plan(stage).to_dict()
        d["basis"] = self.basis.to_dict()
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
            elif key == "basis":
                kwargs[key] = Basis.parse(value, f"{where}, basis")
            else:
                kwargs[key] = Plan.parse(value, f"{where}, {key}", DEFAULT_METHODS[key])
        if "name" not in kwargs and source.endswith((".yaml", ".yml")):
            kwargs["name"] = Path(source).stem
        return cls(**kwargs, source=source, read_from=where)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Recipe:
        return cls.from_dict(read_yaml(path, RecipeError) or {}, str(path))

    @property
    def hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()
