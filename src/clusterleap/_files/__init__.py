"""Files in and out: one YAML reader for every user file, with errors that name the place (``_yaml``); outputs
written so that bad input, a failure, a kill or a second writer never leaves a half-written or mixed output behind
(``_atomic``, docs/limits.md); and every text cell of every CSV and xlsx the project writes neutralised against
spreadsheet formula injection (``_formulas``; tables are written by :mod:`clusterleap._tables`, which applies it to
every cell).

This package needs no pandas, so that the commands that only read YAML start quickly.
"""

from __future__ import annotations

from ._atomic import WORK_NAME, check_target, sweep, write_atomic_dir, write_atomic_file
from ._formulas import FORMULA_START, neutralise, neutralise_workbook, quote_cell
from ._yaml import YAML_MAX_BYTES, YAML_MAX_DEPTH, YAML_MAX_NODES, read_yaml

__all__ = [
    "FORMULA_START",
    "WORK_NAME",
    "YAML_MAX_BYTES",
    "YAML_MAX_DEPTH",
    "YAML_MAX_NODES",
    "check_target",
    "neutralise",
    "neutralise_workbook",
    "quote_cell",
    "read_yaml",
    "sweep",
    "write_atomic_dir",
    "write_atomic_file",
]
