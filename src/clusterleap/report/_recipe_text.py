"""The recipe in words: one sentence per stage, in the report's language, generated from the recipe's steps.

A recipe's free-text ``description`` is written by its author in one language; a report in the other language
should still say how its numbers were made. So the method section is generated from the steps themselves (method
and parameters, with the per-level and per-node overrides), from one sentence template per method and language
below, and the author's description is shown beside it as given, labelled as the author's note.

A method registered without a template here (a plug-in, say) is shown by its name and parameters, which read the
same in every language, followed in English by its registry summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._framework import Framework
from .._recipe import STAGE_ORDER, Recipe, Step
from ..stages import STAGES
from ._i18n import strings
from ._words import meta_column

__all__ = ["SENTENCES", "StageText", "describe_recipe", "describe_step", "step_code"]

#: One template per ``stage.method`` and language. Fields: the method's parameters (numbers written with ``:g``)
#: and the phrases :func:`_fields` derives (``n``/``k`` counts, ``cap``, ``ties``, ``missing``, ...).
SENTENCES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "denominate.framework": "The indicators for which the framework names a denominator are divided by it "
                                "({n} of {k} indicators).",
        "denominate.framework.0": "The framework names no denominators: indicators are used as they are.",
        "denominate.none": "No denominators: indicators are used as they are.",
        "transform.framework": "The indicators for which the framework gives a transform (log or log1p) get it "
                               "({n} of {k} indicators).",
        "transform.framework.0": "The framework gives no transforms: indicators are used as they are.",
        "transform.none": "No transforms.",
        "basis.relative": "Scores are relative: the normalisation's statistics come from the clusters in this file, "
                          "so a score ranks them against each other and is not comparable with another file or "
                          "year.",
        "basis.goalposts": "Scores are measured against the framework's fixed goalposts: 0 at each indicator's floor "
                           "and 100 at its world-class level, values beyond capped, whatever other clusters are in "
                           "the file.",
        "basis.frozen": "Scores are measured against a frozen reference fitted on {on}{clip}, the same for every "
                        "file and year scored with this recipe.",
        "basis.clip": " (values beyond its range capped)",
        "basis.noclip": "",
        "screen.none": "Every unit is scored, whatever its data coverage.",
        "screen.coverage": "Units with data on fewer than {min_pct} % of the indicators{dim_rule} are screened out: "
                           "they are listed with their coverage and neither ranked nor graded.",
        "screen.dim_rule": " or on fewer than {dim_pct} % of any dimension's",
        "impute.none": "Missing values are left missing (aggregation deals with them).",
        "impute.mean": "A missing value takes the indicator's mean over all clusters.",
        "impute.median": "A missing value takes the indicator's median over all clusters.",
        "impute.group_mean": "A missing value takes the indicator's mean over the clusters with the same "
                             "\u201c{group}\u201d.",
        "impute.group_median": "A missing value takes the indicator's median over the clusters with the same "
                               "\u201c{group}\u201d.",
        "impute.locf": "A missing value takes the cluster's last value observed in an earlier year (last "
                       "observation carried forward).",
        "impute.linear": "Missing values are interpolated linearly between the cluster's observed years (no "
                         "extrapolation).",
        "impute.em": "Missing values take their conditional means given the cluster's other indicators, under a "
                     "multivariate normal distribution of the indicators fitted by EM (at most {max_iter} "
                     "iterations, tolerance {tol}).",
        "treat.boxcox": "Indicators get a Box-Cox power transformation (lambda estimated per indicator by maximum "
                        "likelihood unless the recipe fixes it; values are first shifted to be positive where the "
                        "minimum is not).",
        "treat.none": "No outlier treatment.",
        "treat.skew_kurtosis": "While an indicator's absolute skewness is at least {skew_max} and its kurtosis at "
                               "least {kurt_max}, its most extreme value is winsorised (at most {max_points} "
                               "values); {fallback} (COINr's default rule).",
        "treat.winsorise": "Each indicator is clipped to its {lower} % and {upper} % quantiles.",
        "normalise.minmax": "Each indicator is rescaled linearly from {range} to {lo}\u2013{hi}, higher "
                            "being better.",
        "range.relative": "its observed range",
        "range.goalposts": "its goalposts (floor to world-class level)",
        "range.frozen": "the reference range frozen in the recipe",
        "normalise.zscore": "Each indicator is standardised to mean {mean} and standard deviation {sd}.",
        "normalise.goalposts": "Each indicator is placed between the framework's goalposts on 0\u2013{scale}{cap}.",
        "normalise.rank": "Each indicator is replaced by the cluster's rank among all clusters (higher value, "
                          "higher rank; {ties}).",
        "normalise.percentile": "Each indicator is replaced by its percentile rank on 0\u2013{scale} ({ties}).",
        "normalise.target": "Each indicator is measured as the distance to the framework's world-class target, "
                            "1 \u2212 (target \u2212 x) / (target \u2212 min), times {scale}{cap}.",
        "normalise.frontier": "Each indicator is measured as the distance to the best cluster, 1 \u2212 (max "
                              "\u2212 x) / (max \u2212 min), times {scale}.",
        "normalise.reference": "Each indicator is measured as the distance to cluster {unit}, 1 \u2212 (x_ref "
                               "\u2212 x) / (x_ref \u2212 min), times {scale}{cap}.",
        "normalise.proportion": "Each indicator is expressed as a share of its maximum, x / max, times {scale}.",
        "weight.framework": "The framework's weights, renormalised among the children of each node.",
        "weight.equal": "Equal weights for the children of each node.",
        "weight.ahp": "Analytic hierarchy process: eigenvector priorities from the experts' pairwise comparisons "
                      "({pooling}), with Saaty's consistency ratio.",
        "weight.entropy": "Entropy weights: more weight to the children whose scores differ more across clusters.",
        "weight.critic": "CRITIC weights: contrast (standard deviation) times conflict (1 \u2212 correlation with "
                         "the other children).",
        "weight.pca": "Weights from principal components (eigenvalue at least {min_eigenvalue}, explained share at "
                      "least {min_share}{rotate}): squared loadings scaled to unity, factors weighted by the "
                      "variance they explain.",
        "weight.bod": "Benefit of the doubt: each cluster's most favourable weights, between {lower} and {upper}, "
                      "by linear programming.",
        "weight.optimised": "Weights optimised so that each child's correlation with the node's score matches "
                            "{target} ({optype}).",
        "weight.combined": "The {subjective} and {objective} weights combined: {rule}.",
        "aggregate.arithmetic": "Weighted arithmetic mean of the children{missing}.",
        "aggregate.geometric": "Weighted geometric mean of the children, so that a weak child is not fully "
                               "compensated by strong ones{missing}.",
        "aggregate.harmonic": "Weighted harmonic mean of the children{missing}.",
        "aggregate.power": "Weighted power mean of the children with exponent {p}{missing}.",
        "aggregate.topsis": "TOPSIS: relative closeness to the ideal cluster ({normalisation} normalisation), "
                            "times {scale}{missing}.",
        "aggregate.vikor": "VIKOR compromise score (1 \u2212 Q) times {scale}, Q weighing group utility against "
                           "individual regret with v = {v}{missing}.",
        "aggregate.copeland": "Copeland's pairwise outranking: wins minus losses against every other cluster, "
                              "rescaled to 0\u2013{scale}{missing}.",
        "rank.descending": "Rank 1 is the highest score; {ties}{decimals}.",
        # phrases
        "fallback.log": "if that does not suffice, the log of the untreated values is used instead",
        "fallback.none": "if that does not suffice, the winsorised values are kept",
        "cap.on": ", capped at the top of the scale",
        "cap.off": "",
        "cap.goalposts": ", capped where the goalposts say so",
        "ties.min": "ties share the best rank",
        "ties.max": "ties share the worst rank",
        "ties.average": "ties share their average rank",
        "ties.dense": "ties share the best rank, with no gaps after them",
        "decimals": ", after rounding scores to {decimals} decimals",
        "missing.reweight": " (a missing child's weight is shared among the children present)",
        "missing.propagate": " (a node with a missing child is missing)",
        "pooling.aij": "judgements pooled by geometric mean",
        "pooling.aip": "priorities pooled by geometric mean",
        "rotate.on": ", varimax-rotated",
        "rotate.off": "",
        "target.equal": "equal importances",
        "target.given": "the importances {target}",
        "optype.balance": "balanced",
        "optype.infomax": "sum of correlations maximised",
        "rule.product": "product, normalised to sum to 1",
        "rule.convex": "{share} of the first plus {rest} of the second",
        "normalisation.vector": "vector",
        "normalisation.minmax": "min-max",
        "at_level": "At level {level} ({what}): ",
        "level_nodes": "{n} nodes",
        "at_node": "For {name} ({code}): ",
    },
    "zh": {
        "denominate.framework": "指标体系指定了分母的指标除以该分母（{k} 项指标中的 {n} 项）。",
        "denominate.framework.0": "指标体系未指定分母，指标按原值使用。",
        "denominate.none": "不除以分母，指标按原值使用。",
        "transform.framework": "指标体系指定了变换（log 或 log1p）的指标作相应变换（{k} 项指标中的 {n} 项）。",
        "transform.framework.0": "指标体系未指定变换，指标按原值使用。",
        "transform.none": "不作变换。",
        "basis.relative": "得分为相对值：归一化统计量来自本文件中的集群，只反映它们之间的排序，"
                          "不能与其他文件或年份比较。",
        "basis.goalposts": "得分以框架的固定目标值为基准：各指标底线记 0 分、世界级水平记 100 分，超出部分封顶，"
                           "与文件中有哪些其他集群无关。",
        "basis.frozen": "得分以冻结的参照为基准（拟合于 {on}{clip}），用本方案评价的所有文件和年份均相同。",
        "basis.clip": "，超出其范围的数值封顶",
        "basis.noclip": "",
        "screen.none": "不论数据覆盖率，所有单元均参与评价。",
        "screen.coverage": "有数据的指标少于 {min_pct}% {dim_rule}的单元被筛除：列出其覆盖率，不参与排名与分级。",
        "screen.dim_rule": "或任一维度内少于 {dim_pct}% ",
        "impute.none": "缺失值不填补（由汇总步骤处理）。",
        "impute.mean": "缺失值以该指标在全部集群中的均值填补。",
        "impute.median": "缺失值以该指标在全部集群中的中位数填补。",
        "impute.group_mean": "缺失值以该指标在\u201c{group}\u201d相同的集群中的均值填补。",
        "impute.group_median": "缺失值以该指标在\u201c{group}\u201d相同的集群中的中位数填补。",
        "impute.locf": "缺失值沿用该集群此前年份的最近观测值（末次观测值结转）。",
        "impute.linear": "缺失值在该集群的观测年份之间线性插值（不外推）。",
        "impute.em": "缺失值取其在其他指标观测值下的条件均值，指标的多元正态分布由 EM 算法估计"
                     "（最多 {max_iter} 次迭代，容差 {tol}）。",
        "treat.boxcox": "各指标作博克斯-考克斯幂变换（除非配方固定 λ，否则按最大似然逐指标估计 λ；"
                        "最小值不为正时先平移为正值）。",
        "treat.none": "不处理异常值。",
        "treat.skew_kurtosis": "当指标的偏度绝对值不小于 {skew_max} 且峰度不小于 {kurt_max} 时，"
                               "逐个对最极端的值作缩尾处理（最多 {max_points} 个值）；{fallback}（COINr 的默认规则）。",
        "treat.winsorise": "各指标截断至其 {lower}% 与 {upper}% 分位数之间。",
        "normalise.minmax": "各指标按{range}线性缩放到 {lo}\u2013{hi}，数值越大越好。",
        "range.relative": "观测范围",
        "range.goalposts": "固定目标值（底线至世界级水平）",
        "range.frozen": "方案中冻结的参照范围",
        "normalise.zscore": "各指标标准化为均值 {mean}、标准差 {sd}。",
        "normalise.goalposts": "各指标按指标体系给定的上下限缩放到 0\u2013{scale}{cap}。",
        "normalise.rank": "各指标以集群在全部集群中的排名代替（数值越大排名越高；{ties}）。",
        "normalise.percentile": "各指标以其百分位排名代替，范围 0\u2013{scale}（{ties}）。",
        "normalise.target": "各指标以与指标体系所定世界级目标值的距离衡量，"
                            "1 − （目标值 − x）/（目标值 − 最小值），乘以 {scale}{cap}。",
        "normalise.frontier": "各指标以与最优集群的距离衡量，1 − （最大值 − x）/（最大值 − 最小值），"
                              "乘以 {scale}。",
        "normalise.reference": "各指标以与集群 {unit} 的距离衡量，1 − （参照值 − x）/（参照值 − 最小值），"
                               "乘以 {scale}{cap}。",
        "normalise.proportion": "各指标以占其最大值的比例衡量，x / 最大值，乘以 {scale}。",
        "weight.framework": "采用指标体系给定的权重，在每个节点的下级节点之间重新归一。",
        "weight.equal": "每个节点的下级节点等权。",
        "weight.ahp": "层次分析法：由专家两两比较判断求特征向量权重（{pooling}），并检验 Saaty 一致性比率。",
        "weight.entropy": "熵权法：各集群间得分差异越大的下级节点权重越高。",
        "weight.critic": "CRITIC 法：权重取对比强度（标准差）与冲突性（1 \u2212 与其他下级节点的相关系数）之积。",
        "weight.pca": "主成分法定权（特征值不小于 {min_eigenvalue}、解释比例不小于 {min_share}{rotate}）："
                      "载荷平方归一，各因子按解释方差加权。",
        "weight.bod": "“有利假设”（benefit of the doubt）法：以线性规划为每个集群求最有利的权重，"
                      "权重介于 {lower} 与 {upper} 之间。",
        "weight.optimised": "优化权重，使各下级节点与节点得分的相关性符合{target}（{optype}）。",
        "weight.combined": "组合 {subjective} 与 {objective} 两套权重：{rule}。",
        "aggregate.arithmetic": "对下级节点作加权算术平均{missing}。",
        "aggregate.geometric": "对下级节点作加权几何平均，使某一方面的短板不能被其他方面的长处完全弥补{missing}。",
        "aggregate.harmonic": "对下级节点作加权调和平均{missing}。",
        "aggregate.power": "对下级节点作指数为 {p} 的加权幂平均{missing}。",
        "aggregate.topsis": "TOPSIS 法：与理想集群的相对贴近度（{normalisation}规范化），乘以 {scale}{missing}。",
        "aggregate.vikor": "VIKOR 折中得分（1 \u2212 Q）乘以 {scale}，Q 以 v = {v} 权衡群体效用与个体遗憾{missing}。",
        "aggregate.copeland": "Copeland 两两优序法：对其他每个集群的胜数减负数，缩放到 0\u2013{scale}{missing}。",
        "rank.descending": "得分最高者排名第 1；{ties}{decimals}。",
        # phrases
        "fallback.log": "仍不满足时改用未处理数值的对数",
        "fallback.none": "仍不满足时保留缩尾后的数值",
        "cap.on": "，超过上限者按上限计",
        "cap.off": "",
        "cap.goalposts": "，按上下限的规定截顶",
        "ties.min": "并列者取最好名次",
        "ties.max": "并列者取最差名次",
        "ties.average": "并列者取平均名次",
        "ties.dense": "并列者取最好名次，其后名次不跳号",
        "decimals": "，排名前得分先保留 {decimals} 位小数",
        "missing.reweight": "（下级节点缺失时，其权重在其余节点间重新分配）",
        "missing.propagate": "（任一下级节点缺失则该节点缺失）",
        "pooling.aij": "以几何平均合并各专家的判断",
        "pooling.aip": "以几何平均合并各专家的权重",
        "rotate.on": "，经方差最大化旋转",
        "rotate.off": "",
        "target.equal": "相同的重要性",
        "target.given": "给定的重要性 {target}",
        "optype.balance": "平衡型",
        "optype.infomax": "相关性之和最大",
        "rule.product": "两者相乘后归一",
        "rule.convex": "前者占 {share}、后者占 {rest}",
        "normalisation.vector": "向量",
        "normalisation.minmax": "极差",
        "at_level": "第 {level} 层（{what}）：",
        "level_nodes": "{n} 个节点",
        "at_node": "{name}（{code}）：",
    },
}


@dataclass(frozen=True)
class StageText:
    """One stage of the recipe: its key, its name and sentence(s) in the report's language, and the exact steps
    (method and parameters, language-neutral)."""

    stage: str
    label: str
    text: str
    code: str


def _g(v: Any) -> str:
    """A number as written in a sentence: integers without a decimal point, others as short as exact."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    return f"{v:g}"


