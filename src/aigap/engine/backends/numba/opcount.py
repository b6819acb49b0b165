"""Operations per time step per run of the compiled kernel, counted from the IR.

Used by ``benchmarks/bench_backends.py`` to put the kernel's speed beside the
machine's division/FMA throughput.
"""

from __future__ import annotations

from ... import ir
from ...lowering import LOWERED, Code, lower_call, trend_output
from .codegen import plan
from .printer import _pow2_reciprocal, static_order

ARITH = ("+", "-", "*", "/")
CALLS = {
    "exp",
    "ln",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "power",
    "log",
}


def _count(node, c, states):
    """Add the operations of one evaluation of ``node`` to counter ``c``."""

    def add(key, k=1):
        c[key] = c.get(key, 0) + k

    if isinstance(node, ir.Call) and node.fn in LOWERED:
        _count(lower_call(node.fn, node.args), c, states)
    elif isinstance(node, ir.Op):
        for a in node.args:
            _count(a, c, states)
        if node.op in ("/", "%"):
            add("arith" if node.op == "/" and _pow2_reciprocal(node.args[1]) else "div")
        elif node.op == "^":
            add("call:power")
        elif node.op in ARITH or node.op == "neg":
            add("arith")
        else:
            add("compare")
    elif isinstance(node, ir.Call):
        for a in node.args:
            _count(a, c, states)
        if node.fn in CALLS:
            add(f"call:{node.fn}", 2 if node.fn == "log" else 1)
            add("div", 1 if node.fn == "log" else 0)
        else:
            add("compare")
    elif isinstance(node, ir.Lookup):
        _count(node.x, c, states)
        add("lookup")
    elif isinstance(node, ir.StateRead):
        s = states[node.state]
        if s.kind in ("delay", "delayn"):
            add("div")
        elif s.kind == "trend":
            _count(trend_output(s.inputs["input"], s.inputs["time"], Code("s")), c, states)


def op_counts(prog: ir.Program, outputs, method="euler", save_fraction=1.0):
    """Operations per time step per run of the compiled kernel, from the IR.

    Counts what the generated loop evaluates: the per-step assignments (values
    only stored are weighted by ``save_fraction``, the share of steps saved),
    the state derivatives and the Euler/RK4 update. Returns a dict with
    ``arith`` (+ - * and negation), ``div``, ``compare`` (comparisons, MIN/MAX,
    IF THEN ELSE, ABS), ``lookup``, ``call:<fn>`` (libm calls) and ``total``.
    ``outputs`` does not change the count: the kernel computes every storable
    value at saved steps and stores the selected ones (outputs are a run-time
    argument), so they are all counted.
    """
    pl = plan(prog, method)
    states = {s.sid: s for s in prog.states}
    step, stored, deriv = {}, {}, {}
    for a in pl["loop"]:
        _count(a.expr, step if a.target in pl["deriv_need"] else stored, states)
    for s in prog.states:
        n = static_order(s) or (int(s.order.value) if isinstance(s.order, ir.Num) else 1)
        per = {
            "integ": {},
            "trend": {"arith": 1, "div": 1},
            "smooth": {"arith": 2 * n, "div": n},
            "delay": {"arith": 2 * n, "div": 2 * n},
            "delayn": {"arith": 2 * n, "div": 2 * n},
        }.get(s.kind, {})
        for key, k in per.items():
            deriv[key] = deriv.get(key, 0) + k
    scalars = sum(
        static_order(s) or (int(s.order.value) if isinstance(s.order, ir.Num) else 1)
        for s in pl["continuous"]
    )
    evals = 1 if pl["method"] == "euler" else 4
    out = {}
    for src, w in ((step, 1), (stored, save_fraction)):
        for key, k in src.items():
            out[key] = out.get(key, 0) + k * w
    if evals > 1:  # RK4: three more derivative evaluations per step
        rk = {}
        for a in pl["rk"]:
            _count(a.expr, rk, states)
        for key, k in rk.items():
            out[key] = out.get(key, 0) + 3 * k
    for key, k in deriv.items():
        out[key] = out.get(key, 0) + evals * k
    # update: s + d*dt (Euler); RK4 three stage states and the weighted sum (the
    # divisions by 2 and 6 are exact multiplications or hoisted out of the loop)
    out["arith"] = out.get("arith", 0) + scalars * (2 if evals == 1 else 3 * 3 + 8)
    out["total"] = sum(v for k, v in out.items())
    return out
