"""One registry per pipeline stage: method name -> documented pure function.

A method's parameters are the keyword-only arguments of its function; their defaults and annotations are the
parameter schema that recipes are checked against. Unknown names get a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections import abc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Generic, Literal, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from ._frozen import freeze
from .errors import RecipeError

F = TypeVar("F", bound=Callable[..., Any])
#: A stage's kernel signature (a Protocol in each stage module, e.g. ``NormaliseKernel``).
K = TypeVar("K", bound=Callable[..., Any])

_SCALARS: dict[str, tuple[type, ...]] = {
    "float": (int, float),
    "int": (int,),
    "bool": (bool,),
    "str": (str,),
}


def close_match(name: str, choices: Iterable[str]) -> str | None:
    """The one of ``choices`` that ``name`` is most likely a misspelling of, if any is close enough."""
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, choices: Iterator[str] | list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean "x"?)' suffix for an unknown name, or a list of the valid names."""
    options = sorted(choices)
    if not options:
        return ""
    close = close_match(name, options)
    if close is not None:
        return f' (did you mean "{close}"?)'
    if len(options) > 12:
        return f" (expected one of {len(options)}: {', '.join(options[:10])}, ...)"
    return f" (expected one of: {', '.join(options)})"


def _show(ann: Any) -> str:
    """A readable name for a parameter annotation."""
    origin, args = get_origin(ann), get_args(ann)
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (Union, UnionType):
        return " | ".join(_show(a) for a in args)
    if ann is type(None):
        return "None"
    return getattr(ann, "__name__", str(ann))


def _coerce(ann: Any, value: Any) -> tuple[bool, Any]:
    """(True, coerced value) if ``value`` fits the annotation, else (False, None)."""
    origin, args = get_origin(ann), get_args(ann)
    if ann is Any:
        return True, freeze(value)
    if origin is Literal:
        return value in args, value
    if origin in (Union, UnionType):
        for arg in args:
            ok, out = _coerce(arg, value)
            if ok:
                return True, out
        return False, None
    if ann is type(None):
        return value is None, None
    if ann is bool:
        return isinstance(value, bool), value
    if ann is float:  # finite numbers only: .inf or .nan as a parameter makes every score inf or NaN
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return ok, float(value) if ok else None
    if ann is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if ann is str:
        return isinstance(value, str), value
    if (origin or ann) in (tuple, list, dict, Mapping, Sequence, abc.Mapping, abc.Sequence):
        return isinstance(value, list | tuple | dict | Mapping), freeze(value)
    return True, freeze(value)


@dataclass(frozen=True)
class Param:
    """One parameter of a method: its name, annotation and default (``inspect.Parameter.empty`` if required)."""

    name: str
    annotation: Any
    default: Any

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty

    @property
    def kind(self) -> str:
        return _show(self.annotation)

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` coerced to the parameter's type, or raise a RecipeError naming ``where``."""
        ok, out = _coerce(self.annotation, value)
        if ok:
            return out
        if get_origin(self.annotation) is Literal:
            choices = [str(a) for a in get_args(self.annotation)]
            raise RecipeError(f"{where}: parameter {self.name!r} is {value!r}{did_you_mean(str(value), choices)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise RecipeError(f"{where}: parameter {self.name!r} is {value!r} (expected a finite number)")
        raise RecipeError(f"{where}: parameter {self.name!r} is {value!r} (expected {self.kind})")


@dataclass(frozen=True)
class Method(Generic[K]):
    """A registered method: its name, kernel, one-line summary, parameters and literature reference."""

    name: str
    func: K
    summary: str
    reference: str
    params: Mapping[str, Param]
    validate: Callable[[Mapping[str, Any]], str | None] | None = None
    #: True when a unit's result depends on the other units in the file (a median, a rank, data-driven weights):
    #: such a method cannot give scores on a comparable basis (see :class:`clusterleap._recipe.Basis`).
    relative: bool = False

    def check_params(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Validate ``params`` against the method's schema; return them with defaults filled in."""
        out: dict[str, Any] = {}
        for key in params:
            if key not in self.params:
                raise RecipeError(
                    f"{where}: method {self.name!r} has no parameter {key!r}"
                    + (did_you_mean(key, list(self.params)) if self.params else " (it takes no parameters)")
                )
        for p in self.params.values():
            if p.name in params:
                out[p.name] = p.check(params[p.name], where)
            elif p.required:
                raise RecipeError(f"{where}: method {self.name!r} needs parameter {p.name!r} ({p.kind})")
            else:
                out[p.name] = p.default
        problem = self.validate(out) if self.validate is not None else None
        if problem:
            raise RecipeError(f"{where}: method {self.name!r}: {problem}")
        return out


@dataclass
class Registry(Generic[K]):
    """Methods of one stage, typed by the stage's kernel Protocol ``K``. ``fixed`` counts the leading positional
    arguments every method of the stage takes (the arrays and context the pipeline passes); the method's keyword-only
    arguments are its parameters, which a recipe step gives."""

    stage: str
    fixed: int
    _methods: dict[str, Method[K]] = field(default_factory=dict)

    def register(
        self,
        name: str,
        *,
        summary: str,
        reference: str = "",
        validate: Callable[[Mapping[str, Any]], str | None] | None = None,
        relative: bool = False,
    ) -> Callable[[F], F]:
        """Decorator: register ``func`` under ``name``. Its keyword-only arguments become its parameters.
        ``relative``: the method's result for one unit depends on the other units in the file."""

        def deco(func: F) -> F:
            if name in self._methods:
                raise ValueError(f"{self.stage}: method {name!r} registered twice")
            sig = inspect.signature(func)
            positional = [p for p in sig.parameters.values()
                          if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
            if len(positional) != self.fixed:
                raise TypeError(f"{self.stage}: method {name!r} takes {len(positional)} positional arguments "
                                f"(the stage's kernels take {self.fixed}, then keyword-only parameters)")
            hints = get_type_hints(func)
            params = {
                p.name: Param(p.name, hints.get(p.name, Any), p.default)
                for p in sig.parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY
            }
            # The check above is what the stage's Protocol asks: ``fixed`` positional arguments, then keyword-only
            # parameters (which a Protocol cannot spell when some have no default, hence the cast).
            kernel = cast(K, func)
            self._methods[name] = Method(name, kernel, summary, reference, params, validate, relative)
            return func

        return deco

    def get(self, name: str) -> Method[K]:
        try:
            return self._methods[name]
        except KeyError:
            hint = did_you_mean(name, list(self._methods))
            raise RecipeError(f"unknown {self.stage} method {name!r}{hint}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._methods

    def __iter__(self) -> Iterator[Method[K]]:
        return iter(self._methods.values())

    def names(self) -> list[str]:
        return list(self._methods)
