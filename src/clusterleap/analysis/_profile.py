"""The profile of one cluster, and :class:`Analytics`, every cluster analysis of one result together: grades,
types, standing against peers and benchmarks, obstacle degrees, gains (``_diagnostics``), gaps to the benchmark
(``_gaps``) and the policy actions they trigger (``_actions``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._files import write_atomic_dir
from .._result import write_tables_noting
from ._actions import load_actions, recommend
from ._diagnostics import check_unit, frontier_gains, marginal_gains, obstacle_degrees, pick_boards, standing
from ._diagnostics import scale_bounds as scale_bounds  # where the report has always found it
from ._gaps import Gaps
from ._gaps import gaps as gap_analysis
from ._grades import grades
from ._types import types

if TYPE_CHECKING:
    from .._result import Result
    from ..grading import GradingScheme

__all__ = ["Analytics", "Profile", "analyse", "profile"]


# -- everything together ------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Profile:
    """One cluster's profile. Every number is a cell of a table of :class:`Analytics` (or of the result), keyed the
    same way: ``scores`` / ``ranks`` are rows of ``result.scores`` / ``result.ranks``; ``grade`` of
    ``analytics.grades``; ``type`` of ``analytics.types``; ``strengths`` and ``short_boards`` rows of
    ``analytics.standing``; ``gaps`` rows of ``analytics.gaps`` (see :meth:`Gaps.for_unit`); ``obstacles`` and
    ``gains`` cells of ``analytics.obstacles`` and ``analytics.gains``; ``actions`` rows of ``analytics.actions``."""

    unit: str
    name: str
    year: int
    index: str
    scores: pd.Series
    ranks: pd.Series
    grade: pd.Series
    type: pd.Series
    strengths: pd.DataFrame
    short_boards: pd.DataFrame
    gaps: pd.DataFrame
    obstacles: pd.Series
    gains: pd.Series
    actions: pd.DataFrame
    illustrative: bool = False
    n_units: int = 0
    benchmark: str = ""

    @property
    def score(self) -> float:
        return float(self.scores[self.index])

    @property
    def rank(self) -> float:
        return float(self.ranks[self.index])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as None)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return None if np.isnan(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            if isinstance(v, np.bool_):
                return bool(v)
            if v is pd.NA:
                return None
            return v

        def series(s: pd.Series) -> dict[str, Any]:
            return {str(k): clean(v) for k, v in s.items()}

        def frame(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(df.index.name or "key"): str(i), **series(r)} for i, r in df.iterrows()]

        return {
            "unit": self.unit, "name": self.name, "year": self.year, "index": self.index,
            "score": clean(self.score), "rank": clean(self.rank), "n_units": self.n_units,
            "illustrative": self.illustrative, "benchmark": self.benchmark,
            "scores": series(self.scores), "ranks": series(self.ranks), "grade": series(self.grade),
            "type": series(self.type), "strengths": frame(self.strengths), "short_boards": frame(self.short_boards),
            "gaps": frame(self.gaps), "obstacles": series(self.obstacles), "gains": series(self.gains),
            "actions": frame(self.actions),
        }


@dataclass(frozen=True, eq=False)
class Analytics:
    """Every cluster analysis of one result, as tables keyed like the result's (``unit`` rows; ``node`` columns or
    a (unit, node) index): grades, types, standing against peers and benchmarks, obstacle degrees, marginal and
    frontier gains, gaps to the benchmark and the policy actions they trigger."""

    result: Result
    peer: str | None
    grades: pd.DataFrame
    types: pd.DataFrame
    standing: pd.DataFrame
    obstacles: pd.DataFrame
    gains: pd.DataFrame
    frontier_gains: pd.DataFrame
    gaps: Gaps
    actions: pd.DataFrame
    n: int = 3
    notes: tuple[str, ...] = field(default=())

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by file name stem (for ``write``)."""
        return {"grades": self.grades, "types": self.types, "standing": self.standing,
                "obstacles": self.obstacles, "gains": self.gains, "frontier_gains": self.frontier_gains,
                **self.gaps.tables(), "actions": self.actions}

    @cached_property
    def _root(self) -> str:
        return self.result.framework.root.code

    @cached_property
    def _standing_rows(self) -> dict[Any, npt.NDArray[np.intp]]:
        """Positions of each unit's rows in :attr:`standing`, found once (a profile per unit stays linear)."""
        return {u: np.asarray(p, dtype=np.intp) for u, p in self.standing.groupby(level="unit", sort=False)
                .indices.items()}

    @cached_property
    def _action_rows(self) -> dict[Any, npt.NDArray[np.intp]]:
        """Positions of each unit's rows in :attr:`actions`."""
        if not len(self.actions):
            return {}
        return {u: np.asarray(p, dtype=np.intp) for u, p in self.actions.groupby("unit", sort=False).indices.items()}

    def profile(self, unit: str) -> Profile:
        """The profile of one unit (its rows of every table)."""
        i = check_unit(self.result, unit)
        fw = self.result.framework
        ind = list(fw.indicators)
        obst = _row(self.obstacles, unit)[ind].dropna().sort_values(ascending=False).head(5)
        gains = _row(self.gains, unit).dropna().sort_values(ascending=False).head(5)
        gap_rows = self.gaps.for_unit(unit)
        dims = list(fw.children[self._root])
        gap_rows = gap_rows[gap_rows.index.isin(dims)].sort_values("contribution", ascending=False)
        acts = self.actions.iloc[self._action_rows.get(unit, [])] if len(self.actions) else self.actions
        rows = self.standing.iloc[self._standing_rows[unit]].droplevel("unit")
        return Profile(
            unit=unit, name=self.result.data.names[i], year=self.result.year, index=self._root,
            scores=_row(self.result.scores, unit), ranks=_row(self.result.ranks, unit),
            grade=_row(self.grades, unit), type=_row(self.types, unit),
            strengths=pick_boards(rows, level=None, n=self.n, by="peer_gap", strengths=True),
            short_boards=pick_boards(rows, level=None, n=self.n, by="peer_gap", strengths=False),
            gaps=gap_rows, obstacles=obst, gains=gains, actions=acts,
            illustrative=self.result.illustrative, n_units=len(self.result.units), benchmark=self.gaps.description,
        )

    def write(self, directory: str | Path) -> Path:
        """Write every table as CSV into ``directory`` atomically (all or nothing)."""
        return write_atomic_dir(directory, lambda d: write_tables_noting(d, self.tables(), self.result.illustrative))


