"""Every fixed string of the web pages, in English and Chinese (both languages have the same keys; a test checks
it)."""

from __future__ import annotations

__all__ = ["LANGS", "STRINGS", "t"]

LANGS = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "app": "clusterleap", "tagline": "Evaluation rounds of advanced manufacturing clusters",
        "login": "Log in", "logout": "Log out", "username": "User name", "password": "Password",
        "login_failed": "User name or password is wrong.", "login_throttled":
        "Too many failed logins: wait 15 minutes and try again.", "login_csrf":
        "The login form expired: please try again.",
        "rounds": "Rounds", "ranking": "Ranking", "submissions": "Submissions", "audit": "Audit log",
        "round": "Round", "year": "Year", "state": "State", "framework": "Framework", "recipe": "Recipe",
        "collecting": "collecting data", "published": "published", "draft": "draft", "submitted": "submitted",
        "returned": "returned", "accepted": "accepted", "not_entered": "not entered",
        "rank": "Rank", "cluster": "Cluster", "index": "Index", "grade": "Grade", "type": "Type",
        "sector": "Sector", "region": "Region", "all": "all", "filter": "Filter", "benchmarks": "Benchmark clusters",
        "benchmarks_note": "Benchmarks are scored on the same basis as the domestic clusters, listed apart as "
                           "references and not graded; ranks count every evaluated cluster.",
        "domestic": "Domestic clusters", "no_results": "No published results in this round yet.",
        "illustrative": "Illustrative data: invented clusters, not real measurements.",
        "profile": "Profile", "radar_title": "Dimension scores against the benchmark median",
        "this_cluster": "This cluster", "benchmark_median": "Benchmark median",
        "strengths": "Strengths", "short_boards": "Short boards", "gaps": "Gaps to the benchmark",
        "actions": "Policy actions", "because": "Because", "history": "History over rounds",
        "reason": "Why this grade", "contribution": "Contribution to the gap", "node": "Node",
        "score": "Score", "peer_rank": "Rank among peers", "level": "Level", "gap": "Gap",
        "enter_data": "Enter data", "save_draft": "Save draft", "submit": "Submit for review",
        "accept": "Accept", "return": "Return with comment", "comment": "Comment", "version": "Version",
        "by": "by", "at": "at", "values": "Values", "unit": "Unit", "definition": "Definition",
        "plausible": "Last round's range", "allowed": "Allowed", "field_errors": "Some values need correcting:",
        "saved": "Saved.", "submitted_ok": "Submitted for review.", "returned_note": "Returned by the analyst:",
        "evaluate": "Evaluate accepted submissions", "publish": "Publish the latest run", "runs": "Evaluation runs",
        "run": "Run", "clusters_n": "clusters", "report": "Report", "download": "Download",
        "when": "When", "who": "Who", "what": "What", "object": "Object", "detail": "Detail",
        "language": "中文", "other_lang": "zh", "no_rounds": "No rounds to show.",
        "denominator_of": "Denominator of", "read_only": "This submission can no longer be changed.",
        "not_found": "Not found", "forbidden": "Not allowed", "error": "Error", "back": "Back",
        "review": "Review", "open": "Open", "overview": "Overview", "of": "of", "n_accepted": "accepted",
        "evaluated_units": "Evaluated clusters", "latest_run": "Latest run", "none": "none",
        "rank_history": "Rank over rounds", "index_history": "Index over rounds", "compare": "Compare",
        "warning": "Check", "signed_in_as": "Signed in as", "api": "API", "benchmark": "benchmark",
        "n_clusters": "Clusters", "compare_hint": "tick 2 to 4 clusters, then compare them",
        "trends": "Trends across rounds", "domestic_mean": "Domestic mean index",
        "domestic_median": "Domestic median index",
        "trends_note": "Each round is evaluated on its own year's data (normalised within the round), so the levels "
                       "compare clusters within a round; read changes across rounds as changes of standing.",
        "trends_note_comparable": "Every round is scored on the same fixed basis (the recipe's goalposts or frozen "
                                  "reference), so a cluster's index means the same in every round.",
    },
    "zh": {
        "app": "clusterleap", "tagline": "先进制造业集群评价轮次",
        "login": "登录", "logout": "退出", "username": "用户名", "password": "密码",
        "login_failed": "用户名或密码错误。", "login_throttled": "登录失败次数过多：请 15 分钟后再试。",
        "login_csrf": "登录表单已过期：请重试。",
        "rounds": "评价轮次", "ranking": "排名", "submissions": "数据填报", "audit": "审计日志",
        "round": "轮次", "year": "年份", "state": "状态", "framework": "指标体系", "recipe": "方法配方",
        "collecting": "数据收集中", "published": "已发布", "draft": "草稿", "submitted": "已提交",
        "returned": "已退回", "accepted": "已接受", "not_entered": "未填报",
        "rank": "排名", "cluster": "集群", "index": "指数", "grade": "等级", "type": "类型",
        "sector": "领域", "region": "地区", "all": "全部", "filter": "筛选", "benchmarks": "标杆集群",
        "benchmarks_note": "标杆集群与国内集群按同一评分基准计分，作为参照单独列出，不参与分级；排名包含所有参评集群。",
        "domestic": "国内集群", "no_results": "本轮尚无已发布的结果。",
        "illustrative": "示例数据：虚构的集群，并非真实测量值。",
        "profile": "画像", "radar_title": "各维度得分与标杆中位数对比",
        "this_cluster": "本集群", "benchmark_median": "标杆中位数",
        "strengths": "优势", "short_boards": "短板", "gaps": "与标杆的差距",
        "actions": "政策建议", "because": "依据", "history": "历轮表现",
        "reason": "分级理由", "contribution": "对差距的贡献", "node": "节点",
        "score": "得分", "peer_rank": "同类排名", "level": "层级", "gap": "差距",
        "enter_data": "填报数据", "save_draft": "保存草稿", "submit": "提交审核",
        "accept": "接受", "return": "退回并附意见", "comment": "意见", "version": "版本",
        "by": "由", "at": "于", "values": "数值", "unit": "单位", "definition": "定义",
        "plausible": "上一轮取值范围", "allowed": "允许范围", "field_errors": "以下数值需要更正：",
        "saved": "已保存。", "submitted_ok": "已提交审核。", "returned_note": "分析人员退回意见：",
        "evaluate": "评价已接受的填报", "publish": "发布最新评价", "runs": "评价记录",
        "run": "评价", "clusters_n": "个集群", "report": "报告", "download": "下载",
        "when": "时间", "who": "用户", "what": "操作", "object": "对象", "detail": "详情",
        "language": "English", "other_lang": "en", "no_rounds": "暂无可显示的轮次。",
        "denominator_of": "作为分母用于", "read_only": "该填报已不能修改。",
        "not_found": "未找到", "forbidden": "无权操作", "error": "错误", "back": "返回",
        "review": "审核", "open": "打开", "overview": "概览", "of": "/", "n_accepted": "已接受",
        "evaluated_units": "参评集群", "latest_run": "最新评价", "none": "无",
        "rank_history": "历轮排名", "index_history": "历轮指数", "compare": "对比",
        "warning": "请核对", "signed_in_as": "当前用户", "api": "API", "benchmark": "标杆",
        "n_clusters": "集群数", "compare_hint": "勾选 2 至 4 个集群进行对比",
        "trends": "历轮趋势", "domestic_mean": "国内集群平均指数", "domestic_median": "国内集群指数中位数",
        "trends_note": "每轮按当年数据评价（在本轮内标准化），指数用于同一轮内的比较；跨轮变化应理解为相对位置的变化。",
        "trends_note_comparable": "各轮均按同一固定评分基准（方案的目标值或冻结参照）计分，集群指数在各轮含义相同。",
    },
}


