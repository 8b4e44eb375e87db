"""The pipeline's stages, one module and one registry each, in the order they run.

Every kernel is a pure function on float arrays with a leading sample axis, ``(samples, units, indicators)``, that
assumes valid input; checking happens once, at the edges (framework load, data import, recipe construction).
"""

from . import aggregate, denominate, impute, normalise, rank, screen, transform, treat, weight

STAGES = {
    "screen": screen.METHODS,
    "denominate": denominate.METHODS,
    "transform": transform.METHODS,
    "impute": impute.METHODS,
    "treat": treat.METHODS,
    "normalise": normalise.METHODS,
    "weight": weight.METHODS,
    "aggregate": aggregate.METHODS,
    "rank": rank.METHODS,
}

__all__ = ["STAGES"]
