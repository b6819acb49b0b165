"""Vensim functions lowered once to primitive IR (engine/lowering.py): structure, edge
values against PySD's own functions, and numpy == compiled bit for bit."""

import itertools

import numpy as np
import pytest
from pysd.py_backend import functions as pysd_fn

from aigap.engine import compile_model, ir
from aigap.engine.lowering import LOWERED, Code, lower_call, trend_output

from sdconf_helpers import write_mdl

PRIMITIVE_CALLS = {"if_then_else", "abs", "integer", "min"}
PRIMITIVE_OPS = {"+", "-", "*", "/", "%", "==", "<", "<=", ">", "and"}
ARITY = {
    "step": 2,
    "ramp": 3,
    "pulse": 2,
    "pulse_train": 4,
    "zidz": 2,
    "xidz": 3,
    "quantum": 2,
    "modulo": 2,
}

MODEL = "\n".join(
    f"{name}= {eq}\n\t~\t\n\t~\t\t|\n"
    for name, eq in [
        ("A", "3.5"),
        ("B", "2"),
        ("H", "4"),
        ("St", "1"),
        ("W", "0.5"),
        ("Rep", "2"),
        ("En", "4.5"),
        ("Sl", "1.5"),
        ("Z", "ZIDZ(A, B)"),
        ("X", "XIDZ(A, B, 7)"),
        ("Q", "QUANTUM(A, B)"),
        ("M", "MODULO(A, B)"),
        ("Sp", "STEP(H, St)"),
        ("R", "RAMP(Sl, St, En)"),
        ("R2", "RAMP(Sl, St)"),
        ("P", "PULSE(St, W)"),
        ("PT", "PULSE TRAIN(St, W, Rep, En)"),
        ("Level", "INTEG(Sp + P + PT, 0)"),
    ]
)
# edge values: zero and near-SMALL divisors, starts on, just before and after time points
B = [0.0, 1e-7, -1e-7, 1e-6, -2.5, 2.0, 0.3]
ST = [1.0, 1.0 - 1e-7, 1.0 + 1e-7, 0.0, 2.25]
REP = [0.0, 1.0, 0.75]


class _Clock:
    """The part of PySD's Time object its functions read."""

    def __init__(self, t, dt):
        self.t, self.dt = t, dt

    def __call__(self):
        return self.t

    def time_step(self):
        return self.dt


def _walk(node):
    yield node
    for a in getattr(node, "args", ()):
        yield from _walk(a)


@pytest.mark.parametrize("fn", LOWERED)
def test_lowered_functions_use_only_primitives(fn):
    args = tuple(ir.Var(f"a{k}") for k in range(ARITY[fn]))
    for node in _walk(lower_call(fn, args)):
        if isinstance(node, ir.Call):
            assert node.fn in PRIMITIVE_CALLS, (fn, node.fn)
        elif isinstance(node, ir.Op):
            assert node.op in PRIMITIVE_OPS, (fn, node.op)
        else:
            assert isinstance(node, (ir.Var, ir.Num, ir.Time, ir.Control)), (fn, node)
    trend = trend_output(ir.Var("in"), ir.Var("tm"), Code("s0"))
    assert all(not isinstance(n, ir.Call) or n.fn in PRIMITIVE_CALLS for n in _walk(trend))


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    path = write_mdl(tmp_path_factory.mktemp("lowering"), "fns.mdl", MODEL, final=6, dt=0.25)
    cm = compile_model(path, check=True)
    grid = list(itertools.product(B, ST, REP))
    cols = np.array(grid).T
    params = {"B": cols[0], "St": cols[1], "Rep": cols[2], "A": np.full(len(grid), 3.5)}
    return cm, params


def _expected(name, a, b, st, rep, t, dt):
    clock = _Clock(t, dt)
    h, w, en, sl = 4.0, 0.5, 4.5, 1.5
    return {
        "Z": lambda: pysd_fn.zidz(a, b),
        "X": lambda: pysd_fn.xidz(a, b, 7.0),
        "Q": lambda: pysd_fn.quantum(a, b),
        "M": lambda: pysd_fn.modulo(a, b),
        "Sp": lambda: pysd_fn.step(clock, h, st),
        "R": lambda: pysd_fn.ramp(clock, sl, st, en),
        "R2": lambda: pysd_fn.ramp(clock, sl, st),
        "P": lambda: pysd_fn.pulse(clock, st, width=w),
        "PT": lambda: pysd_fn.pulse(clock, st, repeat_time=rep, width=w, end=en),
    }[name]()


def test_numpy_backend_equals_pysd_functions_at_edge_values(ensemble):
    cm, params = ensemble
    names = ["Z", "X", "Q", "M", "Sp", "R", "R2", "P", "PT"]
    res = cm.simulate(params=params, outputs=names, engine="numpy")
    for r in range(len(params["B"])):
        b, st, rep = params["B"][r], params["St"][r], params["Rep"][r]
        for name in names:
            want = [float(_expected(name, 3.5, b, st, rep, t, 0.25)) for t in res.time]
            np.testing.assert_allclose(
                res[name][r], want, rtol=1e-15, atol=0, err_msg=f"{name} B={b} St={st} Rep={rep}"
            )


def test_compiled_backend_equals_numpy_bit_for_bit(ensemble):
    import numba  # noqa: F401 - declared dependency: fail, never skip

    cm, params = ensemble
    names = ["Z", "X", "Q", "M", "Sp", "R", "R2", "P", "PT", "Level"]
    for method in ("euler", "rk4"):
        ref = cm.simulate(params=params, outputs=names, method=method, engine="numpy")
        got = cm.simulate(params=params, outputs=names, method=method, engine="compiled")
        for name in names:
            np.testing.assert_array_equal(got[name], ref[name], err_msg=f"{name} {method}")
