"""Compiled (numba) backend: engine selection, fallback, errors identical to numpy,
ensemble consistency, time series per run, and the on-disk kernel cache."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from aigap.engine import (
    EngineError,
    ParameterError,
    TimeSeries,
    UnsupportedFeatureError,
    compile_model,
)
from aigap.engine import backends
from aigap.engine.backends.numba import backend as nb

from sdconf_helpers import write_mdl

import numba  # noqa: F401,E402 - a declared dependency: a broken install fails, never skips

MODEL = """
Stock[Region]= INTEG (Inflow[Region] - Outflow[Region], Initial Stock[Region])
	~	Widget
	~		|
Inflow[Region]= Growth * Stock[Region] * (1 + 0.2 * SIN(Time)) + Push[Region]
	~	Widget/Month
	~		|
Outflow[Region]= DELAY N(Inflow[Region], Lag, Inflow[Region], Lag Order)
	~	Widget/Month
	~		|
Smoothed[Region]= SMOOTH3(Stock[Region], Lag)
	~	Widget
	~		|
Piped[Region]= DELAY FIXED(Inflow[Region], Fixed Lag, 0)
	~	Widget/Month
	~		|
Effect[Region]= Effect Table(Stock[Region] / Initial Stock[Region])
	~	Dmnl
	~		|
Effect Table( [(0,0)-(4,2)],(0,0.5),(1,1),(2,1.4),(4,2) )
	~	Dmnl
	~		|
Trend Of Stock[Region]= TREND(Stock[Region], 2, 0)
	~	1/Month
	~		|
Ratio= ZIDZ(Stock[US], Stock[CN]) + IF THEN ELSE(Stock[US] > Stock[CN], 1, 0)
	~	Dmnl
	~		|
Initial Stock[Region]= 10, 20
	~	Widget [0, 100]
	~		|
Push[Region]= 1, 2
	~	Widget/Month [0, 10]
	~		|
Growth= 0.1
	~	1/Month [0, 1]
	~		|
Lag= 2
	~	Month [0.5, 4]
	~		|
Fixed Lag= 1.5
	~	Month [0.5, 4]
	~		|
Lag Order= 3
	~	Dmnl [1, 5]
	~		|
Region: US, CN
	~
	~		|
