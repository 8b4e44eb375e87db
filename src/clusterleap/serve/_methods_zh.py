"""The recipe form's method summaries in Chinese (the engine's registries carry English summaries; a test checks
that every registered method has one here, so that a Chinese page never shows an English summary)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SUMMARIES_ZH", "summary"]

SUMMARIES_ZH: Mapping[str, str] = {
    "screen.none": "保留全部集群",
    "screen.coverage": "仅保留有数据的指标占比不低于 min_share 的集群（且每个维度不低于 min_dimension_share）",
    "denominate.framework": "各指标除以指标体系为其指定的分母列",
    "denominate.none": "指标保持原值",
    "transform.framework": "按指标体系的设定对指标取对数（log、log1p）",
    "transform.none": "不作变换",
    "impute.none": "缺失值保持缺失（由加总时重新分配权重或向上传递）",
    "impute.mean": "取该指标在全部集群中的均值",
    "impute.median": "取该指标在全部集群中的中位数",
    "impute.group_mean": "取该指标在同组集群（按某一元数据列分组）中的均值",
    "impute.group_median": "取该指标在同组集群中的中位数",
    "impute.locf": "面板数据：沿用该集群此前年份最近一次的观测值",
    "impute.linear": "面板数据：在该集群有观测的年份之间线性插值（不外推）",
    "impute.em": "多元正态分布的 EM 算法：缺失值取其在该集群已观测指标条件下的条件均值",
    "treat.none": "不处理异常值",
    "treat.skew_kurtosis": "COINr 的默认做法：偏度绝对值和峰度过高时缩尾，否则改取对数",
    "treat.winsorise": "把各指标截断在其上下分位数之间（缩尾）",
    "treat.boxcox": "逐指标作 Box-Cox 幂变换，λ 由最大似然估计（或固定），必要时先平移为正值",
    "normalise.minmax": "把各指标的观测区间线性映射到 [lo, hi]",
    "normalise.zscore": "标准化为给定的均值和标准差",
    "normalise.goalposts": "按指标体系固定的上下限（目标值）计算相对位置，可截断",
    "normalise.rank": "在全部集群中的位次，数值越高位次越高",
    "normalise.percentile": "百分位排名：(位次 - 1) / (n - 1) × 量程",
    "normalise.target": "与指标体系的世界级目标值的距离：1 - (t - x) / (t - min)",
    "normalise.frontier": "与最优集群的距离：1 - (max - x) / (max - min)",
    "normalise.reference": "与参照集群的距离：1 - (x_ref - x) / (x_ref - min)",
    "normalise.proportion": "占最优值的比例：x / max（越高越好）或 min / x（越低越好）",
    "weight.framework": "采用指标体系给定的权重，在每个上级节点内归一",
    "weight.equal": "所有下级节点等权",
    "weight.ahp": "层次分析法（AHP）：由一位或多位专家的两两比较求特征向量权重（AIJ 或 AIP 汇总），"
                  "并计算 Saaty 一致性比率",
    "weight.entropy": "熵权法：各集群间差异越大的下级节点权重越高（w_j = (1 - e_j) / Σ(1 - e)）",
    "weight.critic": "CRITIC 法：以对比强度（标准差）乘以冲突性（1 - 与其他下级节点的相关系数）定权",
    "weight.pca": "主成分法定权：按《手册》规则保留因子（特征值 > 1、贡献率 > 10 %、累计贡献率 > 60 %），"
                  "方差最大化旋转，载荷平方归一，各因子按解释方差加权",
    "weight.bod": "有利权重法（benefit of the doubt）：用线性规划为每个集群求对其最有利的权重（各集群权重不同）",
    "weight.optimised": "优化权重：使各下级节点与上级得分的相关系数符合目标重要性（默认相等）",
    "weight.combined": "主观与客观权重组合：乘积归一（a b / Σ a b）或线性组合（share a + (1 - share) b）",
    "aggregate.arithmetic": "加权算术平均：Σ(w x) / Σw",
    "aggregate.geometric": "加权几何平均：Π(x^w)^(1/Σw)；要求 x ≥ 0",
    "aggregate.harmonic": "加权调和平均：Σw / Σ(w / x)；要求 x > 0",
    "aggregate.power": "加权幂平均（广义平均）：(Σ(w x^p) / Σw)^(1/p)",
    "aggregate.topsis": "TOPSIS：与理想解的相对贴近度 D- / (D+ + D-)，乘以量程",
    "aggregate.vikor": "VIKOR 折衷排序：得分 (1 - Q) 乘以量程，Q 以权重 v 综合群体效用 S 与个体遗憾 R",
    "aggregate.copeland": "Copeland 两两优劣比较（持平的下级节点双方各记一半）：对其他每个集群的胜场减负场，"
                          "映射到 [0, 量程]",
    "rank.descending": "得分最高者位次为 1；并列取最小、平均或密集位次；可先取整",
}


def summary(stage: str, method: str, english: str, lang: str) -> str:
    """A method's summary in ``lang`` (the registry's English one for a method without a Chinese summary)."""
    return SUMMARIES_ZH.get(f"{stage}.{method}", english) if lang == "zh" else english
