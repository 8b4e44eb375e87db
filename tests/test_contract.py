"""Contract of every registered method of every stage: shape kept, missing values stay missing where they should,
and a batch of samples gives exactly what each sample gives alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from clusterleap._recipe import Recipe, Step
from clusterleap._registry import Method
from clusterleap.stages import STAGES
from clusterleap.stages.impute import PANEL_METHODS, ImputeContext
from clusterleap.stages.normalise import NormContext
from clusterleap.stages.treat import Treated
from clusterleap.stages.weight import WeightContext

S, U, N_IND = 3, 12, 4
UNITS = tuple(f"u{i}" for i in range(U))

#: Parameters for methods that need some (every required parameter must have an example here).
EXAMPLE_PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("impute", "group_mean"): {"group": "g"},
    ("impute", "group_median"): {"group": "g"},
    ("normalise", "reference"): {"unit": "u3"},
    ("weight", "ahp"): {"criteria": ["c0", "c1", "c2", "c3"], "experts": [
        {"name": "A", "matrix": [[1, 3, 5, 7], [1 / 3, 1, 3, 5], [1 / 5, 1 / 3, 1, 3], [1 / 7, 1 / 5, 1 / 3, 1]]}]},
}


def _methods() -> list[tuple[str, Method]]:
    return [(stage, m) for stage, reg in STAGES.items() for m in reg]


def _params(stage: str, m: Method) -> dict[str, Any]:
    given = EXAMPLE_PARAMS.get((stage, m.name), {})
    missing = [p.name for p in m.params.values() if p.required and p.name not in given]
    assert not missing, f"add example parameters for {stage}.{m.name} to EXAMPLE_PARAMS: {missing}"
    # Going through a Recipe checks the example parameters like a user's would be checked.
    step = Recipe(**{stage: Step(m.name, **given)}).plan(stage).default  # type: ignore[arg-type]
    return step.kwargs


def _data(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(1.0, 0.8, size=(S, U, N_IND)) + 0.1
    x[0, 2, 1] = np.nan
    x[1, 5, 0] = np.nan
    x[2, 7, 3] = np.nan
    return x


def _ctx(stage: str, children: int = N_IND, units: tuple[str, ...] = UNITS, basis: bool = False) -> Any:
    if stage == "impute":
        return ImputeContext({"g": np.array([0, 1, 2] * (U // 3))[: len(units)]},
                             np.arange(2000, 2000 + S, dtype=float))
    if stage == "normalise":
        lo = np.zeros((1, N_IND))
        if basis:  # a comparable basis: bounds and moments given, as goalposts or a frozen reference give them
            return NormContext(lo, lo + 20.0, np.ones((1, N_IND), bool), lo + 15.0, None, units,
                               bounds=(lo + 0.1, lo + 20.0), moments=(lo + 3.0, lo + 2.0))
        return NormContext(lo, lo + 20.0, np.ones((1, N_IND), bool), lo + 15.0, None, units)
    if stage == "weight":
        return WeightContext("P", tuple(f"c{j}" for j in range(children)))
    return None


def _call(stage: str, m: Method, x: np.ndarray, params: dict[str, Any], ctx: Any = None) -> np.ndarray:
    f = m.func
    if stage == "screen":
        return np.asarray(f(~np.isnan(x), np.array([0, 0, 1, 1]), **params))
    if stage == "denominate":
        return np.asarray(f(x, np.full(x.shape, 2.0)))
    if stage == "transform":
        return np.asarray(f(x, np.array([0, 1, 2, 0])))
    if stage in ("impute", "normalise"):
        return np.asarray(f(x, ctx if ctx is not None else _ctx(stage), **params))
    if stage == "treat":
        out = f(x, **params)
        assert isinstance(out, Treated)
        return np.asarray(out.x)
    if stage == "weight":
        nominal = np.tile(np.array([1.0, 2.0, 1.0, 0.5]), (x.shape[0], 1))
        return np.asarray(f(x, nominal, _ctx(stage), **params))
    if stage == "aggregate":
        w = np.array([1.0, 2.0, 1.0, 0.5])[None, None, :]
        return np.asarray(f(x, w, **params))
    return np.asarray(f(x, **params))


@pytest.mark.parametrize(("stage", "method"), _methods(), ids=lambda v: getattr(v, "name", v))
def test_shape_and_missing(stage: str, method: Method) -> None:
    x = _data()
    out = _call(stage, method, x, _params(stage, method))
    if stage == "screen":
        assert out.shape == (S, U) and out.dtype == bool
    elif stage == "aggregate":
        assert out.shape == (S, U)
        all_missing = x.copy()
        all_missing[:, 4, :] = np.nan
        assert np.isnan(_call(stage, method, all_missing, _params(stage, method))[:, 4]).all()
    elif stage == "weight":
        assert out.shape in ((S, 1, N_IND), (S, U, N_IND))
        np.testing.assert_allclose(out.sum(axis=-1), 1.0, atol=1e-9)
        assert (out >= -1e-12).all()
    else:
        assert out.shape == x.shape
        if stage == "impute":
            observed = ~np.isnan(x)
            np.testing.assert_array_equal(out[observed], x[observed])
        else:
            # a missing input stays missing; an observed one stays observed
            assert (np.isnan(out) == np.isnan(x)).all(), f"{stage}.{method.name} changed what is missing"


@pytest.mark.parametrize(("stage", "method"), _methods(), ids=lambda v: getattr(v, "name", v))
def test_batch_equals_each_sample_alone(stage: str, method: Method) -> None:
    if stage == "impute" and method.name in PANEL_METHODS:
        pytest.skip("panel imputation runs along the years axis, not over samples")
    x = _data(7)
    params = _params(stage, method)
    batch = _call(stage, method, x, params)
    for s in range(S):
        alone = _call(stage, method, x[s : s + 1], params)
        np.testing.assert_array_equal(batch[s : s + 1], alone, err_msg=f"{stage}.{method.name}, sample {s}")


def _unit_level() -> list[tuple[str, Method]]:
    return [(stage, m) for stage, m in _methods() if not m.relative and stage not in ("rank",)]


@pytest.mark.parametrize(("stage", "method"), _unit_level(), ids=lambda v: getattr(v, "name", v))
def test_unit_level_methods_ignore_the_other_units(stage: str, method: Method) -> None:
    """What a comparable basis rests on: a method not flagged ``relative`` gives each unit the same result
    whatever other units are in the file (normalisers with the basis's bounds and moments)."""
    x = _data(11)
    params = _params(stage, method)
    keep = [0, 2, 3, 7, 8, 11]
    sub_units = tuple(UNITS[i] for i in keep)
    whole = _call(stage, method, x, params, _ctx(stage, basis=True))
    part = _call(stage, method, x[:, keep, :], params, _ctx(stage, units=sub_units, basis=True))
    if stage == "weight" and whole.shape[1] == 1:
        np.testing.assert_allclose(part, whole, rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(part, whole[:, keep], rtol=0, atol=1e-12, err_msg=f"{stage}.{method.name}")


def test_relative_methods_are_flagged() -> None:
    """Methods that draw on the other units say so (the flag the comparable bases check)."""
    flagged = {(stage, m.name) for stage, m in _methods() if m.relative}
    assert {("impute", "median"), ("treat", "skew_kurtosis"), ("normalise", "rank"), ("normalise", "reference"),
            ("weight", "entropy"), ("aggregate", "topsis")} <= flagged
    assert not {("normalise", "minmax"), ("normalise", "goalposts"), ("aggregate", "geometric"),
                ("weight", "framework"), ("impute", "locf")} & flagged


def test_every_method_is_documented_with_a_reference() -> None:
    for stage, reg in STAGES.items():
        assert reg.names(), stage
        for m in reg:
            assert m.summary, f"{stage}.{m.name} has no summary"
            assert m.reference or m.name == "none", f"{stage}.{m.name} cites no reference"


@pytest.mark.parametrize("name", sorted(PANEL_METHODS))
def test_panel_imputation_treats_each_series_alone(name: str) -> None:
    """The panel methods' counterpart of batch independence: years run along axis 0, and each unit's series of
    each indicator is filled from itself alone, so any subset of units or indicators gives the same values."""
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=(6, U, N_IND))
    x[rng.random(x.shape) < 0.3] = np.nan
    years = np.array([2015, 2016, 2018, 2019, 2020, 2023], dtype=float)
    ctx = ImputeContext({}, years)
    f = STAGES["impute"].get(name).func
    whole = f(x, ctx)
    for units in (slice(0, 1), slice(3, 7), [1, 5, 9]):
        np.testing.assert_array_equal(whole[:, units, :], f(x[:, units, :], ctx))
    for ind in ([0], [1, 3]):
        np.testing.assert_array_equal(whole[:, :, ind], f(x[:, :, ind], ctx))
    observed = ~np.isnan(x)
    np.testing.assert_array_equal(whole[observed], x[observed])
