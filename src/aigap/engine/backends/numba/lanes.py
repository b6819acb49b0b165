"""Lock-step variant of the numba kernel: eight runs advance together, SIMD-friendly.

The scalar generator (:mod:`aigap.engine.backends.numba.codegen`) writes one run's
program; this module rewrites the same lines so that every IR scalar is a row
of a ``(rows, 8)`` array ``V`` (one column per run of a group of eight), the
per-step statements between two control lines run inside one ``for l in range(8)``
loop that LLVM vectorises, and ``exp``/``ln``/``pow`` of the step are lane calls
(:mod:`aigap.engine.backends.numba.vecmath`) that LLVM turns into glibc's libmvec
4-lane functions, two calls per eight runs, grouped into as few phases of the
loop as the data allow (a call clobbers the vector registers). Initialisation stays scalar (once
per run). Same statements, same order, same association as the numpy backend;
only the three functions come from another library (results within a few ulp).

Cells of ``V`` with a literal row are read and written by the ``_ld``/``_st``
intrinsics of :mod:`.shared` (a load or store at a fixed offset), and the helpers
MIN, MAX, IF THEN ELSE and comparisons are intrinsics too: numba's compile time is
proportional to the calls and indexing it types and lowers, and these cost it
next to nothing (the project model's kernels compile about 2.3x faster).

Used for Euler and RK4 on models whose states are all scalars (INTEG, TREND,
INITIAL, SMOOTH with a literal order); DELAY chains and SMOOTH N with a
variable order keep the scalar kernel. Outputs and time-series constants are
run-time arguments: constants are rows of ``V`` (``PROW``) that a time series
overwrites at every evaluation time, and saved steps copy the rows ``OROW[SEL]``.
"""

from __future__ import annotations

import re

from ... import ir
from .codegen import HELPERS, Emitter, Generator, Scope, static_order

LANES = 8
LIFTED = {"exp": "lexp", "ln": "llog"}
LIFT = re.compile(r"\bv_lift(\d+)\b")
TOKEN = re.compile(r"\b(?:v_\w+|(?:S|D|SB_|AK_)\d+(?:_\d+)?)\b")


def lanes_supported(prog: ir.Program) -> bool:
    """True when every state is a scalar and libmvec is usable here."""
    from .vecmath import available

    ok = all(
        s.kind in ("integ", "trend", "initial") or static_order(s) is not None for s in prog.states
    )
    return ok and available()


class LaneEmitter(Emitter):
    """Scalar emitter that, when ``lift`` is on, replaces exp/ln/power by lifted
    temporaries (``v_lift<k>``, computed by a libmvec lane call of :mod:`.vecmath`)."""

    lift = False

    def __init__(self, prog, names):
        super().__init__(prog, names)
        self.lifted = {}

    def _lift(self, fn, args, sc):
        texts = [self(a, sc) for a in args]  # nested lifts first: they take lower ids
        k = len(self.lifted)
        self.lifted[k] = (fn, texts)
        return f"v_lift{k}"

    def __call__(self, node, sc=None):
        """Source of ``node``; exp/ln/power become lifted temporaries when ``lift`` is on."""
        from .codegen import INIT

        sc = sc or INIT
        if self.lift:
            if (isinstance(node, ir.Op) and node.op == "^") or (
                isinstance(node, ir.Call) and node.fn == "power"
            ):
                return self._lift("lpow", node.args, sc)
            if isinstance(node, ir.Call) and node.fn in LIFTED:
                return self._lift(LIFTED[node.fn], node.args, sc)
        return super().__call__(node, sc)


