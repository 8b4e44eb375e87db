"""The shared typer application and the error boundary of the command line."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

from ..errors import ClusterleapError, DataWarning

app = typer.Typer(
    name="clusterleap",
    help="Evaluate world-class advanced manufacturing clusters: frameworks, data checks, scores, ranks and more.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

#: Exit code for input a user can fix (bad file, unknown framework, invalid recipe, ...).
EXIT_INPUT = 2


def fail(message: str) -> None:
    """Print one error line and exit with code 2."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_INPUT)


def guarded(func: F) -> F:
    """Turn ClusterleapErrors into one line on stderr and exit code 2; show data warnings as one line each."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            try:
                return func(*args, **kwargs)
            except ClusterleapError as exc:
                fail(str(exc))
            except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
                fail(f"{exc.filename}: {exc.strerror}")
            finally:
                # each distinct warning once, however many stages read the same data
                for message in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, DataWarning)):
                    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)
        return None

    return wrapper  # type: ignore[return-value]


def main() -> None:
    """Console-script entry point."""
    app(prog_name="clusterleap")
    sys.exit(0)
