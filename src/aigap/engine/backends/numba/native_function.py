"""Statements of the native compiler: one Python function of the kernel module as an
LLVM function, locals in stack slots (promoted to registers by LLVM), lane loops as
``<4 x double>`` code, twice."""

from __future__ import annotations

import ast

import numpy as np

from .native_expr import Expressions
from .native_types import WIDTH, Arr, Unsupported, Vec, _lane_free, _lane_loop, _ll


class Function(Expressions):
    """LLVM code of one Python function of the module (the kernel or a helper)."""

    def __init__(self, comp, fn, params, env, name, ret=None):
        L = _ll()
        self.c, self.L = comp, L
        self.D, self.I64, self.I1 = L.DoubleType(), L.IntType(64), L.IntType(1)
        self.env = env  # name -> "i" / "f" / "b" / ("f"|"i", ndim) for arrays
        self.ret_kind = ret
        self.fn = fn
        self.b = L.IRBuilder(fn.append_basic_block("entry"))
        self.slots, self.arrays, self.vec, self.loops = {}, {}, None, []
        self.lane = None  # in a lane loop: the first lane of the half being compiled
        self._open = []  # loops being compiled: (counter, next block, exit block)
        self.params = params

    # ---------------------------------------------------------- values
    def ty(self, k):
        return {"f": self.D, "i": self.I64, "b": self.I1}[k]

    def const(self, k, v):
        return self.L.Constant(self.ty(k), v)

    def slot(self, name):
        """The stack slot of local ``name`` (in the entry block: mem2reg promotes it)."""
        if name not in self.env or isinstance(self.env[name], tuple):
            raise Unsupported(f"local {name} of unknown type")
        if name not in self.slots:
            entry = self.fn.entry_basic_block
            with self.b.goto_block(entry):
                if entry.terminator is not None:
                    self.b.position_before(entry.terminator)
                elif entry.instructions:
                    self.b.position_before(entry.instructions[0])
                self.slots[name] = self.b.alloca(self.ty(self.env[name]), name=name)
        return self.slots[name]

    def cast(self, v, k, want):
        """``v`` of kind ``k`` as kind ``want`` (Python's implicit conversions)."""
        b = self.b
        if isinstance(v, Vec):
            if k == want:
                return v
            if (k, want) == ("vb", "vf"):
                return Vec(b.uitofp(v.value, self.L.VectorType(self.D, WIDTH)))
            raise Unsupported(f"lane value {k} as {want}")
        if want in ("vf", "vb"):
            s = self.cast(v, k, want[1])
            return Vec(self.splat(s))
        if k == want:
            return v
        if want == "f":
            return b.sitofp(v, self.D) if k == "i" else b.uitofp(v, self.D)
        if want == "i" and k == "b":
            return b.zext(v, self.I64)
        if want == "b":
            if k == "i":
                return b.icmp_signed("!=", v, self.const("i", 0))
            return b.fcmp_unordered("!=", v, self.const("f", 0.0))
        raise Unsupported(f"{k} as {want}")

    def splat(self, s):
        L, b = self.L, self.b
        vt = L.VectorType(s.type, WIDTH)
        one = b.insert_element(L.Constant(vt, L.Undefined), s, L.Constant(L.IntType(32), 0))
        return b.shuffle_vector(
            one,
            L.Constant(vt, L.Undefined),
            L.Constant(L.VectorType(L.IntType(32), WIDTH), [0] * WIDTH),
        )

    # ---------------------------------------------------------- statements
    def block(self, body):
        for st in body:
            if self.b.block.is_terminated:  # after break/return: dead code
                self.b.position_at_end(self.fn.append_basic_block("dead"))
            self.stmt(st)

    def stmt(self, st):
        b = self.b
        if isinstance(st, ast.Assign) and len(st.targets) == 1:
            tgt = st.targets[0]
            if isinstance(tgt, ast.Name):
                if self.alloc(tgt.id, st.value):
                    return
                v, k = self.expr(st.value)
                if self.vec is not None:  # a lane loop's value (or one value for all lanes)
                    self.vec[tgt.id] = (v, k)
                    return
                b.store(self.cast(v, k, self.env[tgt.id]), self.slot(tgt.id))
                return
            if isinstance(tgt, ast.Subscript):
                arr, idx = self.element(tgt)
                v, k = self.expr(st.value)
                b.store(self.cast(v, k, arr.kind), idx)
                return
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            if ast.unparse(st.value.func) == "_st":
                V, row, lane, x = st.value.args
                v, k = self.expr(x)
                ptr = self.cell(V, row, lane)
                if self.vec is not None:
                    v = self.cast(v, k, "vf")
                    ptr = b.bitcast(ptr, self.L.PointerType(self.L.VectorType(self.D, WIDTH)))
                    b.store(v.value, ptr, align=32)
                else:
                    b.store(self.cast(v, k, "f"), ptr)
                return
        if isinstance(st, ast.For):
            return self.loop(st)
        if isinstance(st, ast.While) and not st.orelse:
            return self.while_(st)
        if isinstance(st, ast.If):
            return self.if_(st)
        if isinstance(st, ast.Break) and self.loops:
            b.branch(self.loops[-1])
            return
        if isinstance(st, ast.Return) and self.ret_kind is not None:
            v, k = self.expr(st.value)
            b.ret(self.cast(v, k, self.ret_kind))
            return
        if isinstance(st, ast.Pass):
            return
        raise Unsupported(f"statement {ast.unparse(st)}")

    def alloc(self, name, node):
        """``np.zeros((n, m))`` / ``np.empty(n, np.int64)`` with literal shapes: heap or
        stack arrays of the kernel (freed at its end)."""
        if not (isinstance(node, ast.Call) and ast.unparse(node.func) in ("np.zeros", "np.empty")):
            return False
        shape = ast.literal_eval(node.args[0])
        shape = list(shape) if isinstance(shape, tuple) else [shape]
        kind = "i" if len(node.args) > 1 and ast.unparse(node.args[1]) == "np.int64" else "f"
        if (
            len(node.args) > 2
            or node.keywords
            or not all(isinstance(s, int) and s > 0 for s in shape)
        ):
            raise Unsupported(f"array {ast.unparse(node)}")
        n = int(np.prod(shape))
        L, b = self.L, self.b
        ptr = b.bitcast(
            b.call(self.c.malloc(), [self.const("i", 64), self.const("i", -(-n * 8 // 64) * 64)]),
            L.PointerType(self.ty(kind)),
        )
        self.c.frees.append(ptr)
        if ast.unparse(node.func) == "np.zeros":
            b.call(
                self.c.memset(),
                [
                    b.bitcast(ptr, L.PointerType(L.IntType(8))),
                    L.Constant(L.IntType(8), 0),
                    self.const("i", n * 8),
                    L.Constant(self.I1, 0),
                ],
            )
        self.arrays[name] = Arr(ptr, kind, [self.const("i", s) for s in shape])
        return True

    def loop(self, st):
        if st.orelse or not isinstance(st.target, ast.Name):
            raise Unsupported(f"loop {ast.unparse(st.target)}")
        if self.vec is None and _lane_loop(st) and all(_lane_free(x) for x in st.body):
            return self.lane_loop(st)
        it = st.iter
        if not (
            isinstance(it, ast.Call) and ast.unparse(it.func) == "range" and 1 <= len(it.args) <= 3
        ):
            raise Unsupported(f"loop over {ast.unparse(it)}")
        args = [self.cast(*self.expr(a), "i") for a in it.args]
        lo, hi = (args[0], args[1]) if len(args) > 1 else (self.const("i", 0), args[0])
        step = 1
        if len(it.args) == 3:
            if not (
                isinstance(it.args[2], ast.Constant)
                and isinstance(it.args[2].value, int)
                and it.args[2].value > 0
            ):
                raise Unsupported("range with a step that is not a positive literal")
            step = it.args[2].value
        self.loops.append(self.counted(self.slot(st.target.id), lo, hi, step))
        self.block(st.body)
        self.close_loop()

    def counted(self, var, lo, hi, step):
        """Open ``for var in range(lo, hi, step)``: the counter is Python's loop variable,
        whatever the body assigns to it. Returns the exit block (where ``break`` goes)."""
        b = self.b
        b.store(lo, var)
        cond, body, nxt, end = (
            self.fn.append_basic_block(n) for n in ("for", "body", "next", "end")
        )
        b.branch(cond)
        b.position_at_end(cond)
        i = b.load(var)
        b.cbranch(b.icmp_signed("<", i, hi), body, end)
        with b.goto_block(nxt):
            b.store(b.add(i, self.const("i", step)), var)
            b.branch(cond)
        b.position_at_end(body)
        self._open.append((i, nxt, end))
        return end

    def close_loop(self):
        """Close the innermost loop opened by :meth:`counted` (after its body)."""
        _, nxt, end = self._open.pop()
        if self.loops and self.loops[-1] is end:
            self.loops.pop()
        if not self.b.block.is_terminated:
            self.b.branch(nxt)
        self.b.position_at_end(end)

    def lane_loop(self, st):
        """``for l in range(8):`` of straight-line cell statements: the body once per half
        of the eight lanes (a loop of two), as ``<4 x double>`` instructions (the shape of
        numba's vectorised loop, libmvec's width; eight-wide values would double the
        registers every live value takes)."""
        self.env.setdefault(" half", "i")
        self.counted(self.slot(" half"), self.const("i", 0), self.const("i", 8), WIDTH)
        self.vec, self.lane = {}, self._open[-1][0]
        try:
            self.block(st.body)
        finally:
            self.vec = self.lane = None
        self.close_loop()

    def while_(self, st):
        b = self.b
        cond, body, end = (self.fn.append_basic_block(n) for n in ("while", "wbody", "wend"))
        b.branch(cond)
        b.position_at_end(cond)
        b.cbranch(self.cast(*self.expr(st.test), "b"), body, end)
        b.position_at_end(body)
        self.loops.append(end)
        self.block(st.body)
        self.loops.pop()
        if not b.block.is_terminated:
            b.branch(cond)
        b.position_at_end(end)

    def if_(self, st):
        b = self.b
        c = self.cast(*self.expr(st.test), "b")
        then, other, end = (self.fn.append_basic_block(n) for n in ("then", "else", "endif"))
        b.cbranch(c, then, other)
        for blk, body in ((then, st.body), (other, st.orelse)):
            b.position_at_end(blk)
            self.block(body)
            if not b.block.is_terminated:
                b.branch(end)
        b.position_at_end(end)
