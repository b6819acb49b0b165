"""The lock-step kernel's source: statements between control lines form one loop over
the eight runs, exp/ln/power are libmvec lane calls inside it, and cells of ``V`` are
read and written through the ``_ld``/``_st`` intrinsics; the intrinsics keep the
helpers' semantics (NaN, signed zeros, infinities)."""

import math
import re

import numpy as np
import pytest

from aigap.engine.backends.numba.lanes import _cells, lanes_supported


def test_cells_become_intrinsics():
    assert (
        _cells("    V[3, l] = (V[1, l] * V[2, l])")
        == "    _st(V, 3, l, (_ld(V, 1, l) * _ld(V, 2, l)))"
    )
    assert _cells("x5_1_2 = V[5, l]") == "x5_1_2 = _ld(V, 5, l)"
    # rows known only at run time keep numba's indexing
    assert _cells("V[PROW[q], l] = PR[r, q]") == "V[PROW[q], l] = PR[r, q]"
    assert _cells("OUT[b + l, j, m] = V[row, l]") == "OUT[b + l, j, m] = V[row, l]"


def _kernel_source(tmp_path, method="euler"):
    from aigap.engine import compile_model

    mdl = tmp_path / "m.mdl"
    mdl.write_text(
        "Stock = INTEG(Flow, 1) ~ u ~ |\n"
        "Flow = IF THEN ELSE(Stock > Cap, 0, Rate * EXP(-Stock / Cap) + Stock ^ Shape"
        " - LN(Stock + 1) * 0.01) ~ u ~ |\n"
        "Rate = 0.3 ~ u ~ |\nCap = 50 ~ u ~ |\nShape = 0.5 ~ u ~ |\n"
        "INITIAL TIME = 0 ~ ~ |\nFINAL TIME = 10 ~ ~ |\nTIME STEP = 0.25 ~ ~ |\n"
        "SAVEPER = 1 ~ ~ |\n"
    )
    cm = compile_model(mdl)
    if not lanes_supported(cm.ir):
        pytest.skip("no libmvec variant on this machine: the one-run kernel runs")
    return cm, cm.plan("compiled").source(method)


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_lane_loops_hold_the_vector_calls(tmp_path, method):
    cm, src = _kernel_source(tmp_path, method)
    body = src[src.index("def run_block") :]
    assert re.search(r"lexp\(", body) and re.search(r"llog\(", body) and re.search(r"lpow\(", body)
    assert "vexp" not in body and "vpow" not in body  # no lifted calls, no phases
    assert not re.search(r"V\[\d+, l\]", body)  # literal rows go through _ld/_st
    for line in body.splitlines():  # every lane call is inside a lane loop
        if re.search(r"\bl(exp|log|pow)\(", line):
            above = body[: body.index(line)].rsplit("for l in range(8):", 1)
            assert len(above) == 2 and len(line) - len(line.lstrip()) > 8


def test_compiled_lane_loop_calls_the_four_lane_functions(tmp_path, monkeypatch):
    """numba's build (the fallback of the native compiler): LLVM vectorizes the lane loops
    and calls libmvec's <4 x double> functions."""
    monkeypatch.setenv("AIGAP_NATIVE", "0")
    cm, src = _kernel_source(tmp_path)
    prog = cm.plan("compiled")
    cm.simulate(n_runs=16, engine="compiled")
    fn = prog.kernel("euler")
    llvm = fn.inspect_llvm(fn.signatures[0])
    assert "call <4 x double> @_ZGVdN4v_exp" in llvm
    assert "call <4 x double> @_ZGVdN4vv_pow" in llvm
    assert "call <4 x double> @_ZGVdN4v_log" in llvm


