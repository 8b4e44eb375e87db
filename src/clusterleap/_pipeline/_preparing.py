"""Denominate to normalise: the indicator arrays of one year (or of several years stacked) after each stage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from .._dataset import Dataset
from .._framework import Framework
from .._recipe import Plan, Recipe, Step
from .._registry import did_you_mean
from ..errors import DataError, RecipeError
from ..stages import denominate as denominate_stage
from ..stages import impute as impute_stage
from ..stages import transform as transform_stage
from ..stages import treat as treat_stage
from ..stages._arrays import BoolArray, FloatArray
from ..stages.impute import PANEL_METHODS, ImputeContext
from ..stages.treat import Treated
from ._columns import _apply_columns, _by_step, _cols
from ._normalising import check_norm_inputs, check_norm_values, norm_context, normalise
from ._screening import check_recipe_nodes


@dataclass(frozen=True)
class Prepared:
    """Indicator arrays after each stage, ``(samples, units, indicators)``; the raw to imputed ones hold the
    selected year(s) only. ``imputed`` marks values that imputation filled."""

    raw: FloatArray
    denominated: FloatArray
    transformed: FloatArray
    imputed: FloatArray
    imputed_mask: BoolArray
    treated: Treated
    normalised: FloatArray
    #: False when made with ``keep=False``: the raw to treated values were let go (empty), only the normalised
    #: values, the imputation mask and the treatment record remain.
    kept: bool = True


def _check_domain(x: FloatArray, codes: npt.NDArray[np.int64], fw: Framework, data: Dataset,
                  years: Sequence[int]) -> None:
    """A log needs x > 0 and log1p x > -1: name the first value that is not."""
    if not codes.any():
        return  # no log transform: nothing to check, no temporaries the size of the data
    bad = ((codes == 1) & (x <= 0)) | ((codes == 2) & (x <= -1))
    if bad.any():
        t, u, i = (int(v) for v in np.argwhere(bad)[0])
        code = fw.indicators[i]
        what = "log" if codes[i] == 1 else "log1p"
        ti = data.years.index(years[t])
        raise DataError(f"{data.place(ti, u, code)}: {x[t, u, i]} cannot be {what}-transformed (the framework's "
                        f"transform for {code!r} needs values > {0 if what == 'log' else -1})")


def prepare(
    fw: Framework,
    data: Dataset,
    recipe: Recipe,
    years: Sequence[int],
    *,
    fit: BoolArray | None = None,
    pooled: bool = False,
    checked: bool = False,
    keep: bool = True,
) -> Prepared:
    """Run denominate to normalise for the given years.

    Panel imputation sees every year of the data; the result keeps ``years`` on the sample axis, or, when
    ``pooled``, stacked on the unit axis (rows year-major) so that normalisation bounds are shared across years;
    ``fit`` then selects the rows statistics come from (e.g. one reference year). ``checked``: the data was
    already checked against the framework. With ``keep=False`` the stage arrays before normalisation are let go as
    soon as the next stage has run (memory for large runs)."""
    if not checked:
        data.check_against(fw)
    check_recipe_nodes(fw, recipe)
    codes = fw.indicators
    col = [data.variables.index(c) for c in codes]
    # the data's own array when its variables are the indicators in order (no copy)
    raw_all = data.values if col == list(range(data.values.shape[-1])) else data.values[:, :, col]
    has_den = any(fw.by_code[c].denominator for c in codes)
    den = np.ones(raw_all.shape) if has_den else np.ones((1, 1, len(codes)))
    for i, c in enumerate(codes):
        dn = fw.by_code[c].denominator
        if dn:
            den[:, :, i] = data.column(dn)
            zero = np.argwhere(den[:, :, i] == 0)
            if zero.size and recipe.denominate.step_for(c, 1).method != "none":
                t, u = (int(v) for v in zero[0])
                raise DataError(f"{data.place(t, u, dn)}: denominator of {c!r} is 0 (expected a non-zero value, "
                                "or leave the cell empty for a missing value)")
    # denominate and transform: elementwise, whole panel
    def denominate(s: Step, idx: npt.NDArray[np.intp]) -> FloatArray:
        return denominate_stage.METHODS.get(s.method).func(_cols(raw_all, idx), _cols(den, idx))

    # without any denominator both registered methods give the values themselves: no copy
    plain = {"framework", "none"}
    if not has_den and {st.method for st, _ in _by_step(recipe.denominate, codes, fw)} <= plain:
        denom = raw_all
    else:
        denom = _apply_columns(raw_all, recipe.denominate, fw, denominate)
    tcodes = np.array([transform_stage.CODES[fw.by_code[c].transform] for c in codes], dtype=np.int64)
    uses_transform = np.array([recipe.transform.step_for(c, 1).method != "none" for c in codes])
    _check_domain(denom, np.where(uses_transform, tcodes, 0), fw, data, data.years)
    def transform(s: Step, idx: npt.NDArray[np.intp]) -> FloatArray:
        return transform_stage.METHODS.get(s.method).func(_cols(denom, idx), tcodes[idx])

    if not tcodes.any() and {st.method for st, _ in _by_step(recipe.transform, codes, fw)} <= plain:
        trans = denom
    else:
        trans = _apply_columns(denom, recipe.transform, fw, transform)
    if not keep:
        del denom
    # impute: panel methods along years, the others per year
    groups = {}
    for g in data.groups:
        groups[g] = data.group_codes(g)[0]
    ictx = ImputeContext(groups, np.array(data.years, dtype=float))

    def impute(step: Step, idx: npt.NDArray[np.intp]) -> FloatArray:
        func: Callable[..., FloatArray] = impute_stage.METHODS.get(step.method).func
        return func(_cols(trans, idx), ictx, **step.kwargs)

    src = recipe.source or "recipe"
    for step, _ in _by_step(recipe.impute, codes, fw):
        if step.method in PANEL_METHODS and not data.is_panel:
            raise RecipeError(f"{src}, impute: {step.method!r} needs a panel (several years); {data.source} has "
                              f"only {data.years[0]}")
        group = step.kwargs.get("group")
        if group is not None and group not in data.groups:
            raise RecipeError(f"{src}, impute: group column {group!r} is not a unit-metadata column of "
                              f"{data.source}{did_you_mean(group, list(data.groups))}")
    # without stage tables, imputation 'none' (a copy of its input) hands on the values themselves: treatment
    # copies them before anything changes them
    unimputed = not keep and {st.method for st, _ in _by_step(recipe.impute, codes, fw)} == {"none"}
    imp = trans if unimputed else _apply_columns(trans, recipe.impute, fw, impute)
    ti = [data.year_index(y) for y in years]
    # one year: views, not copies
    pick: list[int] | slice = slice(ti[0], ti[0] + 1) if len(ti) == 1 else ti
    if not keep:
        mask: BoolArray
        if unimputed:
            mask = np.zeros(trans[pick].shape, dtype=bool)
        else:
            mask = np.isnan(trans[pick])
            mask &= ~np.isnan(imp[pick])
        handed = [imp[pick]]
        del raw_all, trans, imp
        if pooled:
            width = handed[0].shape[-1]
            handed, mask = [handed[0].reshape(1, -1, width)], mask.reshape(1, -1, width)
        return _prepare_lean(fw, data, recipe, years, fit, pooled, handed, mask)
    raw, denom_s, trans_s, imp_s = raw_all[pick], denom[pick], trans[pick], imp[pick]
    if pooled:
        width = raw.shape[-1]
        raw, denom_s, trans_s, imp_s = (a.reshape(1, -1, width) for a in (raw, denom_s, trans_s, imp_s))
    mask = np.isnan(trans_s) & ~np.isnan(imp_s)
    units = data.units * (len(years) if pooled else 1)
    ctx = norm_context(fw, fit, units, recipe.basis)
    check_norm_inputs(fw, recipe.normalise, ctx)
    treated = _treat(imp_s, recipe.treat, fw)
    check_norm_values(fw, recipe.normalise, ctx, treated.x)
    normalised = normalise(treated.x, recipe.normalise, fw, ctx)
    return Prepared(raw, denom_s, trans_s, imp_s, mask, treated, normalised)


def _prepare_lean(fw: Framework, data: Dataset, recipe: Recipe, years: Sequence[int], fit: BoolArray | None,
                  pooled: bool, handed: list[FloatArray], mask: BoolArray) -> Prepared:
    """Treat and normalise for ``prepare(..., keep=False)``, letting go of each array once used: the imputed
    values are handed over in a list (emptied here), so that no caller's frame keeps them alive."""
    imp_s = handed.pop()
    units = data.units * (len(years) if pooled else 1)
    ctx = norm_context(fw, fit, units, recipe.basis)
    check_norm_inputs(fw, recipe.normalise, ctx)
    width = imp_s.shape[-1]
    treated = _treat(imp_s, recipe.treat, fw)
    check_norm_values(fw, recipe.normalise, ctx, treated.x)
    # the treated values are then the pipeline's own buffer (never the data's): oriented in place, then let go
    own = not np.may_share_memory(treated.x, data.values) and not np.may_share_memory(treated.x, imp_s)
    del imp_s
    normalised = normalise(treated.x, recipe.normalise, fw, ctx, in_place=own)
    none = np.empty((0, 0, width))
    return Prepared(none, none, none, none, mask, replace(treated, x=none), normalised, kept=False)


def _treat(x: FloatArray, plan: Plan, fw: Framework) -> Treated:
    """Apply each indicator's treatment and merge the records into one."""
    parts = [(idx, treat_stage.METHODS.get(step.method).func(_cols(x, idx), **step.kwargs))
             for step, idx in _by_step(plan, fw.indicators, fw)]
    if len(parts) == 1:
        return parts[0][1]
    fields = ("x", "points", "skew_before", "kurt_before", "skew_after", "kurt_after", "changed", "rule")
    merged = {}
    for name in fields:
        first = getattr(parts[0][1], name)
        out = np.empty((*first.shape[:-1], x.shape[-1]), dtype=first.dtype)
        for idx, t in parts:
            out[..., idx] = getattr(t, name)
        merged[name] = out
    return Treated(**merged)


