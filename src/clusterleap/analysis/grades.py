"""Grades (分级): ordered tiers of clusters, each with the reason in words.

The seed asks to "apply policy by category and advance cluster building by grade". A :class:`GradingScheme` lists
tiers from the highest (world-class) down; a unit gets the first tier whose every condition it meets:

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

A missing value meets no condition (a short board that cannot be measured is not ruled out); a unit whose index is
missing gets no grade. Thresholds are on the scale of the recipe's normalisation (0-100 for the default min-max).

:func:`tier_array` is the vectorised kernel (scores with a leading sample axis -> tier positions), which uncertainty
analysis calls on thousands of samples at once; :func:`assign_grades` adds the reasons in English and Chinese.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from ..errors import DataError, RecipeError
from ..files import read_yaml
from ..registry import did_you_mean

if TYPE_CHECKING:
    from ..recipe import Basis, Recipe
    from ..result import Result

__all__ = [
    "Criterion",
    "GradingScheme",
    "Tier",
    "assign_grades",
    "builtin_schemes",
    "check_basis",
    "criteria_array",
    "default_scheme",
    "eligible",
    "grades",
    "load_scheme",
    "observatory_scheme",
    "scheme_for",
    "tier_array",
    "transition_matrix",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Among = Literal["domestic", "all"]

ALL_DIMENSIONS = "*"
#: The row and column of units without a grade in a transition matrix.
UNGRADED = "ungraded"
_TIER_KEYS = {"code", "name_en", "name_zh", "min_score", "floors", "top_percent", "benchmark_margin",
              "min_criteria", "among"}
_CRIT_KEYS = {"code", "name_en", "name_zh", "variable", "source", "min_value", "top_percent", "within", "among"}
_SCHEME_KEYS = {"name", "description", "index", "tiers", "criteria", "min_coverage"}


# -- the scheme --------------------------------------------------------------------------------------------------
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
        out = [f"tier {t.code!r} min_score {_g(t.min_score)}" for t in self.tiers if t.min_score is not None]
        out += [f"tier {t.code!r} floors" for t in self.tiers if t.floors]
        out += [f"criterion {c.code!r} min_value {_g(c.min_value)}" for c in self.criteria
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
            for code, _ in _floors(t, dimensions):
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


# -- the vectorised kernel ----------------------------------------------------------------------------------------
def _floors(t: Tier, dimensions: Sequence[str]) -> list[tuple[str, float]]:
    """A tier's floors with ``*`` expanded to every dimension (a node's own floor overrides ``*``)."""
    own = {c: v for c, v in t.floors if c != ALL_DIMENSIONS}
    out: list[tuple[str, float]] = []
    star = dict(t.floors).get(ALL_DIMENSIONS)
    if star is not None:
        out += [(d, own.get(d, star)) for d in dimensions]
    out += [(c, v) for c, v in own.items() if not any(c == d for d, _ in out)]
    return out


def _top_threshold(x: FloatArray, ref: BoolArray, percent: float) -> FloatArray:
    """Per sample, the score of the m-th best reference unit, m = ceil(percent / 100 * n): a unit is in the top
    ``percent`` % (fewer than percent % of the reference units score strictly higher) exactly when its score is at
    least this value. ``x`` ``(S, U)``; ``ref`` ``(U,)``; returns ``(S, 1)`` (inf where there is no reference)."""
    valid = ref[None, :] & ~np.isnan(x)
    n = valid.sum(axis=1)
    m = np.ceil(percent / 100.0 * n - 1e-9).astype(np.int64)
    desc = -np.sort(np.where(valid, -x, np.inf), axis=1)
    idx = np.clip(m - 1, 0, max(x.shape[1] - 1, 0))
    q = np.take_along_axis(desc, idx[:, None], axis=1)
    return np.where((n > 0)[:, None] & (m > 0)[:, None], q, np.inf)


def _top_mask(x: FloatArray, ref: BoolArray, percent: float, groups: IntArray | None) -> BoolArray:
    """``(S, U)``: in the top ``percent`` % of the reference units (within each group when given)."""
    if groups is None:
        with np.errstate(invalid="ignore"):
            mask: BoolArray = x >= _top_threshold(x, ref, percent)
        return mask
    out = np.zeros(x.shape, dtype=bool)
    for g in np.unique(groups[groups >= 0]):
        member = groups == g
        q = _top_threshold(x[:, member], ref[member], percent)
        with np.errstate(invalid="ignore"):
            out[:, member] = x[:, member] >= q
    return out


def criteria_array(
    scheme: GradingScheme,
    scores: FloatArray,
    nodes: Sequence[str],
    *,
    benchmark: BoolArray | None = None,
    data: Mapping[str, FloatArray] | None = None,
    groups: Mapping[str, IntArray] | None = None,
) -> BoolArray:
    """Which criteria each unit meets, ``(S, U, criteria)``, from scores ``(S, U, nodes)`` and raw data columns
    ``(U,)`` (for criteria with ``source: data``); ``groups``: integer codes per unit (-1 = none) by column."""
    s, u = scores.shape[0], scores.shape[1]
    bench = np.zeros(u, dtype=bool) if benchmark is None else np.asarray(benchmark, dtype=bool)
    pos = {c: i for i, c in enumerate(nodes)}
    out = np.zeros((s, u, len(scheme.criteria)), dtype=bool)
    for k, c in enumerate(scheme.criteria):
        if c.source == "score":
            x = scores[:, :, pos[c.variable]]
        else:
            if data is None or c.variable not in data:
                raise DataError(f"grading criterion {c.code!r}: no data column {c.variable!r}"
                                f"{did_you_mean(c.variable, list(data or {}))}")
            x = np.broadcast_to(np.asarray(data[c.variable], dtype=float)[None, :], (s, u))
        ok = ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            if c.min_value is not None:
                ok &= x >= c.min_value
            if c.top_percent is not None:
                ref = ~bench if c.among == "domestic" else np.ones(u, dtype=bool)
                grp = None
                if c.within is not None:
                    if groups is None or c.within not in groups:
                        raise DataError(f"grading criterion {c.code!r}: no unit metadata column {c.within!r}"
                                        f"{did_you_mean(c.within, list(groups or {}))}")
                    grp = groups[c.within]
                ok &= _top_mask(x, ref, c.top_percent, grp)
        out[:, :, k] = ok
    return out


@dataclass(frozen=True)
class _Check:
    """One condition of one tier, evaluated on every sample and unit."""

    kind: str  # score, floor, top, bench, criteria
    node: str
    value: FloatArray  # (S, U)
    threshold: FloatArray  # (S, U) or broadcastable
    ok: BoolArray  # (S, U)
    note: tuple[str, str] = ("", "")


def _checks(
    scheme: GradingScheme,
    scores: FloatArray,
    pos: Mapping[str, int],
    index: str,
    dimensions: Sequence[str],
    bench: BoolArray,
    met: BoolArray,
) -> list[list[_Check]]:
    x = scores[:, :, pos[index]]
    u = x.shape[1]
    bench_median: FloatArray | None = None
    out: list[list[_Check]] = []
    for t in scheme.tiers:
        checks: list[_Check] = []
        with np.errstate(invalid="ignore"):
            if t.min_score is not None:
                thr = np.full((1, 1), t.min_score)
                checks.append(_Check("score", index, x, thr, x >= t.min_score))
            for code, floor in _floors(t, dimensions):
                v = scores[:, :, pos[code]]
                checks.append(_Check("floor", code, v, np.full((1, 1), floor), v >= floor))
            if t.top_percent is not None:
                ref = ~bench if t.among == "domestic" and (~bench).any() else np.ones(u, dtype=bool)
                q = _top_threshold(x, ref, t.top_percent)
                who = ("domestic units", "国内集群") if t.among == "domestic" else ("all units", "全部集群")
                note = (f"top {_g(t.top_percent)} % of {who[0]}", f"{who[1]}前 {_g(t.top_percent)}%")
                checks.append(_Check("top", index, x, q, x >= q, note))
            if t.benchmark_margin is not None:
                if bench_median is None:
                    if not bench.any():
                        raise DataError(f"grading scheme {scheme.name!r}, tier {t.code!r}: benchmark_margin needs "
                                        "benchmark units (none is flagged in the data's benchmark column)")
                    from ..stages._arrays import quiet

                    with quiet():
                        bench_median = np.nanmedian(x[:, bench], axis=1, keepdims=True)
                thr = bench_median - t.benchmark_margin
                note = (f"benchmark median minus {_g(t.benchmark_margin)}", f"标杆中位数减 {_g(t.benchmark_margin)}")
                checks.append(_Check("bench", index, x, thr, x >= thr, note))
            if t.min_criteria is not None:
                n_met = met.sum(axis=2).astype(float)
                checks.append(_Check("criteria", "", n_met, np.full((1, 1), float(t.min_criteria)),
                                     n_met >= t.min_criteria))
        out.append(checks)
    return out


def _resolve(
    scheme: GradingScheme, nodes: Sequence[str], index: str | None, dimensions: Sequence[str] | None
) -> tuple[dict[str, int], str, list[str]]:
    pos = {c: i for i, c in enumerate(nodes)}
    idx = index or scheme.index or nodes[0]
    dims = list(dimensions or [])
    if any(c == ALL_DIMENSIONS for t in scheme.tiers for c, _ in t.floors) and not dims:
        raise RecipeError(f"grading scheme {scheme.name!r}: floors on '*' (every dimension) need the dimension "
                          "codes (pass dimensions=...)")
    for code in [idx, *scheme.nodes(dims)]:
        if code not in pos:
            raise RecipeError(f"grading scheme {scheme.name!r}: node {code!r} is not among the scores"
                              f"{did_you_mean(code, list(pos))}")
    return pos, idx, dims


def eligible(scheme: GradingScheme, benchmark: BoolArray, coverage: FloatArray | None) -> BoolArray:
    """``(U,)``: the units a scheme grades. Benchmarks are references (scored and shown, never graded in domestic
    tiers); units with data on less than the scheme's ``min_coverage`` share of the indicators are not graded."""
    ok: BoolArray = ~np.asarray(benchmark, dtype=bool)
    if scheme.min_coverage is not None and coverage is not None:
        ok &= np.asarray(coverage, dtype=float) >= scheme.min_coverage - 1e-12
    return ok


