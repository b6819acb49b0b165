"""Compile PySD's abstract model into the scalarised IR (see :mod:`aigap.engine.ir`)."""

from __future__ import annotations

import itertools
import re
import warnings

import numpy as np

from . import ir
from .errors import EngineError, UnsupportedFeatureError
from .metadata import component_block, constant_default, pysd_array
from .parse import ParsedModel, component_index

CONTROL_REFS = {
    "time_step": "time_step",
    "initial_time": "initial_time",
    "final_time": "final_time",
    "saveper": "saveper",
}
LOGIC_OPS = {
    ":AND:": "and",
    ":OR:": "or",
    "=": "==",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
ELEMENTWISE = {
    "abs",
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
    "min",
    "max",
    "power",
    "log",
    "integer",
    "modulo",
    "quantum",
    "if_then_else",
    "xidz",
    "zidz",
    "step",
    "ramp",
    "pulse",
    "pulse_train",
}
ARITY = {
    "abs": 1,
    "exp": 1,
    "ln": 1,
    "sqrt": 1,
    "sin": 1,
    "cos": 1,
    "tan": 1,
    "arcsin": 1,
    "arccos": 1,
    "arctan": 1,
    "sinh": 1,
    "cosh": 1,
    "tanh": 1,
    "min": 2,
    "max": 2,
    "power": 2,
    "log": 2,
    "integer": 1,
    "modulo": 2,
    "quantum": 2,
    "if_then_else": 3,
    "xidz": 3,
    "zidz": 2,
    "step": 2,
    "ramp": (2, 3),
    "pulse": 2,
    "pulse_train": 4,
}
REDUCERS = {"sum": "+", "prod": "*", "vmin": "min", "vmax": "max"}


def scalar_name(py: str, elems: tuple) -> str:
    """IR name of one element of a variable, e.g. ``stock_a[Entry 1,Column 2]``."""
    return f"{py}[{','.join(elems)}]" if elems else py


class _Ctx:
    """Context of one scalar equation: subscript label -> element."""

    def __init__(self, el, labels, fallback):
        self.el = el
        self.labels = labels  # LHS labels (ranges/subranges) -> element
        self.fallback = fallback  # final dims -> element (for element subscripts)

    def bind(self, **extra):
        """A copy of this context with extra subscript labels bound."""
        new = _Ctx(self.el, dict(self.labels), self.fallback)
        new.labels.update(extra)
        return new


class Compiler:
    """Build an :class:`~aigap.engine.ir.Program` from a :class:`ParsedModel`."""

    def __init__(self, pm: ParsedModel):
        from pysd.translators.structures import abstract_expressions as ae

        self.ae = ae
        self.pm = pm
        self.params = {}
        self.assigns = []
        self.states = []
        self.tables = []
        self._table_keys = {}
        self.lookup_tables = {}  # scalar name of a lookup element -> table id
        self.outputs = {}
        self._tmp = itertools.count()
        self._elements_of = {}  # range -> set(elements)
        for name, elems in pm.dims.items():
            self._elements_of[name] = set(elems)

    # ------------------------------------------------------------ errors
    def unsupported(self, el, feature, detail=""):
        """Raise UnsupportedFeatureError naming element ``el``, its file and line."""
        raise UnsupportedFeatureError(el.name, feature, self.pm.path, el.line, detail)

    # ------------------------------------------------------------ entry
    def compile(self) -> ir.Program:
        """Compile every element; returns the :class:`~aigap.engine.ir.Program`."""
        pm = self.pm
        order = [el for el in pm.elements.values() if not el.control]
        for el in order:
            if el.kind == "lookup":
                self._guarded(self._compile_lookup, el)
        for el in order:
            if el.kind == "constant":
                self._guarded(self._compile_constant, el)
            elif el.kind != "lookup":
                self._guarded(self._compile_element, el)
        from .ordering import order_program

        prog = ir.Program(
            model_hash=pm.model_hash,
            params=self.params,
            assigns=self.assigns,
            states=self.states,
            tables=self.tables,
            outputs=self.outputs,
            init_order=[],
            dims={k: tuple(v) for k, v in pm.dims.items()},
        )
        order_program(prog, pm)
        return prog

    def _guarded(self, step, el):
        """Run one compile step; unexpected failures name the variable and line."""
        try:
            step(el)
        except EngineError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise EngineError(
                f"{self.pm.path}:{el.line}: cannot compile '{el.name}': {type(exc).__name__}: {exc}"
            ) from exc

    # ------------------------------------------------------------ constants
    def _positions(self, el):
        shape = [len(self.pm.dims[d]) for d in el.dims]
        return list(itertools.product(*[range(n) for n in shape]))

    def _elems(self, el, pos):
        return tuple(self.pm.dims[d][i] for d, i in zip(el.dims, pos))

    def _compile_constant(self, el):
        default = constant_default(self.pm, el)
        scalars = []
        for pos in self._positions(el):
            elems = self._elems(el, pos)
            name = scalar_name(el.py_name, elems)
            self.params[name] = ir.Param(
                name=name, constant=el.name, element=elems, index=pos, default=float(default[pos])
            )
            scalars.append(name)
        self.outputs[el.name] = ir.OutputVar(el.name, el.dims, scalars)

    # ------------------------------------------------------------ lookups
    def _table(self, x, y, mode):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        key = (x.tobytes(), y.tobytes(), mode)
        if key not in self._table_keys:
            self._table_keys[key] = len(self.tables)
            self.tables.append(ir.Table(x=x, y=y, mode=mode))
        return self._table_keys[key]

    def _compile_lookup(self, el):
        from pysd.py_backend.lookups import HardcodedLookups

        ae = self.ae
        final_coords = {d: list(self.pm.dims[d]) for d in el.dims}
        obj = None
        for comp in el.components:
            if not isinstance(comp.ast, ae.LookupsStructure):
                self.unsupported(
                    el,
                    type(comp.ast).__name__.replace("Structure", ""),
                    "lookups must be tables written in the model",
                )
            mode = comp.ast.type
            if mode not in ("interpolate", "extrapolate", "hold_backward"):
                self.unsupported(el, f"lookup type '{mode}'")
            x = pysd_array(comp.ast.x)
            y = pysd_array(comp.ast.y)
            coords = self.pm.subscripts.make_coord_dict(list(comp.subscripts[0]))
            if comp.subscripts[1]:
                self.unsupported(el, ":EXCEPT: in a lookup definition")
            if obj is None:
                obj = HardcodedLookups(list(x), list(y), coords, mode, final_coords, el.py_name)
            else:
                obj.add(list(x), list(y), coords)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                obj.initialize()
            except ValueError as exc:
                detail = str(exc).replace(el.py_name, "").strip()
                raise EngineError(
                    f"{self.pm.path}:{el.line}: lookup '{el.name}' is invalid: {detail}"
                ) from exc
        data = obj.data
        if el.dims:
            data = data.transpose("lookup_dim", *el.dims)
        xs = np.asarray(data["lookup_dim"].values, dtype=float)
        ys = np.asarray(data.values, dtype=float)
        for pos in self._positions(el):
            elems = self._elems(el, pos)
            col = ys[(slice(None),) + tuple(pos)]
            self.lookup_tables[scalar_name(el.py_name, elems)] = self._table(xs, col, mode)

    # ------------------------------------------------------------ elements
    def _compile_element(self, el):
        pm = self.pm
        shape = tuple(len(pm.dims[d]) for d in el.dims)
        names = np.full(shape, None, dtype=object)
        for comp in el.components:
            if type(comp).__name__ != "AbstractComponent" and comp.type != "Auxiliary":
                self.unsupported(el, f"{comp.type} component")
            subs, excepts = comp.subscripts
            if not el.dims:
                self._compile_scalar(el, comp, (), _Ctx(el, {}, {}), None)
                names[()] = scalar_name(el.py_name, ())
                continue
            index, mask = component_index(pm, el.dims, subs, excepts)
            coords = pm.subscripts.make_coord_dict(list(subs))
            labels = [s for s in subs]
            for local in itertools.product(*[range(len(i)) for i in index]):
                if mask is not None and not mask[local]:
                    continue
                pos = tuple(int(index[k][j]) for k, j in enumerate(local))
                elems = self._elems(el, pos)
                lab = {}
                for k, (sub, (cdim, celems)) in enumerate(zip(labels, coords.items())):
                    if sub in pm.dims:
                        lab[sub] = celems[local[k]]
                fallback = dict(zip(el.dims, elems))
                for cdim, celems in coords.items():
                    fallback.setdefault(cdim, None)
                ctx = _Ctx(el, lab, {d: e for d, e in fallback.items() if e is not None})
                if names[pos] is not None:
                    self.unsupported(el, "element defined twice", f"[{','.join(elems)}]")
                self._compile_scalar(el, comp, elems, ctx, local, tuple(len(i) for i in index))
                names[pos] = scalar_name(el.py_name, elems)
        for pos in self._positions(el):  # no equation for an element: Vensim gives it 0
            if names[pos] is None:  # (PySD gives NaN, which no model means)
                elems = self._elems(el, pos)
                names[pos] = scalar_name(el.py_name, elems)
                self.assigns.append(
                    ir.Assign(target=names[pos], expr=ir.Num(0.0), element=el.name, subscript=elems)
                )
        self.outputs[el.name] = ir.OutputVar(el.name, el.dims, list(names.flat))

    def _compile_scalar(self, el, comp, elems, ctx, local, block=()):
        ae = self.ae
        target = scalar_name(el.py_name, elems)
        ast = comp.ast
        if isinstance(ast, np.ndarray):
            value = pysd_array(ast)
            expr = ir.Num(float(component_block(value, block)[local] if value.ndim else value))
        elif isinstance(ast, ae.IntegStructure):
            sid = self._state(
                "integ", el, elems, rate=self.expr(ast.flow, ctx), init=self.expr(ast.initial, ctx)
            )
            self.states[sid].non_negative = bool(ast.non_negative)
            if ast.non_negative:
                self.unsupported(el, "non-negative INTEG")
            expr = ir.StateRead(sid)
        elif isinstance(ast, (ae.SmoothStructure, ae.SmoothNStructure)):
            sid = self._state(
                "smooth",
                el,
                elems,
                input=self.expr(ast.input, ctx),
                time=self.expr(ast.smooth_time, ctx),
                init=self.expr(ast.initial, ctx),
            )
            self.states[sid].order = self.expr(ast.order, ctx)
            expr = ir.StateRead(sid)
        elif isinstance(ast, (ae.DelayStructure, ae.DelayNStructure)):
            kind = "delay" if isinstance(ast, ae.DelayStructure) else "delayn"
            sid = self._state(
                kind,
                el,
                elems,
                input=self.expr(ast.input, ctx),
                time=self.expr(ast.delay_time, ctx),
                init=self.expr(ast.initial, ctx),
            )
            order = self.states[sid].order = self.expr(ast.order, ctx)
            if isinstance(order, ir.Num) and not order.value >= 1:
                raise EngineError(
                    f"{self.pm.path}:{el.line}: '{el.name}': the order of the "
                    f"delay is {order.value:g}; a DELAY N order must be at "
                    "least 1"
                )
            expr = ir.StateRead(sid)
        elif isinstance(ast, ae.DelayFixedStructure):
            sid = self._state(
                "delay_fixed",
                el,
                elems,
                input=self.expr(ast.input, ctx),
                time=self.expr(ast.delay_time, ctx),
                init=self.expr(ast.initial, ctx),
            )
            expr = ir.StateRead(sid)
        elif isinstance(ast, ae.TrendStructure):
            sid = self._state(
                "trend",
                el,
                elems,
                input=self.expr(ast.input, ctx),
                time=self.expr(ast.average_time, ctx),
                init=self.expr(ast.initial_trend, ctx),
            )
            expr = ir.StateRead(sid)
        elif isinstance(ast, ae.InitialStructure):
            sid = self._state("initial", el, elems, init=self.expr(ast.initial, ctx))
            expr = ir.StateRead(sid)
        else:
            expr = self.expr(ast, ctx)
        self.assigns.append(ir.Assign(target=target, expr=expr, element=el.name, subscript=elems))

    def _state(self, kind, el, elems, **inputs):
        sid = len(self.states)
        ins = {}
        for role, node in inputs.items():
            if isinstance(node, (ir.Var, ir.Num)):
                ins[role] = node
            else:
                name = f"_{kind}{sid}_{role}"
                self.assigns.append(
                    ir.Assign(target=name, expr=node, element=el.name, subscript=elems)
                )
                ins[role] = ir.Var(name)
        self.states.append(ir.State(sid=sid, kind=kind, name=el.name, subscript=elems, inputs=ins))
        return sid

    # ------------------------------------------------------------ expressions
    def expr(self, ast, ctx):
        """IR of PySD abstract expression ``ast`` for the element/subscripts of ``ctx``."""
        ae = self.ae
        el = ctx.el
        if isinstance(ast, bool):
            return ir.Num(float(ast))
        if isinstance(ast, (int, float, np.integer, np.floating)):
            return ir.Num(float(ast))
        if isinstance(ast, np.ndarray):
            self.unsupported(el, "array literal inside an expression")
        if isinstance(ast, ae.ReferenceStructure):
            return self.reference(ast, ctx)
        if isinstance(ast, ae.ArithmeticStructure):
            args = [self.expr(a, ctx) for a in ast.arguments]
            ops = list(ast.operators)
            if len(args) == 1:
                op = ops[0]
                if op == "negative":
                    return ir.Op("neg", (args[0],))
                if op in ("positive", "+"):
                    return args[0]
                self.unsupported(el, f"unary operator {op}")
            if "^" in ops and set(ops) != {"^"}:
                self.unsupported(el, "mixed ^ chain")
            if ops and ops[0] == "^":
                out = args[-1]  # Python's ** is right-associative (as PySD)
                for a in reversed(args[:-1]):
                    if isinstance(a, ir.Num) and a.value < 0:
                        # PySD writes the literal as "-2**x", which Python reads as -(2**x)
                        out = ir.Op("neg", (ir.Op("^", (ir.Num(-a.value), out)),))
                    else:
                        out = ir.Op("^", (a, out))
                return out
            out = args[0]
            for op, a in zip(ops, args[1:]):
                out = ir.Op(op, (out, a))
            return out
        if isinstance(ast, ae.LogicStructure):
            args = [self.expr(a, ctx) for a in ast.arguments]
            ops = list(ast.operators)
            if len(args) == 1:
                if ops == [":NOT:"]:
                    return ir.Op("not", (args[0],))
                self.unsupported(el, f"logical operator {ops}")
            out = args[0]
            for op, a in zip(ops, args[1:]):
                if op not in LOGIC_OPS:
                    self.unsupported(el, f"operator {op}")
                out = ir.Op(LOGIC_OPS[op], (out, a))
            return out
        if isinstance(ast, ae.CallStructure):
            return self.call(ast, ctx)
        if isinstance(ast, ae.GameStructure):  # GAME(x) is x outside gaming mode (PySD)
            return self.expr(ast.expression, ctx)
        if isinstance(ast, ae.InlineLookupsStructure):
            lk = ast.lookups
            if lk.type not in ("interpolate",):
                self.unsupported(el, f"WITH LOOKUP of type '{lk.type}'")
            table = self._table(pysd_array(lk.x), pysd_array(lk.y), "interpolate")
            return ir.Lookup(table, self.expr(ast.argument, ctx))
        if isinstance(
            ast,
            (
                ae.IntegStructure,
                ae.SmoothStructure,
                ae.SmoothNStructure,
                ae.DelayStructure,
                ae.DelayNStructure,
                ae.DelayFixedStructure,
                ae.TrendStructure,
                ae.InitialStructure,
            ),
        ):
            # a stateful function nested inside an expression: give it a hidden variable
            name = f"_nested{next(self._tmp)}"
            comp = type("C", (), {"ast": ast})()
            fake = type(el)(**{**el.__dict__, "py_name": name})
            self._compile_scalar(fake, comp, (), ctx, None)
            return ir.Var(name)
        feature = re.sub(r"Structure$", "", type(ast).__name__)
        feature = {
            "SampleIfTrue": "SAMPLE IF TRUE",
            "Forecast": "FORECAST",
            "GetLookups": "GET LOOKUPS",
            "GetData": "GET DATA",
            "GetConstants": "GET CONSTANTS",
            "Data": "DATA",
            "AllocateByPriority": "ALLOCATE BY PRIORITY",
            "AllocateAvailable": "ALLOCATE AVAILABLE",
        }.get(feature, feature)
        self.unsupported(el, feature)

    def _resolve(self, ref_el, subs, ctx):
        """Element tuple of ``ref_el`` selected by reference subscripts ``subs``."""
        pm = self.pm
        el = ctx.el
        dims = ref_el.dims
        if subs is None:
            subs = list(dims)
        if len(subs) != len(dims):
            self.unsupported(
                el, "reference with wrong number of subscripts", f"{ref_el.name}{list(subs)}"
            )
        out = []
        for dim, s in zip(dims, subs):
            delems = pm.dims[dim]
            if s in ctx.labels:
                e, src = ctx.labels[s], s
            elif s in ctx.fallback and s in pm.dims:
                e, src = ctx.fallback[s], s
            elif s in self._elements_of.get(dim, ()) and s not in pm.dims:
                out.append(s)
                continue
            elif s in pm.dims:
                e, src = self._related(s, ctx)
            else:
                self.unsupported(el, "subscript reference", f"'{s}' in {ref_el.name}")
            if e in delems:
                out.append(e)
                continue
            # positional correspondence (mapped ranges)
            src_elems = pm.dims.get(src.rstrip("!"), ())
            if (
                e in src_elems
                and len(src_elems) == len(pm.dims[s.rstrip("!")])
                and len(pm.dims[s.rstrip("!")]) == len(delems)
            ):
                out.append(delems[src_elems.index(e)])
                continue
            self.unsupported(el, "subscript mapping", f"{ref_el.name}[{s}] at {e}")
        return tuple(out)

    def _related(self, s, ctx):
        """The LHS label related to range ``s`` (copy, mapping): ``(s-element, s)``."""
        pm = self.pm
        target = pm.dims[s]
        for label, e in list(ctx.labels.items()) + list(ctx.fallback.items()):
            lab = label.rstrip("!")
            if lab not in pm.dims:
                continue
            related = (
                set(pm.dims[lab]) == set(target)
                or s in pm.mapping.get(lab, [])
                or lab in pm.mapping.get(s, [])
            )
            if related and len(pm.dims[lab]) == len(target):
                pos = pm.dims[lab].index(e)
                return target[pos], s
        self.unsupported(ctx.el, "subscript range not on the left-hand side", s)

    def reference(self, ast, ctx):
        """IR of a reference: Time, a control value or a scalar variable."""
        pm = self.pm
        ref = ast.reference
        if ref == "time":
            return ir.Time()
        if ref in CONTROL_REFS:
            return ir.Control(CONTROL_REFS[ref])
        py = pm.clean.get(ref, ref)
        ref_el = pm.elements.get(py)
        if ref_el is None:
            self.unsupported(ctx.el, "reference", f"unknown variable '{ref}'")
        if ref_el.control:
            return ir.Control(CONTROL_REFS[py])
        if ref_el.kind == "lookup":
            self.unsupported(ctx.el, "lookup used without an argument", ref_el.name)
        subs = ast.subscripts.subscripts if ast.subscripts is not None else None
        elems = self._resolve(ref_el, subs, ctx)
        return ir.Var(scalar_name(py, elems))

    def call(self, ast, ctx):
        """IR of a function call, checked against the supported functions and arities."""
        pm = self.pm
        el = ctx.el
        fn = ast.function.reference if hasattr(ast.function, "reference") else str(ast.function)
        py = pm.clean.get(fn, fn)
        if py in pm.elements and pm.elements[py].kind == "lookup":
            if len(ast.arguments) != 1:
                self.unsupported(el, "lookup call with several arguments")
            lk_el = pm.elements[py]
            subs = ast.function.subscripts.subscripts if ast.function.subscripts else None
            elems = self._resolve(lk_el, subs, ctx)
            table = self.lookup_tables[scalar_name(py, elems)]
            return ir.Lookup(table, self.expr(ast.arguments[0], ctx))
        if fn in REDUCERS:
            return self._reduce(fn, ast.arguments, ctx)
        if fn not in ELEMENTWISE:
            self.unsupported(el, fn.upper().replace("_", " "))
        arity = ARITY[fn]
        n = len(ast.arguments)
        if (isinstance(arity, tuple) and n not in arity) or (isinstance(arity, int) and n != arity):
            self.unsupported(el, fn.upper(), f"{n} arguments")
        args = tuple(self.expr(a, ctx) for a in ast.arguments)
        return ir.Call(fn, args)

    def _bang_dims(self, ast, out):
        ae = self.ae
        if isinstance(ast, ae.ReferenceStructure):
            if ast.subscripts is not None:
                out.extend(s for s in ast.subscripts.subscripts if s.endswith("!") and s not in out)
            return
        if isinstance(ast, ae.AbstractSyntax):
            for v in vars(ast).values():
                self._bang_dims(v, out)
        elif isinstance(ast, (list, tuple)):
            for v in ast:
                self._bang_dims(v, out)

    def _reduce(self, fn, arguments, ctx):
        if len(arguments) != 1:
            self.unsupported(ctx.el, fn.upper(), "expects one argument")
        bangs = []
        self._bang_dims(arguments[0], bangs)
        if not bangs:
            self.unsupported(ctx.el, fn.upper(), "no dimension marked with '!'")
        terms = []
        ranges = [self.pm.dims[b[:-1]] for b in bangs]
        for combo in itertools.product(*ranges):
            sub = ctx.bind(**dict(zip(bangs, combo)))
            terms.append(self.expr(arguments[0], sub))
        op = REDUCERS[fn]
        out = terms[0]
        for t in terms[1:]:
            out = ir.Op(op, (out, t)) if op in "+*" else ir.Call(op, (out, t))
        return out


def build_ir(pm: ParsedModel) -> ir.Program:
    """Compile a parsed model to the IR; raise UnsupportedFeatureError as needed."""
    if not isinstance(pm, ParsedModel):
        raise EngineError("build_ir expects a ParsedModel")
    return Compiler(pm).compile()
