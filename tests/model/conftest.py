"""Shared fixtures for the model-level SD validation tests (engine runs, a few PySD runs)."""

import pytest

from model_helpers import EXTRA_SCENARIOS, MODEL, SCENARIO_NAMES, SCENARIOS


@pytest.fixture(scope="session")
def cm():
    from aigap.engine import compile_model

    return compile_model(MODEL)


@pytest.fixture(scope="session")
def scenario_params(cm):
    """Resolved engine parameters of every project scenario, by name."""
    from aigap.scenarios import load_scenario, resolve_params

    return {
        name: resolve_params(cm, load_scenario(SCENARIOS / f"{name}.yaml", model=cm))
        for name in SCENARIO_NAMES + EXTRA_SCENARIOS
    }


@pytest.fixture(scope="session")
def baseline(cm):
    return cm.simulate()