def _code_value(v: Any) -> str:
    if isinstance(v, tuple):
        return "[" + ", ".join(_code_value(x) for x in v) + "]"
    return _g(v) if isinstance(v, float) else str(v)


def step_code(step: Step) -> str:
    """The step as ``method (param value, ...)``: exact, and the same in every language."""
    params = ", ".join(f"{k} {_code_value(v)}" for k, v in step.params if v is not None)
    return f"{step.method} ({params})" if params else step.method


def _sub_name(spec: Any) -> str:
    """The method name of a ``combined`` weight's part (a name or a frozen ``{method: ...}`` mapping)."""
    if isinstance(spec, tuple):
        return str(dict(spec).get("method", spec))
    return str(spec)


def _fields(stage: str, step: Step, framework: Framework, phrases: Mapping[str, str], lang: str = "en"
            ) -> dict[str, Any]:
    """The template fields of a step: its parameters as written (a metadata column by its name in ``lang``), plus
    the phrases derived from them."""
    p = step.kwargs
    out: dict[str, Any] = {k: _g(v) for k, v in p.items()}
    if "group" in p:
        out["group"] = meta_column(str(p["group"]), lang)
    fw_nodes = [framework.by_code[c] for c in framework.indicators]
    out["k"] = len(fw_nodes)
    if stage == "denominate":
        out["n"] = sum(1 for n in fw_nodes if n.denominator)
    elif stage == "transform":
        out["n"] = sum(1 for n in fw_nodes if n.transform)
    if "fallback" in p:
        out["fallback"] = phrases[f"fallback.{p['fallback']}"]
    if stage == "treat" and step.method == "winsorise":
        out["lower"], out["upper"] = _g(round(100 * float(p["lower"]), 6)), _g(round(100 * float(p["upper"]), 6))
    if "cap" in p:
        out["cap"] = phrases["cap.goalposts" if p["cap"] is None else "cap.on" if p["cap"] else "cap.off"]
    if "ties" in p:
        out["ties"] = phrases[f"ties.{p['ties']}"]
    if stage == "screen" and step.method == "coverage":
        out["min_pct"] = _g(round(100 * float(p["min_share"]), 1))
        dim = float(p["min_dimension_share"])
        out["dim_rule"] = phrases["screen.dim_rule"].format(dim_pct=_g(round(100 * dim, 1))) if dim > 0 else ""
    if stage == "rank":
        dec = p.get("decimals")
        out["decimals"] = "" if dec is None else phrases["decimals"].format(decimals=dec)
    if "missing" in p:
        out["missing"] = phrases[f"missing.{p['missing']}"]
    if "pooling" in p:
        out["pooling"] = phrases[f"pooling.{p['pooling']}"]
    if "rotate" in p:
        out["rotate"] = phrases["rotate.on" if p["rotate"] else "rotate.off"]
    if "optype" in p:
        out["optype"] = phrases[f"optype.{p['optype']}"]
        target = p.get("target") or []
        out["target"] = (phrases["target.given"].format(target=", ".join(_g(t) for t in target)) if target
                         else phrases["target.equal"])
    if "rule" in p:
        share = float(p.get("share", 0.5))
        out["rule"] = phrases[f"rule.{p['rule']}"].format(share=_g(share), rest=_g(round(1 - share, 12)))
        out["subjective"], out["objective"] = _sub_name(p["subjective"]), _sub_name(p["objective"])
    if "normalisation" in p:
        out["normalisation"] = phrases[f"normalisation.{p['normalisation']}"]
    return out