class LaneGenerator(Generator):
    """Kernel source advancing ``LANES`` runs in lock-step (see module docstring)."""

    def __init__(self, prog, method):
        super().__init__(prog, method)
        self.em = LaneEmitter(prog, self.names)
        self.rows = {}

    def param_refs(self):
        """Constants are rows of ``V`` (``PROW``), which a time series overwrites."""
        return {}

    def row(self, token):
        """Row of ``V`` holding the scalar named ``token`` (allocated on first use)."""
        if token not in self.rows:
            self.rows[token] = len(self.rows)
        return self.rows[token]

    def lanes(self, text, lane="l"):
        """``text`` with every scalar name replaced by its cell ``V[row, lane]``."""
        return TOKEN.sub(lambda m: f"V[{self.row(m.group(0))}, {lane}]", text)

    def ts_lines(self, sc):
        """Time series at initialisation (one run, lane ``l``); a marker in the step."""
        if sc.time == "t":
            return [
                "for q in range(TSJ.shape[0]):",
                "    V[PROW[TSJ[q]], l] = _ts(t, TX, TO[q], TO[q + 1], TV, r)",
            ]
        return [f"__ts__ {sc.time}"]

    def store_lines(self, sc):
        """A marker: :meth:`step_body` writes the selected rows (``OROW[SEL]``)."""
        self.store_scope = sc
        return ["__store__"]

    # ------------------------------------------------------------- module
    def source(self) -> str:
        """Python source of the lock-step kernel module."""
        self.em.lift = False
        init = self.init_lines()
        self.em.lift = True
        loop = self.loop_lines()
        body = [
            "nl = min(8, r1 - b)",
            "for l in range(8):",
            "    RL[l] = b + l if l < nl else r1 - 1",
            "for l in range(8):",
            "    r = RL[l]",
        ]
        init = [self.lanes(line) for line in init]
        step = self.step_body(loop)
        prow = [self.row(self.names(p)) for p in self.prog.params]
        orow = [self.row(self.em.var(name, self.store_scope)) for name in self.pl["out_scalars"]]
        # rows something reads: lane-loop loads and the saved outputs
        read = {int(m) for line in init + step for m in LOADED.findall(line)}
        read |= set(orow)
        body += ["    " + line for line in self.init_body(init, read)]
        body += [
            line
            for line in step  # a store no one reads is dropped
            if not (m := STORED.fullmatch(line)) or int(m.group(1)) in read
        ]
        head = self.header(
            "backends.numba.lanes",
            [
                "from aigap.engine.backends.numba.pipeline import KernelPipeline",
                "from aigap.engine.backends.numba.vecmath import lexp, llog, lpow",
            ],
            note=f"{LANES} runs in lock-step",
        )
        head += [
            f"PROW = np.array({prow!r}, dtype=np.int64)",
            f"OROW = np.array({orow!r}, dtype=np.int64)",
            "",
        ]
        block = [
            '@njit(nogil=True, cache=True, error_model="numpy", pipeline_class=KernelPipeline)',
            f"def run_block(r0, r1, {self.ARGS}):",
            f"    V = np.zeros(({max(1, len(self.rows))}, 8))",
            "    RL = np.empty(8, np.int64)",
            "    for b in range(r0, r1, 8):",
        ]
        block += ["        " + _cells(line) for line in body]
        return "\n".join(head + [HELPERS, ""] + block) + "\n"

    def init_body(self, lines, read):
        """Initialisation of one run (lane ``l``): the constants copied in one loop
        (``PROW``), the time series, then the values with rows loaded into locals once
        and stored only when the step or the saved outputs read them (``read``); values
        no stored row depends on are dropped.
        Fewer array accesses: numba's compile time is proportional to them."""
        ts = next(
            (k for k, line in enumerate(lines) if line.startswith("for q in range(TSJ.shape[0]):")),
            None,
        )
        rest = lines[ts + 2 :] if ts is not None else []
        if ts is None or not all(CELL.fullmatch(line.split(" = ", 1)[0]) for line in rest):
            return lines  # not plain assignments: as written
        head = [line for line in lines[:ts] if not PARAM.fullmatch(line)]
        copy = ["for q in range(PROW.shape[0]):", "    V[PROW[q], l] = PR[r, q]"]
        body = [
            line
            for line in _localise(rest, 0)
            if not STORE.fullmatch(line) or int(STORE.fullmatch(line).group(1)) in read
        ]
        return head + copy + lines[ts : ts + 2] + _live(body)

    # ------------------------------------------------------------- RK4
    def loop_lines(self):
        """Time loop; for RK4 the step's body is written once and run for all four
        stages (a loop over ``stg``).

        Stage 0 is the step itself (its values, the saved outputs, k1 = ``D``). For
        stages 1-3 the state rows hold the stage's state, ``SB_ + D * dt * TKH_`` with
        the step's state kept in ``SB_`` and ``D`` the previous stage's derivative
        (``TKH_`` = 1/2, 1/2, 1: the numpy backend's ``S + K * dt / 2`` and ``S + K *
        dt``, halving being exact), at time ``TKS_``. ``D + 2 * K2 + 2 * K3 + K4`` is
        accumulated left to right in ``AK_`` (weights ``TKW_``; ``1 * x`` is exact) and
        the state becomes ``SB_ + dt / 6 * AK_``: the numpy backend's results with a
        quarter of the code to compile.
        """
        if self.method != "rk4":
            return super().loop_lines()
        em, pl = self.em, self.pl
        st = Scope(time="TKS_", suffix="_l", renamed=frozenset(a.target for a in pl["loop"]))
        subs = []
        for s in pl["continuous"]:
            n = static_order(s)
            subs += [f"{s.sid}"] if n is None else [f"{s.sid}_{q}" for q in range(n)]
        body = [
            "TKS_ = tl if stg == 0 else (tl + dt / 2 if stg < 3 else tl + dt)",
            "TKH_ = 0.5 if stg < 3 else 1.0",
            "TKW_ = 2.0 if stg < 3 else 1.0",
            "if stg == 0:",
            *[f"    SB_{x} = S{x}" for x in subs],
            "else:",
            *[f"    S{x} = SB_{x} + D{x} * dt * TKH_" for x in subs],
        ]
        body += self.ts_lines(st)
        body += [
            f"{em.var(a.target, st)} = {em(a.expr, st)}"
            for a in pl["loop"]
            if a.target in pl["deriv_need"]
        ]
        for s in self.prog.states:  # before the saved outputs: one region
            body += self.deriv(s, st)
        body += ["if stg == 0:", "    j = save[k]", "    if j >= 0:"]
        body += [
            f"        {em.var(a.target, st)} = {em(a.expr, st)}"
            for a in pl["loop"]
            if a.target not in pl["deriv_need"]
        ]
        body += ["        " + line for line in self.store_lines(st)]
        body += ["    if k == n:", "        break"]
        body += [
            "if stg == 0:",
            *[f"    AK_{x} = D{x}" for x in subs],
            "else:",
            *[f"    AK_{x} = AK_{x} + TKW_ * D{x}" for x in subs],
        ]
        loop = [
            "for stg in range(4):",
            *["    " + line for line in body],
            "if k == n:",
            "    break",
            *[f"S{x} = SB_{x} + dt / 6 * AK_{x}" for x in subs],
        ]
        return ["n = times.shape[0] - 1", "for k in range(n + 1):", "    tl = times[k]"] + [
            "    " + line for line in loop
        ]

    def localise(self, seg):
        """A lane loop's statements with rows loaded into locals once (see _localise)."""
        self._tag = getattr(self, "_tag", 0) + 1
        return _localise(seg, self._tag)

    @staticmethod
    def special(indent, stmt):
        """Expansion of the time-series and store markers (loops over run-time indices)."""
        if stmt.startswith("__ts__ "):
            return [
                indent + line
                for line in (
                    "for q in range(TSJ.shape[0]):",
                    "    row = PROW[TSJ[q]]",
                    "    for l in range(8):",
                    f"        V[row, l] = _ts({stmt.split()[1]}, TX, TO[q], TO[q + 1], TV, RL[l])",
                )
            ]
        return [
            indent + line
            for line in (
                "for m in range(SEL.shape[0]):",
                "    row = OROW[SEL[m]]",
                "    for l in range(nl):",
                "        OUT[b + l, j, m] = V[row, l]",
            )
        ]

    def step_body(self, loop):
        """Group the scalar generator's step lines into lane loops: one loop over the
        eight runs per run of statements between control lines (``if``, ``break``...),
        its statements in :meth:`schedule` order."""
        out, region, region_indent = [], [], None
        done = set()

        def flush():
            nonlocal region, region_indent
            if region:
                out.append(region_indent + "for l in range(8):")
                out.extend(region_indent + "    " + line for line in self.schedule(region))
            region, region_indent = [], None

        def add(indent, item):
            nonlocal region_indent
            if region_indent is not None and region_indent != indent:
                flush()
            region_indent = indent
            region.append(item)

        def expand(indent, text):
            for k in sorted({int(m) for m in LIFT.findall(text)}):
                if k in done:
                    continue
                fn, argtexts = self.em.lifted[k]
                for a in argtexts:
                    expand(indent, a)
                add(indent, ("call", self.lanes(f"v_lift{k} = {fn}({', '.join(argtexts)})")))
                done.add(k)

        for line in loop[2:]:  # after "n = ..." and "for k in ...:"
            text = line[4:]
            indent = " " * (len(text) - len(text.lstrip()))
            stmt = text.strip()
            if stmt.startswith(
                ("j = save", "if ", "else", "pass", "break", "tl = ", "TK", "for stg")
            ):
                flush()
                out.append(text)
            elif stmt.startswith(("__ts__", "__store__")):
                flush()
                out.extend(self.special(indent, stmt))
            else:
                expand(indent, stmt)
                add(indent, self.lanes(stmt))
        flush()
        return [loop[0], loop[1]] + ["    " + line for line in out]

    def schedule(self, items):
        """The statements of one lane loop, libmvec calls grouped into as few phases as
        the data allow.

        ``items`` are statements on cells (``V[row, l] = ...``) and lane calls
        ``("call", statement)``, in program order. Each goes to the earliest slot
        after everything it reads, overwrites or must not overwrite early (slots:
        statements 0, calls 1, statements 2, ...); within a slot program order is
        kept. The statements have no side effects, so every value is the same.
        Calls clobber every vector register: grouped, the values live across them
        are spilled once per phase instead of once per call.
        """
        slot, last_write, readers = [], {}, {}
        for i, item in enumerate(items):
            call = isinstance(item, tuple)
            lhs, rhs = (item[1] if call else item).split(" = ", 1)
            reads = [int(r) for r in CELL.findall(rhs)]
            writes = [int(CELL.fullmatch(lhs).group(1))]
            after = [last_write[r] for r in reads + writes if r in last_write]
            after += [e for r in writes for e in readers.get(r, ())]
            low = max((slot[e] for e in after), default=0)
            slot.append(low + 1 - (low % 2) if call else low + (low % 2))
            for r in reads:
                readers.setdefault(r, []).append(i)
            for r in writes:
                last_write[r] = i
                readers[r] = []
        order = sorted(range(len(items)), key=lambda i: (slot[i], i))
        stmts = [items[i][1] if isinstance(items[i], tuple) else items[i] for i in order]
        return self.localise(stmts)


