"""Native lock-step kernels (LLVM IR written by aigap, no numba frontend): bit-identical to
numba's build of the same module, helpers compiled from their one source, a verified
object-code cache, and numba as the fallback for Python the compiler does not translate."""

import re

import numpy as np
import pytest

from aigap.engine import EngineError, TimeSeries, compile_model
from aigap.engine.backends.numba import backend as nb
from aigap.engine.backends.numba import objcode
from aigap.engine.backends.numba.native import Compiler, Unsupported
from aigap.engine.backends.numba.lanes import generate_lanes, lanes_supported

from sdconf_helpers import write_mdl

import numba  # noqa: F401,E402 - a declared dependency: a broken install fails, never skips

# every state kind of the lock-step kernel, a lookup, comparisons, MIN/MAX, exp/ln/power,
# MODULO and a PULSE TRAIN whose interval differs by run (Python's float %, lane by lane)
MODEL = """
Level[Region]= INTEG (Gain[Region] - Loss[Region], Start Level[Region])
	~	Unit
	~		|
Gain[Region]= Rate * Level[Region] * (1 + 0.2 * SIN(Time)) + Base Inflow[Region] * EXP(-0.1 * Time)
	~	Unit/Month
	~		|
Loss[Region]= Smoothed Level[Region] / Adjust Time * Response[Region]
	~	Unit/Month
	~		|
Smoothed Level[Region]= SMOOTH3(Level[Region], Adjust Time)
	~	Unit
	~		|
Response[Region]= Response Table(Level[Region] / Start Level[Region])
	~	Dmnl
	~		|
Response Table( [(0,0)-(4,2)],(0,0.5),(1,1),(2,1.4),(4,2) )
	~	Dmnl
	~		|
Level Trend[Region]= TREND(Level[Region], 2, 0)
	~	1/Month
	~		|
Shape[Region]= MAX(0, LN(1 + Level[Region])) ^ 0.7 + MIN(Level[Region], 15) ^ Rate
	~	Dmnl
	~		|
Balance= ZIDZ(Level[US], Level[CN]) + IF THEN ELSE(Level[US] > Level[CN], 1, 0)
	~	Dmnl
	~		|
Cycle[Region]= MODULO(Level[Region] * Rate - 1, 0.7) + PULSE TRAIN(0.5, 0.25, Adjust Time, 5)
	~	Dmnl
	~		|
Start Level[Region]= 12, 18
	~	Unit [0, 100]
	~		|
Base Inflow[Region]= 1.5, 2.5
	~	Unit/Month [0, 10]
	~		|
Rate= 0.12
	~	1/Month [0, 1]
	~		|
Adjust Time= 2.5
	~	Month [0.5, 4]
	~		|
Region: US, CN
	~
	~		|
"""


@pytest.fixture(scope="module")
def cm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("native")
    return compile_model(write_mdl(folder, "lanes.mdl", MODEL, final=6, dt=0.25), check=True)


def jobs():
    growth = np.linspace(0, 0.2, 13)
    push = TimeSeries([0, 2, 5], np.stack([np.full((2, 3), g) * [1, 3, 2] for g in growth]))
    return [
        dict(params={"Rate": growth}, outputs=None),
        dict(params={"Rate": growth, "Base Inflow": push}, outputs=["Level", "Shape"], saveper=0.5),
        dict(params={"Adjust Time": TimeSeries([0, 6], [1.5, 2.5]), "Rate": growth}, outputs=None),
    ]


def run_all(cm, native, monkeypatch, tmp_path):
    monkeypatch.setenv("AIGAP_NATIVE", "1" if native else "0")
    monkeypatch.setenv("AIGAP_CACHE_DIR", str(tmp_path))
    prog = nb.NumbaProgram(cm.ir)
    monkeypatch.setitem(cm.plans, "compiled", prog)
    out = []
    for method in ("euler", "rk4"):
        for job in jobs():
            res = cm.simulate(engine="compiled", method=method, **job)
            out.append({n: res[n] for n in res.names})
    return prog, out


def test_the_model_takes_the_lock_step_kernel(cm):
    assert lanes_supported(cm.ir)
    assert nb.NumbaProgram(cm.ir).native


