"""Policy actions: the built-in table, validation naming row and column, and recommendations on hand-made data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import clusterleap as cl
from clusterleap.analysis import TRIGGERS, load_actions, recommend, standing
from clusterleap.errors import DataError

SEED_ACTIONS = {
    "technology_foundation": "技术筑基行动", "premium_products": "提优品攻坚行动", "flagship_firms": "旗舰企业培育行动",
    "ecosystem_guidance": "生态引导行动", "innovation_platforms": "共性技术平台", "four_chains": "四大链条",
    "regulatory_sandbox": "沙盒监管", "patient_capital": "耐心资本", "chain_leaders": "链主企业",
    "metropolitan_layout": "都市圈",
}


def test_builtin_table_cites_the_seed() -> None:
    rules = load_actions()
    assert len(rules) >= 20
    seed = (Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_26162bed2f2fd129.txt")
    text = seed.read_text(encoding="utf-8").replace("\n", "") if seed.exists() else None
    for action, words in SEED_ACTIONS.items():
        rows = [r for r in rules if r.action == action]
        assert rows, action
        assert any(words in r.source_zh for r in rows), action
        if text is not None:  # the quoted passages are in the seed (its lines break mid-sentence)
            for r in rows:
                for part in r.source_zh.split("；"):
                    assert part.replace(" ", "") in text.replace(" ", ""), (r.id, part)
    assert all(r.trigger in TRIGGERS and r.action_en and r.action_zh and r.expert_en for r in rules)
    # Shao Liguo's four special actions answer the four dimensions of his system
    dims = {r.node: r.action for r in rules if r.node in ("TI", "PC", "EE", "ES")}
    assert dims == {"TI": "technology_foundation", "PC": "premium_products", "EE": "flagship_firms",
                    "ES": "ecosystem_guidance"}


def _fw() -> cl.Framework:
    return cl.Framework.from_nodes("mini", [
        cl.Node("I", None),
        cl.Node("TI", "I"), cl.Node("ES", "I"),
        cl.Node("rd", "TI", kind="indicator"), cl.Node("vc", "ES", kind="indicator"),
    ])


def _standing() -> tuple[cl.Framework, pd.DataFrame]:
    df = pd.DataFrame({"unit": ["a", "b", "c", "d"], "rd": [0.0, 50, 60, 100], "vc": [90.0, 50, 55, 100]})
    fw = _fw()
    return fw, standing(cl.evaluate(fw, cl.read_data(df)))


def test_recommendations_cite_the_short_board() -> None:
    fw, table = _standing()
    rules = load_actions([
        {"id": "R1", "node": "TI", "trigger": "peer_gap_below", "threshold": -5, "action": "tech",
         "action_en": "technology foundation", "action_zh": "技术筑基", "expert_en": "Shao",
         "source_zh": "技术筑基行动"},
        {"id": "R2", "node": "rd", "trigger": "score_below", "threshold": 20, "action": "tech", "priority": 2,
         "action_en": "technology foundation", "action_zh": "技术筑基"},
        {"id": "R3", "node": "ES", "trigger": "peer_percentile_below", "threshold": 40, "action": "capital",
         "action_en": "patient capital", "action_zh": "耐心资本"},
        {"id": "R4", "node": "XX", "trigger": "score_below", "threshold": 100, "action": "none",
         "action_en": "never", "action_zh": "无"},
    ])
    rec = recommend(table, rules, fw)
    # a: rd 0 vs peers b, c, d (median 60): TI 60 points below; rd 0 < 20 too -> one action citing both rules
    a = rec[rec["unit"] == "a"]
    assert list(a["action"]) == ["tech"]
    row = a.iloc[0]
    assert row["node"] == "TI" and row["rules"] == "R1 R2" and row["nodes"] == "TI rd"
    assert row["score"] == 0.0 and row["comparison"] == 60.0 and row["value"] == -60.0
    assert row["evidence"] == "TI (TI) scores 0.0, 60.0 points below the peer median 60.0 (threshold -5)"
    assert row["evidence_zh"] == "TI（TI）得分 0.0，低于同类中位数 60.0 达 60.0 分（阈值 -5）"
    assert row["expert_en"] == "Shao"
    # b: vc 0 on 0..100 is the lowest of 4: percentile 0 among its peers < 40
    b = rec[rec["unit"] == "b"]
    assert "capital" in set(b["action"])
    assert b.set_index("action").loc["capital", "evidence"].startswith("ES (ES) scores 0.0, percentile 0")
    # the rule on a node this framework lacks is skipped; d, best everywhere, needs nothing
    assert "none" not in set(rec["action"])
    assert "d" not in set(rec["unit"])


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "actions.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "id,node,trigger,threshold,action,action_en,action_zh\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A1,TI,score_bellow,5,x,y,z\n", 'row 2, column "trigger": \'score_bellow\' is not a trigger (did you mean '
                                         '"score_below"?)'),
        ("A1,TI,score_below,5,x,y,z\nA2,TI,score_below,high,x,y,z\n", 'row 3, column "threshold": \'high\' is not '
                                                                       'a number'),
        ("A1,,score_below,5,x,y,z\n", 'row 2, column "node": empty'),
        ("A1,TI,score_below,5,x,y,z\nA1,PC,score_below,5,x,y,z\n", 'row 3, column "id": rule id \'A1\' already '
                                                                    'used in'),
    ],
)
def test_table_errors_name_row_and_column(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(DataError) as err:
        load_actions(_write(tmp_path, HEADER + body))
    assert message in str(err.value)
    assert str(err.value).startswith(str(tmp_path))


def test_table_errors_for_columns_and_yaml(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no column 'action_zh'"):
        load_actions(_write(tmp_path, "id,node,trigger,threshold,action,action_en\n"))
    with pytest.raises(DataError, match="unknown column 'prio' \\(did you mean \"priority\"\\?\\)"):
        load_actions(_write(tmp_path, HEADER.strip() + ",prio\nA1,TI,score_below,5,x,y,z,1\n"))
    y = tmp_path / "a.yaml"
    y.write_text("actions:\n  - {id: A1, node: TI, trigger: score_below, threshold: 5, action: x, action_en: y,"
                 " action_zh: z, priority: first}\n", encoding="utf-8")
    with pytest.raises(DataError, match=r'a\.yaml, rule 1, key "priority": \'first\' is not a whole number'):
        load_actions(y)
    y.write_text("- {id: A1, node: TI, trigger: score_below, threshold: 5, action: x, action_en: y, action_zh: z}\n",
                 encoding="utf-8")
    assert load_actions(y)[0].threshold == 5.0
    with pytest.raises(DataError, match=r"must be a \.csv or \.yaml file"):
        load_actions(tmp_path / "a.txt")
