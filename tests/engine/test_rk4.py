"""RK4 beside Euler: convergence orders on a model with a known solution."""

import numpy as np
import pytest

from aigap.engine import compile_model

from sdconf_helpers import write_mdl

DECAY = """
Stock= INTEG (
	Inflow - Decay Rate * Stock,
		1)
	~	Widget
	~		|

Inflow=
	SIN(Time)
	~	Widget/Month
	~		|

Decay Rate=
	0.7
	~	1/Month [0, 10]
	~	Fractional decay per month.
	|
"""


def exact(t, k=0.7, s0=1.0):
    """Solution of dS/dt = sin(t) - k S, S(0) = s0."""
    c = s0 + 1 / (1 + k * k)
    return c * np.exp(-k * t) + (k * np.sin(t) - np.cos(t)) / (1 + k * k)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return compile_model(write_mdl(tmp_path_factory.mktemp("rk4"), "decay.mdl", DECAY, final=2))


def _errors(cm, method, steps):
    errs = []
    for dt in steps:
        res = cm.simulate(method=method, time_step=dt, saveper=0.5, outputs=["Stock"])
        assert np.allclose(res.time, [0, 0.5, 1, 1.5, 2])
        errs.append(np.max(np.abs(res["Stock"][0] - exact(res.time))))
    return np.array(errs)


def test_rk4_is_fourth_order(model):
    errs = _errors(model, "rk4", [1 / 4, 1 / 8, 1 / 16, 1 / 32])
    orders = np.log2(errs[:-1] / errs[1:])
    assert np.all(orders > 3.8) and np.all(orders < 4.3), orders
    assert errs[-1] < 1e-8


def test_euler_is_first_order(model):
    errs = _errors(model, "euler", [1 / 16, 1 / 32, 1 / 64, 1 / 128])
    orders = np.log2(errs[:-1] / errs[1:])
    assert np.all(np.abs(orders - 1) < 0.1), orders


def test_rk4_ensemble_equals_single_runs(model):
    rates = np.array([0.3, 0.7, 1.1])
    res = model.simulate(params={"Decay Rate": rates}, method="rk4", outputs=["Stock"])
    for i, r in enumerate(rates):
        one = model.simulate(params={"Decay Rate": r}, method="rk4", outputs=["Stock"])
        np.testing.assert_array_equal(res["Stock"][i], one["Stock"][0])
    np.testing.assert_allclose(res["Stock"][1], exact(res.time), rtol=1e-5)