def check_basis(scheme: GradingScheme, basis: Basis, recipe_name: str = "") -> None:
    """Refuse absolute cut-offs on scores that only rank the units in the file: on a relative basis a threshold
    of 60 means nothing (the best unit of any file scores near 100 with min-max)."""
    rules = scheme.absolute_rules()
    if basis.comparable or not rules:
        return
    name = f"recipe {recipe_name!r}" if recipe_name else "the recipe"
    raise RecipeError(
        f"grading scheme {scheme.name or 'given'!r} compares scores with fixed numbers ({', '.join(rules[:3])}"
        f"{', ...' if len(rules) > 3 else ''}), but {name} scores on a relative basis: its scores only rank the "
        "units in the file, so a fixed cut-off would grade the same cluster differently in another file. Score on "
        "a comparable basis (basis: goalposts, or a frozen reference from `clusterleap calibrate`), or grade with "
        "relative rules (the built-in scheme 'relative': top-percent and benchmark margins)")


def scheme_for(recipe: Recipe, scheme: GradingScheme | Mapping[str, Any] | str | Path | None = None, *,
               benchmarks: bool = True) -> GradingScheme:
    """The scheme to grade a recipe's scores with: ``scheme`` if given, else the recipe's ``grading``, else the
    built-in 'default' on a comparable basis and 'relative' on a relative one (without its world-class tiers when
    the data flags no ``benchmarks``: on a relative basis only benchmarks can say what world class is); checked
    against the basis."""
    if scheme is not None:
        sch = load_scheme(scheme)
    elif recipe.grading is not None:
        sch = recipe.grading
    elif recipe.basis.comparable:
        sch = builtin_schemes()["default"]
    else:
        sch = builtin_schemes()["relative"]
        if not benchmarks:
            sch = replace(sch, tiers=tuple(t for t in sch.tiers if t.benchmark_margin is None),
                          name="relative (no benchmarks)",
                          description="Relative to the domestic field only (the data flags no benchmark clusters, "
                                      "so no world-class tier can be judged): " + sch.description)
    check_basis(sch, recipe.basis, recipe.name)
    return sch


