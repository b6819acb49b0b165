"""Generate a numba kernel from the IR: a loop over runs, the time loop inside.

(:mod:`aigap.engine.backends.numba.backend` runs blocks of runs on threads; for Euler on
models whose states are all scalars, :mod:`aigap.engine.backends.numba.lanes`
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

The generator is split in three modules: the helper functions every kernel
starts with (:mod:`~aigap.engine.backends.numba.helpers`), the expression printer
(:mod:`~aigap.engine.backends.numba.printer`) and, here, the plan and the kernel
template; operation counts are in :mod:`~aigap.engine.backends.numba.opcount`.
"""

from __future__ import annotations

import re

from ... import ir
from ...ordering import INIT_ROLES, STEP_ROLES, dynamic_targets, role_vars
from ..printing import NameTable, closure
from .helpers import HELPERS
from .printer import INIT, Emitter, Scope, static_order

__all__ = [
    "CODEGEN_VERSION",
    "HELPERS",
    "INIT",
    "Emitter",
    "Generator",
    "Scope",
    "generate",
    "info_columns",
    "plan",
    "static_order",
    "stored_scalars",
    "what",
]

CODEGEN_VERSION = "numba-2"


def stored_scalars(prog: ir.Program):
    """Every scalar a kernel can store, in one fixed order, and ``name -> (start, stop)``.

    The kernel writes the values of all of them into a per-run buffer at saved
    steps; the host passes the indices it wants (``SEL``), so the output list is
    a run-time argument, not part of the kernel's signature.
    """
    scalars, spans = [], {}
    for name, ov in prog.outputs.items():
        spans[name] = (len(scalars), len(scalars) + len(ov.scalars))
        scalars += ov.scalars
    return scalars, spans


