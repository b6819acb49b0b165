"""Generate a JavaScript simulation kernel from the IR (the explorer's backend).

A third printer of the one IR, beside :mod:`~aigap.engine.backends.numpy` and
:mod:`~aigap.engine.backends.numba`: one run, every scalar a JS double, the same operations in
the same order (Vensim functions come from :mod:`lowering`), so results equal
the numpy backend's to rounding. The generated ``run(P, TS, times, save, dt,
initial_time, final_time, saveper, O)`` reads ``P`` (a Float64Array in
``Program.params`` order), ``TS`` (param index -> ``[xs, values]`` for
time-varying constants) and writes ``O[k][row * width + element]`` for every
stored output ``k``.

Supported: Euler for every state kind, RK4 for models whose states are all
scalar (``integ``, ``trend``, ``initial``); anything else raises
:class:`~aigap.engine.errors.UnsupportedFeatureError` naming the variable.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .. import ir
from ..errors import UnsupportedFeatureError
from ..lowering import LOWERED, Code, lower_call, trend_output
from ..ordering import INIT_ROLES, STEP_ROLES, dynamic_targets, role_vars
from .numpy import Emitter
from .printing import NameTable, closure

CODEGEN_VERSION = "js-1"

UNARY = {
    "abs": "Math.abs",
    "exp": "Math.exp",
    "ln": "Math.log",
    "sqrt": "Math.sqrt",
    "sin": "Math.sin",
    "cos": "Math.cos",
    "tan": "Math.tan",
    "arcsin": "Math.asin",
    "arccos": "Math.acos",
    "arctan": "Math.atan",
    "sinh": "Math.sinh",
    "cosh": "Math.cosh",
    "tanh": "Math.tanh",
    "integer": "Math.trunc",
}
BINARY = {
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
SCALAR_STATES = ("integ", "trend", "initial")

# Run-time helpers: numpy's semantics for the few operations JS spells differently.
RUNTIME = r"""
function tr(x) { return x !== 0 && x !== false; }            // numpy truth (NaN is true)
function pymod(a, b) {                                          // Python's floored modulo
  const r = a % b;
  return (r !== 0 && (r < 0) !== (b < 0)) ? r + b : r;
}
function interp(x, xp, fp) {                                    // np.interp
  const n = xp.length;
  if (Number.isNaN(x)) return NaN;
  if (x <= xp[0]) return fp[0];
  if (x >= xp[n - 1]) return fp[n - 1];
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const m = (lo + hi) >> 1; if (xp[m] <= x) lo = m; else hi = m; }
  if (x === xp[lo]) return fp[lo];
  const slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
  return slope * (x - xp[lo]) + fp[lo];
}
function lk_extrapolate(x, xp, fp) {
  const n = xp.length;
  if (x > xp[n - 1]) return fp[n - 1] + (fp[n - 1] - fp[n - 2]) / (xp[n - 1] - xp[n - 2]) * (x - xp[n - 1]);
  if (x < xp[0]) return fp[0] + (fp[1] - fp[0]) / (xp[1] - xp[0]) * (x - xp[0]);
  return interp(x, xp, fp);
}
function lk_hold_backward(x, xp, fp) {
  let j = -1;
  for (let i = 0; i < xp.length; i++) if (xp[i] <= x) j = i;
  return fp[Math.min(Math.max(j, 0), xp.length - 1)];
}
function delay_order(order, d, dt, what) {
  let o = Math.trunc(order);
  while (o * dt > d) o -= 1;
  if (o < 1) throw new Error(what + ": delay time " + d + " is shorter than TIME STEP");
  return o;
}
function chain(v, n) { const a = new Float64Array(n); a.fill(v); return a; }
"""


def _num(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "(-Infinity)"
    return repr(float(v)) if v >= 0 else f"({float(v)!r})"


class JSEmitter(Emitter):
    """Expression -> JavaScript source (one run: every value a double)."""

    def _emit(self, node) -> str:
        e = self
        if isinstance(node, ir.Num):
            return _num(node.value)
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
                return f"(!tr({a[0]}))"
            if node.op == "and":
                return f"(tr({a[0]}) && tr({a[1]}))"
            if node.op == "or":
                return f"(tr({a[0]}) || tr({a[1]}))"
            if node.op == "^":
                return f"Math.pow({a[0]}, {a[1]})"
            if node.op == "%":
                return f"pymod({a[0]}, {a[1]})"
            if node.op not in BINARY:
                raise TypeError(f"operator {node.op}")
            return f"({a[0]} {BINARY[node.op]} {a[1]})"
        if isinstance(node, ir.Call):
            if node.fn in LOWERED:
                return e(lower_call(node.fn, node.args))
            return self.call(node.fn, [e(x) for x in node.args])
        if isinstance(node, ir.Lookup):
            tab = self.prog.tables[node.table]
            fn = {
                "interpolate": "interp",
                "extrapolate": "lk_extrapolate",
                "hold_backward": "lk_hold_backward",
            }.get(tab.mode)
            if fn is None:
                raise TypeError(f"lookup mode {tab.mode}")
            return f"{fn}({e(node.x)}, X{node.table}, Y{node.table})"
        if isinstance(node, ir.StateRead):
            return self.state_out(self.states[node.state])
        raise TypeError(f"IR node {type(node).__name__}")

    def call(self, fn, a):
        """Source of a primitive function call with argument sources ``a``."""
        if fn in UNARY:
            return f"{UNARY[fn]}({a[0]})"
        if fn in ("min", "max"):
            return f"Math.{fn}({a[0]}, {a[1]})"
        if fn == "power":
            return f"Math.pow({a[0]}, {a[1]})"
        if fn == "log":
            return f"(Math.log({a[0]}) / Math.log({a[1]}))"
        if fn == "if_then_else":
            return f"(tr({a[0]}) ? {a[1]} : {a[2]})"
        raise TypeError(f"function {fn}")

    def state_out(self, s) -> str:
        """Source of the output of state ``s``."""
        k, i = s.kind, s.sid
        if k in ("integ", "initial"):
            return f"s{i}"
        if k == "smooth":
            return f"s{i}[o{i} - 1]"
        if k == "delay":
            return f"(s{i}[o{i} - 1] / {self.role(s, 'time')})"
        if k == "delayn":
            return f"(s{i}[o{i} - 1] / tm{i}[0])"
        if k == "delay_fixed":
            return f"df{i}"
        if k == "trend":
            return self(trend_output(s.inputs["input"], s.inputs["time"], Code(f"s{i}")))
        raise TypeError(f"state kind {k}")


def _guard(what, line_of, fn, *args):
    """Run ``fn``; an IR feature without JS code becomes an error naming ``what``."""
    try:
        return fn(*args)
    except TypeError as exc:
        name, line = line_of(what)
        raise UnsupportedFeatureError(
            name, str(exc), None, line, "no JavaScript code for it (explorer backend)"
        ) from exc


def generate_js(prog: ir.Program, ts_params=frozenset(), outputs=(), method="euler") -> str:
    """JavaScript source of ``run(...)`` for one signature (see the module docstring).

    Raises
    ------
    UnsupportedFeatureError
        When the model uses an IR feature (or RK4 with a chain state) without JS code.
    """
    names = NameTable()
    em = JSEmitter(prog, names)
    states = prog.states
    by_target = {a.target: a for a in prog.assigns}
    param_index = {p: k for k, p in enumerate(prog.params)}

    def line_of(target):
        a = by_target.get(target)
        return (a.element or target, None) if a else (target, None)

    def expr(target, node):
        return _guard(target, line_of, em, node)

    if method not in ("euler", "rk4"):
        raise ValueError(f"unknown method '{method}'")
    if method == "rk4":
        for s in states:
            if s.kind not in SCALAR_STATES:
                raise UnsupportedFeatureError(
                    s.name,
                    f"RK4 with a {s.kind} state",
                    None,
                    None,
                    "the JavaScript backend integrates chain states with Euler only",
                )
    dynamic = dynamic_targets(prog, ts_params)
    out_scalars = [sc for name in outputs for sc in prog.outputs[name].scalars]
    step_roots = set(out_scalars)
    for s in states:
        step_roots |= role_vars(s, STEP_ROLES[s.kind])
    step_need = closure(prog, step_roots)
    loop_assigns = [a for a in prog.assigns if a.target in step_need and a.target in dynamic]
    init_roots = set(step_need) | set(out_scalars)
    for s in states:
        init_roots |= role_vars(s, INIT_ROLES[s.kind])
    init_need = closure(prog, init_roots)

    lines = []
    for i, tab in enumerate(prog.tables):
        lines.append(f"const X{i} = {json.dumps([float(x) for x in np.asarray(tab.x)])};")
        lines.append(f"const Y{i} = {json.dumps([float(y) for y in np.asarray(tab.y)])};")
    lines.append("function run(P, TS, times, save, dt, initial_time, final_time, saveper, O) {")
    w = lines.append
    w("  let t = times[0];")
    for pname in prog.params:
        k = param_index[pname]
        if pname in ts_params:
            w(f"  const {names(pname)}_s = TS[{k}];")
            w(f"  let {names(pname)} = interp(t, {names(pname)}_s[0], {names(pname)}_s[1]);")
        else:
            w(f"  const {names(pname)} = P[{k}];")
    declared = set()
    for kind, key in prog.init_order:
        if kind == "assign":
            if key in init_need:
                w(f"  let {names(key)} = {expr(key, by_target[key].expr)};")
                declared.add(key)
        else:
            s = states[key]
            lines.extend("  " + x for x in _guard(s.name, lambda n: (n, None), _state_init, em, s))
    w("  const n = times.length - 1;")
    w("  for (let k = 0; k <= n; k++) {")
    w("    t = times[k];")
    for pname in sorted(ts_params):
        w(f"    {names(pname)} = interp(t, {names(pname)}_s[0], {names(pname)}_s[1]);")
    for a in loop_assigns:
        w(f"    {names(a.target)} = {expr(a.target, a.expr)};")
    w("    const j = save[k];")
    w("    if (j >= 0) {")
    for oi, name in enumerate(outputs):
        sc = prog.outputs[name].scalars
        for flat, scn in enumerate(sc):
            w(f"      O[{oi}][j * {len(sc)} + {flat}] = {names(scn)};")
    w("    }")
    w("    if (k === n) break;")
    scalar_ids = [s.sid for s in states if s.kind in ("integ", "trend")]
    if method == "rk4" and scalar_ids:
        _rk4(lines, em, ts_params, states, scalar_ids, loop_assigns, names, expr)
    else:
        for s in states:
            lines.extend("    " + x for x in _guard(s.name, lambda n: (n, None), _euler, em, s))
        lines.extend("    " + x for x in euler_updates(states))
    lines.append("  }")
    lines.append("}")
    return RUNTIME + "\n".join(lines) + "\n"


def _state_init(em, s):
    i, k = s.sid, s.kind
    what = json.dumps(f"{s.name}{list(s.subscript) if s.subscript else ''}")
    if k in ("integ", "initial"):
        return [f"let s{i} = {em.role(s, 'init')};"]
    if k == "smooth":
        return [
            f"const o{i} = Math.trunc({em(s.order)});",
            f"const s{i} = chain({em.role(s, 'init')}, o{i});",
        ]
    if k in ("delay", "delayn"):
        tm = em.role(s, "time")
        out = [
            f"const o{i} = delay_order({em(s.order)}, {tm}, dt, {what});",
            f"const s{i} = chain({em.role(s, 'init')} * {tm}, o{i});",
        ]
        if k == "delayn":
            out.append(f"let tm{i} = chain({tm}, o{i});")
        return out
    if k == "delay_fixed":
        return [
            f"const o{i} = Math.round(Math.max({em.role(s, 'time')} / dt, 1) + 1e-6);",
            f"const pipe{i} = chain({em.role(s, 'init')}, o{i});",
            f"let ptr{i} = 0;",
            f"let df{i} = pipe{i}[0];",
        ]
    if k == "trend":
        return [
            f"let s{i} = {em.role(s, 'input')} / (1 + {em.role(s, 'init')} * {em.role(s, 'time')});"
        ]
    raise TypeError(f"state kind {k}")


def _euler(em, s):
    """Lines advancing state ``s`` by one Euler step (derivatives from the current values)."""
    i, k = s.sid, s.kind
    if k == "integ":
        return [f"const d{i} = {em.role(s, 'rate')};"]
    if k == "trend":
        return [f"const d{i} = ({em.role(s, 'input')} - s{i}) / {em.role(s, 'time')};"]
    if k == "smooth":
        return [
            f"const in{i} = {em.role(s, 'input')}, tt{i} = {em.role(s, 'time')};",
            f"const d{i} = new Float64Array(o{i});",
            f"for (let q = 0; q < o{i}; q++) d{i}[q] = "
            f"(((q === 0 ? in{i} : s{i}[q - 1]) - s{i}[q]) * o{i}) / tt{i};",
        ]
    if k in ("delay", "delayn"):
        den = f"tt{i}" if k == "delay" else f"(q === 0 ? tt{i} : tm{i}[q - 1])"
        out = [
            f"const in{i} = {em.role(s, 'input')}, tt{i} = {em.role(s, 'time')};",
            f"const of{i} = new Float64Array(o{i});",
            f"for (let q = 0; q < o{i}; q++) of{i}[q] = s{i}[q] / {den};",
            f"const d{i} = new Float64Array(o{i});",
            f"for (let q = 0; q < o{i}; q++) d{i}[q] = "
            f"((q === 0 ? in{i} : of{i}[q - 1]) - of{i}[q]) * o{i};",
        ]
        if k == "delayn":
            out.append(
                f"const tn{i} = new Float64Array(o{i}); tn{i}[0] = tt{i}; "
                f"for (let q = 1; q < o{i}; q++) tn{i}[q] = tm{i}[q - 1];"
            )
        return out
    if k == "delay_fixed":
        return [f"const in{i} = {em.role(s, 'input')};"]
    if k == "initial":
        return []
    raise TypeError(f"state kind {k}")


def euler_updates(states):
    """Lines applying the derivatives of every state (after all were computed)."""
    out = []
    for s in states:
        i, k = s.sid, s.kind
        if k in ("integ", "trend"):
            out.append(f"s{i} = s{i} + d{i} * dt;")
        elif k in ("smooth", "delay", "delayn"):
            out.append(f"for (let q = 0; q < o{i}; q++) s{i}[q] = s{i}[q] + d{i}[q] * dt;")
            if k == "delayn":
                out.append(f"tm{i} = tn{i};")
        elif k == "delay_fixed":
            out.append(
                f"pipe{i}[ptr{i}] = in{i}; ptr{i} = (ptr{i} + 1) % o{i}; df{i} = pipe{i}[ptr{i}];"
            )
    return out


def _rk4(lines, em, ts_params, states, ids, loop_assigns, names, expr):
    """RK4 for scalar states: a local derivative function over the dynamic assigns."""
    args = ", ".join(f"s{i}" for i in ids)
    w = lines.append
    w(f"    const deriv = (t, {args}) => {{")
    for pname in sorted(ts_params):
        w(f"      const {names(pname)} = interp(t, {names(pname)}_s[0], {names(pname)}_s[1]);")
    for a in loop_assigns:
        w(f"      const {names(a.target)} = {expr(a.target, a.expr)};")
    for s in states:
        if s.kind == "integ":
            w(f"      const d{s.sid} = {em.role(s, 'rate')};")
        elif s.kind == "trend":
            w(f"      const d{s.sid} = ({em.role(s, 'input')} - s{s.sid}) / {em.role(s, 'time')};")
    w(f"      return [{', '.join(f'd{i}' for i in ids)}];")
    w("    };")
    w(f"    const k1 = deriv(t, {args});")
    for stage, (h, src, tt) in enumerate(
        [("dt / 2", "k1", "t + dt / 2"), ("dt / 2", "k2", "t + dt / 2"), ("dt", "k3", "t + dt")]
    ):
        ys = ", ".join(f"s{i} + {src}[{q}] * {h}" for q, i in enumerate(ids))
        w(f"    const k{stage + 2} = deriv({tt}, {ys});")
    for q, i in enumerate(ids):
        w(f"    s{i} = s{i} + dt / 6 * (k1[{q}] + 2 * k2[{q}] + 2 * k3[{q}] + k4[{q}]);")
