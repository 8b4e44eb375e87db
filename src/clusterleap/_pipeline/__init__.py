"""Run the stages on arrays.

``prepare`` takes a framework, a data set and a recipe to the normalised indicators of one year (or of several years
stacked, for monitoring); ``aggregate_tree`` combines them up the tree with weights that may differ per sample;
``rank_scores`` ranks every node. :func:`clusterleap.evaluate` wraps the three into a :class:`Result`; uncertainty
analysis calls the same functions with many samples at once.

The work is split by job: :mod:`._screening` (coverage and the screen), :mod:`._preparing` (denominate to treat),
:mod:`._normalising` (normalisation and its checks), :mod:`._tree` (aggregation and ranking).
"""

from __future__ import annotations

from ._normalising import check_norm_inputs, check_norm_values, norm_context, normalise
from ._preparing import Prepared, prepare
from ._screening import Screening, check_recipe_nodes, dimension_positions, screen
from ._tree import aggregate_tree, node_weights, rank_scores

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
