"""Dimensional consistency of a Vensim model, checked on the engine's IR.

A unit string (``USD/(Person*Month)``, ``1/Year``, ``Dmnl``, ``Year^2``) is parsed
into a dimension vector (base unit -> exponent). Every equation of the compiled
IR is then walked: sums, comparisons, MIN/MAX/IF THEN ELSE need like units,
products and quotients combine them, EXP/LN/trig and exponents need
dimensionless arguments, an INTEG's rate must be stock/time, SMOOTH/DELAY/TREND
inputs and times must match. Bare numbers are polymorphic (they adopt the unit
needed). Problems are one line each:
``model.mdl:line: variable: expected X, got Y (in term ...)``.

Conventions written in the .mdl itself (Vensim comments, never in code)::

    {units synonyms: Person = People}       several names of one unit (in any comment/doc field)
    {units lookup input: My Table = Year}    input unit of a lookup (default Dmnl)
    {units exception: Var Name: reason}      a justified exception: not checked
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from ..core.errors import AigapError
from ..engine import ir

DIMENSIONLESS = {"dmnl", "1", "", "dimensionless", "fraction", "percent"}
POLY = None  # the unit of a bare number: adopts whatever is needed


class UnitsSyntaxError(AigapError, ValueError):
    """A unit string that cannot be parsed."""


@dataclass(frozen=True)
class Unit:
    """A dimension vector: sorted tuple of (base, exponent)."""

    dims: tuple = ()

    @classmethod
    def of(cls, d: dict) -> Unit:
        return cls(tuple(sorted((k, v) for k, v in d.items() if v != 0)))

    def __mul__(self, o):
        d = dict(self.dims)
        for k, v in o.dims:
            d[k] = d.get(k, 0) + v
        return Unit.of(d)

    def __pow__(self, n):
        return Unit.of({k: v * Fraction(n) for k, v in self.dims})

    def __truediv__(self, o):
        return self * o**-1

    def __str__(self):
        def part(items):
            out = []
            for k, v in items:
                out.append(k if v == 1 else f"{k}^{v}")
            return "*".join(out)

        num = [(k, v) for k, v in self.dims if v > 0]
        den = [(k, -v) for k, v in self.dims if v < 0]
        if not num and not den:
            return "Dmnl"
        s = part(num) or "1"
        if den:
            d = part(den)
            s += "/" + (f"({d})" if len(den) > 1 or "^" in d else d)
        return s


DMNL = Unit()
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?)|([A-Za-z$_%][\w$%. ]*?(?=\s*(?:[*/^()]|$)))|([*/^()]))")


def parse_units(text: str, synonyms: dict | None = None) -> Unit:
    """Parse a Vensim unit string (range ``[a,b]`` removed first) into a :class:`Unit`."""
    s = re.sub(r"\[[^\]]*\]\s*$", "", text or "").strip()
    synonyms = synonyms or {}
    toks, pos = [], 0
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise UnitsSyntaxError(f"cannot parse unit '{text}' at '{s[pos:]}'")
        toks.append(m.group(0).strip())
        pos = m.end()
    toks = [t for t in toks if t]
    i = 0

    def atom():
        nonlocal i
        if i >= len(toks):
            raise UnitsSyntaxError(f"unit '{text}' ends early")
        t = toks[i]
        i += 1
        if t == "(":
            u = expr()
            if i >= len(toks) or toks[i] != ")":
                raise UnitsSyntaxError(f"unit '{text}': missing ')'")
            i += 1
        elif re.fullmatch(r"\d+(\.\d*)?", t):
            if float(t) != 1:
                raise UnitsSyntaxError(f"unit '{text}': only 1 may be a number")
            u = DMNL
        elif t in "*/^)":
            raise UnitsSyntaxError(f"unit '{text}': unexpected '{t}'")
        else:
            name = synonyms.get(t.lower(), t)
            u = DMNL if name.lower() in DIMENSIONLESS else Unit(((name, Fraction(1)),))
        if i < len(toks) and toks[i] == "^":
            i += 1
            sign = 1
            if i < len(toks) and toks[i] == "-":
                sign, i = -1, i + 1
            if i >= len(toks) or not re.fullmatch(r"\d+(\.\d*)?", toks[i]):
                raise UnitsSyntaxError(f"unit '{text}': exponent must be a number")
            u = u ** (sign * Fraction(toks[i]))
            i += 1
        return u

    def expr():
        nonlocal i
        u = atom()
        while i < len(toks) and toks[i] in "*/":
            op = toks[i]
            i += 1
            v = atom()
            u = u * v if op == "*" else u / v
        return u

    if not toks:
        return DMNL
    u = expr()
    if i != len(toks):
        raise UnitsSyntaxError(f"unit '{text}': unexpected '{toks[i]}'")
    return u


# ------------------------------------------------------------ .mdl conventions

_CONV = re.compile(
    r"\{\s*units\s+(synonyms|lookup input|exception)\s*:\s*([^{}]*)\}", re.IGNORECASE
)


def conventions(text: str):
    """Synonyms, lookup input units and exceptions declared in the model's comments."""
    syn, lookup_in, exceptions = {}, {}, {}
    for m in _CONV.finditer(text):
        kind, body = m.group(1).lower(), m.group(2).strip()
        if kind == "synonyms":
            names = [n.strip() for n in body.split("=") if n.strip()]
            for n in names[1:]:
                syn[n.lower()] = names[0]
        elif kind == "lookup input":
            name, _, unit = body.partition("=")
            lookup_in[name.strip().lower()] = unit.strip()
        else:
            name, _, reason = body.partition(":")
            exceptions[name.strip().lower()] = reason.strip()
    return syn, lookup_in, exceptions


