"""Reading and writing files: data sets (CSV, Excel, Parquet; wide or long), frameworks (YAML, COINr iMeta) and
expert judgements for AHP (questionnaires in Excel or CSV).

Every name here is public; the modules behind them are not. See docs/data.md, docs/frameworks.md and docs/weights.md.

The names load when first used (PEP 562): reading a framework file needs neither pandas nor openpyxl.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._data_files import MISSING_MARKERS, read_data
    from ._framework_files import builtin_frameworks, framework_to_yaml, load_framework, read_framework_yaml, read_imeta
    from ._judgements import (
        Block,
        blocks_to_steps,
        check_blocks,
        parse_judgement,
        read_judgements,
        recipe_fragment,
    )
    from ._questionnaire import questionnaire_nodes, write_questionnaire

#: The module of each public name.
_LAZY = {
    **dict.fromkeys(("MISSING_MARKERS", "read_data"), "._data_files"),
    **dict.fromkeys(("builtin_frameworks", "framework_to_yaml", "load_framework", "read_framework_yaml",
                     "read_imeta"), "._framework_files"),
    **dict.fromkeys(("Block", "blocks_to_steps", "check_blocks", "parse_judgement", "read_judgements",
                     "recipe_fragment"), "._judgements"),
    **dict.fromkeys(("questionnaire_nodes", "write_questionnaire"), "._questionnaire"),
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
    "MISSING_MARKERS",
    "Block",
    "blocks_to_steps",
    "builtin_frameworks",
    "check_blocks",
    "framework_to_yaml",
    "load_framework",
    "parse_judgement",
    "questionnaire_nodes",
    "read_data",
    "read_framework_yaml",
    "read_imeta",
    "read_judgements",
    "recipe_fragment",
    "write_questionnaire",
]
