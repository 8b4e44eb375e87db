"""Run the stages on arrays.

``prepare`` takes a framework, a data set and a recipe to the normalised indicators of one year (or of several years
stacked, for monitoring); ``aggregate_tree`` combines them up the tree with weights that may differ per sample;
``rank_scores`` ranks every node. :func:`clusterleap.evaluate` wraps the three into a :class:`Result`; uncertainty
analysis calls the same functions with many samples at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from ._dataset import Dataset
from ._framework import Framework
from ._recipe import INDICATOR_STAGES, Basis, Plan, Recipe, Step
from ._registry import did_you_mean
from .errors import DataError, RecipeError
from .stages import aggregate as aggregate_stage
from .stages import denominate as denominate_stage
from .stages import impute as impute_stage
from .stages import normalise as normalise_stage
from .stages import rank as rank_stage
from .stages import screen as screen_stage
from .stages import transform as transform_stage
from .stages import treat as treat_stage
from .stages import weight as weight_stage
from .stages._arrays import BoolArray, FloatArray, quiet
from .stages.impute import PANEL_METHODS, ImputeContext
from .stages.normalise import NormContext
from .stages.treat import Treated
from .stages.weight import WeightContext

__all__ = [
    "Prepared",
    "Screening",
    "aggregate_tree",
    "check_norm_inputs",
    "check_norm_values",
    "check_recipe_nodes",
    "dimension_positions",
    "node_weights",
    "norm_context",
    "normalise",
    "prepare",
    "rank_scores",
    "screen",
]


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


@dataclass(frozen=True)
class Screening:
    """Data coverage of every unit of the data set in the evaluated year(s), and which units the recipe's screen
    keeps. ``present`` ``(years, units, indicators)``: the value the pipeline gets is there (the indicator and,
    where the recipe denominates it, its denominator); ``dimensions``: the codes the per-dimension shares refer to
    (the children of the root)."""

    years: tuple[int, ...]
    dimensions: tuple[str, ...]
    present: BoolArray
    share: FloatArray  # (years, units)
    by_dimension: FloatArray  # (years, units, dimensions)
    kept: BoolArray  # (years, units)
    step: Step

    def with_data(self) -> npt.NDArray[np.int64]:
        """Indicators with a value, per year and unit."""
        out: npt.NDArray[np.int64] = self.present.sum(axis=-1)
        return out


def dimension_positions(fw: Framework) -> tuple[tuple[str, ...], npt.NDArray[np.int64]]:
    """The root's children and, per indicator, the position of the child it belongs to (an indicator directly
    under the root is its own dimension)."""
    dims = fw.children[fw.root.code]
    pos = {c: i for i, c in enumerate(dims)}
    out = []
    for c in fw.indicators:
        line = (c, *fw.ancestors(c))
        out.append(next(pos[a] for a in line if a in pos))
    return dims, np.array(out, dtype=np.int64)


def screen(fw: Framework, data: Dataset, recipe: Recipe, years: Sequence[int]) -> Screening:
    """Coverage per unit (overall and per dimension) and the units the recipe's screen keeps, per year."""
    ti = [data.year_index(y) for y in years]
    col = [data.variables.index(c) for c in fw.indicators]
    present = ~np.isnan(data.values[ti][:, :, col])
    for i, c in enumerate(fw.indicators):
        dn = fw.by_code[c].denominator
        if dn and recipe.denominate.step_for(c, 1).method != "none" and dn in data.variables:
            present[:, :, i] &= ~np.isnan(data.values[ti][:, :, data.variables.index(dn)])
    dims, dpos = dimension_positions(fw)
    share, by_dim = screen_stage.coverage_shares(present, dpos)
    step = recipe.screen.default
    kept = screen_stage.METHODS.get(step.method).func(present, dpos, **step.kwargs)
    return Screening(tuple(years), dims, present, share, by_dim, np.asarray(kept, dtype=bool), step)


def check_recipe_nodes(fw: Framework, recipe: Recipe) -> None:
    """Raise if a recipe override names a node the framework lacks, or a node of the wrong kind."""
    src = recipe.source or "recipe"
    for stage in ("denominate", "transform", "impute", "treat", "normalise", "weight", "aggregate"):
        plan = recipe.plan(stage)
        for code, _ in plan.nodes:
            if code not in fw:
                raise RecipeError(f"{src}, {stage}.nodes: {code!r} is not a node of framework {fw.name!r}"
                                  f"{did_you_mean(code, list(fw.by_code))}")
            is_ind = fw.by_code[code].is_indicator
            if stage in INDICATOR_STAGES and not is_ind:
                raise RecipeError(f"{src}, {stage}.nodes: {code!r} is not an indicator ({stage} applies to "
                                  "indicators)")
            if stage not in INDICATOR_STAGES and is_ind:
                raise RecipeError(f"{src}, {stage}.nodes: {code!r} is an indicator ({stage} applies to parent "
                                  "nodes)")
        top = fw.n_levels
        for level, _ in plan.levels:
            if not 2 <= level <= top:
                raise RecipeError(f"{src}, {stage}.levels: level {level} does not exist in framework {fw.name!r} "
                                  f"(parent levels are 2..{top})")


