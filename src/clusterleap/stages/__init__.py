"""The pipeline's stages, one module and one registry each, in the order they run.

Each module holds one registry, ``METHODS``, typed by a Protocol of the stage's kernel signature (e.g.
:class:`normalise.NormaliseKernel`). Every kernel is a pure function on float arrays with a leading sample axis,
``(samples, units, indicators)``, that assumes valid input; checking happens once, at the edges (framework load,
data import, recipe construction).
"""

from typing import Any

from .._registry import Registry
from . import aggregate, denominate, impute, normalise, rank, screen, transform, treat, weight

#: Every stage's registry by name, for what reads any stage (recipes, the method list). The pipeline calls each
#: stage's own ``METHODS``, typed by its kernel Protocol.
STAGES: dict[str, Registry[Any]] = {
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
