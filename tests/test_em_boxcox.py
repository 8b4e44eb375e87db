"""EM imputation and Box-Cox treatment against independent computations: the closed-form maximum-likelihood
estimates of a bivariate normal with monotone missingness (Anderson 1957), the observed-data log-likelihood
maximised numerically with scipy.optimize, and scipy.stats.boxcox."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import clusterleap as cl
from clusterleap.errors import MethodWarning
from clusterleap.stages import impute, treat
from clusterleap.stages.impute import ImputeContext, normal_em


def test_em_matches_the_closed_form_of_monotone_bivariate_data() -> None:
    """y1 complete, y2 missing for 4 of 12 units: the MLE factors into the mean and variance of y1 over all units
    and the least-squares regression of y2 on y1 over the complete cases (Anderson 1957; Little & Rubin 2019,
    section 7.2)."""
    rng = np.random.default_rng(0)
    y1 = rng.normal(5, 2, 12)
    y2 = 1 + 0.8 * y1 + rng.normal(0, 1, 12)
    x = np.c_[y1, y2]
    x[8:, 1] = np.nan
    cc = slice(0, 8)
    beta = np.cov(y1[cc], y2[cc], bias=True)[0, 1] / np.var(y1[cc])
    alpha = y2[cc].mean() - beta * y1[cc].mean()
    resid = np.mean((y2[cc] - alpha - beta * y1[cc]) ** 2)
    mu1, s11 = y1.mean(), np.var(y1)
    mean = [mu1, alpha + beta * mu1]
    cov = [[s11, beta * s11], [beta * s11, resid + beta**2 * s11]]
    fit = normal_em(x, tol=1e-12)
    assert fit.converged
    np.testing.assert_allclose(fit.mean, mean, rtol=1e-9)
    np.testing.assert_allclose(fit.cov, cov, rtol=1e-8)
    # the filled values are the regression predictions, the observed ones untouched
    np.testing.assert_allclose(fit.filled[8:, 1], alpha + beta * y1[8:], rtol=1e-9)
    np.testing.assert_array_equal(fit.filled[:8], x[:8])


def _observed_loglik(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> float:
    total = 0.0
    for row in x:
        o = ~np.isnan(row)
        if o.any():
            total += stats.multivariate_normal(mu[o], sigma[np.ix_(o, o)]).logpdf(row[o])
    return float(total)


def test_em_maximises_the_observed_data_likelihood() -> None:
    """A general (non-monotone) pattern in 3 indicators: EM's estimate is the maximum of the observed-data
    log-likelihood found by BFGS over the mean and a Cholesky factor of the covariance."""
    rng = np.random.default_rng(4)
    cov = np.array([[4.0, 1.5, -1.0], [1.5, 2.0, 0.3], [-1.0, 0.3, 1.5]])
    x = rng.multivariate_normal([10.0, -2.0, 3.0], cov, size=15)
    for u, i in [(0, 0), (1, 1), (2, 2), (3, 0), (3, 1), (5, 2), (8, 1), (11, 0), (13, 2)]:
        x[u, i] = np.nan
    fit = normal_em(x, tol=1e-12)
    assert fit.converged

    tri = np.tril_indices(3)

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low = np.zeros((3, 3))
        low[tri] = theta[3:]
        low[np.diag_indices(3)] = np.exp(low[np.diag_indices(3)])
        return theta[:3], low @ low.T

    start = np.r_[np.nanmean(x, axis=0), np.zeros(6)]  # independent of EM: available-case means, identity
    res = optimize.minimize(lambda t: -_observed_loglik(x, *unpack(t)), start, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 5000})
    mu, sigma = unpack(res.x)
    np.testing.assert_allclose(fit.mean, mu, atol=1e-5)
    np.testing.assert_allclose(fit.cov, sigma, atol=1e-4)
    assert _observed_loglik(x, fit.mean, fit.cov) >= -res.fun - 1e-9
    # each filled value is the conditional mean under the fitted normal
    row = x[3]
    o, m = ~np.isnan(row), np.isnan(row)
    expect = fit.mean[m] + fit.cov[np.ix_(m, o)] @ np.linalg.solve(fit.cov[np.ix_(o, o)], row[o] - fit.mean[o])
    np.testing.assert_allclose(fit.filled[3, m], expect, rtol=1e-10)


def test_em_is_deterministic_keeps_observed_values_and_edges() -> None:
    rng = np.random.default_rng(2)
    x = rng.lognormal(1, 0.5, (2, 20, 4))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[1, :, 3] = np.nan  # an indicator with no value in one year stays missing
    x[0, 5, :] = np.nan  # a unit with no value gets the mean
    a = impute.em(x, ImputeContext())
    b = impute.em(x, ImputeContext())
    np.testing.assert_array_equal(a, b)
    seen = ~np.isnan(x)
    np.testing.assert_array_equal(a[seen], x[seen])
    assert np.isnan(a[1, :, 3]).all() and not np.isnan(a[1, :, :3]).any()
    np.testing.assert_allclose(a[0, 5], normal_em(x[0]).mean, rtol=1e-12)
    # every year on its own
    np.testing.assert_array_equal(a[1:], impute.em(x[1:], ImputeContext()))


def test_em_that_does_not_converge_says_so() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 30, 3))
    x[0, :10, 0] = np.nan
    x[0, 10:20, 1] = np.nan
    with pytest.warns(MethodWarning, match=r"impute, em: EM did not converge within 2 iterations"):
        impute.em(x, ImputeContext(), max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MethodWarning)
        impute.em(x, ImputeContext())


def test_em_in_a_recipe() -> None:
    with pytest.raises(cl.RecipeError, match="max_iter"):
        cl.Recipe(impute={"method": "em", "max_iter": 0})  # type: ignore[arg-type]
    recipe = cl.Recipe(impute={"method": "em", "tol": 1e-10})  # type: ignore[arg-type]
    assert recipe.impute.default.kwargs == {"max_iter": 1000, "tol": 1e-10}


# -- Box-Cox -------------------------------------------------------------------------------------------------------
def _columns(seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.stack([rng.lognormal(0, 1, 25), rng.gamma(2.0, 3.0, 25), rng.normal(50, 5, 25)], axis=-1)[None]
    x[0, 3, 0] = np.nan
    return x


def test_boxcox_maximum_likelihood_matches_scipy() -> None:
    x = _columns()
    t = treat.boxcox(x)
    for i in range(3):
        v = x[0, :, i]
        ok = ~np.isnan(v)
        y, lam = stats.boxcox(v[ok])
        np.testing.assert_allclose(t.x[0, ok, i], y, rtol=1e-10, atol=1e-12)
        assert np.isnan(t.x[0, ~ok, i]).all()
        # and lambda maximises the Box-Cox profile log-likelihood written out by hand
        n, logsum = ok.sum(), np.log(v[ok]).sum()

        def neg_llf(lm: float, vv: np.ndarray = v[ok], nn: int = n, ls: float = logsum) -> float:
            z = np.log(vv) if lm == 0 else (vv**lm - 1) / lm
            return -((lm - 1) * ls - nn / 2 * np.log(np.var(z)))

        best = optimize.minimize_scalar(neg_llf, bounds=(-5, 5), method="bounded", options={"xatol": 1e-10})
        assert lam == pytest.approx(best.x, abs=1e-5)
    # the record: every value of every indicator transformed, rule Box-Cox
    assert (t.points[0][~np.isnan(x[0])] == treat.BOXCOX_POINT).all()
    assert (t.rule[0] == treat.BOXCOX_RULE).all()
    np.testing.assert_array_equal(t.changed[0], (~np.isnan(x[0])).sum(axis=0))
    assert treat.CODES[treat.BOXCOX_POINT] == "Box-Cox transformed"


def test_boxcox_fixed_lambda_and_shift_rule() -> None:
    x = _columns()
    fixed = treat.boxcox(x, lmbda=0.5)
    ok = ~np.isnan(x[0, :, 0])
    np.testing.assert_allclose(fixed.x[0, ok, 0], stats.boxcox(x[0, ok, 0], lmbda=0.5), rtol=1e-12)
    np.testing.assert_allclose(treat.boxcox(x, lmbda=0.0).x[0, ok, 0], np.log(x[0, ok, 0]), rtol=1e-12)
    # non-positive values: shifted by -min + 1 % of the range, then transformed
    v = np.array([-3.0, 0.0, 1.0, 2.0, 5.0, 12.0, 40.0])
    shifted = v - v.min() + 0.01 * (v.max() - v.min())
    t = treat.boxcox(v[None, :, None])
    # (the shift rounds differently in the last bit, and Brent's search for lambda stops within about 1e-8)
    np.testing.assert_allclose(t.x[0, :, 0], stats.boxcox(shifted)[0], rtol=1e-6)
    np.testing.assert_allclose(treat.boxcox_shift(v[None, :, None])[0, 0, 0], 3 + 0.43)
    # positive data is not shifted
    assert treat.boxcox_shift(x)[0, 0, 0] == 0.0


def test_boxcox_leaves_columns_it_cannot_estimate_and_can_act_on_skewed_ones_only() -> None:
    rng = np.random.default_rng(9)
    skewed = np.r_[rng.lognormal(0, 0.3, 40), 60.0, 80.0]
    plain = rng.normal(10, 1, 42)
    const = np.full(42, 3.0)
    x = np.stack([skewed, plain, const], axis=-1)[None]
    t = treat.boxcox(x, when="skewed")
    assert list(t.rule[0]) == [treat.BOXCOX_RULE, 0, 0]
    np.testing.assert_array_equal(t.x[0, :, 1:], x[0, :, 1:])
    assert abs(t.skew_after[0, 0]) < abs(t.skew_before[0, 0])
    np.testing.assert_array_equal(treat.boxcox(x).x[0, :, 2], const)
    two = np.array([[[1.0], [2.0], [np.nan]]])
    np.testing.assert_array_equal(treat.boxcox(two).x, two)


def test_boxcox_in_an_evaluation_reports_its_rule() -> None:
    fw = cl.Framework.from_nodes("t", [cl.Node("I", None), cl.Node("a", "I", kind="indicator"),
                                       cl.Node("b", "I", kind="indicator")])
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"unit": [f"u{i}" for i in range(12)], "a": rng.lognormal(0, 1, 12), "b": rng.normal(5, 1, 12)})
    r = cl.evaluate(fw, cl.read_data(df), cl.Recipe(treat={"method": "boxcox", "when": "always"}))  # type: ignore[arg-type]
    assert list(r.treatment["rule"]) == ["Box-Cox", "Box-Cox"]
    assert set(r.stage("treated_points").to_numpy().ravel()) == {"Box-Cox transformed"}


def test_em_with_a_singular_covariance() -> None:
    """A constant indicator and fewer units than indicators make the covariance singular: the pseudo-inverse is
    used, a constant indicator is filled with its constant, and every value filled is finite."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(6, 9))
    x[:, 4] = 2.5
    x[1, 4] = x[2, 0] = x[3, 7] = x[5, 1] = np.nan
    fit = normal_em(x)
    assert fit.converged and np.isfinite(fit.filled).all()
    assert fit.filled[1, 4] == pytest.approx(2.5)
    assert fit.cov[4, 4] == pytest.approx(0.0, abs=1e-12)


def test_em_in_an_evaluation_fills_what_the_mask_says() -> None:
    rng = np.random.default_rng(8)
    fw = cl.Framework.from_nodes("t", [cl.Node("I", None), *(cl.Node(c, "I", kind="indicator") for c in "abc")])
    base = rng.normal(size=15)
    df = pd.DataFrame({"unit": [f"u{i}" for i in range(15)], "a": 10 + base + rng.normal(0, 0.3, 15),
                       "b": 5 + 2 * base + rng.normal(0, 0.3, 15), "c": rng.normal(0, 1, 15)})
    df.loc[[2, 7], "a"] = np.nan
    df.loc[[4], "b"] = np.nan
    r = cl.evaluate(fw, cl.read_data(df), cl.Recipe(impute="em"))  # type: ignore[arg-type]
    mask = r.stage("imputed_mask")
    assert mask.to_numpy().sum() == 3 and bool(mask.loc["u2", "a"]) and bool(mask.loc["u4", "b"])
    expect = normal_em(df[["a", "b", "c"]].to_numpy()).filled
    np.testing.assert_allclose(r.stage("imputed").to_numpy(dtype=float), expect, rtol=1e-12)
