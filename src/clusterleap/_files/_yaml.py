"""The one YAML reader for every user file (framework, recipe, space, judgements, grading, types, actions), with
errors that name the file, line and column. It refuses aliases that expand beyond :data:`YAML_MAX_NODES` nodes
("billion laughs"), nesting deeper than :data:`YAML_MAX_DEPTH`, duplicate keys, and files larger than
:data:`YAML_MAX_BYTES`; it reads plain scalars by the YAML 1.2 core schema, so that ``NO`` or ``off`` stay text,
``007`` stays text and ``2e0`` is a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import yaml

__all__ = ["YAML_MAX_BYTES", "YAML_MAX_DEPTH", "YAML_MAX_NODES", "read_yaml"]

#: Limits of the YAML reader (docs/limits.md).
YAML_MAX_BYTES = 10_000_000
YAML_MAX_DEPTH = 50
YAML_MAX_NODES = 200_000


class _Refused(Exception):
    """A YAML document the reader refuses: a message and the place."""

    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema for plain scalars, a nesting limit and refusal of duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > YAML_MAX_DEPTH:
                peek = cast(Callable[[], yaml.Event], self.peek_event)  # PyYAML's stubs leave it untyped
                raise _Refused(f"nested deeper than {YAML_MAX_DEPTH} levels (the limit of clusterleap's YAML "
                               "reader)", peek().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # an unhashable key: PyYAML's own error follows
                if first is not None:
                    raise _Refused(f"key {key!r} appears twice in one mapping (first at line {first.line + 1}; "
                                   "the second would silently replace the first)", key_node.start_mark)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 core schema: only true/false are booleans, numbers include 2e0, codes like NO, off or 007 stay text.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float",
                                                    "tag:yaml.org,2002:int")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"),
)


def _construct_int(loader: yaml.SafeLoader, node: Any) -> int:
    text = str(loader.construct_scalar(node))
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def _construct_float(loader: yaml.SafeLoader, node: Any) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith("inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text.endswith("nan"):
        return math.nan
    return float(text)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _expanded_size(root: Any) -> int:
    """Nodes of the document with every alias expanded (memoised over the shared nodes, so it is cheap)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    busy: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        kids: Sequence[Any] = ()
        if isinstance(node, yaml.SequenceNode):
            kids = node.value
        elif isinstance(node, yaml.MappingNode):
            kids = [x for pair in node.value for x in pair]
        if done:
            busy.discard(key)
            total = 1 + sum(sizes[id(k)] for k in kids)
            sizes[key] = total
            if total > YAML_MAX_NODES:
                return total
            continue
        if key in busy:
            raise _Refused("an alias refers to a mapping or list that contains it (a recursive alias)",
                           node.start_mark)
        busy.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes[id(root)]


def _load(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node)
        if size > YAML_MAX_NODES:
            raise _Refused(f"expands to more than {YAML_MAX_NODES:,} values through aliases (&anchor / *alias), the "
                           "limit of clusterleap's YAML reader")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: str | Path, error: type[Exception]) -> Any:
    """Parse a YAML file. A missing file, text that is not UTF-8, invalid YAML, a duplicate key, nesting or
    alias expansion beyond the limits raise ``error`` with a message naming the file (and the line and column)."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > YAML_MAX_BYTES:
            raise error(f"{path}: {path.stat().st_size:,} bytes is larger than the limit of {YAML_MAX_BYTES:,} "
                        "bytes for a YAML file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return _load(text)
    except _Refused as exc:
        at = f" line {exc.mark.line + 1}, column {exc.mark.column + 1}" if exc.mark is not None else ""
        raise error(f"{path}{at}: {exc}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise error(f"{path} line {line}: character U+{code:04X} is not allowed in YAML (a control character; "
                    "delete it)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise error(f"{path}{at}: invalid YAML ({problem})") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to read") from None
