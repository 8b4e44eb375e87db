"""The built-in frameworks (src/clusterleap/frameworks): structure, complete indicator metadata, one shared pool, and
docs/frameworks-builtin.md generated from them.

The generated parts of the doc are rewritten by ``python -m tests.test_builtin_frameworks`` (run from the project
root); ``test_doc_is_current`` fails when the YAML changed and the doc was not regenerated.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import clusterleap as cl
from clusterleap._framework import Framework
from clusterleap.io._framework_files import builtin_dir

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "frameworks-builtin.md"
NAMES = ("world-class", "nie-five-features", "chen-local-global")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    dup = {k for k in keys if keys.count(k) > 1}
    assert not dup, f"duplicate keys {dup} at line {node.start_mark.line + 1}"
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _yaml(name: str) -> Any:
    return yaml.load((builtin_dir() / name).read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)


@pytest.fixture(scope="module")
def frameworks() -> dict[str, Framework]:
    return {n: cl.load_framework(n) for n in NAMES}


@pytest.fixture(scope="module")
def pool() -> dict[str, dict[str, Any]]:
    doc = _yaml("pool.yaml")
    assert set(doc) == {"indicators"}, "pool.yaml holds only the indicator definitions"
    return dict(doc["indicators"])


# -- loading and structure ------------------------------------------------------------------------------------------
def test_builtin_names() -> None:
    assert set(cl.builtin_frameworks()) == set(NAMES)


def test_world_class_structure(frameworks: dict[str, Framework]) -> None:
    fw = frameworks["world-class"]
    assert fw.root.code == "WCI"
    assert fw.level_names == ("Indicator", "Aspect", "Dimension", "Index")
    assert fw.n_levels == 4
    assert fw.children["WCI"] == ("TI", "PC", "EE", "ES", "AM")
    expected = {"TI": 3, "PC": 3, "EE": 2, "ES": 2, "AM": 5}
    for dim, n in expected.items():
        assert fw.children[dim] == tuple(f"{dim}{i}" for i in range(1, n + 1))
    assert len(fw.at_level(2)) == 15 and len(fw.at_level(3)) == 5
    # every aspect holds indicators only, at least one
    for aspect in fw.at_level(2):
        kids = fw.children[aspect]
        assert kids and all(fw[k].is_indicator for k in kids)
    assert len(fw.indicators) == 39
    # the seed's wording of the ten aspects and Shi Yong's five, in Chinese
    assert fw["PC1"].name_zh == "主导产品的关键环节没有堵点断点"
    assert fw["AM3"].name_zh == "供应链韧性与安全"


def test_world_class_weights_equal_per_dimension(frameworks: dict[str, Framework]) -> None:
    fw = frameworks["world-class"]
    eff = fw.effective_weights()
    for dim in ("TI", "PC", "EE", "ES", "AM"):
        assert eff[dim] == pytest.approx(0.2)
    # aspects share their dimension equally, indicators their aspect: AM2's single indicator carries 1/5 x 1/5
    assert eff["AM2"] == pytest.approx(0.04)
    assert eff["foundation_self_sufficiency"] == pytest.approx(0.04)
    assert eff["rd_intensity"] == pytest.approx(0.2 / 3 / 3)
    assert sum(eff[c] for c in fw.indicators) == pytest.approx(1.0)


def test_other_trees(frameworks: dict[str, Framework]) -> None:
    nie = frameworks["nie-five-features"]
    assert nie.children[nie.root.code] == ("NF1", "NF2", "NF3", "NF4", "NF5")
    assert nie.children["NF5"] == ("cluster_org_score", "governance_score")
    chen = frameworks["chen-local-global"]
    assert chen.children[chen.root.code] == ("AG", "DL", "OP")
    assert set(chen.leaves_under("AG")) == {"revenue", "employment", "location_quotient"}
    assert {nie.n_levels, chen.n_levels} == {3}


@pytest.mark.parametrize("name", NAMES)
def test_indicator_metadata_complete(name: str, frameworks: dict[str, Framework]) -> None:
    fw = frameworks[name]
    assert len(set(fw.order)) == len(fw.order)
    for code in fw.indicators:
        n = fw[code]
        assert SNAKE.match(code), code
        assert n.name_en and n.name_zh and n.unit, code
        assert re.search(r"[\u4e00-\u9fff]", n.name_zh), f"{code}: name_zh is not Chinese"
        assert len(n.definition) >= 80 and n.source, code
        assert n.direction in (1, -1)
        if n.target is not None:
            assert len(n.target_reason) >= 40, f"{code}: a target needs its reasoning"
        if n.goalposts is not None and ("%" in n.unit or "0-100" in n.unit):
            assert 0.0 <= n.goalposts.lo < n.goalposts.hi <= 100.0, code  # shares and 0-100 scores stay in range
    for code in fw.aggregates:
        assert fw[code].name_en and fw[code].name_zh, code


def test_directions_and_targets(frameworks: dict[str, Framework]) -> None:
    fw = frameworks["world-class"]
    lower_better = {c for c in fw.indicators if fw[c].direction == -1}
    assert lower_better == {"chokepoint_items", "supplier_hhi", "energy_intensity", "co2_intensity"}
    # the seed: Chinese labour productivity ~1/5 and value-added rate ~2/3 of developed countries'
    assert fw["labour_productivity"].target == 5 * 24
    assert fw["value_added_rate"].target == pytest.approx(22 * 3 / 2)
    # Made in China 2025: 70 % of core basic components and materials secured domestically by 2025
    assert fw["foundation_self_sufficiency"].target == 70
    # US Horizontal Merger Guidelines (2010): HHI below 1,500 is unconcentrated
    assert fw["supplier_hhi"].target == 1500
    assert fw["chokepoint_items"].target == 0
    assert sum(fw[c].target is not None for c in fw.indicators) >= 10


def test_denominators(frameworks: dict[str, Framework], pool: dict[str, dict[str, Any]]) -> None:
    fw = frameworks["world-class"]
    with_den = {c: fw[c].denominator for c in fw.indicators if fw[c].denominator}
    assert with_den == {"invention_patents": "employment", "pct_applications": "employment"}
    assert all(d in pool for d in with_den.values())


# -- one pool, defined once -----------------------------------------------------------------------------------------
def test_pool_defined_once_and_used(frameworks: dict[str, Framework], pool: dict[str, dict[str, Any]]) -> None:
    used: set[str] = set()
    for name in NAMES:
        doc = _yaml(f"{name}.yaml")
        assert doc["include"] == "pool.yaml"
        assert "indicators" not in doc, f"{name}: indicators belong in pool.yaml"
        fw = frameworks[name]
        assert set(fw.indicators) <= set(pool), f"{name}: {set(fw.indicators) - set(pool)} not in the pool"
        assert not set(fw.aggregates) & set(pool)
        used |= set(fw.indicators)
    assert used == set(pool), f"unused pool indicators: {set(pool) - used}"
    assert len(pool) == 46


def test_shared_indicators_identical(frameworks: dict[str, Framework]) -> None:
    from dataclasses import replace

    def meta(fw: Framework, code: str) -> object:
        return replace(fw[code], parent=None, weight=1.0)

    wc, nie, chen = (frameworks[n] for n in NAMES)
    for code in set(wc.indicators) & set(nie.indicators):
        assert meta(wc, code) == meta(nie, code)
    for code in set(nie.indicators) & set(chen.indicators):
        assert meta(nie, code) == meta(chen, code)
    assert "pct_applications" in set(wc.indicators) & set(nie.indicators) & set(chen.indicators)


def test_framework_round_trips_through_yaml(frameworks: dict[str, Framework], tmp_path: Path) -> None:
    from clusterleap.io import framework_to_yaml

    fw = frameworks["world-class"]
    path = tmp_path / "wc.yaml"
    path.write_text(framework_to_yaml(fw), encoding="utf-8")
    assert cl.read_framework_yaml(path).hash == fw.hash


# -- the doc --------------------------------------------------------------------------------------------------------
def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _number(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}" if abs(x) < 1e5 else f"{x:,.0f}"


def render_tree(fw: Framework) -> str:
    """The tree as a nested list with each aggregate's effective weight in the index."""
    eff = fw.effective_weights()
    lines = []
    for code in fw.order:
        n = fw[code]
        pad = "  " * fw.depth[code]
        if n.is_indicator:
            lines.append(f"{pad}- `{code}` {n.name_en}")
        else:
            weight = "" if n.parent is None else f" ({eff[code]:.1%} of the index)"
            lines.append(f"{pad}- **{code}** {n.name_en} / {n.name_zh}{weight}")
    return "\n".join(lines)