def _by_step(plan: Plan, codes: Sequence[str], fw: Framework) -> Iterator[tuple[Step, npt.NDArray[np.intp]]]:
    """Group column positions of ``codes`` by the step the plan gives each."""
    groups: dict[Step, list[int]] = {}
    for i, c in enumerate(codes):
        groups.setdefault(plan.step_for(c, fw.level[c]), []).append(i)
    for step, idx in groups.items():
        yield step, np.array(idx, dtype=np.intp)


def _cols(a: FloatArray, idx: npt.NDArray[np.intp]) -> FloatArray:
    """``a[..., idx]``, or ``a`` itself (no copy) when ``idx`` is every column in order."""
    if len(idx) == a.shape[-1] and (idx == np.arange(len(idx))).all():
        return a
    return a[..., idx]


def _apply_columns(
    x: FloatArray, plan: Plan, fw: Framework, call: Callable[[Step, npt.NDArray[np.intp]], FloatArray]
) -> FloatArray:
    groups = list(_by_step(plan, fw.indicators, fw))
    if len(groups) == 1:
        step, idx = groups[0]
        return call(step, idx)
    out = x.copy()
    for step, idx in groups:
        out[..., idx] = call(step, idx)
    return out


def norm_context(fw: Framework, fit: BoolArray | None, units: tuple[str, ...], basis: Basis | None = None
                 ) -> NormContext:
    """What the normalisers need besides the values, oriented so that higher is better: the framework's goalposts
    and targets, the rows statistics come from, and the scoring basis's bounds and moments (fixed goalposts or a
    frozen reference; none on a relative basis). For direction -1 the bounds (lo, hi) become (-hi, -lo)."""
    nodes = [fw.by_code[c] for c in fw.indicators]
    d = fw.directions
    lo = np.array([n.goalposts.lo if n.goalposts else np.nan for n in nodes])
    hi = np.array([n.goalposts.hi if n.goalposts else np.nan for n in nodes])
    cap = np.array([bool(n.goalposts.cap) if n.goalposts else False for n in nodes])
    tgt = np.array([n.target if n.target is not None else np.nan for n in nodes])
    olo = np.where(d > 0, lo, -hi)
    ohi = np.where(d > 0, hi, -lo)
    ctx = NormContext(olo[None], ohi[None], cap[None], (tgt * d)[None], fit, units)
    basis = basis or Basis()
    if basis.kind == "goalposts":
        missing = [c for c, n in zip(fw.indicators, nodes, strict=True) if n.goalposts is None]
        if missing:
            raise RecipeError(f"basis goalposts: indicator {missing[0]!r} has no goalposts in framework {fw.name!r}"
                              f"{f' (nor have {len(missing) - 1} more)' if len(missing) > 1 else ''}; give every "
                              "indicator goalposts, or fit a frozen basis with `clusterleap calibrate`")
        return replace(ctx, bounds=(olo[None], ohi[None]), clip=cap[None])
    if basis.kind == "frozen":
        stats = dict(basis.stats)
        missing = [c for c in fw.indicators if c not in stats]
        if missing:
            raise RecipeError(f"basis frozen: no statistics for indicator {missing[0]!r} of framework {fw.name!r}"
                              f"{f' (nor for {len(missing) - 1} more)' if len(missing) > 1 else ''} (calibrate the "
                              "recipe on this framework again)")
        extra = [c for c in stats if c not in fw.indicators]
        if extra:
            raise RecipeError(f"basis frozen: statistics for {extra[0]!r}, which is not an indicator of framework "
                              f"{fw.name!r} (calibrate the recipe on this framework again)")
        mn, mx, mean, sd = (np.array([stats[c][k] for c in fw.indicators]) for k in range(4))
        bounds = (np.where(d > 0, mn, -mx)[None], np.where(d > 0, mx, -mn)[None])
        return replace(ctx, bounds=bounds, moments=((mean * d)[None], sd[None]),
                       clip=np.full((1, len(nodes)), basis.clip))
    return ctx


