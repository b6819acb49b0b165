"""Generate a numba kernel from the IR: a loop over runs, the time loop inside.

(:mod:`aigap.engine.numba_backend` runs blocks of runs on threads; for Euler on
models whose states are all scalars, :mod:`aigap.engine.codegen_numba_lanes`
rewrites these lines to advance eight runs in lock-step with SIMD and libmvec.)

The same :class:`~aigap.engine.ir.Program` the numpy generator reads, turned
into scalar code: every IR scalar is a local float of one run, states live in
locals (SMOOTH chains with a literal order are unrolled, other chains are small
per-run arrays), lookups are tables of the generated module with an inlined
interpolation, and only the requested outputs are written, at SAVEPER.

Semantics are the numpy backend's, operation for operation: the same
expression trees, association and evaluation order, the same split between
values computed once per run and values computed every step, the same Euler
and RK4 updates. Comparisons yield 0.0/1.0 (numpy's booleans are 0/1 in
arithmetic). Divisions are kept as divisions except by literal powers of two
(``x / 2.0`` -> ``x * 0.5``, exact). What is not exact is the transcendental
functions: numba calls the C library, numpy may use its own SIMD versions, so
``exp``/``ln``/``power`` can differ in the last bit (agreement to ~1e-15).
"""
from __future__ import annotations

import math
import re

import numpy as np

from . import ir
from .codegen_numpy import _closure, _Names
from .lowering import LOWERED, Code, lower_call, trend_output
from .ordering import INIT_ROLES, STEP_ROLES, expr_vars, role_vars, uses_time

CODEGEN_VERSION = "numba-1"
MATH1 = {"exp": "math.exp", "ln": "math.log", "sqrt": "math.sqrt", "sin": "math.sin",
         "cos": "math.cos", "tan": "math.tan", "arcsin": "math.asin", "arccos": "math.acos",
         "arctan": "math.atan", "sinh": "math.sinh", "cosh": "math.cosh", "tanh": "math.tanh",
         "integer": "np.trunc", "abs": "abs"}
ARITH = ("+", "-", "*", "/")
COMPARE = ("==", "!=", "<", "<=", ">", ">=")
LOOKUP_FN = {"interpolate": "_lk_interp", "extrapolate": "_lk_extrap",
             "hold_backward": "_lk_hold"}