def render_indicators(fw: Framework) -> str:
    rows = ["| code | parent | 名称 | name | unit | dir. | target | source |", "|---|---|---|---|---|---|---|---|"]
    for code in fw.indicators:
        n = fw[code]
        rows.append(
            f"| `{code}` | {n.parent} | {_cell(n.name_zh)} | {_cell(n.name_en)} | {_cell(n.unit)} | "
            f"{'+' if n.direction > 0 else '−'} | {_number(n.target)} | {_cell(n.source)} |"
        )
    return "\n".join(rows)


def render_targets(fw: Framework) -> str:
    rows = ["| code | target | unit | reasoning |", "|---|---|---|---|"]
    for code in fw.indicators:
        n = fw[code]
        if n.target is not None:
            rows.append(f"| `{code}` | {_number(n.target)} | {_cell(n.unit)} | {_cell(n.target_reason)} |")
    return "\n".join(rows)


def render_pool() -> str:
    pool = _yaml("pool.yaml")["indicators"]
    rows = ["| code | name | definition |", "|---|---|---|"]
    for code, spec in pool.items():
        extra = f" Denominator: `{spec['denominator']}`." if spec.get("denominator") else ""
        rows.append(f"| `{code}` | {_cell(spec['name_en'])} / {_cell(spec['name_zh'])} | "
                    f"{_cell(spec['definition'])}{extra} |")
    return "\n".join(rows)


