"""Grading schemes (分级方案): ordered tiers of clusters as data, read from YAML or built in.

A :class:`GradingScheme` lists tiers from the highest (world-class) down; a unit gets the first tier whose every
condition it meets:

- ``min_score``: the index (or ``scheme.index``) at or above a threshold;
- ``floors``: a node's score at or above a floor (``"*"`` = every dimension, i.e. every child of the index). A short
  board below the floor keeps a cluster out of the tier, whatever its index: the seed's "no blockages or breakpoints"
  (没有堵点断点) read as a rule;
- ``top_percent``: among the top k % of the reference units on the index (fewer than k % of them score strictly
  higher); reference units are the domestic (non-benchmark) units by default;
- ``benchmark_margin``: index at least the median index of the benchmark units minus a margin;
- ``min_criteria``: meets at least n of the scheme's m ``criteria``, as the European Secretariat for Cluster Analysis
  (ESCA) labels count met quality indicators. The European Cluster Observatory's star rating is the case of three
  criteria (:func:`observatory_scheme`): one star each for being in the top 10 % of regional clusters of the same
  category on employment (size), for an employment location quotient of 2 or more (specialisation), and for being
  in the top 10 % on the cluster's share of its region's employment (focus); a productivity criterion can replace
  focus (European Cluster Observatory, "Cluster mapping methodology: size, specialisation and focus",
  clusterobservatory.eu, index.php?id=49).

Thresholds are on the scale of the recipe's normalisation (0-100 for the default min-max). The vectorised kernel
that applies a scheme is :mod:`clusterleap.grading._kernel`; reasons in words are :mod:`clusterleap.analysis._grades`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from .._files import read_yaml
from .._registry import did_you_mean
from ..errors import RecipeError

__all__ = [
    "ALL_DIMENSIONS",
    "Criterion",
    "GradingScheme",
    "Tier",
    "builtin_schemes",
    "default_scheme",
    "expand_floors",
    "load_scheme",
    "observatory_scheme",
    "short_number",
]

Among = Literal["domestic", "all"]

ALL_DIMENSIONS = "*"
_TIER_KEYS = {"code", "name_en", "name_zh", "min_score", "floors", "top_percent", "benchmark_margin",
              "min_criteria", "among"}
_CRIT_KEYS = {"code", "name_en", "name_zh", "variable", "source", "min_value", "top_percent", "within", "among"}
_SCHEME_KEYS = {"name", "description", "index", "tiers", "criteria", "min_coverage"}


def short_number(v: float) -> str:
    """A threshold as people write it: 60, 7.5, 0.1234."""
    return f"{v:g}" if abs(v) < 1e6 and float(v) == round(float(v), 4) else f"{v:.4g}"


@dataclass(frozen=True)
class Criterion:
    """One yes/no quality criterion (a "star"): ``variable`` >= ``min_value`` and/or in the top ``top_percent`` %.

    ``source``: 'score' reads a node's score of the result, 'data' a raw column of the data set (e.g. employment or
    a location quotient) in the evaluated year. ``within``: a unit metadata column (e.g. sector) so that the top k %
    is taken within each group, as the Observatory compares regions within one cluster category. ``among``: the
    reference units of the top k % (all units by default)."""

    code: str
    variable: str
    name_en: str = ""
    name_zh: str = ""
    source: Literal["score", "data"] = "score"
    min_value: float | None = None
    top_percent: float | None = None
    within: str | None = None
    among: Among = "all"

    def label(self, lang: str = "en") -> str:
        first, second = (self.name_zh, self.name_en) if lang == "zh" else (self.name_en, self.name_zh)
        return first or second or self.code


@dataclass(frozen=True)
class Tier:
    """One grade with its conditions (all must hold). A tier without conditions takes every unit that reaches it."""

    code: str
    name_en: str = ""
    name_zh: str = ""
    min_score: float | None = None
    floors: tuple[tuple[str, float], ...] = ()
    top_percent: float | None = None
    benchmark_margin: float | None = None
    min_criteria: int | None = None
    among: Among = "domestic"

    def label(self, lang: str = "en") -> str:
        first, second = (self.name_zh, self.name_en) if lang == "zh" else (self.name_en, self.name_zh)
        return first or second or self.code

    @property
    def has_conditions(self) -> bool:
        return any(v is not None for v in (self.min_score, self.top_percent, self.benchmark_margin,
                                           self.min_criteria)) or bool(self.floors)


@dataclass(frozen=True)
class GradingScheme:
    """Ordered tiers (highest first) and the criteria that ``min_criteria`` counts. ``index``: the node graded (the
    framework's root when None). Frozen and hashable, so that a :class:`~clusterleap.Recipe` can carry it."""

    tiers: tuple[Tier, ...]
    criteria: tuple[Criterion, ...] = ()
    name: str = ""
    description: str = ""
    index: str | None = None
    #: units with data on a smaller share of the indicators are not graded (None: no coverage rule)
    min_coverage: float | None = None

    def __post_init__(self) -> None:
        _validate(self)

    def absolute_rules(self) -> list[str]:
        """The rules that compare a score with a fixed number (min_score, floors, score criteria with min_value):
        they mean something only on a comparable scoring basis."""
        out = [f"tier {t.code!r} min_score {short_number(t.min_score)}" for t in self.tiers if t.min_score is not None]
        out += [f"tier {t.code!r} floors" for t in self.tiers if t.floors]
        out += [f"criterion {c.code!r} min_value {short_number(c.min_value)}" for c in self.criteria
                if c.source == "score" and c.min_value is not None]
        return out

    # -- serialisation -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.name:
            d["name"] = self.name
        if self.description:
            d["description"] = self.description
        if self.index is not None:
            d["index"] = self.index
        if self.min_coverage is not None:
            d["min_coverage"] = self.min_coverage
        d["tiers"] = [_tier_dict(t) for t in self.tiers]
        if self.criteria:
            d["criteria"] = [_crit_dict(c) for c in self.criteria]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "grading scheme") -> GradingScheme:
        """A scheme from :meth:`to_dict` output (as read from YAML); errors name the tier or criterion and key."""
        if not isinstance(d, Mapping):
            raise RecipeError(f"{source}: expected a mapping with 'tiers' (and optionally 'criteria')")
        _check_keys(d, _SCHEME_KEYS, source)
        tiers_raw = d.get("tiers")
        if not isinstance(tiers_raw, Sequence) or isinstance(tiers_raw, str) or not tiers_raw:
            raise RecipeError(f"{source}: 'tiers' must be a non-empty list of tiers, highest first")
        crit_raw = d.get("criteria") or []
        if not isinstance(crit_raw, Sequence) or isinstance(crit_raw, str):
            raise RecipeError(f"{source}: 'criteria' must be a list")
        tiers = tuple(_parse_tier(t, f"{source}, tier {i + 1}") for i, t in enumerate(tiers_raw))
        criteria = tuple(_parse_criterion(c, f"{source}, criterion {i + 1}") for i, c in enumerate(crit_raw))
        index = d.get("index")
        try:
            return cls(tiers=tiers, criteria=criteria, name=str(d.get("name", "")),
                       description=str(d.get("description", "")), index=None if index is None else str(index),
                       min_coverage=_num(d.get("min_coverage"), source, "min_coverage"))
        except RecipeError as exc:
            msg = str(exc)
            raise RecipeError(msg if msg.startswith(source) else f"{source}: {msg}") from None

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    # -- structure -----------------------------------------------------------------------------------------------
    def nodes(self, dimensions: Sequence[str]) -> list[str]:
        """Every node code the scheme reads (floors, score criteria), with ``*`` expanded to ``dimensions``."""
        out: list[str] = []
        for t in self.tiers:
            for code, _ in expand_floors(t, dimensions):
                if code not in out:
                    out.append(code)
        out += [c.variable for c in self.criteria if c.source == "score" and c.variable not in out]
        return out

    def tier_index(self, code: str) -> int:
        for i, t in enumerate(self.tiers):
            if t.code == code:
                return i
        raise RecipeError(f"grading scheme {self.name!r}: no tier {code!r}"
                          f"{did_you_mean(code, [t.code for t in self.tiers])}")


