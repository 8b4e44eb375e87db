"""Frozen values: parameters kept hashable inside a frozen recipe, and thawed back for the methods that read them.

:func:`freeze` turns lists into tuples and mappings into sorted tuples of ``(key, value)`` pairs; :func:`thaw` turns
them back (a tuple of string-keyed pairs becomes a dict, any other tuple a list). Steps and plans hold frozen values
so that a recipe can be hashed, compared and used as a cache key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["freeze", "thaw"]


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
