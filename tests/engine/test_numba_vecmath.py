"""libmvec's AVX-512 calls are used only where the CPU has AVX-512F (else SIGILL)."""
import pytest

from aigap.engine import numba_vecmath


class _Features(dict):
    """llvmlite's FeatureMap: {name: bool}; flatten() gives "+name,-name,..."."""

    def flatten(self):
        return ",".join(("+" if v else "-") + k for k, v in self.items())


@pytest.mark.parametrize("has_avx512", [False, True])
def test_available_reads_the_feature_flag_not_its_text(monkeypatch, has_avx512):
    import llvmlite.binding as llb
    feats = _Features(avx2=True, avx512f=has_avx512, avx512bw=has_avx512)
    assert "avx512f" in feats.flatten()           # the text names it either way
    monkeypatch.setattr(llb, "get_host_cpu_features", lambda: feats)
    monkeypatch.setattr(llb, "load_library_permanently", lambda name: None)
    monkeypatch.setattr(llb, "address_of_symbol", lambda name: 1)
    numba_vecmath.available.cache_clear()
    try:
        assert numba_vecmath.available() is has_avx512
    finally:
        numba_vecmath.available.cache_clear()


def test_host_detection_agrees_with_the_cpu_flags():
    """On Linux, /proc/cpuinfo's flags say whether this CPU has AVX-512F."""
    from pathlib import Path
    info = Path("/proc/cpuinfo")
    if not info.is_file():
        pytest.skip("no /proc/cpuinfo (not Linux)")
    flags = next((line.split(":", 1)[1].split() for line in info.read_text().splitlines()
                  if line.startswith("flags")), [])
    if "avx512f" not in flags:
        assert numba_vecmath.available() is False
