"""Generate straight-line numpy code from the IR.

One generated function per *signature* (which constants are time series,
which outputs are stored, Euler or RK4). Every scalar of the IR becomes a
numpy vector over the runs of a block (or a numpy scalar when it does not
depend on any per-run input); values that do not depend on Time or on a
state are computed once, before the time loop.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .. import ir
from . import Backend
from ..lowering import LOWERED, Code, lower_call, trend_output
from ..ordering import INIT_ROLES, STEP_ROLES, dynamic_targets, role_vars
from .cache import cache_dir, read_verified, write_verified
from .printing import NameTable, closure, num

CODEGEN_VERSION = "numpy-2"
DEFAULT_BLOCK = 4096  # runs per block

UNARY = {
    "abs": "np.abs",
    "exp": "np.exp",
    "ln": "np.log",
    "sqrt": "np.sqrt",
    "sin": "np.sin",
    "cos": "np.cos",
    "tan": "np.tan",
    "arcsin": "np.arcsin",
    "arccos": "np.arccos",
    "arctan": "np.arctan",
    "sinh": "np.sinh",
    "cosh": "np.cosh",
    "tanh": "np.tanh",
    "integer": "np.trunc",
}
BINARY = {
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
    "%": "%",
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
TIME_FUNCTIONS = ("step", "ramp", "pulse", "pulse_train")


class Emitter:
    """Expression -> Python source for numpy."""

    def __init__(self, prog: ir.Program, names: NameTable):
        self.prog = prog
        self.names = names
        self.states = {s.sid: s for s in prog.states}
        self.static = None  # set of static Var names: enables hoisting when not None
        self.hoisted = {}  # static subtree -> name (computed once, before the loop)
        self.hoist_lines = []
        self.repeats = set()  # dynamic subtrees used more than once in a block
        self.cse = {}  # subtree -> name within the current block
        self.pending = []  # lines to emit before the current statement

    # --------------------------------------------------------- optimisation
    def is_static(self, node) -> bool:
        """True when ``node`` depends on neither Time, states nor time-series inputs."""
        if isinstance(node, (ir.Num, ir.Control)):
            return True
        if isinstance(node, ir.Var):
            return node.name in self.static
        if isinstance(node, ir.Op):
            return all(self.is_static(a) for a in node.args)
        if isinstance(node, ir.Call):
            return node.fn not in TIME_FUNCTIONS and all(self.is_static(a) for a in node.args)
        if isinstance(node, ir.Lookup):
            return self.is_static(node.x)
        return False

    def count(self, node, seen):
        """Count compound subtrees of a block to find common subexpressions."""
        if not isinstance(node, (ir.Op, ir.Call, ir.Lookup)):
            return
        if self.static is not None and self.is_static(node):
            return
        if node in seen:
            self.repeats.add(node)
            return
        seen.add(node)
        for a in node.args if not isinstance(node, ir.Lookup) else (node.x,):
            self.count(a, seen)

    def block(self, exprs):
        """Start a block of statements (a loop body or the RK4 derivative function)."""
        self.cse, self.repeats, seen = {}, set(), set()
        for x in exprs:
            self.count(x, seen)

    def statement(self, target, node):
        """Lines assigning ``node`` to ``target`` (with hoisted/common subexpressions)."""
        self.pending = []
        code = self(node)
        return self.pending + [f"{target} = {code}"]

    def __call__(self, node) -> str:
        """Source of ``node``: a hoisted or common-subexpression name, or its code."""
        if isinstance(node, (ir.Op, ir.Call, ir.Lookup)) and self.static is not None:
            if self.is_static(node):
                if node not in self.hoisted:
                    static, self.static = self.static, None
                    code = self(node)
                    self.static = static
                    name = f"c{len(self.hoisted)}"
                    self.hoisted[node] = name
                    self.hoist_lines.append(f"{name} = {code}")
                return self.hoisted[node]
            if node in self.repeats:
                if node not in self.cse:
                    code = self._emit(node)
                    name = f"x{len(self.cse)}"
                    self.pending.append(f"{name} = {code}")
                    self.cse[node] = name
                return self.cse[node]
        return self._emit(node)

    def _emit(self, node) -> str:
        e = self
        if isinstance(node, ir.Num):
            return num(node.value)
        if isinstance(node, ir.Var):
            return self.names(node.name)
        if isinstance(node, Code):
            return node.text
        if isinstance(node, ir.Time):
            return "t"
        if isinstance(node, ir.Control):
            return {
                "time_step": "dt",
                "initial_time": "initial_time",
                "final_time": "final_time",
                "saveper": "saveper",
            }[node.name]
        if isinstance(node, ir.Op):
            a = [e(x) for x in node.args]
            if node.op == "neg":
                return f"(-{a[0]})"
            if node.op == "not":
                return f"np.logical_not({a[0]})"
            if node.op == "and":
                return f"np.logical_and({a[0]}, {a[1]})"
            if node.op == "or":
                return f"np.logical_or({a[0]}, {a[1]})"
            if node.op == "^":
                return f"np.power({a[0]}, {a[1]})"
            if all(isinstance(x, ir.Num) for x in node.args):
                a[0] = f"np.float64({a[0]})"  # numpy semantics (1/0 = inf, not an exception)
            return f"({a[0]} {BINARY[node.op]} {a[1]})"
        if isinstance(node, ir.Call):
            if node.fn in LOWERED:  # formulas defined once, in lowering.py
                return e(lower_call(node.fn, node.args))
            return self.call(node.fn, [e(x) for x in node.args])
        if isinstance(node, ir.Lookup):
            tab = self.prog.tables[node.table]
            fn = {
                "interpolate": "np.interp",
                "extrapolate": "lk_extrapolate",
                "hold_backward": "lk_hold_backward",
            }[tab.mode]
            return f"{fn}({e(node.x)}, X{node.table}, Y{node.table})"
        if isinstance(node, ir.StateRead):
            return self.state_out(self.states[node.state])
        raise TypeError(f"cannot emit {node!r}")

    def call(self, fn, a):
        """Source of a primitive function call with argument sources ``a``."""
        if fn in UNARY:
            return f"{UNARY[fn]}({a[0]})"
        if fn == "min":
            return f"np.minimum({a[0]}, {a[1]})"
        if fn == "max":
            return f"np.maximum({a[0]}, {a[1]})"
        if fn == "power":
            return f"np.power({a[0]}, {a[1]})"
        if fn == "log":
            return f"(np.log({a[0]}) / np.log({a[1]}))"
        if fn == "if_then_else":
            return f"np.where({a[0]}, {a[1]}, {a[2]})"
        raise TypeError(f"no numpy code for function {fn}")

    def role(self, s, role):
        """Source of input ``role`` of state ``s``."""
        return self(s.inputs[role])

    def state_out(self, s) -> str:
        """Source of the output of state ``s`` (what a StateRead returns)."""
        k, i = s.kind, s.sid
        if k in ("integ", "initial"):
            return f"s{i}"
        if k == "smooth":
            return f"s{i}[-1]"
        if k == "delay":
            return f"(s{i}[-1] / {self.role(s, 'time')})"
        if k == "delayn":
            return f"(s{i}[-1] / tm{i}[0])"
        if k == "delay_fixed":
            return f"df{i}"
        if k == "trend":
            return self(trend_output(s.inputs["input"], s.inputs["time"], Code(f"s{i}")))
        raise TypeError(k)


def generate(prog: ir.Program, ts_params: frozenset, outputs: tuple, method: str) -> str:
    """Python source of ``run(...)`` for one signature."""
    names = NameTable()
    em = Emitter(prog, names)
    states = prog.states
    by_target = {a.target: a for a in prog.assigns}

    # ---------------- which assigns vary in time (depend on Time, states, time series)
    dynamic = dynamic_targets(prog, ts_params)

    # ---------------- what is needed per step
    out_scalars = [sc for name in outputs for sc in prog.outputs[name].scalars]
    step_roots = set(out_scalars)
    for s in states:
        step_roots |= role_vars(s, STEP_ROLES[s.kind])
    step_need = closure(prog, step_roots)
    loop_assigns = [a for a in prog.assigns if a.target in step_need and a.target in dynamic]
    deriv_roots = set()
    for s in states:
        deriv_roots |= role_vars(s, STEP_ROLES[s.kind])
    deriv_need = closure(prog, deriv_roots)
    rk_assigns = [a for a in prog.assigns if a.target in deriv_need and a.target in dynamic]

    # ---------------- init: everything needed by the loop, the outputs and state inits
    init_roots = set(step_need) | set(out_scalars)
    for s in states:
        init_roots |= role_vars(s, INIT_ROLES[s.kind])
    init_need = closure(prog, init_roots)

    state_ids = [s.sid for s in states if s.kind not in ("initial", "delay_fixed")]
    head = [
        "import numpy as np",
        "from aigap.engine.runtime import (lk_extrapolate, lk_hold_backward, ts_interp,",
        "    delay_order, fixed_pipe, fixed_push, full, chain, uniform_int)",
        "",
        "",
        "def run(P, TS, R, times, save, dt, initial_time, final_time, saveper, O):",
        "    t = times[0]",
    ]
    w = head.append
    for pname in prog.params:
        if pname in ts_params:
            w(f"    {names(pname)}_x, {names(pname)}_v = TS[{pname!r}]")
            w(f"    {names(pname)} = ts_interp(t, {names(pname)}_x, {names(pname)}_v)")
        else:
            w(f"    {names(pname)} = P[{pname!r}]")
    for kind, key in prog.init_order:  # initialisation in dependency order
        if kind == "assign":
            if key in init_need:
                w(f"    {names(key)} = {em(by_target[key].expr)}")
        else:
            for line in _state_init(em, states[key]):
                w("    " + line)

    em.static = (set(prog.params) - set(ts_params)) | {
        a.target for a in prog.assigns if a.target not in dynamic
    }
    fn = []  # RK4: derivatives at (t, current states)
    if method == "rk4" and state_ids:
        args = ", ".join(f"s{i}" for i in state_ids)
        fn.append(f"    def _deriv(t, {args}):")
        for pname in sorted(ts_params):
            fn.append(f"        {names(pname)} = ts_interp(t, {names(pname)}_x, {names(pname)}_v)")
        em.block([a.expr for a in rk_assigns])
        for a in rk_assigns:
            fn.extend("        " + x for x in em.statement(names(a.target), a.expr))
        for s in states:
            fn.extend("        " + line for line in _deriv(em, s, "d", f"s{s.sid}"))
        fn.append(
            f"        return {', '.join(f'd{i}' for i in state_ids)}"
            f"{',' if len(state_ids) == 1 else ''}"
        )

    loop = ["    n = len(times) - 1", "    for k in range(n + 1):", "        t = times[k]"]
    w = loop.append
    for pname in sorted(ts_params):
        w(f"        {names(pname)} = ts_interp(t, {names(pname)}_x, {names(pname)}_v)")
    em.block([a.expr for a in loop_assigns])
    for a in loop_assigns:
        loop.extend("        " + x for x in em.statement(names(a.target), a.expr))
    w("        j = save[k]")
    w("        if j >= 0:")
    w("            pass")
    for oi, name in enumerate(outputs):
        ov = prog.outputs[name]
        shape = [len(prog.dims[d]) for d in ov.dims]
        for flat, sc in enumerate(ov.scalars):
            idx = np.unravel_index(flat, shape) if shape else ()
            sub = "".join(f", {int(i)}" for i in idx)
            w(f"            O[{oi}][j, :{sub}] = {names(sc)}")
    w("        if k == n:")
    w("            break")
    for s in states:
        loop.extend("        " + line for line in _deriv(em, s, "d", f"s{s.sid}"))
    if method == "euler" or not state_ids:
        for i in state_ids:
            w(f"        s{i} = s{i} + d{i} * dt")
    else:
        for stage, (h, src) in enumerate([("dt / 2", "d"), ("dt / 2", "k2_"), ("dt", "k3_")]):
            ys = ", ".join(f"s{i} + {src}{i} * {h}" for i in state_ids)
            tt = "t + dt / 2" if stage < 2 else "t + dt"
            w(
                f"        {', '.join(f'k{stage + 2}_{i}' for i in state_ids)}"
                f"{',' if len(state_ids) == 1 else ''} = _deriv({tt}, {ys})"
            )
        for i in state_ids:
            w(f"        s{i} = s{i} + dt / 6 * (d{i} + 2 * k2_{i} + 2 * k3_{i} + k4_{i})")
    for s in states:
        loop.extend("        " + line for line in _discrete(em, s))
    hoist = ["    " + x for x in em.hoist_lines]
    return "\n".join(head + hoist + fn + loop) + "\n"


def _state_init(em, s):
    i, k = s.sid, s.kind
    what = repr(f"{s.name}{list(s.subscript) if s.subscript else ''}")
    if k in ("integ", "initial"):
        return [f"s{i} = full({em.role(s, 'init')}, R)"]
    if k == "smooth":
        return [
            f"o{i} = int(uniform_int({em(s.order)}, 'order of ' + {what}))",
            f"s{i} = chain({em.role(s, 'init')}, o{i}, R)",
        ]
    if k in ("delay", "delayn"):
        tm = em.role(s, "time")
        out = [
            f"o{i} = delay_order({em(s.order)}, {tm}, dt, {what})",
            f"s{i} = chain({em.role(s, 'init')} * {tm}, o{i}, R)",
        ]
        if k == "delayn":
            out.append(f"tm{i} = chain({tm}, o{i}, R)")
        return out
    if k == "delay_fixed":
        return [
            f"pipe{i}, ptr{i}, o{i} = fixed_pipe({em.role(s, 'init')}, "
            f"{em.role(s, 'time')}, dt, R)",
            f"df{i} = pipe{i}[0].copy()",
        ]
    if k == "trend":
        return [
            f"s{i} = full({em.role(s, 'input')} / (1 + {em.role(s, 'init')} * "
            f"{em.role(s, 'time')}), R)"
        ]
    raise TypeError(k)


def _shift(name, first, src):
    """Lines making ``name`` = ``[first, src[0], ..., src[-2]]`` (a chain's inflows)."""
    return [f"{name} = np.empty_like({src})", f"{name}[0] = {first}", f"{name}[1:] = {src}[:-1]"]


def _deriv(em, s, prefix, st):
    """Lines computing ``{prefix}{sid}``, the derivative of state ``st``."""
    i, k = s.sid, s.kind
    d = f"{prefix}{i}"
    if k == "integ":
        return [f"{d} = {em.role(s, 'rate')}"]
    if k == "smooth":
        return _shift(f"tg{i}", em.role(s, "input"), st) + [
            f"{d} = (tg{i} - {st}) * o{i} / {em.role(s, 'time')}"
        ]
    if k in ("delay", "delayn"):
        if k == "delay":
            lines = [f"of{i} = {st} / {em.role(s, 'time')}"]
        else:
            lines = _shift(f"tn{i}", em.role(s, "time"), f"tm{i}") + [f"of{i} = {st} / tn{i}"]
        return (
            lines
            + _shift(f"if{i}", em.role(s, "input"), f"of{i}")
            + [f"{d} = (if{i} - of{i}) * o{i}"]
        )
    if k == "trend":
        return [f"{d} = ({em.role(s, 'input')} - {st}) / {em.role(s, 'time')}"]
    return []


def _discrete(em, s):
    i, k = s.sid, s.kind
    if k == "delayn":
        return [f"tm{i} = tn{i}"]
    if k == "delay_fixed":
        return [f"ptr{i}, df{i} = fixed_push(pipe{i}, ptr{i}, o{i}, {em.role(s, 'input')})"]
    return []


class NumpyProgram:
    """IR plus a cache of generated functions, one per signature."""

    def __init__(self, prog: ir.Program):
        self.ir = prog
        self._fns = {}

    def __getstate__(self):
        return {"ir": self.ir, "_fns": {}}

    def function(self, ts_params, outputs, method):
        """The generated ``run`` function of one signature (generated once, then reused)."""
        key = (frozenset(ts_params), tuple(outputs), method)
        if key not in self._fns:
            src = self.source(*key)
            glb = {}
            for i, tab in enumerate(self.ir.tables):
                glb[f"X{i}"], glb[f"Y{i}"] = tab.x, tab.y
            self._fns[key] = load_source(src, glb)
        return self._fns[key]

    def source(self, ts_params, outputs, method):
        """Python source of ``run`` for one signature."""
        return generate(self.ir, frozenset(ts_params), tuple(outputs), method)


class NumpyBackend(Backend):
    """The ``numpy`` engine: generated straight-line numpy, the portable reference."""

    name = "numpy"
    block_size = DEFAULT_BLOCK

    def compile(self, ir):
        """A :class:`NumpyProgram` of ``ir`` (functions generated per signature)."""
        return NumpyProgram(ir)

    def runner(self, plan, ts_params, outputs, method):
        """The generated ``run`` of this signature, writing run-major arrays."""
        return TimeMajor(plan.function(ts_params, outputs, method))


class TimeMajor:
    """Runs a generated function into time-major buffers (contiguous rows), reused by
    every block of a job, and transposes them once per block into run-major ``O``."""

    def __init__(self, fn):
        self.fn = fn
        self.buffers = None

    def __call__(self, P, TS, R, times, save, dt, initial_time, final_time, saveper, O):
        """Simulate one block of ``R`` runs into ``O[k]`` (``(R, saved, *dims)``)."""
        if self.buffers is None or any(b.shape[1] < R for b in self.buffers):
            self.buffers = [np.empty((o.shape[1], R) + o.shape[2:]) for o in O]
        buffers = [buf[:, :R] for buf in self.buffers]
        self.fn(P, TS, R, times, save, dt, initial_time, final_time, saveper, buffers)
        for o, buf in zip(O, buffers):
            o[...] = np.swapaxes(buf, 0, 1)


BACKEND = NumpyBackend()


def load_source(src: str, glb: dict):
    """Write generated source to the cache (keyed by its hash) and load ``run``."""
    digest = hashlib.sha256((CODEGEN_VERSION + src).encode()).hexdigest()
    folder = cache_dir() / "numpy"
    path = folder / f"m{digest[:32]}.py"
    if read_verified(path) != src.encode():  # missing, edited or appended: rewrite it
        write_verified(path, src.encode())
    namespace = dict(glb)
    code = compile(src, str(path), "exec")
    exec(code, namespace)  # noqa: S102 - our own generated code, never user input
    return namespace["run"]
