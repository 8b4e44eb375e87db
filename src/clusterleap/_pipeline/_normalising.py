"""Normalisation: the context normalisers need (goalposts, targets, a scoring basis), the checks that their
formulas are defined for the framework and the values, and the stage itself."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .._framework import Framework
from .._recipe import Basis, Plan
from .._registry import did_you_mean
from ..errors import DataError, RecipeError
from ..stages import normalise as normalise_stage
from ..stages._arrays import BoolArray, FloatArray, quiet
from ..stages.normalise import NormContext
from ._columns import _by_step, _cols


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

