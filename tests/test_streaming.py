"""Summaries accumulated chunk by chunk against the exact in-memory computation: rank quantiles by counting,
propagation without kept samples (alone, in chunks, in worker processes, on a Saltelli design), and the batched
TOPSIS and VIKOR kernels against the textbook per-unit formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clusterleap.errors import SpaceError
from clusterleap.robustness import MethodChoice, Problem, Space, WeightNoise, propagate
from clusterleap.robustness._propagate import _combinations
from clusterleap.robustness._streaming import RankSummary, quantiles_from_counts
from clusterleap.stages import aggregate as A
from clusterleap.stages import treat as T
from clusterleap.stages._arrays import rank_ascending, rank_order
from tests.test_robustness_uncertainty import tiny_data, tiny_framework

QS = (0.05, 0.5, 0.95)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 3), st.integers(0, 2**32 - 1), st.booleans(),
       st.floats(0, 1))
def test_rank_quantiles_by_counting_equal_numpy_quantiles(s: int, u: int, k: int, seed: int, halves: bool,
                                                          q: float) -> None:
    rng = np.random.default_rng(seed)
    ranks = rng.integers(1, 2 * u + 1 if halves else u + 1, size=(s, u, k)) / (2.0 if halves else 1.0)
    ranks = np.minimum(ranks, u)
    ranks[rng.random(ranks.shape) < 0.2] = np.nan
    scores = np.where(np.isnan(ranks), np.nan, rng.normal(size=ranks.shape))
    nominal = rng.integers(1, u + 1, size=(u, k)).astype(float)
    whole = RankSummary.empty(u, k)
    parts = RankSummary.empty(u, k)
    whole.add(ranks, scores, nominal)
    cut = int(rng.integers(0, s + 1))
    for a, b in ((0, cut), (cut, s)):
        piece = RankSummary.empty(u, k)
        piece.add(ranks[a:b], scores[a:b], nominal)
        parts.merge(piece)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells: NaN, as the summary gives
        expect = np.nanquantile(ranks, [*QS, q], axis=0)
        shift = np.nanmean(np.abs(ranks - nominal), axis=0)
        smin, smax = np.nanmin(scores, axis=0), np.nanmax(scores, axis=0)
    for summary in (whole, parts):
        np.testing.assert_allclose(summary.rank_quantiles([*QS, q]), expect, rtol=0, atol=1e-12)
        np.testing.assert_allclose(summary.mean_abs_shift(), shift, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(summary.valid, (~np.isnan(ranks)).sum(axis=0))
        lo, hi = summary.score_bounds()
        np.testing.assert_array_equal(lo, smin)
        np.testing.assert_array_equal(hi, smax)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.integers(1, 4), st.integers(0, 2**32 - 1),
       st.sampled_from(["min", "max", "average", "dense"]), st.booleans())
def test_ranks_as_the_sort_leaves_them_equal_the_ranks_in_unit_order(s: int, u: int, k: int, seed: int, ties: str,
                                                                     descending: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=(s, u, k)).astype(float)  # few values: many ties
    x[rng.random(x.shape) < 0.2] = np.nan
    order, at = rank_order(x, ties, descending=descending)
    expect = rank_ascending(x, ties, descending=descending)
    got = np.full(x.shape, -1.0)
    for i, j in np.ndindex(s, k):
        got[i, order[i, j], j] = at[i, j]
    np.testing.assert_array_equal(got, expect)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 7), st.integers(1, 3), st.integers(0, 2**32 - 1),
       st.sampled_from(["min", "average", "dense"]))
def test_counting_ranks_in_sorted_order_equals_counting_them_in_unit_order(s: int, u: int, k: int, seed: int,
                                                                           ties: str) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, size=(s, u, k)).astype(float)
    scores[rng.random(scores.shape) < 0.15] = np.nan
    nominal = rank_ascending(scores[:1], ties, descending=True)[0]
    nominal[0, 0] = np.nan  # a unit and node without a nominal rank
    by_unit, by_sort = RankSummary.empty(u, k), RankSummary.empty(u, k)
    by_unit.add(rank_ascending(scores, ties, descending=True), scores, nominal)
    by_sort.add_sorted(*rank_order(scores, ties, descending=True), scores, nominal)
    for f in ("counts", "valid", "shift_sum", "score_sum", "score_min", "score_max"):
        np.testing.assert_array_equal(getattr(by_sort, f), getattr(by_unit, f), err_msg=f)


@given(hnp.arrays(np.int64, st.tuples(st.integers(0, 40), st.integers(1, 4)), elements=st.integers(0, 3)))
def test_option_combinations_are_those_numpy_unique_gives(cat: np.ndarray) -> None:
    combos, inverse = _combinations(cat)
    expect, expect_inverse = np.unique(cat, axis=0, return_inverse=True)
    np.testing.assert_array_equal(combos, expect)
    np.testing.assert_array_equal(inverse, expect_inverse.reshape(-1))


@given(hnp.arrays(np.int64, st.integers(1, 30), elements=st.integers(0, 9)), st.floats(0, 1))
def test_quantiles_from_counts_of_one_sample_set(values: np.ndarray, q: float) -> None:
    counts = np.bincount(values, minlength=10)
    got = quantiles_from_counts(counts, np.arange(10.0), [q])[0]
    assert got == pytest.approx(np.quantile(values.astype(float), q), abs=1e-12)


def test_ranks_out_of_range_are_refused() -> None:
    s = RankSummary.empty(3, 1)
    with pytest.raises(ValueError, match="between 0 and 3"):
        s.add(np.full((1, 3, 1), 4.0), np.zeros((1, 3, 1)), np.ones((3, 1)))


def _problem() -> Problem:
    space = Space((WeightNoise(0.3), MethodChoice("aggregate", ("arithmetic", "geometric")),
                   MethodChoice("normalise", ("nominal", "zscore"))))
    return Problem.build(tiny_framework(), tiny_data(), None, space)


@pytest.mark.parametrize("design", ["montecarlo", "saltelli"])
def test_streaming_propagation_gives_the_in_memory_summaries(design: str) -> None:
    problem = _problem()
    u = problem.saltelli(16, seed=3) if design == "saltelli" else problem.sample(90, seed=3)
    kept = propagate(problem, u, design=design)  # type: ignore[arg-type]
    assert kept.failed.any() and not kept.failed.all()  # geometric means of z-scores fail
    for other in (propagate(problem, u, design=design, keep=False, chunk=7),  # type: ignore[arg-type]
                  propagate(problem, u, design=design, keep=False, chunk=5, workers=2),  # type: ignore[arg-type]
                  propagate(problem, u, design=design, keep=False, chunk=3, threads=3)):  # type: ignore[arg-type]
        assert not other.kept and other.scores.shape[0] == 0 and other.n == len(u)
        np.testing.assert_array_equal(other.failed, kept.failed)
        np.testing.assert_array_equal(other.index_shift(), kept.index_shift())
        a, b = kept.rank_intervals(), other.rank_intervals()
        for col in ("nominal_rank", "median_rank", "rank_p5", "rank_p95", "mean_abs_shift", "n_valid"):
            np.testing.assert_allclose(b[col].to_numpy(float), a[col].to_numpy(float), rtol=0, atol=1e-12,
                                       err_msg=col)
        sc = kept.scores[kept.rows]
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(b["mean_score"], np.nanmean(sc, axis=0).T.ravel(), rtol=1e-12)
        np.testing.assert_array_equal(b["min_score"], np.nanmin(sc, axis=0).T.ravel())
        np.testing.assert_array_equal(b["max_score"], np.nanmax(sc, axis=0).T.ravel())
        assert other.summary()["failed_runs"] == kept.summary()["failed_runs"]
    # threads give one thread's figures to the last bit (score sums added in chunk order)
    one = propagate(problem, u, design=design, keep=False, chunk=3)  # type: ignore[arg-type]
    for threads in (2, 3):
        many = propagate(problem, u, design=design, keep=False, chunk=3, threads=threads)  # type: ignore[arg-type]
        assert many.rank_intervals().equals(one.rank_intervals())
    # the kept samples' rank intervals equal numpy's quantiles of the kept ranks
    r = kept.ranks[kept.rows]
    expect = np.nanquantile(r, [0.05, 0.5, 0.95], axis=0)
    ri = kept.rank_intervals()
    np.testing.assert_allclose(ri["median_rank"], expect[1].T.ravel(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ri["rank_p95"], expect[2].T.ravel(), rtol=0, atol=1e-12)
    if design == "saltelli":
        a = kept.sobol("index", seed=1)
        b = propagate(problem, u, design="saltelli", keep=False).sobol("index", seed=1)
        np.testing.assert_array_equal(a["S1"], b["S1"])


def test_samples_not_kept_say_so() -> None:
    problem = _problem()
    samples = propagate(problem, problem.sample(10, seed=1), keep=False)
    with pytest.raises(SpaceError, match="keep=True"):
        samples.frame(0)


# -- batched TOPSIS and VIKOR against the per-unit formulas ------------------------------------------------------------
def _unit_weights(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    present = ~np.isnan(x)
    wk = np.where(present, np.broadcast_to(w, x.shape), 0.0)
    total = wk.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, wk / np.where(total > 0, total, 1.0), 0.0), present


def textbook_topsis(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Hwang & Yoon's closeness with every per-unit weight written out, on the full (S, U, C) array."""
    wk, present = _unit_weights(x, w)
    with np.errstate(all="ignore"):
        norm = np.sqrt(np.nansum(x * x, axis=1, keepdims=True))
        r = np.where(present, x / norm, np.nan)
        best, worst = np.nanmax(r, axis=1, keepdims=True), np.nanmin(r, axis=1, keepdims=True)
        dp = np.sqrt(np.nansum((wk * (r - best)) ** 2, axis=-1))
        dm = np.sqrt(np.nansum((wk * (r - worst)) ** 2, axis=-1))
        return np.where(dp + dm > 0, dm / (dp + dm), 0.5)