# -- robustness analyses (background jobs) and the rank interval of the cluster page ---------------------------------
STRINGS["en"].update({
    "robustness": "Robustness", "robustness_title": "Robustness analyses",
    "robustness_intro": "Each sample re-evaluates the round with one draw of the contestable choices (the "
                        "uncertainty space); a cluster's rank interval is the 5th to 95th percentile of its ranks "
                        "over the samples. The analysis runs in the background: you may leave this page.",
    "start_analysis": "Start an analysis", "samples": "Samples", "seed": "Seed",
    "seed_hint": "empty: drawn and recorded",
    "space": "Uncertainty space (YAML)", "space_hint": "empty: every weight but the root's varies by ±25 %",
    "start": "Start", "cancel": "Cancel", "job": "Analysis", "progress": "Progress", "started": "Started",
    "finished": "Finished", "job_queued": "waiting", "job_preparing": "preparing", "job_propagating": "propagating",
    "job_summarising": "summarising", "job_running": "running", "job_done": "done", "job_failed": "failed",
    "job_cancelled": "cancelled",
    "job_interrupted": "interrupted (the server stopped; start it again)", "no_jobs": "No analysis of this round yet.",
    "results_of": "Results of analysis", "rank_interval": "Rank interval (5–95 %)", "median_rank": "Median rank",
    "nominal_rank": "Rank", "mean_shift": "Mean rank shift", "grade_probabilities": "Grade probabilities",
    "messages": "Messages", "provenance": "Provenance", "no_messages": "Every sample gave every cluster a score.",
    "rank_interval_note": "From robustness analysis #{job} ({samples} samples): the rank lies in this interval in 90 % "
                          "of the samples.", "show": "Show", "of_run": "of run", "failed_samples": "Failed samples",
    "not_graded": "reference, not graded", "grade_share": "Grade {grade} in {p} % of the samples.",
    "seconds": "seconds", "factors": "Factors",
})
STRINGS["zh"].update({
    "robustness": "稳健性", "robustness_title": "稳健性分析",
    "robustness_intro": "每个样本按不确定空间中有争议选择的一次抽样重新评价本轮；"
                        "集群的排名区间为其在各样本中排名的第 5 至第 95 百分位。分析在后台运行，可离开本页。",
    "start_analysis": "开始分析", "samples": "样本数", "seed": "随机种子", "seed_hint": "留空：自动抽取并记录",
    "space": "不确定空间（YAML）", "space_hint": "留空：除根节点外所有权重在 ±25% 内变化",
    "start": "开始", "cancel": "取消", "job": "分析", "progress": "进度", "started": "开始时间",
    "finished": "结束时间", "job_queued": "等待中", "job_preparing": "准备中", "job_propagating": "计算中",
    "job_summarising": "汇总中", "job_running": "运行中", "job_done": "已完成", "job_failed": "失败",
    "job_cancelled": "已取消",
    "job_interrupted": "已中断（服务器曾停止，请重新开始）", "no_jobs": "本轮尚无稳健性分析。",
    "results_of": "分析结果", "rank_interval": "排名区间（5–95%）", "median_rank": "排名中位数",
    "nominal_rank": "排名", "mean_shift": "平均排名变动", "grade_probabilities": "等级概率",
    "messages": "提示", "provenance": "来源", "no_messages": "所有样本均为每个集群给出了得分。",
    "rank_interval_note": "来自稳健性分析 #{job}（{samples} 个样本）：90% 的样本中排名落在此区间。", "show": "查看",
    "of_run": "评价", "failed_samples": "失败样本", "not_graded": "参照，不分级",
    "grade_share": "{p}% 的样本中等级为{grade}。", "seconds": "秒", "factors": "因素",
})