def test_native_kernel_is_bit_identical_to_numbas(cm, monkeypatch, tmp_path):
    """Same module text, two compilers: every value of every job, Euler and RK4, the same
    bits (the same operations in the same order, the same libm and libmvec calls)."""
    prog_n, native = run_all(cm, True, monkeypatch, tmp_path / "a")
    prog_b, numba_ = run_all(cm, False, monkeypatch, tmp_path / "b")
    assert prog_n.compiles == 2 and prog_b.compiles == 2  # one kernel per method
    assert all(not hasattr(f, "stats") for f in prog_n._fns.values())  # not numba's
    assert all(hasattr(f, "stats") for f in prog_b._fns.values())
    for a, b in zip(native, numba_):
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_native_kernel_equals_numpy(cm, monkeypatch, tmp_path):
    monkeypatch.setenv("AIGAP_CACHE_DIR", str(tmp_path))
    for method in ("euler", "rk4"):
        for job in jobs():
            res = cm.simulate(engine="compiled", method=method, **job)
            ref = cm.simulate(engine="numpy", method=method, **job)
            for name in ref.names:
                np.testing.assert_allclose(res[name], ref[name], rtol=1e-12, atol=1e-12)


def test_object_cache_is_verified_by_content(cm, monkeypatch, tmp_path):
    """Built once, loaded by content key; a corrupted object file is rebuilt, never run."""
    monkeypatch.setenv("AIGAP_CACHE_DIR", str(tmp_path))
    src = generate_lanes(cm.ir, "euler")
    builds = []
    real = objcode.build_object
    monkeypatch.setattr(objcode, "build_object", lambda *a: builds.append(1) or real(*a))
    monkeypatch.setattr(objcode, "_LOADED", {})
    assert not objcode.is_built(src)
    objcode.native_kernel(src)
    path = objcode.object_path(src)
    assert path.is_file() and path.with_suffix(".sha256").is_file() and builds == [1]
    assert objcode.is_built(src)
    monkeypatch.setattr(objcode, "_LOADED", {})
    objcode.native_kernel(src)  # a new process: loaded from disk
    assert builds == [1]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert not objcode.is_built(src)
    monkeypatch.setattr(objcode, "_LOADED", {})
    objcode.native_kernel(src)
    assert builds == [1, 1] and objcode.is_built(src)
    assert not list(tmp_path.rglob("*.tmp"))  # written atomically


def test_unsupported_python_falls_back_to_numba(cm, monkeypatch, tmp_path):
    """A module the native compiler cannot translate is built by numba, same results."""
    monkeypatch.setenv("AIGAP_CACHE_DIR", str(tmp_path))

    def refuse(self):
        raise Unsupported("test")

    monkeypatch.setattr(Compiler, "compile", refuse)
    monkeypatch.setattr(objcode, "_LOADED", {})
    prog = nb.NumbaProgram(cm.ir)
    monkeypatch.setitem(cm.plans, "compiled", prog)
    res = cm.simulate(engine="compiled", params={"Rate": np.linspace(0, 0.2, 9)})
    ref = cm.simulate(engine="numpy", params={"Rate": np.linspace(0, 0.2, 9)})
    assert hasattr(prog.kernel("euler"), "stats")  # numba's dispatcher
    for name in ref.names:
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-12, atol=1e-12)


HEAD = (
    "def run_block(r0, r1, PR, TX, TO, TV, TSJ, SEL, times, save, dt, initial_time, "
    "final_time, saveper, OUT, INFO):\n"
)


@pytest.mark.parametrize(
    "body",
    [
        "    x = 7 // 2\n",  # floor division: Python's semantics are not translated
        "    for x in SEL:\n        pass\n",  # iteration over an array
        "    x = np.sqrt(2.0)\n",  # an unknown function
        "    y = z + 1.0\n",  # a name never assigned
        "    for q in range(0, 8, dt):\n        pass\n",  # a step that is not a literal
        "    x = 1.0\n    x += 2.0\n",  # augmented assignment
    ],
)
def test_python_outside_the_subset_is_refused(body):
    with pytest.raises(Unsupported):
        Compiler(HEAD + body, "k").compile()


def test_module_constants_are_never_evaluated():
    src = "X = __import__('os').getcwd()\n" + HEAD + "    pass\n"
    with pytest.raises(Unsupported):
        Compiler(src, "k").compile()


