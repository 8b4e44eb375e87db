"""Robustness: how much do ranks and grades move when the contestable choices of an evaluation change?

Built as SALib is, one job per module, with only arrays passing between the steps:

- :mod:`._space`: the uncertain choices declared as factors (weights, method choices, frameworks, goalposts);
- :mod:`._problem`: a space resolved against a framework, data, recipe and year; every factor decodes its own
  columns of uniforms;
- :mod:`._designs`: the draws (Monte Carlo, Saltelli's design for Sobol' analysis);
- :mod:`._propagate`: every sample through the pipeline at once, in parts (:mod:`._parts`: chunk by chunk,
  optionally in threads or workers) of batches (:mod:`._batches`: one per combination of choices);
- :mod:`._samples` and :mod:`._summaries`: rank intervals, rank shifts, failed runs, grade shares;
- :mod:`._sensitivity`: Sobol' indices; :mod:`._streaming`: summaries accumulated chunk by chunk;
- :mod:`._compare`: leave-one-out and two recipes side by side;
- :mod:`._folder`: the folder ``clusterleap robustness`` writes and a report reads.

>>> import clusterleap.robustness as rb
>>> samples = rb.uncertainty_analysis("world-class", data, space=rb.Space((rb.WeightNoise(0.25),)))  # doctest: +SKIP
>>> samples.rank_intervals()                                                                          # doctest: +SKIP
"""

from ._compare import compare_recipes, leave_one_out
from ._folder import Robustness, load_robustness, write_folder
from ._problem import Draws, Problem
from ._propagate import propagate, uncertainty_analysis
from ._samples import Samples
from ._sensitivity import SobolIndices, saltelli_design, sobol_indices
from ._space import NOMINAL, FrameworkChoice, GoalpostRange, GoalpostRanges, MethodChoice, Space, WeightNoise
from ._summaries import grade_probabilities, grade_shares

__all__ = [
    "NOMINAL",
    "Draws",
    "FrameworkChoice",
    "GoalpostRange",
    "GoalpostRanges",
    "MethodChoice",
    "Problem",
    "Robustness",
    "Samples",
    "SobolIndices",
    "Space",
    "WeightNoise",
    "compare_recipes",
    "grade_probabilities",
    "grade_shares",
    "leave_one_out",
    "load_robustness",
    "propagate",
    "saltelli_design",
    "sobol_indices",
    "uncertainty_analysis",
    "write_folder",
]