CELL = re.compile(r"V\[(\d+), l\]")
ASSIGN = re.compile(r"(\s*)V\[(\d+), l\] = (.*)")
LOAD = r"_ld(V, \1, l)"
LOADED = re.compile(r"= V\[(\d+), l\]$")
STORED = re.compile(r"\s*V\[(\d+), l\] = x\d+_\d+_\d+")
PARAM = re.compile(r"V\[\d+, l\] = PR\[r, \d+\]")
LOCAL = re.compile(r"\bx\d+_\d+_\d+\b")
STORE = re.compile(r"V\[(\d+), l\] = x\d+_0_\d+")


def _localise(seg, tag):
    """Rows read in a lane loop are loaded once into locals, rows written are stored
    once at the end: fewer array accesses for numba to lower (its compile time is
    proportional to them). Every local is assigned once (a new name per write)."""
    loads, body, cur, n = [], [], {}, [0]

    def new(row):
        n[0] += 1
        cur[row] = f"x{row}_{tag}_{n[0]}"
        return cur[row]

    for stmt in seg:
        lhs, rhs = stmt.split(" = ", 1)
        for row in CELL.findall(rhs):
            if row not in cur:
                loads.append(f"{new(row)} = V[{row}, l]")
        rhs = CELL.sub(lambda m: cur[m.group(1)], rhs)
        row = CELL.fullmatch(lhs).group(1)
        body.append(f"{new(row)} = {rhs}")
    stores = [
        f"V[{r}, l] = {cur[r]}"
        for r in dict.fromkeys(CELL.fullmatch(st.split(" = ", 1)[0]).group(1) for st in seg)
    ]
    return loads + body + stores


def _cells(line):
    """``line`` with its cells of literal rows as ``_ld``/``_st`` intrinsics (a load or
    store at a fixed offset of ``V``): numba types and lowers them far faster than
    ``V[row, l]`` indexing, which is most of the kernel's statements."""
    m = ASSIGN.fullmatch(line)
    if m is None:
        return CELL.sub(LOAD, line)
    indent, row, rhs = m.groups()
    return f"{indent}_st(V, {row}, l, {CELL.sub(LOAD, rhs)})"


def _live(body):
    """``body`` without assignments to locals that no store reads (the values the
    step recomputes anyway); the expressions have no side effects."""
    live, keep = set(), []
    for line in reversed(body):
        lhs, rhs = line.split(" = ", 1)
        if CELL.fullmatch(lhs) or lhs in live:
            keep.append(line)
            live.update(LOCAL.findall(rhs))
    return keep[::-1]


def generate_lanes(prog: ir.Program, method) -> str:
    """Python source of the lock-step kernel module of one model and method."""
    return LaneGenerator(prog, method).source()
