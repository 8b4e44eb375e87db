"""Types (分类): which kind of cluster each one is, from its dimension scores.

Two complementary typologies:

1. **Rule-based profile types**, in words a planner uses ("innovation-led", "manufacturing strong, ecosystem weak",
   "balanced leader", "lagging", ...). The rules are data (the built-in ``data/type-rules.yaml`` beside the action
   table, or a YAML list of the same mappings) read in order; the first rule a unit meets gives its type. They look
   at the dimension scores standardised against the reference units (domestic by default):
   ``z_d = (x_d - mean_d) / sd_d``. Conditions: ``all_min`` / ``all_max`` (every dimension's z at least / at most),
   ``strongest`` / ``weakest`` (the dimension with the highest / lowest z is one of these codes; ``*`` = any),
   ``min`` / ``max`` (named dimensions' z at least / at most; ``*`` = the strongest / weakest dimension),
   ``max_spread`` (highest minus lowest z at most). A rule that names a dimension the framework lacks is skipped, so
   one rule table serves several frameworks. Names may use ``{strongest}`` and ``{weakest}``, filled with the
   dimension's name. Every type comes with its explanation.
2. **Data-driven typology**: k-means (Lloyd's algorithm, ``n_init`` restarts, scikit-learn's ``KMeans``) or Ward's
   hierarchical clustering on the (standardised) dimension scores; ``k`` given, or chosen by the mean silhouette
   width (Rousseeuw 1987, Journal of Computational and Applied Mathematics 20, 53-65) over ``k = 2..8``. Groups are
   numbered by their mean index, best first, and described by their centroid profile: the dimensions above and
   below the overall mean. Deterministic for a given ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._files import read_yaml
from .._registry import did_you_mean
from ..errors import DataError, RecipeError
from ..stages._arrays import FloatArray, quiet

if TYPE_CHECKING:
    from .._result import Result

__all__ = ["TypeRule", "Typology", "builtin_rules_path", "load_rules", "profile_types", "types", "typology"]

ANY = "*"

_RULE_KEYS = {"code", "name_en", "name_zh", "description_en", "description_zh", "all_min", "all_max", "strongest",
              "weakest", "min", "max", "max_spread"}


@dataclass(frozen=True)
class TypeRule:
    """One profile type and its conditions (all must hold; a rule without conditions takes every unit)."""

    code: str
    name_en: str
    name_zh: str
    description_en: str = ""
    description_zh: str = ""
    all_min: float | None = None
    all_max: float | None = None
    strongest: tuple[str, ...] = ()
    weakest: tuple[str, ...] = ()
    min: tuple[tuple[str, float], ...] = ()
    max: tuple[tuple[str, float], ...] = ()
    max_spread: float | None = None

    def names(self) -> set[str]:
        """Dimension codes the rule names (``*`` excluded)."""
        out = set(self.strongest) | set(self.weakest) | {c for c, _ in self.min} | {c for c, _ in self.max}
        return out - {ANY}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str) -> TypeRule:
        if not isinstance(d, Mapping) or "code" not in d:
            raise RecipeError(f"{where}: expected a mapping with at least 'code'")
        where = f"{where} ({d['code']!r})"
        for key in d:
            if key not in _RULE_KEYS:
                raise RecipeError(f"{where}: unknown key {key!r}{did_you_mean(str(key), sorted(_RULE_KEYS))}")

        def num(key: str, v: Any) -> float:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise RecipeError(f"{where}: {key} is {v!r} (expected a finite number of standard deviations)")
            return float(v)

        def codes(key: str) -> tuple[str, ...]:
            v = d.get(key) or []
            if isinstance(v, str):
                v = [v]
            return tuple(str(c) for c in v)

        def bounds(key: str) -> tuple[tuple[str, float], ...]:
            v = d.get(key) or {}
            if not isinstance(v, Mapping):
                raise RecipeError(f"{where}: {key} must map dimension codes to z-scores")
            return tuple((str(c), num(f"{key}.{c}", z)) for c, z in v.items())

        def opt(key: str) -> float | None:
            return None if d.get(key) is None else num(key, d[key])

        return cls(code=str(d["code"]), name_en=str(d.get("name_en", d["code"])),
                   name_zh=str(d.get("name_zh", d.get("name_en", d["code"]))),
                   description_en=str(d.get("description_en", "")), description_zh=str(d.get("description_zh", "")),
                   all_min=opt("all_min"), all_max=opt("all_max"), strongest=codes("strongest"),
                   weakest=codes("weakest"), min=bounds("min"), max=bounds("max"), max_spread=opt("max_spread"))


def builtin_rules_path() -> Path:
    """The built-in rule table, ``data/type-rules.yaml`` (beside the action table)."""
    return Path(str(resources.files("clusterleap") / "data" / "type-rules.yaml"))


@cache
def _builtin_rules() -> tuple[TypeRule, ...]:
    return load_rules(builtin_rules_path())


def load_rules(spec: Sequence[Mapping[str, Any]] | str | Path | None = None) -> tuple[TypeRule, ...]:
    """Type rules from mappings, a YAML file (a list of mappings, or ``rules:`` with one) or the built-in table."""
    if spec is None:
        return _builtin_rules()
    where = "type rules"
    if isinstance(spec, str | Path):
        path = Path(spec)
        where = str(path)
        doc = read_yaml(path, RecipeError)
        spec = doc.get("rules") if isinstance(doc, Mapping) else doc
        if not isinstance(spec, list):
            raise RecipeError(f"{path}: expected a list of rules (or a mapping with 'rules')")
    rules = tuple(TypeRule.from_dict(r, f"{where}, rule {i + 1}") for i, r in enumerate(spec))
    codes = [r.code for r in rules]
    dup = next((c for c in codes if codes.count(c) > 1), None)
    if dup is not None:
        raise RecipeError(f"{where}: rule code {dup!r} appears twice")
    return rules


def _fmt(z: float) -> str:
    return f"{z:+.2f}"


def _apply(rule: TypeRule, z: FloatArray, dims: Sequence[str]) -> tuple[bool, str, str]:
    """Whether one unit's z-scores ``(D,)`` meet the rule, and why (English, Chinese)."""
    pos = {d: i for i, d in enumerate(dims)}
    hi, lo = int(np.nanargmax(z)), int(np.nanargmin(z))
    why_en: list[str] = []
    why_zh: list[str] = []
    if rule.all_min is not None:
        if not np.nanmin(z) >= rule.all_min:
            return False, "", ""
        why_en.append(f"lowest z {_fmt(float(np.nanmin(z)))} >= {rule.all_min:+g}")
        why_zh.append(f"最低 z {_fmt(float(np.nanmin(z)))} ≥ {rule.all_min:+g}")
    if rule.all_max is not None:
        if not np.nanmax(z) <= rule.all_max:
            return False, "", ""
        why_en.append(f"highest z {_fmt(float(np.nanmax(z)))} <= {rule.all_max:+g}")
        why_zh.append(f"最高 z {_fmt(float(np.nanmax(z)))} ≤ {rule.all_max:+g}")
    if rule.strongest:
        if ANY not in rule.strongest and dims[hi] not in rule.strongest:
            return False, "", ""
        why_en.append(f"strongest {dims[hi]} (z {_fmt(float(z[hi]))})")
        why_zh.append(f"最强维度 {dims[hi]}（z {_fmt(float(z[hi]))}）")
    if rule.weakest:
        if ANY not in rule.weakest and dims[lo] not in rule.weakest:
            return False, "", ""
        why_en.append(f"weakest {dims[lo]} (z {_fmt(float(z[lo]))})")
        why_zh.append(f"最弱维度 {dims[lo]}（z {_fmt(float(z[lo]))}）")
    for bounds, sign in ((rule.min, 1), (rule.max, -1)):
        for code, bound in bounds:
            i = (hi if sign > 0 else lo) if code == ANY else pos[code]
            v = float(z[i])
            if not (v >= bound if sign > 0 else v <= bound):
                return False, "", ""
            op, opz = (">=", "≥") if sign > 0 else ("<=", "≤")
            why_en.append(f"{dims[i]} z {_fmt(v)} {op} {bound:+g}")
            why_zh.append(f"{dims[i]} z {_fmt(v)} {opz} {bound:+g}")
    if rule.max_spread is not None:
        spread = float(np.nanmax(z) - np.nanmin(z))
        if not spread <= rule.max_spread:
            return False, "", ""
        why_en.append(f"spread {spread:.2f} <= {rule.max_spread:g}")
        why_zh.append(f"极差 {spread:.2f} ≤ {rule.max_spread:g}")
    return True, "; ".join(why_en), "；".join(why_zh)


