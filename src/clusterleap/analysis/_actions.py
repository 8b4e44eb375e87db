"""Policy actions: short boards mapped to the actions the seed's experts propose, by an editable rule table.

The built-in table (``clusterleap/data/actions.csv``, English and Chinese) maps short boards of the world-class
framework's dimensions, aspects and indicators to the actions of the seed ("Shortcomings and actions"): Shao Liguo's
four special actions (technology foundation building, premium-product breakthroughs, flagship-enterprise
cultivation, ecosystem guidance), Feng Hua's common-technology platforms and national technology innovation centres
and the four chains (incubation, technology transfer, technology finance, talent services), Qu Wan's regulatory
sandboxes and patient capital, Chen Yao's chain-leader firms and layout around metropolitan areas, and Nie
Xiudong's first-class ecosystems around first-class firms and central-local coordination. Each row cites the expert
and the passage of the seed it comes from.

Columns: ``id``; ``node`` (a node code, or ``@index`` for the framework's root); ``trigger`` and ``threshold``:

- ``score_below``: the node's score < threshold;
- ``peer_gap_below``: score minus the peer-group median < threshold (e.g. -5: five points below the peers);
- ``benchmark_gap_below``: score minus the benchmark median < threshold;
- ``peer_percentile_below``: percentile among the peers < threshold (0-100);

``priority`` (1 = first), ``action`` (a code; rows with the same code are one action), ``action_en`` /
``action_zh``, ``expert_en`` / ``expert_zh``, ``source_en`` / ``source_zh`` (the seed passage). A rule whose node
the framework lacks is skipped, so the table serves any framework that uses the same codes. A user's table (CSV, or
YAML: a list of mappings with the same keys) is validated cell by cell; errors name the row and column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._files import read_yaml
from .._registry import did_you_mean
from ..errors import DataError

if TYPE_CHECKING:
    from .._framework import Framework

__all__ = ["TRIGGERS", "ActionRule", "builtin_actions_path", "load_actions", "recommend"]

#: Trigger -> (column of the standing table compared with the threshold, comparison column for the evidence).
TRIGGERS: dict[str, tuple[str, str | None]] = {
    "score_below": ("score", None),
    "peer_gap_below": ("peer_gap", "peer_median"),
    "benchmark_gap_below": ("bench_gap", "bench_median"),
    "peer_percentile_below": ("peer_percentile", None),
}
INDEX = "@index"
REQUIRED = ("id", "node", "trigger", "threshold", "action", "action_en", "action_zh")
OPTIONAL = ("priority", "expert_en", "expert_zh", "source_en", "source_zh")


@dataclass(frozen=True)
class ActionRule:
    """One row of the action table."""

    id: str
    node: str
    trigger: str
    threshold: float
    action: str
    action_en: str
    action_zh: str
    priority: int = 1
    expert_en: str = ""
    expert_zh: str = ""
    source_en: str = ""
    source_zh: str = ""


def builtin_actions_path() -> Path:
    return Path(str(resources.files("clusterleap") / "data" / "actions.csv"))


def _rule(raw: Mapping[str, Any], where: str, cell: Any) -> ActionRule:
    """A rule from one row; ``cell(column)`` names the place of a cell for messages."""
    for col in REQUIRED:
        v = raw.get(col)
        if v is None or (isinstance(v, str) and not v.strip()):
            raise DataError(f"{cell(col)}: empty (every rule needs {', '.join(REQUIRED)})")
    trigger = str(raw["trigger"]).strip()
    if trigger not in TRIGGERS:
        raise DataError(f"{cell('trigger')}: {trigger!r} is not a trigger{did_you_mean(trigger, list(TRIGGERS))}")
    try:
        threshold = float(raw["threshold"])
    except (TypeError, ValueError):
        threshold = math.nan
    if isinstance(raw["threshold"], bool) or not math.isfinite(threshold):
        raise DataError(f"{cell('threshold')}: {raw['threshold']!r} is not a number (expected e.g. -5)")
    prio_raw = raw.get("priority")
    priority = 1
    if prio_raw not in (None, ""):
        try:
            priority = int(str(prio_raw).strip())
        except ValueError:
            raise DataError(f"{cell('priority')}: {prio_raw!r} is not a whole number (1 = first)") from None
    text = {k: str(raw.get(k) or "").strip() for k in (*REQUIRED, *OPTIONAL)}
    return ActionRule(id=text["id"], node=text["node"], trigger=trigger, threshold=threshold, action=text["action"],
                      action_en=text["action_en"], action_zh=text["action_zh"], priority=priority,
                      expert_en=text["expert_en"], expert_zh=text["expert_zh"], source_en=text["source_en"],
                      source_zh=text["source_zh"])


def _check_ids(rules: Sequence[ActionRule], where: Any) -> None:
    seen: dict[str, int] = {}
    for i, r in enumerate(rules):
        if r.id in seen:
            raise DataError(f"{where(i, 'id')}: rule id {r.id!r} already used in {where(seen[r.id], 'id')}")
        seen[r.id] = i


def _read_csv(path: Path) -> tuple[ActionRule, ...]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = list(reader)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataError(f"{path}: no column {missing[0]!r} (an action table needs columns {', '.join(REQUIRED)})")
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise DataError(f"{path}: unknown column {unknown[0]!r}"
                        f"{did_you_mean(unknown[0], list(REQUIRED + OPTIONAL))}")

    def place(i: int, col: str) -> str:
        return f'{path} row {i + 2}, column "{col}"'

    rules = []
    for i, row in enumerate(rows):
        clean = {str(k).strip(): v for k, v in row.items() if k is not None}
        rules.append(_rule(clean, str(path), lambda col, i=i: place(i, col)))
    _check_ids(rules, place)
    return tuple(rules)


def _read_mappings(items: Sequence[Any], source: str) -> tuple[ActionRule, ...]:
    def place(i: int, col: str) -> str:
        return f'{source}, rule {i + 1}, key "{col}"'

    rules = []
    for i, raw in enumerate(items):
        if not isinstance(raw, Mapping):
            raise DataError(f"{source}, rule {i + 1}: expected a mapping with keys {', '.join(REQUIRED)}")
        unknown = [k for k in raw if k not in REQUIRED + OPTIONAL]
        if unknown:
            raise DataError(f"{place(i, str(unknown[0]))}: unknown key"
                            f"{did_you_mean(str(unknown[0]), list(REQUIRED + OPTIONAL))}")
        rules.append(_rule(raw, source, lambda col, i=i: place(i, col)))
    _check_ids(rules, place)
    return tuple(rules)


def load_actions(spec: Sequence[Any] | str | Path | None = None) -> tuple[ActionRule, ...]:
    """Action rules from the built-in table (None), a CSV or YAML file, or a list of mappings / rules."""
    if spec is None:
        return _read_csv(builtin_actions_path())
    if isinstance(spec, str | Path):
        path = Path(spec)
        if path.suffix.lower() in (".yaml", ".yml"):
            doc = read_yaml(path, DataError)
            items = doc.get("actions") if isinstance(doc, Mapping) else doc
            if not isinstance(items, list):
                raise DataError(f"{path}: expected a list of rules (or a mapping with 'actions')")
            return _read_mappings(items, str(path))
        if path.suffix.lower() == ".csv":
            return _read_csv(path)
        raise DataError(f"{path}: an action table must be a .csv or .yaml file")
    if all(isinstance(r, ActionRule) for r in spec):
        return tuple(spec)
    return _read_mappings(list(spec), "action rules")


def _evidence(rule: ActionRule, node: str, fw: Framework, row: Mapping[str, Any]) -> tuple[str, str, float, float]:
    """Words for why a rule fired (English, Chinese), the compared value and the comparison value."""
    col, ref_col = TRIGGERS[rule.trigger]
    score = float(row["score"])
    value = float(row[col])
    ref = float(row[ref_col]) if ref_col else math.nan
    n = fw.by_code[node]
    name_en, name_zh = f"{node} ({n.label('en')})", f"{node}（{n.label('zh')}）"
    thr = f"{rule.threshold:g}"
    if rule.trigger == "score_below":
        return (f"{name_en} scores {score:.1f} < {thr}", f"{name_zh}得分 {score:.1f} < {thr}", value, ref)
    if rule.trigger == "peer_percentile_below":
        return (f"{name_en} scores {score:.1f}, percentile {value:.0f} among its peers < {thr}",
                f"{name_zh}得分 {score:.1f}，在同类中位于第 {value:.0f} 百分位 < {thr}", value, ref)
    who_en, who_zh = ("peer median", "同类中位数") if rule.trigger == "peer_gap_below" else \
        ("benchmark median", "标杆中位数")
    return (f"{name_en} scores {score:.1f}, {-value:.1f} points below the {who_en} {ref:.1f} (threshold {thr})",
            f"{name_zh}得分 {score:.1f}，低于{who_zh} {ref:.1f} 达 {-value:.1f} 分（阈值 {thr}）", value, ref)


def recommend(
    table: pd.DataFrame, rules: Sequence[ActionRule], fw: Framework, units: Sequence[str] | None = None
) -> pd.DataFrame:
    """The actions each unit's short boards call for, from the standing table (see
    :func:`clusterleap.analysis.standing`).

    One row per unit and action, in order of priority and then of the largest shortfall; the row cites the most
    severe trigger (``node``, ``score``, ``trigger``, ``threshold``, ``value``, ``comparison`` and ``evidence`` /
    ``evidence_zh``), lists every node that triggered the action (``nodes``) and the rules (``rules``), and quotes
    the expert and the seed passage the action comes from."""
    cols = ["unit", "action", "priority", "action_en", "action_zh", "node", "score", "trigger", "threshold", "value",
            "comparison", "evidence", "evidence_zh", "nodes", "rules", "expert_en", "expert_zh", "source_en",
            "source_zh"]
    usable = [(r, fw.root.code if r.node == INDEX else r.node) for r in rules
              if r.node == INDEX or r.node in fw]
    all_units = list(dict.fromkeys(table.index.get_level_values("unit")))
    chosen = all_units if units is None else list(units)
    # one column per rule over every unit (not one lookup per unit and rule), then the hits in unit and rule order
    by_node: dict[str, pd.DataFrame] = {}
    for node in dict.fromkeys(n for _, n in usable):
        frame = table.xs(node, level="node")
        assert isinstance(frame, pd.DataFrame)
        by_node[node] = frame.reindex(chosen)
    hits_at: list[tuple[int, int]] = []
    for r, (rule, node) in enumerate(usable):
        v = by_node[node][TRIGGERS[rule.trigger][0]].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            hits_at.extend((int(u), r) for u in np.flatnonzero(v < rule.threshold))
    hits_at.sort()
    records: dict[str, list[dict[str, Any]]] = {}
    found: dict[tuple[str, str], list[tuple[ActionRule, str, Mapping[str, Any]]]] = {}
    for u, r in hits_at:
        rule, node = usable[r]
        if node not in records:
            records[node] = [{str(k): v for k, v in rec.items()} for rec in by_node[node].to_dict("records")]
        found.setdefault((chosen[u], rule.action), []).append((rule, node, records[node][u]))
    out = []
    for (unit, action), hits in found.items():
        def severity(h: tuple[ActionRule, str, Mapping[str, Any]]) -> tuple[int, float]:
            return h[0].priority, float(h[2][TRIGGERS[h[0].trigger][0]]) - h[0].threshold

        hits.sort(key=severity)
        rule, node, row = hits[0]
        en, zh, value, ref = _evidence(rule, node, fw, row)
        out.append({
            "unit": unit, "action": action, "priority": rule.priority, "action_en": rule.action_en,
            "action_zh": rule.action_zh, "node": node, "score": float(row["score"]), "trigger": rule.trigger,
            "threshold": rule.threshold, "value": value, "comparison": ref, "evidence": en, "evidence_zh": zh,
            "nodes": " ".join(dict.fromkeys(n for _, n, _ in hits)), "rules": " ".join(r.id for r, _, _ in hits),
            "expert_en": rule.expert_en, "expert_zh": rule.expert_zh, "source_en": rule.source_en,
            "source_zh": rule.source_zh,
        })
    df = pd.DataFrame(out, columns=cols)
    if df.empty:
        return df
    order = {u: i for i, u in enumerate(chosen)}
    df["_u"] = df["unit"].map(order)
    df["_s"] = df["value"] - df["threshold"]
    df = df.sort_values(["_u", "priority", "_s"], kind="stable").drop(columns=["_u", "_s"])
    return df.reset_index(drop=True)
