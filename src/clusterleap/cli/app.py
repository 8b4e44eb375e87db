"""The shared typer application and the error boundary of the command line."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from ..errors import ClusterleapError, DataWarning, MethodWarning

app = typer.Typer(
    name="clusterleap",
    help="Evaluate world-class advanced manufacturing clusters: frameworks, data checks, scores, ranks and more.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# No console markup: unit names, file names and messages are user data, and "[b]" in them must print as it is.
# Styles are given explicitly (style=..., rich.text.Text) where output is coloured.
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

F = TypeVar("F", bound=Callable[..., Any])

#: Exit code for input a user can fix (bad file, unknown framework, invalid recipe, ...).
EXIT_INPUT = 2


def fail(message: str) -> None:
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


def guarded(func: F) -> F:
    """Turn ClusterleapErrors into one line on stderr and exit code 2; show data and method warnings as one line
    each."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
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
        return None

    return wrapper  # type: ignore[return-value]


def main() -> None:
    """Console-script entry point."""
    app(prog_name="clusterleap")
    sys.exit(0)
