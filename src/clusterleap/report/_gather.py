"""Gathering what a report shows: the analyses run on the result (cluster analytics, coherence, trends) and the
robustness tables, checked against the result; :func:`build_report` puts them into a :class:`~._view.Report`.

A section appears when its data does: analytics when :func:`clusterleap.analysis.analyse` runs on the
result; robustness when tables of ``clusterleap robustness --out DIR`` (or a
:class:`~clusterleap.robustness.Samples`) are given; trends when the data has more than one year up to the
result's.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .._result import Result
from ..analysis._coherence import coherence_report
from ..analysis._profile import Analytics, analyse
from ..analysis._trends import Trends, trends
from ..errors import ClusterleapError, DataWarning
from ..robustness import Samples
from ..robustness._folder import Robustness, load_robustness
from ._i18n import strings
from ._selection import select_profiles
from ._view import MAX_PROFILES, Report

__all__ = ["build_report"]


def _coherence(result: Result) -> dict[str, pd.DataFrame] | None:
    if len(result.units) < 3:
        return None
    return coherence_report(result)


def _trends(result: Result) -> Trends | None:
    years = [y for y in result.data.years if y <= result.year]
    if len(years) < 2:
        return None
    # the data before screening: trends screen each year themselves
    return trends(result.framework, result.source_data, result.recipe, years)


def build_report(
    result: Result,
    *,
    lang: str = "en",
    analytics: Analytics | bool = True,
    robustness: Robustness | Samples | str | Path | None = None,
    coherence: bool = True,
    trends: Trends | bool = True,
    title: str = "",
    profiles: str | Sequence[str] | None = "all",
    max_profiles: int | None = MAX_PROFILES,
) -> Report:
    """Assemble a report of ``result`` in ``lang`` ('en' or 'zh').

    ``analytics``: True runs :func:`clusterleap.analysis.analyse` with its defaults, an
    :class:`~clusterleap.analysis.Analytics` is used as given, False leaves grades, types and profiles out;
    ``robustness``: a folder written by ``clusterleap robustness --out``, a :class:`Robustness` or a
    :class:`~clusterleap.robustness.Samples` (checked to be of the same framework, year and clusters);
    ``coherence``: correlations, Cronbach's alpha and flags; ``trends``: True monitors every year of the data up to
    the result's when there are two or more; ``title``: replaces the default title; ``profiles``: which clusters
    get a profile (:func:`~clusterleap.report._selection.select_profiles`: 'all', 'domestic', 'none', 'top:N',
    'domestic:N' or unit codes);
    ``max_profiles``: at most that many of them, the first in rank order (None: no cap; 0: none)."""
    t = strings(lang)
    notes: list[str] = []
    an: Analytics | None = None
    if analytics is True:
        try:
            an = analyse(result)
        except ClusterleapError as exc:  # e.g. a framework too small for types: the report goes on without
            notes.append(t["no_analytics"].format(reason=exc))
    elif analytics is not False:
        an = analytics
    rob = load_robustness(robustness)
    if rob is not None:
        rob.check(result)
    tr: Trends | None = None if trends is True or trends is False else trends
    if trends is True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            try:
                tr = _trends(result)
            except ClusterleapError as exc:
                notes.append(t["no_trends"].format(reason=exc))
    chosen = select_profiles(result, profiles)
    return Report(result, lang, an, rob, _coherence(result) if coherence else None, tr, title, tuple(notes),
                  max_profiles=max_profiles, profile_units=chosen)
