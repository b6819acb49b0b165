"""Numerical validity: TIME STEP halving, budget-pool conservation, integration method."""

import numpy as np
import pytest

from model_helpers import KEY_OUTPUTS, NON_NEGATIVE, SCENARIO_NAMES


def year_end_2030(res, name):
    return res[name][0, int(np.argmin(np.abs(res.time - 2031.0)))]


@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
def test_halving_time_step_changes_2030_outputs_by_less_than_1pct(cm, scenario_params, scenario):
    params = scenario_params[scenario]
    coarse = cm.simulate(params=params, outputs=list(KEY_OUTPUTS))
    fine = cm.simulate(params=params, outputs=list(KEY_OUTPUTS), time_step=cm.time_step / 2)
    for name in KEY_OUTPUTS:
        a, b = year_end_2030(coarse, name), year_end_2030(fine, name)
        np.testing.assert_allclose(a, b, rtol=0.01, err_msg=f"{scenario}: {name}")


def test_euler_and_rk4_agree_within_1pct(cm):
    euler = cm.simulate(outputs=list(KEY_OUTPUTS))
    rk4 = cm.simulate(outputs=list(KEY_OUTPUTS), method="rk4")
    for name in KEY_OUTPUTS:
        np.testing.assert_allclose(
            year_end_2030(euler, name), year_end_2030(rk4, name), rtol=0.01, err_msg=name
        )


def conservation_error(res):
    """|pools + moved budget - initial - cumulative growth| relative to the pools' size."""
    err = np.abs(res["Budget Pool Conservation Error"])
    size = (
        res["Seat Software Budget"]
        + res["Substituted Seat Budget"]
        + res["Unserved Enterprise Pool"]
        + res["Embedded Enterprise Budget"]
    )
    return err / np.maximum(size, 1.0)


CONSERVATION_OUTPUTS = [
    "Budget Pool Conservation Error",
    "Seat Software Budget",
    "Substituted Seat Budget",
    "Unserved Enterprise Pool",
    "Embedded Enterprise Budget",
]


@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
def test_budget_pool_conservation_in_every_scenario(cm, scenario_params, scenario):
    res = cm.simulate(params=scenario_params[scenario], outputs=CONSERVATION_OUTPUTS)
    assert conservation_error(res).max() < 1e-9


def test_random_parameters_in_declared_ranges_stay_finite_non_negative_conserving(cm):
    """500 parameter sets drawn uniformly over every constant's declared [min, max]."""
    rng = np.random.default_rng(7)
    n = 500
    params = {}
    for name, c in cm.constants.items():
        lo, hi = c.limits
        if lo == hi:
            continue
        params[name] = rng.uniform(lo, hi, size=(n,) + c.default.shape)
    outputs = sorted(set(CONSERVATION_OUTPUTS) | set(NON_NEGATIVE) | set(KEY_OUTPUTS))
    res = cm.simulate(params=params, outputs=outputs)
    for name in outputs:
        assert np.isfinite(res[name]).all(), name
    for name in NON_NEGATIVE:
        assert res[name].min() >= 0, name
    assert conservation_error(res).max() < 1e-9
