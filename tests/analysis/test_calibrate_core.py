"""Calibration core on arrays: residuals by kind, fit, uncertainty set, identifiability."""

import numpy as np
import pytest

from aigap.analysis.fitting import fit, identifiability, scaled_residuals, uncertainty_set
from aigap.observations import Observation

TIMES = np.array([0.5, 1.0, 2.0, 3.0, 4.0])


def _table(values, kinds=None):
    kinds = kinds or ["point"] * len(values)
    return [
        Observation(id=f"o{i}", variable="X", region=None, time=float(i), kind=k, value=v)
        for i, (k, v) in enumerate(zip(kinds, values))
    ]


def test_scaled_residuals_by_kind():
    items = [
        Observation("p", "X", None, 1.0, "point", value=100.0),
        Observation("lo", "X", None, 1.0, "lower", value=200.0),
        Observation("up", "X", None, 1.0, "upper", value=50.0),
        Observation("rg", "X", None, 1.0, "range", low=10.0, high=20.0, weight=4, tolerance=0.5),
    ]
    sim = np.array(
        [
            [200.0, 100.0, 100.0, 5.0],  # every observation missed
            [100.0, 300.0, 40.0, 15.0],  # every observation met
            [np.nan, 400.0, 25.0, 40.0],
        ]
    )
    r = scaled_residuals(items, sim)
    np.testing.assert_allclose(r[0, :3], np.array([np.log(2), np.log(0.5), np.log(2)]) / 0.25)
    assert r[0, 3] == pytest.approx(2 * np.log(0.5) / 0.5)  # sqrt(w) e / tau
    np.testing.assert_allclose(r[1], 0.0)
    assert r[2, 0] == 1e3  # non-finite simulation -> large residual
    assert r[2, 3] == pytest.approx(2 * np.log(2) / 0.5)


def _toy(theta):
    """Growth model: a * exp(b t) with a in [1, 100], b in [0, 1]; rows of theta."""
    return theta[:, :1] * np.exp(theta[:, 1:2] * TIMES)


def test_fit_recovers_known_parameters():
    truth = np.array([[12.0, 0.35]])
    table = _table(list(_toy(truth)[0]))
    res = fit(
        lambda X: scaled_residuals(table, _toy(X)),
        [(1, 100), (0, 1)],
        seed=0,
        log_scale=[True, False],
        popsize=10,
        maxiter=60,
    )
    np.testing.assert_allclose(res.x, truth[0], rtol=1e-3)
    assert res.payoff < 1e-6
    # one batched call per DE generation, not one call per candidate
    assert res.n_calls < res.n_evals / 5
    X, P, thr = uncertainty_set(
        res, lambda X: scaled_residuals(table, _toy(X)), seed=1, n_extra=500
    )
    assert np.all(P <= res.payoff + thr) and len(X) > 10
    rows, summary = identifiability(res, lambda X: scaled_residuals(table, _toy(X)), X, 5)
    assert summary["identified"] and summary["rank"] == 2
    # the set is fresh draws in the 95% likelihood-ratio region (no optimizer history), so
    # the rate's honest range (about 0.16-0.55 for this tolerance) counts as weakly identified
    assert [r["status"] for r in rows] == ["identified", "weakly identified"]
    assert rows[0]["low"] <= 12.0 <= rows[0]["high"]
    assert rows[1]["low"] <= 0.35 <= rows[1]["high"]


def test_fit_reports_non_identifiability():
    # only the product a * c is observable: c never enters separately
    def model(X):
        return (X[:, :1] * X[:, 2:3]) * np.exp(X[:, 1:2] * TIMES)

    table = _table(list(model(np.array([[10.0, 0.3, 2.0]]))[0]))
    res_fn = lambda X: scaled_residuals(table, model(X))  # noqa: E731
    res = fit(res_fn, [(1, 100), (0, 1), (0.5, 5)], seed=0, popsize=10, maxiter=40)
    assert res.payoff < 1e-3  # it fits...
    X, _, _ = uncertainty_set(res, res_fn, seed=2, n_extra=800)
    rows, summary = identifiability(res, res_fn, X, 5)
    assert not summary["identified"]  # ...but says the data cannot pin it down
    assert summary["rank"] == 2
    assert "not identifiable" in summary["verdict"]
    assert rows[1]["status"] != "not identified"  # the rate is constrained by the data


def test_under_determined_is_reported():
    table = _table([float(_toy(np.array([[12.0, 0.35]]))[0, 2])])  # one observation
    res_fn = lambda X: scaled_residuals(table, _toy(X)[:, 2:3])  # noqa: E731
    res = fit(res_fn, [(1, 100), (0, 1)], seed=0, popsize=8, maxiter=20)
    X, _, _ = uncertainty_set(res, res_fn, seed=0, n_extra=300)
    rows, summary = identifiability(res, res_fn, X, 1)
    assert not summary["identified"] and "under-determined" in summary["verdict"]


def test_bad_bounds():
    with pytest.raises(ValueError, match="low < high"):
        fit(lambda X: X, [(1, 1)], seed=0)
    with pytest.raises(ValueError, match="positive lower"):
        fit(lambda X: X, [(0, 1)], seed=0, log_scale=[True])


def test_uncertainty_set_has_no_optimizer_history():
    """The exported set is fresh draws inside the region, never the optimizer's own
    evaluations (which crowd around the best fit and make percentiles too narrow)."""
    table = _table(list(_toy(np.array([[12.0, 0.35]]))[0]))
    res_fn = lambda X: scaled_residuals(table, _toy(X))  # noqa: E731
    res = fit(res_fn, [(1, 100), (0, 1)], seed=0, popsize=8, maxiter=30)
    X, P, thr = uncertainty_set(res, res_fn, seed=3, n_extra=400)
    hist = {tuple(np.round(h, 12)) for h in res.history_x}
    assert len(X) and not any(tuple(np.round(x, 12)) in hist for x in X)
    assert np.all(P <= res.payoff + thr)
    assert len(uncertainty_set(res, res_fn, seed=3, n_extra=0)[0]) == 0
