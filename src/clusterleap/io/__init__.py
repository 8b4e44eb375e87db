"""Reading and writing files: data sets (CSV, Excel, Parquet; wide or long), frameworks (YAML, COINr iMeta) and
expert judgements for AHP (questionnaires in Excel or CSV).

Every name here is public; the modules behind them are not. See docs/data.md, docs/frameworks.md and docs/weights.md.
"""

from ._data_files import MISSING_MARKERS, read_data
from ._framework_files import builtin_frameworks, framework_to_yaml, load_framework, read_framework_yaml, read_imeta
from ._judgements import (
    Block,
    blocks_to_steps,
    check_blocks,
    parse_judgement,
    questionnaire_nodes,
    read_judgements,
    recipe_fragment,
    write_questionnaire,
)

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
