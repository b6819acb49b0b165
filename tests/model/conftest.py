"""Shared fixtures for the model-level SD validation tests (engine runs, a few PySD runs)."""
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "model" / "ai_gap.mdl"
SCENARIOS = ROOT / "scenarios"
OBSERVATIONS = SCENARIOS / "data" / "observations.yaml"
SEEDS = ROOT / ".." / "shared" / "seeds"
SCENARIO_NAMES = ("baseline", "us_substitution", "china_entry_point", "china_embedding",
                  "china_anthropic_copy", "price_war_truce")
# Stocks that must never go negative (all of them: money, people, capital, prices, shares).
NON_NEGATIVE = ("AI Capital", "Token Price", "Developer WTP", "Paying Developers",
                "AI App Users", "Seat Software Budget", "Substituted Seat Budget",
                "Unserved Enterprise Pool", "Embedded Enterprise Budget", "Interface Orientation",
                "Model Contract ARR", "Application Contract ARR", "AI Capex", "Model ARR",
                "Application ARR", "Total AI ARR")
KEY_OUTPUTS = ("Total AI ARR", "Model ARR", "Application ARR", "AI Capital", "AI Capex",
               "Return on AI Capital", "Token Price", "Developer WTP", "Paying Developers",
               "ARR Gap Ratio", "Model ARR Gap Ratio", "Return Gap Ratio")


@pytest.fixture(scope="session")
def cm():
    from aigap.engine import compile_model
    return compile_model(MODEL)


@pytest.fixture(scope="session")
def scenario_params(cm):
    """Resolved engine parameters of every project scenario, by name."""
    from aigap.scenarios import load_scenario, resolve_params
    return {name: resolve_params(cm, load_scenario(SCENARIOS / f"{name}.yaml", model=cm))
            for name in SCENARIO_NAMES}


@pytest.fixture(scope="session")
def baseline(cm):
    return cm.simulate()