def render_goalposts() -> str:
    """Every pool indicator's goalposts as floor and world-class level (lo and hi swap for lower-is-better ones)."""
    pool = _yaml("pool.yaml")["indicators"]
    rows = ["| code | unit | dir. | floor | world-class | target | why (basis) |", "|---|---|---|---|---|---|---|"]
    for code, spec in pool.items():
        gp, down = spec["goalposts"], spec["direction"] < 0
        floor, top = (gp["hi"], gp["lo"]) if down else (gp["lo"], gp["hi"])
        rows.append(f"| `{code}` | {_cell(spec['unit'])} | {'−' if down else '+'} | {_number(floor)} | "
                    f"{_number(top)} | {_number(spec.get('target'))} | {_cell(spec['goalposts_reason'])} |")
    return "\n".join(rows)


def generated_blocks() -> dict[str, str]:
    """Every generated block of docs/frameworks-builtin.md by its marker name."""
    out = {"pool": render_pool(), "goalposts": render_goalposts()}
    for name in NAMES:
        fw = cl.load_framework(name)
        parts = ["#### Tree", render_tree(fw), "#### Indicators", render_indicators(fw)]
        if any(fw[c].target is not None for c in fw.indicators):
            parts += ["#### World-class targets", render_targets(fw)]
        out[name] = "\n\n".join(parts)
    return out


_BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>(?:(?!<!-- ).*\n)*)(<!-- end generated -->)")


def rewrite_doc(text: str) -> str:
    blocks = generated_blocks()
    return _BLOCK.sub(lambda m: m.group(1) + blocks[m.group("name")] + "\n" + m.group(4), text)


def test_doc_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = [m.group("name") for m in _BLOCK.finditer(text)]
    assert sorted(names) == sorted(["pool", "goalposts", *NAMES])
    assert rewrite_doc(text) == text, "docs/frameworks-builtin.md is stale: run python -m tests.test_builtin_frameworks"


def test_doc_example_runs() -> None:
    """The example of the doc's first code block runs and prints what the doc says."""
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    assert namespace["fw"].name == "world-class"


if __name__ == "__main__":
    DOC.write_text(rewrite_doc(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rewrote the generated blocks of {DOC}")
