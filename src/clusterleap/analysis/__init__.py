"""Analyses on top of results: cluster grades with their reasons, types, profiles, gaps to a benchmark, policy
actions, trends over years, the statistical coherence of the framework and weights explained.

Every name here is public; the modules behind them (``_grades``, ``_gaps``, ...) are not. See docs/analytics.md.
"""

from ._actions import TRIGGERS, ActionRule, builtin_actions_path, load_actions, recommend
from ._coherence import (
    coherence_report,
    correlation_flags,
    correlation_matrix,
    correlation_table,
    cronbach,
    cronbach_alpha,
    pca,
)
from ._diagnostics import (
    frontier_gains,
    marginal_gains,
    obstacle_degrees,
    short_boards,
    standing,
    unit_interval,
)
from ._gaps import (
    UNITWISE,
    Gaps,
    decompose,
    gaps,
    is_unitwise,
    reaggregate,
    reference_indicators,
    reference_scores,
    unit_hint,
)
from ._grades import UNGRADED, assign_grades, grades, scheme_for, transition_matrix
from ._importance import importance
from ._panel_measures import (
    COORDINATION_CLASSES,
    Dagum,
    cagr,
    coordination_class,
    coupling_coordination,
    dagum,
    gini,
    linear_crossing,
    reach_year,
)
from ._profile import Analytics, Profile, analyse, profile
from ._shapley import MAX_SHAPLEY_BYTES, MAX_SHAPLEY_CHILDREN, PATH_AVERAGE, SHAPLEY, decomposition_method, shapley
from ._trends import Trends, dimension_scale, panel_scores, trends
from ._types import TypeRule, Typology, builtin_rules_path, load_rules, profile_types, types, typology

__all__ = [
    "COORDINATION_CLASSES",
    "MAX_SHAPLEY_BYTES",
    "MAX_SHAPLEY_CHILDREN",
    "PATH_AVERAGE",
    "SHAPLEY",
    "TRIGGERS",
    "UNGRADED",
    "UNITWISE",
    "ActionRule",
    "Analytics",
    "Dagum",
    "Gaps",
    "Profile",
    "Trends",
    "TypeRule",
    "Typology",
    "analyse",
    "assign_grades",
    "builtin_actions_path",
    "builtin_rules_path",
    "cagr",
    "coherence_report",
    "coordination_class",
    "correlation_flags",
    "correlation_matrix",
    "correlation_table",
    "coupling_coordination",
    "cronbach",
    "cronbach_alpha",
    "dagum",
    "decompose",
    "decomposition_method",
    "dimension_scale",
    "frontier_gains",
    "gaps",
    "gini",
    "grades",
    "importance",
    "is_unitwise",
    "linear_crossing",
    "load_actions",
    "load_rules",
    "marginal_gains",
    "obstacle_degrees",
    "panel_scores",
    "pca",
    "profile",
    "profile_types",
    "reach_year",
    "reaggregate",
    "recommend",
    "reference_indicators",
    "reference_scores",
    "scheme_for",
    "shapley",
    "short_boards",
    "standing",
    "transition_matrix",
    "trends",
    "types",
    "typology",
    "unit_hint",
    "unit_interval",
]