def check_norm_inputs(fw: Framework, plan: Plan, ctx: NormContext) -> None:
    """Raise if a normaliser lacks what the framework must give it (goalposts, a target, a reference unit)."""
    for step, idx in _by_step(plan, fw.indicators, fw):
        for i in idx:
            code = fw.indicators[i]
            if step.method == "goalposts" and np.isnan(ctx.lo[0, i]):
                raise RecipeError(f"normalise: indicator {code!r} has no goalposts in framework {fw.name!r} "
                                  "(the goalposts method needs them)")
            if step.method == "target" and np.isnan(ctx.target[0, i]):
                raise RecipeError(f"normalise: indicator {code!r} has no target in framework {fw.name!r} "
                                  "(the target method needs one)")
            if step.method == "reference" and step.kwargs["unit"] not in ctx.units:
                unit = step.kwargs["unit"]
                raise RecipeError(f"normalise: reference unit {unit!r} is not in the data"
                                  f"{did_you_mean(unit, list(ctx.units))}")


def check_norm_values(fw: Framework, plan: Plan, ctx: NormContext, treated: FloatArray) -> None:
    """Raise where a normaliser's formula is undefined for these values: a target not beyond the worst value, a
    reference unit at the worst value or without one, proportions of values of both signs. ``treated``: the
    values the normalisers get, ``(samples, units, indicators)``, before their directions; the worst value is the
    basis's lower bound, else the lowest oriented value of the fit rows."""
    if not any(s.method in ("target", "reference", "proportion") for s in plan.steps()):
        return  # nothing to check: no oriented copy of a large array
    oriented = treated * fw.directions
    with quiet():
        if ctx.bounds is not None:
            floor = np.broadcast_to(ctx.bounds[0], (oriented.shape[0], oriented.shape[2]))
        else:
            ref = oriented if ctx.fit is None else oriented[:, ctx.fit, :]
            floor = np.nanmin(ref, axis=1)
    d = fw.directions
    for step, idx in _by_step(plan, fw.indicators, fw):
        for i in idx:
            code = fw.indicators[i]
            worst = "lowest" if d[i] > 0 else "highest"
            low = float(floor[0, i])
            if step.method == "target" and not np.isnan(low) and not ctx.target[0, i] > low:
                raise DataError(
                    f"normalise, indicator {code!r}: the target {ctx.target[0, i] * d[i]:g} is not beyond the {worst} "
                    f"value {low * d[i]:g}, so the distance to the target is undefined (every unit has reached it): "
                    "set a more ambitious target, or use minmax")
            if step.method == "reference":
                unit = step.kwargs["unit"]
                v = float(oriented[0, ctx.units.index(unit), i])
                if np.isnan(v):
                    raise DataError(f"normalise, indicator {code!r}: the reference unit {unit!r} has no value, so "
                                    "distances to it are undefined (choose a reference unit with data)")
                if not v > low:
                    raise DataError(f"normalise, indicator {code!r}: the reference unit {unit!r} has the {worst} "
                                    f"value ({v * d[i]:g}), so distances to it are undefined (choose a reference "
                                    "unit that is better than the worst, or use minmax)")
            if step.method == "proportion":
                col = oriented[..., i]
                with quiet():
                    has_pos, has_neg = bool(np.nanmax(col) > 0), bool(np.nanmin(col) < 0)
                if has_pos and has_neg:
                    u = int(np.argwhere(col * (1 if d[i] > 0 else -1) < 0)[0][1])
                    raise DataError(f"normalise, indicator {code!r}: proportion of the best value needs values of "
                                    f"one sign, but unit {ctx.units[u]!r} has {col[0, u] * d[i]:g} while others "
                                    "are of the other sign (use minmax)")


def _check_domain(x: FloatArray, codes: npt.NDArray[np.int64], fw: Framework, data: Dataset,
                  years: Sequence[int]) -> None:
    """A log needs x > 0 and log1p x > -1: name the first value that is not."""
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
    imp = _apply_columns(trans, recipe.impute, fw, impute)
    ti = [data.year_index(y) for y in years]
    # one year: views, not copies
    pick: list[int] | slice = slice(ti[0], ti[0] + 1) if len(ti) == 1 else ti
    if not keep:
        mask = np.isnan(trans[pick]) & ~np.isnan(imp[pick])
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