def textbook_vikor_q(x: np.ndarray, w: np.ndarray, v: float = 0.5) -> np.ndarray:
    wk, present = _unit_weights(x, w)
    with np.errstate(all="ignore"):
        hi, lo = np.nanmax(x, axis=1, keepdims=True), np.nanmin(x, axis=1, keepdims=True)
        d = np.where(hi > lo, (hi - x) / (hi - lo), 0.0)
        term = np.where(present, wk * d, np.nan)
        s_, r_ = np.nansum(term, axis=-1), np.nanmax(term, axis=-1)

        def part(a: np.ndarray) -> np.ndarray:
            span = a.max(axis=-1, keepdims=True) - a.min(axis=-1, keepdims=True)
            return np.where(span > 0, (a - a.min(axis=-1, keepdims=True)) / span, 0.0)

        return v * part(s_) + (1 - v) * part(r_)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_batched_topsis_and_vikor_equal_the_textbook_formulas(seed: int, shared: bool) -> None:
    rng = np.random.default_rng(seed)
    s, u, c = 30, 12, 5
    x = rng.uniform(1, 100, (1 if shared else s, u, c))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[:, 0, :] = rng.uniform(1, 100, c)  # every child has a value somewhere
    x[:, :, 0] = rng.uniform(1, 100, u)  # and every unit a child (else its score is missing, not compared here)
    w = rng.uniform(0.2, 2.0, (s, 1, c))
    xb = np.broadcast_to(x, (s, u, c))
    np.testing.assert_allclose(A.topsis_closeness(xb, w), textbook_topsis(np.array(xb), w), rtol=0, atol=1e-12)
    np.testing.assert_allclose(A.vikor_srq(xb, w)[2], textbook_vikor_q(np.array(xb), w), rtol=0, atol=1e-12)


