"""Public names of a package loaded when first used (PEP 562), so that importing the package loads none of the
heavy libraries behind them: ``import clusterleap`` and ``clusterleap --help`` start without pandas or SciPy.

A package declares where each name lives and gets its ``__getattr__`` and ``__dir__``::

    __getattr__, __dir__ = lazy_names(__name__, {"._api": ("evaluate",), ...})

with the same names imported under ``if TYPE_CHECKING:`` for type checkers.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, modules: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``, where ``modules`` maps a module (relative to
    the package, such as ``"._api"``) to the public names it defines. A name is imported from its module the first
    time it is asked for, then kept in the package's namespace so that later look-ups do not come back here."""
    home = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *home})

    return __getattr__, __dir__
