"""Compiled (numba) backend: engine selection, fallback, errors identical to numpy,
ensemble consistency, time series per run, and the on-disk kernel cache."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from aigap.engine import (EngineError, ParameterError, TimeSeries, UnsupportedFeatureError,
                          compile_model)
from aigap.engine import numba_backend as nb

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
    assert nb.choose_engine("numpy", 10**6) == "numpy"
    assert nb.choose_engine("compiled", 1) == "compiled"
    assert nb.choose_engine("auto", nb.AUTO_MIN_RUNS - 1, cached=lambda: True) == "numpy"
    assert nb.choose_engine("auto", nb.AUTO_MIN_RUNS, cached=lambda: True) == "compiled"
    assert nb.choose_engine("auto", nb.AUTO_MIN_RUNS, cached=lambda: False) == "numpy"
    assert nb.choose_engine("auto", nb.AUTO_COMPILE_RUNS, cached=lambda: False) == "compiled"
    with pytest.raises(ParameterError, match="unknown engine 'fast'"):
        nb.choose_engine("fast", 10)


@pytest.mark.parametrize("numba_ok, cached, n_runs, expected", [
    (True, True, 9_999, "numpy"),          # small: numpy is fast enough
    (True, True, 10_000, "compiled"),      # kernel ready: compiled from 10,000 runs
    (True, False, 10_000, "numpy"),        # a 5-20 s compile would cost more than numpy
    (True, False, 249_999, "numpy"),
    (True, False, 250_000, "compiled"),    # compile time amortised
    (False, True, 10**6, "numpy"),         # no numba
    (False, False, 10**6, "numpy"),
])
def test_auto_engine_decision(numba_ok, cached, n_runs, expected):
    assert nb.AUTO_MIN_RUNS == 10_000 and nb.AUTO_COMPILE_RUNS == 250_000
    assert nb.auto_engine(numba_ok, cached, n_runs) == expected


def test_auto_does_not_ask_about_the_cache_when_it_does_not_matter():
    def boom():
        raise AssertionError("cache looked up")
    assert nb.choose_engine("auto", 10, cached=boom) == "numpy"
    assert nb.choose_engine("auto", nb.AUTO_COMPILE_RUNS, cached=boom) == "compiled"


def test_without_numba_compiled_falls_back_to_numpy_with_a_message(cm, monkeypatch):
    monkeypatch.setattr(nb, "numba_status", lambda: (False, "ImportError: no module numba"))
    assert nb.choose_engine("auto", 10**6) == "numpy"
    with pytest.warns(RuntimeWarning, match="numba cannot be imported.*using the numpy engine"):
        res = cm.simulate(engine="compiled", outputs=["Stock"])
    assert res.meta["engine"] == "numpy"


def test_auto_compiles_only_large_ensembles_then_reuses_the_cached_kernel(cm, monkeypatch,
                                                                           tmp_path):
    monkeypatch.setenv("AIGAP_CACHE_DIR", str(tmp_path))       # an empty kernel cache
    monkeypatch.setattr(nb, "AUTO_MIN_RUNS", 50)
    monkeypatch.setattr(nb, "AUTO_COMPILE_RUNS", 100)
    fresh = nb.NumbaProgram(cm.program.ir)
    monkeypatch.setattr(type(cm), "compiled_program", property(lambda self: fresh))

    def run(n):
        return cm.simulate(params={"Growth": np.linspace(0, 0.2, n)}, outputs=["Stock"])
    assert fresh.is_cached(frozenset(), ("Stock",), "euler") is False
    assert run(10).meta["engine"] == "numpy"
    assert run(60).meta["engine"] == "numpy"        # not compiled yet: numpy
    assert run(120).meta["engine"] == "compiled"    # large enough to pay for compiling
    assert run(60).meta["engine"] == "compiled"     # now compiled: used from 50 runs on
    # a new process finds it in the disk cache
    assert nb.NumbaProgram(cm.program.ir).is_cached(frozenset(), ("Stock",), "euler") is True
    assert fresh.is_cached(frozenset(), ("Stock",), "rk4") is False


def test_every_state_kind_equals_numpy_euler_and_rk4(cm):
    rng = np.random.default_rng(1)
    params = {"Growth": rng.uniform(0, 0.3, 300), "Push": rng.uniform(0, 5, (300, 2)),
              "Lag": rng.uniform(1, 3, 300),              # DELAY N: per-run delay times
              "Fixed Lag": rng.choice([0.5, 1.0, 2.25], 300)}   # per-run pipe lengths
    for method in ("euler", "rk4"):
        ref = cm.simulate(params=params, method=method, engine="numpy")
        res = cm.simulate(params=params, method=method, engine="compiled")
        for name in ref.names:
            np.testing.assert_allclose(res[name], ref[name], rtol=1e-12, atol=1e-12,
                                       err_msg=f"{method}: {name}")


def test_ensemble_equals_single_runs_and_any_block_size(cm):
    growth = np.linspace(0.0, 0.3, 9)
    push = TimeSeries([0, 3, 6], np.stack([np.full((2, 3), g) * [1, 2, 3] for g in growth]))
    params = {"Growth": growth, "Push": push}
    whole = cm.simulate(params=params, engine="compiled", outputs=["Stock", "Ratio"])
    blocks = cm.simulate(params=params, engine="compiled", outputs=["Stock", "Ratio"],
                         block_size=4)
    ref = cm.simulate(params=params, engine="numpy", outputs=["Stock", "Ratio"])
    for name in ("Stock", "Ratio"):
        np.testing.assert_array_equal(blocks[name], whole[name])
        np.testing.assert_allclose(whole[name], ref[name], rtol=1e-12)
    for k in (0, 4, 8):
        one = cm.simulate(params={"Growth": growth[k],
                                  "Push": TimeSeries([0, 3, 6], push.values[k])},
                          engine="compiled", outputs=["Stock", "Ratio"])
        np.testing.assert_array_equal(one["Stock"][0], whole["Stock"][k])


def test_run_time_errors_are_the_numpy_backend_messages(cm):
    bad = [{"Lag Order": np.array([2.0, 3.0])},          # DELAY N order differs between runs
           {"Lag": 0.1}]                                 # delay time shorter than TIME STEP
    for params in bad:
        messages = []
        for engine in ("numpy", "compiled"):
            with pytest.raises(EngineError) as info:
                cm.simulate(params=params, engine=engine)
            messages.append(str(info.value))
        assert messages[0] == messages[1], params


def test_unsupported_feature_gives_the_same_error(tmp_path):
    text = MODEL + "\nOdd= SAMPLE IF TRUE(Time > 1, Growth, 0)\n\t~\tDmnl\n\t~\t|\n"
    cm = compile_model(write_mdl(tmp_path, "odd.mdl", text))
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
fn = cm.compiled_program.kernel("rk4")
print(json.dumps({"hits": sum(fn.stats.cache_hits.values()),
                  "misses": sum(fn.stats.cache_misses.values()),
                  "first_call": t2 - t1, "value": float(res["Ratio"][0, -1])}))
"""


def test_second_process_loads_the_kernel_from_the_disk_cache(cm, tmp_path):
    env = dict(os.environ, AIGAP_CACHE_DIR=str(tmp_path / "cache"))
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", CHILD, cm.path], env=env, check=True,
                             capture_output=True, text=True, timeout=600)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert runs[0]["misses"] >= 1                         # compiled in the first process
    assert runs[1]["misses"] == 0 and runs[1]["hits"] >= 1   # loaded in the second
    assert runs[0]["value"] == runs[1]["value"]
    kernels = list((tmp_path / "cache" / "numba").glob("k*.py"))
    assert len(kernels) == 1 and cm.model_hash[:16] in kernels[0].name
