"""SD extreme-condition tests: the model stays sensible and bounded at the edges of its inputs.

The declarative ones live in model/checks.yaml (every ranged constant at its minimum and
maximum, one at a time and all together: stocks finite and non-negative, shares in [0, 1];
pools conserved; zero capex, zero pools, price war at 0 and 1, zero WTP), run by
``aigap check --model-checks`` and failed on by tests/checks/test_model_checks.py. What stays
here needs closed forms a predicate cannot state (first-order decay exp(-t/life), the subsidy
depth, cost x (1 + markup)) or constants outside their declared ranges.
"""

import numpy as np

from model_helpers import NON_NEGATIVE
from model_helpers import at, with_constant

US, CN = 0, 1


def run(cm, params, outputs=None):
    res = cm.simulate(params=params, outputs=outputs)
    for name in outputs or cm.variables:
        if cm.variables[name].kind != "lookup":
            assert np.isfinite(res[name]).all(), name
    for name in NON_NEGATIVE:
        if outputs is None or name in outputs:
            assert res[name].min() >= 0, name
    return res


def test_zero_capex_capital_decays_and_nothing_explodes(cm, baseline):
    params = with_constant(cm, "Capex Policy Multiplier", 0.0)
    res = run(cm, params)
    assert np.abs(res["AI Capex"]).max() == 0
    cap = res["AI Capital"][0]
    assert (np.diff(cap, axis=0) < 0).all()  # only depreciation
    expected = cm.constants["Initial AI Capital"].default * np.exp(-7 / 5)
    np.testing.assert_allclose(cap[-1], expected, rtol=0.02)  # first-order decay, 5-yr life
    # slower capability progress and no more revenue than with capex
    assert (at(res, "Capability", 2031) < at(baseline, "Capability", 2031)).all()
    # compute runs short: demand growth is capped, revenue far below the baseline
    assert (at(res, "Compute Adequacy", 2031) < 0.5).all()
    assert (at(res, "Total AI ARR", 2031) < 0.85 * at(baseline, "Total AI ARR", 2031)).all()
    # the return on (a shrinking) capital stays finite and bounded by the ARR it earns
    assert np.isfinite(res["Return Gap Ratio"]).all()


def test_zero_budget_pools_no_enterprise_bookings(cm):
    params = with_constant(cm, "Initial Seat Software Budget", 0.0)
    params = with_constant(cm, "Initial Unserved Enterprise Pool", 0.0, params=params)
    # the third reached budget: team budgets opened by developer-led procurement
    params = with_constant(cm, "Team AI Budget per Paying Developer", 0.0, params=params)
    res = run(cm, params)
    for name in (
        "Seat Software Budget",
        "Unserved Enterprise Pool",
        "Budget Substitution",
        "Embedding Conversion",
        "Model Bookings",
        "Application Bookings",
        "AI Wallet",
    ):
        assert np.abs(res[name]).max() == 0, name
    # contracted ARR can only shrink (churn, no wallet to expand into)
    for name in ("Model Contract ARR", "Application Contract ARR"):
        assert (np.diff(res[name][0], axis=0) <= 1e-9).all(), name
    # developers and consumers still pay: total ARR stays positive and finite
    assert (res["Total AI ARR"][0] > 0).all()


def test_extreme_price_war_prices_stay_positive_and_revenue_falls(cm, baseline):
    params = with_constant(cm, "Price War Intensity", 1.0)
    res = run(cm, params)
    price, cost = res["Token Price"][0, -1], res["Unit Token Cost"][0, -1]
    target = res["Target Token Price"][0, -1]
    assert (price > 0).all() and (price < cost).all()  # sold below cost ...
    sub = cm.constants["Price War Subsidy Depth"].default
    np.testing.assert_allclose(target / cost, 1 - sub, rtol=1e-9)  # ... by a bounded subsidy
    np.testing.assert_allclose(price, target, rtol=0.3)  # price lags a falling cost
    assert (res["Developer Plan Price"][0] > 0).all()
    assert (at(res, "Total AI ARR", 2031) < at(baseline, "Total AI ARR", 2031)).all()
    assert (at(res, "Developer WTP", 2031) < at(baseline, "Developer WTP", 2031)).all()


def test_no_price_war_prices_at_cost_plus_markup(cm):
    res = run(cm, with_constant(cm, "Price War Intensity", 0.0))
    ratio = res["Target Token Price"][0, -1] / res["Unit Token Cost"][0, -1]
    np.testing.assert_allclose(ratio, 1 + cm.constants["Normal Token Markup"].default, rtol=1e-9)
    np.testing.assert_allclose(res["Price Realization"][0], 1.0, rtol=1e-9)
    assert (res["Token Price"][0, -1] > res["Unit Token Cost"][0, -1]).all()


def test_zero_willingness_to_pay_no_paying_developers(cm, baseline):
    params = with_constant(cm, "Initial Developer WTP", 0.0)
    params = with_constant(cm, "Frontier Developer Value", 0.0, params=params)
    res = run(cm, params)
    assert np.abs(res["Developer WTP"]).max() == 0
    assert np.abs(res["Developer Adoption"]).max() < 1e-20  # exp(-100) at WTP = 0
    assert (np.diff(res["Paying Developers"][0], axis=0) < 0).all()  # churn only
    assert np.abs(res["Consumer Subscription ARR"]).max() == 0
    assert (at(res, "Total AI ARR", 2031) < at(baseline, "Total AI ARR", 2031)).all()


def test_no_catch_up_and_no_compute_gap_stays_at_initial(cm):
    params = with_constant(cm, "Capability Catch Up Rate", 0.0)
    params = with_constant(cm, "Compute Elasticity", 0.0, params=params)
    res = run(cm, params, outputs=["Capability Gap"])
    gap0 = -cm.constants["Initial Capability"].default[CN]
    np.testing.assert_allclose(res["Capability Gap"][0, :, CN], gap0, rtol=1e-9)