HELPERS = '''
@njit(error_model="numpy")
def _f(c):
    # a comparison as a number (numpy's booleans are 0/1 in arithmetic)
    return 1.0 if c else 0.0


@njit(error_model="numpy")
def _ite(c, a, b):
    # IF THEN ELSE: both sides are evaluated (as numpy.where does); NaN counts as true
    return a if c != 0 else b


@njit(error_model="numpy")
def _fmin(a, b):
    return a if (a <= b or a != a) else b


@njit(error_model="numpy")
def _fmax(a, b):
    return a if (a >= b or a != a) else b


@njit(error_model="numpy")
def _seg(x, xp):
    lo = 0
    hi = xp.shape[0] - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if xp[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo


@njit(error_model="numpy")
def _lk_interp(x, xp, fp, sl):
    # numpy.interp, branch for branch (slopes precomputed with its formula)
    n = xp.shape[0]
    if x != x:
        return x
    if x < xp[0]:
        return fp[0]
    if x > xp[n - 1]:
        return fp[n - 1]
    if x == xp[n - 1]:
        return fp[n - 1]
    j = _seg(x, xp)
    if xp[j] == x:
        return fp[j]
    v = sl[j] * (x - xp[j]) + fp[j]
    if v != v:
        v = sl[j] * (x - xp[j + 1]) + fp[j + 1]
        if v != v and fp[j] == fp[j + 1]:
            v = fp[j]
    return v


@njit(error_model="numpy")
def _lk_extrap(x, xp, fp, sl):
    n = xp.shape[0]
    if x > xp[n - 1]:
        return fp[n - 1] + sl[n - 2] * (x - xp[n - 1])
    if x < xp[0]:
        return fp[0] + sl[0] * (x - xp[0])
    return _lk_interp(x, xp, fp, sl)


@njit(error_model="numpy")
def _lk_hold(x, xp, fp, sl):
    n = xp.shape[0]
    if x != x or x >= xp[n - 1]:
        return fp[n - 1]
    if x < xp[0]:
        return fp[0]
    return fp[_seg(x, xp)]


@njit(error_model="numpy")
def _ts(t, TX, a, b, TV, r):
    # time-series parameter: linear between points, held beyond the ends
    if t <= TX[a]:
        return TV[r, a]
    if t >= TX[b - 1]:
        return TV[r, b - 1]
    j = a + _seg(t, TX[a:b])
    slope = (TV[r, j + 1] - TV[r, j]) / (TX[j + 1] - TX[j])
    return slope * (t - TX[j]) + TV[r, j]


@njit(error_model="numpy")
def _order(v):
    # int(order) as numpy does; out-of-range values are checked (and reported) by the host
    if v == v and 1.0 <= v < 1e6:
        return int(v)
    return 1


@njit(error_model="numpy")
def _smooth_d(D, S, inp, of, tm, n):
    D[0] = ((inp - S[0]) * of) / tm
    for q in range(1, n):
        D[q] = ((S[q - 1] - S[q]) * of) / tm


@njit(error_model="numpy")
def _delay_d(D, S, inp, of, tm, n):
    D[0] = (inp - S[0] / tm) * of
    for q in range(1, n):
        D[q] = (S[q - 1] / tm - S[q] / tm) * of


@njit(error_model="numpy")
def _delayn_d(D, S, TN, TM, inp, of, tm, n):
    TN[0] = tm
    for q in range(1, n):
        TN[q] = TM[q - 1]
    D[0] = (inp - S[0] / TN[0]) * of
    for q in range(1, n):
        D[q] = (S[q - 1] / TN[q - 1] - S[q] / TN[q]) * of


@njit(error_model="numpy")
def _euler(S, D, dt, n):
    for q in range(n):
        S[q] = S[q] + D[q] * dt


@njit(error_model="numpy")
def _half(Y, S, D, dt, n):
    for q in range(n):
        Y[q] = S[q] + D[q] * dt / 2


@njit(error_model="numpy")
def _full(Y, S, D, dt, n):
    for q in range(n):
        Y[q] = S[q] + D[q] * dt


@njit(error_model="numpy")
def _rk4(S, D, K2, K3, K4, dt, n):
    for q in range(n):
        S[q] = S[q] + dt / 6 * (D[q] + 2 * K2[q] + 2 * K3[q] + K4[q])


@njit(error_model="numpy")
def _copy(A, B, n):
    for q in range(n):
        A[q] = B[q]


@njit(error_model="numpy")
def _chain(n, value):
    A = np.empty(n)
    for q in range(n):
        A[q] = value
    return A


@njit(error_model="numpy")
def _reduced_order(o, dt, d):
    # PySD shortens a delay whose time is below order * TIME STEP (never below 1 here)
    while o * dt > d and o > 1:
        o -= 1
    return o


@njit(error_model="numpy")
def _pipe_len(d, dt):
    # round(max(d / dt, 1) + 1e-6), as the numpy backend; bad values reported by the host
    v = d / dt
    if v < 1.0:
        v = 1.0
    v = v + 1e-06
    if v == v and v < 1e9:
        return max(int(np.rint(v)), 1)
    return 1
'''


def _num(v: float) -> str:
    if math.isnan(v):
        return "np.nan"
    if math.isinf(v):
        return "np.inf" if v > 0 else "(-np.inf)"
    return repr(float(v))


def _pow2_reciprocal(node):
    """``1/c`` as a literal when ``c`` is a power of two (so ``x/c == x*(1/c)`` exactly)."""
    if isinstance(node, ir.Num) and np.isfinite(node.value) and node.value != 0:
        m, e = math.frexp(abs(node.value))
        if m == 0.5 and -1000 < e < 1000:
            return _num(1.0 / node.value)
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
        self.renamed = renamed        # IR names recomputed at this point
        self.state = state            # prefix of state variables (S, or Y2_.. in a stage)
        self.deriv = deriv            # prefix of derivative variables
        self.tn = tn                  # DELAY N: stage delay times


INIT = Scope()