def describe_step(stage: str, step: Step, framework: Framework, lang: str, *, omit: tuple[str, ...] = (),
                  basis: str = "relative") -> str:
    """One step in words, in ``lang``; the phrases named in ``omit`` (e.g. ``missing``, already said by the
    stage's default step) are left out."""
    strings(lang)  # refuses an unknown language
    phrases = SENTENCES[lang]
    key = f"{stage}.{step.method}"
    fields = _fields(stage, step, framework, phrases, lang)
    fields["range"] = phrases[f"range.{basis}"]
    fields.update((name, "") for name in omit if name in fields)
    if stage in ("denominate", "transform") and step.method == "framework" and fields["n"] == 0:
        key += ".0"
    template = phrases.get(key)
    if template is None:  # a method this module does not know: its exact name and parameters
        code = step_code(step)
        reg = STAGES.get(stage)
        summary = reg.get(step.method).summary if reg is not None and step.method in reg else ""
        return f"{code}: {summary}." if summary and lang == "en" else f"{code}."
    return template.format(**fields)


def _level_what(framework: Framework, level: int, lang: str) -> str:
    codes = framework.at_level(level)
    if len(codes) == 1:
        return framework.by_code[codes[0]].label(lang)
    return SENTENCES[lang]["level_nodes"].format(n=len(codes))


