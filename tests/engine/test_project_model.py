"""The project model: the engine equals PySD at every saved time (slow: PySD ~10 s/run)."""
from pathlib import Path

import numpy as np
import pytest

from aigap.engine import compile_model
from aigap.engine.pysd_backend import simulate_pysd

MODEL = Path(__file__).resolve().parents[2] / "model" / "ai_gap.mdl"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not MODEL.is_file(), reason="model/ai_gap.mdl not written yet")]


@pytest.fixture(scope="module")
def cm():
    return compile_model(MODEL, check=True)


def test_default_and_random_parameter_sets_match_pysd(cm):
    rng = np.random.default_rng(2026)
    n = 3                                    # run 0: defaults; runs 1-2: random +-10 %
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
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-9, atol=1e-12,
                                   err_msg=name)
