"""One registry per pipeline stage: method name -> documented pure function.

A method's parameters are the keyword-only arguments of its function; their defaults and annotations are the
parameter schema that recipes are checked against. Unknown names get a "did you mean" suggestion.
"""

from __future__ import annotations

import ast
import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import RecipeError

F = TypeVar("F", bound=Callable[..., Any])

_SCALARS: dict[str, tuple[type, ...]] = {
    "float": (int, float),
    "int": (int,),
    "bool": (bool,),
    "str": (str,),
}


def did_you_mean(name: str, choices: Iterator[str] | list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean "x"?)' suffix for an unknown name, or a list of the valid names."""
    options = sorted(choices)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return f' (did you mean "{close[0]}"?)'
    return f" (expected one of: {', '.join(options)})"


@dataclass(frozen=True)
class Param:
    """One parameter of a method: its name, annotation text and default (``inspect.Parameter.empty`` if required)."""

    name: str
    annotation: str
    default: Any

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` coerced to the parameter's type, or raise a RecipeError naming ``where``."""
        if self.annotation.startswith("Literal["):
            choices = ast.literal_eval("(" + self.annotation[len("Literal[") : -1] + ",)")
            if value not in choices:
                raise RecipeError(
                    f"{where}: parameter {self.name!r} is {value!r}"
                    + did_you_mean(str(value), [str(c) for c in choices])
                )
            return value
        kinds = [k.strip() for k in self.annotation.replace("Optional[", "").rstrip("]").split("|")]
        if value is None and ("None" in kinds or self.default is None):
            return None
        for kind in kinds:
            types = _SCALARS.get(kind)
            if types is None:
                # Containers (tuple, list, dict) and literal choices are checked by the method itself.
                if kind.startswith(("tuple", "list", "dict", "Mapping", "Sequence", "Any")):
                    return _freeze(value)
                continue
            if kind != "bool" and isinstance(value, bool):
                continue
            if isinstance(value, types):
                return float(value) if kind == "float" else value  # type: ignore[arg-type]
        raise RecipeError(f"{where}: parameter {self.name!r} is {value!r} (expected {self.annotation})")


def _freeze(value: Any) -> Any:
    """Lists become tuples and dicts become sorted tuples of pairs, so that steps stay hashable."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class Method:
    """A registered method: its name, function, one-line summary, parameters and literature reference."""

    name: str
    func: Callable[..., Any]
    summary: str
    reference: str
    params: Mapping[str, Param]
    validate: Callable[[Mapping[str, Any]], str | None] | None = None

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
                raise RecipeError(f"{where}: method {self.name!r} needs parameter {p.name!r} ({p.annotation})")
            else:
                out[p.name] = p.default
        problem = self.validate(out) if self.validate is not None else None
        if problem:
            raise RecipeError(f"{where}: method {self.name!r}: {problem}")
        return out


@dataclass
class Registry:
    """Methods of one stage. ``fixed`` counts the leading positional arguments every method of the stage takes."""

    stage: str
    fixed: int
    _methods: dict[str, Method] = field(default_factory=dict)

    def register(
        self,
        name: str,
        *,
        summary: str,
        reference: str = "",
        validate: Callable[[Mapping[str, Any]], str | None] | None = None,
    ) -> Callable[[F], F]:
        """Decorator: register ``func`` under ``name``. Its keyword-only arguments become its parameters."""

        def deco(func: F) -> F:
            if name in self._methods:
                raise ValueError(f"{self.stage}: method {name!r} registered twice")
            sig = inspect.signature(func)
            params = {
                p.name: Param(p.name, str(p.annotation), p.default)
                for p in sig.parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY
            }
            self._methods[name] = Method(name, func, summary, reference, params, validate)
            return func

        return deco

    def get(self, name: str) -> Method:
        try:
            return self._methods[name]
        except KeyError:
            hint = did_you_mean(name, list(self._methods))
            raise RecipeError(f"unknown {self.stage} method {name!r}{hint}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._methods

    def __iter__(self) -> Iterator[Method]:
        return iter(self._methods.values())

    def names(self) -> list[str]:
        return list(self._methods)