def test_scalar_subset_semantics(monkeypatch, tmp_path):
    """Python's int/float rules, ranges, break, if/else and IfExp in scalar code, checked
    through ``OUT``: the kernel's statements are compiled, not interpreted."""
    body = (
        "    n = 0\n"
        "    acc = 0.0\n"
        "    for k in range(r0, r1, 3):\n"
        "        if k >= 10:\n"
        "            break\n"
        "        n = n + 1\n"
        "        acc = acc + k / 2 if k < 7 else acc - 1\n"
        "    OUT[0, 0, 0] = acc\n"
        "    OUT[0, 0, 1] = n\n"
        "    OUT[0, 0, 2] = min(8, r1 - r0) * dt\n"
        "    OUT[0, 0, 3] = _f(dt != dt) + _ite(0.0, 1.0, 2.0) + _fmax(1.0, dt) ** 2\n"
        "    OUT[0, 0, 4] = -7.5 % (dt * 4)\n"  # Python's float %: the sign of the divisor
        "    OUT[0, 0, 5] = 7.5 % (dt * -4)\n"
        "    OUT[0, 0, 6] = (dt * 8) % -2.0\n"  # a zero takes the divisor's sign
        "    OUT[0, 0, 7] = 1.0 % (dt - dt)\n"  # numpy's error model: NaN, no exception
    )
    monkeypatch.setenv("AIGAP_CACHE_DIR", str(tmp_path))
    fn = objcode.native_kernel(HEAD + body)
    args = [np.zeros((1, 1)), np.zeros(1), np.zeros(1, np.int64), np.zeros((1, 1))]
    args += [np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1), np.zeros(1, np.int64)]
    out = np.zeros((1, 1, 8))
    fn(1, 30, *args, 0.5, 0.0, 1.0, 1.0, out, np.zeros((1, 1)))
    # k = 1, 4, 7: acc = 0.5, 2.5, 1.5; n = 3
    np.testing.assert_array_equal(out[0, 0, :4], [1.5, 3.0, 4.0, 0.0 + 2.0 + 1.0])
    assert list(out[0, 0, 4:7]) == [-7.5 % 2.0, 7.5 % -2.0, 4.0 % -2.0] == [0.5, -0.5, -0.0]
    assert np.signbit(out[0, 0, 6]) and np.isnan(out[0, 0, 7])


def test_lane_loops_are_vector_code_calling_libmvec(cm):
    """Lane loops are ``<4 x double>`` instructions (twice) calling libmvec's 4-lane functions."""
    llvm = Compiler(generate_lanes(cm.ir, "euler"), "k").compile()
    assert "fmul <4 x double>" in llvm and "load <4 x double>" in llvm
    for sym in ("_ZGVdN4v_exp", "_ZGVdN4v_log", "_ZGVdN4vv_pow"):
        assert re.search(rf'call <4 x double> @"?{sym}"?\(<4 x double>', llvm), sym


def test_every_lock_step_kernel_of_the_conformance_suite_compiles_natively():
    """The subset covers what the generator writes: no kernel of the suite falls back."""
    from sdconf_helpers import SUITE, manifest

    entries = manifest()
    assert entries, f"conformance suite not found at {SUITE}"
    kernels = 0
    for e in entries:
        try:
            cm = compile_model(SUITE / e["path"] / e["model"])
        except EngineError:  # models the engine refuses (tested elsewhere)
            continue
        if lanes_supported(cm.ir):
            for method in ("euler", "rk4"):
                Compiler(generate_lanes(cm.ir, method), "k").compile()
                kernels += 1
    assert kernels >= 90


def test_object_cache_key_covers_every_compiler_module(monkeypatch):
    """A change to any module of the native compiler (native*.py), the helpers or this
    loader gives kernels a new cache key, so stale object code is never loaded."""
    from pathlib import Path

    read = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: read.append(p.name) or real(p))
    objcode._compiler_digest.cache_clear()
    try:
        objcode.cache_key("x = 1\n")
    finally:
        objcode._compiler_digest.cache_clear()
    here = Path(objcode.__file__).parent
    want = {p.name for p in here.glob("native*.py")} | {"objcode.py", "shared.py", "vecmath.py"}
    assert want <= set(read) and {"native_expr.py", "native_function.py"} <= want
