"""The workbook's tables in the report's language: column headers, the language of paired columns, and the
categorical values the analyses write as English words.

The analyses write their tables with machine column names (``peer_gap``, ``tier_pos``) and, where text is meant
for people, both languages side by side (``reason`` and ``reason_zh``). A Chinese workbook keeps the Chinese one of
each pair under the shared name and gives every known column a Chinese header; an English workbook keeps the
English one. Codes (of nodes, units and categories) stay as they are: they are the keys that join the tables.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["HEADERS_ZH", "VALUES_ZH", "localise"]

#: Chinese headers of the analyses' columns (a column not listed keeps its name: a node or unit code, say).
HEADERS_ZH: Mapping[str, str] = {
    "unit": "集群代码", "name": "名称", "name_en": "英文名称", "name_zh": "中文名称", "year": "年份",
    "benchmark": "标杆", "sector": "行业", "region": "地区", "province": "省份", "country": "国家", "city": "城市",
    "illustrative": "示意数据",
    "tier": "等级代码", "tier_pos": "等级序号", "grade": "等级", "score": "得分", "reason": "理由",
    "type": "类型代码", "type_name": "类型", "explanation": "说明", "strongest": "最强维度", "weakest": "最弱维度",
    "group": "组别代码", "group_profile": "组别",
    "node": "节点", "level": "层级", "rank": "位次", "peer_group": "同类组", "peers": "同类数",
    "peer_median": "同类中位数", "peer_gap": "与同类差值", "peer_percentile": "同类百分位",
    "bench_median": "标杆中位数", "bench_gap": "与标杆差值",
    "reference": "参照", "gap": "差距", "sum_of_parts": "各部分之和", "largest_part": "最大部分",
    "largest_part_value": "最大部分数值",
    "action": "举措", "action_code": "举措代码", "priority": "优先级", "trigger": "触发条件", "threshold": "阈值",
    "value": "数值",
    "comparison": "比较", "evidence": "依据", "nodes": "涉及节点", "rules": "规则", "expert": "专家", "source": "来源",
    "parent": "上级节点", "nominal": "名义值", "used": "采用权重", "effective": "有效权重", "code": "代码",
    "kind": "类别", "weight": "权重", "effective_weight": "有效权重", "direction": "方向", "target": "目标值",
    "definition": "定义",
    "indicators_with_data": "有数据的指标数", "indicators": "指标数", "coverage": "覆盖率",
    "screened_out": "已筛除", "indicator": "指标", "skew_before": "处理前偏度", "kurt_before": "处理前峰度",
    "points_changed": "处理点数", "rule": "规则", "skew_after": "处理后偏度", "kurt_after": "处理后峰度",
    "nominal_rank": "名义排名", "median_rank": "中位排名", "mean_abs_shift": "平均绝对位移",
    "nominal_score": "名义得分", "median_score": "中位得分", "n_valid": "有效次数",
    "factor": "因素", "S1": "一阶指数", "S1_conf": "一阶置信半宽", "S1_lo": "一阶下限", "S1_hi": "一阶上限",
    "ST": "总效应指数", "ST_conf": "总效应置信半宽", "ST_lo": "总效应下限", "ST_hi": "总效应上限",
    "n_base": "基础样本数", "n_dropped": "剔除样本数", "removed": "剔除指标", "shift": "位次变化",
    "sample": "样本", "failed": "失败", "index_shift": "指数位次变化",
    "node_a": "节点甲", "node_b": "节点乙", "level_a": "节点甲层级", "level_b": "节点乙层级", "r": "r",
    "relation": "关系", "flag": "标记", "alpha": "α 系数", "k": "下级数", "method": "方法",
    "first_year": "首年", "last_year": "末年", "first": "首年值", "last": "末年值", "change": "变化",
    "cagr": "年均增长率", "slope": "趋势斜率", "from": "起始等级",
    "n": "集群数", "mean": "均值", "sd_log": "对数标准差", "gini": "基尼系数", "within": "组内基尼",
    "between": "组间基尼", "transvariation": "超变密度", "within_share": "组内贡献率",
    "between_share": "组间贡献率", "transvariation_share": "超变密度贡献率", "cv": "变异系数",
    "key": "项目", "value_": "值", "framework_hash": "框架哈希值", "data_hash": "数据哈希值",
    "data_source": "数据来源", "recipe_hash": "计算方案哈希值", "version": "版本", "numpy": "NumPy 版本",
    "python": "Python 版本", "created": "生成时间", "recipe": "计算方案",
    "all": "全部", "ungraded": "未评级",
}

#: Chinese words for the categorical values the analyses write in English.
VALUES_ZH: Mapping[str, Mapping[str, str]] = {
    "kind": {"indicator": "指标", "aggregate": "汇总节点"},
    "relation": {"siblings": "同级节点", "parent": "上下级", "child": "上下级", "other": "其他"},
    "flag": {"collinear": "共线", "negative": "负相关", "weak": "弱相关"},
    "method": {"pearson": "Pearson 相关", "spearman": "Spearman 秩相关"},
    "rule": {"none": "无"},
    "peer_group": {"all": "全部"},
    "comparison": {"peer_gap_below": "低于同类中位数", "below": "低于", "above": "高于"},
}


def localise(df: pd.DataFrame, lang: str, tiers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``df`` in ``lang``: of each pair of columns ``X``/``X_zh`` (or ``X_en``/``X_zh``) the one in ``lang`` under
    the name ``X``; in Chinese, headers from :data:`HEADERS_ZH` and values from :data:`VALUES_ZH`, and tier codes
    (``tiers``: code -> grade name) as grade names in the columns that hold them."""
    out = df.copy()
    cols = [str(c) for c in out.columns]
    for c in cols:
        if not c.endswith("_zh"):
            continue
        base = c[:-3]
        en = f"{base}_en" if f"{base}_en" in cols else base if base in cols else None
        if en is None:
            continue
        if lang == "zh":
            zh = out[c].astype(object)
            keep = zh.notna() & (zh.astype(str) != "")
            out[en] = out[en].astype(object).where(~keep, zh)
        out = out.drop(columns=[c])
        if en != base:
            out = out.rename(columns={base: f"{base}_code", en: base})  # a code beside the pair keeps its place
    if lang != "zh":
        return out
    tiers = dict(tiers or {})
    for c in out.columns:
        key = str(c)
        table = dict(VALUES_ZH.get(key, {}))
        if key in ("tier", "from", "nominal") and tiers:
            table.update(tiers)
        if table and not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].map(lambda v, m=table: m.get(v, v) if isinstance(v, str) else v)
    if "key" in out.columns:  # the provenance table: its keys are column names elsewhere
        out["key"] = out["key"].map(lambda v: HEADERS_ZH.get(v, v) if isinstance(v, str) else v)
    names = {c: tiers.get(str(c), HEADERS_ZH.get(str(c), str(c))) for c in out.columns}
    taken: dict[str, int] = {}
    for name in names.values():
        taken[name] = taken.get(name, 0) + 1
    out = out.rename(columns={c: name if taken[name] == 1 else f"{name} ({c})" for c, name in names.items()})
    if out.index.name is not None and str(out.index.name) in HEADERS_ZH:
        out.index.name = HEADERS_ZH[str(out.index.name)]
    if tiers and not pd.api.types.is_numeric_dtype(out.index) and all(str(v) in tiers for v in out.index):
        out.index = pd.Index([tiers[str(v)] for v in out.index], name=out.index.name)
    return out
