"""Options and choices shared by the commands (light: the command line lists them without loading the engine)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "DataOpt", "ExcludeOpt", "ForceOpt", "FrameworkOpt", "Lang", "LangOpt", "Layout", "LayoutOpt", "NameColumnOpt",
    "RecipeOpt", "SheetOpt", "UnitColumnOpt", "YearOpt",
]

FrameworkOpt = Annotated[str, typer.Option("--framework", "-f", help="Built-in name, YAML file or COINr iMeta CSV.")]
DataOpt = Annotated[Path, typer.Option("--data", "-d", help="Data file: CSV, XLSX or Parquet, wide or long.")]
RecipeOpt = Annotated[
    Path | None, typer.Option("--recipe", "-r", help="Recipe YAML file (default: the default recipe).")
]
YearOpt = Annotated[int | None, typer.Option("--year", "-y", help="Year to evaluate (default: the latest).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Sheet of an .xlsx data file (default: 'data', else "
                                           "the one sheet that holds data).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing output (a folder as a whole).")]


class Lang(StrEnum):
    en = "en"
    zh = "zh"


LangOpt = Annotated[Lang, typer.Option("--lang", help="Language of names: en or zh.")]


class Layout(StrEnum):
    auto = "auto"
    wide = "wide"
    long = "long"
    wide_years = "wide-years"


LayoutOpt = Annotated[Layout, typer.Option("--layout", help="Layout of the data file: auto (long when it has "
                                           "indicator and value columns, else wide), wide, long, or wide-years (a "
                                           "column <variable>_<year> per variable and year, as the UNDP's files "
                                           "have); see docs/data.md.")]
UnitColumnOpt = Annotated[str | None, typer.Option("--unit-column", metavar="COLUMN", help="The column of unit "
                                                   "codes, when it is not named unit, code, uCode or unit_code.")]
NameColumnOpt = Annotated[str | None, typer.Option("--name-column", metavar="COLUMN", help="The column of unit "
                                                   "names, when it is not named name, uName or unit_name.")]
ExcludeOpt = Annotated[list[str] | None, typer.Option("--exclude", metavar="PATTERN", help="Leave out the units "
                                                      "whose code matches this shell-style pattern, e.g. 'ZZ*' "
                                                      "(repeat for more).")]
