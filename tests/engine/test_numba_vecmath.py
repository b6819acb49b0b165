"""libmvec's AVX-512 calls are used only where the CPU has AVX-512F (else SIGILL); the
feature-flag logic itself is tested in test_numba_lanes_schedule.py."""
from pathlib import Path

import pytest

from aigap.engine.backends.numba import vecmath


def test_host_detection_agrees_with_the_cpu_flags():
    """On Linux, /proc/cpuinfo's flags say whether this CPU has AVX-512F."""
    info = Path("/proc/cpuinfo")
    if not info.is_file():
        pytest.skip("no /proc/cpuinfo (not Linux)")
    flags = next((line.split(":", 1)[1].split() for line in info.read_text().splitlines()
                  if line.startswith("flags")), [])
    if "avx512f" not in flags:
        assert vecmath.available() is False