class Emitter:
    """IR expression -> scalar Python source for numba."""

    def __init__(self, prog: ir.Program, names: _Names):
        self.prog = prog
        self.names = names
        self.states = {s.sid: s for s in prog.states}

    def var(self, name, sc: Scope):
        base = self.names(name)
        return base + sc.suffix if name in sc.renamed else base

    def __call__(self, node, sc: Scope = INIT) -> str:
        e = self
        if isinstance(node, ir.Num):
            return _num(node.value)
        if isinstance(node, ir.Var):
            return self.var(node.name, sc)
        if isinstance(node, Code):
            return node.text
        if isinstance(node, ir.Time):
            return sc.time
        if isinstance(node, ir.Control):
            return {"time_step": "dt", "initial_time": "initial_time",
                    "final_time": "final_time", "saveper": "saveper"}[node.name]
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
            if node.fn in LOWERED:                 # formulas defined once, in lowering.py
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
            "min": "_fmin({0}, {1})", "max": "_fmax({0}, {1})",
            "power": "(({0}) ** ({1}))", "log": "(math.log({0}) / math.log({1}))",
            "if_then_else": "_ite({0}, {1}, {2})",
        }
        if fn in simple:
            return simple[fn].format(*a)
        raise TypeError(f"no numba code for function {fn}")

    def role(self, s, role, sc: Scope = INIT):
        return self(s.inputs[role], sc)

    def stage(self, s, q, sc: Scope = INIT, prefix=None):
        """Stage ``q`` (int or source text) of chain ``s`` under prefix ``prefix``."""
        p = prefix or sc.state
        if static_order(s) is not None:
            return f"{p}{s.sid}_{q}"
        return f"{p}{s.sid}[{q}]"

    def last(self, s, sc: Scope = INIT):
        n = static_order(s)
        return self.stage(s, n - 1 if n is not None else f"N{s.sid} - 1", sc)

    def state_out(self, s, sc: Scope = INIT) -> str:
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


def plan(prog: ir.Program, ts_params, outputs, method):
    """What the numpy generator computes where: the same split, for the same signature."""
    by_target = {a.target: a for a in prog.assigns}
    dynamic = set(ts_params)
    for a in prog.assigns:
        sids = set()
        vars_ = expr_vars(a.expr, None, sids)
        if sids or uses_time(a.expr) or vars_ & dynamic:
            dynamic.add(a.target)
    out_scalars = [sc for name in outputs for sc in prog.outputs[name].scalars]
    deriv_roots = set()
    for s in prog.states:
        deriv_roots |= role_vars(s, STEP_ROLES[s.kind])
    step_need = _closure(prog, deriv_roots | set(out_scalars))
    deriv_need = _closure(prog, deriv_roots)
    init_roots = set(step_need) | set(out_scalars)
    for s in prog.states:
        init_roots |= role_vars(s, INIT_ROLES[s.kind])
    return {
        "by_target": by_target,
        "loop": [a for a in prog.assigns if a.target in step_need and a.target in dynamic],
        "rk": [a for a in prog.assigns if a.target in deriv_need and a.target in dynamic],
        "deriv_need": deriv_need,
        "init_need": _closure(prog, init_roots),
        "continuous": [s for s in prog.states if s.kind not in ("initial", "delay_fixed")],
        "out_scalars": out_scalars,
        "method": method if any(s.kind not in ("initial", "delay_fixed")
                                for s in prog.states) else "euler",
    }


def info_columns(prog: ir.Program):
    """Per-run values the host checks after the kernel: [(sid, role)], in INFO order."""
    cols = []
    for s in prog.states:
        if s.kind in ("delay", "delayn") or (s.kind == "smooth" and static_order(s) is None):
            cols.append((s.sid, "order"))
        if s.kind in ("delay", "delayn"):
            cols.append((s.sid, "time"))
    return cols



def what(s) -> str:
    """How the numpy backend names a state in messages."""
    return f"{s.name}{list(s.subscript) if s.subscript else ''}"