def tier_array(
    scores: FloatArray,
    nodes: Sequence[str],
    scheme: GradingScheme,
    *,
    benchmark: BoolArray | None = None,
    index: str | None = None,
    dimensions: Sequence[str] | None = None,
    data: Mapping[str, FloatArray] | None = None,
    groups: Mapping[str, IntArray] | None = None,
    coverage: FloatArray | None = None,
) -> IntArray:
    """Tier positions ``(S, U)`` (0 = the highest tier, -1 = no grade) from scores ``(S, U, nodes)``.

    Vectorised over samples: uncertainty analysis grades every sample in one call. ``index``: the node graded (the
    scheme's, else ``nodes[0]``); ``dimensions``: the codes ``*`` floors stand for; benchmarks and units below the
    scheme's coverage rule (``coverage``: share of indicators with data, ``(U,)``) get -1 (see :func:`eligible`)."""
    pos, idx, dims = _resolve(scheme, nodes, index, dimensions)
    bench = np.zeros(scores.shape[1], dtype=bool) if benchmark is None else np.asarray(benchmark, dtype=bool)
    met = criteria_array(scheme, scores, nodes, benchmark=bench, data=data, groups=groups)
    tiers = _first_tier(_checks(scheme, scores, pos, idx, dims, bench, met), scores[:, :, pos[idx]])
    return np.where(eligible(scheme, bench, coverage)[None, :], tiers, -1)


