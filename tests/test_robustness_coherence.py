"""Statistical coherence: correlations (against scipy), flags, Cronbach's alpha (by hand), PCA (against numpy and
the loading's definition), and the printed summary."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from scipy import stats

import clusterleap as cl
from clusterleap._framework import Framework, Node
from clusterleap.analysis import (
    coherence_report,
    correlation_flags,
    correlation_matrix,
    correlation_table,
    cronbach,
    cronbach_alpha,
    pca,
)
from clusterleap.cli.coherence import print_coherence


@pytest.fixture(scope="module")
def result() -> cl.Result:
    """Index -> P (p1, p2, p3) and Q (q1, q2); p2 nearly doubles p1, p3 runs against p1, q2 has a gap."""
    rng = np.random.default_rng(12)
    n = 30
    p1 = rng.normal(50, 10, n)
    df = pd.DataFrame({
        "unit": [f"U{i:02d}" for i in range(n)],
        "p1": p1,
        "p2": 2 * p1 + rng.normal(0, 1, n),
        "p3": -p1 + rng.normal(0, 4, n),
        "q1": rng.normal(0, 1, n),
        "q2": rng.normal(0, 1, n) - 0.5 * rng.normal(0, 1, n),
    })
    df.loc[4, "q2"] = np.nan
    fw = Framework.from_nodes("coh", [
        Node("I", None), Node("P", "I"), Node("Q", "I"),
        Node("p1", "P", kind="indicator"), Node("p2", "P", kind="indicator"), Node("p3", "P", kind="indicator"),
        Node("q1", "Q", kind="indicator"), Node("q2", "Q", kind="indicator", direction=-1),
    ])
    return cl.evaluate(fw, cl.read_data(df))


def test_cronbach_alpha_by_hand() -> None:
    """Three items, four respondents: item variances 5/3, 5/3, 2/3 (sum 4), total scores 6, 6, 9, 11 with variance
    6, so alpha = 3/2 (1 - 4/6) = 0.5. Parallel items give 1; one item gives no alpha."""
    y = np.array([[1, 2, 3], [2, 1, 3], [3, 4, 2], [4, 3, 4]], dtype=float)
    assert y.var(axis=0, ddof=1).sum() == pytest.approx(4.0)
    assert y.sum(axis=1).var(ddof=1) == pytest.approx(6.0)
    assert cronbach_alpha(y) == pytest.approx(0.5)
    parallel = np.array([[1, 1, 1], [2, 2, 2], [3, 3, 3], [5, 5, 5]], dtype=float)
    assert cronbach_alpha(parallel) == pytest.approx(1.0)
    assert np.isnan(cronbach_alpha(y[:, :1]))


def test_cronbach_per_node(result: cl.Result) -> None:
    table = cronbach(result).set_index("node")
    assert list(table.index) == ["I", "P", "Q"]
    p = result.scores[["p1", "p2", "p3"]].to_numpy()
    k = 3
    expected = k / (k - 1) * (1 - p.var(axis=0, ddof=1).sum() / p.sum(axis=1).var(ddof=1))
    assert table.loc["P", "alpha"] == pytest.approx(expected)
    assert table.loc["P", "k"] == 3 and table.loc["P", "n"] == 30 and table.loc["Q", "n"] == 29


def test_correlations_against_scipy(result: cl.Result) -> None:
    s = result.scores
    pear = correlation_matrix(result, "pearson", 1)
    spear = correlation_matrix(result, "spearman", 1)
    assert pear.loc["p1", "p2"] == pytest.approx(stats.pearsonr(s["p1"], s["p2"])[0])
    assert spear.loc["p1", "p3"] == pytest.approx(stats.spearmanr(s["p1"], s["p3"])[0])
    ok = s["q2"].notna()
    assert pear.loc["q1", "q2"] == pytest.approx(stats.pearsonr(s["q1"][ok], s["q2"][ok])[0])
    assert spear.loc["q1", "q2"] == pytest.approx(stats.spearmanr(s["q1"][ok], s["q2"][ok])[0])
    across = correlation_matrix(result, "pearson", 1, 2)
    assert across.shape == (5, 2) and across.loc["p1", "P"] == pytest.approx(stats.pearsonr(s["p1"], s["P"])[0])


def test_table_relations_and_flags(result: cl.Result) -> None:
    table = correlation_table(result)
    rel = table.set_index(["node_a", "node_b"])["relation"]
    assert rel[("p1", "p2")] == "siblings" and rel[("p3", "q1")] == "same level"
    assert rel[("p1", "P")] == "parent" and rel[("p1", "I")] == "ancestor" and rel[("P", "Q")] == "siblings"
    assert table.set_index(["node_a", "node_b"]).loc[("q1", "q2"), "n"] == 29
    flags = correlation_flags(result).set_index(["node_a", "node_b"])
    assert flags.loc[("p1", "p2"), "flag"] == "collinear" and flags.loc[("p1", "p2"), "parent"] == "P"
    assert flags.loc[("p1", "p3"), "flag"] == "negative" and flags.loc[("p2", "p3"), "flag"] == "negative"
    assert len(flags) == 3  # nothing else crosses the thresholds ...
    assert len(correlation_flags(result, negative=-0.99, collinear=0.9999)) == 0  # ... and thresholds are parameters


def test_pca_against_numpy_and_the_loading_definition(result: cl.Result) -> None:
    summary, loadings = pca(result)
    summary = summary.set_index("node")
    p = result.scores[["p1", "p2", "p3"]].to_numpy()
    eig = np.sort(np.linalg.eigvalsh(np.corrcoef(p, rowvar=False)))[::-1]
    assert summary.loc["P", "pc1_share"] == pytest.approx(eig[0] / 3)
    assert summary.loc["P", "pc1_eigenvalue"] == pytest.approx(eig[0])
    assert summary.loc["P", "n_eigen_gt1"] == int((eig > 1).sum())
    lp = loadings[loadings.node == "P"].set_index("child")
    z = (p - p.mean(axis=0)) / p.std(axis=0, ddof=1)
    component = z @ lp["weight"].to_numpy()
    for j, child in enumerate(["p1", "p2", "p3"]):
        assert lp.loc[child, "loading"] == pytest.approx(np.corrcoef(p[:, j], component)[0, 1])
    assert np.linalg.norm(lp["weight"]) == pytest.approx(1.0) and lp["weight"].sum() >= 0
    assert summary.loc["Q", "n"] == 29  # complete cases only


def test_report_and_print(result: cl.Result) -> None:
    report = coherence_report(result)
    assert set(report) == {"correlations_pearson", "correlations_spearman", "flags", "cronbach", "pca",
                           "pca_loadings"}
    assert set(report["flags"]["method"]) == {"pearson", "spearman"}
    buf = io.StringIO()
    print_coherence(result, Console(file=buf, width=140))
    text = buf.getvalue()
    assert "Coherence of coh" in text and "collinear" in text and "negative" in text
    assert f"{report['cronbach'].set_index('node').loc['P', 'alpha']:.2f}" in text


def test_asem_institutional_pillar_is_flagged(asem: tuple[cl.Framework, cl.Dataset]) -> None:
    """COINr's ASEM analysis: technical barriers to trade (TBTs) correlate negatively with the other indicators of
    the institutional pillar."""
    from tests.conftest import ASEM_RECIPE

    fw, data = asem
    res = cl.evaluate(fw, data, ASEM_RECIPE)
    flags = correlation_flags(res)
    instit = flags[flags.parent == "Instit"]
    assert len(instit) >= 3 and instit.apply(lambda r: "TBTs" in (r.node_a, r.node_b), axis=1).all()
    assert (instit.flag == "negative").all()
