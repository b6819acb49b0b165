"""Vensim functions as primitive IR: the one definition both code generators use.

STEP, RAMP, PULSE, PULSE TRAIN, ZIDZ, XIDZ, QUANTUM, MODULO and the output of
TREND are written here once, as trees of primitive operations (comparisons,
``and``, ``%``, arithmetic, ``if_then_else``, ``abs``, ``integer``, ``min``) with
PySD's tolerances (``SMALL``) and timing (``t + dt/2``). A generator meets
such a :class:`~aigap.engine.ir.Call` and emits ``lower_call(fn, args)``
instead, so the numpy, numba and lock-step numba backends translate only
primitives and cannot disagree on a formula (docs/engine-ir.md lists them).

Association and evaluation order are PySD's (``(a * b) * c`` left to right),
so every backend evaluates the same floating-point operations in the same
order.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ir

SMALL = 1e-06
LOWERED = ("step", "ramp", "pulse", "pulse_train", "zidz", "xidz", "quantum", "modulo")


@dataclass(frozen=True)
class Code:
    """A leaf that a generator prints verbatim (a state's own variable, e.g. ``s3``)."""

    text: str


def _op(op, *args):
    return ir.Op(op, tuple(args))


def _call(fn, *args):
    return ir.Call(fn, tuple(args))


def _num(v):
    return ir.Num(float(v))


def _t():
    return ir.Time()


def _xidz(a, b, x):
    return _call("if_then_else", _op("<", _call("abs", b), _num(SMALL)), x, _op("/", a, b))


def _quantum(a, b):
    return _call(
        "if_then_else", _op("<", b, _num(SMALL)), a, _op("*", b, _call("integer", _op("/", a, b)))
    )


def _pulse_cond(start, width):
    return _op(
        "and", _op("<=", _op("-", start, _num(SMALL)), _t()), _op("<", _t(), _op("+", start, width))
    )


def _step(height, start):
    half_dt = _op("/", ir.Control("time_step"), _num(2))
    return _op("*", height, _op(">", _op("+", _t(), half_dt), start))


def _ramp(slope, start, end=None):
    final = _t() if end is None else _call("min", end, _t())
    started = _op(">", _op("+", _t(), _num(SMALL)), start)
    return _op("*", _op("*", started, slope), _op("-", final, start))


def _pulse(start, width):
    return _call("if_then_else", _pulse_cond(start, width), _num(1), _num(0))


def _pulse_train(start, interval, width, end):
    phase = _op("%", _op("+", _op("-", _t(), start), _num(SMALL)), interval)
    train = _op(
        "and", _op("and", _op("<=", start, _t()), _op("<", _t(), end)), _op("<", phase, width)
    )
    single = _pulse_cond(start, width)
    return _op("*", _call("if_then_else", _op("==", interval, _num(0)), single, train), _num(1))


RULES = {
    "step": _step,
    "ramp": _ramp,
    "pulse": _pulse,
    "pulse_train": _pulse_train,
    "zidz": lambda a, b: _xidz(a, b, _num(0)),
    "xidz": _xidz,
    "quantum": _quantum,
    "modulo": lambda a, b: _op("-", a, _quantum(a, b)),
}


def lower_call(fn: str, args) -> object:
    """The primitive IR tree computing Vensim function ``fn`` of IR nodes ``args``.

    Parameters
    ----------
    fn : str
        One of :data:`LOWERED`.
    args : sequence of IR nodes
        The call's arguments (each appears in the tree as given, possibly twice).

    Returns
    -------
    IR node
        Built from ``Op``, ``Call`` (``if_then_else abs integer min``), ``Num``,
        ``Time`` and ``Control("time_step")`` only.
    """
    return RULES[fn](*args)


def trend_output(inp, time, state):
    """TREND's output ``zidz(input - s, time * abs(s))`` for state node ``state``."""
    return lower_call("zidz", (_op("-", inp, state), _op("*", time, _call("abs", state))))