def _first_tier(checks: list[list[_Check]], x: FloatArray) -> IntArray:
    out = np.full(x.shape, -1, dtype=np.int64)
    for t in reversed(range(len(checks))):
        ok = np.ones(x.shape, dtype=bool)
        for c in checks[t]:
            ok &= c.ok
        out = np.where(ok, t, out)
    return np.where(np.isnan(x), -1, out)


# -- reasons -----------------------------------------------------------------------------------------------------
def _f(v: float) -> str:
    return "missing" if math.isnan(v) else f"{v:.1f}"


def _fz(v: float) -> str:
    return "缺失" if math.isnan(v) else f"{v:.1f}"


def _g(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e6 and float(v) == round(float(v), 4) else f"{v:.4g}"


def _check_text(c: _Check, u: int, passed: bool, crit_names: tuple[str, str]) -> tuple[str, str]:
    v = float(c.value[0, u])
    t = float(np.broadcast_to(c.threshold, c.value.shape)[0, u])
    op, opz = (">=", "≥") if passed else ("<", "<")
    if c.kind == "score":
        return f"index {_f(v)} {op} {_g(t)}", f"指数 {_fz(v)} {opz} {_g(t)}"
    if c.kind == "floor":
        return f"{c.node} {_f(v)} {op} floor {_g(t)}", f"{c.node} {_fz(v)} {opz} 底线 {_g(t)}"
    if c.kind == "top":
        return (f"index {_f(v)} {op} {_f(t)} ({'in' if passed else 'not in'} the {c.note[0]})",
                f"指数 {_fz(v)} {opz} {_fz(t)}（{'位于' if passed else '未进入'}{c.note[1]}）")
    if c.kind == "bench":
        return f"index {_f(v)} {op} {_f(t)} ({c.note[0]})", f"指数 {_fz(v)} {opz} {_fz(t)}（{c.note[1]}）"
    names_en, names_zh = crit_names
    return (f"meets {int(v)} criteria{names_en} {op} {int(t)}",
            f"满足 {int(v)} 项标准{names_zh} {opz} {int(t)}")


def _reason(
    scheme: GradingScheme, checks: list[list[_Check]], tier: int, u: int, met: BoolArray
) -> tuple[str, str]:
    crits = [c for k, c in enumerate(scheme.criteria) if met[0, u, k]]
    names = (f" ({', '.join(c.label('en') for c in crits)})" if crits else "",
             f"（{'、'.join(c.label('zh') for c in crits)}）" if crits else "")
    if tier < 0:
        return "not graded: the index is missing", "未评级：指数缺失"
    t = scheme.tiers[tier]
    own = checks[tier]
    en_parts: list[str] = []
    zh_parts: list[str] = []
    floors = [c for c in own if c.kind == "floor"]
    for c in own:
        if c.kind != "floor":
            e, z = _check_text(c, u, True, names)
            en_parts.append(e)
            zh_parts.append(z)
    if floors:
        low = min(floors, key=lambda c: float(c.value[0, u] - np.broadcast_to(c.threshold, c.value.shape)[0, u]))
        e, z = _check_text(low, u, True, names)
        en_parts.append(f"no short board below its floor (closest: {e})")
        zh_parts.append(f"无低于底线的短板（最接近：{z}）")
    en = f"{t.label('en')}: {'; '.join(en_parts) if en_parts else 'no conditions'}"
    zh = f"{t.label('zh')}：{'；'.join(zh_parts) if zh_parts else '无附加条件'}"
    if tier > 0:
        up = scheme.tiers[tier - 1]
        failed = [c for c in checks[tier - 1] if not bool(c.ok[0, u])]
        texts = [_check_text(c, u, False, names) for c in failed]
        en += f"; kept from {up.label('en')} by {' and '.join(e for e, _ in texts)}"
        zh += f"；因{'、'.join(z for _, z in texts)}，未达{up.label('zh')}"
    return en, zh


def _not_graded(bench: bool, share: float, n_with: int | None, n_all: int | None, scheme: GradingScheme
                ) -> tuple[str, str]:
    """Why a unit has no grade although it has a score."""
    if bench:
        return ("benchmark: a reference, scored and shown but not graded in domestic tiers",
                "标杆：作为参照，计分并展示，但不参与国内分级")
    req = scheme.min_coverage or 0.0
    count = f"{n_with} of {n_all} indicators, " if n_with is not None and n_all else ""
    count_zh = f"{n_all} 项指标中的 {n_with} 项，" if n_with is not None and n_all else ""
    return (f"not graded: data on {count}{share:.0%} < {req:.0%} required (the scheme's coverage rule)",
            f"未评级：有数据的指标（{count_zh}{share:.0%}）低于所需的 {req:.0%}（分级方案的覆盖率规则）")


def assign_grades(
    scores: pd.DataFrame,
    scheme: GradingScheme | None = None,
    benchmark: Sequence[bool] | BoolArray | None = None,
    *,
    index: str | None = None,
    dimensions: Sequence[str] | None = None,
    data: Mapping[str, FloatArray] | None = None,
    groups: Mapping[str, Sequence[str | None]] | None = None,
    coverage: Sequence[float] | FloatArray | None = None,
    with_data: Sequence[int] | None = None,
    n_indicators: int | None = None,
) -> pd.DataFrame:
    """Grade every unit of ``scores`` (units x nodes) with ``scheme`` (the default scheme for None).

    Returns one row per unit: ``tier`` (code), ``tier_pos`` (0 = highest, -1 = none), ``grade`` and ``grade_zh``
    (labels), ``score`` (the graded index), ``stars`` (criteria met, when the scheme has criteria) and one boolean
    column per criterion, ``reason`` and ``reason_zh``: the conditions the unit meets and, unless it is in the top
    tier, those that keep it out of the tier above. Benchmarks, and units whose ``coverage`` (share of indicators
    with data; ``with_data`` of ``n_indicators`` for the wording) is below the scheme's rule, get no grade and say
    why."""
    scheme = scheme or default_scheme()
    nodes = [str(c) for c in scores.columns]
    arr = scores.to_numpy(dtype=float)[None]
    pos, idx, dims = _resolve(scheme, nodes, index, dimensions)
    u = arr.shape[1]
    bench = np.zeros(u, dtype=bool) if benchmark is None else np.asarray(benchmark, dtype=bool)
    gcodes = None
    if groups is not None:
        gcodes = {}
        for col, labels in groups.items():
            uniq = sorted({x for x in labels if x is not None})
            gcodes[col] = np.array([-1 if x is None else uniq.index(x) for x in labels], dtype=np.int64)
    met = criteria_array(scheme, arr, nodes, benchmark=bench, data=data, groups=gcodes)
    checks = _checks(scheme, arr, pos, idx, dims, bench, met)
    cov = None if coverage is None else np.asarray(coverage, dtype=float)
    ok = eligible(scheme, bench, cov)
    tiers = np.where(ok, _first_tier(checks, arr[:, :, pos[idx]])[0], -1)
    rows = []
    for i in range(u):
        t = int(tiers[i])
        if ok[i] or np.isnan(arr[0, i, pos[idx]]):
            en, zh = _reason(scheme, checks, t, i, met)
        else:
            en, zh = _not_graded(bool(bench[i]), float(cov[i]) if cov is not None else np.nan,
                                 None if with_data is None else int(with_data[i]), n_indicators, scheme)
        row: dict[str, Any] = {
            "tier": scheme.tiers[t].code if t >= 0 else "",
            "tier_pos": t,
            "grade": scheme.tiers[t].label("en") if t >= 0 else "",
            "grade_zh": scheme.tiers[t].label("zh") if t >= 0 else "",
            "score": float(arr[0, i, pos[idx]]),
        }
        if scheme.criteria:
            row["stars"] = int(met[0, i].sum())
            for k, c in enumerate(scheme.criteria):
                row[f"meets_{c.code}"] = bool(met[0, i, k])
        row["reason"] = en
        row["reason_zh"] = zh
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(list(scores.index), name="unit"))