# ------------------------------------------------------------------- checking


class _Mismatch(Exception):
    def __init__(self, expected, got, term):
        super().__init__(f"expected {expected}, got {got} (in term {term})")


def show(e, names) -> str:
    """Readable text of an IR expression (Vensim names where known)."""
    if isinstance(e, ir.Num):
        return f"{e.value:g}"
    if isinstance(e, ir.Var):
        return names.get(e.name, e.name)
    if isinstance(e, ir.Time):
        return "Time"
    if isinstance(e, ir.Control):
        return e.name.upper().replace("_", " ")
    if isinstance(e, ir.Op):
        if len(e.args) == 1:
            return f"{'-' if e.op == 'neg' else 'NOT '}{show(e.args[0], names)}"
        return f"({show(e.args[0], names)} {e.op} {show(e.args[1], names)})"
    if isinstance(e, ir.Call):
        return f"{e.fn.upper()}({', '.join(show(a, names) for a in e.args)})"
    if isinstance(e, ir.Lookup):
        return f"LOOKUP{e.table}({show(e.x, names)})"
    if isinstance(e, ir.StateRead):
        return f"state{e.state}"
    return str(e)


class UnitChecker:
    """Infer the unit of every IR expression of one model and collect problems."""

    def __init__(self, pm, program):
        self.pm, self.prog = pm, program
        self.syn, self.lookup_in, self.exceptions = conventions(pm.text)
        self.problems = []  # (line, variable, message)
        self.var_unit = {}  # Vensim name -> Unit (declared)
        self.scalar = {}  # IR scalar -> Vensim name
        self.names = {}
        for out in program.outputs.values():
            for s in out.scalars:
                self.scalar[s] = out.name
                self.names[s] = out.name
        for el in pm.elements.values():
            if el.units is None or not str(el.units).strip():
                if el.kind == "constant" or el.control:
                    self._report(el.name, "has no units (declare them, or Dmnl)")
                continue
            try:
                self.var_unit[el.name] = parse_units(el.units, self.syn)
            except UnitsSyntaxError as exc:
                self._report(el.name, f"malformed units: {exc}")
        self.time = self._control_unit("TIME STEP")
        self.inferred = {}  # IR scalar without declared unit -> Unit
        self.table_of = {}  # table id -> lookup's Vensim name (set by check_units)

    def _control_unit(self, name):
        return self.var_unit.get(name, Unit(((("Year"), Fraction(1)),)))

    def _line(self, name):
        py = self.pm.by_name.get(name)
        return self.pm.line_of(py) if py else None

    def _report(self, name, msg):
        key = (name, msg)
        if any((p[1], p[2]) == key for p in self.problems):
            return
        if name.lower() in getattr(self, "exceptions", {}):
            return
        self.problems.append((self._line(name), name, msg))

    def unit_of_scalar(self, s):
        name = self.scalar.get(s)
        if name is not None and name in self.var_unit:
            return self.var_unit[name]
        return self.inferred.get(s, POLY)

    @staticmethod
    def _same(a, b, term):
        """Unify two units (POLY adopts the other)."""
        if a is POLY:
            return b
        if b is POLY or a == b:
            return a
        raise _Mismatch(a, b, term)

    def _need(self, u, want, term):
        if u is not POLY and u != want:
            raise _Mismatch(want, u, term)

    def infer(self, e):
        """Unit of IR expression ``e``; raises _Mismatch."""
        n = self.names
        if isinstance(e, ir.Num):
            return POLY
        if isinstance(e, ir.Var):
            return self.unit_of_scalar(e.name)
        if isinstance(e, ir.Time):
            return self.time
        if isinstance(e, ir.Control):
            return self.time
        if isinstance(e, ir.StateRead):
            return POLY
        if isinstance(e, ir.Lookup):
            name = self.table_of.get(e.table)
            x = self.infer(e.x)
            if name is None:  # inline WITH LOOKUP: the variable's own unit
                return POLY
            want = DMNL
            if name and name.lower() in self.lookup_in:
                want = parse_units(self.lookup_in[name.lower()], self.syn)
            self._need(x, want, show(e, n))
            return self.var_unit.get(name, POLY)
        if isinstance(e, ir.Op):
            args = [self.infer(a) for a in e.args]
            term = show(e, n)
            if e.op == "neg":
                return args[0]
            if e.op == "not":
                self._need(args[0], DMNL, term)
                return DMNL
            a, b = args
            if e.op in ("+", "-", "%"):
                return self._same(a, b, term)
            if e.op in ("==", "!=", "<", "<=", ">", ">="):
                self._same(a, b, term)
                return DMNL
            if e.op in ("and", "or"):
                return DMNL
            if e.op in ("*", "/"):
                a = DMNL if a is POLY else a
                b = DMNL if b is POLY else b
                return a * b if e.op == "*" else a / b
            if e.op == "^":
                return self._power(a, b, e.args[1], term)
        if isinstance(e, ir.Call):
            return self._call(e, [self.infer(a) for a in e.args], show(e, n))
        return POLY

    def _power(self, base, exp_unit, exp_expr, term):
        self._need(exp_unit, DMNL, term)
        if base is POLY or base == DMNL:
            return base
        if isinstance(exp_expr, ir.Num):
            return base ** Fraction(exp_expr.value).limit_denominator(1000)
        raise _Mismatch(DMNL, base, term)

    def _call(self, e, a, term):
        fn = e.fn
        if fn in (
            "exp",
            "ln",
            "log",
            "sin",
            "cos",
            "tan",
            "arcsin",
            "arccos",
            "arctan",
            "sinh",
            "cosh",
            "tanh",
        ):
            for u in a:
                self._need(u, DMNL, term)
            return DMNL
        if fn in ("abs", "integer"):
            return a[0]
        if fn == "sqrt":
            return POLY if a[0] is POLY else a[0] ** Fraction(1, 2)
        if fn in ("min", "max", "modulo", "quantum"):
            return self._same(a[0], a[1], term)
        if fn == "power":
            return self._power(a[0], a[1], e.args[1], term)
        if fn == "if_then_else":
            return self._same(a[1], a[2], term)
        if fn in ("xidz", "zidz"):
            q = (DMNL if a[0] is POLY else a[0]) / (DMNL if a[1] is POLY else a[1])
            if a[0] is POLY and a[1] is POLY:
                q = POLY
            return self._same(q, a[2], term) if fn == "xidz" else q
        if fn == "step":
            self._need(a[1], self.time, term)
            return a[0]
        if fn == "ramp":
            for u in a[1:]:
                self._need(u, self.time, term)
            return POLY if a[0] is POLY else a[0] * self.time
        if fn in ("pulse", "pulse_train"):
            for u in a:
                self._need(u, self.time, term)
            return DMNL
        return POLY

    # -------------------------------------------------------------- statements
    def _check(self, name, want, expr, what=""):
        try:
            got = self.infer(expr)
            if want is not None and got is not POLY and got != want:
                raise _Mismatch(want, got, show(expr, self.names) + what)
            return got
        except _Mismatch as exc:
            self._report(name, str(exc))
            return POLY

    def run(self):
        """Check all assignments and states; return the list of problems."""
        for a in self.prog.assigns:
            if isinstance(a.expr, ir.StateRead):
                continue
            name = self.scalar.get(a.target) or a.element
            if name in self.var_unit and self.scalar.get(a.target) == name:
                self._check(name, self.var_unit[name], a.expr)
            else:
                self.inferred[a.target] = self._check(name or a.target, None, a.expr)
        for st in self.prog.states:
            u = self.var_unit.get(st.name)
            if u is None:
                continue
            t = self.time
            rate, init = st.inputs.get("rate"), st.inputs.get("init")
            if st.kind == "integ":
                self._check(st.name, u / t, rate, " (INTEG rate: stock/time)")
            if st.kind in ("smooth", "delay", "delayn", "delay_fixed"):
                self._check(st.name, u, st.inputs["input"], " (input)")
            if "time" in st.inputs:
                self._check(st.name, t, st.inputs["time"], " (delay/smoothing time)")
            if st.kind == "trend":
                self._check(st.name, u * t, st.inputs["input"], " (TREND input)")
            if init is not None:
                self._check(st.name, u, init, " (initial value)")
        self.problems.sort(key=lambda p: (p[0] or 0, p[1]))
        return self.problems


def check_units(path) -> list:
    """Problems of the model at ``path`` as ``file:line: variable: message`` lines."""
    from ..engine.compiler import Compiler
    from ..engine.parse import parse_model

    pm = parse_model(path)
    comp = Compiler(pm)
    prog = comp.compile()
    chk = UnitChecker(pm, prog)
    chk.table_of = _lookup_names(pm, comp.lookup_tables)
    return [f"{path}:{line or '?'}: {name}: {msg}" for line, name, msg in chk.run()]


def _lookup_names(pm, lookup_tables) -> dict:
    """Table id -> Vensim name of the lookup element it belongs to."""
    out = {}
    for scalar, tid in lookup_tables.items():
        base = scalar.split("[")[0]
        el = pm.elements.get(base)
        out[tid] = el.name if el else base
    return out
