"""Reading and writing files: data sets (CSV, Excel, Parquet; wide or long), frameworks (YAML, COINr iMeta) and
expert judgements for AHP (questionnaires in Excel or CSV).

Every name here is public; the modules behind them are not. See docs/data.md, docs/frameworks.md and docs/weights.md.

The names load when first used (PEP 562): reading a framework file needs neither pandas nor openpyxl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

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

# Where each public name lives, for the run time. Type checkers read the imports above instead: to them a
# misspelt name is an error, where a module __getattr__ would make it Any.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(__name__, {
        "._data_files": ("MISSING_MARKERS", "read_data"),
        "._framework_files": ("builtin_frameworks", "framework_to_yaml", "load_framework", "read_framework_yaml",
                              "read_imeta"),
        "._judgements": ("Block", "blocks_to_steps", "check_blocks", "parse_judgement", "read_judgements",
                         "recipe_fragment"),
        "._questionnaire": ("questionnaire_nodes", "write_questionnaire"),
    })

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
