"""Calibration core on arrays: errors for point/lower/upper/range, fit, uncertainty, identifiability."""

import numpy as np
import pytest

from aigap.analysis.calibrate import (
    ObsTable, fit, identifiability, log_errors, residuals_from_sim, uncertainty_set)

TIMES = np.array([0.5, 1.0, 2.0, 3.0, 4.0])


def _table(values, kinds=None):
    m = len(values)
    kinds = kinds or ["point"] * m
    return ObsTable.build([f"o{i}" for i in range(m)], kinds, values, [np.nan] * m,
                          [np.nan] * m, [1.0] * m, [0.25] * m)


def test_log_errors_by_kind():
    t = ObsTable.build(["p", "lo", "up", "rg"], ["point", "lower", "upper", "range"],
                       [100.0, 200.0, 50.0, None], [None, None, None, 10.0],
                       [None, None, None, 20.0], [1, 1, 1, 4], [0.25, 0.25, 0.25, 0.5])
    sim = np.array([[200.0, 100.0, 100.0, 5.0],      # every observation missed
                    [100.0, 300.0, 40.0, 15.0],      # every observation met
                    [np.nan, 400.0, 25.0, 40.0]])
    e = log_errors(sim, t)
    np.testing.assert_allclose(e[0], [np.log(2), np.log(0.5), np.log(2), np.log(0.5)])
    np.testing.assert_allclose(e[1], 0.0)
    assert np.isnan(e[2, 0]) and e[2, 3] == pytest.approx(np.log(2))
    r = residuals_from_sim(sim, t)
    assert r[2, 0] == 1e3                          # non-finite simulation -> large residual
    assert r[0, 3] == pytest.approx(2 * np.log(0.5) / 0.5)   # sqrt(w) e / tau


def _toy(theta):
    """Growth model: a * exp(b t) with a in [1, 100], b in [0, 1]; rows of theta."""
    return theta[:, :1] * np.exp(theta[:, 1:2] * TIMES)


def test_fit_recovers_known_parameters():
    truth = np.array([[12.0, 0.35]])
    table = _table(list(_toy(truth)[0]))
    res = fit(lambda X: residuals_from_sim(_toy(X), table), [(1, 100), (0, 1)], seed=0,
              log_scale=[True, False], popsize=10, maxiter=60)
    np.testing.assert_allclose(res.x, truth[0], rtol=1e-3)
    assert res.payoff < 1e-6
    # one batched call per DE generation, not one call per candidate
    assert res.n_calls < res.n_evals / 5
    X, P, thr = uncertainty_set(res, lambda X: residuals_from_sim(_toy(X), table), seed=1,
                                n_extra=500)
    assert np.all(P <= res.payoff + thr) and len(X) > 10
    rows, summary = identifiability(res, lambda X: residuals_from_sim(_toy(X), table), X, 5)
    assert summary["identified"] and summary["rank"] == 2
    assert [r["status"] for r in rows] == ["identified", "identified"]
    assert rows[0]["low"] <= 12.0 <= rows[0]["high"]


def test_fit_reports_non_identifiability():
    # only the product a * c is observable: c never enters separately
    def model(X):
        return (X[:, :1] * X[:, 2:3]) * np.exp(X[:, 1:2] * TIMES)
    table = _table(list(model(np.array([[10.0, 0.3, 2.0]]))[0]))
    res_fn = lambda X: residuals_from_sim(model(X), table)   # noqa: E731
    res = fit(res_fn, [(1, 100), (0, 1), (0.5, 5)], seed=0, popsize=10, maxiter=40)
    assert res.payoff < 1e-3                          # it fits...
    X, _, _ = uncertainty_set(res, res_fn, seed=2, n_extra=800)
    rows, summary = identifiability(res, res_fn, X, 5)
    assert not summary["identified"]                  # ...but says the data cannot pin it down
    assert summary["rank"] == 2
    assert "not identifiable" in summary["verdict"]
    assert rows[1]["status"] == "identified"


def test_under_determined_is_reported():
    table = _table([float(_toy(np.array([[12.0, 0.35]]))[0, 2])])   # one observation
    res_fn = lambda X: residuals_from_sim(_toy(X)[:, 2:3], table)   # noqa: E731
    res = fit(res_fn, [(1, 100), (0, 1)], seed=0, popsize=8, maxiter=20)
    X, _, _ = uncertainty_set(res, res_fn, seed=0, n_extra=300)
    rows, summary = identifiability(res, res_fn, X, 1)
    assert not summary["identified"] and "under-determined" in summary["verdict"]


def test_bad_bounds():
    with pytest.raises(ValueError, match="low < high"):
        fit(lambda X: X, [(1, 1)], seed=0)
    with pytest.raises(ValueError, match="positive lower"):
        fit(lambda X: X, [(0, 1)], seed=0, log_scale=[True])
