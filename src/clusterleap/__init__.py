"""clusterleap: evaluate world-class advanced manufacturing clusters with a rigorous composite-indicator engine.

The public API is what ``__all__`` lists; every other module is internal.
"""

from .analysis.profile import analyse, profile
from .analysis.trends import trends
from .api import calibrate, evaluate, regenerate
from .dataset import Dataset
from .errors import (
    ClusterleapError,
    DataError,
    DataWarning,
    FrameworkError,
    JudgementError,
    RecipeError,
    SpaceError,
)
from .framework import Framework, Goalposts, Node
from .grading import GradingScheme
from .io.data_files import read_data
from .io.framework_files import builtin_frameworks, load_framework, read_framework_yaml, read_imeta
from .recipe import Basis, Plan, Recipe, Step
from .result import Provenance, Result
from .version import __version__

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
