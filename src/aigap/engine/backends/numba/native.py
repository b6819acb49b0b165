"""The lock-step kernel straight to LLVM: no numba frontend, eight runs per vector.

:mod:`.lanes` writes the lock-step kernel as a small Python module that numba
compiles; about three quarters of numba's compile is its own Python work (type
inference, lowering, passes), not LLVM's. This module compiles the same module
text (the same statements, same order, same association) to LLVM IR itself,
with llvmlite, for the subset of Python the lanes generator writes:

- every ``for l in range(8):`` loop of straight-line statements on cells of ``V``
  becomes ``<4 x double>`` instructions (one per statement) run for each half of
  the eight lanes, with ``lexp`` / ``llog`` / ``lpow`` as one call per half of
  libmvec's 4-lane AVX2 functions, the ones the numba kernel's vectorised loops
  call: the same values, bit for bit;
- everything else (initialisation, time series, saved outputs, the RK4 stages)
  is scalar code on typed locals (``i64``/``double``), with the helpers of
  :mod:`.shared` compiled from their own source (one definition of each).

Anything outside the subset raises :class:`Unsupported` and the numba kernel is
used instead. The object code is cached on disk by content (key: the module text,
this compiler, the helpers, llvmlite and the CPU) and checked against its digest
at every load; it runs through ``ctypes``, which releases the GIL, so blocks of
runs run on threads as the numba kernel does.
"""

import ast
from pathlib import Path

from .native_function import Function
from .native_types import (  # noqa: F401 - the compiler's public names
    ARGS,
    ARRAYS,
    HELPERS,
    Arr,
    Unsupported,
    _const,
    _infer,
    _kind,
    _ll,
)


