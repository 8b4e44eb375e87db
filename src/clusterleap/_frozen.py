"""Frozen values: parameters kept hashable inside a frozen recipe, and thawed back for the methods that read them;
and fields of frozen dataclasses typed as what they accept and read as what they hold (:class:`Converted`).

:func:`freeze` turns lists into tuples and mappings into sorted tuples of ``(key, value)`` pairs; :func:`thaw` turns
them back (a tuple of string-keyed pairs becomes a dict, any other tuple a list). Steps and plans hold frozen values
so that a recipe can be hashed, compared and used as a cache key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar, overload

__all__ = ["Converted", "freeze", "thaw"]

In = TypeVar("In")
Out = TypeVar("Out")


def freeze(value: Any) -> Any:
    """Lists become tuples and dicts become sorted tuples of pairs, so that steps stay hashable."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: tuples of string-keyed pairs become dicts, other tuples lists."""
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str)
                                                  for v in value):
        return {k: thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


class Converted(Generic[In, Out]):
    """A frozen dataclass's field that accepts ``In`` at construction and holds ``Out`` (e.g. a recipe's stage: any
    :data:`~clusterleap._recipe.PlanLike` in, a :class:`~clusterleap.Plan` out), so that type checkers see both.

    The value given is kept as it is until the class's ``__post_init__`` converts it (where it knows the source for
    messages) and stores the result with ``object.__setattr__``; a built instance only ever holds converted values.
    ``default`` is what dataclasses read as the field's default (None: the class's ``__post_init__`` fills it in).
    """

    def __init__(self, default: Out | None) -> None:
        self.default = default
        self.attr = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}"

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Out | None: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Out: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> Out | None:
        if obj is None:
            return self.default
        value: Out = obj.__dict__[self.attr]
        return value

    def __set__(self, obj: object, value: In) -> None:
        obj.__dict__[self.attr] = value
