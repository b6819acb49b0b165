"""Expressions of the native compiler: one value (``i``/``f``/``b``) or eight lanes
(``vf``/``vb``), as LLVM instructions; a base class of :class:`.native_function.Function`."""

from __future__ import annotations

import ast

from .native_types import CMP, HELPERS, LANE_CALLS, MATH, WIDTH, Arr, Unsupported, Vec, _kind


def _suffix(ty):
    """An overloaded intrinsic's type suffix: ``f64`` or ``v4f64``."""
    n = getattr(ty, "count", None)
    return "f64" if n is None else f"v{n}f64"


class Expressions:
    """``expr`` and its cases; needs ``b`` (an IRBuilder), ``cast``, ``const``, ``slot``..."""

    def element(self, node):
        """(array, address) of subscript ``node`` (``A[i]``, ``A[i, j]``...)."""
        arr = self.array(node.value)
        idx = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(idx) != len(arr.shape) or any(isinstance(i, ast.Slice) for i in idx):
            raise Unsupported(f"subscript {ast.unparse(node)}")
        b, at = self.b, None
        for k, i in enumerate(idx):
            v = self.cast(*self.scalar(i), "i")
            at = v if at is None else b.add(b.mul(at, arr.shape[k]), v)
        return arr, b.gep(arr.ptr, [at], inbounds=True)

    def array(self, node):
        if isinstance(node, ast.Name):
            if node.id in self.arrays:
                return self.arrays[node.id]
            if node.id in self.c.consts:
                return self.c.global_array(node.id)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            base = self.array(node.value)
            s = node.slice
            if len(base.shape) != 1 or s.step is not None:
                raise Unsupported(f"slice {ast.unparse(node)}")
            lo = self.cast(*self.scalar(s.lower), "i") if s.lower else self.const("i", 0)
            hi = self.cast(*self.scalar(s.upper), "i") if s.upper else base.shape[0]
            return Arr(self.b.gep(base.ptr, [lo], inbounds=True), base.kind, [self.b.sub(hi, lo)])
        raise Unsupported(f"array {ast.unparse(node)}")

    def cell(self, V, row, lane):
        """Address of ``V[row, lane]`` (in a lane loop: of the row's first lane of this half)."""
        arr = self.array(V)
        r = self.cast(*self.scalar(row), "i")
        if self.vec is not None:
            lane_v = self.lane
        else:
            lane_v = self.cast(*self.scalar(lane), "i")
        at = self.b.add(self.b.mul(r, arr.shape[1]), lane_v)
        return self.b.gep(arr.ptr, [at], inbounds=True)

    def scalar(self, node):
        v, k = self.expr(node)
        if isinstance(v, Vec):
            raise Unsupported(f"lane value where one value is needed: {ast.unparse(node)}")
        return v, k

    def expr(self, node):
        """(LLVM value, kind): kind ``i``/``f``/``b`` (one value) or ``vf``/``vb`` (eight)."""
        b = self.b
        if isinstance(node, ast.Constant):
            k = _kind(node, {})
            return self.const(k, node.value), k
        if isinstance(node, ast.Name):
            if self.vec is not None and node.id in self.vec:
                return self.vec[node.id]
            if node.id in self.arrays or node.id in self.c.consts:
                raise Unsupported(f"array {node.id} as a value")
            if node.id not in self.slots:
                raise Unsupported(f"name {node.id} read before it is assigned")
            return b.load(self.slot(node.id)), self.env[node.id]
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left), self.expr(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            v, k = self.expr(node.operand)
            if isinstance(v, Vec):
                return Vec(b.fneg(v.value)), k
            return (b.fneg(v) if k == "f" else b.neg(self.cast(v, k, "i"))), (
                "f" if k == "f" else "i"
            )
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in CMP:
            return self.compare(
                CMP[type(node.ops[0])], self.expr(node.left), self.expr(node.comparators[0])
            )
        if isinstance(node, ast.IfExp) and self.vec is None:
            return self.ifexp(node)
        if isinstance(node, ast.BoolOp) and self.vec is None:
            return self.boolop(node)
        if isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
                arr = self.array(node.value.value)
                k = ast.literal_eval(node.slice)
                return arr.shape[k], "i"
            arr, at = self.element(node)
            return b.load(at), arr.kind
        if isinstance(node, ast.Call):
            return self.call(node)
        raise Unsupported(f"expression {ast.unparse(node)}")

    def _pair(self, x, y):
        """Both operands in one kind: floats if either is, lanes if either is."""
        (a, ka), (c, kc) = x, y
        vec = isinstance(a, Vec) or isinstance(c, Vec)
        base = {ka[-1], kc[-1]}
        k = "f" if "f" in base else ("i" if "i" in base else "b")
        want = ("v" + k) if vec else k
        if vec and k == "i":
            raise Unsupported("integer lane values")
        return self.cast(a, ka, want), self.cast(c, kc, want), want

    def binop(self, op, x, y):
        b = self.b
        if isinstance(op, (ast.BitAnd, ast.BitOr)):
            a, c, k = self._pair(x, y)
            if k[-1] != "b":
                raise Unsupported("bitwise operators on numbers")
            f = b.and_ if isinstance(op, ast.BitAnd) else b.or_
            return (Vec(f(a.value, c.value)) if k == "vb" else f(a, c)), k
        if isinstance(op, ast.RShift):
            a, c, k = self._pair(x, y)
            if k != "i":
                raise Unsupported(">> of non-integers")
            return b.ashr(a, c), "i"
        if isinstance(op, ast.Div):
            x = (
                self.cast(x[0], x[1], "vf" if x[1][0] == "v" else "f"),
                "vf" if x[1][0] == "v" else "f",
            )
        a, c, k = self._pair(x, y)
        if k[-1] == "b":
            a, c = (
                self.cast(a, k, k[:-1] + "i" if k == "b" else "vf"),
                self.cast(c, k, "i" if k == "b" else "vf"),
            )
            k = "i" if k == "b" else "vf"
        if isinstance(op, ast.Pow):
            if k[-1] != "f":
                raise Unsupported("** of integers")
            return self.math("llvm.pow.f64", [a, c], k), k
        if isinstance(op, ast.Mod):
            if k[-1] != "f":
                raise Unsupported("% of integers")
            m = self.fmod(a.value, c.value) if k == "vf" else self.fmod(a, c)
            return (Vec(m) if k == "vf" else m), k
        name = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}.get(type(op))
        if name is None:
            raise Unsupported(f"operator {type(op).__name__}")
        if k[-1] == "f":
            f = {"add": b.fadd, "sub": b.fsub, "mul": b.fmul, "div": b.fdiv}[name]
        else:
            f = {"add": b.add, "sub": b.sub, "mul": b.mul}[name]
        return (Vec(f(a.value, c.value)) if k == "vf" else f(a, c)), k

    def fmod(self, x, y):
        """Python's float ``x % y`` as numba computes it (``fmod``, then the sign of ``y``;
        a zero result takes ``y``'s sign), on one value or on lanes."""
        b = self.b
        zero = self.L.Constant(x.type, None)
        m = b.frem(x, y)
        flip = b.xor(b.fcmp_ordered("<", y, zero), b.fcmp_ordered("<", m, zero))
        sign = self.c.declare(f"llvm.copysign.{_suffix(x.type)}", 2, x.type)
        nonzero = b.select(flip, b.fadd(m, y), m)
        return b.select(b.fcmp_unordered("!=", m, zero), nonzero, b.call(sign, [zero, y]))

    def compare(self, op, x, y):
        b = self.b
        a, c, k = self._pair(x, y)
        vec = k[0] == "v"
        av, cv = (a.value, c.value) if vec else (a, c)
        if k[-1] == "f":
            r = b.fcmp_unordered(op, av, cv) if op == "!=" else b.fcmp_ordered(op, av, cv)
        else:
            r = b.icmp_signed(
                op,
                b.zext(av, self.I64) if k == "b" else av,
                b.zext(cv, self.I64) if k == "b" else cv,
            )
        return (Vec(r), "vb") if vec else (r, "b")

    def boolop(self, node):
        """``a and b`` / ``a or b`` of truth values, short-circuited as in Python."""
        b = self.b
        is_and = isinstance(node.op, ast.And)
        end = self.fn.append_basic_block("boolend")
        incoming = []
        for e in node.values[:-1]:
            c = self.cast(*self.scalar(e), "b")
            nxt = self.fn.append_basic_block("boolnext")
            incoming.append((c, b.block))
            b.cbranch(c, nxt, end) if is_and else b.cbranch(c, end, nxt)
            b.position_at_end(nxt)
        c = self.cast(*self.scalar(node.values[-1]), "b")
        incoming.append((c, b.block))
        b.branch(end)
        b.position_at_end(end)
        phi = b.phi(self.I1)
        for v, blk in incoming:
            phi.add_incoming(v, blk)
        return phi, "b"

    def ifexp(self, node):
        b = self.b
        c = self.cast(*self.scalar(node.test), "b")
        then, other, end = (self.fn.append_basic_block(n) for n in ("ift", "iff", "ifend"))
        b.cbranch(c, then, other)
        vals = []
        for blk, e in ((then, node.body), (other, node.orelse)):
            b.position_at_end(blk)
            vals.append(list(self.scalar(e)) + [b.block])
            b.branch(end)
        k = "f" if "f" in (vals[0][1], vals[1][1]) else vals[0][1]
        b.position_at_end(end)
        outs = []
        for v, kv, blk in vals:  # conversions at the end of each branch
            with b.goto_block(blk):
                b.position_before(blk.terminator)
                outs.append((self.cast(v, kv, k), b.block))
        phi = b.phi(self.ty(k))
        for v, blk in outs:
            phi.add_incoming(v, blk)
        return phi, k

    def call(self, node):
        b, L = self.b, self.L
        fn = ast.unparse(node.func)
        if node.keywords:
            raise Unsupported(f"call {ast.unparse(node)}")
        if fn == "_ld":
            ptr = self.cell(*node.args)
            if self.vec is not None:
                ptr = b.bitcast(ptr, L.PointerType(L.VectorType(self.D, WIDTH)))
                return Vec(b.load(ptr, align=32)), "vf"
            return b.load(ptr), "f"
        if fn in HELPERS:
            if self.vec is not None:
                raise Unsupported(f"helper {fn} in a lane loop")
            return self.c.helper(fn, node.args, self)
        args = [self.expr(a) for a in node.args]
        vec = any(isinstance(v, Vec) for v, _ in args)
        fk = "vf" if vec else "f"

        def val(x):
            return x.value if isinstance(x, Vec) else x

        def out(v, k=fk):
            return (Vec(v) if vec else v), k

        if fn == "_f" and len(args) == 1:
            return self.cast(args[0][0], args[0][1], fk), fk
        if fn == "_ite" and len(args) == 3:
            c, x, y = (val(self.cast(v, k, fk)) for v, k in args)
            zero = L.Constant(c.type, None)
            return out(b.select(b.fcmp_unordered("!=", c, zero), x, y))
        if fn in ("_fmin", "_fmax") and len(args) == 2:
            x, y = (val(self.cast(v, k, fk)) for v, k in args)
            keep = b.fcmp_ordered("<=" if fn == "_fmin" else ">=", x, y)
            return out(b.select(b.or_(keep, b.fcmp_unordered("uno", x, x)), x, y))
        if fn in LANE_CALLS and len(args) == (2 if fn == "lpow" else 1):
            xs = [val(self.cast(v, k, fk)) for v, k in args]
            return out(self.lane_call(LANE_CALLS[fn], xs, vec))
        if fn in MATH and len(args) == 1:
            return self.math(MATH[fn], [self.cast(args[0][0], args[0][1], fk)], fk), fk
        if fn in ("min", "max") and len(args) == 2 and not vec:
            x, y, k = self._pair(*args)
            if k != "i":
                raise Unsupported(f"{fn} of non-integers")
            lt = b.icmp_signed("<" if fn == "min" else ">", y, x)
            return b.select(lt, y, x), "i"  # Python: the first of equal values
        raise Unsupported(f"call {fn}")

    def math(self, name, xs, k):
        """``name`` (an LLVM intrinsic or a libm function) of one value, or lane by lane."""
        b = self.b
        f = self.c.declare(name, len(xs))
        if k != "vf":
            return b.call(f, list(xs))
        vs = [x.value for x in xs]
        r = self.L.Constant(self.L.VectorType(self.D, WIDTH), self.L.Undefined)
        for q in range(WIDTH):
            i = self.L.Constant(self.L.IntType(32), q)
            r = b.insert_element(r, b.call(f, [b.extract_element(v, i) for v in vs]), i)
        return Vec(r)

    def lane_call(self, name, xs, vec):
        """libmvec's 4-lane function on the lanes of this half of a lane loop, or on a
        broadcast value, lane 0 (as :mod:`.vecmath`'s scalar body)."""
        L, b = self.L, self.b
        f = self.c.declare(self.c.symbols[name], len(xs), L.VectorType(self.D, WIDTH))
        if vec:
            return b.call(f, list(xs))
        s = [self.splat(x) for x in xs]
        return b.extract_element(b.call(f, s), L.Constant(L.IntType(32), 0))
