"""The indicator framework: a validated tree index -> dimensions -> aspects -> indicators.

A node's *level* follows COINr's convention: indicators are level 1 and an aggregate is one above its highest child,
so the root has the highest level. Weights are relative to siblings (renormalised within each parent).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._registry import did_you_mean
from .errors import FrameworkError

__all__ = ["TRANSFORMS", "Framework", "Goalposts", "Node"]

TRANSFORMS = ("log", "log1p")
Kind = Literal["indicator", "aggregate"]


@dataclass(frozen=True)
class Goalposts:
    """Fixed normalisation bounds of an indicator, in its own units (after denomination and transform).

    ``cap``: values beyond the goalposts are clamped to them (the UNDP HDI caps, e.g. expected schooling at 18 years).
    ``lo < hi`` whatever the direction: for a higher-is-better indicator ``lo`` is the floor and ``hi`` the
    world-class level; for a lower-is-better one ``lo`` is the world-class level and ``hi`` the floor (the pipeline
    orients them as it orients the values). A node's ``goalposts_reason`` says why.
    """

    lo: float
    hi: float
    cap: bool = True


@dataclass(frozen=True)
class Node:
    """One node of a framework. Indicators are leaves; aggregates have children."""

    code: str
    parent: str | None
    name_en: str = ""
    name_zh: str = ""
    weight: float = 1.0
    kind: Kind = "aggregate"
    direction: int = 1
    unit: str = ""
    definition: str = ""
    source: str = ""
    goalposts: Goalposts | None = None
    target: float | None = None
    target_reason: str = ""
    denominator: str | None = None
    transform: str | None = None
    goalposts_reason: str = ""
    unit_zh: str = ""

    @property
    def is_indicator(self) -> bool:
        return self.kind == "indicator"

    def label(self, lang: str = "en") -> str:
        """The node's name in ``lang`` ('en' or 'zh'), falling back to the other language and then the code."""
        first, second = (self.name_zh, self.name_en) if lang == "zh" else (self.name_en, self.name_zh)
        return first or second or self.code

    def unit_label(self, lang: str = "en") -> str:
        """The indicator's unit in ``lang``: ``unit_zh`` in Chinese where the framework gives one, else ``unit``."""
        return (self.unit_zh or self.unit) if lang == "zh" else self.unit


