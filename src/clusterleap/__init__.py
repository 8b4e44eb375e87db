"""clusterleap: evaluate world-class advanced manufacturing clusters with a rigorous composite-indicator engine.

The public API is what ``__all__`` lists; every other module is internal. The names are loaded when first used
(PEP 562), so that ``import clusterleap`` and the command line start without pandas, scipy and the report stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_names
from .errors import (
    ClusterleapError,
    DataError,
    DataWarning,
    FrameworkError,
    JudgementError,
    MemoryLimitError,
    RecipeError,
    SpaceError,
)

if TYPE_CHECKING:
    from ._api import calibrate, evaluate, regenerate
    from ._dataset import Dataset
    from ._framework import Framework, Goalposts, Node
    from ._recipe import Basis, Plan, Recipe, Step
    from ._result import Provenance, Result
    from ._version import __version__
    from .analysis._profile import analyse, profile
    from .analysis._trends import trends
    from .grading import GradingScheme
    from .io._data_files import read_data
    from .io._framework_files import builtin_frameworks, load_framework, read_framework_yaml, read_imeta

# Where each public name lives, for the run time. Type checkers read the imports above instead: to them a
# misspelt name is an error, where a module __getattr__ would make it Any.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(__name__, {
        "._api": ("calibrate", "evaluate", "regenerate"),
        "._dataset": ("Dataset",),
        "._framework": ("Framework", "Goalposts", "Node"),
        "._recipe": ("Basis", "Plan", "Recipe", "Step"),
        "._result": ("Provenance", "Result"),
        "._version": ("__version__",),
        ".analysis._profile": ("analyse", "profile"),
        ".analysis._trends": ("trends",),
        ".grading": ("GradingScheme",),
        ".io._data_files": ("read_data",),
        ".io._framework_files": ("builtin_frameworks", "load_framework", "read_framework_yaml", "read_imeta"),
    })

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
    "MemoryLimitError",
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