# -- the treatment's record: moments recomputed only where a step changed values -----------------------------------
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(5, 60), st.integers(1, 9), st.booleans())
def test_skew_kurtosis_records_a_batch_as_each_sample_alone(seed: int, s: int, u: int, c: int, log: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0, rng.uniform(0.5, 2.5), (s, u, c))
    x[rng.random(x.shape) < 0.05] = np.nan
    fallback = "log" if log else "none"
    batch = T.skew_kurtosis(x, fallback=fallback)
    fields = ("x", "points", "skew_before", "kurt_before", "skew_after", "kurt_after", "changed", "rule")
    for i in range(s):
        alone = T.skew_kurtosis(x[i : i + 1], fallback=fallback)
        for f in fields:
            np.testing.assert_array_equal(getattr(batch, f)[i : i + 1], getattr(alone, f), err_msg=f)
    # the moments after treatment are those of the treated values (up to the order of summation)
    with np.errstate(all="ignore"):
        skew, kurt, _ = T.sample_moments(batch.x)
    np.testing.assert_allclose(batch.skew_after, skew, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(batch.kurt_after, kurt, rtol=1e-12, atol=1e-12)


# -- evaluate without the stage tables -------------------------------------------------------------------------------
@pytest.mark.parametrize("recipe", [None, {"treat": "skew_kurtosis"}, {"treat": "winsorise", "normalise": "zscore"}])
def test_evaluate_without_stage_tables_gives_the_same_result(recipe: dict[str, str] | None) -> None:
    import clusterleap as cl
    from clusterleap.illustrative import illustrative_data

    data = illustrative_data()
    before = data.values.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        full = cl.evaluate("world-class", data, recipe)
        lean = cl.evaluate("world-class", data, recipe, keep=False)
    np.testing.assert_array_equal(lean.score_array, full.score_array)
    np.testing.assert_array_equal(lean.rank_array, full.rank_array)
    np.testing.assert_array_equal(lean.prepared.normalised, full.prepared.normalised)
    assert lean.treatment.equals(full.treatment)
    assert not lean.prepared.kept and lean.prepared.raw.size == 0
    assert lean.stage("normalised").equals(full.stage("normalised"))
    with pytest.raises(KeyError, match="keep=True"):
        lean.stage("raw")
    assert set(full.tables()) - set(lean.tables()) == {f"stages/{n}" for n in (
        "raw", "denominated", "transformed", "imputed", "treated", "treated_points")}
    # the data set itself is never written to by the in-place steps
    np.testing.assert_array_equal(data.values, before)


def test_grade_shares_counted_during_propagation_equal_those_of_kept_samples() -> None:
    import clusterleap as cl
    from clusterleap.grading import builtin_schemes
    from clusterleap.illustrative import illustrative_data
    from clusterleap.robustness import grade_shares

    scheme = builtin_schemes()["relative"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.DataWarning)
        problem = Problem.build("world-class", illustrative_data(), None,
                                Space((WeightNoise(0.4), MethodChoice("aggregate", ("arithmetic", "geometric")))))
    u = problem.sample(60, seed=2)
    kept = grade_shares(propagate(problem, u), scheme)
    for workers, threads in ((1, 1), (2, 1), (1, 2)):
        lean = propagate(problem, u, keep=False, grading=scheme, chunk=7, workers=workers, threads=threads)
        assert grade_shares(lean, scheme).equals(kept)
    # kept samples worked in threads are the samples worked in order
    threaded = propagate(problem, u, chunk=5, threads=3)
    np.testing.assert_array_equal(threaded.scores, propagate(problem, u).scores)
    assert grade_shares(threaded, scheme).equals(kept)
    assert kept.drop(columns="nominal").to_numpy().std() > 0  # the grades do vary
    with pytest.raises(SpaceError, match="grading=scheme"):
        grade_shares(propagate(problem, u, keep=False), scheme)


def test_evaluate_without_stage_tables_on_plain_data_hands_on_the_values_untouched() -> None:
    """Indicators that are the data's columns, no denominator, transform or imputation: the pipeline then reads the
    data set's own array all the way to treatment; it must still never write to it, and give every figure of
    keep=True, with any number of ranking threads."""
    import clusterleap as cl

    nodes = [cl.Node("I", None), cl.Node("A", "I"), cl.Node("B", "I", weight=2.0)]
    nodes += [cl.Node(f"{p}{k}", p, kind="indicator", direction=1 if k % 2 else -1) for p in "AB" for k in range(3)]
    fw = cl.Framework("plain", tuple(nodes))
    rng = np.random.default_rng(5)
    values = rng.lognormal(size=(1, 300, 6))
    values[rng.random(values.shape) < 0.05] = np.nan
    data = cl.Dataset(units=tuple(f"u{i}" for i in range(300)), years=(2024,), variables=fw.indicators,
                      values=values)
    before = values.copy()
    full = cl.evaluate(fw, data)
    for threads in (1, 2):
        lean = cl.evaluate(fw, data, keep=False, threads=threads)
        np.testing.assert_array_equal(lean.score_array, full.score_array)
        np.testing.assert_array_equal(lean.rank_array, full.rank_array)
        np.testing.assert_array_equal(lean.prepared.imputed_mask, full.prepared.imputed_mask)
    np.testing.assert_array_equal(data.values, before)


@pytest.mark.parametrize("cells", [1, 37, 3 << 20])
def test_moments_in_blocks_of_columns_are_those_of_the_whole_table(cells: int) -> None:
    """Blocks of columns (however small) reduce each column over the units as the whole table does: the same bits."""
    from clusterleap.stages import _arrays as arrays

    rng = np.random.default_rng(11)
    x = rng.lognormal(size=(2, 500, 13))
    x[rng.random(x.shape) < 0.05] = np.nan
    whole = arrays._moments(x, -2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(arrays, "MOMENT_BLOCK_CELLS", cells)
        blocked = arrays.sample_moments(x)
    for a, b in zip(blocked, whole, strict=True):
        np.testing.assert_array_equal(a, b)
