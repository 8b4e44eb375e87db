"""clusterleap: evaluate world-class advanced manufacturing clusters with a rigorous composite-indicator engine.

The public API is what ``__all__`` lists; every other module is internal.
"""

from ._api import calibrate, evaluate, regenerate
from ._dataset import Dataset
from ._framework import Framework, Goalposts, Node
from ._recipe import Basis, Plan, Recipe, Step
from ._result import Provenance, Result
from ._version import __version__
from .analysis._profile import analyse, profile
from .analysis._trends import trends
from .errors import (
    ClusterleapError,
    DataError,
    DataWarning,
    FrameworkError,
    JudgementError,
    RecipeError,
    SpaceError,
)
from .grading import GradingScheme
from .io._data_files import read_data
from .io._framework_files import builtin_frameworks, load_framework, read_framework_yaml, read_imeta

__all__ = [
    "Basis",
    "ClusterleapError",
    "DataError",
    "DataWarning",
    "Dataset",
    "Framework",
    "FrameworkError",
    "Goalposts",
    "GradingScheme",
    "JudgementError",
    "Node",
    "Plan",
    "Provenance",
    "Recipe",
    "RecipeError",
    "Result",
    "SpaceError",
    "Step",
    "__version__",
    "analyse",
    "builtin_frameworks",
    "calibrate",
    "evaluate",
    "load_framework",
    "profile",
    "read_data",
    "read_framework_yaml",
    "read_imeta",
    "regenerate",
    "trends",
]
