"""The project model: the engine equals PySD at every saved time (slow: PySD ~10 s/run)."""

from pathlib import Path

import numpy as np
import pytest

from aigap.engine import compile_model
from aigap.engine.backends.pysd import simulate_pysd
from aigap.core.keys import KEY_OUTPUTS

MODEL = Path(__file__).resolve().parents[2] / "model" / "ai_gap.mdl"
SCENARIOS = sorted((MODEL.parents[1] / "scenarios").glob("*.yaml"))
NAMED = {
    "baseline",
    "us_substitution",
    "china_entry_point",
    "china_embedding",
    "china_anthropic_copy",
    "price_war_truce",
}
pytestmark = pytest.mark.slow  # the model is part of the repository: never skipped


def test_project_model_and_scenarios_are_present():
    """Fails (instead of the parity tests quietly skipping) when the files are missing."""
    assert MODEL.is_file(), f"{MODEL} is missing"
    assert NAMED <= {p.stem for p in SCENARIOS}, f"named scenarios missing in {MODEL.parents[1]}"


@pytest.fixture(scope="module")
def cm():
    return compile_model(MODEL, check=True)


def test_default_and_random_parameter_sets_match_pysd(cm):
    rng = np.random.default_rng(2026)
    n = 3  # run 0: defaults; runs 1-2: random +-10 %
    params = {}
    for name, info in cm.constants.items():
        factor = rng.uniform(0.9, 1.1, size=(n,) + info.default.shape)
        factor[0] = 1.0
        params[name] = info.default * factor
    names = [k for k, v in cm.variables.items() if v.kind != "lookup"]
    res = cm.simulate(params=params, outputs=names)
    ref = simulate_pysd(cm.path, params, outputs=names, model=cm)
    np.testing.assert_allclose(res.time, ref.time, rtol=0, atol=1e-12)
    for name in names:
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-9, atol=1e-12, err_msg=name)


# the contract outputs of docs/architecture.md (PySD is slow: keep these runs lean)
KEY = list(KEY_OUTPUTS)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_scenario_matches_pysd(cm, path):
    from aigap.scenarios import load_scenario, resolve_params

    params = resolve_params(cm, load_scenario(path, model=cm))
    names = [k for k in KEY if k in cm.variables]
    assert len(names) >= 10
    res = cm.simulate(params=params, outputs=names)
    ref = simulate_pysd(cm.path, params, outputs=names, model=cm)
    for name in names:
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-9, atol=1e-12, err_msg=name)
