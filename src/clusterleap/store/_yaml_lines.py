"""The line of a YAML text where a mapping path is written, so that an error of the engine about a node or a key
can be shown at its line (of an uploaded framework, or of the recipe's YAML view)."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

__all__ = ["line_of"]


def line_of(text: str, path: Sequence[str]) -> int | None:
    """The 1-based line of the YAML node at ``path`` (mapping keys, or ``code`` values of tree entries), or of the
    deepest part of it found; None when the text does not parse or nothing matches."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    found: int | None = None
    for part in path:
        nxt = _child(node, part) if node is not None else None
        if nxt is None:
            break
        found, node = nxt
    return found


def _child(node: yaml.Node, part: str) -> tuple[int, yaml.Node] | None:
    """The entry named ``part`` under ``node``: a mapping key, or (searched depth-first) a mapping whose ``code``
    is ``part``."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == part:
                return k.start_mark.line + 1, v
    stack: list[yaml.Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and k.value == "code" and isinstance(v, yaml.ScalarNode) \
                        and v.value == part:
                    return k.start_mark.line + 1, n
            stack.extend(v for _, v in reversed(n.value))
        elif isinstance(n, yaml.SequenceNode):
            for item in reversed(n.value):
                if isinstance(item, yaml.ScalarNode) and item.value == part:
                    return item.start_mark.line + 1, item
            stack.extend(reversed(n.value))
    return None