def t(lang: str, key: str) -> str:
    """The string ``key`` in ``lang`` (English when the language is unknown)."""
    return STRINGS.get(lang, STRINGS["en"])[key]


# -- administration: accounts, frameworks, recipes, rounds, the data template (serve/admin.py) ----------------------
_ADMIN: dict[str, dict[str, str]] = {
    "en": {
        "admin": "Administration", "accounts": "Accounts", "frameworks": "Frameworks", "recipes": "Recipes",
        "rounds_admin": "Manage rounds", "new_account": "New account", "role": "Role", "clusters": "Clusters",
        "role_admin": "admin", "role_analyst": "analyst", "role_contributor": "contributor", "role_viewer": "viewer",
        "clusters_hint": "Contributors only: the codes of their clusters, separated by commas.",
        "password_hint": "Leave empty to generate a strong password, shown once.",
        "create": "Create", "active": "active", "disabled": "disabled", "disable": "Disable", "enable": "Enable",
        "generated_password": "Generated password, shown this once: pass it on by a safe channel.",
        "you": "you", "account_state": "Account",
        "upload_framework": "Upload a framework",
        "framework_file_hint": "A YAML framework (it may include the built-in indicator pool with "
                               "{code}) or COINr's iMeta table as CSV or xlsx. The engine checks "
                               "it; every upload becomes a new version and nothing is overwritten.",
        "file": "File", "upload": "Upload", "name": "Name", "title": "Title", "origin": "Origin",
        "origin_builtin": "built in", "origin_upload": "uploaded", "obj_round": "round", "obj_run": "run",
        "obj_recipe": "recipe", "obj_framework": "framework", "obj_submission": "submission", "obj_user": "account",
        "obj_job": "analysis", "obj_cluster": "cluster",
        "indicators": "Indicators", "used_by": "Rounds", "builtin_frameworks": "Built-in frameworks",
        "add_version": "Add as a version", "latest_version": "In the workspace", "not_in_workspace": "not yet",
        "new_round": "New round", "grading_scheme": "Grading scheme",
        "grading_default": "the recipe's own, or the default of its scoring basis",
        "title_optional": "Title (optional)", "open_round": "Open for submissions",
        "close_round": "Close for submissions", "closed": "closed", "created": "Created",
        "round_open_hint": "A new round opens for submissions at once; close it when the collection ends.",
        "recipe_form": "Form", "recipe_yaml": "YAML view", "save_version": "Save as a new version",
        "basis": "Scoring basis", "basis_relative": "relative: ranks the clusters of the round",
        "basis_goalposts": "goalposts: fixed bounds from the framework (comparable over rounds)",
        "basis_frozen": "frozen reference (kept from this version)",
        "stage_screen": "Screening", "stage_denominate": "Denominators", "stage_transform": "Transformation",
        "stage_impute": "Imputation", "stage_treat": "Outlier treatment", "stage_normalise": "Normalisation",
        "stage_weight": "Weighting", "stage_aggregate": "Aggregation", "stage_rank": "Ranking",
        "stage": "Stage", "method": "Method", "parameters": "Parameters", "required": "required",
        "no_params": "no parameters",
        "relative_method": "draws on the other clusters", "overrides_kept": "Kept from this version:",
        "recipe_edit_hint": "Saving makes a new version of the recipe; the version shown stays as it is.",
        "yaml_hint": "The whole recipe as YAML, including overrides per level or node and a frozen basis.",
        "version_of": "version",
        "upload_title": "Data template", "template_download": "Download the template",
        "template_hint": "One row per cluster you enter data for, with the values entered so far; the xlsx file "
                         "also defines every input (names, unit, definition, allowed range).",
        "upload_file": "Filled-in template (CSV or xlsx)", "submit_after": "Submit for review at once",
        "upload_rule": "All or nothing: when any value fails a check nothing is saved, and every problem is "
                       "listed with its cluster and its cell.",
        "problems": "Problems", "field": "Field", "where_what": "Cell and problem",
        "upload_template": "Upload a template",
        "not_collecting": "This round does not take data now.", "inputs": "inputs",
        "colon": ": ", "stop": ". ", "comma": ", ", "reference_levels": "Goalposts (no earlier round to compare with)",
        "floor": "floor", "world_class_level": "world-class level",
        "grading_from_recipe": "the recipe's", "grading_from_basis": "default of the basis",
        "up_to_date": "up to date",
        "upload_staff_note": "Data are entered by the clusters' contributors (or an admin); analysts review them.",
        "grading_custom": "tiers built below", "grading_keep": "the recipe's own scheme (edit it in the YAML view)",
        "scheme_builder": "Grading scheme: tiers, highest first",
        "scheme_help": "A cluster gets the first tier whose every condition it meets; leave a condition empty to "
                       "skip it, and leave the last tier without conditions to grade every other cluster. Index "
                       "and floors are on the scale of the normalisation (0-100 with min-max); fixed numbers need "
                       "a comparable scoring basis (goalposts).",
        "scheme_name": "Scheme name", "tier": "Tier", "tier_code": "Code", "tier_name_en": "Name (English)",
        "tier_name_zh": "Name (Chinese)", "tier_min_score": "Index at least", "tier_floor": "Every dimension at least",
        "tier_top_percent": "Among the top %", "tier_benchmark_margin": "Within points of the benchmark median",
        "add_tier": "Add a tier", "remove_tier": "Remove",
    },
    "zh": {
        "admin": "系统管理", "accounts": "账户", "frameworks": "指标体系", "recipes": "方法配方",
        "rounds_admin": "管理轮次", "new_account": "新建账户", "role": "角色", "clusters": "集群",
        "role_admin": "管理员", "role_analyst": "分析人员", "role_contributor": "填报单位", "role_viewer": "查看者",
        "clusters_hint": "仅填报单位需要：其负责集群的代码，用逗号分隔。",
        "password_hint": "留空则生成一个强密码（仅显示一次）。",
        "create": "创建", "active": "启用", "disabled": "已停用", "disable": "停用", "enable": "启用",
        "generated_password": "生成的密码仅显示这一次：请通过安全渠道转交。",
        "you": "本人", "account_state": "账户状态",
        "upload_framework": "上传指标体系",
        "framework_file_hint": "YAML 格式的指标体系（可用 {code} 引用内置指标库），或 COINr 的 iMeta 表"
                               "（CSV 或 xlsx）。由评价引擎校验；每次上传生成新版本，不覆盖已有版本。",
        "file": "文件", "upload": "上传", "name": "名称", "title": "标题", "origin": "来源",
        "origin_builtin": "内置", "origin_upload": "上传", "obj_round": "轮次", "obj_run": "评价运行",
        "obj_recipe": "方法配方", "obj_framework": "指标体系", "obj_submission": "填报", "obj_user": "账户",
        "obj_job": "分析任务", "obj_cluster": "集群",
        "indicators": "指标数", "used_by": "轮次", "builtin_frameworks": "内置指标体系",
        "add_version": "添加为新版本", "latest_version": "工作区中的版本", "not_in_workspace": "尚未添加",
        "new_round": "新建轮次", "grading_scheme": "分级方案",
        "grading_default": "采用方法配方自带的方案，或其评分基准的默认方案",
        "title_optional": "标题（可选）", "open_round": "开放填报", "close_round": "关闭填报", "closed": "已关闭填报",
        "created": "创建时间",
        "round_open_hint": "新轮次创建后即开放填报；数据收集结束时请关闭填报。",
        "recipe_form": "表单", "recipe_yaml": "YAML 视图", "save_version": "保存为新版本",
        "basis": "评分基准", "basis_relative": "相对：在本轮集群之间排序",
        "basis_goalposts": "目标值：采用指标体系的固定上下限（各轮可比）",
        "basis_frozen": "冻结参照（沿用本版本）",
        "stage_screen": "筛选", "stage_denominate": "分母处理", "stage_transform": "变换",
        "stage_impute": "缺失值插补", "stage_treat": "异常值处理", "stage_normalise": "标准化",
        "stage_weight": "赋权", "stage_aggregate": "加总", "stage_rank": "排名",
        "stage": "阶段", "method": "方法", "parameters": "参数", "required": "必填", "no_params": "无参数",
        "relative_method": "依赖其他集群", "overrides_kept": "沿用本版本的设置：",
        "recipe_edit_hint": "保存会生成方法配方的新版本；当前显示的版本保持不变。",
        "yaml_hint": "以 YAML 表示的完整方法配方，包括按层级或节点的设置以及冻结参照。",
        "version_of": "版本",
        "upload_title": "数据模板", "template_download": "下载模板",
        "template_hint": "每个由您填报的集群一行，含已填写的数值；xlsx 文件另附各指标的说明"
                         "（名称、单位、定义、允许范围）。",
        "upload_file": "填好的模板（CSV 或 xlsx）", "submit_after": "上传后直接提交审核",
        "upload_rule": "全部成功才保存：任何数值未通过校验时不保存任何数据，并按集群和单元格列出所有问题。",
        "problems": "问题", "field": "字段", "where_what": "单元格与问题", "upload_template": "上传数据模板",
        "not_collecting": "本轮当前不接受数据填报。", "inputs": "项",
        "colon": "：", "stop": "。", "comma": "，", "reference_levels": "目标值（尚无上一轮数据可供对照）",
        "floor": "底线", "world_class_level": "世界级水平",
        "grading_from_recipe": "方法配方自带", "grading_from_basis": "评分基准的默认方案",
        "up_to_date": "已是最新",
        "upload_staff_note": "数据由各集群的填报单位（或管理员）填报；分析人员负责审核。",
        "grading_custom": "在下方设定等级", "grading_keep": "方法配方自带的方案（请在 YAML 视图中修改）",
        "scheme_builder": "分级方案：各等级由高到低",
        "scheme_help": "集群归入其满足全部条件的第一个等级；不需要的条件留空即可，"
                       "最后一个等级不设条件则涵盖其余集群。综合指数和底线采用标准化后的量纲"
                       "（最小-最大标准化为 0-100）；固定数值需要可比的评分基准（目标值法）。",
        "scheme_name": "方案名称", "tier": "等级", "tier_code": "代码", "tier_name_en": "英文名称",
        "tier_name_zh": "中文名称", "tier_min_score": "综合指数不低于", "tier_floor": "各维度得分不低于",
        "tier_top_percent": "位列前百分之", "tier_benchmark_margin": "与标杆中位数相差不超过（分）",
        "add_tier": "增加等级", "remove_tier": "删除",
    },
}
for _lang in LANGS:
    STRINGS[_lang].update(_ADMIN[_lang])
