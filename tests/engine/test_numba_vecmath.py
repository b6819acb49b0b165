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
    if "avx512f" in flags:
        assert vecmath.isa() in ("avx512", None)  # None: no glibc libmvec
    elif "avx2" in flags and "fma" in flags:
        assert vecmath.isa() in ("avx2", None)
    else:
        assert vecmath.isa() is None and vecmath.available() is False


def test_eight_lanes_match_the_c_library():
    """vexp/vlog/vpow fill all eight outputs (both halves on AVX2), within a few ulp."""
    if not vecmath.available():
        pytest.skip("no libmvec variant on this machine")
    from numba import njit

    @njit
    def run(V):
        vecmath.vexp(V[0], V[3])
        vecmath.vlog(V[1], V[4])
        vecmath.vpow(V[1], V[2], V[5])

    rng = np.random.default_rng(1)
    V = np.full((6, 8), np.nan)
    V[0], V[1], V[2] = rng.uniform(-20, 20, 8), rng.uniform(1e-3, 1e3, 8), rng.uniform(-3, 3, 8)
    run(V)
    np.testing.assert_allclose(V[3], np.exp(V[0]), rtol=1e-14)
    np.testing.assert_allclose(V[4], np.log(V[1]), rtol=1e-14)
    np.testing.assert_allclose(V[5], V[1] ** V[2], rtol=1e-14)
