"""Run-time helpers called by generated numpy code (formulas copied from PySD 3.14)."""

from __future__ import annotations

import numpy as np

from .errors import EngineError

SMALL_VENSIM = 1e-6


def lk_extrapolate(x, xp, fp):
    """Lookup with linear extrapolation beyond both ends (PySD ``extrapolate``)."""
    x = np.asarray(x, dtype=float)
    out = np.interp(x, xp, fp)
    hi = (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    lo = (fp[1] - fp[0]) / (xp[1] - xp[0])
    out = np.where(x > xp[-1], fp[-1] + hi * (x - xp[-1]), out)
    return np.where(x < xp[0], fp[0] + lo * (x - xp[0]), out)


def lk_hold_backward(x, xp, fp):
    """Lookup holding the value of the last point at or before ``x``."""
    x = np.asarray(x, dtype=float)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 1)
    return fp[j]


def ts_interp(t, xp, v):
    """Time series value at time ``t`` (scalar) for every run.

    ``v`` is ``(P,)`` (same for every run) or ``(R, P)``; linear between points
    and held beyond the ends, like ``np.interp`` (PySD's time-series parameters).
    """
    if v.ndim == 1:
        return np.interp(t, xp, v)
    if t <= xp[0]:
        return v[:, 0]
    if t >= xp[-1]:
        return v[:, -1]
    j = int(np.searchsorted(xp, t, side="right")) - 1
    slope = (v[:, j + 1] - v[:, j]) / (xp[j + 1] - xp[j])
    return slope * (t - xp[j]) + v[:, j]


def uniform_int(value, what):
    """An order-like value that must be the same for every run."""
    arr = np.unique(np.asarray(value, dtype=float))
    if arr.size != 1:
        raise EngineError(
            f"{what} differs between runs ({arr.min()} .. {arr.max()}); "
            "run those parameter sets in separate calls"
        )
    return arr[0]


def delay_order(order, delay_time, dt, what):
    """Order of DELAY1/3/N after PySD's reduction for short delay times."""
    value = uniform_int(order, f"order of {what}")
    if not value >= 1:
        raise EngineError(
            f"{what}: the order of the delay is {value:g}; a DELAY N order must be at least 1"
        )
    order = int(value)
    dmin = np.min(np.asarray(delay_time, dtype=float), axis=None)
    per_run = np.asarray(delay_time, dtype=float)
    if per_run.ndim:
        orders = set()
        for d in np.unique(per_run):
            o = order
            while o * dt > d:
                o -= 1
            orders.add(o)
        if len(orders) > 1:
            raise EngineError(
                f"{what}: the delay time is shorter than order*TIME STEP in "
                "some runs only; PySD would change the order of the delay"
            )
    o = order
    while o * dt > dmin:
        o -= 1
    if o < 1:
        raise EngineError(f"{what}: delay time {dmin} is shorter than TIME STEP")
    return o


def delay_fixed_order(delay_time, dt, what):
    """Number of slots of a DELAY FIXED pipe (PySD: round(max(D/dt, 1) + 1e-6))."""
    d = uniform_int(delay_time, f"delay time of {what}")
    return int(round(max(d / dt, 1) + SMALL_VENSIM))


def full(value, n_runs):
    """A fresh float array of shape (n_runs,) holding ``value``.

    A single run is held as a numpy scalar: the same IEEE operations, without
    the per-operation cost of one-element arrays.
    """
    if n_runs == 1:
        return np.float64(np.asarray(value, dtype=float).reshape(-1)[0])
    out = np.empty(n_runs)
    out[...] = value
    return out


def chain(value, order, n_runs):
    """A fresh (order, n_runs) array with every stage equal to ``value`` ((order,) for one run)."""
    if n_runs == 1:
        out = np.empty(order)
        out[...] = np.asarray(value, dtype=float).reshape(-1)[0]
        return out
    out = np.empty((order, n_runs))
    out[...] = value
    return out


def fixed_pipe(init, delay_time, dt, n_runs):
    """DELAY FIXED pipe: ``(pipe, pointer, slots)``; slots may differ per run.

    PySD: ``slots = round(max(delay_time / dt, 1) + 1e-6)`` from the delay time
    at initialisation, every slot filled with the initial value.
    """
    slots = np.round(np.maximum(np.asarray(delay_time, dtype=float) / dt, 1) + SMALL_VENSIM)
    slots = slots.astype(np.int64)
    if n_runs == 1 or slots.ndim == 0 or np.all(slots == slots.flat[0]):
        n = int(slots.flat[0])
        return chain(init, n, n_runs), 0, n
    return chain(init, int(slots.max()), n_runs), np.zeros(n_runs, dtype=np.int64), slots


def fixed_push(pipe, ptr, slots, value):
    """Store this step's input, advance the pointer; return ``(pointer, output)``."""
    if np.ndim(ptr) == 0:
        pipe[ptr] = value
        ptr = (ptr + 1) % slots
        return ptr, pipe[ptr].copy()
    runs = np.arange(pipe.shape[1])
    pipe[ptr, runs] = value
    ptr = (ptr + 1) % slots
    return ptr, pipe[ptr, runs]