def normalise(x: FloatArray, plan: Plan, fw: Framework, ctx: NormContext, *, in_place: bool = False) -> FloatArray:
    """Apply directions, cap values at the basis's bounds where it says so (as the HDI caps at its goalposts), then
    each indicator's normaliser (grouped by step). ``in_place``: orient ``x`` itself (a buffer the caller owns and
    no longer needs) instead of a copy."""
    d = fw.directions
    oriented = np.multiply(x, d, out=x) if in_place else x * d  # either way a buffer of our own from here on
    if ctx.bounds is not None and ctx.clip is not None and ctx.clip.any():
        lo, hi = ctx.bounds[0][:, None, :], ctx.bounds[1][:, None, :]
        with np.errstate(invalid="ignore"):
            if ctx.clip.all():
                np.clip(oriented, lo, hi, out=oriented)
            else:
                oriented = np.where(ctx.clip[:, None, :], np.clip(oriented, lo, hi), oriented)
    groups = list(_by_step(plan, fw.indicators, fw))
    if len(groups) == 1 and len(groups[0][1]) == oriented.shape[-1]:
        step, idx = groups[0]
        one: FloatArray = normalise_stage.METHODS.get(step.method).func(_cols(oriented, idx), ctx.columns(idx),
                                                                    **step.kwargs)
        return one
    out = np.empty_like(oriented)
    for step, idx in groups:
        out[..., idx] = normalise_stage.METHODS.get(step.method).func(oriented[..., idx], ctx.columns(idx),
                                                                  **step.kwargs)
    return out


def node_weights(fw: Framework) -> FloatArray:
    """The framework's weight of every node in ``fw.order`` (not yet renormalised), shape ``(1, nodes)``."""
    return np.array([[fw.by_code[c].weight for c in fw.order]])


def aggregate_tree(
    fw: Framework,
    normalised: FloatArray,
    recipe: Recipe,
    weights: FloatArray | None = None,
    *,
    strict: bool = True,
    units: Sequence[str] = (),
    nodes: Sequence[int] | None = None,
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Scores ``(samples, units, nodes)`` of every node in ``fw.order`` (or of the positions ``nodes`` in it) and
    the weights used per parent.

    ``weights``: nominal weights per node ``(samples, nodes)`` (default: the framework's). With ``strict``, a mean
    that needs non-negative children and gets a negative one raises instead of returning NaN. Indicator scores are
    the normalised values; they are broadcast, never copied per sample, unless asked for."""
    w = node_weights(fw) if weights is None else weights
    pos = {c: i for i, c in enumerate(fw.order)}
    ind = {c: i for i, c in enumerate(fw.indicators)}
    s = max(normalised.shape[0], w.shape[0])
    shape = (s, normalised.shape[1])
    computed: dict[str, FloatArray] = {}

    def column(code: str) -> FloatArray:
        if code in ind:
            return np.broadcast_to(normalised[:, :, ind[code]], shape)
        return computed[code]

    used: dict[str, FloatArray] = {}
    with quiet():
        for code in fw.aggregates:
            kids = fw.children[code]
            if all(k in ind for k in kids):
                # Indicator children are the same for every sample unless normalisation varies: a broadcast view,
                # not copies (the mean kernels then compute on one row).
                x = normalised[:, :, [ind[k] for k in kids]]
                if x.shape[0] != s:
                    x = np.broadcast_to(x, (s, *x.shape[1:]))
            else:
                x = np.stack([column(k) for k in kids], axis=-1)
            level = fw.level[code]
            wstep = recipe.weight.step_for(code, level)
            wfun = weight_stage.METHODS.get(wstep.method).func
            # C order: sums over children then take the same order for one sample as for many
            wk = wfun(x, np.ascontiguousarray(w[:, [pos[k] for k in kids]]), WeightContext(code, kids),
                      **wstep.kwargs)
            used[code] = wk
            astep = recipe.aggregate.step_for(code, level)
            if strict and astep.method in ("geometric", "harmonic", "power"):
                _check_nonnegative(code, kids, x, astep, units)
            computed[code] = np.asarray(aggregate_stage.METHODS.get(astep.method).func(x, wk, **astep.kwargs))
    wanted = list(range(len(fw.order))) if nodes is None else list(nodes)
    scores = np.empty((*shape, len(wanted)))
    for j, p in enumerate(wanted):
        scores[:, :, j] = column(fw.order[p])
    return scores, used


def _check_nonnegative(code: str, kids: Sequence[str], x: FloatArray, step: Step, units: Sequence[str]) -> None:
    neg = x < 0
    if neg.any():
        s, u, k = (int(v) for v in np.argwhere(neg)[0])
        unit = repr(units[u % len(units)]) if units else f"#{u + 1}"
        raise RecipeError(
            f"aggregate, node {code!r}: the {step.method} mean needs non-negative children, but {kids[k]!r} is "
            f"{x[s, u, k]:.4g} for unit {unit} (normalise to a non-negative range, e.g. minmax, or aggregate "
            "arithmetically)"
        )


def rank_scores(scores: FloatArray, recipe: Recipe) -> FloatArray:
    """Ranks of every node's scores, 1 = best."""
    step = recipe.rank.default
    return rank_stage.METHODS.get(step.method).func(scores, **step.kwargs)