def _standardise(x: FloatArray, ref: np.ndarray) -> tuple[FloatArray, FloatArray, FloatArray]:
    with quiet():
        mean = np.nanmean(x[ref], axis=0)
        sd = np.nanstd(x[ref], axis=0, ddof=1)
    sd = np.where((sd > 0) & np.isfinite(sd), sd, 1.0)
    return (x - mean) / sd, mean, sd


def profile_types(
    scores: pd.DataFrame,
    dimensions: Sequence[str],
    *,
    reference: Sequence[bool] | np.ndarray | None = None,
    rules: Sequence[TypeRule] | None = None,
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The rule-based type of every unit of ``scores`` (units x nodes) from its ``dimensions`` columns.

    ``reference``: the units whose mean and standard deviation standardise the scores (all when None). Returns
    ``type`` (rule code), ``type_name`` / ``type_name_zh``, ``explanation`` / ``explanation_zh`` (the rule's
    description and the values that met it), ``strongest``, ``weakest`` and the z-score of every dimension
    (``z_<code>``). Units with a missing dimension get no type."""
    rules = tuple(rules) if rules is not None else load_rules()
    missing = [d for d in dimensions if d not in scores.columns]
    if missing:
        raise DataError(f"types: dimension {missing[0]!r} is not among the scores"
                        f"{did_you_mean(missing[0], [str(c) for c in scores.columns])}")
    if len(dimensions) < 2:
        raise DataError(f"types need at least two dimensions (got {list(dimensions)})")
    lab = {d: (labels or {}).get(d, (d, d)) for d in dimensions}
    x = scores[list(dimensions)].to_numpy(dtype=float)
    ref = np.ones(len(x), dtype=bool) if reference is None else np.asarray(reference, dtype=bool)
    z, _, _ = _standardise(x, ref)
    usable = [r for r in rules if r.names() <= set(dimensions)]
    rows = []
    for i in range(len(x)):
        row: dict[str, Any] = {"type": "", "type_name": "", "type_name_zh": "", "explanation": "",
                               "explanation_zh": "", "strongest": "", "weakest": ""}
        if not np.isnan(z[i]).any():
            hi, lo = dimensions[int(np.argmax(z[i]))], dimensions[int(np.argmin(z[i]))]
            row["strongest"], row["weakest"] = hi, lo
            for rule in usable:
                ok, en, zh = _apply(rule, z[i], dimensions)
                if ok:
                    fill_en = {"strongest": lab[hi][0], "weakest": lab[lo][0]}
                    fill_zh = {"strongest": lab[hi][1], "weakest": lab[lo][1]}
                    row.update(
                        type=rule.code, type_name=rule.name_en.format(**fill_en),
                        type_name_zh=rule.name_zh.format(**fill_zh),
                        explanation=f"{rule.description_en}: {en}" if en else rule.description_en,
                        explanation_zh=f"{rule.description_zh}：{zh}" if zh else rule.description_zh,
                    )
                    break
        for j, d in enumerate(dimensions):
            row[f"z_{d}"] = float(z[i, j])
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(list(scores.index), name="unit"))


# -- data-driven typology -----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Typology:
    """Groups of units with similar dimension profiles. ``labels``: group per unit (1 = the group with the highest
    mean score, -1 = not grouped: a dimension is missing); ``centroids``: mean dimension scores per group;
    ``description``: per group, its size and the dimensions above / below the overall mean; ``silhouette``: mean
    silhouette width per k tried (or of the k given)."""

    method: str
    k: int
    labels: pd.Series
    centroids: pd.DataFrame
    description: pd.DataFrame
    silhouette: dict[int, float]


#: Units above which the silhouette width that chooses k is the mean over a random sample of this many units (drawn
#: from ``seed``): the exact mean needs every pairwise distance, quadratic in the units (Rousseeuw 1987).
SILHOUETTE_SAMPLE = 2_000


def _cluster(x: FloatArray, k: int, method: str, seed: int) -> np.ndarray:
    if method == "kmeans":
        from sklearn.cluster import KMeans  # heavy: scikit-learn loads only when units are clustered

        return np.asarray(KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x))
    from sklearn.cluster import AgglomerativeClustering  # heavy, as above

    return np.asarray(AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x))


def typology(
    scores: pd.DataFrame,
    dimensions: Sequence[str],
    *,
    k: int | None = None,
    method: Literal["kmeans", "ward"] = "kmeans",
    standardise: bool = True,
    seed: int = 0,
    k_max: int = 8,
    labels: Mapping[str, tuple[str, str]] | None = None,
    shape: bool = False,
) -> Typology:
    """Group units by their ``dimensions`` scores (k-means or Ward), ``k`` given or chosen by silhouette.

    ``standardise``: z-scores per dimension first (dimensions weigh the same in the distance); ``shape``: subtract
    each unit's own mean first, so that groups differ in the shape of their profile rather than in its level. With
    more than :data:`SILHOUETTE_SAMPLE` units the silhouette widths are means over a seeded sample of that many
    (linear time); ``ward`` is quadratic in the units in time and memory, ``kmeans`` linear."""
    from sklearn.metrics import silhouette_score  # heavy: scikit-learn loads only when units are clustered

    if method not in ("kmeans", "ward"):
        raise RecipeError(f"typology method {method!r} is unknown{did_you_mean(method, ['kmeans', 'ward'])}")
    x_all = scores[list(dimensions)].to_numpy(dtype=float)
    ok = ~np.isnan(x_all).any(axis=1)
    x = x_all[ok]
    n = len(x)
    if n < 3:
        raise DataError(f"typology needs at least 3 units with every dimension scored (got {n})")
    feats = _standardise(x, np.ones(n, dtype=bool))[0] if standardise else x
    if shape:
        feats = feats - feats.mean(axis=1, keepdims=True)
    if k is not None and not 2 <= k < n:
        raise RecipeError(f"typology: k = {k} groups cannot be formed from {n} units (expected 2 <= k < {n})")
    sil: dict[int, float] = {}
    ks = [k] if k is not None else list(range(2, min(k_max, n - 1) + 1))
    fits: dict[int, np.ndarray] = {}
    for kk in ks:
        lab = _cluster(feats, kk, method, seed)
        fits[kk] = lab
        sample = SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None  # the exact width is quadratic in n
        sil[kk] = (float(silhouette_score(feats, lab, sample_size=sample, random_state=seed)) if len(set(lab)) > 1
                   else float("nan"))
    best = k if k is not None else max(ks, key=lambda kk: (np.nan_to_num(sil[kk], nan=-2.0), -kk))
    raw = fits[best]
    # number groups by mean score over the dimensions, best first
    means = {g: float(x[raw == g].mean()) for g in set(raw.tolist())}
    order = sorted(means, key=lambda g: -means[g])
    renum = {g: i + 1 for i, g in enumerate(order)}
    lab_all = np.full(len(x_all), -1, dtype=np.int64)
    lab_all[ok] = [renum[g] for g in raw]
    overall = x.mean(axis=0)
    sd = x.std(axis=0, ddof=1) if n > 1 else np.ones(len(dimensions))
    cent = pd.DataFrame([x[raw == g].mean(axis=0) for g in order], columns=list(dimensions),
                        index=pd.Index(range(1, len(order) + 1), name="group"))
    lab_names = {d: (labels or {}).get(d, (d, d)) for d in dimensions}
    desc_rows = []
    for gi, g in enumerate(order, start=1):
        c = cent.loc[gi].to_numpy(dtype=float)
        above = [d for d, v, m, s in zip(dimensions, c, overall, sd, strict=True) if v > m + 0.25 * s]
        below = [d for d, v, m, s in zip(dimensions, c, overall, sd, strict=True) if v < m - 0.25 * s]
        en = ", ".join([*(f"{d} +" for d in above), *(f"{d} -" for d in below)]) or "close to the mean on all"
        zh = "，".join([*(f"{lab_names[d][1]}偏高" for d in above), *(f"{lab_names[d][1]}偏低" for d in below)])
        desc_rows.append({"size": int((raw == g).sum()), "mean_score": means[g], "above": " ".join(above),
                          "below": " ".join(below), "profile": en, "profile_zh": zh or "各维度接近均值"})
    desc = pd.DataFrame(desc_rows, index=cent.index)
    return Typology(method, int(best), pd.Series(lab_all, index=pd.Index(list(scores.index), name="unit"),
                                                name="group"), cent, desc, sil)


def types(
    result: Result,
    *,
    rules: Sequence[Mapping[str, Any]] | str | Path | None = None,
    node: str | None = None,
    k: int | None = None,
    method: Literal["kmeans", "ward"] = "kmeans",
    seed: int = 0,
    shape: bool = False,
) -> pd.DataFrame:
    """Rule-based types of every unit of a result, standardised against the domestic units, with the data-driven
    group (``group``, ``group_profile``) alongside. ``node``: whose children are the dimensions (the root)."""
    fw = result.framework
    node = node or fw.root.code
    dims = list(fw.children[node])
    labels = {d: (fw.by_code[d].label("en"), fw.by_code[d].label("zh")) for d in dims}
    bench = np.asarray(result.data.benchmark, dtype=bool)
    ref = ~bench if (~bench).sum() >= 2 else np.ones(len(bench), dtype=bool)
    out = profile_types(result.scores, dims, reference=ref, rules=load_rules(rules), labels=labels)
    try:
        typ = typology(result.scores, dims, k=k, method=method, seed=seed, labels=labels, shape=shape)
    except DataError:
        return out
    out["group"] = typ.labels
    prof = typ.description["profile"].to_dict()
    prof_zh = typ.description["profile_zh"].to_dict()
    out["group_profile"] = [prof.get(g, "") for g in typ.labels]
    out["group_profile_zh"] = [prof_zh.get(g, "") for g in typ.labels]
    return out