class Generator:
    """Source of the kernel module for one signature (time series, outputs, method)."""

    STAGES = (("K2_", "D", "dt / 2", "tl + dt / 2"), ("K3_", "K2_", "dt / 2", "tl + dt / 2"),
              ("K4_", "K3_", "dt", "tl + dt"))

    def __init__(self, prog: ir.Program, ts_params, outputs, method):
        self.prog = prog
        self.names = _Names()
        self.em = Emitter(prog, self.names)
        self.pl = plan(prog, ts_params, outputs, method)
        self.method = self.pl["method"]
        self.ts = sorted(ts_params)
        self.outputs = tuple(outputs)
        self.info = {key: c for c, key in enumerate(info_columns(prog))}
        looped = frozenset([a.target for a in self.pl["loop"]] + self.ts)
        self.step = Scope(time="tl", suffix="_l", renamed=looped)
        staged = frozenset([a.target for a in self.pl["rk"]] + self.ts)
        self.stage = {dst: Scope(time=f"T{dst}", suffix=f"_{dst.lower()}", renamed=staged,
                                 state=f"Y{dst}", deriv=dst, tn="TNK")
                      for dst, _, _, _ in self.STAGES}

    # ------------------------------------------------------------- module
    def source(self) -> str:
        head = [f"# Generated by aigap.engine.codegen_numba ({CODEGEN_VERSION}) from model "
                f"{self.prog.model_hash[:16]}, {self.method}, {len(self.outputs)} outputs.",
                "# A cache: never edited, rewritten from the IR when missing.",
                "import math", "", "import numpy as np", "from numba import njit", ""]
        for i, tab in enumerate(self.prog.tables):
            head += [f"TX{i} = np.array({[float(v) for v in tab.x]!r})",
                     f"TY{i} = np.array({[float(v) for v in tab.y]!r})",
                     f"TS{i} = (TY{i}[1:] - TY{i}[:-1]) / (TX{i}[1:] - TX{i}[:-1])"]
        outs = ", ".join(f"O{k}" for k in range(len(self.outputs)))
        args = (f"PR, TX, TO, TV, times, save, dt, initial_time, final_time, saveper, "
                f"{outs + ', ' if outs else ''}INFO")
        body = self.slots(self.init_lines() + self.loop_lines())
        block = ['@njit(nogil=True, cache=True, error_model="numpy")',
                 f"def run_block(r0, r1, {args}):",
                 f"    ST = np.empty({max(1, len(self.slot))})",
                 "    for r in range(r0, r1):"]
        block += ["        " + line for line in body]
        return "\n".join(head + [HELPERS, ""] + block) + "\n"

    def slots(self, lines):
        """Scalar states live in ``ST[slot]``, not in re-assigned locals: numba's SSA
        pass costs (re-assigned variables) x (statements), minutes for models with
        hundreds of states, while a slot costs one L1 load/store."""
        names = {}
        for s in self.prog.states:
            n = static_order(s)
            if s.kind in ("integ", "trend", "initial"):
                names[f"S{s.sid}"] = None
            elif n is not None:
                names.update({f"S{s.sid}_{q}": None for q in range(n)})
        self.slot = {name: k for k, name in enumerate(names)}

        def sub(m):
            k = self.slot.get(m.group(0))
            return m.group(0) if k is None else f"ST[{k}]"
        return [re.sub(r"\bS\d+(?:_\d+)?\b", sub, line) for line in lines]

    # ------------------------------------------------------------- pieces
    def ts_lines(self, sc: Scope):
        return [f"{self.em.var(p, sc)} = _ts({sc.time}, TX, TO[{q}], TO[{q + 1}], TV, r)"
                for q, p in enumerate(self.ts)]

    def init_lines(self):
        em, pl = self.em, self.pl
        out = ["t = times[0]"]
        for j, pname in enumerate(self.prog.params):
            if pname not in self.ts:
                out.append(f"{self.names(pname)} = PR[r, {j}]")
        out += self.ts_lines(INIT)
        states = {s.sid: s for s in self.prog.states}
        for kind, key in self.prog.init_order:
            if kind == "assign":
                if key in pl["init_need"]:
                    out.append(f"{self.names(key)} = {em(pl['by_target'][key].expr)}")
            else:
                out += self.state_init(states[key])
        return out

    def arrays(self, s):
        """Per-run work arrays of a dynamic chain (derivatives, RK4 stages)."""
        i = s.sid
        names = [f"D{i}"]
        if self.method == "rk4":
            names += [f"{p}{i}" for dst, _, _, _ in self.STAGES for p in (dst, f"Y{dst}")]
        if s.kind == "delayn":
            names += [f"TN{i}", f"TNK{i}"]
        return [f"{n} = np.empty(N{i})" for n in names]

    def state_init(self, s):
        em, i, k = self.em, s.sid, s.kind
        if k in ("integ", "initial"):
            return [f"S{i} = {em.role(s, 'init')}"]
        if k == "trend":
            return [f"S{i} = {em.role(s, 'input')} / (1 + {em.role(s, 'init')} * "
                    f"{em.role(s, 'time')})"]
        n = static_order(s)
        if n is not None:
            init = em.role(s, "init")
            return [f"S{i}_{q} = {init}" for q in range(n)]
        if k == "delay_fixed":
            tm = em.role(s, "time")
            return [f"N{i} = _pipe_len({tm}, dt)",        # may differ per run, as in numpy
                    f"PIPE{i} = _chain(N{i}, {em.role(s, 'init')})",
                    f"PTR{i} = 0", f"DF{i} = PIPE{i}[0]"]
        order = em(s.order)
        out = [f"INFO[r, {self.info[(i, 'order')]}] = {order}", f"N{i} = _order({order})"]
        init = em.role(s, "init")
        if k in ("delay", "delayn"):
            tm = em.role(s, "time")
            out += [f"INFO[r, {self.info[(i, 'time')]}] = {tm}",
                    f"N{i} = _reduced_order(N{i}, dt, {tm})"]
            init = f"{init} * {tm}"
        out += [f"OF{i} = float(N{i})", f"S{i} = _chain(N{i}, {init})"]
        out += self.arrays(s)
        if k == "delayn":
            out += [f"TM{i} = _chain(N{i}, {em.role(s, 'time')})"]
        return out

    def deriv(self, s, sc: Scope):
        """Lines computing the derivative of state ``s`` into prefix ``sc.deriv``."""
        em, i, k = self.em, s.sid, s.kind
        D, S = f"{sc.deriv}{i}", f"{sc.state}{i}"
        if k == "integ":
            return [f"{D} = {em.role(s, 'rate', sc)}"]
        if k == "trend":
            return [f"{D} = ({em.role(s, 'input', sc)} - {S}) / {em.role(s, 'time', sc)}"]
        if k not in ("smooth", "delay", "delayn"):
            return []
        inp, tm = em.role(s, "input", sc), em.role(s, "time", sc)
        n = static_order(s)
        if n is not None:
            prev = [inp] + [f"{S}_{q}" for q in range(n - 1)]
            return [f"{D}_{q} = (({prev[q]} - {S}_{q}) * {float(n)!r}) / {tm}"
                    for q in range(n)]
        if k == "delayn":
            return [f"_delayn_d({D}, {S}, {sc.tn}{i}, TM{i}, {inp}, OF{i}, {tm}, N{i})"]
        return [f"_{k}_d({D}, {S}, {inp}, OF{i}, {tm}, N{i})"]

    def combine(self, s, target, fmt, call):
        """``target = fmt`` for every stage of state ``s``.

        ``fmt`` is a format string over state/derivative prefixes (``{S}``, ``{D}``,
        ``{K2_}``...) that each get the state id and stage suffix; chains held in
        arrays call the helper ``call`` (same formula) with ``{i}`` the state id.
        """
        i = s.sid
        n = static_order(s)
        if s.kind in ("integ", "trend"):
            sub = [""]
        elif n is not None:
            sub = [f"_{q}" for q in range(n)]
        else:
            sub = None

        def one(x):
            refs = {p: f"{p}{i}{x}" for p in ("S", "D", "K2_", "K3_", "K4_")}
            return f"{target}{i}{x} = " + fmt.format(**refs)
        if sub is not None:
            return [one(x) for x in sub]
        return [call.format(i=i)]

    def loop_lines(self):
        em, pl, st = self.em, self.pl, self.step
        out = ["n = times.shape[0] - 1", "for k in range(n + 1):", "    tl = times[k]"]
        body = self.ts_lines(st)
        # values only stored (read by no state) are computed at saved steps only
        body += [f"{em.var(a.target, st)} = {em(a.expr, st)}" for a in pl["loop"]
                 if a.target in pl["deriv_need"]]
        body += ["j = save[k]", "if j >= 0:"]
        body += [f"    {em.var(a.target, st)} = {em(a.expr, st)}" for a in pl["loop"]
                 if a.target not in pl["deriv_need"]]
        for oi, name in enumerate(self.outputs):
            ov = self.prog.outputs[name]
            shape = [len(self.prog.dims[d]) for d in ov.dims]
            for flat, sc in enumerate(ov.scalars):
                idx = np.unravel_index(flat, shape) if shape else ()
                sub = "".join(f", {int(x)}" for x in idx)
                body.append(f"    O{oi}[r, j{sub}] = {em(ir.Var(sc), st)}")
        body += ["    pass", "if k == n:", "    break"]
        cont = pl["continuous"]
        for s in self.prog.states:
            body += self.deriv(s, st)
        if self.method == "euler":
            for s in cont:
                body += self.combine(s, "S", "{S} + {D} * dt", "_euler(S{i}, D{i}, dt, N{i})")
        else:
            body += self.rk4_lines(cont)
        for s in self.prog.states:
            i = s.sid
            if s.kind == "delayn":
                body += [f"_copy(TM{i}, TN{i}, N{i})"]
            elif s.kind == "delay_fixed":
                body += [f"PIPE{i}[PTR{i}] = {em.role(s, 'input', st)}",
                         f"PTR{i} = (PTR{i} + 1) % N{i}", f"DF{i} = PIPE{i}[PTR{i}]"]
        return out + ["    " + line for line in body]

    def rk4_lines(self, cont):
        """Classical RK4 as the numpy backend writes it (k1 is the step's derivative)."""
        em, body = self.em, []
        for dst, src, h, tt in self.STAGES:
            sc = self.stage[dst]
            body.append(f"{sc.time} = {tt}")
            helper = "_half" if h == "dt / 2" else "_full"
            call = f"{helper}({sc.state}{{i}}, S{{i}}, {src}{{i}}, dt, N{{i}})"
            for s in cont:
                body += self.combine(s, sc.state, "{S} + {%s} * %s" % (src, h), call)
            body += self.ts_lines(sc)
            body += [f"{em.var(a.target, sc)} = {em(a.expr, sc)}" for a in self.pl["rk"]]
            for s in self.prog.states:
                body += self.deriv(s, sc)
        for s in cont:
            body += self.combine(s, "S", "{S} + dt / 6 * ({D} + 2 * {K2_} + 2 * {K3_} + {K4_})",
                                 "_rk4(S{i}, D{i}, K2_{i}, K3_{i}, K4_{i}, dt, N{i})")
        return body


