"""The shared typer application and the error boundary of the command line."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
import typer.main
from rich.console import Console
from rich.text import Text
from typer import _click as click  # typer's own copy of click, whose Group its TyperGroup replaces
from typer.core import TyperGroup, TyperOption

from ..errors import ClusterleapError, DataWarning, MethodWarning

#: Help is plain text in click's layout, not rich panels: it reads well at 80 columns, shows no type placeholder
#: for a flag, and loads nothing beyond the parser. ``-h`` is the short form of ``--help`` everywhere.
HELP_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
HELP = ("Evaluate world-class advanced manufacturing clusters: frameworks, data checks, scores and ranks, grades, "
        "gaps, trends, robustness and reports.")


class QuickGroup(TyperGroup):
    """A typer group whose help flag is False, not None, when it is not given: typer coerces a None through a
    pydantic adapter, and importing pydantic for it nearly doubled the CPU time of ``<command> --help``."""

    def get_help_option(self, ctx: click.Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.default = False
        return option


def sub_app(help: str) -> typer.Typer:
    """A group of subcommands (``clusterleap weights ...``) with the main command's help settings."""
    return typer.Typer(cls=QuickGroup, help=help, no_args_is_help=True, add_completion=False,
                       rich_markup_mode=None, context_settings=HELP_SETTINGS)


#: Every command of ``clusterleap``: the module of this package that defines it, and the summary ``--help`` lists
#: (the first sentence of its docstring; a test holds the two the same). A command's module is imported only when
#: the command is asked for, and it declares the command's options alone: the work (pandas, scipy.stats, the report
#: stack) is imported when the command runs, so that ``--help``, ``<command> --help`` and ``--version`` load none
#: of it.
COMMANDS: dict[str, tuple[str, str]] = {
    "frameworks": ("frameworks", "List the built-in frameworks."),
    "show": ("frameworks", "Show a framework's tree."),
    "methods": ("core", "List the methods of every stage."),
    "template": ("core", "Write a data-collection template for a framework."),
    "check": ("core", "Validate data against a framework and summarise its quality."),
    "evaluate": ("core", "Evaluate a data set: scores and ranks."),
    "calibrate": ("core", "Freeze a scoring basis into a recipe."),
    "demo": ("core", "Evaluate the world-class framework on illustrative data."),
    "profile": ("analytics", "One cluster's profile."),
    "grades": ("analytics", "Grade every cluster, with the reason in words."),
    "gaps": ("analytics", "Gaps to a benchmark, decomposed by indicator."),
    "trends": ("analytics", "Monitor the leap over the years with comparable scores."),
    "robustness": ("robustness", "Uncertainty and sensitivity analysis of the ranks."),
    "report": ("report", "Write a report: HTML, PDF or Excel."),
    "template-ahp": ("weights", "Write the AHP questionnaire for a framework."),
    "weights": ("weights", "Weights from experts, and how much each indicator counts."),
    "indicators": ("indicators", "Indicators from enterprise records."),
    "serve": ("serve", "Serve a workspace in the browser."),
    "users": ("users", "Accounts of a web workspace: add, list, API tokens."),
}


class LazyGroup(QuickGroup):
    """The ``clusterleap`` group: lists :data:`COMMANDS` without importing them and imports a command's module
    when the command is asked for (click's lazily loaded subcommands, on typer's group)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"{__package__}.{COMMANDS[cmd_name][0]}")  # registers its commands on app
            self.commands.update(typer.main.get_group(app).commands)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in COMMANDS.items()])


app = typer.Typer(
    name="clusterleap",
    cls=LazyGroup,
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=HELP_SETTINGS,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__  # lazy: read from the installed package's metadata only when asked

        typer.echo(f"clusterleap {__version__}")
        raise typer.Exit()


@app.callback(help=HELP)
def _main_options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """The options of ``clusterleap`` itself (before a command)."""
# No console markup: unit names, file names and messages are user data, and "[b]" in them must print as it is.
# Styles are given explicitly (style=..., rich.text.Text) where output is coloured.
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

P = ParamSpec("P")
R = TypeVar("R")

#: Exit code for input a user can fix (bad file, unknown framework, invalid recipe, ...).
EXIT_INPUT = 2


def fail(message: str) -> NoReturn:
    """Print one error line and exit with code 2."""
    one_line = " ".join(message.split())
    err_console.print(Text.assemble(("error:", "bold red"), " ", one_line), highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_INPUT)


def warn(message: str) -> None:
    """Print one warning line on stderr."""
    err_console.print(Text.assemble(("warning:", "yellow"), " ", message.strip()), highlight=False, soft_wrap=True)


def shown_once(caught: list[warnings.WarningMessage]) -> list[str]:
    """The warnings a user sees: each distinct data warning once, however many stages read the same data; method
    warnings once per place (the text before the first colon, e.g. ``weight, node 'P', optimised``), since the
    samples of an uncertainty analysis repeat a method's warning with other figures; the first is shown, with a
    count of the others."""
    data = dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    places: dict[str, list[str]] = {}
    for w in caught:
        if issubclass(w.category, MethodWarning):
            text = str(w.message)
            seen = places.setdefault(text.split(":", 1)[0], [])
            if text not in seen:
                seen.append(text)
    method = [m[0] + (f" (and {len(m) - 1} more like it)" if len(m) > 1 else "") for m in places.values()]
    return [*data, *method]


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn ClusterleapErrors into one line on stderr and exit code 2; show data and method warnings as one line
    each. The wrapper keeps the command's signature (typer reads its options from it)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            warnings.simplefilter("always", MethodWarning)
            try:
                return func(*args, **kwargs)
            except ClusterleapError as exc:
                fail(str(exc))
            except OSError as exc:
                where = exc.filename if exc.filename is not None else "output"
                fail(f"{where}: {exc.strerror or exc}")
            except MemoryError:
                fail("out of memory: the input or the run is too large for this machine (see docs/limits.md)")
            finally:
                for message in shown_once(caught):
                    warn(message)

    return wrapper


def main() -> None:
    """Console-script entry point."""
    app(prog_name="clusterleap")
    sys.exit(0)
