"""IR expression -> scalar Python source of one run, for the numba kernels.

Every IR scalar is a local float of one run; comparisons yield 0.0/1.0
(numpy's booleans are 0/1 in arithmetic); divisions by literal powers of two
become exact multiplications. Vensim functions are emitted from their single
definition in :mod:`aigap.engine.lowering`.
"""

from __future__ import annotations

import math

import numpy as np

from ... import ir
from ...lowering import LOWERED, Code, lower_call, trend_output
from ..printing import NameTable, num

MATH1 = {
    "exp": "math.exp",
    "ln": "math.log",
    "sqrt": "math.sqrt",
    "sin": "math.sin",
    "cos": "math.cos",
    "tan": "math.tan",
    "arcsin": "math.asin",
    "arccos": "math.acos",
    "arctan": "math.atan",
    "sinh": "math.sinh",
    "cosh": "math.cosh",
    "tanh": "math.tanh",
    "integer": "np.trunc",
    "abs": "abs",
}
COMPARE = ("==", "!=", "<", "<=", ">", ">=")
LOOKUP_FN = {"interpolate": "_lk_interp", "extrapolate": "_lk_extrap", "hold_backward": "_lk_hold"}


def _pow2_reciprocal(node):
    """``1/c`` as a literal when ``c`` is a power of two (so ``x/c == x*(1/c)`` exactly)."""
    if isinstance(node, ir.Num) and np.isfinite(node.value) and node.value != 0:
        m, e = math.frexp(abs(node.value))
        if m == 0.5 and -1000 < e < 1000:
            return num(1.0 / node.value)
    return None


def static_order(s):
    """The chain length of a SMOOTH whose order is a literal (unrolled), else None.

    Other chains (delays, whose order PySD may shorten at run time, SMOOTH N
    with a variable order) are per-run arrays updated by small helpers.
    """
    if s.kind == "smooth" and isinstance(s.order, ir.Num) and 1 <= s.order.value <= 16:
        return int(s.order.value)
    return None


class Scope:
    """Names seen by the code of one evaluation point (initialisation, step, RK4 stage).

    Values recomputed at an evaluation point get their own suffix, so every
    local of the kernel is assigned by one statement only (numba's SSA pass is
    quadratic in re-assigned variables times blocks).
    """

    def __init__(self, time="t", suffix="", renamed=frozenset(), state="S", deriv="D", tn="TN"):
        self.time = time
        self.suffix = suffix
        self.renamed = renamed  # IR names recomputed at this point
        self.state = state  # prefix of state variables (S, or Y2_.. in a stage)
        self.deriv = deriv  # prefix of derivative variables
        self.tn = tn  # DELAY N: stage delay times


INIT = Scope()


class Emitter:
    """IR expression -> scalar Python source for numba."""

    def __init__(self, prog: ir.Program, names: NameTable):
        self.prog = prog
        self.names = names
        self.states = {s.sid: s for s in prog.states}
        self.refs = {}  # IR names read from an array (e.g. PR[r, j])

    def var(self, name, sc: Scope):
        """Local name (or array cell) of IR variable ``name`` at evaluation point ``sc``."""
        if name in self.refs:
            return self.refs[name]
        base = self.names(name)
        return base + sc.suffix if name in sc.renamed else base

    def __call__(self, node, sc: Scope = INIT) -> str:
        """Source of IR expression ``node`` evaluated at point ``sc``."""
        e = self
        if isinstance(node, ir.Num):
            return num(node.value)
        if isinstance(node, ir.Var):
            return self.var(node.name, sc)
        if isinstance(node, Code):
            return node.text
        if isinstance(node, ir.Time):
            return sc.time
        if isinstance(node, ir.Control):
            return {
                "time_step": "dt",
                "initial_time": "initial_time",
                "final_time": "final_time",
                "saveper": "saveper",
            }[node.name]
        if isinstance(node, ir.Op):
            a = [e(x, sc) for x in node.args]
            op = node.op
            if op == "neg":
                return f"(-{a[0]})"
            if op == "not":
                return f"_f({a[0]} == 0)"
            if op == "and":
                return f"_f(({a[0]} != 0) & ({a[1]} != 0))"
            if op == "or":
                return f"_f(({a[0]} != 0) | ({a[1]} != 0))"
            if op == "^":
                return f"(({a[0]}) ** ({a[1]}))"
            if op in COMPARE:
                return f"_f({a[0]} {op} {a[1]})"
            if op == "/":
                inv = _pow2_reciprocal(node.args[1])
                if inv is not None:
                    return f"({a[0]} * {inv})"
            return f"({a[0]} {op} {a[1]})"
        if isinstance(node, ir.Call):
            if node.fn in LOWERED:  # formulas defined once, in lowering.py
                return e(lower_call(node.fn, node.args), sc)
            return self.call(node.fn, [e(x, sc) for x in node.args])
        if isinstance(node, ir.Lookup):
            tab = self.prog.tables[node.table]
            i = node.table
            return f"{LOOKUP_FN[tab.mode]}({e(node.x, sc)}, TX{i}, TY{i}, TS{i})"
        if isinstance(node, ir.StateRead):
            return self.state_out(self.states[node.state], sc)
        raise TypeError(f"cannot emit {node!r}")

    @staticmethod
    def call(fn, a):
        """Source of a primitive function call with argument sources ``a``."""
        if fn in MATH1:
            return f"{MATH1[fn]}({a[0]})"
        simple = {
            "min": "_fmin({0}, {1})",
            "max": "_fmax({0}, {1})",
            "power": "(({0}) ** ({1}))",
            "log": "(math.log({0}) / math.log({1}))",
            "if_then_else": "_ite({0}, {1}, {2})",
        }
        if fn in simple:
            return simple[fn].format(*a)
        raise TypeError(f"no numba code for function {fn}")

    def role(self, s, role, sc: Scope = INIT):
        """Source of input ``role`` of state ``s`` at point ``sc``."""
        return self(s.inputs[role], sc)

    def stage(self, s, q, sc: Scope = INIT, prefix=None):
        """Stage ``q`` (int or source text) of chain ``s`` under prefix ``prefix``."""
        p = prefix or sc.state
        if static_order(s) is not None:
            return f"{p}{s.sid}_{q}"
        return f"{p}{s.sid}[{q}]"

    def last(self, s, sc: Scope = INIT):
        """Source of the last stage of chain ``s`` (its output before any division)."""
        n = static_order(s)
        return self.stage(s, n - 1 if n is not None else f"N{s.sid} - 1", sc)

    def state_out(self, s, sc: Scope = INIT) -> str:
        """Source of the output of state ``s`` (what a StateRead returns) at ``sc``."""
        k, i = s.kind, s.sid
        if k == "initial":
            return f"S{i}"
        if k == "integ":
            return f"{sc.state}{i}"
        if k == "smooth":
            return self.last(s, sc)
        if k == "delay":
            return f"({self.last(s, sc)} / {self.role(s, 'time', sc)})"
        if k == "delayn":
            return f"({self.last(s, sc)} / TM{i}[0])"
        if k == "delay_fixed":
            return f"DF{i}"
        if k == "trend":
            node = trend_output(s.inputs["input"], s.inputs["time"], Code(f"{sc.state}{i}"))
            return self(node, sc)
        raise TypeError(k)
