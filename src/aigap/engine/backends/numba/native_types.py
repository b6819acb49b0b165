"""The Python subset of the native compiler (:mod:`.native`): names, kinds of values,
typing rules, lane-loop recognition and the module constants it reads (never evaluated)."""

from __future__ import annotations

import ast

import numpy as np

ARGS = "PR TX TO TV TSJ SEL times save dt initial_time final_time saveper OUT INFO".split()
ARRAYS = {  # kernel argument -> (dtype, ndim)
    "PR": ("f", 2),
    "TX": ("f", 1),
    "TO": ("i", 1),
    "TV": ("f", 2),
    "TSJ": ("i", 1),
    "SEL": ("i", 1),
    "times": ("f", 1),
    "save": ("i", 1),
    "OUT": ("f", 3),
    "INFO": ("f", 2),
}
WIDTH = 4  # lanes per vector instruction: libmvec AVX2 width, half of a lock-step group
HELPERS = ("_seg", "_lk_interp", "_lk_extrap", "_lk_hold", "_ts")
LANE_CALLS = {"lexp": "exp", "llog": "log", "lpow": "pow"}
MATH = {  # math function -> LLVM intrinsic (numba's lowering) or libm symbol
    "math.exp": "llvm.exp.f64",
    "math.log": "llvm.log.f64",
    "math.sqrt": "llvm.sqrt.f64",
    "math.sin": "llvm.sin.f64",
    "math.cos": "llvm.cos.f64",
    "math.tan": "tan",
    "math.asin": "asin",
    "math.acos": "acos",
    "math.atan": "atan",
    "math.sinh": "sinh",
    "math.cosh": "cosh",
    "math.tanh": "tanh",
    "np.trunc": "llvm.trunc.f64",
    "abs": "llvm.fabs.f64",
}
CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class Unsupported(Exception):
    """The module uses Python this compiler does not translate (numba compiles it)."""


class Arr:
    """An array value: data pointer, element kind (``"f"``/``"i"``) and shape (LLVM i64)."""

    def __init__(self, ptr, kind, shape):
        self.ptr, self.kind, self.shape = ptr, kind, list(shape)


class Vec:
    """A value of the lanes of one half of a lock-step group (``<4 x double>``/``<4 x i1>``)."""

    def __init__(self, value):
        self.value = value


# ----------------------------------------------------------------- typing
def _kind(node, env):
    """``"i"``, ``"f"`` or ``"b"``: the type of scalar expression ``node`` (Python's rules)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return "b"
        if isinstance(node.value, int):
            return "i"
        if isinstance(node.value, float):
            return "f"
        raise Unsupported(f"constant {node.value!r}")
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise Unsupported(f"name {node.id} read before it is assigned")
        return env[node.id]
    if isinstance(node, ast.BinOp):
        a, b = _kind(node.left, env), _kind(node.right, env)
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)) and a == b == "b":
            return "b"
        if isinstance(node.op, ast.Div) or "f" in (a, b):
            return "f"
        return "i"
    if isinstance(node, ast.UnaryOp):
        return _kind(node.operand, env)
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return "b"
    if isinstance(node, ast.IfExp):
        a, b = _kind(node.body, env), _kind(node.orelse, env)
        return "f" if "f" in (a, b) else a
    if isinstance(node, ast.Subscript):
        base = env.get(node.value.id) if isinstance(node.value, ast.Name) else None
        if isinstance(base, tuple):
            return base[0]
        if isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
            return "i"
        raise Unsupported(f"subscript {ast.unparse(node)}")
    if isinstance(node, ast.Call):
        fn = ast.unparse(node.func)
        if fn in ("min", "max"):
            ks = [_kind(a, env) for a in node.args]
            return "f" if "f" in ks else "i"
        if fn in ("_seg", "_order", "int"):
            return "i"
        return "f"
    raise Unsupported(f"expression {ast.unparse(node)}")


def _infer(body, env):
    """Types of the locals assigned in ``body``, to a fixed point (a use may precede a
    later, wider assignment in a loop); a local assigned an int and a float is a float."""
    for _ in range(20):
        before = dict(env)
        for node in body:
            for n in ast.walk(node):
                if isinstance(n, ast.For) and isinstance(n.target, ast.Name):
                    env.setdefault(n.target.id, "i")
                elif isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name):
                    name = n.targets[0].id
                    if isinstance(env.get(name), tuple):
                        continue
                    try:
                        k = _kind(n.value, env)
                    except Unsupported:
                        continue  # typed on the second pass
                    env[name] = "f" if "f" in (k, env.get(name)) else k
        if env == before:
            return env
    raise Unsupported("local types do not settle")


def _lane_loop(node):
    """True for ``for l in range(8):`` over straight-line cell statements (a vector region)."""
    if not (
        isinstance(node, ast.For)
        and ast.unparse(node.target) == "l"
        and ast.unparse(node.iter) == "range(8)"
        and not node.orelse
    ):
        return False
    for st in node.body:
        if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name):
            pass
        elif isinstance(st, ast.Expr) and ast.unparse(st.value.func) == "_st":
            pass
        else:
            return False
        for n in ast.walk(st):
            if isinstance(n, ast.Call) and ast.unparse(n.func) in HELPERS:
                return False
            if isinstance(n, (ast.Subscript, ast.IfExp)):
                return False
            if isinstance(n, ast.Name) and n.id == "r":
                return False
    return True


def _lane_free(st):
    """True when the lane index ``l`` is read only as the lane of ``_ld``/``_st``."""
    lanes = {
        id(n.args[2])
        for n in ast.walk(st)
        if isinstance(n, ast.Call) and ast.unparse(n.func) in ("_ld", "_st") and len(n.args) > 2
    }
    return all(id(n) in lanes for n in ast.walk(st) if isinstance(n, ast.Name) and n.id == "l")


# ----------------------------------------------------------------- module constants
def _const(node, consts):
    """Value of a module-level constant of the generated module (``np.array`` of a
    literal list, slices and arithmetic of such arrays); never evaluates anything else."""
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "np.array":
        kw = {k.arg: ast.unparse(k.value) for k in node.keywords}
        dtype = {None: np.float64, "np.int64": np.int64, "float": np.float64}.get(kw.get("dtype"))
        if dtype is None or len(node.args) != 1 or set(kw) - {"dtype"}:
            raise Unsupported(f"constant {ast.unparse(node)}")
        return np.array(ast.literal_eval(node.args[0]), dtype=dtype)
    if isinstance(node, ast.Name) and node.id in consts:
        return consts[node.id]
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        lo, hi = (
            ast.literal_eval(x) if x is not None else None
            for x in (node.slice.lower, node.slice.upper)
        )
        if node.slice.step is not None:
            raise Unsupported(f"constant {ast.unparse(node)}")
        return _const(node.value, consts)[lo:hi]
    if isinstance(node, ast.BinOp):
        ops = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
        if type(node.op) in ops:
            return ops[type(node.op)](_const(node.left, consts), _const(node.right, consts))
    raise Unsupported(f"constant {ast.unparse(node)}")


def _ll():
    from llvmlite import ir as L

    return L