def _row(df: pd.DataFrame, unit: str) -> pd.Series:
    """One unit's row of a units x columns table (looked up by the index's hash table, not a scan)."""
    at = df.index.get_loc(unit)
    if not isinstance(at, int):  # a slice or mask: the unit is on several rows, which no table of units allows
        raise ValueError(f"unit {unit!r} is on more than one row of a table of units")
    return df.iloc[at]


def analyse(
    result: Result,
    *,
    peer: str | None = None,
    benchmark: str | None = None,
    scheme: GradingScheme | Mapping[str, Any] | str | Path | None = None,
    actions: Sequence[Any] | str | Path | None = None,
    type_rules: Sequence[Mapping[str, Any]] | str | Path | None = None,
    n: int = 3,
) -> Analytics:
    """Run every cluster analysis on a result.

    ``peer``: the unit metadata column whose groups are each unit's peers (all domestic units when None);
    ``benchmark``: the gap reference (a unit code, 'median', 'best' or 'targets'; by default the benchmark median
    when benchmark units are flagged, else the framework's targets, else the unit with the highest index);
    ``scheme``: grading scheme (the recipe's, else the default); ``actions``: an action rule table (the
    built-in one by default); ``n``: strengths and short boards per level."""
    notes: list[str] = []
    if benchmark is None:
        if np.asarray(result.data.benchmark, dtype=bool).any():
            benchmark = "median"
        elif any(result.framework.by_code[c].target is not None for c in result.framework.indicators):
            benchmark = "targets"
            notes.append("no benchmark units are flagged: gaps are to the framework's world-class targets")
        else:
            best = result.units[int(np.nanargmax(result.score(None).to_numpy(dtype=float)))]
            benchmark = best
            notes.append(f"no benchmark units or targets: gaps are to the best unit, {best}")
    table = standing(result, peer)
    rules = load_actions(actions)
    return Analytics(
        result=result, peer=peer, grades=grades(result, scheme), types=types(result, rules=type_rules),
        standing=table, obstacles=obstacle_degrees(result), gains=marginal_gains(result),
        frontier_gains=frontier_gains(result), gaps=gap_analysis(result, benchmark),
        actions=recommend(table, rules, result.framework), n=n, notes=tuple(notes),
    )


def profile(result: Result, unit: str, **options: Any) -> Profile:
    """The profile of one unit: scores and ranks, grade with its reason, type, strengths and short boards, gaps to
    the benchmark, obstacle degrees, marginal gains and policy actions (options as for :func:`analyse`)."""
    check_unit(result, unit)
    return analyse(result, **options).profile(unit)