"""


@pytest.fixture(scope="module")
def cm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nbmodel")
    return compile_model(write_mdl(folder, "small.mdl", MODEL, final=6, dt=0.25), check=True)


def test_choose_engine():
    assert backends.choose_engine("numpy", 10**6) == "numpy"
    assert backends.choose_engine("compiled", 1) == "compiled"
    assert backends.choose_engine("auto", backends.AUTO_MIN_RUNS - 1) == "numpy"
    assert backends.choose_engine("auto", backends.AUTO_MIN_RUNS) == "compiled"
    with pytest.raises(ParameterError, match="unknown engine 'fast'"):
        backends.choose_engine("fast", 10)


@pytest.mark.parametrize(
    "numba_ok, n_runs, expected",
    [
        (True, 1, "numpy"),  # a single run: numpy is done before a kernel loads
        (True, 999, "numpy"),
        (True, 1_000, "compiled"),  # a sweep chunk, a sensitivity design: compiled
        (True, 10**6, "compiled"),
        (False, 10**6, "numpy"),  # no numba
    ],
)
def test_auto_engine_decision(numba_ok, n_runs, expected):
    assert backends.AUTO_MIN_RUNS == 1_000
    assert backends.auto_engine(numba_ok, n_runs) == expected


def test_without_numba_compiled_falls_back_to_numpy_with_a_message(cm, monkeypatch):
    monkeypatch.setattr(nb, "numba_status", lambda: (False, "ImportError: no module numba"))
    assert backends.choose_engine("auto", 10**6) == "numpy"
    with pytest.warns(RuntimeWarning, match="numba cannot be imported.*using the numpy engine"):
        res = cm.simulate(engine="compiled", outputs=["Stock"])
    assert res.meta["engine"] == "numpy"


def test_one_compile_serves_every_output_list_time_series_and_saveper(cm, monkeypatch, tmp_path):
    """The kernel's signature is (model, method): new outputs, time-series constants,
    SAVEPERs and horizons reuse it, and every job still equals the numpy backend."""
    monkeypatch.setenv("AIGAP_CACHE_DIR", str(tmp_path))  # an empty kernel cache
    fresh = nb.NumbaProgram(cm.ir)
    monkeypatch.setitem(cm.plans, "compiled", fresh)
    assert fresh.is_cached(method="euler") is False
    growth = np.linspace(0, 0.2, 12)
    push = TimeSeries([0, 2, 5], np.stack([np.full((2, 3), g) * [1, 3, 2] for g in growth]))
    jobs = [
        dict(params={"Growth": growth}, outputs=["Stock"]),
        dict(params={"Growth": growth}, outputs=["Ratio", "Effect", "Smoothed"], saveper=0.5),
        dict(params={"Growth": growth, "Push": push}, outputs=["Piped", "Push"]),
        dict(
            params={"Lag": TimeSeries([0, 6], [1.5, 2.5]), "Growth": growth},
            outputs=None,
            saveper=0.25,
            final_time=4,
        ),
        dict(
            params={"Growth": growth},
            outputs=["Stock", "Trend Of Stock"],
            time_step=0.125,
            final_time=9,
        ),
    ]
    for job in jobs:
        res = cm.simulate(engine="compiled", **job)
        ref = cm.simulate(engine="numpy", **job)
        assert res.meta["engine"] == "compiled"
        for name in ref.names:
            np.testing.assert_allclose(
                res[name], ref[name], rtol=1e-12, atol=1e-12, err_msg=f"{job}: {name}"
            )
    assert fresh.compiles == 1  # one kernel for all five jobs
    assert len(list((tmp_path / "numba").glob("k*.py"))) == 1
    assert nb.NumbaProgram(cm.ir).is_cached(method="euler") is True  # on disk
    assert fresh.is_cached(method="rk4") is False  # another method: its own kernel
    cm.simulate(engine="compiled", method="rk4", params={"Growth": growth}, outputs=["Stock"])
    assert fresh.compiles == 2


def test_every_state_kind_equals_numpy_euler_and_rk4(cm):
    rng = np.random.default_rng(1)
    params = {
        "Growth": rng.uniform(0, 0.3, 300),
        "Push": rng.uniform(0, 5, (300, 2)),
        "Lag": rng.uniform(1, 3, 300),  # DELAY N: per-run delay times
        "Fixed Lag": rng.choice([0.5, 1.0, 2.25], 300),
    }  # per-run pipe lengths
    for method in ("euler", "rk4"):
        ref = cm.simulate(params=params, method=method, engine="numpy")
        res = cm.simulate(params=params, method=method, engine="compiled")
        for name in ref.names:
            np.testing.assert_allclose(
                res[name], ref[name], rtol=1e-12, atol=1e-12, err_msg=f"{method}: {name}"
            )


def test_ensemble_equals_single_runs_and_any_block_size(cm):
    growth = np.linspace(0.0, 0.3, 9)
    push = TimeSeries([0, 3, 6], np.stack([np.full((2, 3), g) * [1, 2, 3] for g in growth]))
    params = {"Growth": growth, "Push": push}
    whole = cm.simulate(params=params, engine="compiled", outputs=["Stock", "Ratio"])
    blocks = cm.simulate(params=params, engine="compiled", outputs=["Stock", "Ratio"], block_size=4)
    ref = cm.simulate(params=params, engine="numpy", outputs=["Stock", "Ratio"])
    for name in ("Stock", "Ratio"):
        np.testing.assert_array_equal(blocks[name], whole[name])
        np.testing.assert_allclose(whole[name], ref[name], rtol=1e-12)
    for k in (0, 4, 8):
        one = cm.simulate(
            params={"Growth": growth[k], "Push": TimeSeries([0, 3, 6], push.values[k])},
            engine="compiled",
            outputs=["Stock", "Ratio"],
        )
        np.testing.assert_array_equal(one["Stock"][0], whole["Stock"][k])


def test_run_time_errors_are_the_numpy_backend_messages(cm):
    bad = [
        {"Lag Order": np.array([2.0, 3.0])},  # DELAY N order differs between runs
        {"Lag": 0.1},
    ]  # delay time shorter than TIME STEP
    for params in bad:
        messages = []
        for engine in ("numpy", "compiled"):
            with pytest.raises(EngineError) as info:
                cm.simulate(params=params, engine=engine)
            messages.append(str(info.value))
        assert messages[0] == messages[1], params


def test_unsupported_feature_gives_the_same_error(tmp_path):
    text = MODEL + "\nOdd= SAMPLE IF TRUE(Time > 1, Growth, 0)\n\t~\tDmnl\n\t~\t|\n"
    cm = compile_model(write_mdl(tmp_path, "odd.mdl", text), check=False)
    messages = []
    for engine in ("numpy", "compiled"):
        with pytest.raises(UnsupportedFeatureError) as info:
            cm.simulate(engine=engine)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "SAMPLE IF TRUE" in messages[0]


CHILD = """
import json, sys, time
t0 = time.perf_counter()
from aigap.engine import compile_model
cm = compile_model(sys.argv[1])
t1 = time.perf_counter()
res = cm.simulate(engine="compiled", outputs=["Stock", "Ratio"], method="rk4")
t2 = time.perf_counter()
fn = cm.plan("compiled").kernel("rk4")
print(json.dumps({"hits": sum(fn.stats.cache_hits.values()),
                  "misses": sum(fn.stats.cache_misses.values()),
                  "first_call": t2 - t1, "value": float(res["Ratio"][0, -1])}))
"""


def test_second_process_loads_the_kernel_from_the_disk_cache(cm, tmp_path):
    env = dict(os.environ, AIGAP_CACHE_DIR=str(tmp_path / "cache"))
    runs = []
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, cm.path],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert runs[0]["misses"] >= 1  # compiled in the first process
    assert runs[1]["misses"] == 0 and runs[1]["hits"] >= 1  # loaded in the second
    assert runs[0]["value"] == runs[1]["value"]
    kernels = list((tmp_path / "cache" / "numba").glob("k*.py"))
    assert len(kernels) == 1 and cm.model_hash[:16] in kernels[0].name
