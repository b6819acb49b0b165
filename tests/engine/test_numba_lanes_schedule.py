"""The lock-step kernel's scheduler: independent exp/pow calls share one phase, and
no statement moves before what it reads or before a call reading what it overwrites."""

import pytest

from aigap.engine.backends.numba.lanes import LaneGenerator


def _schedule(items):
    gen = LaneGenerator.__new__(LaneGenerator)  # schedule() needs no model
    return [line.strip() for line in gen.schedule("", items)]


def _phases(lines):
    """Per line: ("loop", index) for statements inside lane loop ``index``, or the call."""
    out, k = [], -1
    for line in lines:
        if line == "for l in range(8):":
            k += 1
        elif line.startswith("vexp("):
            out.append(("call", line))
        else:
            out.append(("loop", k, line))
    return out


def test_independent_calls_share_one_phase():
    items = [
        "V[1, l] = (V[0, l] * 2.0)",
        ("vexp", [1, 2]),
        "V[3, l] = (V[0, l] + 1.0)",
        ("vexp", [3, 4]),
        "V[5, l] = (V[2, l] + V[4, l])",
    ]
    lines = _schedule(items)
    assert lines.count("for l in range(8):") == 2  # was three loops
    calls = [i for i, line in enumerate(lines) if line.startswith("vexp(")]
    assert [lines[i] for i in calls] == ["vexp(V[1], V[2])", "vexp(V[3], V[4])"]
    assert calls[1] == calls[0] + 1
    phases = _phases(lines)
    first = [p for p in phases if p[0] == "loop" and p[1] == 0]
    assert any("V[1, l] =" in p[2] for p in first) and any("V[3, l] =" in p[2] for p in first)
    assert any("V[5, l] =" in p[2] for p in phases if p[0] == "loop" and p[1] == 1)


def test_overwrite_waits_for_the_call_that_reads_the_row():
    items = ["V[1, l] = V[0, l]", ("vexp", [1, 2]), "V[1, l] = 3.0", "V[6, l] = V[0, l]"]
    lines = _schedule(items)
    call = lines.index("vexp(V[1], V[2])")
    assert [line for line in lines[:call] if line.endswith(" = 3.0")] == []
    assert [line for line in lines[call:] if line.endswith(" = 3.0")] != []
    assert "V[6, l] = " in "\n".join(lines[:call])  # independent: loop 0
    assert lines[:call].count("V[1, l] = " + lines[2].split(" = ")[0]) == 1


@pytest.mark.parametrize(
    "avx512f, avx2, fma, expected",
    [
        (True, True, True, "avx512"),  # AVX-512F: the 8-lane symbols
        (False, True, True, "avx2"),  # AVX2 + FMA only (AMD Zen 3): two 4-lane calls
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