def _instructions(src, tmp_path, name):
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text(src.replace("cache=True", "cache=False"))
    spec = importlib.util.spec_from_file_location(f"aigap_test_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from numba import types as T

    d2, d1, i1, f = T.float64[:, ::1], T.float64[::1], T.int64[::1], T.float64
    sig = (T.int64, T.int64, d2, d1, i1, d2, i1, i1, d1, i1, f, f, f, f, T.float64[:, :, ::1], d2)
    mod.run_block.compile(sig)
    asm = mod.run_block.inspect_asm(mod.run_block.signatures[0])
    asm = re.sub(r"\.L\w+|_ZN\w+|aigap_test_\w+", "X", asm[asm.index("run_block") :])
    return [
        line for line in asm.splitlines() if line.startswith("\t") and not line.startswith("\t.")
    ]


def test_kernel_pipeline_gives_the_default_pipelines_machine_code(tmp_path):
    """The lean pipeline drops passes for constructs the kernels lack: same instructions."""
    _, src = _kernel_source(tmp_path)
    assert "pipeline_class=KernelPipeline" in src
    lean = _instructions(src, tmp_path, "lean")
    default = _instructions(src.replace(", pipeline_class=KernelPipeline", ""), tmp_path, "default")
    assert len(lean) > 100 and lean == default


def _python_helpers():
    # the definitions the intrinsics replace, as they were written
    def f(c):
        return 1.0 if c else 0.0

    def ite(c, a, b):
        return a if c != 0 else b

    def fmin(a, b):
        return a if (a <= b or a != a) else b

    def fmax(a, b):
        return a if (a >= b or a != a) else b

    return f, ite, fmin, fmax


def test_intrinsics_keep_the_helpers_semantics():
    from numba import njit

    from aigap.engine.backends.numba.shared import _f, _fmax, _fmin, _ite

    values = [math.nan, -math.inf, -2.5, -0.0, 0.0, 1.0, 3.0, math.inf]

    @njit
    def run(a, b):
        return _fmin(a, b), _fmax(a, b), _ite(a, a, b), _f(a < b), _f(a == b)

    f, ite, fmin, fmax = _python_helpers()
    for a in values:
        for b in values:
            got = run(a, b)
            want = (fmin(a, b), fmax(a, b), ite(a, a, b), f(a < b), f(a == b))
            for g, w in zip(got, want):
                assert (g != g and w != w) or (
                    g == w and math.copysign(1, g) == math.copysign(1, w)
                ), (a, b, got, want)


def test_cells_read_and_write_the_row_and_lane():
    from numba import njit

    from aigap.engine.backends.numba.shared import _ld, _st

    @njit
    def run(V):
        for l in range(8):
            _st(V, 2, l, _ld(V, 0, l) * 10.0 + _ld(V, 1, l))

    V = np.arange(24.0).reshape(3, 8)
    run(V)
    np.testing.assert_array_equal(V[2], V[0] * 10.0 + V[1])


@pytest.mark.parametrize(
    "avx512f, avx2, fma, expected",
    [
        (True, True, True, "avx2"),  # AVX-512 CPUs run the same 4-lane functions
        (False, True, True, "avx2"),  # AVX2 + FMA only (AMD Zen 3): two 4-lane calls
        (True, False, False, None),  # no AVX2: no variant
        (False, True, False, None),  # libmvec's AVX2 variants use FMA
        (False, False, False, None),  # neither: the one-run kernel
    ],
)
def test_libmvec_variant_follows_enabled_features_not_listed_ones(
    monkeypatch, avx512f, avx2, fma, expected
):
    """llvmlite's feature string lists disabled features too ("-avx512f"): the variant
    comes from the FeatureMap's values (a wrong one dies with SIGILL)."""
    import llvmlite.binding as llb

    from aigap.engine.backends.numba import vecmath

    features = llb.targets.FeatureMap(avx512f=avx512f, avx2=avx2, fma=fma)
    assert "avx512f" in features.flatten() and "avx2" in features.flatten()  # listed either way
    looked_up = []
    monkeypatch.setattr(llb, "get_host_cpu_features", lambda: features)
    monkeypatch.setattr(llb, "load_library_permanently", lambda name: None)
    monkeypatch.setattr(llb, "address_of_symbol", lambda name: looked_up.append(name) or 1)
    vecmath.isa.cache_clear()
    try:
        assert vecmath.isa() == expected
        assert vecmath.available() is (expected is not None)
        if expected:
            assert set(vecmath.VARIANTS[expected][2].values()) <= set(looked_up)
    finally:
        vecmath.isa.cache_clear()


def test_no_libmvec_means_no_variant(monkeypatch):
    """A CPU with AVX2 but a C library without libmvec (musl): the one-run kernel."""
    import llvmlite.binding as llb

    from aigap.engine.backends.numba import vecmath

    def missing(name):
        raise OSError(name)

    monkeypatch.setattr(
        llb,
        "get_host_cpu_features",
        lambda: llb.targets.FeatureMap(avx512f=False, avx2=True, fma=True),
    )
    monkeypatch.setattr(llb, "load_library_permanently", missing)
    vecmath.isa.cache_clear()
    try:
        assert vecmath.isa() is None and vecmath.available() is False
    finally:
        vecmath.isa.cache_clear()
