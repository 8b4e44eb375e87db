"""clusterleap: evaluate world-class advanced manufacturing clusters with a rigorous composite-indicator engine.

The public API is what ``__all__`` lists; every other module is internal. The names are loaded when first used
(PEP 562), so that ``import clusterleap`` and the command line start without pandas, scipy and the report stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

#: The module of each public name that is loaded when first used.
_LAZY = {
    "calibrate": "._api",
    "evaluate": "._api",
    "regenerate": "._api",
    "Dataset": "._dataset",
    "Framework": "._framework",
    "Goalposts": "._framework",
    "Node": "._framework",
    "Basis": "._recipe",
    "Plan": "._recipe",
    "Recipe": "._recipe",
    "Step": "._recipe",
    "Provenance": "._result",
    "Result": "._result",
    "__version__": "._version",
    "analyse": ".analysis._profile",
    "profile": ".analysis._profile",
    "trends": ".analysis._trends",
    "GradingScheme": ".grading",
    "read_data": ".io._data_files",
    "builtin_frameworks": ".io._framework_files",
    "load_framework": ".io._framework_files",
    "read_framework_yaml": ".io._framework_files",
    "read_imeta": ".io._framework_files",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
