"""Compiled (numba) backend on the project model: every scenario and 1,000 random
parameter sets agree with the numpy backend to 1e-12, Euler and RK4."""

from pathlib import Path

import numpy as np
import pytest

from aigap.engine import TimeSeries, compile_model

from test_numba_conformance import assert_same

import numba  # noqa: F401,E402 - a declared dependency: a broken install fails, never skips

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "model" / "ai_gap.mdl"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="model/ai_gap.mdl not written yet")


@pytest.fixture(scope="module")
def cm():
    return compile_model(MODEL, check=True)


def stack_scenarios(cm, resolved):
    """One ensemble, a run per scenario: constants stacked over runs; a constant that
    is a time series in any scenario becomes a per-run series on the union of times."""
    n = len(resolved)
    params = {}
    for name in sorted(set().union(*resolved)):
        info = cm.constants[name]
        values = [r.get(name, info.default) for r in resolved]
        series = [v for v in values if isinstance(v, TimeSeries)]
        if not series:
            params[name] = np.stack([np.broadcast_to(v, info.default.shape) for v in values])
            continue
        times = np.unique(np.concatenate([s.times for s in series]))
        out = np.empty((n,) + info.default.shape + (times.size,))
        for k, v in enumerate(values):
            if isinstance(v, TimeSeries):
                vals = v.values.reshape(info.default.shape + (v.times.size,))
                for idx in np.ndindex(info.default.shape):
                    out[(k,) + idx] = np.interp(times, v.times, vals[idx])
            else:
                out[k] = np.asarray(v, dtype=float)[..., None]
        params[name] = TimeSeries(times=times, values=out)
    return params


def outputs_for(cm, method):
    """Every variable: the kernel is the same whatever is stored (one compile per method)."""
    return None


def units_of(cm):
    return {name: v.units for name, v in cm.variables.items()}


def random_sets(cm, n, seed):
    """``n`` parameter sets, each constant uniform over its documented range
    (default +-20 % where the model gives no range)."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, info in cm.constants.items():
        lo, hi = info.limits if info.limits else (None, None)
        d = info.default
        lo = d * 0.8 if lo is None or not np.isfinite(lo) else np.full(d.shape, lo)
        hi = d * 1.2 if hi is None or not np.isfinite(hi) else np.full(d.shape, hi)
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        params[name] = rng.uniform(lo, hi, size=(n,) + d.shape)
    return params


@pytest.mark.skipif(not SCENARIOS, reason="no scenarios/*.yaml")
@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_every_scenario_matches_numpy(cm, method):
    import aigap.scenarios as scenarios

    resolved = [
        scenarios.resolve_params(cm, scenarios.load_scenario(p, model=cm)) for p in SCENARIOS
    ]
    params = stack_scenarios(cm, resolved)
    kw = dict(params=params, n_runs=len(resolved), method=method, outputs=outputs_for(cm, method))
    ref = cm.simulate(engine="numpy", **kw)
    res = cm.simulate(engine="compiled", **kw)
    assert res.meta["engine"] == "compiled"
    assert_same(ref, res, method, units_of(cm))


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_thousand_random_parameter_sets_match_numpy(cm, method):
    params = random_sets(cm, 1000, seed=5)
    kw = dict(params=params, method=method, saveper=0.25, outputs=outputs_for(cm, method))
    ref = cm.simulate(engine="numpy", **kw)
    res = cm.simulate(engine="compiled", **kw)
    assert res.n_runs == 1000 and res.meta["engine"] == "compiled"
    assert np.isfinite(ref["Total AI ARR"]).mean() > 0.99  # the draws are meaningful runs
    assert_same(ref, res, method, units_of(cm))


def test_kernel_kind(cm):
    """Euler and RK4 run eight runs in lock-step with libmvec where the machine has it
    (models with delay chains use the one-run kernel)."""
    from aigap.engine.backends.numba.lanes import lanes_supported

    prog = cm.plan("compiled")
    for method in ("euler", "rk4"):
        assert ("lock-step" in prog.source(method)) == lanes_supported(cm.ir)
