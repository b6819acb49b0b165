"""Parity with PySD at every saved time (rtol 1e-9) on random parameter sets."""

import numpy as np
import pytest

from aigap.engine import TimeSeries, compile_model
from aigap.engine.backends.pysd import simulate_pysd

from sdconf_helpers import SUITE, entry_id, manifest

RTOL, ATOL = 1e-9, 1e-12
RUNS_PER_MODEL = 6
# models whose constants are safe to perturb by +-20 % (they stay well defined)
ENTRIES = [
    e
    for e in manifest()
    if e["path"]
    not in (
        "tests/delay_numeric_error",  # delay order is tuned to TIME STEP
    )
]


def _random_params(cm, rng, n):
    """Perturb every constant by a random factor in [0.8, 1.2] per run (and element)."""
    params = {}
    for name, info in cm.constants.items():
        factor = rng.uniform(0.8, 1.2, size=(n,) + info.default.shape)
        params[name] = info.default * factor
    return params


def assert_same(res, ref, names):
    np.testing.assert_allclose(res.time, ref.time, rtol=0, atol=1e-12)
    for name in names:
        np.testing.assert_allclose(
            res[name], ref[name], rtol=RTOL, atol=ATOL, err_msg=f"variable {name}"
        )


def _models():
    models = []
    for e in ENTRIES:
        cm = compile_model(SUITE / e["path"] / e["model"])
        if cm.constants:
            models.append(pytest.param(e, id=entry_id(e)))
    return models


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20240101)


@pytest.mark.skipif(not ENTRIES, reason=f"conformance suite not found at {SUITE}")
@pytest.mark.parametrize("entry", _models() if ENTRIES else [])
def test_random_parameter_sets_match_pysd(entry, rng):
    cm = compile_model(SUITE / entry["path"] / entry["model"])
    params = _random_params(cm, rng, RUNS_PER_MODEL)
    names = [n for n, v in cm.variables.items() if v.kind != "lookup"]
    res = cm.simulate(params=params, outputs=names)
    ref = simulate_pysd(cm.path, params, outputs=names, model=cm)
    assert res.n_runs == ref.n_runs == RUNS_PER_MODEL
    assert_same(res, ref, names)


def test_at_least_100_parameter_sets():
    if not ENTRIES:
        pytest.skip("conformance suite absent")
    assert len(_models()) * RUNS_PER_MODEL >= 100


@pytest.mark.skipif(not ENTRIES, reason="conformance suite absent")
def test_time_series_parameter_matches_pysd():
    """A constant replaced by (time, value) points behaves as PySD's pandas.Series param."""
    cm = compile_model(SUITE / "samples/SIR/SIR.mdl")
    ts = TimeSeries(
        [0.0, 20.0, 35.5, 60.0], np.array([[0.2, 0.45, 0.3, 0.25], [0.4, 0.1, 0.2, 0.3]])
    )
    params = {"Contact Infectivity": ts, "Duration": [4.0, 6.0]}
    names = ["Infectious", "Recovered", "Contact Infectivity"]
    res = cm.simulate(params=params, outputs=names)
    ref = simulate_pysd(cm.path, params, outputs=names, model=cm)
    assert_same(res, ref, names)


@pytest.mark.skipif(not ENTRIES, reason="conformance suite absent")
def test_subscripted_time_series_and_control_overrides_match_pysd():
    cm = compile_model(SUITE / "tests/subscript_2d_arrays/test_subscript_2d_arrays.mdl")
    values = np.linspace(0.01, 0.09, 6 * 3).reshape(3, 2, 3)
    params = {"Rate A": TimeSeries([10.0, 30.0, 50.0], values)}  # held before 10, after 50
    names = ["Stock A", "Inflow A"]
    kw = dict(time_step=0.5, final_time=60.0, saveper=2.0)
    res = cm.simulate(params=params, outputs=names, **kw)
    ref = simulate_pysd(cm.path, params, outputs=names, model=cm, **kw)
    assert res.time[1] - res.time[0] == 2.0
    assert_same(res, ref, names)
