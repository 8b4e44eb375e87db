"""Read frameworks from YAML files (see docs/frameworks.md), from COINr's iMeta table, and by built-in name."""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .._files import read_yaml
from .._framework import Framework, Goalposts, Node
from .._registry import did_you_mean
from ..errors import FrameworkError

__all__ = ["builtin_frameworks", "framework_to_yaml", "load_framework", "read_framework_yaml", "read_imeta"]

_TOP_KEYS = {"name", "name_en", "name_zh", "description", "level_names", "include", "indicators", "tree"}
_AGG_KEYS = {"code", "name_en", "name_zh", "weight", "children"}
_IND_KEYS = {
    "code", "name_en", "name_zh", "weight", "direction", "unit", "definition", "source", "goalposts", "target",
    "target_reason", "denominator", "transform", "goalposts_reason", "unit_zh",
}


def builtin_dir() -> Path:
    return Path(str(resources.files("clusterleap") / "frameworks"))


def builtin_frameworks() -> dict[str, Path]:
    """Built-in framework names and their files (every YAML file with a ``tree``)."""
    out = {}
    for path in sorted(builtin_dir().glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            head = yaml.safe_load(fh)
        if isinstance(head, dict) and "tree" in head:
            out[str(head.get("name", path.stem))] = path
    return out


def load_framework(spec: str | Path | Framework) -> Framework:
    """A framework from a built-in name, a YAML file or a COINr iMeta CSV (by extension)."""
    if isinstance(spec, Framework):
        return spec
    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml"):
        return read_framework_yaml(path)
    if path.suffix.lower() in (".csv", ".xlsx"):
        return read_imeta(path)
    builtins = builtin_frameworks()
    if str(spec) in builtins:
        return read_framework_yaml(builtins[str(spec)])
    raise FrameworkError(
        f"framework {str(spec)!r} is neither a built-in framework{did_you_mean(str(spec), list(builtins))} "
        "nor a .yaml or .csv file"
    )


def _load_yaml(path: Path) -> Any:
    return read_yaml(path, FrameworkError)


def _check_keys(d: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in d:
        if key not in allowed:
            raise FrameworkError(f"{where}: unknown key {key!r}{did_you_mean(str(key), list(allowed))}")


def _text(value: Any, where: str, what: str) -> str:
    """A text field: text, or a number written as text; a mapping, list or yes/no is refused before it is ever
    formatted (a nested alias would expand on str())."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise FrameworkError(f"{where}: {what} is {value!r}, a YAML boolean (expected text; quote it: '{value}')")
    if isinstance(value, str | int | float):
        return str(value)
    kind = "a mapping" if isinstance(value, Mapping) else "a list" if isinstance(value, list) else type(value).__name__
    raise FrameworkError(f"{where}: {what} is {kind} (expected text)")


def _code(value: Any, where: str) -> str:
    """A node code: always text. A YAML boolean (true, false) or a mapping is refused with how to quote it."""
    if isinstance(value, bool):
        raise FrameworkError(f"{where}: code {value!r} is a YAML boolean (quote it to use it as a code: "
                             f"'{str(value).lower()}')")
    if isinstance(value, float):
        raise FrameworkError(f"{where}: code {value!r} is a number (quote it to use it as a code)")
    return _text(value, where, "code")


def _number(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FrameworkError(f"{where}: {what} is {value!r} (expected a number)")
    return float(value)


def _indicator_node(code: str, spec: Mapping[str, Any], parent: str, weight: Any, where: str) -> Node:
    _check_keys(spec, _IND_KEYS, where)
    gp = spec.get("goalposts")
    goalposts = None
    if gp is not None:
        if isinstance(gp, list | tuple) and len(gp) == 2:
            gp = {"lo": gp[0], "hi": gp[1]}
        if not isinstance(gp, Mapping) or not {"lo", "hi"} <= set(gp):
            raise FrameworkError(f"{where}: goalposts must be {{lo: .., hi: .., cap: true|false}} or [lo, hi]")
        _check_keys(gp, {"lo", "hi", "cap"}, f"{where}, goalposts")
        if not isinstance(gp.get("cap", True), bool):
            raise FrameworkError(f"{where}: goalposts.cap is {gp['cap']!r} (expected true or false)")
        goalposts = Goalposts(
            _number(gp["lo"], where, "goalposts.lo"),
            _number(gp["hi"], where, "goalposts.hi"),
            bool(gp.get("cap", True)),
        )
    gp_reason = spec.get("goalposts_reason") or ""
    if not isinstance(gp_reason, str):
        raise FrameworkError(f"{where}: goalposts_reason is {gp_reason!r} (expected text: why these goalposts, on "
                             "what basis)")
    direction = spec.get("direction", 1)
    if direction not in (1, -1) or isinstance(direction, bool):
        raise FrameworkError(f"{where}: direction is {direction!r} (expected 1 or -1)")
    target = spec.get("target")
    return Node(
        code=code,
        parent=parent,
        name_en=_text(spec.get("name_en"), where, "name_en"),
        name_zh=_text(spec.get("name_zh"), where, "name_zh"),
        weight=_number(weight, where, "weight"),
        kind="indicator",
        direction=int(direction),
        unit=_text(spec.get("unit"), where, "unit"),
        unit_zh=_text(spec.get("unit_zh"), where, "unit_zh"),
        definition=_text(spec.get("definition"), where, "definition").strip(),
        source=_text(spec.get("source"), where, "source").strip(),
        goalposts=goalposts,
        target=None if target is None else _number(target, where, "target"),
        target_reason=_text(spec.get("target_reason"), where, "target_reason").strip(),
        denominator=spec.get("denominator") or None,
        transform=spec.get("transform") or None,
        goalposts_reason=gp_reason.strip(),
    )


def read_framework_yaml(path: str | Path) -> Framework:
    """Read a framework file: metadata, indicator definitions (inline or included) and a nested ``tree``."""
    path = Path(path)
    doc = _load_yaml(path)
    where = str(path)
    if not isinstance(doc, Mapping):
        raise FrameworkError(f"{where}: expected a mapping with keys name, tree, indicators")
    _check_keys(doc, _TOP_KEYS, where)
    if "tree" not in doc:
        raise FrameworkError(f"{where}: no 'tree' (the root node with its children)")
    pool: dict[str, Mapping[str, Any]] = {}
    includes = doc.get("include") or []
    for inc in [includes] if isinstance(includes, str) else includes:
        inc_path = path.parent / str(inc)
        inc_doc = _load_yaml(inc_path)
        if not isinstance(inc_doc, Mapping) or not isinstance(inc_doc.get("indicators"), Mapping):
            raise FrameworkError(f"{inc_path}: an included file needs an 'indicators' mapping")
        pool.update(inc_doc["indicators"])
    inline = doc.get("indicators") or {}
    if not isinstance(inline, Mapping):
        raise FrameworkError(f"{where}: 'indicators' must map codes to definitions")
    pool.update(inline)

    nodes: list[Node] = []

    def walk(entry: Any, parent: str | None, trail: str) -> None:
        if isinstance(entry, str | bool | int | float):
            entry = {"code": entry}
        if not isinstance(entry, Mapping) or "code" not in entry:
            raise FrameworkError(f"{where}, {trail}: each tree entry needs a 'code' (or is an indicator code string)")
        code = _code(entry["code"], f"{where}, {trail}")
        node_where = f"{where}, node {code!r}"
        _check_keys(entry, _AGG_KEYS | _IND_KEYS, node_where)
        if "children" in entry:
            _check_keys(entry, _AGG_KEYS, node_where)
            kids = entry["children"]
            if not isinstance(kids, list) or not kids:
                raise FrameworkError(f"{node_where}: 'children' must be a non-empty list")
            nodes.append(
                Node(
                    code=code,
                    parent=parent,
                    name_en=_text(entry.get("name_en"), node_where, "name_en"),
                    name_zh=_text(entry.get("name_zh"), node_where, "name_zh"),
                    weight=_number(entry.get("weight", 1.0), node_where, "weight"),
                    kind="aggregate",
                )
            )
            for i, kid in enumerate(kids):
                walk(kid, code, f"child {i + 1} of {code!r}")
            return
        if parent is None:
            raise FrameworkError(f"{node_where}: the root of the tree needs 'children'")
        spec = dict(pool.get(code, {}))
        overrides = {k: v for k, v in entry.items() if k not in ("code", "weight")}
        if code not in pool and not overrides:
            raise FrameworkError(
                f"{node_where}: indicator is not defined (no entry under 'indicators' or in the included files"
                f"{did_you_mean(code, list(pool)) if pool else ''})"
            )
        spec.update(overrides)
        nodes.append(_indicator_node(code, spec, parent, entry.get("weight", 1.0), node_where))

    walk(doc["tree"], None, "tree")
    level_names = doc.get("level_names") or ()
    return Framework(
        name=_text(doc.get("name", path.stem), where, "name"),
        nodes=tuple(nodes),
        name_en=_text(doc.get("name_en"), where, "name_en"),
        name_zh=_text(doc.get("name_zh"), where, "name_zh"),
        description=_text(doc.get("description"), where, "description").strip(),
        level_names=tuple(_text(x, where, "level_names") for x in level_names),
        source=where,
    )


def read_imeta(path: str | Path, name: str | None = None) -> Framework:
    """Read COINr's metadata table (iMeta) from CSV or Excel.

    Columns iCode, iName, Level, Parent, Weight, Direction, Type (Indicator / Aggregate / Group / Denominator),
    and optionally Unit, Target, Denominator. Rows of Type Group or Denominator are not tree nodes.
    """
    import pandas as pd  # heavy: reading a framework's YAML needs no pandas, only iMeta tables do

    path = Path(path)
    try:
        table = pd.read_excel(path) if path.suffix.lower() == ".xlsx" else pd.read_csv(path, dtype=str)
    except FileNotFoundError:
        raise FrameworkError(f"{path}: file not found") from None
    table = table.astype(object).where(table.notna(), None)
    required = ["iCode", "Parent", "Type", "Weight", "Direction"]
    for col in required:
        if col not in table.columns:
            raise FrameworkError(f"{path}: no column {col!r} (an iMeta table needs {', '.join(required)})")
    nodes = []
    for i, row in enumerate(table.to_dict("records")):
        where = f"{path} row {i + 2}"
        kind = str(row["Type"]).strip()
        if kind in ("Group", "Denominator", "Other"):
            continue
        if kind not in ("Indicator", "Aggregate"):
            raise FrameworkError(
                f"{where}, column 'Type': {kind!r} (expected Indicator, Aggregate, Group or Denominator)"
            )
        code = str(row["iCode"]).strip()

        def num(col: str, default: float | None, *, _row: Mapping[Any, Any] = row, _where: str = where) -> float | None:
            raw = _row.get(col)
            if raw is None or str(raw).strip() == "":
                return default
            try:
                value = float(raw)
            except ValueError:
                raise FrameworkError(f"{_where}, column {col!r}: {raw!r} is not a number") from None
            return None if math.isnan(value) else value

        weight = num("Weight", 1.0)
        direction = num("Direction", 1.0)
        nodes.append(
            Node(
                code=code,
                parent=(str(row["Parent"]).strip() or None) if row["Parent"] is not None else None,
                name_en=str(row.get("iName") or ""),
                weight=1.0 if weight is None else weight,
                kind="indicator" if kind == "Indicator" else "aggregate",
                direction=int(direction) if direction in (1.0, -1.0) else int(direction or 0),
                unit=str(row.get("Unit") or "") if kind == "Indicator" else "",
                target=num("Target", None) if kind == "Indicator" else None,
                denominator=(str(row.get("Denominator")).strip() or None) if row.get("Denominator") else None,
            )
        )
    return Framework(name=name or path.stem, nodes=tuple(nodes), source=str(path))


def framework_to_yaml(fw: Framework) -> str:
    """Write a framework as a self-contained YAML file (indicators inline) that :func:`read_framework_yaml` reads."""

    def indicator(n: Node) -> dict[str, Any]:
        d: dict[str, Any] = {"name_en": n.name_en, "name_zh": n.name_zh, "unit": n.unit, "unit_zh": n.unit_zh,
                             "direction": n.direction}
        for key in ("definition", "source", "target", "target_reason", "denominator", "transform"):
            value = getattr(n, key)
            if value not in (None, ""):
                d[key] = value
        if n.goalposts is not None:
            d["goalposts"] = {"lo": n.goalposts.lo, "hi": n.goalposts.hi, "cap": n.goalposts.cap}
        if n.goalposts_reason:
            d["goalposts_reason"] = n.goalposts_reason
        return {k: v for k, v in d.items() if v != ""}

    def tree(code: str) -> dict[str, Any] | str:
        n = fw.by_code[code]
        if n.is_indicator:
            return code if n.weight == 1.0 else {"code": code, "weight": n.weight}
        d: dict[str, Any] = {"code": code}
        if n.name_en:
            d["name_en"] = n.name_en
        if n.name_zh:
            d["name_zh"] = n.name_zh
        if n.weight != 1.0:
            d["weight"] = n.weight
        d["children"] = [tree(k) for k in fw.children[code]]
        return d

    doc: dict[str, Any] = {"name": fw.name}
    for key in ("name_en", "name_zh", "description"):
        if getattr(fw, key):
            doc[key] = getattr(fw, key)
    if fw.level_names:
        doc["level_names"] = list(fw.level_names)
    doc["indicators"] = {c: indicator(fw.by_code[c]) for c in fw.indicators}
    doc["tree"] = tree(fw.root.code)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)
