"""Capex behaviour the lead review asked for: capex starts in equilibrium with its drivers (no
initialisation transient), Chinese capex grows in 2024-2025 without a revenue case, and the
response of capex to the perceived return is gradual (no threshold switch that multiplies capex
several-fold within a year) in every scenario."""

import numpy as np
import pytest

from model_helpers import SCENARIO_NAMES
from model_helpers import at

ONE_YEAR = 16  # saved points per year (SAVEPER 1/16)


def test_capex_starts_in_equilibrium_with_its_drivers(baseline):
    capex, indicated = baseline["AI Capex"][0], baseline["Indicated AI Capex"][0]
    np.testing.assert_allclose(capex[0], indicated[0], rtol=1e-12)
    np.testing.assert_allclose(
        baseline["Expected ARR Growth"][0, 0], baseline["Perceived ARR Growth"][0, 0], rtol=1e-12
    )


def test_capex_rises_from_the_start_without_an_initial_dip(baseline):
    early = baseline["AI Capex"][0][baseline.time <= 2026.5]
    assert np.all(np.diff(early, axis=0) >= 0), "AI Capex falls somewhere in 2024-2026"


def test_chinese_capex_grows_in_2024_2025_under_the_cicc_ceiling(baseline):
    growth = at(baseline, "AI Capex", 2025.5, "CN") / at(baseline, "AI Capex", 2024.0, "CN")
    assert 1.05 < growth < 1.5
    assert at(baseline, "AI Capex", 2025.5, "CN") < 6.9e10  # RMB 500B, seed 000


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_capex_never_multiplies_within_a_year(cm, scenario_params, name):
    capex = cm.simulate(params=scenario_params[name])["AI Capex"][0]
    ratio = capex[ONE_YEAR:] / capex[:-ONE_YEAR]
    assert ratio.max() < 2.5, f"{name}: capex grows {ratio.max():.2f}x within one year"