def grades(result: Result, scheme: GradingScheme | Mapping[str, Any] | str | Path | None = None) -> pd.DataFrame:
    """Grades of every scored unit of a result with :func:`scheme_for` (``scheme``, else the recipe's ``grading``,
    else the built-in default for the recipe's basis), refused when absolute cut-offs meet a relative basis.

    Floors on ``*`` apply to the children of the graded node; data criteria read the raw columns of the result's
    year; ``within`` groups read the data's unit metadata; benchmarks and units below the scheme's coverage rule
    are not graded."""
    sch = scheme_for(result.recipe, scheme, benchmarks=bool(np.asarray(result.data.benchmark).any()))
    fw = result.framework
    idx = sch.index or fw.root.code
    if idx not in fw:
        raise RecipeError(f"grading scheme {sch.name!r}: index {idx!r} is not a node of framework {fw.name!r}"
                          f"{did_you_mean(idx, list(fw.by_code))}")
    ti = result.data.year_index(result.year)
    data = {c.variable: result.data.column(c.variable)[ti] for c in sch.criteria if c.source == "data"}
    cov = result.coverage.loc[list(result.units)]
    return assign_grades(result.scores, sch, result.data.benchmark, index=idx, dimensions=fw.children[idx],
                         data=data, groups=dict(result.data.groups), coverage=cov["coverage"].to_numpy(),
                         with_data=cov["indicators_with_data"].tolist(), n_indicators=len(fw.indicators))


def transition_matrix(before: Sequence[str], after: Sequence[str], tiers: Sequence[str]) -> pd.DataFrame:
    """Counts of units by tier in one year (rows) and another (columns), in the scheme's tier order; units without
    a grade (tier '') in either year are counted under 'ungraded'."""
    labels = [*tiers, UNGRADED] if "" in set(before) | set(after) else list(tiers)
    pos = {lab: i for i, lab in enumerate(labels)}
    pos[""] = pos.get(UNGRADED, -1)
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for a, b in zip(before, after, strict=True):
        counts[pos[a], pos[b]] += 1
    return pd.DataFrame(counts, index=pd.Index(labels, name="from"), columns=pd.Index(labels, name="to"))

