"""Compiled (numba) backend on the SD conformance suite: canonical outputs and numpy parity.

Every model of ../shared/sd-conformance is simulated by both backends, Euler
and RK4, for its defaults plus two parameter sets with every constant moved by
a few percent; the compiled results must equal numpy's to 1e-12 (they are
bit-identical except where a transcendental function of the C library and
numpy's SIMD version differ in the last bit), and the compiled Euler run of
the defaults must match the suite's canonical output at the manifest's
tolerance. When numpy refuses a parameter set (e.g. a delay order that would
differ between runs), the compiled backend must refuse it with the same message.
"""

import numpy as np
import pytest

from aigap.engine import EngineError, compile_model

from sdconf_helpers import SUITE, compare, entry_id, manifest, tolerance

import numba  # noqa: F401,E402 - a declared dependency: a broken install fails, never skips

ENTRIES = manifest()
pytestmark = pytest.mark.skipif(not ENTRIES, reason=f"conformance suite not found at {SUITE}")
RTOL = 1e-12


def perturbed(cm, seed):
    """Defaults (run 0) and two runs with every constant scaled by 0.97..1.03."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, info in cm.constants.items():
        factor = rng.uniform(0.97, 1.03, size=(3,) + info.default.shape)
        factor[0] = 1.0
        params[name] = info.default * factor
    return params


def assert_same(a, b, label, units=None):
    """Compiled result ``b`` equals numpy result ``a`` to RTOL (NaN where numpy has NaN).

    The absolute tolerance is RTOL times the largest magnitude of the variable,
    or, given ``units`` (name -> unit), of any variable in the same unit: a
    residual such as a conservation check (a difference of stocks, ~1e-15 of
    them) is compared at the scale of the stocks it is computed from.
    """
    assert a.names == b.names
    np.testing.assert_array_equal(a.time, b.time)
    peak = {n: np.max(np.abs(a[n][np.isfinite(a[n])]), initial=0.0) for n in a.names}
    by_unit = {}
    for name in a.names:
        if units and units.get(name):
            by_unit[units[name]] = max(by_unit.get(units[name], 0.0), peak[name])
    for name in a.names:
        x, y = a[name], b[name]
        finite = np.isfinite(x)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=f"{label}: {name}")
        np.testing.assert_array_equal(
            x[~finite & ~np.isnan(x)], y[~finite & ~np.isnan(x)], err_msg=f"{label}: {name}"
        )
        scale = max(peak[name], by_unit.get((units or {}).get(name), 0.0))
        np.testing.assert_allclose(
            y[finite], x[finite], rtol=RTOL, atol=RTOL * scale, err_msg=f"{label}: {name}"
        )


def simulate_both(cm, **kw):
    """(numpy result, compiled result), or the two error messages."""
    out = []
    for engine in ("numpy", "compiled"):
        try:
            with np.errstate(all="ignore"):
                out.append(cm.simulate(engine=engine, **kw))
        except EngineError as exc:
            out.append(str(exc))
    return out


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry_id(e) for e in ENTRIES])
def test_compiled_backend_on_conformance_model(entry):
    folder = SUITE / entry["path"]
    cm = compile_model(folder / entry["model"])
    params = perturbed(cm, seed=len(entry["model"]))
    for method in ("euler", "rk4"):
        ref, res = simulate_both(cm, params=params, method=method)
        if isinstance(ref, str) or isinstance(res, str):
            assert res == ref, f"{method}: numpy says {ref!r}, compiled says {res!r}"
            ref, res = simulate_both(cm, method=method)  # defaults only
        assert not isinstance(res, str), res
        assert res.meta["engine"] == "compiled"
        assert_same(ref, res, method)
        if method == "euler":
            one = cm.simulate(engine="compiled", outputs=res.names)
            rtol, atol = tolerance(entry)
            n, failures = compare(cm, one, folder / entry["expected"], rtol, atol)
            assert n > 0, "no column of the expected output matched a model variable"
            assert not failures, f"{len(failures)} of {n} columns differ: " + "; ".join(
                failures[:3]
            )
