"""libmvec's vector calls are used only where the CPU has the ISA they need (else
SIGILL); the feature-flag logic itself is tested in test_numba_lanes_schedule.py."""

from pathlib import Path

import numpy as np
import pytest

from aigap.engine.backends.numba import vecmath


def _flags():
    info = Path("/proc/cpuinfo")
    if not info.is_file():
        pytest.skip("no /proc/cpuinfo (not Linux)")
    return next(
        (
            line.split(":", 1)[1].split()
            for line in info.read_text().splitlines()
            if line.startswith("flags")
        ),
        [],
    )


def test_host_detection_agrees_with_the_cpu_flags():
    """On Linux, /proc/cpuinfo's flags say which libmvec variant this CPU can run."""
    flags = _flags()
    if "avx2" in flags and "fma" in flags:  # AVX-512 CPUs too
        assert vecmath.isa() in ("avx2", None)  # None: no glibc libmvec
    else:
        assert vecmath.isa() is None and vecmath.available() is False


def test_lane_calls_match_the_c_library_vectorized_or_not():
    """lexp/llog/lpow in a loop over eight runs (LLVM calls the 4-lane functions) give
    the same bits as one call at a time, and agree with the C library to a few ulp."""
    if not vecmath.available():
        pytest.skip("no libmvec variant on this machine")
    from numba import njit

    @njit
    def lanes(V):
        for l in range(8):
            V[3, l] = vecmath.lexp(V[0, l])
            V[4, l] = vecmath.llog(V[1, l])
            V[5, l] = vecmath.lpow(V[1, l], V[2, l])

    @njit
    def one(x, y, z):
        return vecmath.lexp(x), vecmath.llog(y), vecmath.lpow(y, z)

    rng = np.random.default_rng(1)
    V = np.full((6, 8), np.nan)
    V[0], V[1], V[2] = rng.uniform(-20, 20, 8), rng.uniform(1e-3, 1e3, 8), rng.uniform(-3, 3, 8)
    lanes(V)
    assert "_ZGVdN4v_exp" in lanes.inspect_llvm(lanes.signatures[0])
    for k in range(8):
        assert one(V[0, k], V[1, k], V[2, k]) == (V[3, k], V[4, k], V[5, k])
    np.testing.assert_allclose(V[3], np.exp(V[0]), rtol=1e-14)
    np.testing.assert_allclose(V[4], np.log(V[1]), rtol=1e-14)
    np.testing.assert_allclose(V[5], V[1] ** V[2], rtol=1e-14)


def test_row_calls_give_the_lane_calls_bits():
    """vexp/vlog/vpow on rows of eight runs (the floor benchmark's shape) are the same
    4-lane functions: the bits of lexp/llog/lpow, special values included."""
    if not vecmath.available():
        pytest.skip("no libmvec variant on this machine")
    from numba import njit

    @njit
    def rows(X):
        vecmath.vexp(X, 0, 3)
        vecmath.vlog(X, 1, 4)
        vecmath.vpow(X, 1, 2, 5)

    @njit
    def one(x, y, z):
        return vecmath.lexp(x), vecmath.llog(y), vecmath.lpow(y, z)

    X = np.full((6, 8), np.nan)
    X[0] = [-800.0, -1.0, -0.0, 0.0, 1e-300, 1.0, 709.0, 800.0]
    X[1] = [-1.0, 0.0, 1e-310, 0.5, 1.0, 2.0, np.inf, np.nan]
    X[2] = [0.5, -1.0, 2.0, np.nan, np.inf, -3.0, 0.0, 1.5]
    rows(X)
    for k in range(8):
        got = one(X[0, k], X[1, k], X[2, k])
        for g, w in zip(got, (X[3, k], X[4, k], X[5, k])):
            assert (g != g and w != w) or g == w, (k, got)
