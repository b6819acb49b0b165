"""Ensemble consistency: N parameter sets at once equal N single runs, bit for bit."""

from pathlib import Path

import numpy as np
import pytest

from aigap.engine import TimeSeries, compile_model

from sdconf_helpers import SUITE, manifest

MODELS = [
    "samples/SIR/SIR.mdl",
    "tests/subscripted_smooth/test_subscripted_smooth.mdl",
    "tests/delays/test_delays.mdl",
    "tests/subscripted_trend/test_subscripted_trend.mdl",
    "tests/subscript_2d_arrays/test_subscript_2d_arrays.mdl",
    "tests/variable_ranges/test_variable_ranges.mdl",
]
PROJECT_MODEL = Path(__file__).resolve().parents[2] / "model" / "ai_gap.mdl"
# only the conformance-suite tests may skip (the suite lives beside the repository); the
# project model is part of the repository: its test fails when the model is missing
needs_suite = pytest.mark.skipif(not manifest(), reason="conformance suite absent")


def _params(cm, rng, n):
    return {
        name: info.default * rng.uniform(0.8, 1.2, size=(n,) + info.default.shape)
        for name, info in cm.constants.items()
    }


@needs_suite
@pytest.mark.parametrize("path", MODELS)
@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_n_at_once_equals_n_single_runs(path, method):
    cm = compile_model(SUITE / path)
    rng = np.random.default_rng(7)
    n = 5
    params = _params(cm, rng, n)
    names = [k for k, v in cm.variables.items() if v.kind != "lookup"]
    together = cm.simulate(params=params, outputs=names, method=method)
    blocks = cm.simulate(params=params, outputs=names, method=method, block_size=2)
    for i in range(n):
        one = cm.simulate(params={k: v[i] for k, v in params.items()}, outputs=names, method=method)
        for name in names:
            np.testing.assert_array_equal(together[name][i], one[name][0], err_msg=name)
            np.testing.assert_array_equal(blocks[name][i], one[name][0], err_msg=name)


@needs_suite
def test_parameter_forms_broadcast_alike():
    """Scalar, (runs,), (*dims,) and (runs, *dims) overrides give the same runs."""
    cm = compile_model(SUITE / "tests/subscript_2d_arrays/test_subscript_2d_arrays.mdl")
    rate = cm.constants["Rate A"].default * 1.5
    a = cm.simulate(params={"Rate A": rate}, n_runs=3, outputs=["Stock A"])
    b = cm.simulate(params={"Rate A": np.broadcast_to(rate, (3, 3, 2))}, outputs=["Stock A"])
    c = cm.simulate(params={"Rate A": 0.02}, outputs=["Stock A"])
    d = cm.simulate(params={"Rate A": np.full((4, 3, 2), 0.02)}, outputs=["Stock A"])
    e = cm.simulate(params={"Rate A": [0.02, 0.03, 0.02, 0.02]}, outputs=["Stock A"])
    f = cm.simulate(
        params={
            "Rate A": TimeSeries([0, 1], [[0.02, 0.02], [0.03, 0.03], [0.02, 0.02], [0.02, 0.02]])
        },
        outputs=["Stock A"],
    )
    assert a["Stock A"].shape == (3, 101, 3, 2)
    np.testing.assert_array_equal(e["Stock A"][0], d["Stock A"][3])  # (runs,) for all elements
    np.testing.assert_array_equal(e["Stock A"], f["Stock A"])
    np.testing.assert_array_equal(a["Stock A"], b["Stock A"])
    np.testing.assert_array_equal(c["Stock A"][0], d["Stock A"][3])
    assert not np.array_equal(a["Stock A"][0], c["Stock A"][0])


@needs_suite
def test_time_series_that_is_constant_equals_the_constant():
    cm = compile_model(SUITE / "samples/SIR/SIR.mdl")
    flat = cm.simulate(
        params={"Contact Infectivity": TimeSeries([0, 50], [0.25, 0.25])}, outputs=["Infectious"]
    )
    const = cm.simulate(params={"Contact Infectivity": 0.25}, outputs=["Infectious"])
    np.testing.assert_array_equal(flat["Infectious"], const["Infectious"])


@needs_suite
def test_default_run_is_the_model_and_only_requested_outputs_are_stored():
    cm = compile_model(SUITE / "samples/SIR/SIR.mdl")
    res = cm.simulate(n_runs=3, outputs=["Infectious"])
    assert res.names == ["Infectious"]
    assert res["Infectious"].shape == (3, len(res.time))
    np.testing.assert_array_equal(res["Infectious"][0], res["Infectious"][2])
    assert res.time[0] == cm.initial_time and res.time[-1] == cm.final_time


@needs_suite
def test_last_block_of_one_run():
    """A trailing block with a single run (scalar path) equals the same run in a block."""
    cm = compile_model(SUITE / "tests/subscripted_smooth/test_subscripted_smooth.mdl")
    rng = np.random.default_rng(3)
    params = _params(cm, rng, 3)
    names = [k for k, v in cm.variables.items() if v.kind != "lookup"]
    a = cm.simulate(params=params, outputs=names, block_size=2)
    b = cm.simulate(params=params, outputs=names)
    for name in names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_project_model_ensemble_equals_single_runs(method):
    assert PROJECT_MODEL.is_file(), f"{PROJECT_MODEL} is missing (it is part of the repository)"
    cm = compile_model(PROJECT_MODEL)
    rng = np.random.default_rng(5)
    params = {
        name: info.default * rng.uniform(0.9, 1.1, size=(4,) + info.default.shape)
        for name, info in cm.constants.items()
    }
    names = [k for k, v in cm.variables.items() if v.kind != "lookup"]
    together = cm.simulate(params=params, outputs=names, method=method, engine="numpy")
    for i in range(4):
        one = cm.simulate(
            params={k: v[i] for k, v in params.items()},
            outputs=names,
            method=method,
            engine="numpy",
        )
        for name in names:
            np.testing.assert_array_equal(together[name][i], one[name][0], err_msg=name)
