"""The uncertainty space: the contestable choices of an evaluation, declared as factors (YAML or Python).

Each factor maps uniforms ``u`` in ``[0, 1)`` to values; a factor is one group in Sobol' analysis:

- :class:`WeightNoise`: ``w' = w (1 + f (2u - 1))``, uniform on ``[w (1 - f), w (1 + f)]`` around the nominal
  weight, per level or per listed nodes (COINr ``get_noisy_weights``);
- :class:`MethodChoice`: one of several plans for a stage, option ``j`` when ``c_{j-1} <= u < c_j`` with ``c`` the
  cumulative probabilities; a stage on/off is a choice between the recipe's plan and ``none``;
- :class:`FrameworkChoice`: one of several frameworks over the same indicator pool;
- :class:`GoalpostRanges`: goalposts uniform on ``[lo_a, lo_b]`` and ``[hi_a, hi_b]`` per indicator.

:mod:`clusterleap.robustness` resolves a space against a framework, data and recipe, samples it and
propagates the samples (declare, sample, propagate: as SALib separates them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._api import as_framework
from .._files import read_yaml
from .._framework import Framework
from .._recipe import STAGE_ORDER, Plan, Step
from .._registry import did_you_mean
from ..errors import FrameworkError, RecipeError, SpaceError
from ..stages import STAGES

__all__ = ["CHOICE_STAGES", "NOMINAL", "Factor", "FrameworkChoice", "GoalpostRange", "GoalpostRanges",
           "MethodChoice", "Space", "WeightNoise", "option_label"]

#: The option that keeps the recipe's own plan (or the framework being evaluated).
NOMINAL = "nominal"
#: Stages a choice may vary (ranks are what is measured, so the rank stage is fixed).
CHOICE_STAGES = tuple(s for s in STAGE_ORDER if s not in ("rank", "screen"))


# -- the space ----------------------------------------------------------------------------------------------------
def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and bool(np.isfinite(x))


def _probabilities(p: Sequence[Any], k: int, where: str) -> tuple[float, ...]:
    """Probabilities of ``k`` options: equal when none are given, else ``k`` non-negative numbers summing to 1."""
    if not p:
        return tuple([1.0 / k] * k)
    if isinstance(p, str | bytes) or not isinstance(p, Sequence):
        raise SpaceError(f"{where}: probabilities must be a list of numbers, got {p!r}")
    if len(p) != k:
        raise SpaceError(f"{where}: {len(p)} probabilities for {k} options (expected one per option)")
    for x in p:
        if not _is_number(x) or x < 0:
            raise SpaceError(f"{where}: probability {x!r} is not a number >= 0")
    total = float(sum(p))
    if abs(total - 1.0) > 1e-9:
        raise SpaceError(f"{where}: probabilities sum to {total:.6g} (expected 1)")
    return tuple(float(x) for x in p)


@dataclass(frozen=True)
class WeightNoise:
    """Uniform noise of ``±noise`` (a fraction of the nominal weight) on the weights of the nodes at ``level``
    (1 = indicators, as in COINr), of the listed ``nodes``, or, when neither is given, of every node but the root."""

    noise: float
    level: int | None = None
    nodes: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(str(n) for n in self.nodes))
        where = f"space, factor {self.label!r}"
        if not _is_number(self.noise) or not 0 <= self.noise < 1:
            raise SpaceError(f"{where}: noise {self.noise!r} must be a number in [0, 1) (a fraction of the nominal "
                             "weight, e.g. 0.25 for ±25 %)")
        if self.level is not None and self.nodes:
            raise SpaceError(f"{where}: give either 'level' or 'nodes', not both")
        if self.level is not None and (isinstance(self.level, bool) or not isinstance(self.level, int)
                                       or self.level < 1):
            raise SpaceError(f"{where}: level {self.level!r} must be a whole number >= 1 (1 = indicator weights)")

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.level is not None:
            return f"weights level {self.level}"
        if self.nodes:
            more = "..." if len(self.nodes) > 3 else ""
            return f"weights {','.join(self.nodes[:3])}{more}"
        return "weights"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"noise": self.noise}
        if self.level is not None:
            d["level"] = self.level
        if self.nodes:
            d["nodes"] = list(self.nodes)
        return {"name": self.label, "weights": d}


def option_label(plan: Plan | None) -> str:
    if plan is None:
        return NOMINAL
    step = plan.default
    args = ", ".join(f"{k}={v}" for k, v in step.params)
    extra = " + overrides" if plan.levels or plan.nodes else ""
    return f"{step.method}({args}){extra}" if args else f"{step.method}{extra}"


def _check_plan(stage: str, plan: Plan, where: str) -> None:
    """Every step of an option names a method of the stage with valid parameters."""
    registry = STAGES[stage]
    for step in plan.steps():
        if step.method not in registry:
            raise SpaceError(f"{where}: unknown {stage} method {step.method!r}"
                             f"{did_you_mean(step.method, registry.names())}")
        try:
            registry.get(step.method).check_params(dict(step.params), where)
        except RecipeError as exc:
            raise SpaceError(str(exc)) from None


@dataclass(frozen=True)
class MethodChoice:
    """One of several plans for a recipe stage; ``None`` (or ``"nominal"``) keeps the recipe's own plan."""

    stage: str
    options: tuple[Plan | None, ...]
    probabilities: tuple[float, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        where = f"space, factor {self.label!r}"
        if self.stage not in CHOICE_STAGES:
            raise SpaceError(f"{where}: stage {self.stage!r} cannot be varied"
                             f"{did_you_mean(str(self.stage), list(CHOICE_STAGES))}")
        opts: list[Any] = list(self.options)
        if not opts:
            raise SpaceError(f"{where}: no options (expected at least one method)")
        parsed: list[Plan | None] = []
        for i, opt in enumerate(opts):
            if opt is None or opt == NOMINAL:
                parsed.append(None)
                continue
            try:
                parsed.append(Plan.parse(opt, f"{where}, option {i + 1}"))
            except RecipeError as exc:
                raise SpaceError(str(exc)) from None
        for i, plan in enumerate(parsed):
            if plan is not None:
                _check_plan(self.stage, plan, f"{where}, option {i + 1}")
        object.__setattr__(self, "options", tuple(parsed))
        object.__setattr__(self, "probabilities", _probabilities(self.probabilities, len(parsed), where))

    @property
    def label(self) -> str:
        return self.name or str(self.stage)

    def option_labels(self) -> list[str]:
        return [option_label(p) for p in self.options]

    def to_dict(self) -> dict[str, Any]:
        opts = [NOMINAL if p is None else p.to_dict() for p in self.options]
        return {"name": self.label, "choice": {"stage": self.stage, "options": opts,
                                                "probabilities": list(self.probabilities)}}


@dataclass(frozen=True)
class FrameworkChoice:
    """One of several frameworks over the same indicator pool; ``None`` (or ``"nominal"``) is the framework being
    evaluated. Node scores are reported under their codes; every framework's root is reported as the index."""

    options: tuple[Framework | None, ...]
    probabilities: tuple[float, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        where = f"space, factor {self.label!r}"
        opts: list[Framework | None] = []
        given: list[Any] = list(self.options)
        for i, opt in enumerate(given):
            if opt is None or opt == NOMINAL:
                opts.append(None)
            elif isinstance(opt, Framework):
                opts.append(opt)
            else:
                raise SpaceError(f"{where}, option {i + 1}: expected a Framework or {NOMINAL!r}, got {opt!r}")
        if not opts:
            raise SpaceError(f"{where}: no options (expected at least one framework)")
        object.__setattr__(self, "options", tuple(opts))
        object.__setattr__(self, "probabilities", _probabilities(self.probabilities, len(opts), where))

    @property
    def label(self) -> str:
        return self.name or "framework"

    def option_labels(self) -> list[str]:
        return [NOMINAL if f is None else f.name for f in self.options]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.label, "frameworks": {"options": self.option_labels(),
                                                   "probabilities": list(self.probabilities)}}


@dataclass(frozen=True)
class GoalpostRange:
    """Goalposts of one indicator (in its own units): ``lo`` uniform on ``(lo_a, lo_b)``, ``hi`` on ``(hi_a,
    hi_b)``; ``None`` keeps the framework's value."""

    indicator: str
    lo: tuple[float, float] | None = None
    hi: tuple[float, float] | None = None


@dataclass(frozen=True)
class GoalpostRanges:
    """Ranges for the goalposts of some indicators (one factor; each sample draws every range)."""

    ranges: tuple[GoalpostRange, ...]
    name: str = ""

    def __post_init__(self) -> None:
        where = f"space, factor {self.label!r}"
        ranges = tuple(self.ranges)
        if not ranges:
            raise SpaceError(f"{where}: no indicators (expected at least one goalpost range)")
        seen: set[str] = set()
        for r in ranges:
            if r.indicator in seen:
                raise SpaceError(f"{where}: indicator {r.indicator!r} appears twice")
            seen.add(r.indicator)
            if r.lo is None and r.hi is None:
                raise SpaceError(f"{where}, {r.indicator!r}: give a range for lo, hi or both")
            for side, rng in (("lo", r.lo), ("hi", r.hi)):
                if rng is not None and not (len(rng) == 2 and all(_is_number(v) for v in rng) and rng[0] <= rng[1]):
                    raise SpaceError(f"{where}, {r.indicator!r}: {side} range {rng!r} must be two numbers [a, b] "
                                     "with a <= b")
            if r.lo is not None and r.hi is not None and not r.lo[1] < r.hi[0]:
                raise SpaceError(f"{where}, {r.indicator!r}: lo range {list(r.lo)} overlaps hi range {list(r.hi)} "
                                 "(every lo must stay below every hi)")
        object.__setattr__(self, "ranges", ranges)

    @property
    def label(self) -> str:
        return self.name or "goalposts"

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        for r in self.ranges:
            spec[r.indicator] = {k: list(v) for k, v in (("lo", r.lo), ("hi", r.hi)) if v is not None}
        return {"name": self.label, "goalposts": spec}


Factor = WeightNoise | MethodChoice | FrameworkChoice | GoalpostRanges
_FACTOR_PREFIX = re.compile(r"^space, factor ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
_KINDS = ("weights", "choice", "switch", "frameworks", "goalposts")


@dataclass(frozen=True)
class Space:
    """The uncertain choices of an evaluation: a tuple of factors (see the module docs). An empty space has no
    uncertainty: every sample is the nominal evaluation."""

    factors: tuple[Factor, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        factors = tuple(self.factors)
        labels: set[str] = set()
        stages: set[str] = set()
        n_fw = n_gp = 0
        for f in factors:
            if not isinstance(f, WeightNoise | MethodChoice | FrameworkChoice | GoalpostRanges):
                raise SpaceError(f"space: {f!r} is not a factor (expected WeightNoise, MethodChoice, "
                                 "FrameworkChoice or GoalpostRanges)")
            if f.label in labels:
                raise SpaceError(f"space: two factors are named {f.label!r} (names must be unique)")
            labels.add(f.label)
            if isinstance(f, MethodChoice):
                if f.stage in stages:
                    raise SpaceError(f"space, factor {f.label!r}: stage {f.stage!r} is already varied by another "
                                     "factor (put all its options in one choice)")
                stages.add(f.stage)
            n_fw += isinstance(f, FrameworkChoice)
            n_gp += isinstance(f, GoalpostRanges)
        if n_fw > 1:
            raise SpaceError("space: more than one framework choice (put all frameworks in one)")
        if n_gp > 1:
            raise SpaceError("space: more than one goalposts factor (put all ranges in one)")
        object.__setattr__(self, "factors", factors)

    @staticmethod
    def switch(stage: str, p_on: float = 0.5, name: str = "") -> MethodChoice:
        """A stage on or off: the recipe's own plan with probability ``p_on``, else ``none``."""
        where = f"space, factor {name or stage!r}"
        if stage not in STAGES or "none" not in STAGES[stage]:
            can = [s for s in CHOICE_STAGES if "none" in STAGES[s]]
            raise SpaceError(f"{where}: stage {stage!r} cannot be switched off (stages with a 'none' method: "
                             f"{', '.join(can)})")
        if not _is_number(p_on) or not 0 <= p_on <= 1:
            raise SpaceError(f"{where}: p_on {p_on!r} must be a number in [0, 1]")
        return MethodChoice(stage, (None, Plan(Step("none"))), (float(p_on), 1.0 - float(p_on)), name)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f.label for f in self.factors)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name} if self.name else {}
        d["factors"] = [f.to_dict() for f in self.factors]
        return d

    # -- reading --------------------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "space", base_dir: str | Path | None = None) -> Space:
        """A space from a mapping ``{name, factors: [...]}`` (the YAML layout, see docs/robustness.md). Framework
        files named in a framework choice are found relative to ``base_dir``."""
        if not isinstance(d, Mapping):
            raise SpaceError(f"{source}: expected a mapping with a 'factors' list")
        for key in d:
            if key not in ("name", "factors"):
                raise SpaceError(f"{source}: unknown key {key!r}{did_you_mean(str(key), ['name', 'factors'])}")
        raw = d.get("factors") or []
        if not isinstance(raw, list):
            raise SpaceError(f"{source}: 'factors' must be a list")
        factors = []
        for i, spec in enumerate(raw):
            where = f"{source}, factor {i + 1}"
            try:
                factors.append(_factor_from_dict(spec, where, Path(base_dir) if base_dir else None))
            except SpaceError as exc:
                msg = str(exc)
                raise SpaceError(msg if msg.startswith(source) else _locate(msg, where)) from None
        try:
            return cls(tuple(factors), str(d.get("name", "")))
        except SpaceError as exc:
            msg = str(exc)
            raise SpaceError(source + msg[len("space"):] if msg.startswith("space") else f"{source}: {msg}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Space:
        """Read a space file (YAML)."""
        path = Path(path)
        return cls.from_dict(read_yaml(path, SpaceError) or {}, str(path), path.parent)


def _locate(msg: str, where: str) -> str:
    """``space, factor 'name': ...`` -> ``space.yaml, factor 3 ('name'): ...``; other messages get ``where``."""
    m = _FACTOR_PREFIX.match(msg)
    return f"{where} ({m.group(1)}){msg[m.end():]}" if m else f"{where}: {msg}"


def _keys(spec: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in spec:
        if key not in allowed:
            raise SpaceError(f"{where}: unknown key {key!r}{did_you_mean(str(key), list(allowed))}")


def _mapping(spec: Any, where: str, what: str) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        raise SpaceError(f"{where}: expected {what}, got {spec!r}")
    return spec


def _factor_from_dict(spec: Any, where: str, base: Path | None) -> Factor:
    spec = _mapping(spec, where, f"a mapping with one of the keys {', '.join(_KINDS)}")
    kinds = [k for k in spec if k in _KINDS]
    _keys(spec, [*_KINDS, "name"], where)
    if len(kinds) != 1:
        raise SpaceError(f"{where}: expected exactly one of the keys {', '.join(_KINDS)}, found "
                         f"{', '.join(kinds) or 'none'}")
    kind = kinds[0]
    name = str(spec.get("name", ""))
    body = spec[kind]
    at = f"{where}, {kind}"
    if kind == "weights":
        body = _mapping(body, at, "{noise: f, level: L} or {noise: f, nodes: [...]}")
        _keys(body, ["noise", "level", "nodes"], at)
        if "noise" not in body:
            raise SpaceError(f"{at}: no 'noise' (a fraction of the nominal weight, e.g. 0.25)")
        nodes = body.get("nodes") or ()
        if isinstance(nodes, str):
            nodes = (nodes,)
        if not isinstance(nodes, list | tuple):
            raise SpaceError(f"{at}: 'nodes' must be a list of node codes")
        return WeightNoise(body["noise"], body.get("level"), tuple(str(n) for n in nodes), name)
    if kind == "choice":
        body = _mapping(body, at, "{stage: S, options: [...], probabilities: [...]}")
        _keys(body, ["stage", "options", "probabilities"], at)
        if "stage" not in body or "options" not in body:
            raise SpaceError(f"{at}: needs 'stage' and 'options'")
        opts = body["options"]
        if not isinstance(opts, list):
            raise SpaceError(f"{at}: 'options' must be a list of methods")
        return MethodChoice(str(body["stage"]), tuple(opts), tuple(body.get("probabilities") or ()), name)
    if kind == "switch":
        if isinstance(body, str):
            body = {"stage": body}
        body = _mapping(body, at, "{stage: S, p_on: p}")
        _keys(body, ["stage", "p_on"], at)
        if "stage" not in body:
            raise SpaceError(f"{at}: needs 'stage'")
        return Space.switch(str(body["stage"]), body.get("p_on", 0.5), name)
    if kind == "frameworks":
        body = _mapping(body, at, "{options: [...], probabilities: [...]}")
        _keys(body, ["options", "probabilities"], at)
        opts = body.get("options")
        if not isinstance(opts, list) or not opts:
            raise SpaceError(f"{at}: 'options' must be a list of frameworks (built-in names, files, or 'nominal')")
        frameworks: list[Framework | None] = []
        for i, opt in enumerate(opts):
            if opt == NOMINAL:
                frameworks.append(None)
                continue
            path = Path(str(opt))
            if base is not None and not path.is_absolute() and (base / path).exists():
                path = base / path
            try:
                frameworks.append(as_framework(path if path.exists() else str(opt)))
            except FrameworkError as exc:
                raise SpaceError(f"{at}, option {i + 1}: {exc}") from None
        return FrameworkChoice(tuple(frameworks), tuple(body.get("probabilities") or ()), name)
    body = _mapping(body, at, "a mapping of indicator code -> {lo: [a, b], hi: [a, b]}")
    ranges = []
    for code, r in body.items():
        r = _mapping(r, f"{at}, {code!r}", "{lo: [a, b], hi: [a, b]}")
        _keys(r, ["lo", "hi"], f"{at}, {code!r}")
        sides: dict[str, tuple[float, float] | None] = {}
        for side in ("lo", "hi"):
            v = r.get(side)
            if v is not None and (not isinstance(v, list | tuple) or len(v) != 2):
                raise SpaceError(f"{at}, {code!r}: {side} must be a range [a, b], got {v!r}")
            sides[side] = None if v is None else (v[0], v[1])
        ranges.append(GoalpostRange(str(code), sides["lo"], sides["hi"]))
    return GoalpostRanges(tuple(ranges), name)
