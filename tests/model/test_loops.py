"""Loop knockout tests: cutting each named feedback loop (model/README.md) changes the behaviour
it is said to produce, in the direction and roughly the size documented."""
import numpy as np
import pytest

from model_helpers import at

US, CN = "US", "CN"


@pytest.fixture(scope="module")
def knock(cm):
    def run(**overrides):
        return cm.simulate(params={k.replace("_", " "): v for k, v in overrides.items()})
    return run


def test_r1_developer_flywheel_drives_us_adoption_and_substitution(baseline, knock):
    res = knock(Developer_Word_of_Mouth=0.0, Developer_Flywheel_Strength=0.0)
    assert at(res, "Paying Developers", 2027, US) < 0.3 * at(baseline, "Paying Developers", 2027, US)
    assert at(res, "Total AI ARR", 2027, US) < 0.7 * at(baseline, "Total AI ARR", 2027, US)


def test_r2_compute_keeps_china_behind(baseline, knock):
    res = knock(Compute_Elasticity=0.0)
    assert at(res, "Capability Gap", 2031, CN) < 0.5 * at(baseline, "Capability Gap", 2031, CN)


def test_r3_growth_expectations_drive_the_2025_capex_boom(baseline, knock):
    res = knock(Growth_Expectation_Horizon=0.5)
    assert at(res, "AI Capex", 2025.5, US) < 0.5 * at(baseline, "AI Capex", 2025.5, US)


def test_r4_price_anchoring_holds_chinese_wtp_down(baseline, knock):
    res = knock(Price_Anchor_Weight=0.0)
    assert at(res, "Developer WTP", 2031, CN) > 1.4 * at(baseline, "Developer WTP", 2031, CN)


def test_b2_budget_pools_bound_revenue(baseline, knock):
    res = knock(AI_Wallet_Multiple=np.array([5.0, 5.0]))
    assert at(res, "Total AI ARR", 2031, US) > 2.5 * at(baseline, "Total AI ARR", 2031, US)


def test_b4_catch_up_narrows_the_gap(baseline, knock):
    res = knock(Capability_Catch_Up_Rate=0.0)
    assert at(res, "Capability Gap", 2031, CN) > 3 * at(baseline, "Capability Gap", 2031, CN)
    assert at(res, "Total AI ARR", 2027, CN) < 0.6 * at(baseline, "Total AI ARR", 2027, CN)


def test_b5_compute_adequacy_is_dormant_in_the_baseline(baseline):
    np.testing.assert_array_equal(baseline["Compute Adequacy"], 1.0)