def _lower_first(s: str) -> str:
    """'Weighted mean' -> 'weighted mean' after a prefix; acronyms ('TOPSIS', 'CRITIC') keep their case."""
    return s[0].lower() + s[1:] if len(s) > 1 and s[0].isupper() and s[1].islower() else s


def describe_recipe(recipe: Recipe, framework: Framework, lang: str) -> list[StageText]:
    """Every stage of ``recipe`` in words, in ``lang``: the default step, then each per-level and per-node
    override (for weights and aggregation the level is that of the parent node: 2 = first level above the
    indicators)."""
    t = strings(lang)
    phrases = SENTENCES[lang]
    sep = " " if lang == "en" else ""
    out = []
    for stage in STAGE_ORDER:
        plan = recipe.plan(stage)
        kind = recipe.basis.kind
        parts = [describe_step(stage, plan.default, framework, lang, basis=kind)]
        codes = [step_code(plan.default)]
        said = plan.default.kwargs

        def override(step: Step, _said: dict[str, Any] = said, _stage: str = stage) -> str:
            same = tuple(k for k in ("missing",) if k in _said and step.kwargs.get(k) == _said[k])
            return _lower_first(describe_step(_stage, step, framework, lang, omit=same, basis=recipe.basis.kind))

        for level, step in plan.levels:
            prefix = phrases["at_level"].format(level=level, what=_level_what(framework, level, lang))
            parts.append(prefix + override(step))
            codes.append(f"{t['at_level'].format(level=level)}: {step_code(step)}")
        for code, step in plan.nodes:
            name = framework.by_code[code].label(lang) if code in framework.by_code else code
            parts.append(phrases["at_node"].format(name=name, code=code) + override(step))
            codes.append(f"{code}: {step_code(step)}")
        out.append(StageText(stage, t[f"stage_{stage}"], sep.join(parts), "; ".join(codes)))
    basis = recipe.basis
    out.insert(0, StageText("basis", t["stage_basis"], phrases[f"basis.{basis.kind}"].format(
        on=basis.fitted_on, clip=phrases["basis.clip" if basis.clip else "basis.noclip"]), basis.kind))
    return out