@dataclass(frozen=True)
class Framework:
    """A validated indicator tree. Build it with :meth:`from_nodes` or a loader; it is immutable."""

    name: str
    nodes: tuple[Node, ...]
    name_en: str = ""
    name_zh: str = ""
    description: str = ""
    level_names: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _validate(self)

    # -- construction -------------------------------------------------------------------------------------------
    @classmethod
    def from_nodes(cls, name: str, nodes: Iterable[Node], **meta: Any) -> Framework:
        return cls(name=name, nodes=tuple(nodes), **meta)

    # -- structure ----------------------------------------------------------------------------------------------
    @cached_property
    def by_code(self) -> dict[str, Node]:
        return {n.code: n for n in self.nodes}

    def __getitem__(self, code: str) -> Node:
        try:
            return self.by_code[code]
        except KeyError:
            raise FrameworkError(
                f"framework {self.name!r} has no node {code!r}{did_you_mean(code, list(self.by_code))}"
            ) from None

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    @cached_property
    def root(self) -> Node:
        return next(n for n in self.nodes if n.parent is None)

    @cached_property
    def children(self) -> dict[str, tuple[str, ...]]:
        """Child codes of every node, in file order (empty for indicators)."""
        out: dict[str, list[str]] = {n.code: [] for n in self.nodes}
        for n in self.nodes:
            if n.parent is not None:
                out[n.parent].append(n.code)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def order(self) -> tuple[str, ...]:
        """All node codes in depth-first pre-order from the root (the order of tables and reports)."""
        out: list[str] = []
        stack = [self.root.code]
        while stack:
            code = stack.pop()
            out.append(code)
            stack.extend(reversed(self.children[code]))
        return tuple(out)

    @cached_property
    def indicators(self) -> tuple[str, ...]:
        """Indicator codes in tree order: the column order of every indicator array."""
        return tuple(c for c in self.order if self.by_code[c].is_indicator)

    @cached_property
    def aggregates(self) -> tuple[str, ...]:
        """Aggregate codes, bottom-up (by level, then tree order): the order they are computed in."""
        aggs = [c for c in self.order if not self.by_code[c].is_indicator]
        return tuple(sorted(aggs, key=lambda c: self.level[c]))

    @cached_property
    def level(self) -> dict[str, int]:
        """Level of every node: 1 for indicators, 1 + the highest child level for aggregates."""
        lv: dict[str, int] = {}
        for code in reversed(self.order):
            kids = self.children[code]
            lv[code] = 1 if not kids else 1 + max(lv[k] for k in kids)
        return lv

    @cached_property
    def depth(self) -> dict[str, int]:
        """Distance from the root (root = 0)."""
        d: dict[str, int] = {}
        for code in self.order:
            parent = self.by_code[code].parent
            d[code] = 0 if parent is None else d[parent] + 1
        return d

    @property
    def n_levels(self) -> int:
        return self.level[self.root.code]

    def level_name(self, level: int) -> str:
        if 0 < level <= len(self.level_names):
            return self.level_names[level - 1]
        return f"level {level}"

    def at_level(self, level: int) -> tuple[str, ...]:
        return tuple(c for c in self.order if self.level[c] == level)

    def ancestors(self, code: str) -> tuple[str, ...]:
        """Codes from the node's parent up to the root."""
        out: list[str] = []
        parent = self[code].parent
        while parent is not None:
            out.append(parent)
            parent = self.by_code[parent].parent
        return tuple(out)

    def leaves_under(self, code: str) -> tuple[str, ...]:
        """Indicator codes below (or equal to) ``code``, in tree order."""
        below = set(self.descendants(code)) | {code}
        return tuple(c for c in self.indicators if c in below)

    def descendants(self, code: str) -> tuple[str, ...]:
        out: list[str] = []
        stack = list(self.children[code])
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self.children[c])
        return tuple(out)

    # -- arrays the pipeline uses -------------------------------------------------------------------------------
    @cached_property
    def directions(self) -> npt.NDArray[np.float64]:
        return np.array([self.by_code[c].direction for c in self.indicators], dtype=float)

    def nominal_weights(self) -> dict[str, float]:
        """Each node's weight renormalised within its parent (the root gets 1)."""
        out = {self.root.code: 1.0}
        for _parent, kids in self.children.items():
            if not kids:
                continue
            total = sum(self.by_code[k].weight for k in kids)
            for k in kids:
                out[k] = self.by_code[k].weight / total
        return out

    def effective_weights(self, weights: Mapping[str, float] | None = None) -> dict[str, float]:
        """Each node's weight in the index: the product of within-parent weights down the tree."""
        w = dict(weights) if weights is not None else self.nominal_weights()
        eff: dict[str, float] = {}
        for code in self.order:
            parent = self.by_code[code].parent
            eff[code] = 1.0 if parent is None else eff[parent] * w[code]
        return eff

    # -- serialisation ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready description (the flat node table in tree order, so the same tree always gives the
        same dict and hash whatever order a file listed its nodes in); :func:`framework_from_dict` reverses it.
        Built once per framework: treat it as read-only."""
        return self._as_dict

    @cached_property
    def _as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "name_en": self.name_en,
            "name_zh": self.name_zh,
            "description": self.description,
            "level_names": list(self.level_names),
            "nodes": [_node_dict(self.by_code[c]) for c in self.order],
        }

    @cached_property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict` (what provenance records)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


_AGGREGATE_FIELDS = ("code", "parent", "name_en", "name_zh", "weight", "kind")


def _node_dict(n: Node) -> dict[str, Any]:
    d = asdict(n)
    if not n.is_indicator:
        d = {k: d[k] for k in _AGGREGATE_FIELDS}
    return {k: v for k, v in d.items() if v not in (None, "")}


def framework_from_dict(d: Mapping[str, Any], source: str = "") -> Framework:
    """Rebuild a framework from :meth:`Framework.to_dict` output (e.g. from a result's provenance)."""
    nodes = []
    for raw in d["nodes"]:
        raw = {"parent": None, **raw}
        gp = raw.pop("goalposts", None)
        nodes.append(Node(**raw, goalposts=Goalposts(**gp) if gp else None))
    return Framework(
        name=d["name"],
        nodes=tuple(nodes),
        name_en=d.get("name_en", ""),
        name_zh=d.get("name_zh", ""),
        description=d.get("description", ""),
        level_names=tuple(d.get("level_names", ())),
        source=source,
    )


# -- validation ---------------------------------------------------------------------------------------------------
def _validate(fw: Framework) -> None:
    where = fw.source or f"framework {fw.name!r}"
    if not fw.nodes:
        raise FrameworkError(f"{where}: the framework has no nodes")
    seen: set[str] = set()
    for n in fw.nodes:
        if not isinstance(n.code, str) or not n.code.strip():
            raise FrameworkError(f"{where}: a node has an empty code (every node needs a unique code)")
        if n.code in seen:
            raise FrameworkError(f"{where}, node {n.code!r}: the code appears twice (codes must be unique)")
        seen.add(n.code)
    roots = [n.code for n in fw.nodes if n.parent is None]
    if len(roots) != 1:
        raise FrameworkError(
            f"{where}: {len(roots)} nodes have no parent ({', '.join(roots) or 'none'}); expected exactly one root"
        )
    codes = {n.code for n in fw.nodes}
    for n in fw.nodes:
        if n.parent is not None and n.parent not in codes:
            raise FrameworkError(f"{where}, node {n.code!r}: parent {n.parent!r} is not a node of the framework")
    parent_of = {n.code: n.parent for n in fw.nodes}
    for n in fw.nodes:
        path = [n.code]
        p = n.parent
        while p is not None:
            if p in path:
                cycle = " -> ".join([*path[path.index(p):], p])
                raise FrameworkError(f"{where}: nodes form a cycle {cycle} (a framework must be a tree)")
            path.append(p)
            p = parent_of[p]
    has_children = {n.parent for n in fw.nodes if n.parent is not None}
    for n in fw.nodes:
        node_where = f"{where}, node {n.code!r}"
        if n.kind not in ("indicator", "aggregate"):
            raise FrameworkError(f"{node_where}: kind is {n.kind!r} (expected 'indicator' or 'aggregate')")
        if n.is_indicator and n.code in has_children:
            raise FrameworkError(f"{node_where}: an indicator cannot have children (indicators are only at leaves)")
        if not n.is_indicator and n.code not in has_children:
            raise FrameworkError(
                f"{node_where}: an aggregate has no children (a leaf must be an indicator)"
            )
        if not isinstance(n.weight, int | float) or isinstance(n.weight, bool) or not math.isfinite(n.weight):
            raise FrameworkError(f"{node_where}: weight {n.weight!r} is not a finite number")
        if n.weight < 0:
            raise FrameworkError(f"{node_where}: weight {n.weight} is negative (expected >= 0)")
        if n.is_indicator:
            if n.direction not in (-1, 1) or isinstance(n.direction, bool):
                raise FrameworkError(f"{node_where}: direction is {n.direction!r} (expected 1 or -1)")
            if n.transform is not None and n.transform not in TRANSFORMS:
                raise FrameworkError(
                    f"{node_where}: transform {n.transform!r} is unknown (expected one of {', '.join(TRANSFORMS)})"
                )
            if n.goalposts is not None:
                lo, hi = n.goalposts.lo, n.goalposts.hi
                if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                    raise FrameworkError(f"{node_where}: goalposts ({lo}, {hi}) must be finite with lo < hi")
            if not isinstance(n.goalposts_reason, str):
                raise FrameworkError(f"{node_where}: goalposts_reason is {n.goalposts_reason!r} (expected text)")
            if n.goalposts_reason and n.goalposts is None:
                raise FrameworkError(f"{node_where}: goalposts_reason is given but there are no goalposts "
                                     "(expected goalposts {lo: .., hi: ..} with their reason, or neither)")
            if n.target is not None and not math.isfinite(n.target):
                raise FrameworkError(f"{node_where}: target {n.target!r} is not a finite number")
    for code in has_children:
        kids = [n for n in fw.nodes if n.parent == code]
        if sum(k.weight for k in kids) <= 0:
            raise FrameworkError(
                f"{where}, node {code!r}: the weights of its children ({', '.join(k.code for k in kids)}) are all "
                "zero (at least one must be positive)"
            )

