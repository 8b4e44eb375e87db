"""Grading: schemes of ordered tiers as data (:mod:`._scheme`) and the vectorised tier kernel (:mod:`._kernel`).

Part of the core: a recipe carries its scheme, and results and robustness grade with the kernel. Reasons in words,
transitions over years and the grade table of a result are analyses (:mod:`clusterleap.analysis._grades`).
"""

from ._kernel import BoolArray, HasComparable, IntArray, TierCheck, check_basis, criteria_array, eligible, tier_array
from ._scheme import (
    ALL_DIMENSIONS,
    Criterion,
    GradingScheme,
    Tier,
    builtin_schemes,
    default_scheme,
    load_scheme,
    observatory_scheme,
)

__all__ = [
    "ALL_DIMENSIONS",
    "BoolArray",
    "Criterion",
    "GradingScheme",
    "HasComparable",
    "IntArray",
    "Tier",
    "TierCheck",
    "builtin_schemes",
    "check_basis",
    "criteria_array",
    "default_scheme",
    "eligible",
    "load_scheme",
    "observatory_scheme",
    "tier_array",
]