def plan(prog: ir.Program, method):
    """What the kernel computes where, for every output and any time-series constants.

    Any constant may be given as a time series at run time, so every value that
    reads a constant is recomputed each step (same operations on the same
    values as the numpy backend's once-per-run split: identical results); only
    values of literals alone are computed once. Values only stored (read by no
    state) are computed at saved steps only.
    """
    by_target = {a.target: a for a in prog.assigns}
    dynamic = dynamic_targets(prog, frozenset(prog.params))
    out_scalars = stored_scalars(prog)[0]
    deriv_roots = set()
    for s in prog.states:
        deriv_roots |= role_vars(s, STEP_ROLES[s.kind])
    step_need = closure(prog, deriv_roots | set(out_scalars))
    deriv_need = closure(prog, deriv_roots)
    init_roots = set(step_need) | set(out_scalars)
    for s in prog.states:
        init_roots |= role_vars(s, INIT_ROLES[s.kind])
    return {
        "by_target": by_target,
        "loop": [a for a in prog.assigns if a.target in step_need and a.target in dynamic],
        "rk": [a for a in prog.assigns if a.target in deriv_need and a.target in dynamic],
        "deriv_need": deriv_need,
        "init_need": closure(prog, init_roots),
        "continuous": [s for s in prog.states if s.kind not in ("initial", "delay_fixed")],
        "out_scalars": out_scalars,
        "method": method
        if any(s.kind not in ("initial", "delay_fixed") for s in prog.states)
        else "euler",
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
    """Source of the kernel module of one model and method (outputs and time series
    are run-time arguments: ``SEL`` indices into :func:`stored_scalars`, ``TSJ``
    indices of the constants given as time series, their points in ``TX/TO/TV``)."""

    STAGES = (
        ("K2_", "D", "dt / 2", "tl + dt / 2"),
        ("K3_", "K2_", "dt / 2", "tl + dt / 2"),
        ("K4_", "K3_", "dt", "tl + dt"),
    )

    def __init__(self, prog: ir.Program, method):
        self.prog = prog
        self.names = NameTable()
        self.em = Emitter(prog, self.names)
        self.em.refs = self.param_refs()
        self.pl = plan(prog, method)
        self.method = self.pl["method"]
        self.info = {key: c for c, key in enumerate(info_columns(prog))}
        looped = frozenset(a.target for a in self.pl["loop"])
        self.step = Scope(time="tl", suffix="_l", renamed=looped)
        staged = frozenset(a.target for a in self.pl["rk"])
        self.stage = {
            dst: Scope(
                time=f"T{dst}",
                suffix=f"_{dst.lower()}",
                renamed=staged,
                state=f"Y{dst}",
                deriv=dst,
                tn="TNK",
            )
            for dst, _, _, _ in self.STAGES
        }

    ARGS = "PR, TX, TO, TV, TSJ, SEL, times, save, dt, initial_time, final_time, saveper, OUT, INFO"

    def param_refs(self):
        """How the kernel reads each constant: ``PR[r, j]``, which a time series overwrites."""
        return {p: f"PR[r, {j}]" for j, p in enumerate(self.prog.params)}

    def header(self, generator, imports=(), note="one run at a time"):
        """Module head: provenance, imports and the lookup tables."""
        head = [
            f"# Generated by aigap.engine.{generator} ({CODEGEN_VERSION}) from model "
            f"{self.prog.model_hash[:16]}, {self.method}, {note}; outputs and time "
            "series are run-time arguments.",
            "# A cache: never edited, rewritten from the IR when missing.",
            "import math",
            "",
            "import numpy as np",
            "from numba import njit",
            *imports,
            "",
        ]
        for i, tab in enumerate(self.prog.tables):
            head += [
                f"TX{i} = np.array({[float(v) for v in tab.x]!r})",
                f"TY{i} = np.array({[float(v) for v in tab.y]!r})",
                f"TS{i} = (TY{i}[1:] - TY{i}[:-1]) / (TX{i}[1:] - TX{i}[:-1])",
            ]
        return head

    # ------------------------------------------------------------- module
    def source(self) -> str:
        """Python source of the whole kernel module (tables, helpers, ``run_block``)."""
        head = self.header("backends.numba.codegen")
        body = self.slots(self.init_lines() + self.loop_lines())
        block = [
            '@njit(nogil=True, cache=True, error_model="numpy")',
            f"def run_block(r0, r1, {self.ARGS}):",
            f"    ST = np.empty({max(1, len(self.slot))})",
            f"    W = np.empty({max(1, len(self.pl['out_scalars']))})",
            "    for r in range(r0, r1):",
        ]
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
        """Lines writing the constants given as time series (``TSJ``) at the time of ``sc``."""
        return [
            "for q in range(TSJ.shape[0]):",
            f"    PR[r, TSJ[q]] = _ts({sc.time}, TX, TO[q], TO[q + 1], TV, r)",
        ]

    def store_lines(self, sc: Scope):
        """Lines run at a saved step: every storable value into ``W``, the selected into OUT."""
        out = [
            f"W[{k}] = {self.em(ir.Var(name), sc)}" for k, name in enumerate(self.pl["out_scalars"])
        ]
        return out + ["for m in range(SEL.shape[0]):", "    OUT[r, j, m] = W[SEL[m]]"]

    def init_lines(self):
        """Lines run once per run: parameters, then initial values in dependency order."""
        em, pl = self.em, self.pl
        out = ["t = times[0]"]
        for j, pname in enumerate(self.prog.params):
            if em.var(pname, INIT) != f"PR[r, {j}]":
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
        """Lines initialising state ``s`` (its locals, chain arrays or pipe)."""
        em, i, k = self.em, s.sid, s.kind
        if k in ("integ", "initial"):
            return [f"S{i} = {em.role(s, 'init')}"]
        if k == "trend":
            return [
                f"S{i} = {em.role(s, 'input')} / (1 + {em.role(s, 'init')} * {em.role(s, 'time')})"
            ]
        n = static_order(s)
        if n is not None:
            init = em.role(s, "init")
            return [f"S{i}_{q} = {init}" for q in range(n)]
        if k == "delay_fixed":
            tm = em.role(s, "time")
            return [
                f"N{i} = _pipe_len({tm}, dt)",  # may differ per run, as in numpy
                f"PIPE{i} = _chain(N{i}, {em.role(s, 'init')})",
                f"PTR{i} = 0",
                f"DF{i} = PIPE{i}[0]",
            ]
        order = em(s.order)
        out = [f"INFO[r, {self.info[(i, 'order')]}] = {order}", f"N{i} = _order({order})"]
        init = em.role(s, "init")
        if k in ("delay", "delayn"):
            tm = em.role(s, "time")
            out += [
                f"INFO[r, {self.info[(i, 'time')]}] = {tm}",
                f"N{i} = _reduced_order(N{i}, dt, {tm})",
            ]
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
            return [f"{D}_{q} = (({prev[q]} - {S}_{q}) * {float(n)!r}) / {tm}" for q in range(n)]
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
        """Lines of the time loop: per-step values, saved outputs, derivatives, update."""
        em, pl, st = self.em, self.pl, self.step
        out = ["n = times.shape[0] - 1", "for k in range(n + 1):", "    tl = times[k]"]
        body = self.ts_lines(st)
        # values only stored (read by no state) are computed at saved steps only
        body += [
            f"{em.var(a.target, st)} = {em(a.expr, st)}"
            for a in pl["loop"]
            if a.target in pl["deriv_need"]
        ]
        body += ["j = save[k]", "if j >= 0:"]
        body += [
            f"    {em.var(a.target, st)} = {em(a.expr, st)}"
            for a in pl["loop"]
            if a.target not in pl["deriv_need"]
        ]
        body += ["    " + line for line in self.store_lines(st)]
        body += ["if k == n:", "    break"]
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
                body += [
                    f"PIPE{i}[PTR{i}] = {em.role(s, 'input', st)}",
                    f"PTR{i} = (PTR{i} + 1) % N{i}",
                    f"DF{i} = PIPE{i}[PTR{i}]",
                ]
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
            body += self.combine(
                s,
                "S",
                "{S} + dt / 6 * ({D} + 2 * {K2_} + 2 * {K3_} + {K4_})",
                "_rk4(S{i}, D{i}, K2_{i}, K3_{i}, K4_{i}, dt, N{i})",
            )
        return body


def generate(prog: ir.Program, method) -> str:
    """Python source of the numba kernel module of one model and method."""
    return Generator(prog, method).source()
