"""Types: rule-based profile types on hand-made z-scores, and the data-driven typology."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clusterleap as cl
from clusterleap.analysis import load_rules, profile_types, types, typology
from clusterleap.errors import DataError, RecipeError

DIMS = ["TI", "PC", "EE", "ES", "AM"]
LABELS = {"TI": ("technology innovation", "技术创新"), "PC": ("products", "产品"), "EE": ("enterprises", "企业"),
          "ES": ("ecosystem", "生态"), "AM": ("manufacturing", "制造")}


def _frame(rows: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=DIMS)


def test_rule_based_types_on_standardised_scores() -> None:
    # reference: mean 50 and sd 10 on every dimension (four units at 40, 45, 55, 60 -> sd = 9.13; use a wider set)
    ref = _frame({f"r{i}": [v] * 5 for i, v in enumerate([40.0, 60.0, 40.0, 60.0])})  # mean 50, sd 11.547
    units = _frame({
        "lead": [60.0, 60, 60, 60, 60],   # every z = +0.866
        "lag": [40.0, 40, 40, 40, 40],    # every z = -0.866
        "tech": [65.0, 50, 50, 50, 50],   # TI strongest, z +1.3
        "mfg": [50.0, 50, 55, 42, 62],    # AM strongest, ES weakest and below the mean
        "flat": [52.0, 51, 50, 49, 48],   # spread 4 points = 0.35 sd
    })
    df = pd.concat([ref, units])
    ref_mask = [True] * 4 + [False] * 5
    t = profile_types(df, DIMS, reference=ref_mask, labels=LABELS)
    assert t.loc["lead", "type"] == "balanced_leader"
    assert t.loc["lag", "type"] == "lagging"
    assert t.loc["tech", "type"] == "innovation_led"
    assert t.loc["tech", "type_name_zh"] == "创新引领型"
    assert "strongest TI (z +1.30)" in t.loc["tech", "explanation"]
    assert t.loc["mfg", "type"] == "manufacturing_strong_ecosystem_weak"
    assert t.loc["mfg", "strongest"] == "AM" and t.loc["mfg", "weakest"] == "ES"
    assert t.loc["flat", "type"] == "balanced"
    assert t.loc["tech", "z_TI"] == pytest.approx(15 / np.std([40, 60, 40, 60], ddof=1))


def test_generic_rules_fill_the_dimension_name() -> None:
    dims = ["X", "Y", "Z"]
    df = pd.DataFrame({"X": [50.0, 40, 60, 80], "Y": [50.0, 60, 40, 50], "Z": [50.0, 40, 60, 50]},
                      index=["a", "b", "c", "d"])
    t = profile_types(df, dims, labels={"X": ("exports", "出口"), "Y": ("y", "乙"), "Z": ("z", "丙")})
    # the world-class rules name dimensions this framework lacks and are skipped; d stands out on X
    assert t.loc["d", "type"] == "strength_led"
    assert t.loc["d", "type_name"] == "led by exports"
    assert t.loc["d", "type_name_zh"] == "出口突出型"


def test_custom_rules_from_yaml_and_errors(tmp_path: object) -> None:
    path = tmp_path / "rules.yaml"  # type: ignore[operator]
    path.write_text("rules:\n  - {code: high, name_en: high, name_zh: 高, all_min: 0}\n"
                    "  - {code: other, name_en: other, name_zh: 其他}\n", encoding="utf-8")
    rules = load_rules(path)
    df = pd.DataFrame({"A": [1.0, 2, 3], "B": [1.0, 2, 3]}, index=["x", "y", "z"])
    t = profile_types(df, ["A", "B"], rules=rules)
    assert list(t["type"]) == ["other", "high", "high"]
    with pytest.raises(RecipeError, match="rule 1 \\('x'\\): unknown key 'al_min'"):
        load_rules([{"code": "x", "al_min": 1}])
    with pytest.raises(RecipeError, match="rule code 'x' appears twice"):
        load_rules([{"code": "x"}, {"code": "x"}])
    with pytest.raises(DataError, match="dimension 'Q' is not among the scores"):
        profile_types(df, ["A", "Q"])


def test_typology_finds_separated_groups_deterministically() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[80, 80, 20], [20, 80, 80], [50, 20, 50]], dtype=float)
    x = np.vstack([c + rng.normal(0, 3, (10, 3)) for c in centres])
    df = pd.DataFrame(x, columns=["A", "B", "C"], index=[f"u{i}" for i in range(30)])
    typ = typology(df, ["A", "B", "C"], seed=1)
    assert typ.k == 3  # chosen by the silhouette
    assert typ.silhouette[3] == max(typ.silhouette.values())
    for g in range(3):  # each true group in one found group
        assert typ.labels.iloc[10 * g: 10 * g + 10].nunique() == 1
    # groups are numbered by mean score, best first: centre means 60, 60, 40 -> the (50, 20, 50) group is last
    assert (typ.labels.iloc[20:] == 3).all()
    assert typ.description.loc[3, "below"] == "B"
    again = typology(df, ["A", "B", "C"], seed=1)
    assert again.labels.equals(typ.labels)
    ward = typology(df, ["A", "B", "C"], k=3, method="ward")
    assert pd.crosstab(ward.labels, typ.labels).gt(0).sum().eq(1).all()
    with pytest.raises(RecipeError, match="k = 40"):
        typology(df, ["A", "B", "C"], k=40)


def test_types_of_a_result(asem: tuple[object, object]) -> None:
    import warnings

    fw, ds = asem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        r = cl.evaluate(fw, ds)  # type: ignore[arg-type]
    t = types(r, node="Conn")  # the pillars of connectivity as dimensions
    assert set(t["type"]) <= {rule.code for rule in load_rules()}
    assert (t["type"] != "").all()
    assert t["group"].min() >= 1
    z = (r.scores["Physical"] - r.scores["Physical"].mean()) / r.scores["Physical"].std(ddof=1)
    assert np.allclose(t["z_Physical"], z)