def _tier_dict(t: Tier) -> dict[str, Any]:
    d: dict[str, Any] = {"code": t.code}
    for key in ("name_en", "name_zh"):
        if getattr(t, key):
            d[key] = getattr(t, key)
    for key in ("min_score", "top_percent", "benchmark_margin", "min_criteria"):
        if getattr(t, key) is not None:
            d[key] = getattr(t, key)
    if t.floors:
        d["floors"] = dict(t.floors)
    if t.among != "domestic":
        d["among"] = t.among
    return d


def _crit_dict(c: Criterion) -> dict[str, Any]:
    d: dict[str, Any] = {"code": c.code, "variable": c.variable}
    for key in ("name_en", "name_zh"):
        if getattr(c, key):
            d[key] = getattr(c, key)
    if c.source != "score":
        d["source"] = c.source
    for key in ("min_value", "top_percent", "within"):
        if getattr(c, key) is not None:
            d[key] = getattr(c, key)
    if c.among != "all":
        d["among"] = c.among
    return d


def _check_keys(d: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in d:
        if key not in allowed:
            raise RecipeError(f"{where}: unknown key {key!r}{did_you_mean(str(key), sorted(allowed))}")


def _num(value: Any, where: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecipeError(f"{where}: {key} is {value!r} (expected a finite number)")
    return float(value)


def _parse_tier(raw: Any, where: str) -> Tier:
    if not isinstance(raw, Mapping) or "code" not in raw:
        raise RecipeError(f"{where}: expected a mapping with at least 'code'")
    where = f"{where} ({raw['code']!r})"
    _check_keys(raw, _TIER_KEYS, where)
    floors_raw = raw.get("floors") or {}
    if not isinstance(floors_raw, Mapping):
        raise RecipeError(f"{where}: floors must map node codes (or '*' for every dimension) to numbers")
    floors = tuple((str(k), float(_num(v, where, f"floors.{k}") or 0.0)) for k, v in floors_raw.items())
    mc = raw.get("min_criteria")
    if mc is not None and (isinstance(mc, bool) or not isinstance(mc, int)):
        raise RecipeError(f"{where}: min_criteria is {mc!r} (expected a whole number)")
    return Tier(
        code=str(raw["code"]), name_en=str(raw.get("name_en", "")), name_zh=str(raw.get("name_zh", "")),
        min_score=_num(raw.get("min_score"), where, "min_score"), floors=floors,
        top_percent=_num(raw.get("top_percent"), where, "top_percent"),
        benchmark_margin=_num(raw.get("benchmark_margin"), where, "benchmark_margin"),
        min_criteria=mc, among=raw.get("among", "domestic"),
    )


def _parse_criterion(raw: Any, where: str) -> Criterion:
    if not isinstance(raw, Mapping) or "code" not in raw or "variable" not in raw:
        raise RecipeError(f"{where}: expected a mapping with at least 'code' and 'variable'")
    where = f"{where} ({raw['code']!r})"
    _check_keys(raw, _CRIT_KEYS, where)
    within = raw.get("within")
    return Criterion(
        code=str(raw["code"]), variable=str(raw["variable"]), name_en=str(raw.get("name_en", "")),
        name_zh=str(raw.get("name_zh", "")), source=raw.get("source", "score"),
        min_value=_num(raw.get("min_value"), where, "min_value"),
        top_percent=_num(raw.get("top_percent"), where, "top_percent"),
        within=None if within is None else str(within), among=raw.get("among", "all"),
    )


def _validate(s: GradingScheme) -> None:
    where = f"grading scheme {s.name!r}" if s.name else "grading scheme"
    if not s.tiers:
        raise RecipeError(f"{where}: no tiers (expected at least one, highest first)")
    if s.min_coverage is not None and not 0 <= s.min_coverage <= 1:
        raise RecipeError(f"{where}: min_coverage is {s.min_coverage:g} (expected a share between 0 and 1)")
    seen: set[str] = set()
    for i, t in enumerate(s.tiers):
        tw = f"{where}, tier {i + 1} ({t.code!r})"
        if not t.code:
            raise RecipeError(f"{where}, tier {i + 1}: empty code")
        if t.code in seen:
            raise RecipeError(f"{tw}: the code appears twice (tier codes must be unique)")
        seen.add(t.code)
        if t.top_percent is not None and not 0 < t.top_percent <= 100:
            raise RecipeError(f"{tw}: top_percent is {t.top_percent} (expected a percentage in (0, 100])")
        if t.benchmark_margin is not None and t.benchmark_margin < 0:
            raise RecipeError(f"{tw}: benchmark_margin is {t.benchmark_margin} (expected >= 0 points)")
        if t.among not in ("domestic", "all"):
            raise RecipeError(f"{tw}: among is {t.among!r} (expected 'domestic' or 'all')")
        if t.min_criteria is not None and not 1 <= t.min_criteria <= len(s.criteria):
            raise RecipeError(f"{tw}: min_criteria is {t.min_criteria} but the scheme has {len(s.criteria)} "
                              f"criteria (expected 1..{len(s.criteria)})")
        codes = [c for c, _ in t.floors]
        dup = next((c for c in codes if codes.count(c) > 1), None)
        if dup is not None:
            raise RecipeError(f"{tw}: floor for {dup!r} given twice")
        for fc, fv in t.floors:
            if not fc or not math.isfinite(fv):
                raise RecipeError(f"{tw}: floor {fc!r}: {fv!r} (expected a node code and a finite number)")
    cseen: set[str] = set()
    for i, c in enumerate(s.criteria):
        cw = f"{where}, criterion {i + 1} ({c.code!r})"
        if not c.code or not c.variable:
            raise RecipeError(f"{where}, criterion {i + 1}: needs a code and a variable")
        if c.code in cseen:
            raise RecipeError(f"{cw}: the code appears twice (criterion codes must be unique)")
        cseen.add(c.code)
        if c.source not in ("score", "data"):
            raise RecipeError(f"{cw}: source is {c.source!r} (expected 'score' or 'data')")
        if c.among not in ("domestic", "all"):
            raise RecipeError(f"{cw}: among is {c.among!r} (expected 'domestic' or 'all')")
        if c.min_value is None and c.top_percent is None:
            raise RecipeError(f"{cw}: needs min_value or top_percent (or both)")
        if c.top_percent is not None and not 0 < c.top_percent <= 100:
            raise RecipeError(f"{cw}: top_percent is {c.top_percent} (expected a percentage in (0, 100])")


# -- built-in schemes --------------------------------------------------------------------------------------------
_DEFAULT = {
    "name": "default",
    "description": "Absolute thresholds on a 0-100 index with floors on every dimension (no short board), for scores "
                   "on a comparable basis: on the built-in frameworks' goalposts 0 is an indicator's floor and 100 "
                   "its world-class level. World-class: index at least 75 (where the world-class benchmark clusters' "
                   "median lies) with no dimension below 60; candidate: 65 and 45; national leading: 55 and 35; "
                   "regional: 40; emerging: the rest. Units with data on fewer than two thirds of the indicators "
                   "(COINr's default data-availability threshold) are not graded, nor are benchmarks. Set your own "
                   "thresholds for a study.",
    "min_coverage": 2 / 3,
    "tiers": [
        {"code": "world_class", "name_en": "world-class", "name_zh": "世界级", "min_score": 75, "floors": {"*": 60}},
        {"code": "candidate", "name_en": "world-class candidate", "name_zh": "世界级候选", "min_score": 65,
         "floors": {"*": 45}},
        {"code": "national", "name_en": "national leading", "name_zh": "国家领先", "min_score": 55,
         "floors": {"*": 35}},
        {"code": "regional", "name_en": "regional", "name_zh": "区域级", "min_score": 40},
        {"code": "emerging", "name_en": "emerging", "name_zh": "成长型"},
    ],
}

_RELATIVE = {
    "name": "relative",
    "description": "Relative to the benchmark clusters and to the domestic field: world-class within 5 points of the "
                   "benchmark median, candidate within 15, national leading in the domestic top 20 %, regional in the "
                   "top 60 %; no fixed cut-off, so it fits any scoring basis (its grades are then relative to the "
                   "units in the file); units with data on fewer than two thirds of the indicators are not graded.",
    "min_coverage": 2 / 3,
    "tiers": [
        {"code": "world_class", "name_en": "world-class", "name_zh": "世界级", "benchmark_margin": 5},
        {"code": "candidate", "name_en": "world-class candidate", "name_zh": "世界级候选", "benchmark_margin": 15},
        {"code": "national", "name_en": "national leading", "name_zh": "国家领先", "top_percent": 20},
        {"code": "regional", "name_en": "regional", "name_zh": "区域级", "top_percent": 60},
        {"code": "emerging", "name_en": "emerging", "name_zh": "成长型"},
    ],
}


def observatory_scheme(
    size: str = "employment",
    specialisation: str = "location_quotient",
    third: str = "focus",
    *,
    within: str | None = None,
    third_name: tuple[str, str] = ("focus", "集中度"),
) -> GradingScheme:
    """The European Cluster Observatory's stars as a scheme: one star each for the top 10 % on ``size``
    (employment), a location quotient ``specialisation`` >= 2, and the top 10 % on ``third`` (focus: the cluster's
    share of its region's employment; or a productivity column). Tiers: three, two, one and no stars. ``within``:
    the group column (cluster category) within which the top 10 % are taken."""
    return GradingScheme(
        name="observatory",
        description="European Cluster Observatory stars: size, specialisation and focus (clusterobservatory.eu).",
        criteria=(
            Criterion("size", size, "size", "规模", source="data", top_percent=10, within=within),
            Criterion("specialisation", specialisation, "specialisation", "专业化", source="data", min_value=2.0),
            Criterion(third, third, third_name[0], third_name[1], source="data", top_percent=10, within=within),
        ),
        tiers=(
            Tier("three_stars", "three stars", "三星", min_criteria=3),
            Tier("two_stars", "two stars", "二星", min_criteria=2),
            Tier("one_star", "one star", "一星", min_criteria=1),
            Tier("no_star", "no star", "无星"),
        ),
    )


def builtin_schemes() -> dict[str, GradingScheme]:
    """The schemes shipped with clusterleap, by name: 'default', 'relative' and 'observatory' (stars on the data
    columns ``employment``, ``location_quotient`` and ``labour_productivity``; see :func:`observatory_scheme` for
    other columns, the original focus star and taking the top 10 % within a category column)."""
    return {
        "default": GradingScheme.from_dict(_DEFAULT, "built-in grading scheme 'default'"),
        "relative": GradingScheme.from_dict(_RELATIVE, "built-in grading scheme 'relative'"),
        "observatory": observatory_scheme(third="labour_productivity", third_name=("productivity", "生产率")),
    }


def default_scheme() -> GradingScheme:
    return builtin_schemes()["default"]


def load_scheme(spec: GradingScheme | Mapping[str, Any] | str | Path | None) -> GradingScheme:
    """A scheme from itself, a mapping, a built-in name or a YAML file (the default scheme for None)."""
    if spec is None:
        return default_scheme()
    if isinstance(spec, GradingScheme):
        return spec
    if isinstance(spec, Mapping):
        return GradingScheme.from_dict(spec)
    builtins = builtin_schemes()
    if str(spec) in builtins:
        return builtins[str(spec)]
    path = Path(spec)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise RecipeError(f"grading scheme {str(spec)!r} is neither built in"
                          f"{did_you_mean(str(spec), list(builtins))} nor a .yaml file")
    return GradingScheme.from_dict(read_yaml(path, RecipeError) or {}, str(path))


def expand_floors(t: Tier, dimensions: Sequence[str]) -> list[tuple[str, float]]:
    """A tier's floors with ``*`` expanded to every dimension (a node's own floor overrides ``*``)."""
    own = {c: v for c, v in t.floors if c != ALL_DIMENSIONS}
    out: list[tuple[str, float]] = []
    star = dict(t.floors).get(ALL_DIMENSIONS)
    if star is not None:
        out += [(d, own.get(d, star)) for d in dimensions]
    out += [(c, v) for c, v in own.items() if not any(c == d for d, _ in out)]
    return out
