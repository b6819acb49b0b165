"""Intermediate representation of a compiled model (see docs/engine-ir.md).

The IR is *scalarised over subscripts*: every subscripted variable is split
into one scalar per element (``Var("stock_a[Entry 1]")``), and every value is
a vector over runs. Subscript semantics (ranges, subranges, copies, mappings,
transposition, SUM over ``dim!``) are resolved once, in the compiler; a code
generator only sees scalar expressions, so a numpy generator (vectors over
runs) and a numba generator (a loop over runs with scalars inside) can share
one source of semantics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# ----------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Num:
    """A literal number."""

    value: float


@dataclass(frozen=True)
class Var:
    """Reference to a scalar variable: a parameter, an assignment or a state output."""

    name: str


@dataclass(frozen=True)
class Time:
    """Current simulation time."""


@dataclass(frozen=True)
class Control:
    """A control value: ``"time_step"``, ``"initial_time"``, ``"final_time"``, ``"saveper"``."""

    name: str


@dataclass(frozen=True)
class Op:
    """Operator. Binary: ``+ - * / % ^ == != < <= > >= and or``; unary: ``neg not``.

    ``%`` (Python's floored modulo) only appears in lowered function trees.

    Binary operators take exactly two arguments (the compiler makes
    left-to-right association explicit, as PySD's generated Python does).
    """

    op: str
    args: tuple


@dataclass(frozen=True)
class Call:
    """A pure function of its arguments, evaluated elementwise.

    Functions: ``abs exp ln sqrt sin cos tan arcsin arccos arctan sinh cosh tanh
    min max power log integer modulo quantum if_then_else xidz zidz
    step ramp pulse pulse_train`` (the last four read Time and TIME STEP). The
    formulas of ``quantum`` to ``pulse_train`` (PySD's) are defined once, as
    primitive IR, in :mod:`aigap.engine.lowering`; see docs/engine-ir.md.
    """

    fn: str
    args: tuple


@dataclass(frozen=True)
class Lookup:
    """Piecewise-linear table ``tables[table]`` evaluated at ``x``."""

    table: int
    x: object


@dataclass(frozen=True)
class StateRead:
    """Read of a state: ``stage=-1`` the last stage of a chain, ``None`` a scalar state."""

    state: int
    stage: int | None = None


# ----------------------------------------------------------------- statements


@dataclass
class Param:
    """One element of an overridable model constant (a scalar input of the program)."""

    name: str  # scalar variable name
    constant: str  # Vensim name of the constant
    element: tuple  # subscript elements, () for a scalar constant
    index: tuple  # position in the constant's default array
    default: float


@dataclass
class Assign:
    """``target = expr``; in dependency order in ``Program.assigns``."""

    target: str
    expr: object
    element: str = ""  # Vensim variable name
    subscript: tuple = ()  # elements


@dataclass
class State:
    """A state of the model.

    kind:
      ``integ``       scalar; ``d/dt = inputs["rate"]``; init ``inputs["init"]``
      ``smooth``      chain of ``order`` stages; input, time, init
      ``delay``       chain; input, time, init (stage = init * time)
      ``delayn``      chain plus per-stage delay times (discrete); input, time, init
      ``delay_fixed`` discrete pipe of ``round(max(time/dt, 1) + 1e-6)`` slots; input, time, init
      ``trend``       scalar; input, time, init (the initial trend)
      ``initial``     scalar fixed at initialisation; init
    ``inputs`` map roles to expressions (Var or Num after compilation);
    ``order`` is an expression evaluated once at initialisation.
    """

    sid: int
    kind: str
    name: str  # Vensim name (for messages)
    subscript: tuple
    inputs: dict = field(default_factory=dict)
    order: object = None
    non_negative: bool = False


@dataclass
class Table:
    """Lookup table: ``x`` increasing, ``y`` same length; ``mode`` is
    ``interpolate`` (hold ends), ``extrapolate`` (linear ends) or ``hold_backward``."""

    x: np.ndarray
    y: np.ndarray
    mode: str = "interpolate"


@dataclass
class OutputVar:
    """How a Vensim variable maps to scalars: ``scalars[i]`` is element ``i`` (C order)."""

    name: str
    dims: tuple
    scalars: list


@dataclass
class Program:
    """The compiled model."""

    model_hash: str
    params: dict  # scalar name -> Param
    assigns: list  # Assign, dependency order (valid for init and for each step)
    states: list  # State
    tables: list  # Table
    outputs: dict  # Vensim name -> OutputVar
    init_order: list  # ("assign", index) / ("state", sid) for initialisation
    deps: dict = field(default_factory=dict)  # target -> set of Var names read (direct)
    dims: dict = field(default_factory=dict)  # subscript range -> tuple of elements