def generate(prog: ir.Program, ts_params, outputs, method) -> str:
    """Python source of the numba kernel module for one signature."""
    return Generator(prog, frozenset(ts_params), tuple(outputs), method).source()


# ------------------------------------------------------------------ op counts
CALLS = {"exp", "ln", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
         "cosh", "tanh", "power", "log"}


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
    """
    pl = plan(prog, frozenset(), tuple(outputs), method)
    states = {s.sid: s for s in prog.states}
    step, stored, deriv = {}, {}, {}
    for a in pl["loop"]:
        _count(a.expr, step if a.target in pl["deriv_need"] else stored, states)
    for s in prog.states:
        n = static_order(s) or (int(s.order.value) if isinstance(s.order, ir.Num) else 1)
        per = {"integ": {}, "trend": {"arith": 1, "div": 1},
               "smooth": {"arith": 2 * n, "div": n}, "delay": {"arith": 2 * n, "div": 2 * n},
               "delayn": {"arith": 2 * n, "div": 2 * n}}.get(s.kind, {})
        for key, k in per.items():
            deriv[key] = deriv.get(key, 0) + k
    scalars = sum(static_order(s) or (int(s.order.value) if isinstance(s.order, ir.Num)
                                      else 1) for s in pl["continuous"])
    evals = 1 if pl["method"] == "euler" else 4
    out = {}
    for src, w in ((step, 1), (stored, save_fraction)):
        for key, k in src.items():
            out[key] = out.get(key, 0) + k * w
    if evals > 1:                      # RK4: three more derivative evaluations per step
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