class Compiler:
    """The generated module's text -> one LLVM module with ``run_block`` as ``name``."""

    def __init__(self, source, name):
        L = _ll()
        self.L, self.name = L, name
        self.tree = ast.parse(source)
        self.module = L.Module(name)
        self.consts, self.gvars, self.decls, self.helpers, self.frees = {}, {}, {}, {}, []
        self.shared = {
            f.name: f
            for f in ast.parse(Path(__file__).with_name("shared.py").read_text()).body
            if isinstance(f, ast.FunctionDef) and f.name in HELPERS
        }
        from .vecmath import VARIANTS, isa

        variant = isa()
        if variant is None:
            raise Unsupported("no libmvec AVX2 functions on this machine")
        self.symbols = VARIANTS[variant][2]

    def compile(self) -> str:
        """LLVM IR text of the module."""
        kernel = None
        for node in self.tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                self.consts[node.targets[0].id] = _const(node.value, self.consts)
            elif isinstance(node, ast.FunctionDef) and node.name == "run_block":
                kernel = node
            else:
                raise Unsupported(f"module statement {ast.unparse(node)[:60]}")
        if kernel is None or [a.arg for a in kernel.args.args] != ["r0", "r1", *ARGS]:
            raise Unsupported("no run_block(r0, r1, " + ", ".join(ARGS) + ")")
        self.kernel(kernel)
        return str(self.module)

    # ---------------------------------------------------------- declarations
    def declare(self, name, arity, ty=None):
        L = self.L
        ty = ty or L.DoubleType()
        key = (name, str(ty))
        if key not in self.decls:
            # an intrinsic is declared by its full overloaded name (``llvm.pow.f64``,
            # ``llvm.copysign.v4f64``): llvmlite's declare_intrinsic names no vector types
            self.decls[key] = L.Function(self.module, L.FunctionType(ty, [ty] * arity), name)
        return self.decls[key]

    def malloc(self):
        L = self.L
        if "malloc" not in self.decls:
            self.decls["malloc"] = L.Function(
                self.module,
                L.FunctionType(L.PointerType(L.IntType(8)), [L.IntType(64)] * 2),
                "aligned_alloc",
            )
            self.decls["free"] = L.Function(
                self.module, L.FunctionType(L.VoidType(), [L.PointerType(L.IntType(8))]), "free"
            )
        return self.decls["malloc"]

    def memset(self):
        L = self.L
        if "memset" not in self.decls:
            self.decls["memset"] = self.module.declare_intrinsic(
                "llvm.memset", [L.PointerType(L.IntType(8)), L.IntType(64)]
            )
        return self.decls["memset"]

    def global_array(self, name):
        L = self.L
        a = self.consts[name]
        if a.ndim != 1:
            raise Unsupported(f"constant {name} of {a.ndim} dimensions")
        kind = "i" if a.dtype.kind == "i" else "f"
        ety = L.IntType(64) if kind == "i" else L.DoubleType()
        if name not in self.gvars:
            at = L.ArrayType(ety, max(1, len(a)))
            g = L.GlobalVariable(self.module, at, f"{self.name}.{name}")
            g.global_constant, g.linkage = True, "internal"
            vals = [int(x) for x in a] if kind == "i" else [float(x) for x in a]
            g.initializer = L.Constant(at, vals or [0])
            self.gvars[name] = g
        g = self.gvars[name]
        zero = L.Constant(L.IntType(64), 0)
        return Arr(g.gep([zero, zero]), kind, [L.Constant(L.IntType(64), len(a))])

    # ---------------------------------------------------------- functions
    def _params(self, fn, specs):
        """Arguments of ``fn`` by parameter spec: an array is (data, 3 extents)."""
        it, out = iter(fn.args), []
        for s in specs:
            if isinstance(s, tuple):
                ptr, *shape = (next(it) for _ in range(4))
                out.append(Arr(ptr, s[0], shape[: s[1]]))
            else:
                out.append(next(it))
        return out

    def _ptypes(self, specs):
        L = self.L
        out = []
        for s in specs:
            if isinstance(s, tuple):
                ety = L.IntType(64) if s[0] == "i" else L.DoubleType()
                out += [L.PointerType(ety)] + [L.IntType(64)] * 3
            else:
                out.append({"f": L.DoubleType(), "i": L.IntType(64), "b": L.IntType(1)}[s])
        return out

    def _body(self, f, node, specs, values, env):
        """Parameters into their slots, local types inferred, the body compiled."""
        for name, spec, v in zip((a.arg for a in node.args.args), specs, values):
            if isinstance(spec, tuple):
                f.arrays[name] = v
            else:
                f.b.store(v, f.slot(name))
        for st in ast.walk(node):
            if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name):
                v = st.value
                if isinstance(v, ast.Call) and ast.unparse(v.func) in ("np.zeros", "np.empty"):
                    kind = "i" if len(v.args) > 1 and ast.unparse(v.args[1]) == "np.int64" else "f"
                    env[st.targets[0].id] = (kind, 2)
        _infer(node.body, env)
        f.block(node.body)

    def kernel(self, node):
        L = self.L
        specs = ["i", "i"] + [ARRAYS[a] if a in ARRAYS else "f" for a in ARGS]
        fn = L.Function(self.module, L.FunctionType(L.VoidType(), self._ptypes(specs)), self.name)
        env = {"r0": "i", "r1": "i"}
        env.update({a: (ARRAYS[a] if a in ARRAYS else "f") for a in ARGS})
        env.update(
            {k: ("i" if v.dtype.kind == "i" else "f", v.ndim) for k, v in self.consts.items()}
        )
        f = Function(self, fn, specs, env, self.name)
        self._body(f, node, specs, self._params(fn, specs), env)
        if not f.b.block.is_terminated:
            for p in self.frees:
                f.b.call(self.decls["free"], [f.b.bitcast(p, L.PointerType(L.IntType(8)))])
            f.b.ret_void()
        for blk in fn.blocks:  # dead blocks after break
            if not blk.is_terminated:
                f.b.position_at_end(blk)
                f.b.unreachable()

    def helper(self, name, arg_nodes, caller):
        """Call of helper ``name`` of :mod:`.shared`, compiled from its source for these
        argument types (once per type signature)."""
        L = self.L
        vals, specs = [], []
        for a in arg_nodes:
            if (isinstance(a, ast.Name) and (a.id in caller.arrays or a.id in self.consts)) or (
                isinstance(a, ast.Subscript) and isinstance(a.slice, ast.Slice)
            ):
                arr = caller.array(a)
                vals.append(arr)
                specs.append((arr.kind, len(arr.shape)))
            else:
                v, k = caller.scalar(a)
                vals.append(v)
                specs.append(k)
        key = (name, tuple(specs))
        if key not in self.helpers:
            node = self.shared[name]
            if len(node.args.args) != len(specs):
                raise Unsupported(f"{name} takes {len(node.args.args)} arguments")
            env = {a.arg: s for a, s in zip(node.args.args, specs)}
            _infer(node.body, env)
            rets = [_kind(r.value, env) for r in ast.walk(node) if isinstance(r, ast.Return)]
            ret = "f" if "f" in rets else "i"
            fty = L.FunctionType(
                {"f": L.DoubleType(), "i": L.IntType(64)}[ret], self._ptypes(specs)
            )
            fn = L.Function(self.module, fty, f"{self.name}.{name}.{len(self.helpers)}")
            fn.linkage = "internal"
            fn.attributes.add("alwaysinline")
            self.helpers[key] = (fn, ret)
            saved = self.frees
            self.frees = []
            f = Function(self, fn, specs, env, fn.name, ret=ret)
            self._body(f, node, specs, self._params(fn, specs), env)
            for blk in fn.blocks:
                if not blk.is_terminated:
                    f.b.position_at_end(blk)
                    f.b.unreachable()  # every path of a helper returns
            self.frees = saved
        fn, ret = self.helpers[key]
        flat = []
        for v, s in zip(vals, specs):
            if isinstance(s, tuple):
                shape = v.shape + [L.Constant(L.IntType(64), 1)] * (3 - len(v.shape))
                flat += [v.ptr] + shape
            else:
                flat.append(v)
        return caller.b.call(fn, flat), ret
